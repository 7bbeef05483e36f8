import type { Prisma, PrismaClient } from "@crm/db";
import type { z } from "zod";
import { describeIssues, refusedFields } from "../errors.ts";
import { type AuditEntry, writeAuditMany } from "../lib/audit.ts";
import { insertRows, updateRowsById } from "../lib/bulk-sql.ts";
import { uuidv7 } from "../lib/ids.ts";
import { type LockableResource, lockRows } from "../lib/row-locks.ts";
import type { Permission } from "../permissions.ts";
import type { OrgContext } from "../trpc.ts";
import type { ImportField } from "./columns.ts";
import type { CandidateRow, ImportTarget, RowHandler, RowOutcome } from "./pipeline.ts";
import type { RowIssue } from "./types.ts";

type Tx = Prisma.TransactionClient;

/** A field that identifies a record among the live ones of its organization (leads: email). */
export interface DuplicateKey {
  /** A field of the create input that is also a column of the table. */
  field: string;
  /**
   * Compared as `lower(column) = lower(value)` (a company's name); otherwise as stored, for the
   * keys the create schema already normalizes (emails, domains).
   */
  caseInsensitive?: boolean;
}

/** The column naming the member a record belongs to, and what giving it to someone else needs. */
export interface ImportOwnerColumn {
  /** Leads `assignedToId`; contacts and companies `ownerId`. Read from a member's email or user id. */
  field: string;
  /** `<resource>:assign`. */
  permission: Permission;
}

/**
 * Cells that name other records of the organization, turned into their ids (a deal's pipeline and
 * stage by name). Loaded once per run; answers the row's fields with the ids in, or its issues.
 */
export type RowLookup = (fields: Record<string, unknown>) => {
  fields: Record<string, unknown>;
  issues: { field: string; message: string }[];
};

/**
 * Checks a valid row against the earlier rows of the same file, for a rule the database cannot
 * check before those rows are written (meetings: two rows booking one organizer at the same time).
 * Opened once per run; a pass may read rows more than once (all_or_nothing validates, then
 * writes; a resumed run rereads what it committed), so a row is judged by the rows numbered
 * before it only, the same way on every pass.
 */
export type FileRule<Input> = (input: Input, rowNumber: number) => { field: string; message: string }[];

/** An update the writer plans: the locked record and the changes the file's rows bring to it. */
export interface PlannedUpdate<Input, Row> {
  before: Row;
  /** The rows' non-empty cells merged in file order, without the key the record was matched by. */
  changes: Partial<Input>;
}

/**
 * What one importable resource declares; `recordImportTarget` does the rest for every resource:
 * reads and validates rows, resolves the owner column, matches rows to live records by their
 * duplicate key, decides under the policy, locks, inserts and updates in batches and audits.
 * The table must have `id`, `organizationId`, `createdAt`, `updatedAt` and `deletedAt` (soft delete).
 */
export interface ImportableResource<
  Input extends Record<string, unknown> = Record<string, unknown>,
  Row extends { id: string } = { id: string },
> {
  /** The router key, stored on import jobs and used in routes: `leads`. */
  key: string;
  /** In messages: `duplicate: lead <id> already has this email`. */
  singular: string;
  /** The audit log's entity type: `lead`. */
  entityType: string;
  /** `<resource>:import`: needed to upload, follow and run a job of this resource. */
  permission: Permission;
  /** The table and the Prisma model that reads it back (locked rows, returned rows). */
  rows: LockableResource<Row>;
  /** The columns a file may have, with their header aliases (virtual ones included, see prepareRow). */
  fields: ImportField[];
  /** Alternatives: the header must map every field of at least one set. */
  requiredColumns: string[][];
  /** Validates a row's values into what a new record is made from (the resource's create schema). */
  createInput: z.ZodType<Input>;
  /**
   * Ordered alternatives: a row is matched to a live record by the first of its keys that has a
   * value (companies: domain, else name). A row with none is always created.
   */
  duplicateKeys: DuplicateKey[];
  owner?: ImportOwnerColumn;
  /** Virtual columns turned into fields before validation (a lead's "Name" split into first and last name). */
  prepareRow?(values: Record<string, unknown>): Record<string, unknown>;
  /** The virtual column a field is read from when the file lacks its own, named in error reports (lead: firstName ← fullName). */
  sourceColumns?: Record<string, string>;
  /** Loads what turns names in the file into ids (see RowLookup); read after prepareRow, before validation. */
  openLookup?(db: PrismaClient, ctx: OrgContext): Promise<RowLookup>;
  /**
   * Completes a validated create input from the database (the kit's `completeInput`: a deal's
   * default pipeline and first stage); a 4xx it throws fails the row with its issues.
   */
  completeInput?(tx: Tx, ctx: OrgContext, input: Input): Promise<Input>;
  /** See FileRule. */
  openFileRule?(ctx: OrgContext): FileRule<Input>;
  /** The columns of a new record, derived columns included (the writer adds id, createdAt and updatedAt). */
  newRow(ctx: OrgContext, input: Input, now: Date): Record<string, unknown>;
  /**
   * The new records' columns completed for the whole batch at once, in the batch's transaction (the
   * kit's `completeRows`: tickets take their numbers from the organization's counter).
   */
  completeRows?(tx: Tx, ctx: OrgContext, rows: Record<string, unknown>[]): Promise<Record<string, unknown>[]>;
  /**
   * The columns each planned update writes, in order, derived columns included (the writer adds
   * id and updatedAt). May read in `tx` once for the whole batch (leads: note counts for rescoring).
   */
  updateRows(tx: Tx, ctx: OrgContext, updates: PlannedUpdate<Input, Row>[]): Promise<Record<string, unknown>[]>;
  /** After new records are written, in the batch's transaction (the kit's `afterCreate`: a deal's first stage stay). */
  afterCreate?(tx: Tx, ctx: OrgContext, rows: Row[]): Promise<void>;
  /** A record as the audit log keeps it (without search text and other derived blobs). */
  auditable(row: Row): Record<string, unknown>;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The key a row is matched by: the first of the resource's duplicate keys it has a value for. */
interface KeyMatch {
  key: DuplicateKey;
  /** Its index among the alternatives. */
  index: number;
  /** Its value as compared (lower-cased when the key is case-insensitive). */
  value: string;
}

function comparable(key: DuplicateKey, value: string): string {
  return key.caseInsensitive ? value.toLowerCase() : value;
}

function keyMatchOf(keys: DuplicateKey[], input: Record<string, unknown>): KeyMatch | undefined {
  for (const [index, key] of keys.entries()) {
    const value = input[key.field];
    if (typeof value === "string" && value !== "") return { key, index, value: comparable(key, value) };
  }
  return undefined;
}

/** One string per (key, value), so that "acme" as a domain and as a name are different keys of the file. */
function fileKeyOf(match: KeyMatch): string {
  return match.index === 0 ? match.value : `${match.index}\u0000${match.value}`;
}

/**
 * The live records whose `key` has one of `values`, by that key's comparable value; with
 * `lock`, locked until the batch commits, so nobody changes them between this read and the
 * batch's write. A record given one of these values after the first read is not among them:
 * creating its row then breaks the unique key and the batch runs again.
 */
async function liveRecordsByKey<Row extends { id: string }>(
  tx: Tx,
  ctx: OrgContext,
  records: LockableResource<Row>,
  key: DuplicateKey,
  values: string[],
  options: { lock: boolean },
): Promise<Map<string, Row>> {
  const column = key.caseInsensitive ? `lower(${quote(key.field)})` : quote(key.field);
  const matching = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT "id" FROM ${quote(records.table)}
     WHERE "organizationId" = $1::uuid AND "deletedAt" IS NULL AND ${column} = ANY($2::text[]) ORDER BY "id"`,
    ctx.org.id,
    values,
  );
  const ids = matching.map((row) => row.id);
  const found = options.lock
    ? await lockRows(tx, records, ctx.org.id, ids)
    : ids.length
      ? await records.model(tx).findMany({ where: { id: { in: ids }, organizationId: ctx.org.id } })
      : [];
  const wanted = new Set(values);
  const byValue = new Map<string, Row>();
  // The oldest record wins when several share a case-insensitive value (names are not unique).
  for (const row of [...found].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const fields = row as unknown as Record<string, unknown>;
    const value = fields[key.field];
    if (fields.deletedAt !== null || typeof value !== "string") continue;
    const compared = comparable(key, value);
    if (wanted.has(compared) && !byValue.has(compared)) byValue.set(compared, row);
  }
  return byValue;
}

/** Members by email and id, loaded once per run, for the owner column. */
async function ownerResolver(db: PrismaClient, ctx: OrgContext, owner: ImportOwnerColumn, singular: string) {
  const members = await db.membership.findMany({
    where: { organizationId: ctx.org.id, status: "active" },
    select: { userId: true, user: { select: { email: true } } },
  });
  const memberIds = new Set(members.map((member) => member.userId));
  const memberByEmail = new Map(members.map((member) => [member.user.email.toLowerCase(), member.userId]));

  /** An owner given by email or id must be an active member; giving the record to someone else needs the assign permission. */
  return (value: unknown): { id?: string; issue?: string } => {
    const text = String(value).trim();
    const id = text.includes("@") ? memberByEmail.get(text.toLowerCase()) : memberIds.has(text) ? text : undefined;
    if (!id) return { issue: "is not an active member of this organization (give their email or user id)" };
    if (id !== ctx.actor.userId && !ctx.permissions.has(owner.permission)) {
      return { issue: `missing permission ${owner.permission} to assign a ${singular} to someone else` };
    }
    return { id };
  };
}

/** Later rows with the same key fill in and override what earlier ones gave. */
function mergeInput<Input>(earlier: Partial<Input>, later: Partial<Input>): Input {
  return { ...earlier, ...later } as Input;
}

async function openRecordRows<Input extends Record<string, unknown>, Row extends { id: string }>(
  resource: ImportableResource<Input, Row>,
  db: PrismaClient,
  ctx: OrgContext,
): Promise<RowHandler<Input>> {
  const { owner, duplicateKeys } = resource;
  const resolveOwner = owner ? await ownerResolver(db, ctx, owner, resource.singular) : undefined;
  const lookup = resource.openLookup ? await resource.openLookup(db, ctx) : undefined;
  const fileRule = resource.openFileRule?.(ctx);

  return {
    read(values, raw, rowNumber) {
      let fields = resource.prepareRow ? resource.prepareRow({ ...values }) : { ...values };
      const issues: RowIssue[] = [];
      if (lookup) {
        const looked = lookup(fields);
        for (const { field, message } of looked.issues) issues.push({ field, message, value: raw[field] });
        fields = looked.fields;
      }
      if (owner && resolveOwner && fields[owner.field] !== undefined) {
        const resolved = resolveOwner(fields[owner.field]);
        if (resolved.issue) issues.push({ field: owner.field, message: resolved.issue, value: raw[owner.field] });
        fields[owner.field] = resolved.id;
      }
      const parsed = resource.createInput.safeParse(fields);
      if (!parsed.success) {
        for (const issue of describeIssues(parsed.error.issues)) {
          const field = issue.path.split(".")[0] ?? issue.path;
          const source = resource.sourceColumns?.[field];
          issues.push({ field, message: issue.message, value: raw[field] ?? (source ? raw[source] : undefined) });
        }
      }
      if (issues.length || !parsed.success) return { issues };
      const broken = fileRule?.(parsed.data, rowNumber) ?? [];
      if (broken.length) return { issues: broken.map(({ field, message }) => ({ field, message, value: raw[field] })) };
      const match = keyMatchOf(duplicateKeys, parsed.data);
      return { input: parsed.data, key: match ? fileKeyOf(match) : undefined };
    },

    async apply(tx, rows, { policy, write }) {
      const matches = rows.map((row) => keyMatchOf(duplicateKeys, row.input));
      const existing = await Promise.all(
        duplicateKeys.map(async (key, index) => {
          const values = [...new Set(matches.flatMap((match) => (match?.index === index ? [match.value] : [])))];
          return values.length ? liveRecordsByKey(tx, ctx, resource.rows, key, values, { lock: write }) : new Map<string, Row>();
        }),
      );

      const outcomes: RowOutcome[] = [];
      /** A new record, and the outcomes of the rows that make it (the first, and later ones with its key). */
      const creates: { input: Input; outcomes: number[] }[] = [];
      const pendingByKey = new Map<string, { input: Input; outcomes: number[] }>();
      const updates = new Map<string, { before: Row; input: Partial<Input>; match: KeyMatch }>();
      for (const [position, row] of (rows as CandidateRow<Input>[]).entries()) {
        const match = matches[position];
        const fileKey = match ? fileKeyOf(match) : undefined;
        const current = match ? (existing[match.index]?.get(match.value) as Row | undefined) : undefined;
        const pending = fileKey ? pendingByKey.get(fileKey) : undefined;
        if (!current && !pending && !row.earlierRow) {
          const create = { input: row.input, outcomes: [outcomes.length] };
          creates.push(create);
          if (fileKey) pendingByKey.set(fileKey, create);
          outcomes.push({ rowNumber: row.rowNumber, result: "created" });
          continue;
        }
        if (policy === "skip") {
          outcomes.push({ rowNumber: row.rowNumber, result: "skipped" });
          continue;
        }
        if (policy === "error") {
          const field = match?.key.field ?? "row";
          const message = row.earlierRow
            ? `duplicate: row ${row.earlierRow} has the same ${field}`
            : `duplicate: ${resource.singular} ${current?.id} already has this ${field}`;
          outcomes.push({ rowNumber: row.rowNumber, result: "failed", issues: [{ field, message, value: row.raw[field] }] });
          continue;
        }
        if (pending) {
          pending.input = mergeInput<Input>(pending.input, row.input);
          pending.outcomes.push(outcomes.length);
        } else if (current && match) {
          const update = updates.get(current.id) ?? { before: current, input: {}, match };
          update.input = mergeInput<Input>(update.input, row.input);
          updates.set(current.id, update);
        }
        // Otherwise the earlier row is not written (a dry run): this row would update its record.
        outcomes.push({ rowNumber: row.rowNumber, result: "updated" });
      }
      const completed = await completeCreates(tx, ctx, resource, creates, outcomes, rows);
      if (!write) return outcomes;

      const now = new Date();
      const audit: AuditEntry[] = [];
      const { table } = resource.rows;
      const { entityType } = resource;
      if (completed.length) {
        const built = completed.map((input) => ({
          id: uuidv7(now.getTime()),
          ...resource.newRow(ctx, input, now),
          createdAt: now,
          updatedAt: now,
        }));
        const columns = resource.completeRows ? await resource.completeRows(tx, ctx, built) : built;
        const created = (await insertRows(tx, table, columns, { returning: true })) as unknown as Row[];
        await resource.afterCreate?.(tx, ctx, created);
        for (const record of created) {
          audit.push({ action: "create", entityType, entityId: record.id, before: null, after: resource.auditable(record) });
        }
      }
      if (updates.size) {
        const planned = [...updates.values()].map(({ before, input, match }) => {
          // Never the key the record was matched by: the row names the record with it, it does not change it.
          const { [match.key.field]: _key, ...changes } = input;
          return { before, changes: changes as Partial<Input> };
        });
        const data = await resource.updateRows(tx, ctx, planned);
        const rowsToWrite = planned.map(({ before }, index) => ({ id: before.id, ...data[index], updatedAt: now }));
        const updated = new Map(
          ((await updateRowsById(tx, table, ctx.org.id, rowsToWrite, { returning: true })) as unknown as Row[]).map((row) => [
            row.id,
            row,
          ]),
        );
        for (const { before } of planned) {
          const after = updated.get(before.id);
          if (after) {
            audit.push({
              action: "update",
              entityType,
              entityId: before.id,
              before: resource.auditable(before),
              after: resource.auditable(after),
            });
          }
        }
      }
      await writeAuditMany(tx, ctx, audit);
      return outcomes;
    },
  };
}

/**
 * The create inputs completed from the database (the resource's completeInput); a row it refuses
 * with a 4xx fails, with the rows merged into it, and is not created.
 */
async function completeCreates<Input extends Record<string, unknown>, Row extends { id: string }>(
  tx: Tx,
  ctx: OrgContext,
  resource: ImportableResource<Input, Row>,
  creates: { input: Input; outcomes: number[] }[],
  outcomes: RowOutcome[],
  rows: CandidateRow<Input>[],
): Promise<Input[]> {
  if (!resource.completeInput) return creates.map(({ input }) => input);
  const completed: Input[] = [];
  for (const create of creates) {
    try {
      completed.push(await resource.completeInput(tx, ctx, create.input));
    } catch (error) {
      const refused = refusedFields(error);
      for (const index of create.outcomes) {
        const { rowNumber } = outcomes[index] as RowOutcome;
        const raw = rows[index]?.raw ?? {};
        const issues = refused.map(({ path, message }) => ({ field: path, message, value: raw[path] }));
        outcomes[index] = { rowNumber, result: "failed", issues };
      }
    }
  }
  return completed;
}

/** The import pipeline's view of a resource: its columns, and the shared row reader and writer. */
export function recordImportTarget<Input extends Record<string, unknown>, Row extends { id: string }>(
  resource: ImportableResource<Input, Row>,
): ImportTarget<Input> {
  return {
    resource: resource.key,
    table: resource.rows.table,
    fields: resource.fields,
    requiredColumns: resource.requiredColumns,
    open: (db, ctx) => openRecordRows(resource, db, ctx),
  };
}
