import type { Prisma } from "@crm/db";
import type { OrgContext } from "../trpc.ts";
import { insertRows } from "./bulk-sql.ts";
import { uuidv7 } from "./ids.ts";

/** The plain writes, or a named action (`qualify`, `merge`) recorded under its own name. */
export type AuditAction = "create" | "update" | "delete" | "restore" | "purge" | (string & {});
export type FieldChanges = Record<string, { before: unknown; after: unknown }>;

type Snapshot = Record<string, unknown>;

// Bookkeeping columns that change on every write and say nothing about what was changed.
const IGNORED_FIELDS = new Set(["updatedAt", "updatedById", "organizationId"]);

function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (value !== null && typeof value === "object" && "toFixed" in value) return String(value);
  return value ?? null;
}

/** Field-by-field before/after of two snapshots of one record; unchanged fields are left out. */
export function diffSnapshots(before: Snapshot | null, after: Snapshot | null): FieldChanges {
  const changes: FieldChanges = {};
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const field of fields) {
    if (IGNORED_FIELDS.has(field)) continue;
    const oldValue = toJsonValue(before?.[field]);
    const newValue = toJsonValue(after?.[field]);
    if (JSON.stringify(oldValue) !== JSON.stringify(newValue)) changes[field] = { before: oldValue, after: newValue };
  }
  return changes;
}

export interface AuditEntry {
  action: AuditAction;
  entityType: string;
  entityId: string;
  before: Snapshot | null;
  after: Snapshot | null;
}

/**
 * The one audit writer. Call it with the transaction that made the change, so the record and its
 * audit entry commit or roll back together. An update that changed nothing writes nothing.
 */
export async function writeAudit(db: Prisma.TransactionClient, ctx: OrgContext, entry: AuditEntry): Promise<void> {
  const changes = diffSnapshots(entry.before, entry.after);
  if (entry.action === "update" && Object.keys(changes).length === 0) return;
  await db.auditLog.create({
    data: {
      organizationId: ctx.org.id,
      actorUserId: ctx.actor.userId,
      actorApiKeyId: ctx.actor.apiKeyId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      changes: changes as Prisma.InputJsonValue,
      requestId: ctx.requestId,
    },
  });
}

/** Many entries in one statement (bulk operations, imports); same rules as writeAudit. */
export async function writeAuditMany(db: Prisma.TransactionClient, ctx: OrgContext, entries: AuditEntry[]): Promise<void> {
  const now = Date.now();
  const rows = entries
    .map((entry) => ({ entry, changes: diffSnapshots(entry.before, entry.after) }))
    .filter(({ entry, changes }) => entry.action !== "update" || Object.keys(changes).length > 0)
    .map(({ entry, changes }) => ({
      id: uuidv7(now),
      organizationId: ctx.org.id,
      actorUserId: ctx.actor.userId,
      actorApiKeyId: ctx.actor.apiKeyId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      changes,
      requestId: ctx.requestId,
    }));
  await insertRows(db, "AuditLog", rows);
}
