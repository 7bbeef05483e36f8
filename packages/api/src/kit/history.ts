import type { Prisma } from "@crm/db";
import { z } from "zod";
import { keysetPage } from "../lib/pagination.ts";
import { timestamp } from "../lib/schemas.ts";
import type { OrgContext } from "../trpc.ts";
import { type Actor, actorOutput } from "./actor.ts";
import { findRecord } from "./records.ts";
import type { AnyResource } from "./resource.ts";

export { type Actor, actorOutput };

type Changes = Record<string, { before: unknown; after: unknown }>;

interface ActorColumns {
  actorUserId: string | null;
  actorApiKeyId: string | null;
}

/** Names the actors of `rows` in two queries; the function answers each row's actor. */
export async function actorResolver(db: Prisma.TransactionClient, ctx: OrgContext, rows: readonly ActorColumns[]) {
  const userIds = [...new Set(rows.map((row) => row.actorUserId).filter((id): id is string => Boolean(id)))];
  const apiKeyIds = [...new Set(rows.map((row) => row.actorApiKeyId).filter((id): id is string => Boolean(id)))];
  const [users, apiKeys] = await Promise.all([
    userIds.length ? db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true } }) : [],
    apiKeyIds.length
      ? db.apiKey.findMany({ where: { id: { in: apiKeyIds }, organizationId: ctx.org.id }, select: { id: true, name: true } })
      : [],
  ]);
  const userNames = new Map(users.map((user) => [user.id, user.name]));
  const apiKeyNames = new Map(apiKeys.map((key) => [key.id, key.name]));
  return (row: ActorColumns): Actor =>
    row.actorUserId
      ? { kind: "user", id: row.actorUserId, name: userNames.get(row.actorUserId) ?? null }
      : row.actorApiKeyId
        ? { kind: "apiKey", id: row.actorApiKeyId, name: apiKeyNames.get(row.actorApiKeyId) ?? null }
        : { kind: "unknown", id: null, name: null };
}

/**
 * The audit trail of one record, newest first, field by field, with who made each change. A
 * soft-deleted record's too (meta recordState "any"): it is how one reads who deleted or merged
 * it (a merged record's `merge` entry); a purged record has none to read.
 */
export async function recordHistory(
  db: Prisma.TransactionClient,
  ctx: OrgContext,
  resource: AnyResource,
  input: { id: string; limit: number; cursor?: string },
) {
  await findRecord(db, ctx, resource, input.id, {});
  const page = keysetPage({ field: "createdAt", order: "desc", type: "date" }, input.limit, input.cursor);
  const rows = await db.auditLog.findMany({
    where: { AND: [{ organizationId: ctx.org.id, entityType: resource.singular, entityId: input.id }, page.where] },
    orderBy: page.orderBy as Prisma.AuditLogOrderByWithRelationInput[],
    take: page.take,
  });
  const { items, nextCursor } = page.toPage(rows);
  const actorOf = await actorResolver(db, ctx, items);
  return {
    items: items.map((row) => ({
      id: row.id,
      action: row.action,
      at: row.createdAt,
      actor: actorOf(row),
      changes: Object.entries((row.changes ?? {}) as Changes).map(([field, change]) => ({ field, ...change })),
    })),
    nextCursor,
  };
}

export const historyOutput = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      action: z
        .string()
        .meta({ description: "create, update, delete, restore, purge, or a named action (qualify, merge, ...)." }),
      at: timestamp,
      actor: actorOutput,
      changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
    }),
  ),
  nextCursor: z.string().nullable(),
});
