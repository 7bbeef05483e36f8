import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { btree_gist } from "@electric-sql/pglite/contrib/btree_gist";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { DatabaseBusyError } from "./faults.ts";
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
  /**
   * Called with each error of a pooled connection that no query was waiting on (the database
   * ended it: a restart, a failover, `pg_terminate_backend`). The connection is already dropped;
   * the next query opens a new one.
   */
  onConnectionError(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

/** The PostgreSQL pool and how it bounds the wait for a connection. */
export interface PoolOptions {
  /** Connections. */
  poolSize?: number;
  /** Queries that may wait for a busy pool; past it a query fails at once with DatabaseBusyError. */
  poolQueueLimit?: number;
  /** Longest wait for a connection, queued or being opened; past it the query fails. */
  poolQueueTimeoutMs?: number;
}

export const DEFAULT_POOL: Required<PoolOptions> = { poolSize: 10, poolQueueLimit: 1000, poolQueueTimeoutMs: 5000 };

export type DatabaseOptions =
  | ({ kind: "postgres"; url: string } & PoolOptions)
  /** `dataDir` undefined means an in-memory database (tests). */
  | { kind: "pglite"; dataDir?: string; loadDataDir?: Blob };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.kind === "postgres"
    ? openPostgres(options.url, {
        poolSize: options.poolSize ?? DEFAULT_POOL.poolSize,
        poolQueueLimit: options.poolQueueLimit ?? DEFAULT_POOL.poolQueueLimit,
        poolQueueTimeoutMs: options.poolQueueTimeoutMs ?? DEFAULT_POOL.poolQueueTimeoutMs,
      })
    : openPglite(options.dataDir, options.loadDataDir);
}

type CheckoutCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/** pg-pool's error when a queued checkout outlives `connectionTimeoutMillis`. */
const QUEUE_TIMEOUT_MESSAGE = "timeout exceeded when trying to connect";

/**
 * A pg.Pool whose wait for a connection is bounded in length (`queueLimit` waiting checkouts) as
 * well as in time (`connectionTimeoutMillis`); both give a DatabaseBusyError. `@prisma/adapter-pg`
 * checks out through `connect()` for every query and transaction, so this bounds them all.
 */
class BoundedPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly queueLimit: number,
  ) {
    super(config);
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: CheckoutCallback): void;
  override connect(callback?: CheckoutCallback): Promise<pg.PoolClient> | undefined {
    const queued = this.idleCount === 0 && this.totalCount >= (this.options.max ?? 10);
    if (queued && this.waitingCount >= this.queueLimit) {
      const error = new DatabaseBusyError(
        `all ${this.totalCount} connections are in use and ${this.waitingCount} queries are waiting for one`,
      );
      if (!callback) return Promise.reject(error);
      process.nextTick(() => callback(error, undefined, () => {}));
      return undefined;
    }
    const busyIfTimedOut = (error: Error) =>
      queued && error.message === QUEUE_TIMEOUT_MESSAGE
        ? new DatabaseBusyError(`no connection came free within ${this.options.connectionTimeoutMillis} ms`)
        : error;
    if (!callback) {
      return super.connect().catch((error: Error) => {
        throw busyIfTimedOut(error);
      });
    }
    super.connect((error, client, done) => callback(error ? busyIfTimedOut(error) : undefined, client, done));
    return undefined;
  }
}

function openPostgres(url: string, poolOptions: Required<PoolOptions>): Database {
  const pool = new BoundedPool(
    { connectionString: url, max: poolOptions.poolSize, connectionTimeoutMillis: poolOptions.poolQueueTimeoutMs },
    poolOptions.poolQueueLimit,
  );
  const listeners: ((error: Error) => void)[] = [];
  const reportConnectionError = (error: Error) => {
    for (const listener of listeners) listener(error);
  };
  // Without a listener, an error event (PostgreSQL ending the connection) would crash the process:
  // the pool emits one for an idle connection, and a checked-out client emits its own, also in the
  // moment between checkout and the adapter attaching a listener (node-postgres issue 2762).
  pool.on("error", reportConnectionError);
  pool.on("connect", (client) => client.on("error", () => {}));
  // The pool's own bound answers first: a transaction waits for a connection a little longer
  // than the pool lets it wait, so the pool's DatabaseBusyError says why instead of Prisma's
  // "Unable to start a transaction in the given time".
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    transactionOptions: { maxWait: poolOptions.poolQueueTimeoutMs + 1000 },
  });
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
    onConnectionError(listener) {
      listeners.push(listener);
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** A PostgreSQL array literal of text items: `{"a","b \\"c\\""}`. */
function arrayLiteral(items: unknown[]): string {
  return `{${items.map((item) => (item === null || item === undefined ? "NULL" : `"${String(item).replace(/[\\"]/g, "\\$&")}"`)).join(",")}}`;
}

/**
 * PGlite serializes a parameter of a type it has no serializer for with `toString()`, so an array
 * of enum values (`"types" && $1`) reaches PostgreSQL as `customer,vendor`, a malformed array
 * literal. The array types of the database's enums get a serializer (again after each migration,
 * which may create enums).
 */
async function serializeEnumArrays(pglite: PGlite): Promise<void> {
  const { rows } = await pglite.query<{ oid: number }>(`SELECT "typarray" AS "oid" FROM "pg_type" WHERE "typtype" = 'e'`);
  for (const { oid } of rows) pglite.serializers[oid] = (value) => (Array.isArray(value) ? arrayLiteral(value) : String(value));
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
    const pglite = await PGlite.create({ dataDir: directory, extensions: { pg_trgm, btree_gist }, loadDataDir });
    await serializeEnumArrays(pglite);
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    return {
      kind: "pglite",
      prisma,
      async migrate() {
        const report = await applyMigrations(pgliteConnection(pglite));
        await serializeEnumArrays(pglite);
        return report;
      },
      async ping() {
        await pglite.query("SELECT 1");
      },
      onConnectionError() {},
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
