import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, OperationRow } from '../../../db/schema.ts';
import type { GcpCompute } from '../../cloud/gcp/gcp-compute.ts';
import type { GpuProvider } from '../../cloud/provider.ts';
import type { SshKeyPair } from '../../cloud/ssh/ssh-keys.ts';
import type { ObjectStore } from '../../cloud/storage/object-store.ts';
import type { Config, GcpConfig } from '../../config.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import type { OperationKind } from '../../domain/operations.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { OPERATION_ARGS, type OperationArgs } from '../../tools/schemas.ts';
import type { ProgressView } from './progress.ts';

/** Where snapshots go and what they take on an instance. */
export interface SnapshotServices {
  /** The storage, started or connected on first use (the local server costs start-up time). */
  store(): Promise<ObjectStore>;
  /** The workspace folder on instances. */
  workspaceDir: string;
}

/** The worker's snapshot storage; throws when this worker has none configured. */
export function snapshotServicesOf(services: Pick<WorkerServices, 'snapshots'>): SnapshotServices {
  if (!services.snapshots) {
    throw new GpuopsError(ErrorCode.Internal, 'This worker has no snapshot storage configured.');
  }
  return services.snapshots;
}

/** Google Compute Engine, for CPU standby VMs. */
export interface StandbyServices {
  gcp: GcpConfig;
  /** The Compute client for a zone (default: the configured one), made on first use. */
  compute(zone?: string): Promise<GcpCompute>;
}

export interface WorkerServices {
  config: Config;
  db: Kysely<Database>;
  provider: GpuProvider;
  sshKey: SshKeyPair;
  log: Logger;
  /** This deployment's id (db/repositories/deployment.ts); jobs carry it, workers check it. */
  deploymentId: string;
  /**
   * Aborted when this worker shuts down: waits end at once, and the job is handed back to the
   * queue for another worker to resume from its row.
   */
  shutdown?: AbortSignal;
  /** Snapshot storage; absent in processes that run no snapshot jobs. */
  snapshots?: SnapshotServices;
  /** CPU standby on GCP; absent when GCP is not configured. */
  standby?: StandbyServices;
}

/** What a job handler gets: the operation, the services and a way to report its step. */
export interface JobContext extends WorkerServices {
  operation: OperationRow;
  /** Reports step `stepIndex` of the job kind's steps, with a detail line and progress within the step. */
  report(
    stepIndex: number,
    detail?: string,
    withinStep?: number,
    extra?: Pick<ProgressView, 'output' | 'costSoFar'>,
  ): Promise<void>;
  /** Tells the watchers which instance this operation is about, once known. */
  setInstance(id: number): void;
}

export type JobHandler = (ctx: JobContext) => Promise<OperationResult>;

/** The requester of operations gpuops starts by itself (health monitor, hibernation, failback). */
export const AUTOMATIC_REQUESTER = 'gpuops';

/**
 * The operation's data as its kind's schema reads it: the same schema the enqueuer was typed by,
 * so what a job runs with is exactly what was accepted, and stored data that no longer fits ends
 * the job with a clear error instead of running on a guess.
 */
export function operationArgs<K extends OperationKind>(operation: OperationRow, kind: K): OperationArgs<K> {
  const parsed = OPERATION_ARGS[kind].safeParse(operation.args);
  if (!parsed.success) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `Operation ${operation.id}'s data does not fit a ${kind} operation (${parsed.error.issues[0]?.message ?? 'unreadable'}); ask for it again.`,
    );
  }
  // The schema indexed by a generic kind parses to the union of every kind's data; it is K's.
  return parsed.data as OperationArgs<K>;
}
