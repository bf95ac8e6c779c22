// `npm run build`, second half: bundles the compiled CLI (dist/src/cli/main.js) into dist/cli/,
// one file plus a chunk per lazily loaded command, with zod and commander inside it. Node 20 has
// no compile cache, and loading zod's hundred-odd module files cost `gpuops plan` more start-up
// time than running them; every other package stays external (native add-ons, WASM beside its
// module, worker-thread transports), resolved from node_modules as before.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const BUNDLED = new Set(['zod', 'commander']);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

await build({
  entryPoints: { main: 'dist/src/cli/main.js' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS inside an ES module bundle (commander) needs a require of its own.
  banner: { js: "import { createRequire as __gpuopsRequire } from 'node:module'; const require = __gpuopsRequire(import.meta.url);" },
});
