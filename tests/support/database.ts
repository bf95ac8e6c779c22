import { afterEach } from 'vitest';
import { createDatabaseSnapshot, type DatabaseHandle, openDatabase } from '../../db/database.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../db/embedded-postgres.ts';
import { silentLogger } from '../../src/log.ts';
import { freshPostgresDatabase } from './postgres.ts';

export type TestDatabaseKind = DatabaseHandle['kind'];

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Closes the handle and throws the data away (drops the PostgreSQL database). */
  cleanup(): Promise<void>;
}

let snapshot: Promise<Blob> | undefined;

/**
 * A migrated, empty embedded database as a tarball, made once per test process: initdb takes
 * seconds, and `openDatabase({ snapshot })` (in memory or in a new data folder) starts from this
 * in well under one.
 */
export function embeddedSnapshot(): Promise<Blob> {
  snapshot ??= createDatabaseSnapshot();
  return snapshot;
}

/** A migrated, empty database of either kind, private to the caller. */
export async function openTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ snapshot: await embeddedSnapshot(), logger: silentLogger });
    return { handle, cleanup: () => handle.close() };
  }
  const fresh = await freshPostgresDatabase();
  try {
    const handle = await openDatabase({ databaseUrl: fresh.url, logger: silentLogger });
    return {
      handle,
      async cleanup() {
        try {
          await handle.close();
        } finally {
          await fresh.drop();
        }
      },
    };
  } catch (err) {
    await fresh.drop();
    throw err;
  }
}

/**
 * Starts embedded databases for a suite (a migrated, empty one per call, served on its private
 * socket) and stops every one of them after each test.
 */
export function useEmbeddedPostgres(): () => Promise<EmbeddedPostgres> {
  const started: EmbeddedPostgres[] = [];
  afterEach(async () => {
    for (const embedded of started.splice(0).reverse()) await embedded.stop();
  });
  return async () => {
    const embedded = await startEmbeddedPostgres({ snapshot: await embeddedSnapshot() });
    started.push(embedded);
    return embedded;
  };
}
