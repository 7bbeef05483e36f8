import type { Prisma } from "@crm/db";
import { z } from "zod";
import { dateFilterInput } from "../lib/dates.ts";
import { booleanFilter, multiValue } from "../lib/filters.ts";
import { pageInputShape, type SortSpec } from "../lib/pagination.ts";
import { idSchema, text, timestamp } from "../lib/schemas.ts";
import type { RecordResource } from "../permissions.ts";
import type { OrgContext } from "../trpc.ts";
import type { AnyField, FieldTable } from "./fields.ts";
import type { SqlRelation } from "./where-sql.ts";

type Tx = Prisma.TransactionClient;

/** The columns every record table has besides its fields: shown, never written by callers. */
export const RECORD_COLUMNS = [
  "id",
  "organizationId",
  "createdById",
  "updatedById",
  "createdAt",
  "updatedAt",
  "deletedAt",
] as const;

const recordOutputShape = {
  id: z.uuid(),
  createdById: z.uuid().nullable(),
  updatedById: z.uuid().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  deletedAt: timestamp.nullable(),
};

// ---------------------------------------------------------------------------------------------
// Schema shapes derived from a field table (types and values)

type IsWritable<F extends AnyField> = F["flags"]["writable"] extends true ? true : false;

export type CreateShape<F extends FieldTable> = {
  [K in keyof F as IsWritable<F[K]> extends true ? K : never]: F[K]["flags"]["required"] extends true
    ? F[K]["input"]
    : F[K]["flags"]["nullable"] extends true
      ? z.ZodOptional<z.ZodNullable<F[K]["input"]>>
      : z.ZodOptional<F[K]["input"]>;
};

/** The validated create input of a field table (what hooks receive), without going through its resource. */
export type CreateValues<F extends FieldTable> = z.output<z.ZodObject<CreateShape<F>, z.core.$strict>>;

export type PatchShape<F extends FieldTable> = {
  [K in keyof F as IsWritable<F[K]> extends true
    ? F[K]["flags"]["patchable"] extends false
      ? never
      : K
    : never]: F[K]["flags"]["nullable"] extends true ? z.ZodOptional<z.ZodNullable<F[K]["input"]>> : z.ZodOptional<F[K]["input"]>;
};

export type OutputShape<F extends FieldTable> = {
  [K in keyof F as F[K]["flags"]["column"] extends true ? K : never]: F[K]["flags"]["nullable"] extends true
    ? z.ZodNullable<F[K]["output"]>
    : F[K]["output"];
} & typeof recordOutputShape;

/** A filter's schema: query strings and tRPC values are both accepted, so its input is unknown. */
type FilterSchema<T> = z.ZodOptional<z.ZodType<T, unknown>>;
type RangeSuffixes<F extends AnyField> = F["kind"] extends "date" ? "From" | "To" : "Min" | "Max";

export type FieldFilterShape<F extends FieldTable> = {
  [K in keyof F as F[K]["flags"]["filter"] extends "in" | "equals" ? K : never]: F[K]["flags"]["filter"] extends "in"
    ? F[K]["kind"] extends "list"
      ? FilterSchema<z.output<F[K]["output"]>>
      : FilterSchema<z.output<F[K]["output"]>[]>
    : FilterSchema<z.output<F[K]["output"]>>;
} & {
  [K in keyof F as F[K]["flags"]["filter"] extends "in"
    ? F[K]["kind"] extends "list"
      ? `${K & string}Match`
      : never
    : never]: z.ZodDefault<z.ZodEnum<{ any: "any"; all: "all" }>>;
} & {
  [K in keyof F as F[K]["flags"]["filter"] extends "range" ? `${K & string}${RangeSuffixes<F[K]>}` : never]: FilterSchema<
    z.output<F[K]["output"]>
  >;
} & {
  [K in keyof F as F[K]["flags"]["filter"] extends "has" ? `has${Capitalize<K & string>}` : never]: FilterSchema<boolean>;
};

function nullableUnless<T extends z.ZodType>(schema: T, field: AnyField) {
  return field.flags.nullable ? schema.nullable() : schema;
}

/** The field's description on the outermost schema, where the document shows it (not inside an anyOf). */
function described<T extends z.ZodType>(schema: T, field: AnyField): T {
  return field.description ? schema.meta({ description: field.description }) : schema;
}

function createShapeOf<F extends FieldTable>(fields: F): CreateShape<F> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (!field.flags.writable) continue;
    shape[name] = described(field.flags.required ? field.input : nullableUnless(field.input, field).optional(), field);
  }
  return shape as CreateShape<F>;
}

function patchShapeOf<F extends FieldTable>(fields: F): PatchShape<F> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (field.flags.writable && field.flags.patchable)
      shape[name] = described(nullableUnless(field.input, field).optional(), field);
  }
  return shape as PatchShape<F>;
}

function outputShapeOf<F extends FieldTable>(fields: F): OutputShape<F> {
  const shape: Record<string, z.ZodType> = { ...recordOutputShape };
  for (const [name, field] of Object.entries(fields)) {
    if (field.column) shape[name] = described(nullableUnless(field.output, field), field);
  }
  return shape as OutputShape<F>;
}

const capitalize = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

/** A filter bound of a field's kind: numbers arrive as query-string text too. */
function boundSchema(field: AnyField): z.ZodType {
  if (field.kind === "date") return dateFilterInput;
  return z.preprocess((value) => (typeof value === "string" && value.trim() !== "" ? Number(value) : value), field.input);
}

function fieldFilterShapeOf<F extends FieldTable>(fields: F): FieldFilterShape<F> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    const description = field.description ? { description: field.description } : undefined;
    switch (field.filter) {
      case "in":
        if (field.kind === "list") {
          const item = field.values ? z.enum(field.values as [string, ...string[]]) : text(50);
          shape[name] = multiValue(item).optional();
          shape[`${name}Match`] = z
            .enum(["any", "all"])
            .default("any")
            .meta({ description: `Whether a record needs any or all of the listed ${name}.` });
        } else {
          // An enum is filtered by every value it shows, server-set ones included.
          shape[name] = multiValue(field.kind === "enum" ? field.output : field.input).optional();
        }
        break;
      case "equals":
        shape[name] = (description ? field.input.meta(description) : field.input).optional();
        break;
      case "range": {
        const [low, high] = field.kind === "date" ? ["From", "To"] : ["Min", "Max"];
        shape[`${name}${low}`] = boundSchema(field).optional();
        shape[`${name}${high}`] = boundSchema(field).optional();
        break;
      }
      case "has":
        shape[`has${capitalize(name)}`] = booleanFilter
          .optional()
          .meta({ description: `true: only records with a ${name}; false: only records without one.` });
        break;
    }
  }
  return shape as FieldFilterShape<F>;
}

// ---------------------------------------------------------------------------------------------
// The declaration

export type SortType = SortSpec["type"];

/** Prisma's delegate of a record table, as the kit uses it (`tx.lead`, `tx.contact`, ...). */
export interface RecordModel<Row> {
  findFirst(args: object): Promise<Row | null>;
  findMany(args: object): Promise<Row[]>;
  count(args: object): Promise<number>;
  create(args: { data: object }): Promise<Row>;
  createManyAndReturn(args: { data: object[] }): Promise<Row[]>;
  update(args: { where: { id: string }; data: object }): Promise<Row>;
  updateMany(args: object): Promise<{ count: number }>;
  delete(args: { where: { id: string } }): Promise<Row>;
}

/**
 * The model of a resource's rows: `recordModel<Lead>((db) => db.lead)`. Prisma's delegates are too
 * generic to be used through one interface, so the row type is said here once.
 */
export function recordModel<Row extends RecordRow>(delegate: (db: Tx) => unknown): (db: Tx) => RecordModel<Row> {
  return delegate as (db: Tx) => RecordModel<Row>;
}

export interface RecordRow {
  id: string;
  organizationId: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

/** The member a record belongs to (leads: `assignedToId`, filtered as `assignedTo`). */
export interface OwnerDeclaration<Field extends string, Filter extends string> {
  field: Field;
  filter: Filter;
}

/**
 * Fields that have values together or not at all (an amount and its currency): for each group, the
 * fields left empty while another of the group has a value, as issues naming them.
 */
export function incompleteGroups(groups: readonly (readonly string[])[] | undefined, values: Record<string, unknown>) {
  const issues: { path: string[]; message: string }[] = [];
  for (const group of groups ?? []) {
    const given = group.filter((name) => values[name] !== null && values[name] !== undefined);
    if (given.length === 0 || given.length === group.length) continue;
    for (const name of group.filter((field) => !given.includes(field))) {
      issues.push({ path: [name], message: `must be given with ${given.join(", ")} (all of ${group.join(", ")} or none)` });
    }
  }
  return issues;
}

/**
 * Fields of which a record needs at least one (an interaction's links): when all of them are
 * empty, one issue per field naming the group.
 */
export function emptyGroups(groups: readonly (readonly string[])[] | undefined, values: Record<string, unknown>) {
  const issues: { path: string[]; message: string }[] = [];
  for (const group of groups ?? []) {
    if (group.some((name) => values[name] !== null && values[name] !== undefined)) continue;
    for (const name of group) issues.push({ path: [name], message: `at least one of ${group.join(", ")} is required` });
  }
  return issues;
}

/** The rules a record's values must keep, on create and on every patch (the patch applied to the row). */
export function recordIssues(resource: Pick<AnyResource, "together" | "atLeastOne" | "rules">, values: Record<string, unknown>) {
  return [
    ...incompleteGroups(resource.together, values),
    ...emptyGroups(resource.atLeastOne, values),
    ...(resource.rules?.(values) ?? []),
  ];
}

/** Keyword search: the trigram-indexed column, how a term is normalized to match it, and records it finds through others. */
export interface SearchDeclaration<Column extends string> {
  column: Column;
  normalize(term: string): string;
  /**
   * The ids of records a term finds through related records (contacts of the companies whose
   * name matches), at most `limit` of them; they are matched besides the column.
   */
  related?(db: Tx, ctx: OrgContext, term: string, limit: number): Promise<string[]>;
}

export interface UniqueDeclaration {
  /** The field it guards (named by a 409's issues). */
  field: string;
}

/** What a resource does that the kit cannot know: derived columns, presentation, bespoke filters. */
export interface ResourceHooks<Row, Create, Patch, Prepared, Extra> {
  /**
   * Whatever every read and write of the resource needs once per request (e.g. an organization
   * setting its output depends on); cached by the resource as it sees fit.
   */
  prepare?(db: Tx, ctx: OrgContext): Promise<Prepared>;
  /**
   * Completes a validated create input from the database before its row is built (a deal's
   * default pipeline and first stage), refusing what the database contradicts (a stage of
   * another pipeline); every create path calls it, in the write's transaction.
   */
  completeInput?(tx: Tx, ctx: OrgContext, input: Create): Promise<Create>;
  /**
   * The columns of a new row from validated create input (derived columns included); `now` is
   * the instant the row is created at, so columns derived from the time agree with createdAt.
   */
  newRow?(ctx: OrgContext, input: Create, now: Date): Record<string, unknown>;
  /**
   * The new rows of one write (one, or a bulk create's valid ones) completed from the database
   * just before they are inserted, in the write's transaction: what is drawn once per row, such
   * as a sequential number, so rows refused earlier draw nothing.
   */
  completeRows?(tx: Tx, ctx: OrgContext, rows: Record<string, unknown>[]): Promise<Record<string, unknown>[]>;
  /**
   * The changes a patch makes, as columns (virtual inputs resolved). Defaults to the patch's own
   * fields; `before` is the locked row.
   */
  patchColumns?(before: Row, patch: Patch): Record<string, unknown>;
  /** The columns an update writes, from the row and its changes (derived columns kept in step). */
  changeColumns?(tx: Tx, ctx: OrgContext, before: Row, changes: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** After new rows are written (create, bulk create), in the same transaction: rows of other tables that follow from them. */
  afterCreate?(tx: Tx, ctx: OrgContext, rows: Row[]): Promise<void>;
  /** The row as the API shows it (computed fields added). */
  present?(row: Row, prepared: Prepared, now: number): Record<string, unknown>;
  /** Conditions of the resource's own filters. */
  where?(ctx: OrgContext, filters: Extra, prepared: Prepared): object[];
  /** Before a permanent delete: clear what references the row (rows of other tables). */
  beforePurge?(tx: Tx, ctx: OrgContext, row: Row): Promise<void>;
}

export interface ResourceDeclaration<
  Key extends RecordResource,
  Row extends RecordRow,
  F extends FieldTable,
  OwnerFilter extends string,
  Computed extends z.ZodRawShape,
  ExtraFilters extends z.ZodRawShape,
  ExtraSorts extends string,
  Prepared,
  OwnerField extends string = never,
> {
  /** Router key, REST base path (`/leads`), permission prefix (`leads:read`). */
  key: Key;
  /** The REST base path when it is not `/<key>` (`/sla-policies` for slaPolicies). */
  basePath?: `/${string}`;
  /** `lead`: the audit entity type, and how messages name one record. */
  singular: string;
  /** `Lead`: `Lead not found`. */
  label: string;
  /** The Prisma model's table (`Lead`). */
  table: string;
  model(db: Tx): RecordModel<Row>;
  fields: F;
  /** Columns of the table that are no field: never shown, never written by callers (e.g. searchText). */
  serverOnly: readonly (keyof Row & string)[];
  /** Fields left out of audit snapshots because they follow from others (e.g. a score's breakdown). */
  notAudited?: readonly (keyof Row & string)[];
  owner?: OwnerDeclaration<OwnerField, OwnerFilter>;
  /**
   * The records of an owner that move to another member when the owner leaves (employees.terminate):
   * a condition on the live records; all of them when left out (leads: the open ones); false when the
   * owner field records who did something (an interaction's author), so the records never move.
   */
  reassignable?: false | ((ctx: OrgContext) => object);
  unique?: readonly UniqueDeclaration[];
  /** Groups of fields that have values together or not at all (see incompleteGroups). */
  together?: readonly (readonly (keyof F & string)[])[];
  /** Groups of fields of which a record needs at least one (see emptyGroups); the document shows each as an anyOf of required fields. */
  atLeastOne?: readonly (readonly (keyof F & string)[])[];
  /** Rules across fields the field table cannot say (an interaction's direction is refused for notes): issues naming the fields. */
  rules?(values: Record<string, unknown>): { path: string[]; message: string }[];
  /** The trigram-indexed column keyword search reads, and how a term is normalized to match it. */
  search?: SearchDeclaration<keyof Row & string>;
  /** Sort keys besides createdAt, updatedAt and the fields marked `sort` (e.g. `name` → lastName). */
  sorts?: Record<ExtraSorts, { field: keyof Row & string; type: SortType; nullable?: boolean }>;
  /** Output fields computed by `hooks.present`. */
  computed?: Computed;
  /** The resource's own filters (`hooks.where` turns them into conditions). */
  filters?: ExtraFilters;
  /** Bulk tools take at most this many ids or rows (1000 unless said). */
  bulkLimit?: number;
  /** The relations `hooks.where` names (`companies: { some: ... }`), so its filters also compile to SQL (see where-sql.ts). */
  sqlRelations?: Record<string, SqlRelation>;
  hooks?: ResourceHooks<Row, unknown, unknown, Prepared, z.output<z.ZodObject<ExtraFilters>>>;
}

type CommonFilterShape<OwnerFilter extends string> = {
  search: z.ZodOptional<z.ZodString>;
  createdFrom: FilterSchema<Date>;
  createdTo: FilterSchema<Date>;
  updatedFrom: FilterSchema<Date>;
  updatedTo: FilterSchema<Date>;
  deleted: z.ZodDefault<z.ZodEnum<{ exclude: "exclude"; include: "include"; only: "only" }>>;
} & { [K in OwnerFilter]: z.ZodOptional<z.ZodType<string, unknown>> };

function commonFilterShape<OwnerFilter extends string>(owner: OwnerFilter | undefined, label: string) {
  return {
    search: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: "Keyword search (any part of the searchable fields, case-insensitive)." }),
    ...(owner
      ? {
          [owner]: z
            .union([idSchema, z.literal("me"), z.literal("unassigned")])
            .optional()
            .meta({ description: `A user id, \`me\`, or \`unassigned\`: whose ${label} records.` }),
        }
      : {}),
    createdFrom: dateFilterInput.optional(),
    createdTo: dateFilterInput.optional(),
    updatedFrom: dateFilterInput.optional(),
    updatedTo: dateFilterInput.optional(),
    deleted: z
      .enum(["exclude", "include", "only"])
      .default("exclude")
      .meta({ description: "Soft-deleted records: left out (default), included, or only them." }),
  } as unknown as CommonFilterShape<OwnerFilter>;
}

/**
 * A resource, declared once. The result carries the declaration and every schema derived from it;
 * `resourceProcedures` (procedures.ts) turns it into procedures, the write primitives (records.ts)
 * write its rows.
 */
export function defineResource<
  Key extends RecordResource,
  Row extends RecordRow,
  F extends FieldTable,
  OwnerFilter extends string = never,
  Computed extends z.ZodRawShape = Record<never, never>,
  ExtraFilters extends z.ZodRawShape = Record<never, never>,
  ExtraSorts extends string = never,
  Prepared = undefined,
  OwnerField extends keyof F & string = never,
>(declaration: ResourceDeclaration<Key, Row, F, OwnerFilter, Computed, ExtraFilters, ExtraSorts, Prepared, OwnerField>) {
  const { fields } = declaration;
  const sorts: Record<string, Omit<SortSpec, "order">> = {
    createdAt: { field: "createdAt", type: "date" },
    updatedAt: { field: "updatedAt", type: "date" },
  };
  for (const [name, field] of Object.entries(fields)) {
    if (!field.sort) continue;
    const type: SortType =
      field.kind === "date" ? "date" : field.kind === "integer" || field.kind === "number" ? "number" : "string";
    sorts[name] = { field: name, type, ...(field.flags.nullable ? { nullable: true } : {}) };
  }
  Object.assign(sorts, declaration.sorts ?? {});
  const sortKeys = Object.keys(sorts) as [SortKey, ...SortKey[]];
  type SortKey =
    | "createdAt"
    | "updatedAt"
    | ExtraSorts
    | { [K in keyof F]: F[K]["flags"]["sort"] extends true ? K & string : never }[keyof F];

  const checked = z.strictObject(createShapeOf(fields)).superRefine((values, ctx) => {
    for (const issue of recordIssues(declaration as Pick<AnyResource, "together" | "atLeastOne" | "rules">, values)) {
      ctx.addIssue({ code: "custom", ...issue });
    }
  });
  // JSON Schema's way of saying "at least one of": the document shows it, and input generators can read it.
  const anyOfRequired = (group: readonly string[]) => ({ anyOf: group.map((name) => ({ required: [name] })) });
  const groups = declaration.atLeastOne ?? [];
  const create =
    groups.length === 0
      ? checked
      : checked.meta(groups.length === 1 ? anyOfRequired(groups[0] ?? []) : { allOf: groups.map(anyOfRequired) });
  const patchShape = patchShapeOf(fields);
  const update = z.strictObject({ id: idSchema, ...patchShape });
  const output = z.object({ ...outputShapeOf(fields), ...(declaration.computed ?? ({} as Computed)) });
  const filterShape = {
    ...commonFilterShape<OwnerFilter>(declaration.owner?.filter, declaration.singular),
    ...fieldFilterShapeOf(fields),
    ...(declaration.filters ?? ({} as ExtraFilters)),
  };
  const filters = z.strictObject(filterShape);
  const list = z.strictObject({
    ...pageInputShape,
    ...filterShape,
    sortBy: z.enum(sortKeys).default("createdAt" as never),
    withTotal: booleanFilter.default(false).meta({ description: "Count the matching rows too (one more query)." }),
  });

  const { model, hooks, ...names } = declaration;
  return {
    ...names,
    // The row type has served its purpose (checking the column names above); the kit's generic code reads rows as records.
    model: model as unknown as AnyResource["model"],
    hooks: hooks as AnyResource["hooks"],
    /** `GET /leads`: the REST base path. */
    basePath: (declaration.basePath ?? `/${declaration.key}`) as `/${string}`,
    sorts: sorts as Record<SortKey, Omit<SortSpec, "order">>,
    schemas: { create, patchShape, update, output, filterShape, filters, list },
  };
}

/** A resource as the kit's generic code sees it (the typed view is `Resource<...>`). */
export interface AnyResource {
  key: RecordResource;
  singular: string;
  label: string;
  table: string;
  basePath: `/${string}`;
  model(db: Tx): RecordModel<RecordRow>;
  fields: FieldTable;
  serverOnly: readonly string[];
  notAudited?: readonly string[];
  owner?: { field: string; filter: string };
  reassignable?: false | ((ctx: OrgContext) => object);
  unique?: readonly UniqueDeclaration[];
  together?: readonly (readonly string[])[];
  atLeastOne?: readonly (readonly string[])[];
  rules?(values: Record<string, unknown>): { path: string[]; message: string }[];
  search?: SearchDeclaration<string>;
  bulkLimit?: number;
  sqlRelations?: Record<string, SqlRelation>;
  hooks?: ResourceHooks<RecordRow, unknown, unknown, unknown, Record<string, unknown>>;
  sorts: Record<string, Omit<SortSpec, "order">>;
  schemas: {
    create: z.ZodType;
    patchShape: z.ZodRawShape;
    update: z.ZodType;
    output: z.ZodType;
    filterShape: z.ZodRawShape;
    filters: z.ZodType;
    list: z.ZodType;
  };
}

export type CreateInput<R extends AnyResource> = z.output<R["schemas"]["create"]>;
export type UpdateInput<R extends AnyResource> = z.output<R["schemas"]["update"]>;
export type FilterInput<R extends AnyResource> = z.output<R["schemas"]["filters"]>;
export type ListInput<R extends AnyResource> = z.output<R["schemas"]["list"]>;
