import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePhrasings, readPhrasingFile } from '../../../src/agent/eval/phrasing-file.ts';

const line = (value: unknown) => JSON.stringify(value);

describe('a phrasing file of your own', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gpuops-eval-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is read one JSON object per line, blank lines skipped', async () => {
    const file = path.join(dir, 'mine.jsonl');
    await writeFile(
      file,
      [
        line({ text: 'park i-7 for the night', calls: [{ tool: 'pause', args: { instance: 'i-7' } }] }),
        '',
        line({ text: 'what have we got', calls: [{ tool: 'list_instances' }] }),
        line({
          text: 'two 4090s please',
          calls: [{ tool: 'deploy', args: { gpu: 'RTX 4090', count: 2 } }],
        }),

        line({ text: 'hello', calls: [] }),
        '',
      ].join('\n'),
    );
    expect(await readPhrasingFile(file)).toEqual([
      { text: 'park i-7 for the night', calls: [{ tool: 'pause', args: { instance: 'i-7' } }] },
      { text: 'what have we got', calls: [{ tool: 'list_instances', args: {} }] },
      { text: 'two 4090s please', calls: [{ tool: 'deploy', args: { gpu: 'RTX 4090', count: 2 } }] },
      { text: 'hello', calls: [] },
    ]);
  });

  it('is refused with the number of each line that does not read', () => {
    const content = [
      line({ text: 'pause i-3', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] }),
      '{"text": "pause i-4", "calls": [',
      line({ text: 'reboot i-3', calls: [{ tool: 'reboot', args: { instance: 'i-3' } }] }),
      line({ text: 'pause i-5', calls: [{ tool: 'pause', args: { instance: 'five' } }] }),
      line({ text: 'pause i-6', calls: [], note: 'mine' }),
      line({ text: '2 4090s', calls: [{ tool: 'deploy', args: { gpu: '4090', num_gpus: 2 } }] }),
    ].join('\n');
    let error: unknown;
    try {
      parsePhrasings(content, 'mine.jsonl');
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'bad_input' });
    const message = (error as Error).message;
    expect(message).toMatch(/^mine\.jsonl has 5 lines that cannot be read; nothing was run\./);
    expect(message).toMatch(/line 2: not JSON/);
    expect(message).toMatch(/line 3: calls\.0\.tool: /);
    expect(message).toMatch(/line 4: calls\.0\.args\.instance: an instance id looks like i-3/);
    expect(message).toMatch(/line 5: .*"note"/);
    // Expected calls are written in the tools' own argument names; aliases are for models.
    expect(message).toMatch(/line 6: calls\.0\.args: .*"num_gpus"/);
    expect(message).not.toMatch(/line 1:/);
  });

  it('is refused when it cannot be opened or holds no phrasing', async () => {
    await expect(readPhrasingFile(path.join(dir, 'missing.jsonl'))).rejects.toThrow(
      /Cannot read the phrasing file .*missing\.jsonl \(ENOENT\)/,
    );
    expect(() => parsePhrasings('\n\n', 'empty.jsonl')).toThrow('empty.jsonl has no phrasings');
  });
});
