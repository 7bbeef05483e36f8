import type { Deal, Pipeline, Prisma } from "@crm/db";
import type { z } from "zod";
import { badRequest, conflict } from "../../errors.ts";
import { createRecord, lockRecords, softDeleteRecord, writeRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { moveDeal } from "../deals/actions.ts";
import { deals } from "../deals/schemas.ts";
import { liveStage } from "../deals/stage-moves.ts";
import { DEFAULT_PIPELINE } from "./default-pipeline.ts";
import { type createPipelineInput, pipelines } from "./schemas.ts";
import { createStages, lockLivePipeline } from "./stages.ts";

type Tx = Prisma.TransactionClient;

/** A new pipeline with its stages (the default pipeline's when none are given); never the default. */
export async function createPipeline(tx: Tx, ctx: OrgContext, input: z.output<typeof createPipelineInput>) {
  const { stages, ...values } = input;
  const pipeline = await createRecord<Pipeline>(tx, ctx, pipelines, values);
  const given =
    stages ?? DEFAULT_PIPELINE.stages.map((stage) => ({ ...stage, probability: stage.probability as unknown as Prisma.Decimal }));
  await createStages(tx, ctx, pipeline.id, given as never);
  return pipeline;
}

/** Makes a pipeline the default one (the previous default stops being it). */
export async function setDefaultPipeline(tx: Tx, ctx: OrgContext, id: string) {
  const target = await lockLivePipeline(tx, ctx, id);
  if ((target as Pipeline).isDefault) return target;
  const current = await tx.pipeline.findFirst({ where: { organizationId: ctx.org.id, isDefault: true, deletedAt: null } });
  if (current) {
    const [locked] = await lockRecords(tx, ctx, pipelines, [current.id]);
    if (locked) await writeRecord(tx, ctx, pipelines, locked, { isDefault: false }, "unset-default");
  }
  return writeRecord(tx, ctx, pipelines, target, { isDefault: true }, "set-default");
}

/**
 * Soft-deletes a pipeline: never the default one; while it holds live deals, only when
 * `moveDealsTo` names a stage of another pipeline (they move there first, stage history kept).
 */
export async function deletePipeline(tx: Tx, ctx: OrgContext, id: string, moveDealsTo: string | undefined) {
  const pipeline = (await lockLivePipeline(tx, ctx, id)) as Pipeline;
  if (pipeline.isDefault) throw conflict("id", "the default pipeline cannot be deleted: make another one the default first");
  const ids = await tx.deal.findMany({
    where: { organizationId: ctx.org.id, pipelineId: id, deletedAt: null },
    select: { id: true },
  });
  if (ids.length && !moveDealsTo) {
    throw conflict(
      "moveDealsTo",
      `the pipeline holds ${ids.length} live deal(s): name a stage of another pipeline to move them to`,
    );
  }
  if (moveDealsTo) {
    const target = await liveStage(tx, ctx, moveDealsTo, "moveDealsTo");
    if (target.pipelineId === id) throw badRequest("moveDealsTo", "must be a stage of another pipeline");
    const held = await lockRecords<Deal>(
      tx,
      ctx,
      deals,
      ids.map((deal) => deal.id),
      { deleted: false },
    );
    for (const deal of held) {
      await moveDeal(tx, ctx, deal, target, "move-stage");
    }
  }
  return softDeleteRecord(tx, ctx, pipelines, id);
}
