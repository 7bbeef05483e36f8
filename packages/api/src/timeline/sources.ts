import { Prisma } from "@crm/db";
import type { SourceQuery, TimelineSource } from "./registry.ts";

/**
 * The sources of the timeline, one registration each (see registry.ts). Every branch reads its
 * rows newest first on an index of (organizationId, <record>, time, id) and stops at n+1 rows:
 *
 * - interactions: Interaction (organizationId, leadId|contactId|companyId|dealId, occurredAt, id);
 * - field changes, conversions, merges: AuditLog (organizationId, entityType, entityId, createdAt, id);
 * - notes: LeadNote (leadId, createdAt), an incremental sort on id for equal times;
 * - stage moves: DealStageChange (organizationId, dealId, enteredAt, id);
 * - meetings: Meeting (organizationId, leadId|contactId|companyId|dealId, startAt, id);
 * - tickets: Ticket (organizationId, contactId|companyId, createdAt, id);
 * - campaign memberships: CampaignMember (organizationId, leadId|contactId, targetedAt, id).
 *
 * Rollups (a company's contacts and deals for interactions and meetings, its contacts for tickets,
 * a contact's converted leads for interactions and notes) are a nested loop: the related ids from
 * their own indexes, then per id a LATERAL read of at most n+1 entries on the same index, the
 * union sorted and cut to n+1 before any payload is built. So a first page costs about (n+1)
 * index entries per branch (per related record for rollups), whatever the record holds.
 */

const raw = Prisma.raw;

/** A table whose rows are timeline entries of one type, at their `time` column, linked to records by LINK_OF columns. */
interface EntryTable {
  table: string;
  time: string;
  type: string;
}

const INTERACTIONS: EntryTable = { table: "Interaction", time: "occurredAt", type: "interaction" };
const MEETINGS: EntryTable = { table: "Meeting", time: "startAt", type: "meeting" };
const TICKETS: EntryTable = { table: "Ticket", time: "createdAt", type: "ticket" };

const LINK_OF = { leads: "leadId", contacts: "contactId", companies: "companyId", deals: "dealId" } as const;

/** ` ORDER BY ... LIMIT n+1` of `rows` under `alias`. */
function newestFirst(q: SourceQuery, rows: EntryTable, alias: string): Prisma.Sql {
  return q.newestFirst(`${alias}."${rows.time}"`, `'${rows.type}'`, `${alias}."id"`);
}

/** The entry's `via` from the "viaResource" and "viaId" columns linkedRows adds. */
function viaOf(alias: string): Prisma.Sql {
  return raw(
    `CASE WHEN ${alias}."viaId" IS NULL THEN NULL ELSE jsonb_build_object('resource', ${alias}."viaResource", 'id', ${alias}."viaId") END`,
  );
}

/**
 * Live rows of `rows` whose `column` is `recordId`, after the cursor, with "viaResource" and "viaId" (the
 * related record they came through, or null). The caller adds exclusions (` AND ...`) and the order.
 */
function linkedRows(
  q: SourceQuery,
  rows: EntryTable,
  column: string,
  recordId: Prisma.Sql,
  via?: { resource: string; id: Prisma.Sql },
) {
  return Prisma.sql`SELECT x.*, ${via ? Prisma.sql`${via.resource}::text` : Prisma.sql`NULL::text`} AS "viaResource",
      ${via ? via.id : Prisma.sql`NULL::uuid`} AS "viaId"
    FROM ${raw(`"${rows.table}"`)} x
    WHERE x."organizationId" = ${q.record.organizationId}::uuid AND x.${raw(`"${column}"`)} = ${recordId}
      AND x."deletedAt" IS NULL${q.after(`x."${rows.time}"`, `'${rows.type}'`, `x."id"`)}`;
}

/** The record's own rows, newest first, cut to n+1. */
function ownRows(q: SourceQuery, rows: EntryTable): Prisma.Sql {
  const own = linkedRows(q, rows, LINK_OF[q.record.resource], Prisma.sql`${q.record.id}::uuid`);
  return Prisma.sql`(${own}${newestFirst(q, rows, "x")})`;
}

/** Rows that reach the record through related records (`related`: a query of their ids), each marked via. */
function rolledUp(q: SourceQuery, rows: EntryTable, column: string, resource: string, related: Prisma.Sql, exclude: Prisma.Sql) {
  return Prisma.sql`(SELECT r.* FROM (${related}) rel(id) CROSS JOIN LATERAL (
      ${linkedRows(q, rows, column, Prisma.sql`rel.id`, { resource, id: Prisma.sql`rel.id` })}${exclude}
      ${newestFirst(q, rows, "x")}
    ) r)`;
}

function companyContacts(q: SourceQuery): Prisma.Sql {
  const { organizationId, id } = q.record;
  return Prisma.sql`SELECT cc."contactId" FROM "ContactCompany" cc
      WHERE cc."organizationId" = ${organizationId}::uuid AND cc."companyId" = ${id}::uuid
    UNION
    SELECT c."id" FROM "Contact" c
      WHERE c."organizationId" = ${organizationId}::uuid AND c."primaryCompanyId" = ${id}::uuid AND c."deletedAt" IS NULL`;
}

/**
 * A company's rows through its contacts and, when `rows` link deals, its deals: each row once, from the
 * first branch that reaches it (the company's own, then a contact's, then a deal's).
 */
function companyRollups(q: SourceQuery, rows: EntryTable, options: { deals: boolean }): Prisma.Sql[] {
  const { organizationId, id } = q.record;
  const notOwn = Prisma.sql` AND x."companyId" IS DISTINCT FROM ${id}::uuid`;
  const branches = [rolledUp(q, rows, "contactId", "contacts", companyContacts(q), notOwn)];
  if (options.deals) {
    const deals = Prisma.sql`SELECT d."id" FROM "Deal" d
      WHERE d."organizationId" = ${organizationId}::uuid AND d."companyId" = ${id}::uuid AND d."deletedAt" IS NULL`;
    const notOwnNorContacts = Prisma.sql`${notOwn} AND (x."contactId" IS NULL OR x."contactId" NOT IN (${companyContacts(q)}))`;
    branches.push(rolledUp(q, rows, "dealId", "deals", deals, notOwnNorContacts));
  }
  return branches;
}

function convertedLeads(q: SourceQuery): Prisma.Sql {
  return Prisma.sql`SELECT l."id" FROM "Lead" l
    WHERE l."organizationId" = ${q.record.organizationId}::uuid AND l."convertedContactId" = ${q.record.id}::uuid`;
}

/** A company's interactions include its contacts' and its deals', a contact's those of the leads converted into it. */
const interactionsSource: TimelineSource = {
  types: ["interaction"],
  appliesTo: ["leads", "contacts", "companies", "deals"],
  select(q) {
    const { resource, id } = q.record;
    const branches = [ownRows(q, INTERACTIONS)];
    if (resource === "companies") branches.push(...companyRollups(q, INTERACTIONS, { deals: true }));
    if (resource === "contacts") {
      const notOwn = Prisma.sql` AND x."contactId" IS DISTINCT FROM ${id}::uuid`;
      branches.push(rolledUp(q, INTERACTIONS, "leadId", "leads", convertedLeads(q), notOwn));
    }
    return Prisma.sql`SELECT i."occurredAt", 'interaction'::text AS "type", i."id", i."authorId" AS "actorUserId",
        NULL::uuid AS "actorApiKeyId", ${viaOf("i")} AS "via",
        jsonb_build_object('kind', i."kind", 'direction', i."direction", 'subject', i."subject", 'body', i."body",
          'durationMinutes', i."durationMinutes", 'outcome', i."outcome", 'authorId', i."authorId", 'leadId', i."leadId",
          'contactId', i."contactId", 'companyId', i."companyId", 'dealId', i."dealId") AS "data"
      FROM (${Prisma.join(branches, " UNION ALL ")}) i${newestFirst(q, INTERACTIONS, "i")}`;
  },
};

/** Audit entries of the record: conversions and merges are entries of their own, every other one a field change. */
const AUDIT_TYPE = `(CASE a."action" WHEN 'convert' THEN 'conversion' WHEN 'merge' THEN 'merge' ELSE 'fieldChange' END)`;

const auditSource: TimelineSource = {
  types: ["fieldChange", "conversion", "merge"],
  appliesTo: ["leads", "contacts", "companies", "deals"],
  select(q) {
    const { organizationId, singular, id } = q.record;
    return Prisma.sql`SELECT a."createdAt" AS "occurredAt", ${raw(AUDIT_TYPE)} AS "type", a."id", a."actorUserId", a."actorApiKeyId",
        NULL::jsonb AS "via",
        jsonb_build_object('action', a."action", 'changes', (
          SELECT coalesce(jsonb_agg(jsonb_build_object('field', c.key, 'before', c.value->'before', 'after', c.value->'after')), '[]'::jsonb)
          FROM jsonb_each(a."changes") c)) AS "data"
      FROM "AuditLog" a
      WHERE a."organizationId" = ${organizationId}::uuid AND a."entityType" = ${singular} AND a."entityId" = ${id}::uuid
        ${q.after(`a."createdAt"`, AUDIT_TYPE, `a."id"`)}${q.newestFirst(`a."createdAt"`, AUDIT_TYPE, `a."id"`)}`;
  },
};

const notesSource: TimelineSource = {
  types: ["note"],
  appliesTo: ["leads", "contacts"],
  select(q) {
    const { organizationId, resource, id } = q.record;
    const leadIds = resource === "leads" ? Prisma.sql`SELECT ${id}::uuid` : convertedLeads(q);
    const via =
      resource === "leads" ? Prisma.sql`NULL::jsonb` : Prisma.sql`jsonb_build_object('resource', 'leads', 'id', n."leadId")`;
    return Prisma.sql`SELECT n."createdAt" AS "occurredAt", 'note'::text AS "type", n."id", n."authorUserId" AS "actorUserId",
        n."authorApiKeyId" AS "actorApiKeyId", ${via} AS "via", jsonb_build_object('body', n."body", 'leadId', n."leadId") AS "data"
      FROM (${leadIds}) rel(id) CROSS JOIN LATERAL (
        SELECT * FROM "LeadNote" n WHERE n."leadId" = rel.id AND n."organizationId" = ${organizationId}::uuid
          ${q.after(`n."createdAt"`, `'note'`, `n."id"`)}${q.newestFirst(`n."createdAt"`, `'note'`, `n."id"`)}
      ) n${q.newestFirst(`n."createdAt"`, `'note'`, `n."id"`)}`;
  },
};

const stageMovesSource: TimelineSource = {
  types: ["stageChange"],
  appliesTo: ["deals"],
  select(q) {
    const { organizationId, id } = q.record;
    return Prisma.sql`SELECT m."enteredAt" AS "occurredAt", 'stageChange'::text AS "type", m."id", m."actorUserId", m."actorApiKeyId",
        NULL::jsonb AS "via",
        jsonb_build_object('pipelineId', m."pipelineId",
          'fromStage', CASE WHEN f."id" IS NULL THEN NULL ELSE jsonb_build_object('id', f."id", 'name', f."name") END,
          'stage', jsonb_build_object('id', s."id", 'name', s."name"), 'status', m."status") AS "data"
      FROM (
        SELECT * FROM "DealStageChange" m WHERE m."organizationId" = ${organizationId}::uuid AND m."dealId" = ${id}::uuid
          ${q.after(`m."enteredAt"`, `'stageChange'`, `m."id"`)}${q.newestFirst(`m."enteredAt"`, `'stageChange'`, `m."id"`)}
      ) m
      JOIN "PipelineStage" s ON s."organizationId" = m."organizationId" AND s."id" = m."stageId"
      LEFT JOIN "PipelineStage" f ON f."organizationId" = m."organizationId" AND f."id" = m."fromStageId"`;
  },
};

/**
 * Meetings linked to the record, at their start: Meeting (organizationId, leadId|contactId|companyId|dealId, startAt, id).
 * A company's include its contacts' and its deals', as its interactions do.
 */
const meetingsSource: TimelineSource = {
  types: ["meeting"],
  appliesTo: ["leads", "contacts", "companies", "deals"],
  select(q) {
    const branches = [ownRows(q, MEETINGS)];
    if (q.record.resource === "companies") branches.push(...companyRollups(q, MEETINGS, { deals: true }));
    return Prisma.sql`SELECT m."startAt" AS "occurredAt", 'meeting'::text AS "type", m."id", m."createdById" AS "actorUserId",
        NULL::uuid AS "actorApiKeyId", ${viaOf("m")} AS "via",
        jsonb_build_object('title', m."title", 'startAt', m."startAt", 'endAt', m."endAt", 'timeZone', m."timeZone",
          'status', m."status", 'organizerId', m."organizerId", 'location', m."location", 'videoUrl', m."videoUrl",
          'outcome', m."outcome", 'leadId', m."leadId", 'contactId', m."contactId", 'companyId', m."companyId",
          'dealId', m."dealId") AS "data"
      FROM (${Prisma.join(branches, " UNION ALL ")}) m${newestFirst(q, MEETINGS, "m")}`;
  },
};

/** A lead's or contact's memberships of campaigns, at the time it was targeted: CampaignMember (organizationId, leadId|contactId, targetedAt, id). */
const campaignMembershipsSource: TimelineSource = {
  types: ["campaignMembership"],
  appliesTo: ["leads", "contacts"],
  select(q) {
    const { organizationId, id, resource } = q.record;
    const column = raw(resource === "leads" ? `m."leadId"` : `m."contactId"`);
    const time = (step: string) => raw(`to_jsonb(m."${step}At")`);
    return Prisma.sql`SELECT m."targetedAt" AS "occurredAt", 'campaignMembership'::text AS "type", m."id", m."createdById" AS "actorUserId",
        NULL::uuid AS "actorApiKeyId", NULL::jsonb AS "via",
        jsonb_build_object('campaignId', c."id", 'campaignName', c."name", 'campaignType', c."type", 'status', m."status",
          'sentAt', ${time("sent")}, 'openedAt', ${time("opened")}, 'clickedAt', ${time("clicked")},
          'respondedAt', ${time("responded")}, 'convertedAt', ${time("converted")}, 'unsubscribedAt', ${time("unsubscribed")}) AS "data"
      FROM (
        SELECT * FROM "CampaignMember" m WHERE m."organizationId" = ${organizationId}::uuid AND ${column} = ${id}::uuid
          ${q.after(`m."targetedAt"`, `'campaignMembership'`, `m."id"`)}${q.newestFirst(`m."targetedAt"`, `'campaignMembership'`, `m."id"`)}
      ) m
      JOIN "Campaign" c ON c."organizationId" = m."organizationId" AND c."id" = m."campaignId"`;
  },
};

/**
 * Tickets opened for a contact or a company, when they were opened: Ticket (organizationId, contactId|companyId, createdAt, id).
 * A company's include its contacts' (a ticket links no deal).
 */
const ticketsSource: TimelineSource = {
  types: ["ticket"],
  appliesTo: ["contacts", "companies"],
  select(q) {
    const branches = [ownRows(q, TICKETS)];
    if (q.record.resource === "companies") branches.push(...companyRollups(q, TICKETS, { deals: false }));
    return Prisma.sql`SELECT t."createdAt" AS "occurredAt", 'ticket'::text AS "type", t."id", t."createdById" AS "actorUserId",
        NULL::uuid AS "actorApiKeyId", ${viaOf("t")} AS "via",
        jsonb_build_object('number', t."number", 'displayNumber', 'T-' || t."number", 'subject', t."subject", 'status', t."status",
          'priority', t."priority", 'channel', t."channel", 'assigneeId', t."assigneeId", 'contactId', t."contactId",
          'companyId', t."companyId") AS "data"
      FROM (${Prisma.join(branches, " UNION ALL ")}) t${newestFirst(q, TICKETS, "t")}`;
  },
};

/** Every source of the timeline; meetings and tickets (issue 11) add one registration each. */
export const TIMELINE_SOURCES: readonly TimelineSource[] = [
  interactionsSource,
  auditSource,
  notesSource,
  stageMovesSource,
  meetingsSource,
  campaignMembershipsSource,
  ticketsSource,
];
