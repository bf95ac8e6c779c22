import { GPU_CATALOG, type GpuModel, suggestGpus } from '../../cloud/gpu-catalog.ts';

/** The questions the planner asks when a request it understood lacks something, or asks the impossible. */

/** Two instance actions and no way to tell which instance each is for ("pause i-3 destroy i-4"). */
export function conflictingActions(verbs: readonly string[]): string {
  return `I'm not sure which instance to ${listOr(verbs)}. Give each action its own ids, e.g. "${verbs[0]} i-3 and ${verbs[1] ?? verbs[0]} i-4".`;
}

/** `verb` as the tool declares it: "pause", "status of". */
export function missingInstance(verb: string): string {
  const what = `${capitalise(verb)} which instance?`;
  return `${what} Give its id, e.g. "${verb} i-3" (several work too: "${verb} i-3 and i-4"). Say "list my instances" to see the ids.`;
}

/** `verb` as the tool declares it: "delete", "describe". */
export function missingSnapshot(verb: string): string {
  const what = `${capitalise(verb)} which snapshot?`;
  return `${what} Give its id, e.g. "${verb} snap-3" (several work too: "${verb} snap-3 and snap-4"). Say "list snapshots" to see the ids.`;
}

// Models people rent most, offered when a deploy names none.
const POPULAR = ['rtx-4090', 'rtx-3090', 'a100-80gb', 'h100-sxm', 'l40s'];

export function missingGpu(minGpuRamGb: number | undefined): string {
  const models =
    minGpuRamGb === undefined
      ? POPULAR.map((id) => GPU_CATALOG.find((m) => m.id === id)).filter(
          (m): m is GpuModel => m !== undefined,
        )
      : GPU_CATALOG.filter((m) => m.vramGb >= minGpuRamGb)
          .sort((a, b) => a.typicalPricePerHour - b.typicalPricePerHour)
          .slice(0, 5);
  const names = models.map((m) => m.displayName);
  const choice = names.length > 0 ? ` For example ${listOr(names)}.` : '';
  return `Which GPU should I deploy?${choice} Say e.g. "deploy a 4090 under $0.50/hr".`;
}

/** `verb` says what could not be done with it: "deploy", "find offers for". */
export function unknownGpu(written: string, verb: string): string {
  const suggestions = suggestGpus(written).map((m) => m.displayName);
  const hint = suggestions.length > 0 ? ` Did you mean ${listOr(suggestions)}?` : '';
  return `I don't know the GPU "${written}", so I can't ${verb} it.${hint}`;
}

export function severalGpusForDeploy(models: readonly GpuModel[]): string {
  return `One deploy rents one GPU model, and you named ${listAnd(models.map((m) => m.displayName))}. Which one? e.g. "deploy one ${models[0]?.displayName ?? 'RTX 4090'}", then ask again for the other.`;
}

export function notEnoughMemory(model: GpuModel, wantedGb: number): string {
  const bigger = GPU_CATALOG.filter((m) => m.vramGb >= wantedGb)
    .sort((a, b) => a.typicalPricePerHour - b.typicalPricePerHour)
    .slice(0, 3)
    .map((m) => m.displayName);
  const hint = bigger.length > 0 ? ` GPUs with at least ${wantedGb} GB include ${listAnd(bigger)}.` : '';
  return `The ${model.displayName} has ${model.vramGb} GB of memory, less than the ${wantedGb} GB you asked for.${hint}`;
}

function listOr(items: readonly string[]): string {
  return joinWith(items, 'or');
}

function listAnd(items: readonly string[]): string {
  return joinWith(items, 'and');
}

function joinWith(items: readonly string[], word: string): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
