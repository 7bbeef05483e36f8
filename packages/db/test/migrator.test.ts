import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { btree_gist } from "@electric-sql/pglite/contrib/btree_gist";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pgConnection, pgliteConnection } from "../src/database.ts";
import { type MigrationSource, migrationsDir, readMigrations } from "../src/migrations-dir.ts";
import { applyMigrations, type MigrationConnection, MigrationError } from "../src/migrator.ts";
import { createThrowawayDatabase, postgresUrl } from "./support/throwaway-postgres.ts";

/**
 * The migrator against every database it has to run on: embedded PGlite (in memory) always, and
 * a real PostgreSQL when TEST_DATABASE_URL is set (one freshly created database per test).
 */

interface Target {
  /** A migration connection on the test database (one session). */
  conn: MigrationConnection;
  /** A second, independent session on the same database; only PostgreSQL has one. */
  openSession?: () => Promise<{ conn: MigrationConnection; release(): void }>;
  close(): Promise<void>;
}

async function openPgliteTarget(): Promise<Target> {
  // The same extensions as the server's embedded database (migrations create pg_trgm).
  const db = await PGlite.create({ extensions: { pg_trgm, btree_gist } });
  return { conn: pgliteConnection(db), close: () => db.close() };
}

async function openPostgresTarget(): Promise<Target> {
  const database = await createThrowawayDatabase("crm_migrator");
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  const client = await pool.connect();
  return {
    conn: pgConnection(client),
    async openSession() {
      const other = await pool.connect();
      return { conn: pgConnection(other), release: () => other.release() };
    },
    async close() {
      client.release();
      await pool.end();
      await database.drop();
    },
  };
}

const targets: [string, () => Promise<Target>][] = [["PGlite", openPgliteTarget]];
if (postgresUrl) targets.push(["PostgreSQL", openPostgresTarget]);

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

const committed = readMigrations();

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function migration(name: string, sql: string): MigrationSource {
  return { name, sql, checksum: sha256(sql) };
}

async function migrationRows(conn: MigrationConnection): Promise<MigrationRow[]> {
  return conn.query<MigrationRow>(`SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name`);
}

async function tableExists(conn: MigrationConnection, table: string): Promise<boolean> {
  const [row] = await conn.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [`public."${table}"`]);
  return row?.found != null;
}

it("finds the committed migrations in prisma/migrations", () => {
  expect(committed.length).toBeGreaterThan(0);
  for (const m of committed) {
    expect(m.name).toMatch(/^\d{14}_\w+$/);
    expect(m.checksum).toBe(sha256(readFileSync(path.join(migrationsDir, m.name, "migration.sql"), "utf8")));
  }
  expect(committed.map((m) => m.name)).toEqual(committed.map((m) => m.name).sort());
});

describe.each(targets)("applyMigrations on %s", (kind, open) => {
  let target: Target;
  beforeEach(async () => {
    target = await open();
  });
  afterEach(async () => {
    await target?.close();
  });

  it("applies every committed migration to an empty database and records it like Prisma", async () => {
    const report = await applyMigrations(target.conn);
    expect(report).toEqual({ applied: committed.map((m) => m.name), alreadyApplied: 0, modified: [] });

    const rows = await migrationRows(target.conn);
    expect(rows.map((row) => row.migration_name)).toEqual(committed.map((m) => m.name));
    for (const row of rows) {
      const source = readFileSync(path.join(migrationsDir, row.migration_name, "migration.sql"), "utf8");
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.checksum).toBe(sha256(source));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at?.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    // The schema really is there.
    for (const table of ["Organization", "User", "Lead", "AuditLog"]) expect(await tableExists(target.conn, table)).toBe(true);
  });

  it("applies nothing on a second run", async () => {
    await applyMigrations(target.conn);
    const before = await migrationRows(target.conn);

    const report = await applyMigrations(target.conn);
    expect(report).toEqual({ applied: [], alreadyApplied: committed.length, modified: [] });
    expect(await migrationRows(target.conn)).toEqual(before);
  });

  it("applies an explicit list in the order given, then only what is new", async () => {
    const first = migration("20990101000000_first", `CREATE TABLE "mig_a" ("id" INTEGER PRIMARY KEY);`);
    // Only works after `first`: the order is the list's.
    const second = migration(
      "20990101000001_second",
      `ALTER TABLE "mig_a" ADD COLUMN "name" TEXT; CREATE TABLE "mig_b" ("id" INTEGER);`,
    );
    const third = migration("20990101000002_third", `INSERT INTO "mig_a" ("id", "name") VALUES (1, 'one');`);

    expect(await applyMigrations(target.conn, [first, second])).toEqual({
      applied: [first.name, second.name],
      alreadyApplied: 0,
      modified: [],
    });
    expect(await applyMigrations(target.conn, [first, second, third])).toEqual({
      applied: [third.name],
      alreadyApplied: 2,
      modified: [],
    });
    const rows = await migrationRows(target.conn);
    expect(rows.map((row) => [row.migration_name, row.checksum])).toEqual(
      [first, second, third].map((m) => [m.name, m.checksum]),
    );
    expect(await target.conn.query(`SELECT "id", "name" FROM "mig_a"`)).toEqual([{ id: 1, name: "one" }]);
  });

  it("reports an applied migration whose file changed since, without re-running it", async () => {
    const original = migration("20990101000000_first", `CREATE TABLE "mig_a" ("id" INTEGER);`);
    await applyMigrations(target.conn, [original]);
    const edited = migration(original.name, `${original.sql}\n-- edited afterwards`);

    expect(await applyMigrations(target.conn, [edited])).toEqual({ applied: [], alreadyApplied: 1, modified: [original.name] });
    expect((await migrationRows(target.conn)).map((row) => row.checksum)).toEqual([original.checksum]);
  });

  it("rolls a failing migration back completely, records nothing for it and keeps the previous one", async () => {
    const good = migration("20990101000000_good", `CREATE TABLE "mig_good" ("id" INTEGER);`);
    const bad = migration(
      "20990101000001_bad",
      `CREATE TABLE "mig_partial" ("id" INTEGER);
       INSERT INTO "mig_good" ("id") VALUES (1);
       ALTER TABLE "mig_missing" ADD COLUMN "x" INTEGER;`,
    );
    const after = migration("20990101000002_after", `CREATE TABLE "mig_after" ("id" INTEGER);`);

    const error = await applyMigrations(target.conn, [good, bad, after]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migrationName).toBe(bad.name);
    expect((error as MigrationError).message).toContain(bad.name);
    expect((error as MigrationError).message).toMatch(/mig_missing/);

    // Nothing of the failed migration survives: neither its table nor its insert nor a row.
    expect(await tableExists(target.conn, "mig_partial")).toBe(false);
    expect(await target.conn.query(`SELECT * FROM "mig_good"`)).toEqual([]);
    // The run stopped there.
    expect(await tableExists(target.conn, "mig_after")).toBe(false);
    // The migration before it stays applied and recorded.
    expect(await tableExists(target.conn, "mig_good")).toBe(true);
    const rows = await migrationRows(target.conn);
    expect(rows.map((row) => row.migration_name)).toEqual([good.name]);
    expect(rows[0]?.finished_at).toBeInstanceOf(Date);

    // The session is usable again (no transaction left open, lock released) and a fixed file applies.
    const fixed = migration(bad.name, `CREATE TABLE "mig_partial" ("id" INTEGER);`);
    expect(await applyMigrations(target.conn, [good, fixed, after])).toEqual({
      applied: [fixed.name, after.name],
      alreadyApplied: 1,
      modified: [],
    });
  });

  it("refuses to start while another tool's failed migration is recorded as unfinished", async () => {
    await applyMigrations(target.conn);
    await target.conn.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, logs, applied_steps_count)
       VALUES ($1, $2, $3, now(), NULL, 'error: boom', 0)`,
      ["00000000-0000-4000-8000-000000000001", sha256("x"), "20990101000000_half_done"],
    );
    const next = migration("20990101000001_next", `CREATE TABLE "mig_next" ("id" INTEGER);`);

    await expect(applyMigrations(target.conn, [...committed, next])).rejects.toThrow(
      /20990101000000_half_done is recorded as started but not finished.*prisma migrate resolve/s,
    );
    expect(await tableExists(target.conn, "mig_next")).toBe(false);

    // Once resolved as rolled back (what `prisma migrate resolve --rolled-back` does), start-up proceeds.
    await target.conn.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1`, [
      "20990101000000_half_done",
    ]);
    expect((await applyMigrations(target.conn, [...committed, next])).applied).toEqual([next.name]);
  });

  it("re-applies a migration that was resolved as rolled back", async () => {
    const first = migration("20990101000000_first", `CREATE TABLE "mig_a" ("id" INTEGER);`);
    await applyMigrations(target.conn, []); // creates the bookkeeping table only
    await target.conn.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, rolled_back_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), NULL, now(), 0)`,
      ["00000000-0000-4000-8000-000000000002", first.checksum, first.name],
    );

    expect((await applyMigrations(target.conn, [first])).applied).toEqual([first.name]);
    expect(await tableExists(target.conn, "mig_a")).toBe(true);
    const rows = await migrationRows(target.conn);
    expect(rows.filter((row) => row.finished_at !== null).map((row) => row.migration_name)).toEqual([first.name]);
  });

  it.runIf(kind === "PostgreSQL")("applies each migration exactly once when two sessions migrate at the same time", async () => {
    const other = await target.openSession?.();
    if (!other) throw new Error("no second session");
    // A slow last migration widens the window in which the second starter could race the first.
    const slow = migration("20990101000000_slow", `SELECT pg_sleep(0.3); CREATE TABLE "mig_slow" ("id" INTEGER);`);
    const list = [...committed, slow];
    try {
      const [a, b] = await Promise.all([applyMigrations(target.conn, list), applyMigrations(other.conn, list)]);
      expect([...a.applied, ...b.applied].sort()).toEqual(list.map((m) => m.name).sort());
      // One of them did everything, the other found it done.
      expect([a.applied.length, b.applied.length].sort()).toEqual([0, list.length]);
      expect(a.alreadyApplied + b.alreadyApplied).toBe(list.length);
    } finally {
      other.release();
    }
    const counts = await target.conn.query<{ migration_name: string; n: number }>(
      `SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name`,
    );
    expect(counts).toEqual(list.map((m) => ({ migration_name: m.name, n: 1 })));
  });

  it.runIf(kind === "PostgreSQL")("releases the advisory lock after a failure so another session can migrate", async () => {
    const bad = migration("20990101000000_bad", "SELECT * FROM mig_missing;");
    await expect(applyMigrations(target.conn, [bad])).rejects.toBeInstanceOf(MigrationError);
    const other = await target.openSession?.();
    if (!other) throw new Error("no second session");
    try {
      const good = migration("20990101000000_bad", "SELECT 1;");
      expect((await applyMigrations(other.conn, [good])).applied).toEqual([good.name]);
    } finally {
      other.release();
    }
  });
});
