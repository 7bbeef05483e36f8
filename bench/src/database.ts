import { randomBytes } from "node:crypto";
import { openDatabase } from "@crm/db";
import pg from "pg";
import {
  COMPANY_PREFIXES,
  COMPANY_SUFFIXES,
  FIRST_NAMES,
  INTERESTS,
  JOB_TITLES,
  LAST_NAMES,
  SEED_SPACING_SECONDS,
  SOURCES,
  STATUS_BANDS,
  TAGS,
  VERTICALS,
} from "./data.ts";

const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export interface BenchDatabase {
  name: string;
  url: string;
  adminUrl: string;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on the server of DATABASE_URL (or the local one), migrated by the project's migrator. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const adminUrl = withDatabase(process.env.DATABASE_URL ?? DEFAULT_SERVER_URL, "postgres");
  const name = `crm_bench_${randomBytes(4).toString("hex")}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(adminUrl, name);
  const database = await openDatabase({ kind: "postgres", url, poolSize: 1 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  return { name, url, adminUrl };
}

export async function dropBenchDatabase(database: BenchDatabase): Promise<void> {
  await withClient(database.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`));
}

export function query<Row extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  return withClient(url, async (client) => (await client.query<Row>(sql, params)).rows);
}

/** PostgreSQL backends serving the database of `url` (other than the one asking). */
export async function backendPids(url: string): Promise<number[]> {
  const rows = await query<{ pid: number }>(
    url,
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  return rows.map((row) => row.pid);
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
const textArray = (values: readonly string[]) => `ARRAY[${values.map(literal).join(",")}]::text[]`;

/** `array[1 + hash % length]`: a pick from `values` by one of the row's hash columns. */
const pick = (values: readonly string[], hash: string) => `(${textArray(values)})[1 + ${hash} % ${values.length}]`;

function statusCase(hash: string): string {
  const bands = STATUS_BANDS.map(([upTo, status]) => `WHEN ${hash} % 100 < ${upTo} THEN ${literal(status)}`);
  return `(CASE ${bands.join(" ")} END)::"LeadStatus"`;
}

/**
 * Lead `i` of the seed, in SQL: varied names, emails, companies, statuses, sources, tags and
 * creation times (lead 1 newest, then one every SEED_SPACING_SECONDS), with the searchText the
 * migration `lead_full_model` computes. Ids are UUIDv7-shaped from the creation time, as the app
 * writes them. Every field comes from md5(i), so a run is reproducible.
 */
function seedSelect(): string {
  return `
    SELECT
      (substr(t.ms, 1, 8) || '-' || substr(t.ms, 9, 4) || '-7' || substr(g.h, 1, 3) || '-' ||
        substr('89ab', 1 + g.i % 4, 1) || substr(g.h, 4, 3) || '-' || substr(g.h, 7, 12))::uuid,
      $1::uuid,
      v.first, v.last, v.email, v.phone, v.company, v.job, v.vertical,
      CASE WHEN r.r4 % 10 = 0 THEN 'https://' || v.domain END,
      CASE WHEN r.r4 % 4 = 1 THEN ARRAY[${pick(INTERESTS, "r.r3")}] ELSE '{}'::text[] END,
      ${pick(SOURCES, "r.r3")}::"LeadSource",
      v.status,
      r.r1 % 101,
      jsonb_build_array(
        jsonb_build_object('rule', 'source', 'points', 10, 'reason', 'source: ' || ${pick(SOURCES, "r.r3")}),
        jsonb_build_object('rule', 'company', 'points', 10, 'reason', 'company name given')
      ),
      round((r.r2 % 100) / 100.0, 2)::float8,
      CASE WHEN r.r3 % 3 = 0 THEN $2::uuid END,
      CASE WHEN r.r4 % 5 = 0 THEN g.created + interval '2 days' END,
      CASE WHEN r.r4 % 7 = 0 THEN g.created + interval '14 days' END,
      r.r1 % 4,
      CASE WHEN r.r4 % 4 = 0
        THEN ARRAY[${pick(TAGS, "r.r2")}, ${pick(TAGS, `(r.r2 + 1 + r.r3 % ${TAGS.length - 1})`)}] ELSE '{}'::text[] END,
      r.r4 % 50 <> 0,
      CASE WHEN r.r2 % 20 = 0 THEN 'Met at the trade fair; wants a demo next quarter.' END,
      lower(concat_ws(' ', v.first, v.last, v.email, v.phone, v.company)),
      $2::uuid, $2::uuid,
      g.created,
      g.created + (r.r2 % 86400) * interval '1 second',
      CASE WHEN r.r1 % 100 = 99 THEN g.created + interval '1 day' END
    FROM (
      SELECT i, md5(i::text) AS h, $3::timestamptz - (i - 1) * interval '${SEED_SPACING_SECONDS} seconds' AS created
      FROM generate_series($4::int, $5::int) AS i
    ) g
    CROSS JOIN LATERAL (SELECT lpad(to_hex((extract(epoch FROM g.created) * 1000)::bigint), 12, '0') AS ms) t
    CROSS JOIN LATERAL (
      SELECT
        ('x' || substr(g.h, 1, 8))::bit(32)::bigint & 2147483647 AS r1,
        ('x' || substr(g.h, 9, 8))::bit(32)::bigint & 2147483647 AS r2,
        ('x' || substr(g.h, 17, 8))::bit(32)::bigint & 2147483647 AS r3,
        ('x' || substr(g.h, 25, 8))::bit(32)::bigint & 2147483647 AS r4
    ) r
    CROSS JOIN LATERAL (
      SELECT
        ${pick(FIRST_NAMES, "r.r1")} AS first,
        CASE WHEN r.r2 % 20 = 0 THEN NULL ELSE ${pick(LAST_NAMES, "(r.r1 / 64)")} END AS last,
        CASE WHEN r.r3 % 10 = 0 THEN NULL
          ELSE ${pick(COMPANY_PREFIXES, "r.r2")} || ' ' || ${pick(COMPANY_SUFFIXES, "(r.r2 / 64)")} END AS company,
        lower(${pick(FIRST_NAMES, "r.r1")} || '.' || ${pick(LAST_NAMES, "(r.r1 / 64)")} || '.' || g.i || '@' ||
          lower(${pick(COMPANY_PREFIXES, "r.r2")} || ${pick(COMPANY_SUFFIXES, "(r.r2 / 64)")}) || '.example') AS email,
        lower(${pick(COMPANY_PREFIXES, "r.r2")} || ${pick(COMPANY_SUFFIXES, "(r.r2 / 64)")}) || '.example' AS domain,
        CASE WHEN r.r4 % 5 = 0 THEN NULL
          WHEN g.i % 2 = 0 THEN '+44207946' || lpad((g.i % 1000)::text, 4, '0')
          ELSE '+61491570' || lpad((g.i % 1000)::text, 3, '0') END AS phone,
        CASE WHEN r.r3 % 6 = 0 THEN NULL ELSE ${pick(JOB_TITLES, "(r.r3 / 8)")} END AS job,
        CASE WHEN r.r4 % 3 = 0 THEN NULL ELSE ${pick(VERTICALS, "(r.r4 / 8)")} END AS vertical,
        ${statusCase("(r.r3 / 16)")} AS status
    ) v`;
}

// biome-ignore format: one column per SELECT expression of seedSelect, in order
const SEED_COLUMNS = [
  "id", "organizationId", "firstName", "lastName", "email", "phone", "companyName", "jobTitle", "vertical", "website",
  "interests", "source", "status", "score", "scoreBreakdown", "conversionProbability", "assignedToId", "lastContactedAt",
  "nextFollowUpAt", "callAttempts", "tags", "isActive", "notes", "searchText", "createdById", "updatedById", "createdAt",
  "updatedAt", "deletedAt",
];

export interface SeedResult {
  /** Creation time of lead 1, the newest; lead i was created (i - 1) × SEED_SPACING_SECONDS earlier. */
  newest: Date;
  seconds: { insert: number; indexes: number; analyze: number };
}

/** Runs `tasks` on `workers` connections at once, each connection taking the next task when free. */
async function onConnections<T>(url: string, workers: number, tasks: T[], run: (client: pg.Client, task: T) => Promise<void>) {
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: workers }, () =>
      withClient(url, async (client) => {
        await client.query("SET maintenance_work_mem = '512MB'");
        for (let task = queue.shift(); task !== undefined; task = queue.shift()) await run(client, task);
      }),
    ),
  );
}

/**
 * Seeds `rows` leads into one organization as fast as PostgreSQL allows: the secondary indexes of
 * "Lead" are dropped, the rows inserted by INSERT ... SELECT FROM generate_series in batches on two
 * connections (one per core), then the indexes rebuilt from their own definitions, two at a time,
 * and the table vacuumed and analyzed.
 */
export async function seedLeads(
  url: string,
  target: { organizationId: string; userId: string; rows: number },
  log: (message: string) => void,
): Promise<SeedResult> {
  const newest = new Date(Math.floor(Date.now() / 1000) * 1000);
  const indexes = await query<{ name: string; definition: string }>(
    url,
    // Not the indexes constraints stand on (the primary key; the unique (organizationId, id) that
    // other tables' foreign keys reference): those cannot be dropped under their constraints.
    `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
     WHERE i.schemaname = current_schema() AND i.tablename = 'Lead'
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)`,
  );
  await query(url, indexes.map((index) => `DROP INDEX "${index.name}";`).join("\n"));

  let started = Date.now();
  const batch = 125_000;
  const ranges: [number, number][] = [];
  for (let from = 1; from <= target.rows; from += batch) ranges.push([from, Math.min(target.rows, from + batch - 1)]);
  const insert = `INSERT INTO "Lead" (${SEED_COLUMNS.map((column) => `"${column}"`).join(", ")}) ${seedSelect()}`;
  let inserted = 0;
  await onConnections(url, 2, ranges, async (client, [from, to]) => {
    await client.query(insert, [target.organizationId, target.userId, newest, from, to]);
    inserted += to - from + 1;
    log(`  inserted ${inserted.toLocaleString("en-US")} / ${target.rows.toLocaleString("en-US")} leads`);
  });
  const insertSeconds = (Date.now() - started) / 1000;

  started = Date.now();
  // The trigram index takes longest: start it first, the others share the second connection.
  const ordered = [...indexes].sort(
    (a, b) => Number(b.definition.includes("gin_trgm_ops")) - Number(a.definition.includes("gin_trgm_ops")),
  );
  await onConnections(url, 2, ordered, async (client, index) => {
    await client.query(index.definition);
  });
  const indexSeconds = (Date.now() - started) / 1000;
  log(`  rebuilt ${indexes.length} indexes in ${indexSeconds.toFixed(1)} s`);

  started = Date.now();
  await query(url, 'VACUUM ANALYZE "Lead"');
  return { newest, seconds: { insert: insertSeconds, indexes: indexSeconds, analyze: (Date.now() - started) / 1000 } };
}
