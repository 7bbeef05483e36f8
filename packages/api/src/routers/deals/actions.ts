import type { Deal, PipelineStage, Prisma } from "@crm/db";
import { badRequest, conflict } from "../../errors.ts";
import { findRecord, lockRecord, writeRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { deals } from "./schemas.ts";
import { firstStageOf, liveStage, moveColumns, stagesOf } from "./stage-moves.ts";

type Tx = Prisma.TransactionClient;

const lockLiveDeal = (tx: Tx, ctx: OrgContext, id: string) => lockRecord<Deal>(tx, ctx, deals, id, { deleted: false });

/**
 * Writes a lifecycle move of the locked `deal` to `stage` (its stay ends, a new one begins),
 * with `extra` columns (the lost reason), audited as `action`. The caller has checked the move.
 */
export async function moveDeal(
  tx: Tx,
  ctx: OrgContext,
  deal: Deal,
  stage: PipelineStage,
  action: string,
  extra: Record<string, unknown> = {},
) {
  return writeRecord<Deal>(tx, ctx, deals, deal, { ...extra, ...(await moveColumns(tx, ctx, deal, stage)) }, action);
}

/**
 * `move-stage`: an open deal to another stage of its pipeline (400 naming stageId otherwise, 409
 * when it is there already or closed); into a won stage it is won, into a lost one it needs `reason`.
 */
export async function moveDealToStage(tx: Tx, ctx: OrgContext, id: string, stageId: string, reason?: string) {
  const deal = await lockLiveDeal(tx, ctx, id);
  if (deal.status !== "open") throw conflict("status", `the deal is ${deal.status}: reopen it before moving it`);
  const stage = await liveStage(tx, ctx, stageId);
  if (stage.pipelineId !== deal.pipelineId) throw badRequest("stageId", "is not a stage of the deal's pipeline");
  if (stage.id === deal.stageId) throw conflict("stageId", "the deal is already in this stage");
  const lostReason = reason?.trim();
  if (stage.kind === "lost" && !lostReason)
    throw badRequest("reason", "must say why the deal was lost (the stage is a lost stage)");
  return moveDeal(tx, ctx, deal, stage, "move-stage", stage.kind === "lost" ? { lostReason } : {});
}

export async function markDealWon(tx: Tx, ctx: OrgContext, id: string) {
  const deal = await lockLiveDeal(tx, ctx, id);
  if (deal.status === "won") throw conflict("status", "the deal is already won");
  const stage = await firstStageOf(tx, ctx, deal.pipelineId, "won", "stageId");
  return moveDeal(tx, ctx, deal, stage, "mark-won");
}

export async function markDealLost(tx: Tx, ctx: OrgContext, id: string, reason: string) {
  if (reason.trim() === "") throw badRequest("reason", "must say why the deal was lost");
  const deal = await lockLiveDeal(tx, ctx, id);
  if (deal.status === "lost") throw conflict("status", "the deal is already lost");
  const stage = await firstStageOf(tx, ctx, deal.pipelineId, "lost", "stageId");
  return moveDeal(tx, ctx, deal, stage, "mark-lost", { lostReason: reason.trim() });
}

/** `reopen`: a won or lost deal goes back to the open stage it left when it closed (else the pipeline's first open stage). */
export async function reopenDeal(tx: Tx, ctx: OrgContext, id: string) {
  const deal = await lockLiveDeal(tx, ctx, id);
  if (deal.status === "open") throw conflict("status", "the deal is open already");
  const live = await stagesOf(tx, ctx, deal.pipelineId);
  const lastOpen = await tx.dealStageChange.findFirst({
    where: { organizationId: ctx.org.id, dealId: deal.id, status: "open", stageId: { in: live.map((stage) => stage.id) } },
    orderBy: [{ enteredAt: "desc" }, { id: "desc" }],
  });
  const stage =
    live.find((candidate) => candidate.id === lastOpen?.stageId) ??
    (await firstStageOf(tx, ctx, deal.pipelineId, "open", "stageId"));
  return moveDeal(tx, ctx, deal, stage, "reopen", { lostReason: null });
}

/** A deal's stays, oldest first, with the time spent in each (the current one up to now). */
export async function dealStageHistory(db: Tx, ctx: OrgContext, id: string) {
  await findRecord(db, ctx, deals, id);
  const stays = await db.dealStageChange.findMany({
    where: { organizationId: ctx.org.id, dealId: id },
    orderBy: [{ enteredAt: "asc" }, { id: "asc" }],
    include: { stage: { select: { name: true, kind: true } } },
  });
  const now = Date.now();
  return {
    items: stays.map((stay) => ({
      id: stay.id,
      pipelineId: stay.pipelineId,
      fromStageId: stay.fromStageId,
      stageId: stay.stageId,
      stageName: stay.stage.name,
      stageKind: stay.stage.kind,
      status: stay.status,
      enteredAt: stay.enteredAt,
      leftAt: stay.leftAt,
      seconds: Math.max(0, Math.floor(((stay.leftAt?.getTime() ?? now) - stay.enteredAt.getTime()) / 1000)),
      actorUserId: stay.actorUserId,
    })),
  };
}
