import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client.ts";
import { applyMigrations, type MigrationConnection, type MigrationReport } from "./migrator.ts";
import { lockDataDir } from "./pglite-lock.ts";

export type DatabaseKind = "postgres" | "pglite";

export interface Database {
  readonly kind: DatabaseKind;
  readonly prisma: PrismaClient;
  /** Applies pending migrations (idempotent, safe to call from several processes at once). */
  migrate(): Promise<MigrationReport>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { kind: "postgres"; url: string; poolSize?: number }
  /** `dataDir` undefined means an in-memory database (tests). */
  | { kind: "pglite"; dataDir?: string; loadDataDir?: Blob };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.kind === "postgres"
    ? openPostgres(options.url, options.poolSize)
    : openPglite(options.dataDir, options.loadDataDir);
}

function openPostgres(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    prisma,
    async migrate() {
      const client = await pool.connect();
      try {
        return await applyMigrations(pgConnection(client));
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<Database> {
  let unlock = () => {};
  let directory: string | undefined;
  if (dataDir) {
    directory = path.resolve(dataDir, "pglite");
    mkdirSync(directory, { recursive: true });
    unlock = lockDataDir(directory);
  }
  try {
    const pglite = await PGlite.create({ dataDir: directory, extensions: { pg_trgm }, loadDataDir });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    return {
      kind: "pglite",
      prisma,
      migrate: () => applyMigrations(pgliteConnection(pglite)),
      async ping() {
        await pglite.query("SELECT 1");
      },
      async close() {
        await prisma.$disconnect();
        await pglite.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

export function pgConnection(client: pg.ClientBase): MigrationConnection {
  return {
    async exec(sql) {
      await client.query(sql);
    },
    async query<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as T[];
    },
  };
}

export function pgliteConnection(pglite: PGlite): MigrationConnection {
  return {
    async exec(sql) {
      await pglite.exec(sql);
    },
    async query<T>(sql: string, params?: unknown[]) {
      return (await pglite.query<T>(sql, params)).rows;
    },
  };
}
