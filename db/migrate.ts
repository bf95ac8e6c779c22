import { type Kysely, Migrator } from 'kysely';
import { ErrorCode, GpuopsError } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

/**
 * Brings the database to the latest schema. Safe to run from many processes at once: Kysely's
 * migrator holds a Postgres advisory lock while it applies migrations, so one process migrates
 * and the others find nothing left to do.
 */
export async function migrateToLatest(db: Kysely<Database>, logger: Logger): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const result of results) {
    if (result.status === 'Success') logger.info({ migration: result.migrationName }, 'database migrated');
  }
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    const message = error instanceof Error ? error.message : String(error);
    throw new GpuopsError(ErrorCode.Internal, `Database migration ${failed} failed: ${message}`, {
      cause: error,
      details: { migration: failed },
    });
  }
}
