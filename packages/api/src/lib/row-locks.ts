import type { Prisma } from "@crm/db";

/** What reading locked rows back needs of a Prisma model: `tx.lead`, `tx.contact`, ... */
export interface OrgScopedModel<Row> {
  findMany(args: { where: { id: { in: string[] }; organizationId: string } }): Promise<Row[]>;
}

/** A table whose rows belong to an organization, and the model that reads them. */
export interface LockableResource<Row> {
  table: string;
  model(tx: Prisma.TransactionClient): OrgScopedModel<Row>;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Locks the rows `ids` of one organization (`SELECT ... FOR UPDATE`) until the transaction ends,
 * then reads them: a write that starts from what this returns sees every write committed before
 * it, and no other write of these rows can commit until it does. So no change is lost, each audit
 * entry's `before` is what the previous write left, and fields derived from others are computed
 * from the fields that will be stored. Ids of other organizations, or of no row, are not returned.
 *
 * Rows are locked in id order, so two writers of overlapping sets wait for each other instead of
 * deadlocking. Every write of a row that reads it first must read it through here.
 */
export async function lockRows<Row>(
  tx: Prisma.TransactionClient,
  resource: LockableResource<Row>,
  organizationId: string,
  ids: readonly string[],
): Promise<Row[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  await tx.$queryRawUnsafe(
    `SELECT 1 FROM ${quote(resource.table)} WHERE "organizationId" = $1::uuid AND "id" = ANY($2::uuid[]) ORDER BY "id" FOR UPDATE`,
    organizationId,
    unique,
  );
  // A new statement of a READ COMMITTED transaction: it sees what the writers we waited for committed.
  return resource.model(tx).findMany({ where: { id: { in: unique }, organizationId } });
}
