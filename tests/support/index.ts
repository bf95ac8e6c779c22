/** Helpers every suite can use: real databases and queues, unique names, polling, the gpuops bin. */
export { ensureBuilt, GPUOPS_BIN, GPUOPS_DEV_BIN } from './cli.ts';
export {
  embeddedSnapshot,
  openTestDatabase,
  type TestDatabase,
  type TestDatabaseKind,
  useEmbeddedPostgres,
} from './database.ts';
export { type FreshPostgresDatabase, freshPostgresDatabase, TEST_POSTGRES_ADMIN_URL } from './postgres.ts';
export {
  dropRedisPrefix,
  openTestBackends,
  TEST_REDIS_URL,
  type TestBackendCombo,
  type TestBackends,
  testBackends,
  uniquePrefix,
  uniqueQueueName,
} from './queue.ts';
export { type WaitForOptions, waitFor } from './wait.ts';
