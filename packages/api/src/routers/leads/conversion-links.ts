import type { Lead, Prisma } from "@crm/db";
import { writeRecords } from "../../kit/bulk.ts";
import { lockRecords } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { leads } from "./schemas.ts";

type ConversionLink = "convertedContactId" | "convertedCompanyId" | "convertedDealId";

/**
 * Before a contact, company or deal is deleted for good, the leads converted into it let go of it
 * (the foreign keys are NO ACTION), each audited as an update; they stay converted.
 */
export async function releaseConvertedLeads(tx: Prisma.TransactionClient, ctx: OrgContext, link: ConversionLink, id: string) {
  const referencing = await tx.lead.findMany({ where: { organizationId: ctx.org.id, [link]: id }, select: { id: true } });
  if (referencing.length === 0) return;
  const locked = await lockRecords<Lead>(
    tx,
    ctx,
    leads,
    referencing.map((row) => row.id),
  );
  await writeRecords(tx, ctx, leads, locked, { [link]: null }, "update");
}
