import type { Deal, PipelineStage, Prisma } from "@crm/db";
import { badRequest, conflict } from "../../errors.ts";
import { referenceNotFound } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";

type Tx = Prisma.TransactionClient;

const DAY_MS = 86_400_000;

/** A live stage of the organization, or NOT_FOUND naming `field` (another organization's stage included). */
export async function liveStage(tx: Tx, ctx: OrgContext, stageId: string, field = "stageId"): Promise<PipelineStage> {
  const stage = await tx.pipelineStage.findFirst({ where: { id: stageId, organizationId: ctx.org.id, deletedAt: null } });
  if (!stage) throw referenceNotFound(field, "Stage not found");
  return stage;
}

/** The live stages of a pipeline, in order. */
export function stagesOf(tx: Tx, ctx: OrgContext, pipelineId: string): Promise<PipelineStage[]> {
  return tx.pipelineStage.findMany({
    where: { organizationId: ctx.org.id, pipelineId, deletedAt: null },
    orderBy: [{ position: "asc" }, { id: "asc" }],
  });
}

/** The first live stage of `kind` of a pipeline (CONFLICT naming `field` when it has none). */
export async function firstStageOf(tx: Tx, ctx: OrgContext, pipelineId: string, kind: PipelineStage["kind"], field: string) {
  const stage = (await stagesOf(tx, ctx, pipelineId)).find((candidate) => candidate.kind === kind);
  if (!stage) throw conflict(field, `the pipeline has no ${kind} stage`);
  return stage;
}

/** The live default pipeline of the organization. */
export async function defaultPipelineId(tx: Tx, ctx: OrgContext): Promise<string> {
  const pipeline = await tx.pipeline.findFirst({
    where: { organizationId: ctx.org.id, isDefault: true, deletedAt: null },
    select: { id: true },
  });
  if (!pipeline) throw conflict("pipelineId", "the organization has no default pipeline");
  return pipeline.id;
}

/**
 * The pipeline and stage a new deal starts in: the given ones (the stage must belong to the
 * pipeline: 400 naming stageId), the stage's pipeline, or the default pipeline and its first open stage.
 */
export async function startingStage(tx: Tx, ctx: OrgContext, pipelineId: string | undefined, stageId: string | undefined) {
  if (stageId) {
    const stage = await liveStage(tx, ctx, stageId);
    if (pipelineId && stage.pipelineId !== pipelineId) throw badRequest("stageId", "is not a stage of the deal's pipeline");
    return stage;
  }
  if (pipelineId) {
    const pipeline = await tx.pipeline.findFirst({ where: { id: pipelineId, organizationId: ctx.org.id, deletedAt: null } });
    if (!pipeline) throw referenceNotFound("pipelineId", "Pipeline not found");
  }
  return firstStageOf(tx, ctx, pipelineId ?? (await defaultPipelineId(tx, ctx)), "open", "pipelineId");
}

/** When a deal that entered `stage` at `enteredAt` starts rotting there: open stages with a rotting period only. */
export function rotsAtOf(stage: Pick<PipelineStage, "kind" | "rottingDays">, enteredAt: Date): Date | null {
  return stage.kind === "open" && stage.rottingDays !== null ? new Date(enteredAt.getTime() + stage.rottingDays * DAY_MS) : null;
}

/** The columns that follow from a deal's stage kind: status, closedAt (kept when it stays closed), rotsAt. */
export function kindColumns(
  deal: Pick<Deal, "status" | "closedAt">,
  stage: Pick<PipelineStage, "kind" | "rottingDays">,
  enteredAt: Date,
  now: Date,
) {
  const closed = stage.kind !== "open";
  return {
    status: stage.kind,
    closedAt: closed ? (deal.status === stage.kind && deal.closedAt ? deal.closedAt : now) : null,
    rotsAt: rotsAtOf(stage, enteredAt),
    ...(closed ? {} : { lostReason: null }),
  };
}

/** The columns of a new deal in `stage` (its first stay is written by recordFirstStays). */
export function newDealColumns(stage: PipelineStage, now: Date) {
  return {
    pipelineId: stage.pipelineId,
    stageId: stage.id,
    stageEnteredAt: now,
    ...kindColumns({ status: "open", closedAt: null }, stage, now, now),
  };
}

/** The first stay of each new deal (afterCreate). */
export async function recordFirstStays(tx: Tx, ctx: OrgContext, deals: Deal[]): Promise<void> {
  if (!deals.length) return;
  await tx.dealStageChange.createMany({
    data: deals.map((deal) => ({
      organizationId: ctx.org.id,
      dealId: deal.id,
      pipelineId: deal.pipelineId,
      fromStageId: null,
      stageId: deal.stageId,
      status: deal.status,
      enteredAt: deal.stageEnteredAt,
      actorUserId: ctx.actor.userId,
      actorApiKeyId: ctx.actor.apiKeyId,
    })),
  });
}

/**
 * A deal moving to `stage`: its current stay ends, a new one begins, and status, closedAt,
 * stageEnteredAt and rotsAt follow the stage. Returns the deal's new columns (the caller writes them).
 */
export async function moveColumns(tx: Tx, ctx: OrgContext, deal: Deal, stage: PipelineStage, now = new Date()) {
  await tx.dealStageChange.updateMany({
    where: { organizationId: ctx.org.id, dealId: deal.id, leftAt: null },
    data: { leftAt: now },
  });
  const columns = { ...newDealColumns(stage, now), ...kindColumns(deal, stage, now, now) };
  await tx.dealStageChange.create({
    data: {
      organizationId: ctx.org.id,
      dealId: deal.id,
      pipelineId: stage.pipelineId,
      fromStageId: deal.stageId,
      stageId: stage.id,
      status: columns.status,
      enteredAt: now,
      actorUserId: ctx.actor.userId,
      actorApiKeyId: ctx.actor.apiKeyId,
    },
  });
  return columns;
}

/**
 * The deals hook `changeColumns` (update, bulk update): a change of stage or pipeline moves the
 * deal (the stage must belong to its new pipeline; a new pipeline alone means its first open
 * stage). A closed deal keeps its stage until it is reopened (409), and a deal is lost only
 * through mark-lost, which records why (400). The lifecycle actions and a stage's or pipeline's
 * deletion move deals through moveDeal (deals/actions.ts) with the stage they already hold.
 */
export async function dealChangeColumns(tx: Tx, ctx: OrgContext, deal: Deal, changes: Record<string, unknown>) {
  const pipelineId = (changes.pipelineId as string | undefined) ?? deal.pipelineId;
  const stageId = changes.stageId as string | undefined;
  const columns = { ...changes, ...(typeof changes.name === "string" ? { searchText: changes.name.toLowerCase() } : {}) };
  const moves =
    (changes.stageId !== undefined && changes.stageId !== deal.stageId) ||
    (changes.pipelineId !== undefined && changes.pipelineId !== deal.pipelineId);
  if (moves && deal.status !== "open") throw conflict("status", `the deal is ${deal.status}: reopen it before moving it`);
  if (stageId && stageId !== deal.stageId) {
    const stage = await liveStage(tx, ctx, stageId);
    if (stage.kind === "lost") throw badRequest("stageId", "a deal is lost through mark-lost, which records why");
    if (stage.pipelineId !== pipelineId) throw badRequest("stageId", "is not a stage of the deal's pipeline");
    return { ...columns, ...(await moveColumns(tx, ctx, deal, stage)) };
  }
  if (pipelineId !== deal.pipelineId) {
    if (stageId) throw badRequest("stageId", "is not a stage of the deal's pipeline");
    return { ...columns, ...(await moveColumns(tx, ctx, deal, await firstStageOf(tx, ctx, pipelineId, "open", "pipelineId"))) };
  }
  return columns;
}
