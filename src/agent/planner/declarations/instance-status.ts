import { checked } from '../checked-calls.ts';
import type { ToolDeclaration } from '../declaration.ts';
import { callPerInstance } from '../instance-calls.ts';
import { listArgs } from '../list-filter.ts';
import { missingInstance } from '../questions.ts';

export const instanceStatus: ToolDeclaration = {
  tool: 'instance_status',
  can: 'list and check instances',
  clauseWords: 'check|status',
  neighbours: [],
  examples: [
    { text: 'status of i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'how is i-3 doing', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'i-3 status', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'details for i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'ssh for i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'how do I connect to i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: "what's the ip of i-3", calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
  ],
  reading: {
    acts: [],
    objects: [
      {
        pattern:
          /\b(?:status|state|details?|info|information|health|healthy|ssh|connect(?:ion)?|ip|address|logs?|doing|how(?:'s|s|\s+is|\s+are)|check(?:\s+on)?|inspect|describe|what'?s\s+up\s+with|tell\s+me\s+about|look\s+at)\b/,
        points: 3,
      },
    ],
    slots: [
      { slots: ['instance'], points: 3, notAfterNegation: true },
      { slots: ['snapshot'], points: -6 },
    ],
    risk: 0,
    uses: ['instance'],
    inherits: 'instances',
    verb: 'status of',
    build(ex, text) {
      if (ex.instances.length > 0) return callPerInstance('instance_status', 'status of', ex);
      // "status" on its own, or "status of my instances": the overview answers it.
      if (/\b(?:status|my|our|all|every\w*|instances|machines)\b/.test(text)) {
        return checked({ tool: 'list_instances', args: listArgs(text) });
      }
      // "ssh details?" needs an id; "how are you doing?" is small talk, not a status request.
      if (/\b(?:ssh|connect\w*|details?|info\w*|ip|address|logs?|health\w*|inspect|describe)\b/.test(text)) {
        return { kind: 'clarify', message: missingInstance('status of') };
      }
      return undefined;
    },
  },
};
