import type { Prisma } from "@crm/db";
import { conflict } from "../errors.ts";
import type { OrgContext } from "../trpc.ts";

type Tx = Prisma.TransactionClient;

/**
 * Records of one table that name a parent of the same table (`parentId`): companies and their
 * subsidiaries, campaigns and their sub-campaigns. The chain of parents stays a tree.
 */
export interface ParentTree {
  /** Serialises changes of parents in one organization (until the transaction ends), so two concurrent changes cannot close a loop neither saw. */
  lock(tx: Tx, ctx: OrgContext): Promise<void>;
  /** Whether `id` is `parentId` or one of its ancestors, as the database holds them now. */
  ancestorsInclude(tx: Tx, ctx: OrgContext, id: string, parentId: string): Promise<boolean>;
  /** Locks the tree and refuses (409 naming parentId) a parent that is the record itself or below it. */
  checkParent(tx: Tx, ctx: OrgContext, id: string, parentId: string): Promise<void>;
}

export function parentTree(table: "Company" | "Campaign", noun: string): ParentTree {
  const tree: ParentTree = {
    lock: async (tx, ctx) => {
      await tx.$queryRawUnsafe("SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))", `${table}-parents:${ctx.org.id}`);
    },
    ancestorsInclude: async (tx, ctx, id, parentId) => {
      const found = await tx.$queryRawUnsafe<unknown[]>(
        `WITH RECURSIVE chain AS (
           SELECT "id", "parentId" FROM "${table}" WHERE "organizationId" = $1::uuid AND "id" = $2::uuid
           UNION
           SELECT t."id", t."parentId" FROM "${table}" t JOIN chain ON t."id" = chain."parentId" WHERE t."organizationId" = $1::uuid
         )
         SELECT 1 FROM chain WHERE "id" = $3::uuid LIMIT 1`,
        ctx.org.id,
        parentId,
        id,
      );
      return found.length > 0;
    },
    checkParent: async (tx, ctx, id, parentId) => {
      await tree.lock(tx, ctx);
      if (await tree.ancestorsInclude(tx, ctx, id, parentId)) {
        throw conflict(
          "parentId",
          parentId === id ? `a ${noun} cannot be its own parent` : `would make the ${noun} its own ancestor`,
        );
      }
    },
  };
  return tree;
}
