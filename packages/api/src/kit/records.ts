import type { Prisma } from "@crm/db";
import { TRPCError } from "@trpc/server";
import { badRequest, conflict, fieldError, forbidden, invalidFields } from "../errors.ts";
import { writeAudit } from "../lib/audit.ts";
import { lockRows } from "../lib/row-locks.ts";
import type { Permission } from "../permissions.ts";
import type { OrgContext } from "../trpc.ts";
import { type AnyResource, type RecordRow, recordIssues } from "./resource.ts";

type Tx = Prisma.TransactionClient;
type Values = Record<string, unknown>;

/**
 * The write primitives of every resource. Each scopes by the caller's organization, fills the
 * actor columns and writes the audit entry in the transaction it is given, so a write and its
 * audit commit or roll back together; a named action (`qualify`, `merge`) is audited under its
 * own name. A write starts from the row as `lockRecord` returned it in the same transaction, so
 * concurrent writes of one record queue up and each audit entry's `before` is what the previous
 * write left.
 */

/** `deleted`: true for a soft-deleted record only, false for a live one only, undefined for either. */
export interface RecordState {
  deleted?: boolean;
}

function deletedCondition(state: RecordState) {
  return state.deleted === undefined ? {} : { deletedAt: state.deleted ? { not: null } : null };
}

export function notFoundIn(resource: Pick<AnyResource, "label">): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${resource.label} not found` });
}

/**
 * The kit's one lookup of a record for reads (a write reads the record it changes with
 * lockRecord). A soft-deleted record is NOT_FOUND, as an id that never existed, unless `state`
 * asks for it (`{}`: either, as byId with includeDeleted): what lives under a record (its
 * members, metrics, comments, history) is gone with it.
 */
export async function findRecord<Row>(
  db: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  id: string,
  state: RecordState = { deleted: false },
): Promise<Row> {
  const row = await resource.model(db).findFirst({ where: { id, organizationId: ctx.org.id, ...deletedCondition(state) } });
  if (!row) throw notFoundIn(resource);
  return row as Row;
}

/** The records `ids` of the org in `state`, locked until `tx` ends (see lockRows); missing or foreign ids are left out. */
export async function lockRecords<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  ids: readonly string[],
  state: RecordState = {},
): Promise<Row[]> {
  const rows = (await lockRows(tx, { table: resource.table, model: resource.model }, ctx.org.id, ids)) as Row[];
  return rows.filter((row) => state.deleted === undefined || (row.deletedAt !== null) === state.deleted);
}

/** The record a write starts from, locked until `tx` ends; NOT_FOUND as findRecord. */
export async function lockRecord<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  id: string,
  state: RecordState = {},
): Promise<Row> {
  const [row] = await lockRecords<Row>(tx, ctx, resource, [id], state);
  if (!row) throw notFoundIn(resource);
  return row;
}

/** The row as audit snapshots keep it: without what is derived from other fields. */
export function auditable(resource: AnyResource, row: object): Values {
  const snapshot: Values = { ...row };
  for (const column of [...resource.serverOnly, ...(resource.notAudited ?? [])]) delete snapshot[column];
  return snapshot;
}

// ---------------------------------------------------------------------------------------------
// Checks of written values

/** A reference to a record the organization does not have (or another organization's): NOT_FOUND naming the field. */
export function referenceNotFound(field: string, message: string): TRPCError {
  return fieldError("NOT_FOUND", `${field}: ${message}`, [{ path: field, message }]);
}

/**
 * The owner of a record must be an active member of the organization; giving a record to anyone
 * but yourself needs `<resource>:assign`. A user of another organization is NOT_FOUND, as an
 * unknown id.
 */
export async function checkOwner(db: Tx, ctx: OrgContext, resource: AnyResource, ownerId: unknown): Promise<void> {
  const owner = resource.owner;
  if (!owner || typeof ownerId !== "string") return;
  const assign = `${resource.key}:assign` as Permission;
  if (ownerId !== ctx.actor.userId && !ctx.permissions.has(assign)) {
    throw forbidden(`Missing permission ${assign} to assign a ${resource.singular} to someone else`);
  }
  const member = await db.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId: ownerId } },
    select: { status: true },
  });
  if (!member) throw referenceNotFound(owner.field, "no member of this organization has this id");
  if (member.status !== "active") throw badRequest(owner.field, "is not an active member of this organization");
}

/** `id` names a live record of `target` in the organization (NOT_FOUND naming `field` otherwise). */
export async function checkReference(
  db: Tx,
  ctx: OrgContext,
  target: { table: string; label: string },
  field: string,
  id: string,
): Promise<void> {
  const found = await db.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM "${target.table}" WHERE "organizationId" = $1::uuid AND "id" = $2::uuid AND "deletedAt" IS NULL`,
    ctx.org.id,
    id,
  );
  if (found.length === 0) throw referenceNotFound(field, `${target.label} not found`);
}

/** Every reference field of `values` names a live record of the organization (NOT_FOUND otherwise). */
export async function checkReferences(db: Tx, ctx: OrgContext, resource: AnyResource, values: Values): Promise<void> {
  for (const [name, field] of Object.entries(resource.fields)) {
    const id = values[name];
    if (field.references && typeof id === "string") await checkReference(db, ctx, field.references, name, id);
  }
}

/** Each unique field of `values` is free among the organization's live records (CONFLICT naming the holder). */
export async function checkUnique(db: Tx, ctx: OrgContext, resource: AnyResource, values: Values, exceptId?: string) {
  for (const { field } of resource.unique ?? []) {
    const value = values[field];
    if (value === null || value === undefined) continue;
    const existing = (await resource.model(db).findFirst({
      where: { organizationId: ctx.org.id, [field]: value, deletedAt: null, ...(exceptId ? { id: { not: exceptId } } : {}) },
      select: { id: true },
    })) as { id: string } | null;
    if (existing) {
      throw conflict(field, `${resource.singular} ${existing.id} already has the ${field} ${value}`, {
        existingId: existing.id,
      });
    }
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "P2002";
}

/**
 * Runs a write of `values`; a unique violation (another transaction took the value between the
 * check and the write) becomes the CONFLICT the check would have answered.
 */
async function guardUnique<T>(resource: AnyResource, values: Values, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const guarded = isUniqueViolation(error) ? resource.unique?.find(({ field }) => values[field] != null) : undefined;
    if (guarded) {
      throw conflict(
        guarded.field,
        `another live ${resource.singular} already has the ${guarded.field} ${values[guarded.field]}`,
      );
    }
    throw error;
  }
}

function columnsOf(resource: AnyResource, input: Values): Values {
  const columns: Values = {};
  for (const [name, value] of Object.entries(input)) if (resource.fields[name]?.column !== false) columns[name] = value;
  return columns;
}

// ---------------------------------------------------------------------------------------------
// Writes

export async function createRecord<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  input: Values,
  options: { action?: string } = {},
): Promise<Row> {
  if (resource.hooks?.completeInput) input = (await resource.hooks.completeInput(tx, ctx, input)) as Values;
  if (resource.owner) await checkOwner(tx, ctx, resource, input[resource.owner.field]);
  await checkReferences(tx, ctx, resource, input);
  await checkUnique(tx, ctx, resource, input);
  const built = resource.hooks?.newRow?.(ctx, input, new Date()) ?? columnsOf(resource, input);
  const [columns] = resource.hooks?.completeRows ? await resource.hooks.completeRows(tx, ctx, [built]) : [built];
  const row = (await guardUnique(resource, input, () =>
    resource.model(tx).create({
      data: { ...columns, organizationId: ctx.org.id, createdById: ctx.actor.userId, updatedById: ctx.actor.userId },
    }),
  )) as Row;
  await resource.hooks?.afterCreate?.(tx, ctx, [row]);
  await writeAudit(tx, ctx, {
    action: options.action ?? "create",
    entityType: resource.singular,
    entityId: row.id,
    before: null,
    after: auditable(resource, row),
  });
  return row;
}

/**
 * Writes `data` to the locked row `before` as it is (no derived columns), audited as `action`.
 * The building block of the other writes.
 */
export async function writeRecord<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  before: Row,
  data: Values,
  action: string,
): Promise<Row> {
  const after = (await guardUnique(resource, { ...before, ...data }, () =>
    resource.model(tx).update({ where: { id: before.id }, data: { ...data, updatedById: ctx.actor.userId } }),
  )) as Row;
  await writeAudit(tx, ctx, {
    action,
    entityType: resource.singular,
    entityId: before.id,
    before: auditable(resource, before),
    after: auditable(resource, after),
  });
  return after;
}

/** Applies `changes` (columns) to the locked row `before`, derived columns kept in step, audited as `action`. */
export async function changeRecord<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  before: Row,
  changes: Values,
  options: { action?: string } = {},
): Promise<Row> {
  const data = resource.hooks?.changeColumns ? await resource.hooks.changeColumns(tx, ctx, before, changes) : changes;
  return writeRecord(tx, ctx, resource, before, data, options.action ?? "update");
}

/** The values of `patch` that differ from `before`: only those are checked again. */
function changedValues(before: object, patch: Values): Values {
  const current = before as Values;
  return Object.fromEntries(Object.entries(patch).filter(([name, value]) => value !== current[name]));
}

/** A caller's patch of one live record (`update`, one row of `bulkUpdate`). */
export async function updateRecord<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  id: string,
  patch: Values,
): Promise<Row> {
  const before = await lockRecord<Row>(tx, ctx, resource, id, { deleted: false });
  const incomplete = recordIssues(resource, { ...before, ...patch });
  if (incomplete.length) throw invalidFields(incomplete);
  const changed = changedValues(before, patch);
  if (resource.owner && resource.owner.field in changed) await checkOwner(tx, ctx, resource, changed[resource.owner.field]);
  await checkReferences(tx, ctx, resource, changed);
  await checkUnique(tx, ctx, resource, changed, id);
  const changes = resource.hooks?.patchColumns ? resource.hooks.patchColumns(before, patch) : columnsOf(resource, patch);
  return changeRecord(tx, ctx, resource, before, changes);
}

export async function softDeleteRecord<Row extends RecordRow>(tx: Tx, ctx: OrgContext, resource: AnyResource, id: string) {
  const before = await lockRecord<Row>(tx, ctx, resource, id, { deleted: false });
  return writeRecord(tx, ctx, resource, before, { deletedAt: new Date() }, "delete");
}

/** A soft-deleted record comes back, unless its unique values have since been taken (CONFLICT). */
export async function restoreRecord<Row extends RecordRow>(tx: Tx, ctx: OrgContext, resource: AnyResource, id: string) {
  const before = await lockRecord<Row>(tx, ctx, resource, id, { deleted: true });
  await checkUnique(tx, ctx, resource, before as unknown as Values, id);
  return writeRecord(tx, ctx, resource, before, { deletedAt: null }, "restore");
}

/** Permanent deletion: the row goes (what references it is cleared first); the audit trail keeps what it was. */
export async function purgeRecord(tx: Tx, ctx: OrgContext, resource: AnyResource, id: string): Promise<void> {
  const before = await lockRecord(tx, ctx, resource, id);
  await resource.hooks?.beforePurge?.(tx, ctx, before);
  await resource.model(tx).delete({ where: { id } });
  await writeAudit(tx, ctx, {
    action: "purge",
    entityType: resource.singular,
    entityId: id,
    before: auditable(resource, before),
    after: null,
  });
}
