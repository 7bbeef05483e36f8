import type { Prisma } from "@crm/db";
import { forbidden } from "../errors.ts";
import type { Permission } from "../permissions.ts";
import type { OrgContext } from "../trpc.ts";
import { writeRecords } from "./bulk.ts";
import { lockRecords } from "./records.ts";
import type { AnyResource, RecordRow } from "./resource.ts";

type Tx = Prisma.TransactionClient;

/** Rows written per statement: keeps each `id IN (...)` and its audit insert a reasonable size. */
const CHUNK = 1000;

/**
 * Moves the reassignable records (see ResourceDeclaration.reassignable) that `fromUserId` owns to
 * `toUserId`, over every resource that has an owner, in the caller's transaction: each record is
 * locked and audited as `action`. Moving another member's records is assigning them, so a resource
 * with records to move needs `<resource>:assign`. Answers how many moved, by resource key.
 * `toUserId` is the caller's to check (an active member).
 */
/** Whether a resource's records move to another member when their owner leaves. */
export function movesOnReassign(resource: AnyResource): boolean {
  return Boolean(resource.owner) && resource.reassignable !== false;
}

export async function reassignOwnedRecords(
  tx: Tx,
  ctx: OrgContext,
  resources: readonly AnyResource[],
  fromUserId: string,
  toUserId: string,
  action = "reassign",
): Promise<Record<string, number>> {
  const moved: Record<string, number> = {};
  for (const resource of resources) {
    const owner = resource.owner;
    if (!owner || !movesOnReassign(resource)) continue;
    const owned = { organizationId: ctx.org.id, deletedAt: null, [owner.field]: fromUserId };
    const candidates = (await resource.model(tx).findMany({
      where: { AND: [owned, ...(resource.reassignable ? [resource.reassignable(ctx)] : [])] },
      select: { id: true },
      orderBy: { id: "asc" },
    })) as { id: string }[];
    let count = 0;
    moved[resource.key] = count;
    if (candidates.length === 0) continue;
    const assign = `${resource.key}:assign` as Permission;
    if (!ctx.permissions.has(assign)) throw forbidden(`Missing permission ${assign} to reassign ${resource.key}`);
    for (let start = 0; start < candidates.length; start += CHUNK) {
      const ids = candidates.slice(start, start + CHUNK).map((row) => row.id);
      // A record another transaction gave away or deleted meanwhile is no longer theirs to move.
      const locked = (await lockRecords<RecordRow>(tx, ctx, resource, ids, { deleted: false })).filter(
        (row) => (row as unknown as Record<string, unknown>)[owner.field] === fromUserId,
      );
      if (locked.length === 0) continue;
      await writeRecords(tx, ctx, resource, locked, { [owner.field]: toUserId }, action);
      count += locked.length;
    }
    moved[resource.key] = count;
  }
  return moved;
}
