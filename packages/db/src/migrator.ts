import { randomUUID } from "node:crypto";
import { type MigrationSource, readMigrations } from "./migrations-dir.ts";

/** The minimum a database connection must offer to be migrated: one session, multi-statement text. */
export interface MigrationConnection {
  /** Runs one or many statements; parameters are not needed by the migrator. */
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export class MigrationError extends Error {
  constructor(
    readonly migrationName: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Migration ${migrationName} failed and was rolled back: ${reason}`, { cause });
    this.name = "MigrationError";
  }
}

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 72_707_369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
  /** Applied migrations whose file changed since (Prisma's `migrate deploy` does not stop on these either). */
  modified: string[];
}

/**
 * Applies pending migrations in order, each in its own transaction, recorded in Prisma's
 * `_prisma_migrations` table so `prisma migrate deploy/status` run elsewhere agree with us.
 * A session advisory lock serialises concurrent starters; a failing migration is rolled back
 * and stops the run, leaving the database exactly as the previous migration left it.
 */
export async function applyMigrations(
  conn: MigrationConnection,
  migrations: MigrationSource[] = readMigrations(),
): Promise<MigrationReport> {
  await conn.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  try {
    await conn.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await conn.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const live = rows.filter((row) => row.rolled_back_at === null);
    const failed = live.find((row) => row.finished_at === null);
    if (failed) {
      throw new Error(
        `Migration ${failed.migration_name} is recorded as started but not finished (a failed ` +
          "run of another tool). Resolve it with `prisma migrate resolve` before starting.",
      );
    }
    const appliedByName = new Map(live.map((row) => [row.migration_name, row]));
    const report: MigrationReport = { applied: [], alreadyApplied: 0, modified: [] };

    for (const migration of migrations) {
      const applied = appliedByName.get(migration.name);
      if (applied) {
        report.alreadyApplied++;
        if (applied.checksum !== migration.checksum) report.modified.push(migration.name);
        continue;
      }
      await applyOne(conn, migration);
      report.applied.push(migration.name);
    }
    return report;
  } finally {
    await conn.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  }
}

async function applyOne(conn: MigrationConnection, migration: MigrationSource): Promise<void> {
  await conn.exec("BEGIN");
  try {
    await conn.exec(migration.sql);
    await conn.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await conn.exec("COMMIT");
  } catch (error) {
    await conn.exec("ROLLBACK");
    throw new MigrationError(migration.name, error);
  }
}
