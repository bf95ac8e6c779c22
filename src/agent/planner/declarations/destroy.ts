import { SNAPSHOT_NOUN } from '../../../tools/declarations/topic-words.ts';
import type { ToolReading } from '../declaration.ts';
import { callPerInstance, INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

const DESTROY_VERBS = String.raw`destroy|terminate|delete|kill|tear\s*(?:\S+\s+)?down|teardown|remove|nuke|get\s+rid\s+of|release|dispose\s+of|decommission|rm|trash|scrap`;

export const destroy: ToolReading = {
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
