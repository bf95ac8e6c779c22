import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md: "Every import points down". The layers, lowest first; a file may import its own layer
 * or a lower one. The first prefix that matches a file's path (from the repository root) is its
 * layer.
 */
const LAYERS: ReadonlyArray<{ name: string; prefixes: readonly string[] }> = [
  {
    name: 'foundations',
    prefixes: [
      'src/util/',
      'src/redact.ts',
      'src/errors.ts',
      'src/format/',
      'src/log.ts',
      'src/metrics.ts',
      'src/config.ts',
    ],
  },
  { name: 'domain', prefixes: ['src/domain/'] },
  { name: 'cloud and db', prefixes: ['src/cloud/', 'db/'] },
  { name: 'advisor', prefixes: ['src/advisor/'] },
  { name: 'tools', prefixes: ['src/tools/'] },
  { name: 'job queue', prefixes: ['src/jobs/queue/'] },
  { name: 'operations', prefixes: ['src/jobs/operations/'] },
  { name: 'upkeep', prefixes: ['src/jobs/upkeep/'] },
  { name: 'agent', prefixes: ['src/agent/'] },
  { name: 'bots and doctor', prefixes: ['src/bots/', 'src/doctor/'] },
  { name: 'runtime', prefixes: ['src/runtime.ts'] },
  { name: 'http', prefixes: ['src/http/'] },
  { name: 'cli', prefixes: ['src/cli/'] },
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): number {
  const index = LAYERS.findIndex((layer) => layer.prefixes.some((prefix) => file.startsWith(prefix)));
  if (index < 0) throw new Error(`${file} is in no layer: add its folder to LAYERS`);
  return index;
}

/** Every relative import and export of a file (type-only ones too: they couple as much). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found = text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g);
  return [...found].map((match) => relative(ROOT, resolve(join(ROOT, dirname(file)), match[1] ?? '')));
}

const files = [...sourceFiles('src'), ...sourceFiles('db')];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Import cycles among files, each as the files on it (Tarjan's strongly connected components). */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) found.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe('the layout of src and db', () => {
  it('has every import point to its own layer or a lower one', () => {
    const upward = files.flatMap((file) =>
      (graph.get(file) ?? [])
        .filter((target) => layerOf(target) > layerOf(file))
        .map(
          (target) =>
            `${file} (${LAYERS[layerOf(file)]?.name}) imports ${target} (${LAYERS[layerOf(target)]?.name})`,
        ),
    );
    expect(upward).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles()).toEqual([]);
  });

  it('resolves every relative import to a file that exists', () => {
    const missing = files.flatMap((file) =>
      (graph.get(file) ?? []).filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`),
    );
    expect(missing).toEqual([]);
  });
});
