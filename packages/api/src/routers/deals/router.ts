import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { idInput, idSchema, text, timestamp } from "../../lib/schemas.ts";
import { timelineProcedure } from "../../timeline/procedure.ts";
import { recordInteractions } from "../interactions/of-record.ts";
import { dealStageHistory, markDealLost, markDealWon, moveDealToStage, reopenDeal } from "./actions.ts";
import { dealBoard, dealBoardInput, dealBoardOutput } from "./board.ts";
import { dealOutput, deals } from "./schemas.ts";
import { dealStats, dealStatsOutput } from "./stats.ts";

const standard = resourceProcedures(deals);

const stageHistoryOutput = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      pipelineId: z.uuid(),
      fromStageId: z.uuid().nullable(),
      stageId: z.uuid(),
      stageName: z.string(),
      stageKind: z.enum(["open", "won", "lost"]),
      status: z.enum(["open", "won", "lost"]),
      enteredAt: timestamp,
      leftAt: timestamp.nullable(),
      seconds: z.number().int().meta({ description: "Time in the stage: until it left, or until now for the current stay." }),
      actorUserId: z.uuid().nullable(),
    }),
  ),
});

export const dealsRouter = staticRoutesFirst({
  ...standard,

  board: resourceAction(deals, "read", {
    method: "GET",
    path: "/board",
    summary:
      "A pipeline as a board: its stages in order, each with its count, totals and weighted totals per currency and first deals",
  })
    .input(dealBoardInput)
    .output(dealBoardOutput)
    .query(({ ctx, input }) => dealBoard(ctx.db, ctx, input) as never),

  stats: resourceAction(deals, "read", {
    method: "GET",
    path: "/stats",
    summary:
      "Open value by stage, weighted forecast by expected-close month, win rate, average won size and sales cycle, by owner",
  })
    .input(deals.schemas.filters)
    .output(dealStatsOutput)
    .query(({ ctx, input }) => dealStats(ctx.db, ctx, input)),

  moveStage: resourceAction(deals, "write", {
    method: "POST",
    path: "/{id}/move-stage",
    summary: "Move an open deal to another stage of its pipeline (stage history kept; a lost stage needs reason)",
  })
    .input(
      z.strictObject({
        id: idSchema,
        stageId: idSchema,
        reason: z
          .string()
          .trim()
          .max(500)
          .optional()
          .meta({ description: "Why the deal was lost: required when the stage is a lost stage." }),
      }),
    )
    .output(dealOutput)
    .mutation(({ ctx, input }) =>
      writeAndPresent(ctx, deals, (tx) => moveDealToStage(tx, ctx, input.id, input.stageId, input.reason)),
    ),

  markWon: resourceAction(deals, "write", {
    method: "POST",
    path: "/{id}/mark-won",
    summary: "Win a deal: to its pipeline's first won stage",
  })
    .input(idInput)
    .output(dealOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, deals, (tx) => markDealWon(tx, ctx, input.id))),

  markLost: resourceAction(deals, "write", {
    method: "POST",
    path: "/{id}/mark-lost",
    summary: "Lose a deal, saying why: to its pipeline's first lost stage",
  })
    .input(z.strictObject({ id: idSchema, reason: text(500) }))
    .output(dealOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, deals, (tx) => markDealLost(tx, ctx, input.id, input.reason))),

  reopen: resourceAction(deals, "write", {
    method: "POST",
    path: "/{id}/reopen",
    summary: "Reopen a won or lost deal: back to the open stage it closed from",
  })
    .meta({ preparedBy: "markWon" })
    .input(idInput)
    .output(dealOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, deals, (tx) => reopenDeal(tx, ctx, input.id))),

  stageHistory: resourceAction(deals, "read", {
    method: "GET",
    path: "/{id}/stage-history",
    summary: "A deal's stays in stages, oldest first, with the time spent in each",
  })
    .input(idInput)
    .output(stageHistoryOutput)
    .query(({ ctx, input }) => dealStageHistory(ctx.db, ctx, input.id)),

  interactions: recordInteractions(deals, "dealId"),

  timeline: timelineProcedure(deals),
} satisfies TRPCRouterRecord);
