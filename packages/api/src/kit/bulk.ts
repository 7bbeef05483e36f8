import type { Prisma } from "@crm/db";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { conflict, describeIssues, type FieldIssue, fieldError, invalidFields, refusedFields } from "../errors.ts";
import { writeAuditMany } from "../lib/audit.ts";
import type { OrgContext } from "../trpc.ts";
import { auditable, checkOwner, lockRecords, updateRecord } from "./records.ts";
import type { AnyResource, RecordRow } from "./resource.ts";

type Tx = Prisma.TransactionClient;
type Values = Record<string, unknown>;

/** `Leads`: how messages name several records of a resource. */
export function pluralLabel(resource: AnyResource): string {
  return `${resource.key[0]?.toUpperCase()}${resource.key.slice(1)}`;
}

/** Where a bulk input lists its records: `ids.3`. */
const atIdsIndex = (index: number) => `ids.${index}`;

/**
 * All the listed records in the wanted state, locked until `tx` ends, or NOT_FOUND naming the
 * missing ones (nothing written): the message lists their ids, an issue per missing one names its
 * place in the input (`pathOf` its index in `ids`: `ids.1`, `campaigns.1.id`). An id listed twice
 * is locked once.
 */
export async function lockAllForBulk<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  ids: readonly string[],
  deleted: boolean,
  pathOf: (index: number) => string = atIdsIndex,
): Promise<Row[]> {
  const unique = [...new Set(ids)];
  const rows = await lockRecords<Row>(tx, ctx, resource, unique, { deleted });
  if (rows.length === unique.length) return rows;
  const found = new Set(rows.map((row) => row.id));
  const missing = unique.filter((id) => !found.has(id));
  const message = `${pluralLabel(resource)} not found: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}`;
  const issues = ids.flatMap((id, index) =>
    found.has(id) ? [] : [{ path: pathOf(index), message: `${resource.label} not found` }],
  );
  throw fieldError("NOT_FOUND", message, issues);
}

/** Writes `data` to every locked row of `before` in one statement, each audited as `action`. */
export async function writeRecords(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  before: RecordRow[],
  data: Values,
  action: string,
) {
  const ids = before.map((row) => row.id);
  const model = resource.model(tx);
  await model.updateMany({
    where: { id: { in: ids }, organizationId: ctx.org.id },
    data: { ...data, updatedById: ctx.actor.userId },
  });
  const after = new Map((await model.findMany({ where: { id: { in: ids } } })).map((row) => [row.id, row]));
  await writeAuditMany(
    tx,
    ctx,
    before.map((row) => ({
      action,
      entityType: resource.singular,
      entityId: row.id,
      before: auditable(resource, row),
      after: auditable(resource, after.get(row.id) as RecordRow),
    })),
  );
  return { count: ids.length };
}

export async function bulkDeleteRecords(tx: Tx, ctx: OrgContext, resource: AnyResource, ids: string[]) {
  const before = await lockAllForBulk(tx, ctx, resource, ids, false);
  return writeRecords(tx, ctx, resource, before, { deletedAt: new Date() }, "delete");
}

/** Restores all or none: a unique value two of them share, or a live record now holds, is a CONFLICT. */
export async function bulkRestoreRecords(tx: Tx, ctx: OrgContext, resource: AnyResource, ids: string[]) {
  const before = await lockAllForBulk(tx, ctx, resource, ids, true);
  for (const { field } of resource.unique ?? []) {
    const values = before
      .map((row) => (row as unknown as Values)[field])
      .filter((value) => value !== null && value !== undefined);
    const seen = new Set<unknown>();
    const repeated = values.filter((value) => seen.size === seen.add(value).size);
    if (repeated.length) {
      throw conflict(field, `several of these ${resource.key} share ${repeated[0]}; restore them one by one`);
    }
    const taken = (await resource.model(tx).findFirst({
      where: { organizationId: ctx.org.id, deletedAt: null, [field]: { in: values } },
      select: { id: true, [field]: true },
    })) as Values | null;
    if (taken) {
      throw conflict(field, `live ${resource.singular} ${taken.id} already has ${taken[field]}; nothing was restored`, {
        existingId: taken.id as string,
      });
    }
  }
  return writeRecords(tx, ctx, resource, before, { deletedAt: null }, "restore");
}

export async function bulkAssignRecords(tx: Tx, ctx: OrgContext, resource: AnyResource, ids: string[], ownerId: string | null) {
  const owner = resource.owner;
  if (!owner) throw new Error(`${resource.key} has no owner to assign`);
  await checkOwner(tx, ctx, resource, ownerId);
  const before = await lockAllForBulk(tx, ctx, resource, ids, false);
  return writeRecords(tx, ctx, resource, before, { [owner.field]: ownerId }, "update");
}

/** An error about one row of a bulk call names the row: `contacts.3.email`. */
function atRow(error: unknown, prefix: string): unknown {
  if (!(error instanceof TRPCError)) return error;
  if (error.cause instanceof ZodError) {
    return invalidFields(error.cause.issues.map((issue) => ({ path: [prefix, ...issue.path], message: issue.message })));
  }
  return new TRPCError({ code: error.code, message: `${prefix}: ${error.message}`, cause: error.cause });
}

/** A patch per record, all or nothing: the first refused row (named by its index) writes nothing. */
export async function bulkUpdateRecords(tx: Tx, ctx: OrgContext, resource: AnyResource, patches: ({ id: string } & Values)[]) {
  const ids = patches.map((patch) => patch.id);
  const seen = new Set<string>();
  const repeated = ids.findIndex((id) => seen.size === seen.add(id).size);
  if (repeated >= 0) throw invalidFields([{ path: [resource.key, repeated, "id"], message: "lists the same record twice" }]);
  await lockAllForBulk(tx, ctx, resource, ids, false, (index) => `${resource.key}.${index}.id`);
  const items: RecordRow[] = [];
  for (const [index, { id, ...patch }] of patches.entries()) {
    try {
      items.push(await updateRecord(tx, ctx, resource, id, patch));
    } catch (error) {
      throw atRow(error, `${resource.key}.${index}`);
    }
  }
  return items;
}

export interface BulkCreateResult {
  index: number;
  status: "created" | "duplicate" | "invalid";
  id?: string;
  existingId?: string;
  errors?: FieldIssue[];
}

/**
 * Creates the valid, new rows in one statement and reports every row as created, duplicate (a
 * unique value a live record or an earlier row holds) or invalid (with its errors).
 */
export async function bulkCreateRecords(tx: Tx, ctx: OrgContext, resource: AnyResource, rows: Values[]) {
  const results: BulkCreateResult[] = [];
  let candidates: { index: number; input: Values }[] = [];
  const owner = resource.owner;
  const activeMembers = owner
    ? new Set(
        (await tx.membership.findMany({ where: { organizationId: ctx.org.id, status: "active" }, select: { userId: true } })).map(
          (member) => member.userId,
        ),
      )
    : new Set<string>();
  for (const [index, row] of rows.entries()) {
    const parsed = resource.schemas.create.safeParse(row);
    if (!parsed.success) {
      results.push({ index, status: "invalid", errors: describeIssues(parsed.error.issues) });
      continue;
    }
    let input = parsed.data as Values;
    if (resource.hooks?.completeInput) {
      try {
        input = (await resource.hooks.completeInput(tx, ctx, input)) as Values;
      } catch (error) {
        results.push({ index, status: "invalid", errors: refusedFields(error) });
        continue;
      }
    }
    const ownerId = owner ? input[owner.field] : undefined;
    if (owner && typeof ownerId === "string" && !activeMembers.has(ownerId)) {
      results.push({
        index,
        status: "invalid",
        errors: [{ path: owner.field, message: "is not an active member of this organization" }],
      });
      continue;
    }
    candidates.push({ index, input });
  }
  if (owner) {
    for (const ownerId of new Set(candidates.map((c) => c.input[owner.field]).filter(Boolean))) {
      await checkOwner(tx, ctx, resource, ownerId);
    }
  }
  candidates = await withoutMissingReferences(tx, ctx, resource, candidates, results);

  const toCreate: { index: number; data: Values }[] = [];
  const now = new Date();
  const taken = await takenUniqueValues(tx, ctx, resource, candidates);
  const firstIndex = new Map<string, number>();
  /** A row holding a unique value a live record or an earlier row holds. */
  const duplicateOf = (index: number, input: Values): BulkCreateResult | undefined => {
    for (const { field } of resource.unique ?? []) {
      const value = input[field];
      if (value === null || value === undefined) continue;
      const existingId = taken.get(`${field}\u0000${value}`);
      if (existingId) return { index, status: "duplicate", existingId };
      const earlier = firstIndex.get(`${field}\u0000${value}`);
      if (earlier !== undefined)
        return { index, status: "duplicate", errors: [{ path: field, message: `same ${field} as row ${earlier}` }] };
    }
    return undefined;
  };
  for (const { index, input } of candidates) {
    const duplicate = duplicateOf(index, input);
    if (duplicate) {
      results.push(duplicate);
      continue;
    }
    for (const { field } of resource.unique ?? []) {
      if (input[field] !== null && input[field] !== undefined) firstIndex.set(`${field}\u0000${input[field]}`, index);
    }
    const columns = resource.hooks?.newRow?.(ctx, input, now) ?? input;
    toCreate.push({
      index,
      data: { ...columns, organizationId: ctx.org.id, createdById: ctx.actor.userId, updatedById: ctx.actor.userId },
    });
  }
  const data = toCreate.map((row) => row.data);
  const completed = data.length && resource.hooks?.completeRows ? await resource.hooks.completeRows(tx, ctx, data) : data;
  const created = completed.length ? await resource.model(tx).createManyAndReturn({ data: completed }) : [];
  if (created.length) await resource.hooks?.afterCreate?.(tx, ctx, created);
  created.forEach((row, position) => {
    results.push({ index: (toCreate[position] as { index: number }).index, status: "created", id: row.id });
  });
  await writeAuditMany(
    tx,
    ctx,
    created.map((row) => ({
      action: "create",
      entityType: resource.singular,
      entityId: row.id,
      before: null,
      after: auditable(resource, row),
    })),
  );
  results.sort((a, b) => a.index - b.index);
  const count = (status: BulkCreateResult["status"]) => results.filter((r) => r.status === status).length;
  return { created: count("created"), duplicates: count("duplicate"), invalid: count("invalid"), results };
}

/** Rows whose reference fields name no live record of the organization are reported invalid. */
async function withoutMissingReferences(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  candidates: { index: number; input: Values }[],
  results: BulkCreateResult[],
) {
  let remaining = candidates;
  for (const [name, field] of Object.entries(resource.fields)) {
    const target = field.references;
    if (!target) continue;
    const ids = [...new Set(remaining.map((c) => c.input[name]).filter((id): id is string => typeof id === "string"))];
    if (ids.length === 0) continue;
    const found = new Set(
      (
        await tx.$queryRawUnsafe<{ id: string }[]>(
          `SELECT "id" FROM "${target.table}" WHERE "organizationId" = $1::uuid AND "id" = ANY($2::uuid[]) AND "deletedAt" IS NULL`,
          ctx.org.id,
          ids,
        )
      ).map((row) => row.id),
    );
    remaining = remaining.filter(({ index, input }) => {
      const id = input[name];
      if (typeof id !== "string" || found.has(id)) return true;
      results.push({ index, status: "invalid", errors: [{ path: name, message: `${target.label} not found` }] });
      return false;
    });
  }
  return remaining;
}

/** `field\0value` → id of the live record holding it, for the unique values of the candidates. */
async function takenUniqueValues(tx: Tx, ctx: OrgContext, resource: AnyResource, candidates: { input: Values }[]) {
  const taken = new Map<string, string>();
  for (const { field } of resource.unique ?? []) {
    const values = [...new Set(candidates.map((c) => c.input[field]).filter((value) => value !== null && value !== undefined))];
    if (values.length === 0) continue;
    const rows = (await resource.model(tx).findMany({
      where: { organizationId: ctx.org.id, deletedAt: null, [field]: { in: values } },
      select: { id: true, [field]: true },
    })) as unknown as Values[];
    for (const row of rows) taken.set(`${field}\u0000${row[field]}`, row.id as string);
  }
  return taken;
}
