import type { Company, Contact, Prisma } from "@crm/db";
import { writeRecords } from "../../kit/bulk.ts";
import { lockRecords } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { contacts } from "../contacts/schemas.ts";
import { releaseConvertedLeads } from "../leads/conversion-links.ts";
import { companies } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

/**
 * Before a company is deleted for good, what points at it lets go (the foreign keys are NO ACTION):
 * its subsidiaries lose their parent, the companies merged into it their pointer, contacts their
 * primary company, converted leads their link (each audited as an update of that record). Its contact links go with it
 * (ON DELETE CASCADE).
 */
export async function clearReferencesTo(tx: Tx, ctx: OrgContext, companyId: string): Promise<void> {
  await releaseConvertedLeads(tx, ctx, "convertedCompanyId", companyId);
  for (const column of ["parentId", "mergedIntoId"] as const) {
    const referencing = await tx.company.findMany({
      where: { organizationId: ctx.org.id, [column]: companyId },
      select: { id: true },
    });
    if (referencing.length === 0) continue;
    const locked = await lockRecords<Company>(
      tx,
      ctx,
      companies,
      referencing.map((row) => row.id),
    );
    await writeRecords(tx, ctx, companies, locked, { [column]: null }, "update");
  }
  const primaryOf = await tx.contact.findMany({
    where: { organizationId: ctx.org.id, primaryCompanyId: companyId },
    select: { id: true },
  });
  if (primaryOf.length) {
    const locked = await lockRecords<Contact>(
      tx,
      ctx,
      contacts,
      primaryOf.map((row) => row.id),
    );
    await writeRecords(tx, ctx, contacts, locked, { primaryCompanyId: null }, "update");
  }
}
