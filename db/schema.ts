import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { InstanceState } from '../src/domain/instance-states.ts';
import type { JobArtifact, JobSpec, JobState } from '../src/domain/jobs.ts';
import type { OperationResult } from '../src/domain/operation-result.ts';
import type { OperationKind } from '../src/domain/operations.ts';
import type { ReplyTarget } from '../src/domain/request-context.ts';
import type { SnapshotContents } from '../src/domain/snapshot-contents.ts';

/**
 * Table types for Kysely. The migrations in `db/migrations/` create exactly these columns;
 * timestamps are `timestamptz` and come back as Date.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T = unknown> = ColumnType<T, string, string>;
type NullableJson<T = unknown> = ColumnType<T | null, string | null | undefined, string | null>;

export interface InstancesTable {
  /** Shown to people as `i-<id>`. */
  id: Generated<number>;
  provider: string;
  /** Null until the provider has accepted the rental. */
  provider_instance_id: string | null;
  offer_id: number | null;
  /** Written on the provider's instance too, so a retried deploy can find what it already rented. */
  label: string;
  gpu_name: string;
  gpu_count: number;
  price_per_hour: number;
  state: InstanceState;
  provider_status: string | null;
  image: string;
  disk_gb: number;
  location: string | null;
  ssh_host: string | null;
  ssh_port: number | null;
  owner: string;
  channel: string;
  /** The operation that created it. */
  operation_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  running_since: NullableTimestamp;
  destroyed_at: NullableTimestamp;
  /** The health monitor fails it over by itself when its machine is lost. */
  auto_failover: Generated<boolean>;
  /** Hibernate it once it has been paused this long; null: never by itself. */
  hibernate_after_ms: ColumnType<string | null, number | null | undefined, number | null>;
  /** When it was last paused (stopped); null while it is not. */
  stopped_at: NullableTimestamp;
  /** When it was hibernated; null unless it is. */
  hibernated_at: NullableTimestamp;
}

export type OperationState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface OperationsTable {
  /** Also the BullMQ job id, so enqueuing the same operation twice is a no-op. */
  id: string;
  kind: OperationKind;
  args: Json<Record<string, unknown>>;
  requester: string;
  channel: string;
  reply_to: Json<ReplyTarget>;
  state: OperationState;
  instance_id: number | null;
  step: string | null;
  /** The last progress view the job reported (see src/jobs/queue/progress.ts). */
  progress: NullableJson<Record<string, unknown>>;
  attempts: Generated<number>;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  result: NullableJson<OperationResult>;
  error: NullableJson<{ code: string; message: string }>;
  /** The bot process that keeps the progress message current, while its lease lasts. */
  reply_owner: string | null;
  reply_lease_until: NullableTimestamp;
  /** When the final state was shown in chat (or found unshowable); null while it is owed. */
  reply_done_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  target: string | null;
  channel: string;
  outcome: 'ok' | 'error' | 'refused' | 'requested';
  price_per_hour: number | null;
  details: NullableJson<Record<string, unknown>>;
}

/** One configuration the advisor put forward: enough to deploy it without asking again. */
export interface RecommendedConfig {
  /** Catalog GPU id, e.g. "rtx-4090". */
  gpu: string;
  count: number;
  offer_id: number;
  price_per_hour: number;
  /** Disk to rent with it: room for the weights plus a working margin. */
  disk_gb: number;
  image?: string;
}

export interface RecommendationsTable {
  id: Generated<number>;
  channel: string;
  requester: string;
  question: string;
  workload: Json<Record<string, unknown>>;
  pick: NullableJson<RecommendedConfig>;
  alternatives: Json<RecommendedConfig[]>;
  /** The thread it was given in, so "deploy it" there (and only there) deploys it. */
  conversation: string | null;
  created_at: Timestamp;
}

/** One row: this deployment's id, shared by every process that uses this database. */
export interface DeploymentTable {
  id: string;
  created_at: Timestamp;
}

/** Something a channel must be told that no request asked about (the reconciler's findings). */
export interface NoticesTable {
  id: Generated<number>;
  channel: string;
  reply_to: NullableJson<ReplyTarget>;
  instance_id: number | null;
  text: string;
  /** What the notice's buttons do, each a tool call run as whoever clicks (in the channel). */
  actions: NullableJson<NoticeAction[]>;
  acted_at: NullableTimestamp;
  /** Who clicked first: a notice is acted on once. */
  acted_by: string | null;
  created_at: Timestamp;
  /** Set once the platform took the post (not when it was taken from the table). */
  delivered_at: NullableTimestamp;
  /** The bot process posting it now, until `claimed_until`; after a failed post, the retry time. */
  claimed_by: string | null;
  claimed_until: NullableTimestamp;
  /** Posts tried so far; a notice that failed too often stops being retried (`last_error` says why). */
  attempts: Generated<number>;
  last_error: string | null;
  /** The platform's id of the posted message. */
  posted_message: string | null;
}

/** A button under a notice: the call it runs, checked against the tool's schema when clicked. */
export interface NoticeAction {
  label: string;
  tool: string;
  args: Record<string, unknown>;
}

export type ConfirmationState = 'pending' | 'confirmed' | 'declined' | 'expired';

/** A question put to a requester with buttons, and the exact tool call it would run. */
export interface ConfirmationsTable {
  id: string;
  platform: string;
  channel: string;
  /** Platform-qualified user id; only this user's click counts. */
  requester: string;
  requester_name: string;
  question: string;
  tool: string;
  args: Json<Record<string, unknown>>;
  /** The request's context (src/domain/request-context.ts), read back through its schema before a click runs the call as the requester. */
  context: Json<Record<string, unknown>>;
  /** Where the question was posted, so its buttons can be replaced by the outcome. */
  message: NullableJson<ReplyTarget>;
  state: Generated<ConfirmationState>;
  decided_by: string | null;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  decided_at: NullableTimestamp;
}

export interface ConversationTurnsTable {
  id: Generated<string>;
  conversation: string;
  user_text: string;
  assistant_text: string;
  created_at: Generated<Date>;
}

export interface InboundEventsTable {
  key: string;
  received_at: Generated<Date>;
}

/** `deleted`: gone for people at once (not listed, not restorable, never a base); see `purged_at`. */
export type SnapshotState = 'in_progress' | 'complete' | 'failed' | 'deleted';

/** What a snapshot holds, summed up from its manifest when it completes. */

/** A snapshot of an instance's workspace; `snap-<id>` to users. Its manifest is in the storage. */
export interface SnapshotsTable {
  id: Generated<number>;
  operation_id: string;
  instance_id: number;
  name: string | null;
  channel: string;
  requester: string;
  state: Generated<SnapshotState>;
  files: ColumnType<string | null, number | null | undefined, number | null>;
  bytes: ColumnType<string | null, number | null | undefined, number | null>;
  uploaded_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  error: NullableJson<{ code: string; message: string }>;
  created_at: Generated<Date>;
  completed_at: NullableTimestamp;
  /** Null for snapshots taken before contents were summed up. */
  contents: NullableJson<SnapshotContents>;
  deleted_at: NullableTimestamp;
  /** When the storage clean-up removed its manifest and the content no other snapshot needs. */
  purged_at: NullableTimestamp;
}

/** Per instance: how many snapshots to keep and how often to take one. */
export interface SnapshotPoliciesTable {
  id: Generated<number>;
  instance_id: number;
  channel: string;
  /** Who set it last. */
  requester: string;
  /** Where a scheduled snapshot's failure is told. */
  reply_to: NullableJson<ReplyTarget>;
  /** Complete snapshots to keep; 0 keeps all; null follows GPUOPS_SNAPSHOT_KEEP. */
  keep_last: number | null;
  /** Null: no schedule. */
  every_minutes: number | null;
  /** Due times are this plus whole multiples of the interval. */
  schedule_anchor: NullableTimestamp;
  /** The last due time a snapshot was queued for: never twice for one. */
  last_due_at: NullableTimestamp;
  /** The scheduled snapshot last queued, until its outcome has been looked at. */
  last_operation_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A lease on the snapshot storage: shared by snapshots and restores, exclusive for the clean-up. */
export interface StorageLocksTable {
  id: string;
  mode: 'shared' | 'exclusive';
  /** What holds it, for people and logs ("snapshot op-1a2b"). */
  holder: string;
  acquired_at: Generated<Date>;
  expires_at: Timestamp;
}

/** Why a failover ran. */
export type FailoverReason = 'requested' | 'auto' | 'wake' | 'failback';

/** One failover operation: the machine it replaces, the one it rented, and how long it all took. */
export interface FailoversTable {
  id: Generated<number>;
  operation_id: string;
  instance_id: number;
  reason: FailoverReason;
  old_provider_instance_id: string | null;
  old_gpu_name: string;
  old_gpu_count: number;
  old_price_per_hour: number;
  new_provider_instance_id: string | null;
  new_gpu_name: string | null;
  new_price_per_hour: number | null;
  new_offer_id: number | null;
  new_location: string | null;
  /** The snapshot restored onto the replacement. */
  snapshot_id: number | null;
  /** How old the restored data was when the failover began (RPO). */
  data_age_ms: ColumnType<string | null, number | null | undefined, number | null>;
  /** From the failover's start to the instance running again with its data verified (RTO). */
  recovery_ms: ColumnType<string | null, number | null | undefined, number | null>;
  /** Of the recovery time, what went on waiting for the provider (boot, image pull). */
  provider_wait_ms: ColumnType<string | null, number | null | undefined, number | null>;
  /** When the instance's record was moved onto the replacement. */
  moved_at: NullableTimestamp;
  old_released_at: NullableTimestamp;
  created_at: Generated<Date>;
}

/**
 * An auto-pause policy: pause the instance when its GPUs stay under `min_utilization` % for
 * `idle_minutes`. `instance_id` null: the channel's default for its instances without a policy of
 * their own. `enabled` false (instance rows only): this instance is never auto-paused.
 */
export interface IdlePoliciesTable {
  id: Generated<number>;
  channel: string;
  instance_id: number | null;
  enabled: Generated<boolean>;
  /** Null on a disabled row. */
  idle_minutes: number | null;
  min_utilization: number;
  /** Who set it last. */
  created_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/**
 * The idle check's running state of one instance: the current idle episode (since when its GPUs
 * have been under the threshold, the warning, the pause requested for it) and any snooze.
 */
export interface IdleWatchTable {
  instance_id: number;
  /** Start of the current idle episode; null while the GPUs are in use (or not yet sampled). */
  idle_since: NullableTimestamp;
  last_sample_at: NullableTimestamp;
  /** The busiest GPU's utilisation (%) at the last sample. */
  last_utilization: number | null;
  warned_at: NullableTimestamp;
  pause_due_at: NullableTimestamp;
  /** The pause operation requested for this episode, until its outcome has been recorded. */
  pause_operation_id: string | null;
  pause_requested_at: NullableTimestamp;
  /** "keep i-3 running": no auto-pause from `snoozed_at` until `snoozed_until` (null: until told otherwise). */
  snoozed_at: NullableTimestamp;
  snoozed_until: NullableTimestamp;
  snoozed_by: string | null;
  updated_at: Generated<Date>;
}

/** What the health monitor knows of an instance between passes: one row per instance it watched. */
export interface InstanceHealthTable {
  instance_id: number;
  /** Consecutive checks that found the machine unreachable. */
  failures: Generated<number>;
  last_check_at: NullableTimestamp;
  last_ok_at: NullableTimestamp;
  last_error: string | null;
  /** When the machine was judged lost; null while it is healthy. */
  lost_since: NullableTimestamp;
  /** When the channel was told of the loss (once per loss). */
  lost_reported_at: NullableTimestamp;
  /** The automatic failover started for this loss, if any. */
  failover_operation_id: string | null;
  /** When the channel was told how that failover ended. */
  failover_reported_at: NullableTimestamp;
}

/**
 * A standby's state. `creating` and `deleting` last while its operation runs; `ready`: the VM runs
 * with a copy of `synced_snapshot_id` (null until the first sync); `stopped`: GCP stopped the VM
 * (spot) and the next sync starts it; `off`: no VM, nothing bills; `failed`: making or keeping it
 * failed (see `error`), and no VM bills.
 */
/** `serving`: its instance failed over onto it and runs there; it is not synced over meanwhile. */
export type StandbyState = 'creating' | 'ready' | 'stopped' | 'deleting' | 'off' | 'failed' | 'serving';

/** An instance's CPU standby: a Compute Engine VM with a copy of its latest snapshot. */
export interface StandbysTable {
  id: Generated<number>;
  instance_id: number;
  channel: string;
  requester: string;
  /** The operation that last enabled or disabled it. */
  operation_id: string | null;
  vm_name: string;
  zone: string;
  machine_type: string;
  spot: boolean;
  state: StandbyState;
  /** The VM's external address while it runs. */
  nat_ip: string | null;
  synced_snapshot_id: number | null;
  synced_at: NullableTimestamp;
  /** Estimated USD per hour while it exists. */
  hourly_cost: number | null;
  error: NullableJson<{ code: string; message: string }>;
  /** A sync in progress holds the standby until then (a dead worker's hold expires). */
  sync_lease_until: NullableTimestamp;
  /** Which sync holds the lease (renews and releases it). */
  sync_holder: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A job (`j-<id>`): see db/migrations/0014-jobs.ts. */
export interface JobsTable {
  id: Generated<number>;
  owner: string;
  channel: string;
  operation_id: string | null;
  state: Generated<JobState>;
  /** Read back through src/domain/jobs.ts's jobSpecSchema. */
  spec: Json<JobSpec>;
  rerun_of: number | null;
  attempt: Generated<number>;
  /** The run id of the current attempt on its machine (src/cloud/ssh/remote-job.ts). */
  run_id: string | null;
  /** The instance the current attempt runs on. */
  instance_id: number | null;
  /** Every instance the job ran on, the current one last. */
  instance_ids: ColumnType<number[], string | undefined, string>;
  /** How far into the current attempt's log on the machine is safe in storage. */
  remote_offset: ColumnType<string, number | undefined, number>;
  /** The whole log's length in storage, every attempt included. */
  log_bytes: ColumnType<string, number | undefined, number>;
  /** The log's last lines, for chat. */
  log_tail: Generated<string>;
  exit_code: number | null;
  signal: string | null;
  end_message: string | null;
  /**
   * How the job is ending, written before its output is kept and its machine released, so a
   * worker that takes over mid-ending finishes that ending rather than running anything again.
   */
  ending: NullableJson<Record<string, unknown>>;
  /** USD of the attempts that ended (the current one is counted from attempt_started_at). */
  cost: Generated<number>;
  attempt_started_at: NullableTimestamp;
  command_started_at: NullableTimestamp;
  output_synced_at: NullableTimestamp;
  artifacts: NullableJson<JobArtifact[]>;
  cancel_requested_at: NullableTimestamp;
  cancel_requested_by: string | null;
  created_at: Generated<Date>;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  updated_at: Generated<Date>;
}

export interface Database {
  jobs: JobsTable;
  standbys: StandbysTable;
  instance_health: InstanceHealthTable;
  idle_policies: IdlePoliciesTable;
  idle_watch: IdleWatchTable;
  failovers: FailoversTable;
  snapshots: SnapshotsTable;
  snapshot_policies: SnapshotPoliciesTable;
  storage_locks: StorageLocksTable;
  confirmations: ConfirmationsTable;
  conversation_turns: ConversationTurnsTable;
  inbound_events: InboundEventsTable;
  deployment: DeploymentTable;
  notices: NoticesTable;
  instances: InstancesTable;
  operations: OperationsTable;
  audit_log: AuditLogTable;
  recommendations: RecommendationsTable;
}

export type InstanceRow = Selectable<InstancesTable>;
export type JobRow = Selectable<JobsTable>;
export type JobUpdate = Updateable<JobsTable>;
export type NewInstance = Insertable<InstancesTable>;
export type InstanceUpdate = Updateable<InstancesTable>;
export type OperationRow = Selectable<OperationsTable>;
export type NewOperation = Insertable<OperationsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type RecommendationRow = Selectable<RecommendationsTable>;
export type NoticeRow = Selectable<NoticesTable>;
export type ConfirmationRow = Selectable<ConfirmationsTable>;
export type SnapshotRow = Selectable<SnapshotsTable>;
export type StandbyRow = Selectable<StandbysTable>;
export type SnapshotPolicyRow = Selectable<SnapshotPoliciesTable>;
export type FailoverRow = Selectable<FailoversTable>;
export type InstanceHealthRow = Selectable<InstanceHealthTable>;
export type IdlePolicyRow = Selectable<IdlePoliciesTable>;
export type IdleWatchRow = Selectable<IdleWatchTable>;
