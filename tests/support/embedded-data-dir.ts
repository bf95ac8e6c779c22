import { rmSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../../db/database.ts';
import { silentLogger } from '../../src/log.ts';

let template: Promise<string> | undefined;

/**
 * A data folder (GPUOPS_DATA_DIR) whose embedded database is already initialised and migrated,
 * copied from one made once per test process: initdb takes seconds, a copy a few milliseconds.
 * gpuops opens it as it opens any existing data folder (its own migrations find nothing to do,
 * the queue's run as usual). The copy has no deployment id yet, so every gpuops started on one
 * makes its own, as on a new database. Remove the folder when done.
 */
export async function seededDataDir(): Promise<string> {
  template ??= makeTemplate();
  const from = await template;
  const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-seeded-'));
  await cp(path.join(from, 'pglite'), path.join(dir, 'pglite'), { recursive: true });
  return dir;
}

async function makeTemplate(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-template-'));
  const handle = await openDatabase({ dataDir: dir, logger: silentLogger });
  try {
    // The migration seeds the deployment's id; copies must not share one.
    await sql`delete from deployment`.execute(handle.db);
  } finally {
    await handle.close();
  }
  // On exit only synchronous work still runs.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
