export {
  type Database,
  type DatabaseKind,
  type DatabaseOptions,
  DEFAULT_POOL,
  openDatabase,
  type PoolOptions,
} from "./database.ts";
export { DatabaseBusyError, type DatabaseFault, type DatabaseFaultKind, databaseFault } from "./faults.ts";
export * from "./generated/prisma/client.ts";
export { applyMigrations, MigrationError, type MigrationReport } from "./migrator.ts";
export { DataDirLockedError } from "./pglite-lock.ts";
export { DatabaseUnreachableError, type WaitForDatabaseOptions, waitForDatabase } from "./startup.ts";
