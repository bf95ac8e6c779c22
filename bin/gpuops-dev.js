#!/usr/bin/env node
// Development entry: runs the TypeScript sources through tsx, so an edit runs at once with no
// build step (`npm run dev -- <args>`). Slower to start than the compiled bin/gpuops.js.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
