import type { TRPCRouterRecord } from "@trpc/server";
import { resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { idInput } from "../../lib/schemas.ts";
import { CAMPAIGN_MOVES, type CampaignMove, moveCampaign } from "./lifecycle.ts";
import {
  addMembers,
  addMembersInput,
  addMembersOutput,
  listMembers,
  listMembersInput,
  listMembersOutput,
  removeMembers,
  removeMembersInput,
  removeMembersOutput,
  setMemberStatus,
  setMemberStatusInput,
  setMemberStatusOutput,
} from "./members.ts";
import { campaignMetrics, campaignMetricsOutput } from "./metrics.ts";
import { campaignOutput, campaigns } from "./schemas.ts";

const BULK_TIMEOUT_MS = 60_000;

/** A lifecycle move as `POST /campaigns/{id}/<move>`; `preparedBy` names the move that brings a new campaign to where it may start. */
function lifecycleMove(move: CampaignMove, preparedBy?: CampaignMove) {
  const { from, to } = CAMPAIGN_MOVES[move];
  return resourceAction(campaigns, "write", {
    method: "POST",
    path: `/{id}/${move}`,
    summary: `Move a ${from.join(" or ")} campaign to ${to} (409 naming both states from any other)`,
  })
    .meta(preparedBy ? { preparedBy } : {})
    .input(idInput)
    .output(campaignOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, campaigns, (tx) => moveCampaign(tx, ctx, input.id, move)));
}

export const campaignsRouter = staticRoutesFirst({
  ...resourceProcedures(campaigns),

  schedule: lifecycleMove("schedule"),
  activate: lifecycleMove("activate", "schedule"),
  pause: lifecycleMove("pause", "activate"),
  complete: lifecycleMove("complete", "activate"),
  cancel: lifecycleMove("cancel"),

  members: resourceAction(campaigns, "read", {
    method: "GET",
    path: "/{id}/members",
    summary: "The members of a campaign (leads and contacts) with each step's time; filter by status and kind",
  })
    .input(listMembersInput)
    .output(listMembersOutput)
    .query(({ ctx, input }) => listMembers(ctx.db, ctx, input)),

  addMembers: resourceAction(campaigns, "write", {
    method: "POST",
    path: "/{id}/members",
    summary: "Add leads and contacts by ids or by a leads/contacts list filter (up to 100,000 at once, one statement per kind)",
    description: "Records already members stay as they are; the answer counts the added and the already members.",
  })
    .input(addMembersInput)
    .output(addMembersOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => addMembers(tx, ctx, input), { timeout: BULK_TIMEOUT_MS })),

  removeMembers: resourceAction(campaigns, "write", {
    method: "POST",
    path: "/{id}/members/remove",
    summary: "Remove leads and contacts from a campaign by their ids",
  })
    .meta({ preparedBy: "addMembers" })
    .input(removeMembersInput)
    .output(removeMembersOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => removeMembers(tx, ctx, input))),

  setMemberStatus: resourceAction(campaigns, "write", {
    method: "POST",
    path: "/{id}/members/status",
    summary:
      "Move members (one or many, by lead and contact ids) to a step: sent, opened, clicked, responded, converted or unsubscribed",
  })
    .meta({ preparedBy: "addMembers" })
    .input(setMemberStatusInput)
    .output(setMemberStatusOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => setMemberStatus(tx, ctx, input))),

  metrics: resourceAction(campaigns, "read", {
    method: "GET",
    path: "/{id}/metrics",
    summary:
      "Members per status and the funnel's rates, leads created, deals influenced and won per currency, cost per lead and per won deal, ROI",
  })
    .input(idInput)
    .output(campaignMetricsOutput)
    .query(({ ctx, input }) => campaignMetrics(ctx.db, ctx, input.id)),
} satisfies TRPCRouterRecord);
