export { type Database, type DatabaseKind, type DatabaseOptions, openDatabase } from "./database.ts";
export * from "./generated/prisma/client.ts";
export { applyMigrations, MigrationError, type MigrationReport } from "./migrator.ts";
export { DataDirLockedError } from "./pglite-lock.ts";
