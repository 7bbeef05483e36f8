import type { Deal, Prisma } from "@crm/db";
import { badRequest, conflict } from "../../errors.ts";
import { changeRecord, findRecord, lockRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { deals } from "./schemas.ts";
import { firstStageOf, liveStage, stagesOf } from "./stage-moves.ts";

type Tx = Prisma.TransactionClient;

const lockLiveDeal = (tx: Tx, ctx: OrgContext, id: string) => lockRecord<Deal>(tx, ctx, deals, id, { deleted: false });

/** `move-stage`: to another stage of the deal's pipeline (400 naming stageId otherwise; 409 when it is already there). */
export async function moveDealToStage(tx: Tx, ctx: OrgContext, id: string, stageId: string) {
  const deal = await lockLiveDeal(tx, ctx, id);
  const stage = await liveStage(tx, ctx, stageId);
  if (stage.pipelineId !== deal.pipelineId) throw badRequest("stageId", "is not a stage of the deal's pipeline");
  if (stage.id === deal.stageId) throw conflict("stageId", "the deal is already in this stage");
  return changeRecord(tx, ctx, deals, deal, { stageId }, { action: "move-stage" });
}

export async function markDealWon(tx: Tx, ctx: OrgContext, id: string) {
  const deal = await lockLiveDeal(tx, ctx, id);
  if (deal.status === "won") throw conflict("status", "the deal is already won");
  const stage = await firstStageOf(tx, ctx, deal.pipelineId, "won", "stageId");
  return changeRecord(tx, ctx, deals, deal, { stageId: stage.id }, { action: "mark-won" });
}

export async function markDealLost(tx: Tx, ctx: OrgContext, id: string, reason: string) {
  if (reason.trim() === "") throw badRequest("reason", "must say why the deal was lost");
  const deal = await lockLiveDeal(tx, ctx, id);
  if (deal.status === "lost") throw conflict("status", "the deal is already lost");
  const stage = await firstStageOf(tx, ctx, deal.pipelineId, "lost", "stageId");
  return changeRecord(tx, ctx, deals, deal, { stageId: stage.id, lostReason: reason.trim() }, { action: "mark-lost" });
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
  const stageId = lastOpen?.stageId ?? (await firstStageOf(tx, ctx, deal.pipelineId, "open", "stageId")).id;
  return changeRecord(tx, ctx, deals, deal, { stageId, lostReason: null }, { action: "reopen" });
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
