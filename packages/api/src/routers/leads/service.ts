import type { Prisma } from "@crm/db";
import { badRequest, forbidden, notFound } from "../../errors.ts";
import { writeAudit } from "../../lib/audit.ts";
import { keysetPage, type SortSpec } from "../../lib/pagination.ts";
import type { OrgContext } from "../../trpc.ts";
import type { CreateLeadInput, ListLeadsInput, UpdateLeadInput } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

const SORT_TYPES: Record<ListLeadsInput["sortBy"], Pick<SortSpec, "type" | "nullable">> = {
  createdAt: { type: "date" },
  updatedAt: { type: "date" },
  score: { type: "number" },
  firstName: { type: "string" },
  lastName: { type: "string", nullable: true },
};

export async function findLead(db: Tx, ctx: OrgContext, id: string, options: { includeDeleted?: boolean } = {}) {
  const lead = await db.lead.findFirst({
    where: { id, organizationId: ctx.org.id, ...(options.includeDeleted ? {} : { deletedAt: null }) },
  });
  if (!lead) throw notFound("Lead");
  return lead;
}

/**
 * An assignee must be an active member of the organization; assigning to anyone but yourself
 * needs `leads:assign`.
 */
async function checkAssignee(db: Tx, ctx: OrgContext, assignedToId: string | null | undefined) {
  if (!assignedToId) return;
  if (assignedToId !== ctx.actor.userId && !ctx.permissions.has("leads:assign")) {
    throw forbidden("Missing permission leads:assign to assign a lead to someone else");
  }
  const member = await db.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId: assignedToId } },
  });
  if (member?.status !== "active") {
    throw badRequest("assignedToId", "is not an active member of this organization");
  }
}

export function listLeadsWhere(ctx: OrgContext, input: ListLeadsInput): Prisma.LeadWhereInput {
  const where: Prisma.LeadWhereInput[] = [{ organizationId: ctx.org.id }];
  if (input.deleted === "exclude") where.push({ deletedAt: null });
  if (input.deleted === "only") where.push({ deletedAt: { not: null } });
  if (input.status) where.push({ status: { in: input.status } });
  if (input.assignedTo === "unassigned") where.push({ assignedToId: null });
  else if (input.assignedTo === "me") where.push({ assignedToId: ctx.actor.userId ?? "00000000-0000-0000-0000-000000000000" });
  else if (input.assignedTo) where.push({ assignedToId: input.assignedTo });
  if (input.search) {
    const contains = { contains: input.search, mode: "insensitive" as const };
    where.push({ OR: [{ firstName: contains }, { lastName: contains }, { email: contains }, { companyName: contains }] });
  }
  return { AND: where };
}

export async function listLeads(db: Tx, ctx: OrgContext, input: ListLeadsInput) {
  const page = keysetPage(
    { field: input.sortBy, order: input.sortOrder, ...SORT_TYPES[input.sortBy] },
    input.limit,
    input.cursor,
  );
  const rows = await db.lead.findMany({
    where: { AND: [listLeadsWhere(ctx, input), page.where] },
    orderBy: page.orderBy as Prisma.LeadOrderByWithRelationInput[],
    take: page.take,
  });
  return page.toPage(rows);
}

export async function createLead(tx: Tx, ctx: OrgContext, input: CreateLeadInput) {
  await checkAssignee(tx, ctx, input.assignedToId);
  const lead = await tx.lead.create({
    data: { ...input, organizationId: ctx.org.id, createdById: ctx.actor.userId, updatedById: ctx.actor.userId },
  });
  await writeAudit(tx, ctx, { action: "create", entityType: "lead", entityId: lead.id, before: null, after: lead });
  return lead;
}

export async function updateLead(tx: Tx, ctx: OrgContext, input: UpdateLeadInput) {
  const { id, ...changes } = input;
  const before = await findLead(tx, ctx, id);
  if (changes.assignedToId !== undefined && changes.assignedToId !== before.assignedToId) {
    await checkAssignee(tx, ctx, changes.assignedToId);
  }
  const after = await tx.lead.update({ where: { id: before.id }, data: { ...changes, updatedById: ctx.actor.userId } });
  await writeAudit(tx, ctx, { action: "update", entityType: "lead", entityId: id, before, after });
  return after;
}

export async function softDeleteLead(tx: Tx, ctx: OrgContext, id: string) {
  const before = await findLead(tx, ctx, id);
  const after = await tx.lead.update({
    where: { id: before.id },
    data: { deletedAt: new Date(), updatedById: ctx.actor.userId },
  });
  await writeAudit(tx, ctx, { action: "delete", entityType: "lead", entityId: id, before, after });
  return after;
}
