import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types for Kysely. The migrations in `db/migrations/` create exactly these columns;
 * timestamps are `timestamptz` and come back as Date.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T = unknown> = ColumnType<T, string, string>;
type NullableJson<T = unknown> = ColumnType<T | null, string | null | undefined, string | null>;

/**
 * gpuops's lifecycle state of an instance (the provider's own status is kept beside it).
 * `stopping`, `starting` and `destroying` only last while an operation moves the instance; when
 * it ends, however it ends, the state is settled against the provider (db/instance-states.ts).
 * `failed`: the machine still exists at the provider but is dead (exited, offline); it can only
 * be destroyed. `destroyed`: the provider no longer has the machine; nothing bills.
 */
export type InstanceState =
  | 'provisioning'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'starting'
  | 'failed'
  | 'destroying'
  | 'destroyed';

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
}

export type OperationKind = 'deploy' | 'pause' | 'resume' | 'destroy' | 'snapshot' | 'restore';
export type OperationState = 'queued' | 'running' | 'succeeded' | 'failed';

/** Where a job's progress and result should be posted: opaque to everything but the bots. */
export interface ReplyTarget {
  surface: string;
  channel: string;
  /** The workspace (Slack team) or guild the channel is in. */
  workspace?: string;
  thread?: string;
  /** The progress message, once posted (its id on the platform). */
  message?: string;
}

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
  /** The last progress view the job reported (see src/jobs/progress.ts). */
  progress: NullableJson<Record<string, unknown>>;
  attempts: Generated<number>;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  result: NullableJson<Record<string, unknown>>;
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
  created_at: Timestamp;
  delivered_at: NullableTimestamp;
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
  /** The request's context (src/tools RequestContext), to run the call as the requester. */
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

export type SnapshotState = 'in_progress' | 'complete' | 'failed';

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
}

export interface Database {
  snapshots: SnapshotsTable;
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
export type NewInstance = Insertable<InstancesTable>;
export type InstanceUpdate = Updateable<InstancesTable>;
export type OperationRow = Selectable<OperationsTable>;
export type NewOperation = Insertable<OperationsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type RecommendationRow = Selectable<RecommendationsTable>;
export type NoticeRow = Selectable<NoticesTable>;
export type ConfirmationRow = Selectable<ConfirmationsTable>;
export type SnapshotRow = Selectable<SnapshotsTable>;
