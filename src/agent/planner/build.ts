import type { GpuModel } from '../../cloud/gpu-catalog.ts';
import { type PlannedCall, TOOL_SCHEMAS, type ToolName } from '../../tools/schemas.ts';
import * as say from './messages.ts';
import { withoutFloatNoise } from './numerals.ts';
import type { Extraction, Field, Intent, Plan } from './types.ts';

/** Turns an intent and what was extracted into tool calls, or into the question to ask instead. */

const TOOL_OF: Record<Intent, ToolName> = {
  search: 'search_offers',
  deploy: 'deploy',
  pause: 'pause',
  resume: 'resume',
  destroy: 'destroy',
  list: 'list_instances',
  status: 'instance_status',
};

// The extracted values each intent uses; a problem with any other value is not worth a question.
const FIELDS_USED: Record<Intent, readonly Field[]> = {
  search: ['price', 'count', 'reliability', 'memory', 'limit', 'region'],
  deploy: ['price', 'count', 'disk', 'reliability', 'region'],
  pause: ['instance'],
  resume: ['instance'],
  destroy: ['instance'],
  status: ['instance'],
  list: [],
};

export function buildPlan(intent: Intent, ex: Extraction, text: string): Plan {
  // A search can look in each place of "APAC" in turn; anything else asks which one.
  const splitRegion = intent === 'search' ? ex.regionChoices?.problem : undefined;
  const problem = ex.problems.find((p) => FIELDS_USED[intent].includes(p.field) && p !== splitRegion);
  if (problem) return { kind: 'clarify', message: problem.message };

  switch (intent) {
    case 'search':
      return searchPlan(ex);
    case 'deploy':
      return deployPlan(ex);
    case 'list':
      return calls([{ tool: 'list_instances', args: listArgs(text) }]);
    case 'status':
      if (ex.instances.length === 0) {
        // "status" on its own, or "status of my instances": the overview answers it.
        if (/\b(?:status|my|our|all|every\w*|instances|machines)\b/.test(text)) {
          return calls([{ tool: 'list_instances', args: listArgs(text) }]);
        }
        // "ssh details?" needs an id; "how are you doing?" is small talk, not a status request.
        if (
          /\b(?:ssh|connect\w*|details?|info\w*|ip|address|logs?|health\w*|inspect|describe)\b/.test(text)
        ) {
          return { kind: 'clarify', message: say.missingInstance(intent) };
        }
        return { kind: 'unknown', message: say.notUnderstood() };
      }
      return calls(ex.instances.map((instance) => ({ tool: TOOL_OF[intent], args: { instance } })));
    case 'pause':
    case 'resume':
    case 'destroy':
      if (ex.instances.length === 0) return { kind: 'clarify', message: say.missingInstance(intent) };
      return calls(ex.instances.map((instance) => ({ tool: TOOL_OF[intent], args: { instance } })));
  }
}

function searchPlan(ex: Extraction): Plan {
  const unknown = ex.unknownGpus[0];
  if (unknown !== undefined) return { kind: 'clarify', message: say.unknownGpu(unknown, 'search') };
  const tooSmall = smallerThanAsked(ex);
  if (tooSmall) return { kind: 'clarify', message: tooSmall };
  const base = compact({
    count: ex.count,
    max_price_per_gpu_hour: pricePerGpu(ex),
    min_gpu_ram_gb: ex.minGpuRamGb,
    min_reliability: ex.minReliability,
    order: ex.order,
    limit: ex.limit,
  });
  // Several models ("4090 or 3090 offers") or places ("in APAC") become one search each, since a
  // search takes one model and one place.
  const gpus: (GpuModel | undefined)[] = ex.gpus.length > 0 ? ex.gpus : [undefined];
  const places: (string | undefined)[] = ex.regionChoices?.places ?? [ex.region];
  return calls(
    gpus.flatMap((gpu) =>
      places.map((region) => ({
        tool: 'search_offers' as const,
        args: { ...(gpu && { gpu: gpu.id }), ...base, ...(region !== undefined && { region }) },
      })),
    ),
  );
}

function deployPlan(ex: Extraction): Plan {
  const unknown = ex.unknownGpus[0];
  if (unknown !== undefined) return { kind: 'clarify', message: say.unknownGpu(unknown, 'deploy') };
  const [gpu, ...others] = ex.gpus;
  if (gpu === undefined) return { kind: 'clarify', message: say.missingGpu(ex.minGpuRamGb) };
  if (others.length > 0) return { kind: 'clarify', message: say.severalGpusForDeploy(ex.gpus) };
  const tooSmall = smallerThanAsked(ex);
  if (tooSmall) return { kind: 'clarify', message: tooSmall };
  const args = compact({
    gpu: gpu.id,
    count: ex.count ?? 1,
    max_price_per_gpu_hour: pricePerGpu(ex),
    image: ex.image,
    disk_gb: ex.diskGb,
    region: ex.region,
    min_reliability: ex.minReliability,
  });
  return calls([{ tool: 'deploy', args }]);
}

/** "4090 with 48GB": the model cannot meet the memory asked for, so no offer ever would. */
function smallerThanAsked(ex: Extraction): string | undefined {
  const need = ex.minGpuRamGb;
  if (need === undefined) return undefined;
  const small = ex.gpus.find((gpu) => gpu.vramGb < need);
  return small ? say.notEnoughMemory(small, need) : undefined;
}

/** A price "for the whole machine" is split over its GPUs, since the tools take per-GPU prices. */
function pricePerGpu(ex: Extraction): number | undefined {
  if (ex.maxPrice === undefined) return undefined;
  return ex.priceIsTotal ? withoutFloatNoise(ex.maxPrice / (ex.count ?? 1)) : ex.maxPrice;
}

// "what's running?" asks for the overview, not for a state filter.
const WHAT_IS_RUNNING =
  /\b(?:what(?:'s|s|\s+is|\s+are)?|anything|everything)\s+(?:\w+\s+)?running\b|\bwhat\s+do\s+(?:i|we)\s+have\s+running\b/;

function listArgs(text: string): Record<string, unknown> {
  if (/\b(?:stopped|paused|suspended|inactive|sleeping|halted)\b/.test(text)) return { state: 'stopped' };
  if (/\brunning\b/.test(text) && !WHAT_IS_RUNNING.test(text)) return { state: 'running' };
  // "all my instances" means the current ones; destroyed ones only when asked for.
  if (/\b(?:includ\w*|destroyed|terminated|deleted|history|past|ever|everything)\b/.test(text)) {
    return { state: 'all' };
  }
  if (/\bactive\b/.test(text)) return { state: 'active' };
  return {};
}

function compact(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * Checks every call against its tool's schema before handing it on. The extractors already keep
 * values in range, so a failure here is a planner bug; it is reported as a question, not thrown.
 */
function calls(planned: PlannedCall[]): Plan {
  for (const call of planned) {
    const result = TOOL_SCHEMAS[call.tool].safeParse(call.args);
    if (!result.success) {
      const issue = result.error.issues[0];
      return {
        kind: 'clarify',
        message: `I couldn't build a valid ${call.tool} request (${issue?.path.join('.') || 'arguments'}: ${issue?.message ?? 'invalid'}). Could you rephrase it?`,
      };
    }
  }
  return { kind: 'calls', calls: planned };
}
