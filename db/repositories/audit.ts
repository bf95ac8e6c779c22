import type { Insertable, Kysely } from 'kysely';
import type { AuditLogTable, AuditRow, Database } from '../schema.ts';

/**
 * The audit log: who did what, where, with what outcome and at what price. Append only.
 * `details` is JSON text (`JSON.stringify`) on the way in and a parsed object on the way out.
 */

export async function recordAudit(db: Kysely<Database>, entry: Insertable<AuditLogTable>): Promise<AuditRow> {
  return db.insertInto('audit_log').values(entry).returningAll().executeTakeFirstOrThrow();
}

export interface ListAuditFilter {
  target?: string;
  channel?: string;
  /** Default 50. */
  limit?: number;
}

/** Newest first. */
export async function listAudit(db: Kysely<Database>, filter: ListAuditFilter = {}): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.target !== undefined) query = query.where('target', '=', filter.target);
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel);
  // id breaks ties between entries written in one transaction, which share now().
  return query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50)
    .execute();
}
