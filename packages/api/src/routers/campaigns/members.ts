import { type Campaign, Prisma } from "@crm/db";
import { z } from "zod";
import { badRequest, conflict } from "../../errors.ts";
import { findRecord, lockRecord, referenceNotFound } from "../../kit/records.ts";
import { recordsWhereSql } from "../../kit/where-sql.ts";
import { writeAudit } from "../../lib/audit.ts";
import { multiValue } from "../../lib/filters.ts";
import { keysetPage, pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idSchema, timestamp } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";
import { contacts } from "../contacts/schemas.ts";
import { leads } from "../leads/schemas.ts";
import { campaigns } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

/** The funnel, in order; `unsubscribed` stands beside it. */
export const MEMBER_STEPS = ["targeted", "sent", "opened", "clicked", "responded", "converted"] as const;
export const MEMBER_STATUSES = [...MEMBER_STEPS, "unsubscribed"] as const;
/** What a caller may set: every step after targeting (which adding is), and unsubscribed. */
const SETTABLE_STATUSES = ["sent", "opened", "clicked", "responded", "converted", "unsubscribed"] as const;

/** Ids per call; a filter may match up to MEMBERS_PER_FILTER records. */
export const MEMBER_IDS_LIMIT = 1000;
export const MEMBERS_PER_FILTER = 100_000;

const KINDS = {
  lead: { resource: leads, table: "Lead", column: "leadId", ids: "leadIds", filter: "leadFilter" },
  contact: { resource: contacts, table: "Contact", column: "contactId", ids: "contactIds", filter: "contactFilter" },
} as const;
type Kind = keyof typeof KINDS;

const memberIds = (kind: Kind) =>
  z
    .array(idSchema)
    .min(1, { error: "must list at least one id" })
    .max(MEMBER_IDS_LIMIT, { error: `at most ${MEMBER_IDS_LIMIT} ids per call` })
    .transform((ids) => [...new Set(ids)])
    .optional()
    .meta({ description: `Ids of the organization's ${kind}s.` });

/** Inputs that name members need at least one of `fields` (the document says so as an anyOf, as the kit does). */
function needsOne<T extends z.ZodRawShape>(shape: T, fields: readonly (keyof T & string)[]) {
  return z
    .strictObject(shape)
    .superRefine((values, ctx) => {
      if (fields.some((name) => (values as Record<string, unknown>)[name] !== undefined)) return;
      for (const name of fields)
        ctx.addIssue({ code: "custom", path: [name], message: `at least one of ${fields.join(", ")} is required` });
    })
    .meta({ anyOf: fields.map((name) => ({ required: [name] })) });
}

export const addMembersInput = needsOne(
  {
    id: idSchema,
    leadIds: memberIds("lead"),
    contactIds: memberIds("contact"),
    leadFilter: leads.schemas.filters
      .optional()
      .meta({ description: `Every live lead the leads list shows with these filters (at most ${MEMBERS_PER_FILTER}).` }),
    contactFilter: contacts.schemas.filters
      .optional()
      .meta({ description: `Every live contact the contacts list shows with these filters (at most ${MEMBERS_PER_FILTER}).` }),
  },
  ["leadIds", "contactIds", "leadFilter", "contactFilter"],
);

export const addMembersOutput = z.object({
  added: z.number().int().meta({ description: "Records that became members." }),
  alreadyMembers: z
    .number()
    .int()
    .meta({ description: "Records named or matched that were members already (left as they were)." }),
});

export const removeMembersInput = needsOne({ id: idSchema, leadIds: memberIds("lead"), contactIds: memberIds("contact") }, [
  "leadIds",
  "contactIds",
]);
export const removeMembersOutput = z.object({
  removed: z.number().int(),
  notMembers: z.number().int().meta({ description: "Records named that were no members of the campaign." }),
});

export const setMemberStatusInput = needsOne(
  {
    id: idSchema,
    leadIds: memberIds("lead"),
    contactIds: memberIds("contact"),
    status: z.enum(SETTABLE_STATUSES).meta({
      description:
        "The step the members reached, now. Its time is kept (the first time only); earlier steps of the funnel not recorded yet get the same time (a click means it was sent and opened). The status moves forward only; nothing is recorded for a member once unsubscribed.",
    }),
  },
  ["leadIds", "contactIds"],
);
export const setMemberStatusOutput = z.object({
  updated: z.number().int(),
  unsubscribed: z
    .number()
    .int()
    .meta({ description: "Members named that had unsubscribed: nothing is recorded for them (0 when unsubscribing)." }),
  notMembers: z.number().int().meta({ description: "Records named that were no members of the campaign." }),
});

export const listMembersInput = z.strictObject({
  id: idSchema,
  status: multiValue(z.enum(MEMBER_STATUSES)).optional(),
  kind: z.enum(["lead", "contact"]).optional().meta({ description: "Only leads or only contacts." }),
  ...pageInputShape,
});

export const memberOutput = z.object({
  id: z.uuid(),
  campaignId: z.uuid(),
  leadId: z.uuid().nullable(),
  contactId: z.uuid().nullable(),
  name: z.string().meta({ description: "The lead's or contact's name." }),
  email: z.string().nullable(),
  status: z.enum(MEMBER_STATUSES),
  targetedAt: timestamp,
  sentAt: timestamp.nullable(),
  openedAt: timestamp.nullable(),
  clickedAt: timestamp.nullable(),
  respondedAt: timestamp.nullable(),
  convertedAt: timestamp.nullable(),
  unsubscribedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export const listMembersOutput = pageOutputSchema(memberOutput);

async function lockOpenCampaign(tx: Tx, ctx: OrgContext, id: string) {
  return lockRecord<Campaign>(tx, ctx, campaigns, id, { deleted: false });
}

/** Every id names a record of the organization (live ones only when adding): NOT_FOUND naming the field otherwise. */
async function checkIds(tx: Tx, ctx: OrgContext, kind: Kind, ids: readonly string[] | undefined, liveOnly: boolean) {
  if (!ids?.length) return;
  const { table, ids: field, resource } = KINDS[kind];
  const found = await tx.$queryRaw<{ id: string }[]>`
    SELECT t."id"::text AS "id" FROM ${Prisma.raw(`"${table}"`)} t
    WHERE t."organizationId" = ${ctx.org.id}::uuid AND t."id" = ANY(${ids}::uuid[])
      ${liveOnly ? Prisma.sql`AND t."deletedAt" IS NULL` : Prisma.empty}`;
  const known = new Set(found.map((row) => row.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing) throw referenceNotFound(field, `${resource.label} ${missing} not found`);
}

const memberCount = async (tx: Tx, ctx: OrgContext, campaignId: string) =>
  tx.campaignMember.count({ where: { organizationId: ctx.org.id, campaignId } });

/**
 * Adds the records named by ids and those a list filter matches, per kind in one statement: the
 * filter compiled to SQL (the list's own where clause), INSERT ... SELECT ... ON CONFLICT DO
 * NOTHING, so a member already there stays as it is and 100,000 records cost one round trip.
 */
async function addKind(tx: Tx, ctx: OrgContext, campaignId: string, kind: Kind, ids?: string[], filter?: object) {
  if (!ids?.length && !filter) return { matched: 0, added: 0 };
  const { table, column, resource, filter: filterField } = KINDS[kind];
  const byIds = ids?.length ? Prisma.sql`t."id" = ANY(${ids}::uuid[])` : Prisma.sql`FALSE`;
  const byFilter = filter ? await recordsWhereSql(tx, ctx, resource, filter as Record<string, unknown>, "t") : Prisma.sql`FALSE`;
  const now = new Date();
  const [result] = await tx.$queryRaw<{ matched: number; added: number }[]>`
    WITH matched AS (
      SELECT t."id" FROM ${Prisma.raw(`"${table}"`)} t
      WHERE t."organizationId" = ${ctx.org.id}::uuid AND t."deletedAt" IS NULL AND (${byIds} OR ${byFilter})
      LIMIT ${MEMBERS_PER_FILTER + MEMBER_IDS_LIMIT + 1}
    ), inserted AS (
      INSERT INTO "CampaignMember" ("id", "organizationId", "campaignId", ${Prisma.raw(`"${column}"`)}, "createdById", "targetedAt", "createdAt", "updatedAt")
      SELECT gen_random_uuid(), ${ctx.org.id}::uuid, ${campaignId}::uuid, m."id", ${ctx.actor.userId}::uuid, ${now}, ${now}, ${now}
      FROM matched m
      WHERE (SELECT count(*) FROM matched) <= ${MEMBERS_PER_FILTER + (ids?.length ?? 0)}
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM matched)::int AS "matched", (SELECT count(*) FROM inserted)::int AS "added"`;
  const matched = result?.matched ?? 0;
  if (matched > MEMBERS_PER_FILTER + (ids?.length ?? 0)) {
    throw badRequest(
      filterField,
      `matches more than ${MEMBERS_PER_FILTER} ${resource.key}; narrow it (at most ${MEMBERS_PER_FILTER} at once)`,
    );
  }
  return { matched, added: result?.added ?? 0 };
}

export async function addMembers(tx: Tx, ctx: OrgContext, input: z.output<typeof addMembersInput>) {
  const campaign = await lockOpenCampaign(tx, ctx, input.id);
  if (campaign.status === "completed" || campaign.status === "cancelled") {
    throw conflict("status", `the campaign is ${campaign.status}: it takes no more members`);
  }
  await checkIds(tx, ctx, "lead", input.leadIds, true);
  await checkIds(tx, ctx, "contact", input.contactIds, true);
  const before = await memberCount(tx, ctx, campaign.id);
  const results = [
    await addKind(tx, ctx, campaign.id, "lead", input.leadIds, input.leadFilter),
    await addKind(tx, ctx, campaign.id, "contact", input.contactIds, input.contactFilter),
  ];
  const added = results.reduce((sum, result) => sum + result.added, 0);
  const matched = results.reduce((sum, result) => sum + result.matched, 0);
  if (added > 0) {
    await writeAudit(tx, ctx, {
      action: "add-members",
      entityType: campaigns.singular,
      entityId: campaign.id,
      before: { members: before },
      after: { members: before + added },
    });
  }
  return { added, alreadyMembers: matched - added };
}

function targetCondition(input: { leadIds?: string[]; contactIds?: string[] }) {
  return Prisma.sql`(m."leadId" = ANY(${input.leadIds ?? []}::uuid[]) OR m."contactId" = ANY(${input.contactIds ?? []}::uuid[]))`;
}

const namedCount = (input: { leadIds?: string[]; contactIds?: string[] }) =>
  (input.leadIds?.length ?? 0) + (input.contactIds?.length ?? 0);

export async function removeMembers(tx: Tx, ctx: OrgContext, input: z.output<typeof removeMembersInput>) {
  const campaign = await lockOpenCampaign(tx, ctx, input.id);
  await checkIds(tx, ctx, "lead", input.leadIds, false);
  await checkIds(tx, ctx, "contact", input.contactIds, false);
  const before = await memberCount(tx, ctx, campaign.id);
  const removed = await tx.$executeRaw`
    DELETE FROM "CampaignMember" m
    WHERE m."organizationId" = ${ctx.org.id}::uuid AND m."campaignId" = ${campaign.id}::uuid AND ${targetCondition(input)}`;
  if (removed > 0) {
    await writeAudit(tx, ctx, {
      action: "remove-members",
      entityType: campaigns.singular,
      entityId: campaign.id,
      before: { members: before },
      after: { members: before - removed },
    });
  }
  return { removed, notMembers: namedCount(input) - removed };
}

/**
 * Moves members to a step: its time is the first time it was reached (kept when set again), the
 * earlier funnel steps missing a time get the same one, and the status only moves forward along the
 * funnel. Unsubscribing ends it: no later step is recorded for an unsubscribed member (its funnel
 * would count steps taken after it left).
 */
export async function setMemberStatus(tx: Tx, ctx: OrgContext, input: z.output<typeof setMemberStatusInput>) {
  const campaign = await lockOpenCampaign(tx, ctx, input.id);
  await checkIds(tx, ctx, "lead", input.leadIds, false);
  await checkIds(tx, ctx, "contact", input.contactIds, false);
  const now = new Date();
  const { status } = input;
  const rank = (MEMBER_STEPS as readonly string[]).indexOf(status);
  const steps = status === "unsubscribed" ? ["unsubscribed"] : MEMBER_STEPS.slice(1, rank + 1);
  const stamps = steps.map((step) => Prisma.raw(`"${step}At" = coalesce(m."${step}At", `));
  const assignments = Prisma.join(
    stamps.map((stamp) => Prisma.sql`${stamp}${now}::timestamptz)`),
    ", ",
  );
  const unsubscribing = status === "unsubscribed";
  const nextStatus = unsubscribing
    ? Prisma.sql`'unsubscribed'::"CampaignMemberStatus"`
    : Prisma.sql`CASE WHEN array_position(${[...MEMBER_STEPS]}::text[], m."status"::text) < ${rank + 1}
          THEN ${status}::"CampaignMemberStatus" ELSE m."status" END`;
  const named = Prisma.sql`m."organizationId" = ${ctx.org.id}::uuid AND m."campaignId" = ${campaign.id}::uuid AND ${targetCondition(input)}`;
  // Counted before the update, which leaves them out.
  const unsubscribed = unsubscribing
    ? 0
    : ((
        await tx.$queryRaw<{ count: number }[]>`
          SELECT count(*)::int AS "count" FROM "CampaignMember" m WHERE ${named} AND m."status" = 'unsubscribed'`
      )[0]?.count ?? 0);
  const updated = await tx.$executeRaw`
    UPDATE "CampaignMember" m SET ${assignments}, "status" = ${nextStatus}, "updatedAt" = ${now}
    WHERE ${named} ${unsubscribing ? Prisma.empty : Prisma.sql`AND m."status" <> 'unsubscribed'`}`;
  if (updated > 0) {
    await writeAudit(tx, ctx, {
      action: "set-member-status",
      entityType: campaigns.singular,
      entityId: campaign.id,
      before: null,
      after: { memberStatus: status, members: updated },
    });
  }
  return { updated, unsubscribed, notMembers: namedCount(input) - updated - unsubscribed };
}

const nameOf = (person: { firstName: string; lastName: string | null } | null) =>
  person ? [person.firstName, person.lastName].filter(Boolean).join(" ") : "";

/** The members of a campaign, newest first (or oldest with sortOrder=asc), with a status and kind filter. */
export async function listMembers(db: Tx, ctx: OrgContext, input: z.output<typeof listMembersInput>) {
  await findRecord(db, ctx, campaigns, input.id);
  const page = keysetPage({ field: "createdAt", type: "date", order: input.sortOrder }, input.limit, input.cursor);
  const where = {
    organizationId: ctx.org.id,
    campaignId: input.id,
    ...(input.status ? { status: { in: input.status } } : {}),
    ...(input.kind === "lead" ? { leadId: { not: null } } : input.kind === "contact" ? { contactId: { not: null } } : {}),
  };
  const person = { select: { firstName: true, lastName: true, email: true } };
  const rows = await db.campaignMember.findMany({
    where: { AND: [where, page.where] },
    orderBy: page.orderBy as Prisma.CampaignMemberOrderByWithRelationInput[],
    take: page.take,
    include: { lead: person, contact: person },
  });
  const { items, nextCursor } = page.toPage(rows);
  return {
    items: items.map(({ lead, contact, organizationId: _org, createdById: _by, ...member }) => ({
      ...member,
      name: nameOf(lead ?? contact),
      email: (lead ?? contact)?.email ?? null,
    })),
    nextCursor,
  };
}
