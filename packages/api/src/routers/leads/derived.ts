import type { Lead, Prisma } from "@crm/db";
import { conflict } from "../../errors.ts";
import type { OrgContext } from "../../trpc.ts";
import type { CreateLeadInput } from "./schemas.ts";
import { SCORE_INPUT_FIELDS, scoreLead } from "./scoring.ts";
import { leadSearchText } from "./search-text.ts";

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
  converted: 1,
};

/** A converted lead keeps its status: it lives on as the contact (and company and deal) it became. */
export function refuseUnconverting(before: Pick<Lead, "status">, status: Lead["status"] | undefined): void {
  if (before.status === "converted" && status !== undefined && status !== "converted") {
    throw conflict("status", "a converted lead stays converted (its contact, company and deal carry on)");
  }
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

export type LeadChanges = Partial<Omit<Lead, "scoreBreakdown">> & { scoreBreakdown?: Prisma.InputJsonValue };

/** The columns a caller's patch sets: `manualScore` locks the score (a number) or releases it (null). */
export function leadPatchColumns(patch: Partial<CreateLeadInput>): LeadChanges {
  const { manualScore, ...changes } = patch;
  const scoreChanges =
    manualScore === undefined
      ? {}
      : manualScore === null
        ? { scoreIsManual: false }
        : { scoreIsManual: true, score: manualScore, scoreBreakdown: [] };
  return { ...(changes as LeadChanges), ...scoreChanges };
}

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

/**
 * The columns of a single-lead update (the kit's changeColumns): re-scored from the stored note
 * count when a scoring input changed. `rescore` forces it (a note was added).
 */
export async function leadChangeColumns(
  tx: Tx,
  ctx: OrgContext,
  before: Lead,
  changes: LeadChanges,
  options: { rescore?: boolean } = {},
) {
  refuseUnconverting(before, changes.status);
  const noteCount = leadChangeRescores(before, changes, options)
    ? await tx.leadNote.count({ where: { leadId: before.id } })
    : undefined;
  return leadChangeData(ctx, before, changes, noteCount) as Record<string, unknown>;
}
