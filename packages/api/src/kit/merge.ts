import type { Prisma } from "@crm/db";
import { z } from "zod";
import { badRequest, invalidFields } from "../errors.ts";
import { writeAudit } from "../lib/audit.ts";
import { idSchema } from "../lib/schemas.ts";
import type { OrgContext } from "../trpc.ts";
import { lockAllForBulk, writeRecords } from "./bulk.ts";
import { prepareFor, presentRecord } from "./list.ts";
import { auditable, checkUnique, lockRecords } from "./records.ts";
import type { AnyResource, RecordRow } from "./resource.ts";

type Tx = Prisma.TransactionClient;
type Values = Record<string, unknown>;

/**
 * A column of some table that points at records of the merged resource: on a merge, what pointed
 * at a merged record points at the survivor.
 */
export interface MergeReference {
  /** How the merge result names what moved (`company links`). */
  label: string;
  table: string;
  column: string;
  /**
   * For a link table: the other columns of its key. A link the survivor already has (or that two
   * merged records share) is kept once, not duplicated.
   */
  linkKeys?: readonly string[];
}

export const MERGE_LIMIT = 100;

export const mergeInput = z.strictObject({
  primaryId: idSchema.meta({ description: "The record that survives." }),
  mergeIds: z
    .array(idSchema)
    .min(1, { error: "must list at least one record to merge" })
    .max(MERGE_LIMIT, { error: `at most ${MERGE_LIMIT} records per merge` })
    .meta({ description: "The records merged into the survivor: soft-deleted, pointing at it." }),
  fields: z.record(z.string().max(100), idSchema).optional().meta({
    description:
      "{ field: id of the record whose value the survivor keeps }. Otherwise the survivor keeps its own values, fills its empty fields from the merged records in order, and unites lists.",
  }),
  dryRun: z.boolean().default(false).meta({ description: "Answer what the merge would do; write nothing." }),
});
export type MergeInput = z.output<typeof mergeInput>;

export function mergeOutput<T extends z.ZodType>(record: T) {
  return z.object({
    dryRun: z.boolean(),
    survivor: record.meta({ description: "The survivor as it is (or would be) after the merge." }),
    mergedIds: z.array(z.uuid()),
    moved: z
      .array(z.object({ reference: z.string(), count: z.number().int() }))
      .meta({ description: "What pointed at a merged record and now points at the survivor." }),
  });
}

const isEmpty = (value: unknown) =>
  value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);

/** The survivor's values after the merge: chosen per field, else its own, else the first merged record's, lists united. */
function survivingValues(resource: AnyResource, rows: RecordRow[], input: MergeInput): Values {
  const byId = new Map(rows.map((row) => [row.id, row as unknown as Values]));
  const primary = byId.get(input.primaryId) as Values;
  const merged = input.mergeIds.map((id) => byId.get(id) as Values);
  const changes: Values = {};
  const writable = Object.entries(resource.fields).filter(([, field]) => field.flags.writable && field.column);
  for (const [name, source] of Object.entries(input.fields ?? {})) {
    if (!writable.some(([writableName]) => writableName === name)) {
      throw invalidFields([{ path: ["fields", name], message: "is not a field a merge can choose" }]);
    }
    if (!byId.has(source)) {
      throw invalidFields([{ path: ["fields", name], message: "must be primaryId or one of mergeIds" }]);
    }
  }
  for (const [name, field] of writable) {
    const chosen = input.fields?.[name];
    if (chosen) {
      changes[name] = byId.get(chosen)?.[name] ?? null;
    } else if (field.kind === "list") {
      const united = [...new Set([primary, ...merged].flatMap((row) => (row[name] as unknown[] | null) ?? []))];
      if (united.length !== ((primary[name] as unknown[] | null) ?? []).length) changes[name] = united;
    } else if (isEmpty(primary[name])) {
      const filled = merged.find((row) => !isEmpty(row[name]))?.[name];
      if (filled !== undefined) changes[name] = filled;
    }
  }
  for (const name of Object.keys(changes)) if (changes[name] === primary[name]) delete changes[name];
  return changes;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function countReferences(tx: Tx, ctx: OrgContext, reference: MergeReference, ids: string[]): Promise<number> {
  const [row] = await tx.$queryRawUnsafe<{ count: number }[]>(
    `SELECT count(*)::int AS "count" FROM ${quote(reference.table)} WHERE "organizationId" = $1::uuid AND ${quote(reference.column)} = ANY($2::uuid[])`,
    ctx.org.id,
    ids,
  );
  return row?.count ?? 0;
}

/** Points what pointed at `mergedIds` at `survivorId`; a link kept twice is kept once. */
async function moveReference(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  reference: MergeReference,
  survivorId: string,
  mergedIds: string[],
) {
  const table = quote(reference.table);
  const column = quote(reference.column);
  if (reference.linkKeys?.length) {
    const sameLink = (alias: string) =>
      reference.linkKeys?.map((key) => `${alias}.${quote(key)} = a.${quote(key)}`).join(" AND ");
    await tx.$executeRawUnsafe(
      `DELETE FROM ${table} a WHERE a."organizationId" = $1::uuid AND a.${column} = ANY($3::uuid[]) AND (
         EXISTS (SELECT 1 FROM ${table} b WHERE b."organizationId" = $1::uuid AND b.${column} = $2::uuid AND ${sameLink("b")})
         OR EXISTS (SELECT 1 FROM ${table} c WHERE c."organizationId" = $1::uuid AND c.${column} = ANY($3::uuid[]) AND ${sameLink("c")} AND c.ctid < a.ctid))`,
      ctx.org.id,
      survivorId,
      mergedIds,
    );
  }
  if (reference.table === resource.table) {
    // Records of the resource itself (subsidiaries, earlier merges) are changed as records: locked and audited.
    const pointing = await tx.$queryRawUnsafe<{ id: string }[]>(
      `SELECT "id" FROM ${table} WHERE "organizationId" = $1::uuid AND ${column} = ANY($3::uuid[]) AND "id" <> $2::uuid`,
      ctx.org.id,
      survivorId,
      mergedIds,
    );
    const before = await lockRecords(
      tx,
      ctx,
      resource,
      pointing.map((row) => row.id),
    );
    if (before.length) await writeRecords(tx, ctx, resource, before, { [reference.column]: survivorId }, "update");
    // The survivor cannot end up pointing at itself (its own parent among the merged): cleared, and shown in its merge entry.
    await tx.$executeRawUnsafe(
      `UPDATE ${table} SET ${column} = NULL WHERE "organizationId" = $1::uuid AND "id" = $2::uuid AND ${column} = ANY($3::uuid[])`,
      ctx.org.id,
      survivorId,
      mergedIds,
    );
    return;
  }
  await tx.$executeRawUnsafe(
    `UPDATE ${table} SET ${column} = $2::uuid WHERE "organizationId" = $1::uuid AND ${column} = ANY($3::uuid[])`,
    ctx.org.id,
    survivorId,
    mergedIds,
  );
}

/**
 * Merges `mergeIds` into `primaryId` in one transaction: the survivor takes the chosen values,
 * every reference to a merged record moves to the survivor, the merged records are soft-deleted
 * pointing at it (`mergedIntoId`), and every record gets an audit entry `merge`. With `dryRun`
 * nothing is written and the answer says what would be.
 */
export async function mergeRecords(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  sent: MergeInput,
  references: readonly MergeReference[],
) {
  if (sent.mergeIds.includes(sent.primaryId)) throw badRequest("mergeIds", "must not list primaryId");
  // The ids as sent, so that a missing one is named by its place (`mergeIds.2`); a repeated one merges once.
  const rows = await lockAllForBulk(tx, ctx, resource, [sent.primaryId, ...sent.mergeIds], false, (index) =>
    index === 0 ? "primaryId" : `mergeIds.${index - 1}`,
  );
  const input = { ...sent, mergeIds: [...new Set(sent.mergeIds)] };
  const primary = rows.find((row) => row.id === input.primaryId) as RecordRow;
  const mergedRows = rows.filter((row) => row.id !== input.primaryId);
  const changes = survivingValues(resource, rows, input);
  const moved = [];
  for (const reference of references) {
    moved.push({ reference: reference.label, count: await countReferences(tx, ctx, reference, input.mergeIds) });
  }
  const prepared = await prepareFor(tx, ctx, resource);
  if (input.dryRun) {
    const survivor = presentRecord(resource, { ...primary, ...changes }, prepared);
    return { dryRun: true, survivor, mergedIds: input.mergeIds, moved };
  }

  // The merged records go first, so the survivor may take over their unique values.
  await writeRecords(tx, ctx, resource, mergedRows, { deletedAt: new Date(), mergedIntoId: primary.id }, "merge");
  for (const reference of references) await moveReference(tx, ctx, resource, reference, primary.id, input.mergeIds);
  await checkUnique(tx, ctx, resource, changes, primary.id);
  const data = resource.hooks?.changeColumns ? await resource.hooks.changeColumns(tx, ctx, primary, changes) : changes;
  const after = await resource.model(tx).update({ where: { id: primary.id }, data: { ...data, updatedById: ctx.actor.userId } });
  await writeAudit(tx, ctx, {
    action: "merge",
    entityType: resource.singular,
    entityId: primary.id,
    before: { ...auditable(resource, primary), mergedFrom: [] },
    after: { ...auditable(resource, after), mergedFrom: input.mergeIds },
  });
  return { dryRun: false, survivor: presentRecord(resource, after, prepared), mergedIds: input.mergeIds, moved };
}
