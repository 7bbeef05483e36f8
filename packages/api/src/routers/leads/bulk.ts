import type { Lead, Prisma } from "@crm/db";
import { lockAllForBulk, writeRecords } from "../../kit/bulk.ts";
import type { OrgContext } from "../../trpc.ts";
import { refuseUnconverting, STATUS_PROBABILITY } from "./derived.ts";
import { leads } from "./schemas.ts";

/** Sets the status of all the leads or none, each with its status's default probability. */
export async function bulkUpdateStatus(tx: Prisma.TransactionClient, ctx: OrgContext, ids: string[], status: Lead["status"]) {
  const before = await lockAllForBulk<Lead>(tx, ctx, leads, ids, false);
  for (const lead of before) refuseUnconverting(lead, status);
  return writeRecords(tx, ctx, leads, before, { status, conversionProbability: STATUS_PROBABILITY[status] ?? null }, "update");
}
