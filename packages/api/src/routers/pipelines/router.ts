import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { findRecord } from "../../kit/records.ts";
import { idInput } from "../../lib/schemas.ts";
import { stagesOf } from "../deals/stage-moves.ts";
import {
  createPipelineInput,
  createStageInput,
  deletePipelineInput,
  deleteStageInput,
  pipelineOutput,
  pipelines,
  presentStage,
  reorderStagesInput,
  stageOutput,
  updateStageInput,
} from "./schemas.ts";
import { createPipeline, deletePipeline, setDefaultPipeline } from "./service.ts";
import { addStage, changeStage, removeStage, reorderStages } from "./stages.ts";

// Pipelines are configuration: no bulk tools, no owner; create and delete keep the stage rules.
const { list, byId, update, restore, history } = resourceProcedures(pipelines);

/** `/pipeline-stages/{id}`: a stage is addressed on its own, outside its pipeline's path. */
const stagePaths = { key: pipelines.key, basePath: "/pipeline-stages" } as const;

const deleteStageOutput = z.object({ ok: z.literal(true), movedDeals: z.number().int() });

export const pipelinesRouter = staticRoutesFirst({
  list,
  byId,
  update,
  restore,
  history,

  create: resourceAction(pipelines, "write", {
    method: "POST",
    path: "",
    summary: "Create a pipeline with its stages (the default pipeline's stages when none are given)",
  })
    .input(createPipelineInput)
    .output(pipelineOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, pipelines, (tx) => createPipeline(tx, ctx, input))),

  delete: resourceAction(pipelines, "delete", {
    method: "DELETE",
    path: "/{id}",
    summary: "Soft-delete a pipeline (not the default; its live deals move to moveDealsTo, a stage of another pipeline)",
  })
    .input(deletePipelineInput)
    .output(pipelineOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, pipelines, (tx) => deletePipeline(tx, ctx, input.id, input.moveDealsTo))),

  setDefault: resourceAction(pipelines, "write", {
    method: "POST",
    path: "/{id}/set-default",
    summary: "Make a pipeline the organization's default (new deals land in it)",
  })
    .input(idInput)
    .output(pipelineOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, pipelines, (tx) => setDefaultPipeline(tx, ctx, input.id))),

  stages: resourceAction(pipelines, "read", {
    method: "GET",
    path: "/{id}/stages",
    summary: "A pipeline's live stages, in order",
  })
    .input(idInput)
    .output(z.object({ items: z.array(stageOutput) }))
    .query(async ({ ctx, input }) => {
      await findRecord(ctx.db, ctx, pipelines, input.id);
      return { items: (await stagesOf(ctx.db, ctx, input.id)).map(presentStage) };
    }),

  createStage: resourceAction(pipelines, "write", {
    method: "POST",
    path: "/{id}/stages",
    summary: "Add a stage to a pipeline (last, or at position)",
  })
    .input(createStageInput)
    .output(stageOutput)
    .mutation(async ({ ctx, input }) => presentStage(await ctx.db.$transaction((tx) => addStage(tx, ctx, input)))),

  reorderStages: resourceAction(pipelines, "write", {
    method: "POST",
    path: "/{id}/stages/reorder",
    summary: "Reorder a pipeline's stages (stageIds: every live stage, once)",
  })
    .input(reorderStagesInput)
    .output(pipelineOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, pipelines, (tx) => reorderStages(tx, ctx, input))),

  updateStage: resourceAction(stagePaths, "write", {
    method: "PATCH",
    path: "/{stageId}",
    summary: "Change a stage (its deals follow a new kind or rotting period)",
  })
    .input(updateStageInput)
    .output(stageOutput)
    .mutation(async ({ ctx, input }) => presentStage(await ctx.db.$transaction((tx) => changeStage(tx, ctx, input)))),

  deleteStage: resourceAction(stagePaths, "delete", {
    method: "DELETE",
    path: "/{stageId}",
    summary: "Delete a stage (its live deals move to moveDealsTo, a stage of the same pipeline)",
  })
    .input(deleteStageInput)
    .output(deleteStageOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => removeStage(tx, ctx, input.stageId, input.moveDealsTo))),
} satisfies TRPCRouterRecord);
