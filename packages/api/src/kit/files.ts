import type { Prisma } from "@crm/db";
import { type ExportableResource, type ExportInputSchema, exportInputOf } from "../exports/records.ts";
import type { ExportColumn } from "../exports/table-stream.ts";
import type { FieldKind, ImportField } from "../imports/columns.ts";
import type { DuplicateKey, ImportableResource, PlannedUpdate } from "../imports/record-writer.ts";
import { keysetPage } from "../lib/pagination.ts";
import type { Permission } from "../permissions.ts";
import type { OrgContext } from "../trpc.ts";
import type { AnyField } from "./fields.ts";
import { prepareFor, recordsWhere } from "./list.ts";
import { auditable } from "./records.ts";
import type { AnyResource, RecordRow } from "./resource.ts";

type Tx = Prisma.TransactionClient;
type Values = Record<string, unknown>;

/**
 * A resource's import and export, derived from its field table: the fields marked `imported` are
 * the columns a file may have (by their aliases), the fields marked `exported` the columns of an
 * export (under headers the importer reads back), the unique fields the keys a row is matched by.
 */

const IMPORT_KINDS: Record<AnyField["kind"], FieldKind> = {
  text: "text",
  list: "list",
  enum: "enum",
  number: "number",
  integer: "integer",
  // Read as written: the field's schema takes a decimal string exactly, a number only through its shortest form.
  decimal: "text",
  boolean: "boolean",
  date: "date",
  id: "text",
  json: "text",
};

const EXPORT_KINDS: Record<AnyField["kind"], ExportColumn<unknown>["kind"]> = {
  text: "text",
  list: "list",
  enum: "text",
  number: "number",
  integer: "integer",
  decimal: "text",
  boolean: "boolean",
  date: "date",
  id: "text",
  json: "text",
};

export interface ImportOptions {
  /** Ordered alternatives a row is matched by (default: the resource's unique fields). */
  keys?: DuplicateKey[];
  /** Virtual columns the resource reads itself (see prepareRow), e.g. a lead's "Name". */
  extraFields?: ImportField[];
  /** Alternatives of required columns (default: the required fields, all of them). */
  requiredColumns?: string[][];
  prepareRow?: ImportableResource["prepareRow"];
  /** Names in the file turned into ids (a deal's pipeline and stage), loaded once per run. */
  openLookup?: ImportableResource["openLookup"];
  sourceColumns?: ImportableResource["sourceColumns"];
  /** Rows checked against the file's earlier rows (see FileRule). */
  openFileRule?: ImportableResource["openFileRule"];
  /** The columns of a batch of updates at once (default: each row's patch through the resource's hooks). */
  updateRows?: ImportableResource["updateRows"];
}

function columnsOf(resource: AnyResource, input: Values): Values {
  return Object.fromEntries(Object.entries(input).filter(([name]) => resource.fields[name]?.column !== false));
}

/** The fields of `resource` a file may fill, with their header aliases. */
export function importFieldsOf(resource: AnyResource, extra: ImportField[] = []): ImportField[] {
  const fields = Object.entries(resource.fields).flatMap(([name, field]) =>
    field.imported && field.flags.writable ? [{ field: name, kind: IMPORT_KINDS[field.kind], aliases: field.imported }] : [],
  );
  return [...fields, ...extra];
}

export function importableOf(resource: AnyResource, options: ImportOptions = {}): ImportableResource {
  const required = Object.entries(resource.fields).flatMap(([name, field]) => (field.flags.required ? [name] : []));
  const owner = resource.owner;
  return {
    key: resource.key,
    singular: resource.singular,
    entityType: resource.singular,
    permission: `${resource.key}:import` as Permission,
    rows: { table: resource.table, model: resource.model },
    fields: importFieldsOf(resource, options.extraFields),
    requiredColumns: options.requiredColumns ?? [required],
    createInput: resource.schemas.create as ImportableResource["createInput"],
    duplicateKeys: options.keys ?? (resource.unique ?? []).map(({ field }) => ({ field })),
    owner: owner ? { field: owner.field, permission: `${resource.key}:assign` as Permission } : undefined,
    prepareRow: options.prepareRow,
    openLookup: options.openLookup,
    sourceColumns: options.sourceColumns,
    completeInput: resource.hooks?.completeInput as ImportableResource["completeInput"],
    afterCreate: resource.hooks?.afterCreate as ImportableResource["afterCreate"],
    completeRows: resource.hooks?.completeRows,
    openFileRule: options.openFileRule,
    newRow: (ctx, input, now) => ({
      ...(resource.hooks?.newRow?.(ctx, input, now) ?? columnsOf(resource, input)),
      organizationId: ctx.org.id,
      createdById: ctx.actor.userId,
      updatedById: ctx.actor.userId,
    }),
    updateRows:
      options.updateRows ??
      (async (tx: Tx, ctx: OrgContext, updates: PlannedUpdate<Values, { id: string }>[]) => {
        const rows: Values[] = [];
        for (const { before, changes } of updates) {
          const row = before as RecordRow;
          const patch = resource.hooks?.patchColumns ? resource.hooks.patchColumns(row, changes) : columnsOf(resource, changes);
          const data = resource.hooks?.changeColumns ? await resource.hooks.changeColumns(tx, ctx, row, patch) : patch;
          rows.push({ ...data, updatedById: ctx.actor.userId });
        }
        return rows;
      }),
    auditable: (row) => auditable(resource, row),
  };
}

/** A column an export computes from the row (and what the resource prepares per request), placed after a field. */
export interface ComputedExportColumn {
  after: string;
  header: string;
  kind: ExportColumn<unknown>["kind"];
  width?: number;
  /** The fields it reads. */
  needs: string[];
  value(row: Values, prepared: unknown): unknown;
}

const PAGE_SIZE = 2000;

/** The export of `resource`: ID, the exported fields in table order (computed ones placed among them), created and updated. */
export function exportableOf(resource: AnyResource, computed: ComputedExportColumn[] = []): ExportableResource {
  const columns: ExportColumn<Values>[] = [{ header: "ID", kind: "text", width: 38, value: (row) => row.id }];
  const select: Record<string, true> = { id: true, createdAt: true, updatedAt: true };
  for (const [name, field] of Object.entries(resource.fields)) {
    if (field.exported) {
      const { header, width, kind } = field.exported;
      // A decimal as the API shows it, with all its decimals ("10.00", not "10").
      const value =
        field.kind === "decimal"
          ? (row: Values) => (row[name] == null ? null : field.output.parse(row[name]))
          : (row: Values) => row[name];
      columns.push({ header, kind: kind ?? EXPORT_KINDS[field.kind], ...(width ? { width } : {}), value });
      select[name] = true;
    }
    for (const [index, column] of computed.entries()) {
      if (column.after !== name) continue;
      const key = `computed:${index}`;
      columns.push({ header: column.header, kind: column.kind, width: column.width, value: (row) => row[key] });
      for (const needed of column.needs) select[needed] = true;
    }
  }
  columns.push(
    { header: "Created At", kind: "date", width: 20, value: (row) => row.createdAt },
    { header: "Updated At", kind: "date", width: 20, value: (row) => row.updatedAt },
  );
  const input = exportInputOf(resource.schemas.filterShape) as unknown as ExportInputSchema;

  /** The matching records, a page at a time by (createdAt, id): never all of them in memory. */
  async function* pages(ctx: OrgContext, filters: Values): AsyncGenerator<Values[]> {
    const prepared = await prepareFor(ctx.db, ctx, resource);
    const where = await recordsWhere(ctx.db, ctx, resource, filters, prepared);
    let cursor: string | undefined;
    do {
      const page = keysetPage(
        { field: "createdAt", type: "date", order: filters.sortOrder as "asc" | "desc" },
        PAGE_SIZE,
        cursor,
      );
      const rows = (await resource.model(ctx.db).findMany({
        select,
        where: { AND: [where, page.where] },
        orderBy: page.orderBy,
        take: page.take,
      })) as unknown as ({ id: string } & Values)[];
      const result = page.toPage(rows);
      yield result.items.map((row) => {
        const shown: Values = { ...row };
        for (const [index, column] of computed.entries()) shown[`computed:${index}`] = column.value(row, prepared);
        return shown;
      });
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
  }

  return {
    key: resource.key,
    permission: `${resource.key}:export` as Permission,
    sheetName: `${resource.key[0]?.toUpperCase()}${resource.key.slice(1)}`,
    input,
    columns: columns as ExportColumn<unknown>[],
    pages: pages as ExportableResource["pages"],
  };
}
