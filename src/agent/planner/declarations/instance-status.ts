import { checked } from '../checked-calls.ts';
import type { ToolReading } from '../declaration.ts';
import { callPerInstance } from '../instance-calls.ts';
import { listArgs } from '../list-filter.ts';
import { missingInstance } from '../questions.ts';

export const instanceStatus: ToolReading = {
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
      { slots: ['job'], points: -6 },
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
