#!/usr/bin/env node
// The bin runs the TypeScript sources through tsx so a checkout works right after `npm install`,
// with no build step between editing and running.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
