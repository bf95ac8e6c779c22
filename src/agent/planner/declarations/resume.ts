import { START } from '../act-words.ts';
import type { ToolDeclaration } from '../declaration.ts';
import { callPerInstance, INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

const RESUME_VERBS = String.raw`resume|unpause|un-pause|unsuspend|restart|continue|wake(?:\s+(?:\S+\s+)?up)?|turn\s+(?:\S+\s+)?(?:back\s+)?on|power\s+(?:\S+\s+)?(?:back\s+)?on|bring\s+(?:\S+\s+)?back`;

export const resume: ToolDeclaration = {
  tool: 'resume',
  can: 'pause, resume or destroy them',
  clauseWords: 'resume|unpause|restart|start',
  neighbours: ['pause'],
  examples: [
    { text: 'resume i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'start i-3 again', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'unpause i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'restart i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'start i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'bring i-3 back', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'wake up I-8', calls: [{ tool: 'resume', args: { instance: 'i-8' } }] },
    { text: 'spin i-3 back up', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    {
      text: 'resume i-3 and i-4 then destroy i-5',
      calls: [
        { tool: 'resume', args: { instance: 'i-3' } },
        { tool: 'resume', args: { instance: 'i-4' } },
        { tool: 'destroy', args: { instance: 'i-5' } },
      ],
    },
    { text: 'wake i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
  ],
  reading: {
    acts: [
      { pattern: new RegExp(String.raw`\b(?:${RESUME_VERBS})\b`), points: 5 },
      { pattern: START, points: 2 },
      {
        pattern: /\b(?:spin|start|bring|boot|fire|power|get)\s+(?:\S+\s+)?back\s+(?:up|on|online)\b/,
        points: 5,
      },
    ],
    objects: [{ pattern: /\bstart\b[^.;]*\b(?:again|back)\b/, points: 3 }],
    slots: INSTANCE_ACTION_SLOTS,
    needsAct: true,
    risk: 4,
    // "turn on automatic failover on i-3" turns failover on; it resumes nothing.
    yieldsTo: ['auto_failover'],
    uses: ['instance'],
    inherits: 'instances',
    verb: 'resume',
    build: (ex) => callPerInstance('resume', 'resume', ex),
  },
};
