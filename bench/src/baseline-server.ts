/**
 * The baseline: bare Fastify + `pg` handlers. The list runs the SQL Prisma sends for `leads.list`
 * (same columns, where, casts, order and LIMIT 26, so the same plan and index use), shaping the
 * page as the API does; the timeline runs the SQL of `timelineSql` (the function the API's feed
 * calls), shaping its page likewise (without the API's record check and actor names); the mixed-load section also reads a lead by id, and creates and updates
 * one with its audit row in one transaction, as the API writes them. No auth, no validation, no
 * ORM: the floor our API is compared to.
 *
 * Runs as a child process of the bench: DATABASE_URL, DATABASE_POOL_SIZE, ORGANIZATION_ID, USER_ID, PORT.
 */
import { randomUUID } from "node:crypto";
import { type TimelineResourceKey, timelineSql } from "@crm/api";
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
const userId = env("USER_ID");
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

const SINGULAR: Record<TimelineResourceKey, string> = { leads: "lead", contacts: "contact", companies: "company", deals: "deal" };

interface EntryRow {
  occurredAt: Date;
  type: string;
  id: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  via: unknown;
  data: unknown;
}

app.get<{ Params: { resource: TimelineResourceKey; id: string }; Querystring: { limit?: string } }>(
  "/timeline/:resource/:id",
  async (request, reply) => {
    const { resource, id } = request.params;
    const singular = SINGULAR[resource];
    if (!singular) return reply.status(404).send({ code: "NOT_FOUND" });
    const limit = Number(request.query.limit ?? 25);
    const sql = timelineSql({ organizationId, resource, singular, id }, { limit });
    const rows = sql ? (await pool.query<EntryRow>(sql.text, sql.values)).rows : [];
    const items = rows.slice(0, limit).map(({ actorUserId, actorApiKeyId, via, ...entry }) => ({
      ...entry,
      actor: actorUserId
        ? { kind: "user", id: actorUserId, name: null }
        : actorApiKeyId
          ? { kind: "apiKey", id: actorApiKeyId, name: null }
          : { kind: "unknown", id: null, name: null },
      ...(via ? { via } : {}),
    }));
    const last = items.at(-1);
    const nextCursor =
      rows.length > limit && last
        ? Buffer.from(JSON.stringify({ at: last.occurredAt.toISOString(), type: last.type, id: last.id })).toString("base64url")
        : null;
    return { items, nextCursor };
  },
);

const LEAD = `"id", "organizationId", "firstName", "lastName", "email", "jobTitle", "source"::text, "status"::text, "score", "tags", "createdAt", "updatedAt"`;

app.get<{ Params: { id: string } }>("/leads/:id", async (request, reply) => {
  const { rows } = await pool.query(
    `SELECT ${LEAD} FROM "Lead" WHERE "id" = $1 AND "organizationId" = $2 AND "deletedAt" IS NULL`,
    [request.params.id, organizationId],
  );
  return rows[0] ?? reply.status(404).send({ code: "NOT_FOUND" });
});

/** The row and its audit entry commit together, as the API's writes do. */
async function writeWithAudit(action: string, write: (client: pg.PoolClient) => Promise<{ id: string }>) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const lead = await write(client);
    await client.query(
      `INSERT INTO "AuditLog" ("id", "organizationId", "actorUserId", "action", "entityType", "entityId", "changes")
       VALUES ($1, $2, $3, $4, 'lead', $5, $6)`,
      [randomUUID(), organizationId, userId, action, lead.id, JSON.stringify(lead)],
    );
    await client.query("COMMIT");
    return lead;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

app.post<{ Body: { firstName: string; email?: string } }>("/leads", async (request) =>
  writeWithAudit("create", async (client) => {
    const { firstName, email = null } = request.body;
    const { rows } = await client.query(
      `INSERT INTO "Lead" ("id", "organizationId", "firstName", "email", "searchText", "createdById", "updatedById", "updatedAt")
       VALUES ($1, $2, $3, $4, lower(concat_ws(' ', $3::text, $4::text)), $5, $5, now()) RETURNING ${LEAD}`,
      [randomUUID(), organizationId, firstName, email, userId],
    );
    return rows[0];
  }),
);

app.patch<{ Params: { id: string }; Body: { jobTitle?: string } }>("/leads/:id", async (request, reply) => {
  try {
    return await writeWithAudit("update", async (client) => {
      const { rows } = await client.query(
        `UPDATE "Lead" SET "jobTitle" = $3, "updatedById" = $4, "updatedAt" = now()
         WHERE "id" = $1 AND "organizationId" = $2 AND "deletedAt" IS NULL RETURNING ${LEAD}`,
        [request.params.id, organizationId, request.body.jobTitle ?? null, userId],
      );
      if (!rows[0]) throw Object.assign(new Error("not found"), { statusCode: 404 });
      return rows[0];
    });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return reply.status(404).send({ code: "NOT_FOUND" });
    throw error;
  }
});

const close = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once("SIGTERM", () => void close());
process.once("SIGINT", () => void close());

await app.listen({ host: process.env.HOST ?? "127.0.0.1", port: Number(env("PORT")) });
