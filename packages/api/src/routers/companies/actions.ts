import type { Company, Prisma } from "@crm/db";
import { changeRecord, lockRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { companies } from "./schemas.ts";

/** Seed 003's activate / deactivate: audited under their own names, even when the flag was already so. */
export async function setCompanyActive(tx: Prisma.TransactionClient, ctx: OrgContext, id: string, isActive: boolean) {
  const before = await lockRecord<Company>(tx, ctx, companies, id, { deleted: false });
  return changeRecord<Company>(tx, ctx, companies, before, { isActive }, { action: isActive ? "activate" : "deactivate" });
}
