import { describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../src/agent/agent-model.ts';
import { resolveInstanceReference } from '../../src/agent/references.ts';

const said = (assistant: string): AgentMessage[] => [
  { role: 'user', content: 'deploy a 4090' },
  { role: 'assistant', content: assistant, toolCalls: [] },
];

describe('instance references in a conversation', () => {
  it.each([
    ['pause it', 'pause i-7'],
    ['please destroy that one now', 'please destroy i-7 now'],
    ['status of the machine', 'status of i-7'],
    ['ok, resume this instance', 'ok, resume i-7'],
  ])('reads %j after a turn about i-7 as %j', (text, resolved) => {
    expect(resolveInstanceReference(text, said('Deploying… ✅ deploy i-7 done in 0:41'))).toEqual({
      kind: 'resolved',
      instance: 'i-7',
      text: resolved,
    });
  });

  it('asks which one when the latest turn was about several instances', () => {
    const result = resolveInstanceReference('pause it', said('i-3 running, i-4 paused'));
    expect(result).toMatchObject({ kind: 'ambiguous', question: expect.stringContaining('i-3 or i-4') });
  });

  it('leaves requests alone that name an instance, refer to nothing, or come first', () => {
    expect(resolveInstanceReference('pause i-2', said('i-7'))).toEqual({ kind: 'none' });
    expect(resolveInstanceReference('deploy it', said('i-7'))).toEqual({ kind: 'none' });
    expect(resolveInstanceReference('pause it', [])).toEqual({ kind: 'none' });
    expect(resolveInstanceReference('pause it', said('no instances here'))).toEqual({ kind: 'none' });
  });
});
