import type { Prisma } from "@crm/db";
import { conflict } from "../../errors.ts";
import type { OrgContext } from "../../trpc.ts";

/**
 * `parentId` may become the parent of `companyId` only if `companyId` is not among its ancestors
 * (nor the parent itself): a company cannot be its own ancestor. Changes of parents in one
 * organization are serialised (a transaction-scoped advisory lock), so two concurrent changes
 * cannot close a cycle that neither saw.
 */
export async function checkParent(tx: Prisma.TransactionClient, ctx: OrgContext, companyId: string, parentId: string) {
  await tx.$queryRawUnsafe("SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))", `company-parents:${ctx.org.id}`);
  const cycle = await tx.$queryRawUnsafe<unknown[]>(
    `WITH RECURSIVE chain AS (
       SELECT "id", "parentId" FROM "Company" WHERE "organizationId" = $1::uuid AND "id" = $2::uuid
       UNION
       SELECT c."id", c."parentId" FROM "Company" c JOIN chain ON c."id" = chain."parentId" WHERE c."organizationId" = $1::uuid
     )
     SELECT 1 FROM chain WHERE "id" = $3::uuid LIMIT 1`,
    ctx.org.id,
    parentId,
    companyId,
  );
  if (cycle.length > 0) {
    const message = parentId === companyId ? "a company cannot be its own parent" : "would make the company its own ancestor";
    throw conflict("parentId", message);
  }
}
