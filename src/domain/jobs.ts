import { z } from 'zod';
import { ErrorCode, GpuopsError } from '../errors.ts';

/**
 * A job: a command gpuops runs on a GPU machine for someone, from fetching its inputs to keeping
 * what it made, and then stops paying for. `j-4` to users. Its spec is what was asked for and is
 * never changed after the job is created; a rerun is a new job.
 */

export function jobRef(id: number): string {
  return `j-${id}`;
}

/** The job id a reference names; a clear bad_input error for anything else. */
export function parseJobRef(ref: string): number {
  const match = /^j-(\d{1,9})$/.exec(ref.trim());
  if (!match) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `"${ref}" is not a job id. Job ids look like j-4; say "list my jobs" to see yours.`,
    );
  }
  return Number(match[1]);
}

/** A path inside the job's working folder: relative, no `..`, nothing odd to a shell. */
export const jobRelativePath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*$/, 'a relative path like data/train.jsonl')
  .refine(
    (path) => !path.split('/').some((part) => part === '..' || part === '') && !path.startsWith('/'),
    'a relative path inside the job folder, without ".."',
  );

/** A git repository to clone as the job's working folder, at a branch, tag or commit. */
export const jobRepoSchema = z.strictObject({
  /** https://, ssh (git@host:org/repo) or file:// URL. */
  url: z
    .string()
    .min(1)
    .max(300)
    .regex(
      /^(https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[A-Za-z0-9_.~\-/]+|git@[A-Za-z0-9.-]+:[A-Za-z0-9_.~\-/]+|file:\/\/\/[A-Za-z0-9_.~\-/]+)$/,
      'a git URL like https://github.com/org/repo',
    ),
  ref: z
    .string()
    .min(1)
    .max(120)
    .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*$/, 'a branch, tag or commit like main or v1.2')
    .optional(),
});
export type JobRepo = z.infer<typeof jobRepoSchema>;

/** One file the job needs, fetched before its command runs. */
export const jobInputSchema = z.strictObject({
  /** s3://bucket/key (read with gpuops's storage credentials) or an http(s) URL. */
  source: z
    .string()
    .min(1)
    .max(1000)
    .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+|https?:\/\/\S+)$/, 'an s3:// or https:// address'),
  /** Where it goes, relative to the job's working folder. */
  path: jobRelativePath,
});
export type JobInput = z.infer<typeof jobInputSchema>;

/** Where a job runs: an instance the team has (left running after), or a machine rented for it. */
export const jobTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('instance'), instance_id: z.number().int().positive() }),
  z.strictObject({
    kind: z.literal('rent'),
    /** Catalog GPU id, e.g. "rtx-4090". */
    gpu: z.string().min(1),
    count: z.number().int().min(1).max(16),
    image: z.string().min(1),
    disk_gb: z.number().int().min(1).max(20_000),
    max_price_per_gpu_hour: z.number().positive().max(1000).optional(),
    region: z.string().min(1).optional(),
    min_reliability: z.number().min(0).max(1).optional(),
    /** The offer the request's price was quoted from, rented first when still there. */
    offer_id: z.number().int().positive().optional(),
  }),
]);
export type JobTarget = z.infer<typeof jobTargetSchema>;

/** A fine-tune built from a template: what it was asked for, and the advisor's estimate. */
export const jobTemplateSchema = z.strictObject({
  name: z.literal('fine-tune'),
  model: z.string().min(1),
  method: z.enum(['qlora', 'lora', 'full-finetune']),
  dataset: z.string().min(1),
  epochs: z.number().positive(),
  estimated_hours: z.number().nonnegative().optional(),
  estimated_cost: z.number().nonnegative().optional(),
});
export type JobTemplate = z.infer<typeof jobTemplateSchema>;

export const jobSpecSchema = z.strictObject({
  /** Shell text run in the working folder, exactly as given. */
  command: z.string().min(1).max(16_000),
  repo: jobRepoSchema.optional(),
  inputs: z.array(jobInputSchema).max(32).default([]),
  target: jobTargetSchema,
  limits: z
    .strictObject({
      max_seconds: z
        .number()
        .int()
        .positive()
        .max(30 * 86_400)
        .optional(),
      /** USD for the whole job, every machine it used included. */
      max_cost: z.number().positive().max(1_000_000).optional(),
    })
    .default({}),
  /** How many times the job moves to another machine when its host is lost. */
  retries: z.number().int().min(0).max(10).default(0),
  /** `$GPUOPS_OUTPUT`, relative to the working folder: what is left there is kept as artifacts. */
  output_dir: jobRelativePath.default('output'),
  template: jobTemplateSchema.optional(),
});
export type JobSpec = z.output<typeof jobSpecSchema>;
export type JobSpecIn = z.input<typeof jobSpecSchema>;

/** Where a job stands. The last six are ends; a job never leaves one. */
export const JOB_STATES = [
  'queued',
  'starting',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'over_budget',
  'cancelled',
  'lost',
] as const;
export type JobState = (typeof JOB_STATES)[number];
export type JobEnd = Exclude<JobState, 'queued' | 'starting' | 'running'>;
export const JOB_ENDS: readonly JobEnd[] = [
  'succeeded',
  'failed',
  'timed_out',
  'over_budget',
  'cancelled',
  'lost',
];

export function isJobEnd(state: string): state is JobEnd {
  return (JOB_ENDS as readonly string[]).includes(state);
}

/** The error code an end other than success reaches people with. */
export const JOB_END_CODES: Readonly<Record<Exclude<JobEnd, 'succeeded'>, ErrorCode>> = {
  failed: ErrorCode.JobFailed,
  timed_out: ErrorCode.JobTimedOut,
  over_budget: ErrorCode.JobOverBudget,
  cancelled: ErrorCode.Cancelled,
  lost: ErrorCode.JobLost,
};

/**
 * `gpuops ask`'s exit status for a job's end, so scripts can tell them apart: the command's own
 * status when it failed, as a shell would give it; 124 for a time limit, as timeout(1) does; 125
 * for a money limit; 130 for a cancel, as an interrupt; 69 (EX_UNAVAILABLE) for a lost host.
 */
export function exitStatusOfJobEnd(end: JobEnd, commandStatus?: number | null): number {
  switch (end) {
    case 'succeeded':
      return 0;
    case 'failed':
      return commandStatus && commandStatus > 0 && commandStatus < 256 ? commandStatus : 1;
    case 'timed_out':
      return 124;
    case 'over_budget':
      return 125;
    case 'cancelled':
      return 130;
    case 'lost':
      return 69;
  }
}

/** The job end an error code stands for, when it is one of a job's ends. */
export function jobEndOfCode(code: string): Exclude<JobEnd, 'succeeded'> | undefined {
  for (const [end, endCode] of Object.entries(JOB_END_CODES)) {
    if (endCode === code) return end as Exclude<JobEnd, 'succeeded'>;
  }
  return undefined;
}

/** One file the job left in its output folder, as kept. */
export const jobArtifactSchema = z.strictObject({
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type JobArtifact = z.infer<typeof jobArtifactSchema>;
