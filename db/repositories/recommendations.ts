import type { Insertable, Kysely } from 'kysely';
import type { Database, RecommendationRow, RecommendationsTable } from '../schema.ts';

/** The advisor's recommendations, newest last; JSON columns go in as text and come out parsed. */

export async function saveRecommendation(
  db: Kysely<Database>,
  values: Insertable<RecommendationsTable>,
): Promise<RecommendationRow> {
  return db.insertInto('recommendations').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * The most recent recommendation no older than `maxAgeMs` given in this conversation (a chat
 * thread), or, for requests without one (the terminal), in the channel outside any thread.
 */
export async function latestRecommendation(
  db: Kysely<Database>,
  where: { channel: string; conversation?: string | undefined },
  maxAgeMs: number,
): Promise<RecommendationRow | undefined> {
  return db
    .selectFrom('recommendations')
    .selectAll()
    .where('channel', '=', where.channel)
    .where((eb) =>
      where.conversation === undefined
        ? eb('conversation', 'is', null)
        : eb('conversation', '=', where.conversation),
    )
    .where('created_at', '>=', new Date(Date.now() - maxAgeMs))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
