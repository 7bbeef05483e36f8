import type { Lead, Prisma } from "@crm/db";
import { TRPCError } from "@trpc/server";
import { badRequest, conflict, forbidden, notFound } from "../../errors.ts";
import { writeAudit } from "../../lib/audit.ts";
import { containsText } from "../../lib/filters.ts";
import { keysetPage, type SortSpec } from "../../lib/pagination.ts";
import { type LockableResource, lockRows } from "../../lib/row-locks.ts";
import type { OrgContext } from "../../trpc.ts";
import { hotThreshold, presentLead } from "./present.ts";
import type { CreateLeadInput, LeadFilterInput, ListLeadsInput, UpdateLeadInput } from "./schemas.ts";
import { SCORE_INPUT_FIELDS, scoreLead } from "./scoring.ts";
import { leadSearchText, normalizeSearchTerm } from "./search-text.ts";

type Tx = Prisma.TransactionClient;

/** Default conversion probability per status, used when the caller does not give one. */
export const STATUS_PROBABILITY: Record<string, number> = {
  new: 0.05,
  contacted: 0.1,
  qualified: 0.25,
  proposal: 0.5,
  negotiation: 0.7,
  won: 1,
  lost: 0,
  unqualified: 0,
};

const SORTS: Record<ListLeadsInput["sortBy"], Omit<SortSpec, "order">> = {
  createdAt: { field: "createdAt", type: "date" },
  updatedAt: { field: "updatedAt", type: "date" },
  score: { field: "score", type: "number" },
  name: { field: "lastName", type: "string", nullable: true },
  firstName: { field: "firstName", type: "string" },
  lastName: { field: "lastName", type: "string", nullable: true },
  nextFollowUpAt: { field: "nextFollowUpAt", type: "date", nullable: true },
};

/** `deleted`: true for a soft-deleted lead only, false for a live one only, undefined for either. */
type LeadState = { deleted?: boolean };

function inState(lead: Lead, state: LeadState): boolean {
  return state.deleted === undefined || (lead.deletedAt !== null) === state.deleted;
}

/** For reads. A write reads the lead it changes with lockLead. */
export async function findLead(db: Tx, ctx: OrgContext, id: string, state: LeadState = {}) {
  const lead = await db.lead.findFirst({
    where: {
      id,
      organizationId: ctx.org.id,
      deletedAt: state.deleted === undefined ? undefined : state.deleted ? { not: null } : null,
    },
  });
  if (!lead) throw notFound("Lead");
  return lead;
}

export async function findLiveLead(db: Tx, ctx: OrgContext, id: string) {
  return findLead(db, ctx, id, { deleted: false });
}

const LEAD_ROWS: LockableResource<Lead> = { table: "Lead", model: (tx) => tx.lead };

/** The leads `ids` of the org, locked until `tx` ends (see lockRows), in any order; missing or foreign ids are left out. */
export async function lockLeads(tx: Tx, ctx: OrgContext, ids: readonly string[], state: LeadState = {}): Promise<Lead[]> {
  return (await lockRows(tx, LEAD_ROWS, ctx.org.id, ids)).filter((lead) => inState(lead, state));
}

/** The lead a write starts from, locked until `tx` ends; NOT_FOUND as findLead. */
export async function lockLead(tx: Tx, ctx: OrgContext, id: string, state: LeadState = {}): Promise<Lead> {
  const [lead] = await lockLeads(tx, ctx, [id], state);
  if (!lead) throw notFound("Lead");
  return lead;
}

export async function lockLiveLead(tx: Tx, ctx: OrgContext, id: string): Promise<Lead> {
  return lockLead(tx, ctx, id, { deleted: false });
}

/** An assignee must be an active member; assigning to anyone but yourself needs `leads:assign`. */
export async function checkAssignee(db: Tx, ctx: OrgContext, assignedToId: string | null | undefined) {
  if (!assignedToId) return;
  if (assignedToId !== ctx.actor.userId && !ctx.permissions.has("leads:assign")) {
    throw forbidden("Missing permission leads:assign to assign a lead to someone else");
  }
  const member = await db.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId: assignedToId } },
  });
  if (member?.status !== "active") throw badRequest("assignedToId", "is not an active member of this organization");
}

/** Email is unique per organization among live leads. */
export async function checkEmailFree(db: Tx, ctx: OrgContext, email: string | null | undefined, exceptId?: string) {
  if (!email) return;
  const existing = await db.lead.findFirst({
    where: { organizationId: ctx.org.id, email, deletedAt: null, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { id: true },
  });
  if (existing) throw conflict(`email: lead ${existing.id} already has the email ${email}`);
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "P2002";
}

/** The score, breakdown and search text that follow from a lead's other fields. */
export function derivedLeadFields(
  lead: Pick<
    Lead,
    | "firstName"
    | "lastName"
    | "email"
    | "phone"
    | "companyName"
    | "jobTitle"
    | "source"
    | "tags"
    | "callAttempts"
    | "lastContactedAt"
  >,
  noteCount: number,
) {
  const { score, breakdown } = scoreLead({ ...lead, noteCount });
  return { score, scoreBreakdown: breakdown as unknown as Prisma.InputJsonValue, searchText: leadSearchText(lead) };
}

/** Everything a new lead row needs, from validated create input; shared by create, bulk create and import. */
export function newLeadData(ctx: OrgContext, input: CreateLeadInput): Prisma.LeadCreateManyInput {
  const { manualScore, ...fields } = input;
  const status = fields.status ?? "new";
  const base = {
    ...fields,
    source: fields.source ?? "other",
    status,
    tags: fields.tags ?? [],
    interests: fields.interests ?? [],
    callAttempts: 0,
    conversionProbability: fields.conversionProbability ?? STATUS_PROBABILITY[status] ?? null,
  };
  const derived = derivedLeadFields(
    {
      ...base,
      lastName: base.lastName ?? null,
      email: base.email ?? null,
      phone: base.phone ?? null,
      companyName: base.companyName ?? null,
      jobTitle: base.jobTitle ?? null,
      lastContactedAt: base.lastContactedAt ?? null,
    },
    0,
  );
  return {
    ...base,
    ...derived,
    ...(manualScore !== undefined && manualScore !== null ? { score: manualScore, scoreIsManual: true, scoreBreakdown: [] } : {}),
    organizationId: ctx.org.id,
    createdById: ctx.actor.userId,
    updatedById: ctx.actor.userId,
  };
}

export async function createLead(tx: Tx, ctx: OrgContext, input: CreateLeadInput) {
  await checkAssignee(tx, ctx, input.assignedToId);
  await checkEmailFree(tx, ctx, input.email);
  let lead: Lead;
  try {
    lead = await tx.lead.create({ data: newLeadData(ctx, input) as Prisma.LeadUncheckedCreateInput });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`email: another live lead already has the email ${input.email}`);
    throw error;
  }
  await writeAudit(tx, ctx, { action: "create", entityType: "lead", entityId: lead.id, before: null, after: auditable(lead) });
  return lead;
}

/**
 * Applies `changes` to `before`: re-scores when a scoring input changed (unless the score is
 * manual), keeps the search text and the status's default probability in step, and audits.
 */
export type LeadChanges = Partial<Omit<Lead, "scoreBreakdown">> & { scoreBreakdown?: Prisma.InputJsonValue };

/** Whether applying `changes` re-scores the lead (and so needs its note count). */
export function leadChangeRescores(before: Lead, changes: LeadChanges, options: { rescore?: boolean } = {}): boolean {
  const scoringChanged = options.rescore || SCORE_INPUT_FIELDS.some((field) => field in changes);
  const merged = { ...before, ...changes } as Lead;
  return !merged.scoreIsManual && Boolean(scoringChanged || before.scoreIsManual);
}

/**
 * The columns an update writes: the changes, the status's default probability, and the score
 * and search text that follow. `noteCount` is given exactly when leadChangeRescores says so.
 */
export function leadChangeData(ctx: OrgContext, before: Lead, changes: LeadChanges, noteCount: number | undefined) {
  const merged = { ...before, ...changes } as Lead;
  const data: Prisma.LeadUncheckedUpdateInput = { ...changes, updatedById: ctx.actor.userId };
  if (changes.status !== undefined && changes.status !== before.status && changes.conversionProbability === undefined) {
    data.conversionProbability = STATUS_PROBABILITY[merged.status] ?? null;
  }
  if (noteCount !== undefined) Object.assign(data, derivedLeadFields(merged, noteCount));
  else data.searchText = leadSearchText(merged);
  return data;
}

/** `before` is the lead as lockLead returned it in this transaction. */
export async function changeLead(
  tx: Tx,
  ctx: OrgContext,
  before: Lead,
  changes: LeadChanges,
  options: { rescore?: boolean } = {},
) {
  const noteCount = leadChangeRescores(before, changes, options)
    ? await tx.leadNote.count({ where: { leadId: before.id } })
    : undefined;
  const data = leadChangeData(ctx, before, changes, noteCount);
  const merged = { ...before, ...changes } as Lead;
  let after: Lead;
  try {
    after = await tx.lead.update({ where: { id: before.id }, data });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`email: another live lead already has the email ${merged.email}`);
    throw error;
  }
  await writeAudit(tx, ctx, {
    action: "update",
    entityType: "lead",
    entityId: before.id,
    before: auditable(before),
    after: auditable(after),
  });
  return after;
}

export async function updateLead(tx: Tx, ctx: OrgContext, input: UpdateLeadInput) {
  const { id, manualScore, ...changes } = input;
  const before = await lockLiveLead(tx, ctx, id);
  if (changes.assignedToId !== undefined && changes.assignedToId !== before.assignedToId) {
    await checkAssignee(tx, ctx, changes.assignedToId);
  }
  if (changes.email && changes.email !== before.email) await checkEmailFree(tx, ctx, changes.email, id);
  const scoreChanges =
    manualScore === undefined
      ? {}
      : manualScore === null
        ? { scoreIsManual: false }
        : { scoreIsManual: true, score: manualScore, scoreBreakdown: [] };
  return changeLead(tx, ctx, before, { ...changes, ...scoreChanges });
}

/** Audit snapshots leave out what is derived from other fields. */
export function auditable(lead: Lead) {
  const { searchText: _searchText, scoreBreakdown: _scoreBreakdown, ...rest } = lead;
  return rest;
}

/** A range whose lower bound is above its upper one can only be a mistake: refused by name rather than answered with nothing. */
function checkRanges(filters: LeadFilterInput) {
  const ranges = [
    ["scoreMin", filters.scoreMin, "greater than", "scoreMax", filters.scoreMax],
    ["createdFrom", filters.createdFrom, "after", "createdTo", filters.createdTo],
    ["updatedFrom", filters.updatedFrom, "after", "updatedTo", filters.updatedTo],
  ] as const;
  for (const [lowField, low, relation, highField, high] of ranges) {
    if (low !== undefined && high !== undefined && low > high) throw badRequest(lowField, `must not be ${relation} ${highField}`);
  }
}

/** The filters as a where clause; a filter that cannot be satisfied as given is a BAD_REQUEST naming it. */
export function leadsWhere(ctx: OrgContext, filters: LeadFilterInput, threshold: number): Prisma.LeadWhereInput {
  checkRanges(filters);
  const and: Prisma.LeadWhereInput[] = [{ organizationId: ctx.org.id }];
  if (filters.deleted === "exclude") and.push({ deletedAt: null });
  if (filters.deleted === "only") and.push({ deletedAt: { not: null } });
  if (filters.status) and.push({ status: { in: filters.status } });
  if (filters.source) and.push({ source: { in: filters.source } });
  if (filters.assignedTo === "unassigned") and.push({ assignedToId: null });
  else if (filters.assignedTo === "me") {
    if (!ctx.actor.userId) throw badRequest("assignedTo", '"me" needs a user session, not an API key');
    and.push({ assignedToId: ctx.actor.userId });
  } else if (filters.assignedTo) and.push({ assignedToId: filters.assignedTo });
  if (filters.createdFrom || filters.createdTo) and.push({ createdAt: { gte: filters.createdFrom, lt: filters.createdTo } });
  if (filters.updatedFrom || filters.updatedTo) and.push({ updatedAt: { gte: filters.updatedFrom, lt: filters.updatedTo } });
  if (filters.scoreMin !== undefined || filters.scoreMax !== undefined) {
    and.push({ score: { gte: filters.scoreMin, lte: filters.scoreMax } });
  }
  if (filters.tags) {
    const tags = filters.tags.map((tag) => tag.toLowerCase());
    and.push({ tags: filters.tagsMatch === "all" ? { hasEvery: tags } : { hasSome: tags } });
  }
  if (filters.hot === true) and.push({ score: { gte: threshold } });
  if (filters.hot === false) and.push({ score: { lt: threshold } });
  if (filters.isActive !== undefined) and.push({ isActive: filters.isActive });
  if (filters.vertical) and.push({ vertical: { equals: filters.vertical, mode: "insensitive" } });
  if (filters.followUpDueBefore) and.push({ nextFollowUpAt: { lt: filters.followUpDueBefore } });
  if (filters.search) and.push({ searchText: containsText(normalizeSearchTerm(filters.search)) });
  return { AND: and };
}

export async function listLeads(db: Tx, ctx: OrgContext, input: ListLeadsInput) {
  const threshold = await hotThreshold(db, ctx);
  const where = leadsWhere(ctx, input, threshold);
  const page = keysetPage({ ...SORTS[input.sortBy], order: input.sortOrder }, input.limit, input.cursor);
  const [rows, total] = await Promise.all([
    db.lead.findMany({
      where: { AND: [where, page.where] },
      orderBy: page.orderBy as Prisma.LeadOrderByWithRelationInput[],
      take: page.take,
    }),
    input.withTotal ? db.lead.count({ where }) : Promise.resolve(undefined),
  ]);
  const now = Date.now();
  const result = page.toPage(rows);
  return { items: result.items.map((lead) => presentLead(lead, threshold, now)), nextCursor: result.nextCursor, total };
}

export function assertFound(found: number, wanted: number, missing: () => string[]) {
  if (found === wanted) return;
  const ids = missing();
  throw new TRPCError({
    code: "NOT_FOUND",
    message: `Leads not found: ${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ` and ${ids.length - 10} more` : ""}`,
  });
}
