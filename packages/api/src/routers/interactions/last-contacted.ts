import type { Interaction, Prisma } from "@crm/db";
import type { OrgContext } from "../../trpc.ts";

type Tx = Prisma.TransactionClient;

const LINKED_TABLES = [
  ["leadId", "Lead"],
  ["contactId", "Contact"],
  ["companyId", "Company"],
  ["dealId", "Deal"],
] as const;

/**
 * An interaction's linked records were last contacted at its occurredAt when that is later than
 * what they hold (GREATEST: an interaction logged late never moves the date back). Derived, so a
 * plain update in the write's transaction, not an audited change of those records.
 */
export async function raiseLastContactedAt(tx: Tx, ctx: OrgContext, rows: Interaction[]): Promise<void> {
  for (const [column, table] of LINKED_TABLES) {
    const latest = new Map<string, Date>();
    for (const row of rows) {
      const id = row[column];
      if (!id) continue;
      const current = latest.get(id);
      if (!current || current < row.occurredAt) latest.set(id, row.occurredAt);
    }
    if (latest.size === 0) continue;
    await tx.$executeRawUnsafe(
      `UPDATE "${table}" AS t SET "lastContactedAt" = GREATEST(t."lastContactedAt", v.at)
       FROM unnest($2::uuid[], $3::text[]::timestamptz[]) AS v(id, at)
       WHERE t."organizationId" = $1::uuid AND t."id" = v.id
         AND (t."lastContactedAt" IS NULL OR t."lastContactedAt" < v.at)`,
      ctx.org.id,
      [...latest.keys()],
      [...latest.values()].map((at) => at.toISOString()),
    );
  }
}
