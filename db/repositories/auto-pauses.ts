import { type Insertable, type Kysely, sql } from 'kysely';
import type { AuditLogTable, Database } from '../schema.ts';
import { recordAudit } from './audit.ts';

/**
 * Automatic pauses, as the audit log records them: an `auto-pause` entry when the idle check's
 * pause has stopped the machine (its price per hour and when), and an `auto-pause-ended` entry
 * once the instance is resumed or destroyed, with the money the pause saved. Both name the pause
 * operation in `details.operation`.
 */

export const AUTO_PAUSE_ACTION = 'auto-pause';
export const AUTO_PAUSE_ENDED_ACTION = 'auto-pause-ended';
/** How the idle check is named as the actor of what it does. */
export const AUTO_PAUSE_ACTOR = 'gpuops auto-pause';

/** Audit actions after which an instance paused by gpuops is no longer simply paused. */
const ENDING_ACTIONS = [
  'resume',
  'destroy',
  'reconcile',
  'failover',
  'restore',
  'destroy-orphan',
  'hibernate',
] as const;

export interface AutoPause {
  operationId: string;
  /** "i-3" */
  instance: string;
  channel: string;
  pricePerHour: number;
  /** What the machine's disk cost per hour, which bills paused too (0 when the provider did not say). */
  diskPerHour: number;
  pausedAt: Date;
  /** Null while it is still paused. */
  endedAt: Date | null;
  /** What ended it: "resume", "destroy", ... */
  endedBy: string | null;
}

interface AutoPauseDetails {
  operation: string;
  paused_at: string;
  disk_per_hour?: number;
  idle_since?: string;
  idle_minutes?: number;
  min_utilization?: number;
}

interface AutoPauseEndedDetails {
  operation: string;
  paused_at: string;
  ended_at: string;
  ended_by: string;
  hours: number;
  saved_usd: number;
}

/** Records that the idle check's pause stopped the machine. */
export async function recordAutoPause(
  db: Kysely<Database>,
  entry: {
    instance: string;
    channel: string;
    pricePerHour: number;
    diskPerHour: number | null;
    operationId: string;
    pausedAt: Date;
    idleSince: Date | null;
    idleMinutes: number | null;
    minUtilization: number | null;
  },
): Promise<void> {
  const details: AutoPauseDetails = {
    operation: entry.operationId,
    paused_at: entry.pausedAt.toISOString(),
    ...(entry.diskPerHour !== null && { disk_per_hour: entry.diskPerHour }),
    ...(entry.idleSince && { idle_since: entry.idleSince.toISOString() }),
    ...(entry.idleMinutes !== null && { idle_minutes: entry.idleMinutes }),
    ...(entry.minUtilization !== null && { min_utilization: entry.minUtilization }),
  };
  await recordOnce(db, {
    actor: AUTO_PAUSE_ACTOR,
    action: AUTO_PAUSE_ACTION,
    target: entry.instance,
    channel: entry.channel,
    outcome: 'ok',
    price_per_hour: entry.pricePerHour,
    details: JSON.stringify(details),
  });
}

/** Appends the entry unless the one of the same action and operation is there (a unique index says). */
async function recordOnce(db: Kysely<Database>, entry: Insertable<AuditLogTable>): Promise<void> {
  try {
    await recordAudit(db, entry);
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
  }
}

/**
 * Money an auto-pause saved over a stretch of time: the machine's price per hour less its disk
 * (which bills paused too), times the hours.
 */
export function savedUsd(
  pause: Pick<AutoPause, 'pricePerHour' | 'diskPerHour'>,
  fromMs: number,
  toMs: number,
): number {
  const perHour = Math.max(0, pause.pricePerHour - pause.diskPerHour);
  return (perHour * Math.max(0, toMs - fromMs)) / 3_600_000;
}

/** Records the end of an auto-pause with what it saved; once per pause. */
export async function recordAutoPauseEnded(db: Kysely<Database>, pause: AutoPause): Promise<void> {
  if (pause.endedAt === null || pause.endedBy === null) return;
  const ms = pause.endedAt.getTime() - pause.pausedAt.getTime();
  const details: AutoPauseEndedDetails = {
    operation: pause.operationId,
    paused_at: pause.pausedAt.toISOString(),
    ended_at: pause.endedAt.toISOString(),
    ended_by: pause.endedBy,
    hours: Math.round((ms / 3_600_000) * 1e4) / 1e4,
    saved_usd: Math.round(savedUsd(pause, 0, ms) * 1e4) / 1e4,
  };
  await recordOnce(db, {
    actor: AUTO_PAUSE_ACTOR,
    action: AUTO_PAUSE_ENDED_ACTION,
    target: pause.instance,
    channel: pause.channel,
    outcome: 'ok',
    price_per_hour: pause.pricePerHour,
    details: JSON.stringify(details),
  });
}

/**
 * Auto-pauses of a channel (every channel when none is given) that were still paused at `since`
 * or began after it, oldest first, each with its end: the recorded one, else the first later
 * entry that resumed, destroyed or otherwise moved the instance, else none (still paused).
 */
export async function listAutoPauses(
  db: Kysely<Database>,
  filter: { channel?: string; since?: Date; openOnly?: boolean } = {},
): Promise<AutoPause[]> {
  let query = db
    .selectFrom('audit_log as p')
    .leftJoin('audit_log as e', (join) =>
      join
        .on('e.action', '=', AUTO_PAUSE_ENDED_ACTION)
        .on(sql<boolean>`e.details->>'operation' = p.details->>'operation'`),
    )
    .select(['p.target', 'p.channel', 'p.price_per_hour', 'p.details', 'e.details as ended'])
    .where('p.action', '=', AUTO_PAUSE_ACTION)
    .where('p.outcome', '=', 'ok');
  if (filter.channel !== undefined) query = query.where('p.channel', '=', filter.channel);
  if (filter.openOnly) query = query.where('e.id', 'is', null);
  if (filter.since !== undefined) {
    const since = filter.since.toISOString();
    query = query.where((eb) =>
      eb.or([eb('e.id', 'is', null), eb(sql<string>`(e.details->>'ended_at')::timestamptz`, '>=', since)]),
    );
  }
  const rows = await query.orderBy('p.at').orderBy('p.id').execute();
  const pauses: AutoPause[] = [];
  for (const row of rows) {
    const details = row.details as unknown as AutoPauseDetails;
    const ended = row.ended as unknown as AutoPauseEndedDetails | null;
    const pause: AutoPause = {
      operationId: details.operation,
      instance: row.target ?? '?',
      channel: row.channel,
      pricePerHour: row.price_per_hour ?? 0,
      diskPerHour: details.disk_per_hour ?? 0,
      pausedAt: new Date(details.paused_at),
      endedAt: ended ? new Date(ended.ended_at) : null,
      endedBy: ended ? ended.ended_by : null,
    };
    if (!ended) {
      const end = await findPauseEnd(db, pause);
      if (end) {
        pause.endedAt = end.at;
        pause.endedBy = end.action;
      }
    }
    pauses.push(pause);
  }
  return pauses;
}

/** What ended an open auto-pause, if anything has: the first later entry that moved the instance. */
async function findPauseEnd(
  db: Kysely<Database>,
  pause: AutoPause,
): Promise<{ at: Date; action: string } | undefined> {
  const entry = await db
    .selectFrom('audit_log')
    .select(['at', 'action'])
    .where('target', '=', pause.instance)
    .where('channel', '=', pause.channel)
    .where('action', 'in', ENDING_ACTIONS)
    .where('outcome', 'in', ['requested', 'ok'])
    .where('at', '>', pause.pausedAt)
    .orderBy('at')
    .orderBy('id')
    .executeTakeFirst();
  if (entry) return { at: entry.at, action: entry.action };
  // No entry says so, yet the record has moved on (its machine vanished unseen): it ended when
  // the record last changed.
  const id = Number(pause.instance.replace(/^i-/, ''));
  if (!Number.isInteger(id)) return undefined;
  const instance = await db
    .selectFrom('instances')
    .select(['state', 'updated_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!instance) return { at: pause.pausedAt, action: 'removed' };
  if (instance.state === 'stopped' || instance.state === 'stopping') return undefined;
  return {
    at: new Date(Math.max(instance.updated_at.getTime(), pause.pausedAt.getTime())),
    action: instance.state,
  };
}
