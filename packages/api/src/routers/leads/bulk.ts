import type { Lead, Prisma } from "@crm/db";
import type { z } from "zod";
import { conflict, describeIssues } from "../../errors.ts";
import { writeAuditMany } from "../../lib/audit.ts";
import type { OrgContext } from "../../trpc.ts";
import { createLeadInput } from "./schemas.ts";
import { assertFound, auditable, checkAssignee, lockLeads, newLeadData, STATUS_PROBABILITY } from "./service.ts";

type Tx = Prisma.TransactionClient;

/**
 * All the listed leads of the org in the wanted state, locked until `tx` ends, or NOT_FOUND naming
 * the missing ones (nothing written).
 */
async function leadsForBulk(tx: Tx, ctx: OrgContext, ids: string[], deleted: boolean): Promise<Lead[]> {
  const rows = await lockLeads(tx, ctx, ids, { deleted });
  assertFound(rows.length, ids.length, () => {
    const found = new Set(rows.map((row) => row.id));
    return ids.filter((id) => !found.has(id));
  });
  return rows;
}

async function applyBulk(
  tx: Tx,
  ctx: OrgContext,
  before: Lead[],
  data: Prisma.LeadUncheckedUpdateManyInput,
  action: "update" | "delete" | "restore",
) {
  const ids = before.map((lead) => lead.id);
  await tx.lead.updateMany({
    where: { id: { in: ids }, organizationId: ctx.org.id },
    data: { ...data, updatedById: ctx.actor.userId },
  });
  const after = new Map((await tx.lead.findMany({ where: { id: { in: ids } } })).map((lead) => [lead.id, lead]));
  await writeAuditMany(
    tx,
    ctx,
    before.map((lead) => ({
      action,
      entityType: "lead",
      entityId: lead.id,
      before: auditable(lead),
      after: auditable(after.get(lead.id) as Lead),
    })),
  );
  return { count: ids.length };
}

export async function bulkUpdateStatus(tx: Tx, ctx: OrgContext, ids: string[], status: Lead["status"]) {
  const before = await leadsForBulk(tx, ctx, ids, false);
  return applyBulk(tx, ctx, before, { status, conversionProbability: STATUS_PROBABILITY[status] ?? null }, "update");
}

export async function bulkAssign(tx: Tx, ctx: OrgContext, ids: string[], assignedToId: string | null) {
  await checkAssignee(tx, ctx, assignedToId);
  const before = await leadsForBulk(tx, ctx, ids, false);
  return applyBulk(tx, ctx, before, { assignedToId }, "update");
}

export async function bulkDelete(tx: Tx, ctx: OrgContext, ids: string[]) {
  const before = await leadsForBulk(tx, ctx, ids, false);
  return applyBulk(tx, ctx, before, { deletedAt: new Date() }, "delete");
}

export async function bulkRestore(tx: Tx, ctx: OrgContext, ids: string[]) {
  const before = await leadsForBulk(tx, ctx, ids, true);
  const emails = before.map((lead) => lead.email).filter((email): email is string => Boolean(email));
  const seen = new Set<string>();
  const repeated = emails.filter((email) => seen.size === seen.add(email).size);
  if (repeated.length) throw conflict(`email: several of these leads share ${repeated[0]}; restore them one by one`);
  const taken = await tx.lead.findMany({
    where: { organizationId: ctx.org.id, deletedAt: null, email: { in: emails } },
    select: { id: true, email: true },
  });
  if (taken.length) throw conflict(`email: live lead ${taken[0]?.id} already has ${taken[0]?.email}; nothing was restored`);
  return applyBulk(tx, ctx, before, { deletedAt: null }, "restore");
}

type RowResult = {
  index: number;
  status: "created" | "duplicate" | "invalid";
  id?: string;
  existingId?: string;
  errors?: { path: string; message: string }[];
};

/** Creates the valid, new rows; reports every row as created, duplicate (by email) or invalid. */
export async function bulkCreateLeads(tx: Tx, ctx: OrgContext, rows: Record<string, unknown>[]) {
  const results: RowResult[] = [];
  const candidates: { index: number; input: z.infer<typeof createLeadInput> }[] = [];
  const activeMembers = new Set(
    (await tx.membership.findMany({ where: { organizationId: ctx.org.id, status: "active" }, select: { userId: true } })).map(
      (member) => member.userId,
    ),
  );
  for (const [index, row] of rows.entries()) {
    const parsed = createLeadInput.safeParse(row);
    if (!parsed.success) {
      results.push({ index, status: "invalid", errors: describeIssues(parsed.error.issues) });
      continue;
    }
    const assignee = parsed.data.assignedToId;
    if (assignee && !activeMembers.has(assignee)) {
      results.push({
        index,
        status: "invalid",
        errors: [{ path: "assignedToId", message: "is not an active member of this organization" }],
      });
      continue;
    }
    candidates.push({ index, input: parsed.data });
  }
  const assignees = new Set(candidates.map((c) => c.input.assignedToId).filter(Boolean));
  for (const assignee of assignees) await checkAssignee(tx, ctx, assignee);

  const emails = candidates.map((c) => c.input.email).filter((email): email is string => Boolean(email));
  const existing = new Map(
    (
      await tx.lead.findMany({
        where: { organizationId: ctx.org.id, deletedAt: null, email: { in: emails } },
        select: { id: true, email: true },
      })
    ).map((lead) => [lead.email as string, lead.id]),
  );
  const firstIndexByEmail = new Map<string, number>();
  const toCreate: { index: number; data: Prisma.LeadCreateManyInput }[] = [];
  for (const { index, input } of candidates) {
    const email = input.email ?? undefined;
    if (email && existing.has(email)) {
      results.push({ index, status: "duplicate", existingId: existing.get(email) });
      continue;
    }
    if (email && firstIndexByEmail.has(email)) {
      results.push({
        index,
        status: "duplicate",
        errors: [{ path: "email", message: `same email as row ${firstIndexByEmail.get(email)}` }],
      });
      continue;
    }
    if (email) firstIndexByEmail.set(email, index);
    toCreate.push({ index, data: newLeadData(ctx, input) });
  }
  const created = toCreate.length ? await tx.lead.createManyAndReturn({ data: toCreate.map((row) => row.data) }) : [];
  created.forEach((lead, position) => {
    results.push({ index: (toCreate[position] as { index: number }).index, status: "created", id: lead.id });
  });
  await writeAuditMany(
    tx,
    ctx,
    created.map((lead) => ({
      action: "create" as const,
      entityType: "lead",
      entityId: lead.id,
      before: null,
      after: auditable(lead),
    })),
  );
  results.sort((a, b) => a.index - b.index);
  const count = (status: RowResult["status"]) => results.filter((r) => r.status === status).length;
  return { created: count("created"), duplicates: count("duplicate"), invalid: count("invalid"), results };
}
