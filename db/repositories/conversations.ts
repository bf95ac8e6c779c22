import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.ts';

/** What was said in each chat thread, so any bot process reads a follow-up in its context. */

export interface StoredTurn {
  user: string;
  assistant: string;
}

/** The thread's last `limit` turns, oldest first. */
export async function recentTurns(
  db: Kysely<Database>,
  conversation: string,
  limit: number,
): Promise<StoredTurn[]> {
  const rows = await db
    .selectFrom('conversation_turns')
    .select(['user_text', 'assistant_text'])
    .where('conversation', '=', conversation)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map((r) => ({ user: r.user_text, assistant: r.assistant_text }));
}

/** Stores a turn; returns its id, so an answer still being given can be filled in later. */
export async function addTurn(db: Kysely<Database>, conversation: string, turn: StoredTurn): Promise<string> {
  const row = await db
    .insertInto('conversation_turns')
    .values({ conversation, user_text: turn.user, assistant_text: turn.assistant })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function setTurnAnswer(db: Kysely<Database>, id: string, assistant: string): Promise<void> {
  await db
    .updateTable('conversation_turns')
    .set({ assistant_text: assistant })
    .where('id', '=', id)
    .execute();
}

/** Whether anything was said in this conversation yet (a thread the bot takes part in). */
export async function hasConversation(db: Kysely<Database>, conversation: string): Promise<boolean> {
  const row = await db
    .selectFrom('conversation_turns')
    .select('id')
    .where('conversation', '=', conversation)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Adds what happened since (an operation's end) to the thread's latest turn. */
export async function appendToLatestTurn(
  db: Kysely<Database>,
  conversation: string,
  text: string,
): Promise<void> {
  const latest = await db
    .selectFrom('conversation_turns')
    .select('id')
    .where('conversation', '=', conversation)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest) return;
  await db
    .updateTable('conversation_turns')
    .set((eb) => ({ assistant_text: sql<string>`${eb.ref('assistant_text')} || ${`\n${text}`}` }))
    .where('id', '=', latest.id)
    .execute();
}
