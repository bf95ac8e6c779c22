import { z } from 'zod';
import { ErrorCode, GpuopsError } from '../errors.ts';

/**
 * What a finished operation leaves behind, rendered as its final line. Its job returns it, the
 * operation's row stores it, and a job delivered again after the operation succeeded returns it
 * from the row, read back through this schema.
 */
export const operationResultSchema = z.object({
  /** "i-3". */
  instance: z.string(),
  gpu: z.string().optional(),
  gpuCount: z.number().optional(),
  pricePerHour: z.number().optional(),
  state: z.string().optional(),
  location: z.string().optional(),
  ssh: z.string().optional(),
  /** The job a run_job operation ran ("j-4"). */
  job: z.string().optional(),
  /** The snapshot a deploy restored onto its new machine. */
  snapshot: z.string().optional(),
  /** How long its parts took, for operations that report it (failover: RTO, RPO, provider waits). */
  timings: z.record(z.string(), z.number()).optional(),
  summary: z.string(),
});

export type OperationResult = z.infer<typeof operationResultSchema>;

/**
 * A succeeded operation's stored result, checked. gpuops wrote it, so one that does not fit is
 * gpuops's own fault (Internal), named with the operation and the first field that is wrong.
 */
export function readOperationResult(operationId: string, stored: unknown): OperationResult {
  const parsed = operationResultSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new GpuopsError(
    ErrorCode.Internal,
    `Operation ${operationId} succeeded, but the result stored with it does not read as one (${where}${issue?.message ?? 'unreadable'}).`,
    { details: { op: operationId } },
  );
}
