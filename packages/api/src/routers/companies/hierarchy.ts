import type { Prisma } from "@crm/db";
import { conflict } from "../../errors.ts";
import type { OrgContext } from "../../trpc.ts";

type Tx = Prisma.TransactionClient;

/** Whether `companyId` is `parentId` or one of its ancestors, as the database holds them now. */
export async function ancestorsIncludeSelf(tx: Tx, ctx: OrgContext, companyId: string, parentId: string): Promise<boolean> {
  const found = await tx.$queryRawUnsafe<unknown[]>(
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
  return found.length > 0;
}

/** Changes of parents in one organization are serialised (until the transaction ends), so two concurrent changes cannot close a cycle neither saw. */
export async function lockCompanyTree(tx: Tx, ctx: OrgContext): Promise<void> {
  await tx.$queryRawUnsafe("SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))", `company-parents:${ctx.org.id}`);
}

/**
 * `parentId` may become the parent of `companyId` only if `companyId` is not among its ancestors
 * (nor the parent itself): a company cannot be its own ancestor.
 */
export async function checkParent(tx: Tx, ctx: OrgContext, companyId: string, parentId: string) {
  await lockCompanyTree(tx, ctx);
  if (await ancestorsIncludeSelf(tx, ctx, companyId, parentId)) {
    throw conflict(
      "parentId",
      parentId === companyId ? "a company cannot be its own parent" : "would make the company its own ancestor",
    );
  }
}
