import type { ToolName } from '../../tools/schemas.ts';
import { checked, checkedCalls, compact } from './checked-calls.ts';
import type { SlotCue } from './declaration.ts';
import { unknownGpu } from './questions.ts';
import type { Extraction, Plan } from './types.ts';

/**
 * The calls of the tools that follow, cancel and rerun a job, built from the job ids the shared
 * extractor read ("j-4", "job 4"); the question to ask when a request names none.
 */

/** A job named is what the request is about; an instance or snapshot id says it is about something else. */
export const JOB_ACTION_SLOTS: readonly SlotCue[] = [
  { slots: ['job'], points: 3 },
  { slots: ['instance'], points: -4 },
  { slots: ['snapshot'], points: -6 },
];

/** "job", "jobs", "my training run": a request about jobs even without an id. */
export const JOB_NOUN = /\b(?:jobs?|training\s+runs?|runs)\b/;

/** `verb` as a question names the act: "logs of", "status of", "cancel". */
export function missingJob(verb: string): string {
  const what = `${verb.charAt(0).toUpperCase()}${verb.slice(1)} which job?`;
  return `${what} Give its id, e.g. "${verb} j-4". Say "list my jobs" to see the ids.`;
}

/** One call per job named ("cancel j-4 and j-5"), or which job, when none is. */
export function callPerJob(tool: ToolName, verb: string, ex: Extraction): Plan {
  if (ex.jobs.length === 0) return { kind: 'clarify', message: missingJob(verb) };
  return checkedCalls(ex.jobs.map((job) => ({ tool, args: { job } })));
}

/** Which jobs a request to list them asks for: list_jobs' `state`. */
export function listJobsArgs(text: string): Record<string, unknown> {
  if (
    /\b(?:running|active|queued|pending|in\s+progress|still\s+going|under\s+way|current(?:ly)?|ongoing|live)\b/.test(
      text,
    )
  ) {
    return { state: 'active' };
  }
  if (
    /\b(?:ended|finished|done|completed?|failed|succeeded|cancell?ed|past|old|previous|history)\b/.test(text)
  ) {
    return { state: 'ended' };
  }
  return {};
}

/** How many lines of a log were asked for ("the last 50 lines"), when said. */
export function logLines(text: string): number | undefined {
  const match =
    /\b(?:last|final|latest|top|first|tail(?:\s+-n)?)?\s*(\d{1,4})\s+lines?\b|\btail\s+-n\s*(\d{1,4})\b/.exec(
      text,
    );
  const written = match?.[1] ?? match?.[2];
  return written === undefined ? undefined : Number(written);
}

/** rerun_job: the job named, again, on the GPU or instance the request names instead. */
export function rerunPlan(ex: Extraction): Plan {
  const [job, ...others] = ex.jobs;
  if (job === undefined) return { kind: 'clarify', message: missingJob('rerun') };
  if (others.length > 0) {
    return {
      kind: 'clarify',
      message: `Rerun one job at a time: say e.g. "rerun ${job}", then "rerun ${others[0]}".`,
    };
  }
  const unknown = ex.unknownGpus[0];
  if (unknown !== undefined) return { kind: 'clarify', message: unknownGpu(unknown, `rerun ${job} on`) };
  if (ex.gpus.length > 1) {
    return {
      kind: 'clarify',
      message: `Rerun ${job} on which GPU: ${ex.gpus.map((g) => g.displayName).join(' or ')}? One job runs on one GPU model.`,
    };
  }
  if (ex.instances.length > 1 || (ex.instances.length > 0 && ex.gpus.length > 0)) {
    return {
      kind: 'clarify',
      message: `Rerun ${job} where: on one instance you have ("rerun ${job} on i-3") or on a GPU rented for it ("rerun ${job} on an H100")?`,
    };
  }
  return checked({
    tool: 'rerun_job',
    args: compact({ job, gpu: ex.gpus[0]?.id, count: ex.count, instance: ex.instances[0] }),
  });
}
