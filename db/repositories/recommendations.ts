import type { Insertable, Kysely } from 'kysely';
import type { Database, RecommendationRow, RecommendationsTable } from '../schema.ts';

/** The advisor's recommendations, newest last; JSON columns go in as text and come out parsed. */

export async function saveRecommendation(
  db: Kysely<Database>,
  values: Insertable<RecommendationsTable>,
): Promise<RecommendationRow> {
  return db.insertInto('recommendations').values(values).returningAll().executeTakeFirstOrThrow();
}

/** The channel's most recent recommendation no older than `maxAgeMs`. */
export async function latestRecommendation(
  db: Kysely<Database>,
  channel: string,
  maxAgeMs: number,
): Promise<RecommendationRow | undefined> {
  return db
    .selectFrom('recommendations')
    .selectAll()
    .where('channel', '=', channel)
    .where('created_at', '>=', new Date(Date.now() - maxAgeMs))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
