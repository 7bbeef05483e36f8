/**
 * The list baseline: a bare Fastify + `pg` handler running the SQL Prisma sends for
 * `leads.list` (same columns, where, casts, order and LIMIT 26, so the same plan and index use),
 * shaping the page as the API does. No auth, no validation, no ORM: the floor our API is compared to.
 *
 * Runs as a child process of the bench: DATABASE_URL, DATABASE_POOL_SIZE, ORGANIZATION_ID, PORT.
 */
import Fastify from "fastify";
import pg from "pg";
import { listLeadsSql } from "./list-sql.ts";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const pool = new pg.Pool({ connectionString: env("DATABASE_URL"), max: Number(env("DATABASE_POOL_SIZE")) });
const organizationId = env("ORGANIZATION_ID");
const HOT_THRESHOLD = 70;
const DAY_MS = 86_400_000;

interface LeadRow {
  id: string;
  createdAt: Date;
  score: number;
  searchText?: string;
  organizationId?: string;
  [column: string]: unknown;
}

const app = Fastify({ logger: false });

app.get("/healthz", async () => ({ status: "ok" }));

app.get<{ Querystring: { status?: string; search?: string; limit?: string } }>("/leads", async (request) => {
  const statuses = (request.query.status ?? "").split(",").filter(Boolean);
  const limit = Number(request.query.limit ?? 25);
  const { sql, params } = listLeadsSql(organizationId, statuses, request.query.search, limit);
  const { rows } = await pool.query<LeadRow>(sql, params);
  const now = Date.now();
  const items = rows.slice(0, limit).map(({ searchText: _searchText, organizationId: _organizationId, ...lead }) => ({
    ...lead,
    daysSinceCreated: Math.max(0, Math.floor((now - lead.createdAt.getTime()) / DAY_MS)),
    isHot: lead.score >= HOT_THRESHOLD,
  }));
  const last = items.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(JSON.stringify({ f: "createdAt", o: "desc", v: last.createdAt.toISOString(), id: last.id })).toString(
          "base64url",
        )
      : null;
  return { items, nextCursor };
});

const close = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once("SIGTERM", () => void close());
process.once("SIGINT", () => void close());

await app.listen({ host: process.env.HOST ?? "127.0.0.1", port: Number(env("PORT")) });
