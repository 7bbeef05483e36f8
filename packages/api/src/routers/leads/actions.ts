import type { Lead, Prisma } from "@crm/db";
import { conflict } from "../../errors.ts";
import { findRecord, lockRecord, writeRecord } from "../../kit/records.ts";
import { keysetPage } from "../../lib/pagination.ts";
import type { OrgContext } from "../../trpc.ts";
import { leadChangeColumns } from "./derived.ts";
import { leads } from "./schemas.ts";
import { changeLead } from "./service.ts";

type Tx = Prisma.TransactionClient;

const lockLiveLead = (tx: Tx, ctx: OrgContext, id: string) => lockRecord<Lead>(tx, ctx, leads, id, { deleted: false });

export async function setLeadActive(tx: Tx, ctx: OrgContext, id: string, isActive: boolean) {
  return changeLead(tx, ctx, await lockLiveLead(tx, ctx, id), { isActive });
}

export async function qualifyLead(tx: Tx, ctx: OrgContext, id: string) {
  const before = await lockLiveLead(tx, ctx, id);
  if (before.status === "won" || before.status === "lost")
    throw conflict("status", `the lead is ${before.status} and cannot be qualified`);
  return changeLead(tx, ctx, before, { status: "qualified", disqualificationReason: null }, "qualify");
}

export async function disqualifyLead(tx: Tx, ctx: OrgContext, id: string, reason: string) {
  const before = await lockLiveLead(tx, ctx, id);
  if (before.status === "won") throw conflict("status", "a won lead cannot be disqualified");
  return changeLead(tx, ctx, before, { status: "unqualified", disqualificationReason: reason }, "disqualify");
}

async function createNote(tx: Tx, ctx: OrgContext, lead: Lead, body: string) {
  return tx.leadNote.create({
    data: {
      organizationId: ctx.org.id,
      leadId: lead.id,
      body,
      authorUserId: ctx.actor.userId,
      authorApiKeyId: ctx.actor.apiKeyId,
    },
  });
}

export async function addLeadNote(tx: Tx, ctx: OrgContext, id: string, body: string) {
  const lead = await lockLiveLead(tx, ctx, id);
  const note = await createNote(tx, ctx, lead, body);
  // Notes count towards engagement, so the score moves.
  await writeRecord(tx, ctx, leads, lead, await leadChangeColumns(tx, ctx, lead, {}, { rescore: true }), "update");
  return note;
}

export async function listLeadNotes(
  db: Tx,
  ctx: OrgContext,
  input: { id: string; limit: number; cursor?: string; sortOrder: "asc" | "desc" },
) {
  const lead = await findRecord<Lead>(db, ctx, leads, input.id);
  const page = keysetPage({ field: "createdAt", order: input.sortOrder, type: "date" }, input.limit, input.cursor);
  const rows = await db.leadNote.findMany({
    where: { AND: [{ leadId: lead.id, organizationId: ctx.org.id }, page.where] },
    orderBy: page.orderBy as Prisma.LeadNoteOrderByWithRelationInput[],
    take: page.take,
  });
  return page.toPage(rows);
}

/** A call: one more attempt, contacted now, a new lead becomes contacted, the summary kept as a note. */
export async function logLeadCall(
  tx: Tx,
  ctx: OrgContext,
  input: { id: string; summary?: string; nextFollowUpAt?: Date | null },
) {
  const lead = await lockLiveLead(tx, ctx, input.id);
  if (input.summary) await createNote(tx, ctx, lead, `Call: ${input.summary}`);
  return changeLead(tx, ctx, lead, {
    callAttempts: lead.callAttempts + 1,
    lastContactedAt: new Date(),
    ...(lead.status === "new" ? { status: "contacted" as const } : {}),
    ...(input.nextFollowUpAt !== undefined ? { nextFollowUpAt: input.nextFollowUpAt } : {}),
  });
}
