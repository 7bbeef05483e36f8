export { type Database, type DatabaseKind, type DatabaseOptions, openDatabase } from "./database.ts";
export * from "./generated/prisma/client.ts";
export { applyMigrations, type MigrationReport, MigrationError } from "./migrator.ts";
