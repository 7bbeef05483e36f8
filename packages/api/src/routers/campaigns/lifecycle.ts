import type { Campaign, Prisma } from "@crm/db";
import { conflict } from "../../errors.ts";
import { lockRecord, writeRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { type CampaignStatus, campaigns } from "./schemas.ts";

/**
 * The lifecycle: draft → scheduled → active ⇄ paused → completed, and cancelled from any state but
 * completed. Each move says where it may start and stamps when the campaign entered its state.
 */
export const CAMPAIGN_MOVES = {
  schedule: { from: ["draft"], to: "scheduled", stamp: "scheduledAt" },
  activate: { from: ["scheduled", "paused"], to: "active", stamp: "activatedAt" },
  pause: { from: ["active"], to: "paused", stamp: "pausedAt" },
  complete: { from: ["active", "paused"], to: "completed", stamp: "completedAt" },
  cancel: { from: ["draft", "scheduled", "active", "paused"], to: "cancelled", stamp: "cancelledAt" },
} as const satisfies Record<string, { from: readonly CampaignStatus[]; to: CampaignStatus; stamp: keyof Campaign }>;

export type CampaignMove = keyof typeof CAMPAIGN_MOVES;

/** Moves a live campaign; a move its state does not allow is a 409 naming the current and the requested state. */
export async function moveCampaign(tx: Prisma.TransactionClient, ctx: OrgContext, id: string, move: CampaignMove) {
  const campaign = await lockRecord<Campaign>(tx, ctx, campaigns, id, { deleted: false });
  const { from, to, stamp } = CAMPAIGN_MOVES[move];
  if (!(from as readonly string[]).includes(campaign.status)) {
    throw conflict(
      "status",
      `the campaign is ${campaign.status} and cannot become ${to} (${move} starts from ${from.join(" or ")})`,
    );
  }
  return writeRecord<Campaign>(tx, ctx, campaigns, campaign, { status: to, [stamp]: new Date() }, move);
}
