import type { Deal, PipelineStage, Prisma } from "@crm/db";
import type { z } from "zod";
import { badRequest, conflict } from "../../errors.ts";
import { changeRecord, lockRecord, lockRecords, referenceNotFound } from "../../kit/records.ts";
import { writeAudit } from "../../lib/audit.ts";
import type { OrgContext } from "../../trpc.ts";
import { moveDeal } from "../deals/actions.ts";
import { deals } from "../deals/schemas.ts";
import { kindColumns, liveStage, stagesOf } from "../deals/stage-moves.ts";
import type { createStageInput, reorderStagesInput, stageInput, updateStageInput } from "./schemas.ts";
import { pipelines } from "./schemas.ts";

type Tx = Prisma.TransactionClient;
type StageValues = z.output<typeof stageInput>;

const ENTITY = "pipelineStage";
const auditable = ({ organizationId: _org, ...stage }: PipelineStage) => stage;

function auditStage(tx: Tx, ctx: OrgContext, action: string, before: PipelineStage | null, after: PipelineStage | null) {
  return writeAudit(tx, ctx, {
    action,
    entityType: ENTITY,
    entityId: (after ?? before)?.id as string,
    before: before ? auditable(before) : null,
    after: after ? auditable(after) : null,
  });
}

/** A pipeline keeps at least one live stage of each kind (CONFLICT naming `field`). */
export function checkKinds(kinds: readonly string[], field: string, status: "BAD_REQUEST" | "CONFLICT" = "CONFLICT") {
  for (const kind of ["open", "won", "lost"]) {
    if (kinds.includes(kind)) continue;
    const message = `a pipeline needs at least one ${kind} stage`;
    throw status === "CONFLICT" ? conflict(field, message) : badRequest(field, message);
  }
}

/** Stage names are unique among a pipeline's live stages. */
function checkStageNames(names: string[], field: string) {
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) throw conflict(field, `a pipeline has one live stage named ${name}`);
    seen.add(key);
  }
}

export async function lockLivePipeline(tx: Tx, ctx: OrgContext, id: string) {
  return lockRecord(tx, ctx, pipelines, id, { deleted: false });
}

/** A live stage, locked with its pipeline (stage writes of one pipeline queue up). */
async function lockLiveStage(tx: Tx, ctx: OrgContext, id: string) {
  const stage = await tx.pipelineStage.findFirst({ where: { id, organizationId: ctx.org.id, deletedAt: null } });
  if (!stage) throw referenceNotFound("stageId", "Stage not found");
  await lockLivePipeline(tx, ctx, stage.pipelineId);
  return stage;
}

/** Writes stages of a new pipeline, in order, audited. */
export async function createStages(tx: Tx, ctx: OrgContext, pipelineId: string, stages: readonly StageValues[]) {
  checkKinds(
    stages.map((stage) => stage.kind),
    "stages",
    "BAD_REQUEST",
  );
  checkStageNames(
    stages.map((stage) => stage.name),
    "stages",
  );
  for (const [position, stage] of stages.entries()) {
    const row = await tx.pipelineStage.create({
      data: { ...stage, rottingDays: stage.rottingDays ?? null, organizationId: ctx.org.id, pipelineId, position },
    });
    await auditStage(tx, ctx, "create", null, row);
  }
}

/** Renumbers a pipeline's live stages 0..n-1 in `order` (their ids). */
async function renumber(tx: Tx, ids: readonly string[]) {
  for (const [position, id] of ids.entries()) await tx.pipelineStage.update({ where: { id }, data: { position } });
}

export async function addStage(tx: Tx, ctx: OrgContext, input: z.output<typeof createStageInput>) {
  const { id: pipelineId, position, ...values } = input;
  await lockLivePipeline(tx, ctx, pipelineId);
  const stages = await stagesOf(tx, ctx, pipelineId);
  checkStageNames([...stages.map((stage) => stage.name), values.name], "name");
  const at = Math.min(position ?? stages.length, stages.length);
  const row = await tx.pipelineStage.create({
    data: { ...values, rottingDays: values.rottingDays ?? null, organizationId: ctx.org.id, pipelineId, position: stages.length },
  });
  const order = stages.map((stage) => stage.id);
  order.splice(at, 0, row.id);
  await renumber(tx, order);
  await auditStage(tx, ctx, "create", null, row);
  return tx.pipelineStage.findUniqueOrThrow({ where: { id: row.id } });
}

/** The open deals of a stage, locked, each written through the deals resource. */
async function dealsIn(tx: Tx, ctx: OrgContext, stageId: string) {
  const ids = await tx.deal.findMany({ where: { organizationId: ctx.org.id, stageId, deletedAt: null }, select: { id: true } });
  return lockRecords<Deal>(
    tx,
    ctx,
    deals,
    ids.map((deal) => deal.id),
    { deleted: false },
  );
}

export async function changeStage(tx: Tx, ctx: OrgContext, input: z.output<typeof updateStageInput>) {
  const { stageId: id, ...changes } = input;
  const before = await lockLiveStage(tx, ctx, id);
  const stages = await stagesOf(tx, ctx, before.pipelineId);
  if (changes.name !== undefined) {
    checkStageNames([...stages.filter((stage) => stage.id !== id).map((stage) => stage.name), changes.name], "name");
  }
  if (changes.kind && changes.kind !== before.kind) {
    checkKinds(
      stages.map((stage) => (stage.id === id ? (changes.kind as string) : stage.kind)),
      "kind",
    );
  }
  const after = await tx.pipelineStage.update({ where: { id }, data: changes });
  await auditStage(tx, ctx, "update", before, after);
  if (after.kind !== before.kind || after.rottingDays !== before.rottingDays) {
    // The deals' derived columns follow the stage: status and closedAt its kind, rotsAt its rotting period.
    const now = new Date();
    for (const deal of await dealsIn(tx, ctx, id)) {
      const columns = kindColumns(deal, after, deal.stageEnteredAt, now);
      const changed = columns.status !== deal.status || (columns.rotsAt?.getTime() ?? null) !== (deal.rotsAt?.getTime() ?? null);
      if (changed) await changeRecord(tx, ctx, deals, deal, columns, { action: "stage-change" });
    }
  }
  return after;
}

/**
 * Soft-deletes a stage: refused while it is the pipeline's last of its kind, or holds live deals
 * and `moveDealsTo` names no other live stage of the same pipeline (the deals move first, history kept).
 */
export async function removeStage(tx: Tx, ctx: OrgContext, id: string, moveDealsTo: string | undefined) {
  const before = await lockLiveStage(tx, ctx, id);
  const stages = await stagesOf(tx, ctx, before.pipelineId);
  checkKinds(
    stages.filter((stage) => stage.id !== id).map((stage) => stage.kind),
    "stageId",
  );
  const held = await dealsIn(tx, ctx, id);
  if (held.length && !moveDealsTo) {
    throw conflict("moveDealsTo", `the stage holds ${held.length} live deal(s): name a stage to move them to`);
  }
  if (moveDealsTo) {
    const target = await liveStage(tx, ctx, moveDealsTo, "moveDealsTo");
    if (target.pipelineId !== before.pipelineId || target.id === id) {
      throw badRequest("moveDealsTo", "must be another live stage of the same pipeline");
    }
    for (const deal of held) await moveDeal(tx, ctx, deal, target, "move-stage");
  }
  const after = await tx.pipelineStage.update({ where: { id }, data: { deletedAt: new Date() } });
  await renumber(
    tx,
    stages.filter((stage) => stage.id !== id).map((stage) => stage.id),
  );
  await auditStage(tx, ctx, "delete", before, after);
  return { ok: true as const, movedDeals: held.length };
}

/** Reorders a pipeline's stages: `stageIds` must be exactly its live stages (400 naming stageIds otherwise). */
export async function reorderStages(tx: Tx, ctx: OrgContext, input: z.output<typeof reorderStagesInput>) {
  const pipeline = await lockLivePipeline(tx, ctx, input.id);
  const stages = await stagesOf(tx, ctx, input.id);
  const live = new Set(stages.map((stage) => stage.id));
  const given = new Set(input.stageIds);
  if (given.size !== input.stageIds.length) throw badRequest("stageIds", "lists a stage twice");
  const strangers = input.stageIds.filter((stageId) => !live.has(stageId));
  // A stage of no pipeline of the organization reads as an unknown id, as any reference does.
  const known = strangers.length
    ? await tx.pipelineStage.count({ where: { id: { in: strangers }, organizationId: ctx.org.id, deletedAt: null } })
    : 0;
  if (known < strangers.length) throw referenceNotFound("stageIds", "Stage not found");
  if (given.size !== live.size || strangers.length) {
    throw badRequest("stageIds", "must list every live stage of the pipeline exactly once");
  }
  await renumber(tx, input.stageIds);
  await writeAudit(tx, ctx, {
    action: "reorder-stages",
    entityType: pipelines.singular,
    entityId: pipeline.id,
    before: { stageIds: stages.map((stage) => stage.id) },
    after: { stageIds: input.stageIds },
  });
  return pipeline;
}
