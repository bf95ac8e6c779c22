import type { ToolDeclaration } from '../declaration.ts';
import { callPerInstance, INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';
import { SNAPSHOT_NOUN } from '../topic-words.ts';

const DESTROY_VERBS = String.raw`destroy|terminate|delete|kill|tear\s*(?:\S+\s+)?down|teardown|remove|nuke|get\s+rid\s+of|release|dispose\s+of|decommission|rm|trash|scrap`;

export const destroy: ToolDeclaration = {
  tool: 'destroy',
  can: 'pause, resume or destroy them',
  clauseWords: 'destroy|terminate|delete|kill|tear|remove|nuke',
  neighbours: ['pause'],
  examples: [
    { text: 'destroy i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
    { text: 'terminate i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
    { text: 'delete instance i-7', calls: [{ tool: 'destroy', args: { instance: 'i-7' } }] },
    { text: 'kill i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
    { text: 'tear down i-2', calls: [{ tool: 'destroy', args: { instance: 'i-2' } }] },
    { text: 'kill #7', calls: [{ tool: 'destroy', args: { instance: 'i-7' } }] },
  ],
  reading: {
    acts: [{ pattern: new RegExp(String.raw`\b(?:${DESTROY_VERBS})\b`), points: 5 }],
    // "delete snapshots of i-3" is about its snapshots, never the machine.
    objects: [{ pattern: SNAPSHOT_NOUN, points: -3 }],
    slots: INSTANCE_ACTION_SLOTS,
    needsAct: true,
    risk: 6,
    uses: ['instance'],
    inherits: 'instances',
    verb: 'destroy',
    build: (ex) => callPerInstance('destroy', 'destroy', ex),
  },
};
