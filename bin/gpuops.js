#!/usr/bin/env node
// Runs the compiled CLI in dist/, built by `npm run build` (and by `npm install` and `npm ci`,
// through the `prepare` script). The TypeScript sources run through bin/gpuops-dev.js instead.
import { existsSync } from 'node:fs';

// The bundle (dist/cli, made by scripts/bundle-cli.mjs) starts fastest; the plain compiled tree
// (dist/src) runs when only `tsc` was run.
const bundled = new URL('../dist/cli/main.js', import.meta.url);
const main = existsSync(bundled) ? bundled : new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'gpuops is not built: run `npm run build` first (npm install and npm ci also build it),\n' +
      'or `npm run dev -- <command>` to run the TypeScript sources directly.\n',
  );
  process.exit(1);
}
await import(main.href);
