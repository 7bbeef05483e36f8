import { z } from "zod";
import { currencySchema } from "../lib/codes.ts";
import { phoneSchema, profileUrlSchema, websiteSchema } from "../lib/contact-points.ts";
import { countryCodeSchema } from "../lib/countries.ts";
import { calendarDateInput, calendarDateOutput, dateTimeInput } from "../lib/dates.ts";
import { decimalInput, decimalOutput } from "../lib/decimal.ts";
import { domainSchema } from "../lib/domains.ts";
import { emailField, idSchema, text, timestamp } from "../lib/schemas.ts";
import { timeZoneSchema } from "../lib/time-zones.ts";

/**
 * A field of a resource, declared once: the schema of a value a caller writes, the schema of the
 * value the API shows, whether callers may write it, and what it takes part in (filters, sorting,
 * export, import). Create, update, output, filter and list schemas, the export columns and the
 * import columns are derived from these, at compile time for the schemas (the typed client keeps
 * its types).
 */

/** How a value is typed in files (import cells, export columns) and filters. */
export type ValueKind = "text" | "list" | "enum" | "number" | "integer" | "decimal" | "boolean" | "date" | "id" | "json";

/**
 * What a list may filter a field by:
 * - `in`: one or several values (`status=new,contacted`);
 * - `equals`: one value, case-insensitively for text;
 * - `range`: `<field>Min` / `<field>Max` (numbers) or `<field>From` / `<field>To` (dates);
 * - `has`: `has<Field>=true|false`, whether it has a value.
 */
export type FilterKind = "in" | "equals" | "range" | "has";

export interface FieldFlags {
  /** Callers may write it (create, update, bulk, import); otherwise the server owns it. */
  writable: boolean;
  /** A create must give it. */
  required: boolean;
  /** It may be null (clearing it is writing null). */
  nullable: boolean;
  /** A column of its own (not a virtual input). */
  column: boolean;
  /** An update may change it (false: given on create only, changed through the resource's own routes). */
  patchable: boolean;
  /** Lists may sort by it. */
  sort: boolean;
  filter: FilterKind | undefined;
}

export interface FieldTraits {
  description?: string;
  filter?: FilterKind;
  /** Lists may sort by it (an index on (organizationId, field, id) should back it). */
  sort?: boolean;
  /** Exported under this header (an import reads it back under the same name). */
  exported?: { header: string; width?: number; kind?: "percent" };
  /** Importable, from a column with one of these headers (besides the field's own name). */
  imported?: string[];
  /** The id of a record of another table of the organization (checked on write: NOT_FOUND otherwise). */
  references?: { table: string; label: string };
}

export interface Field<In extends z.ZodType = z.ZodType, Out extends z.ZodType = z.ZodType, Flags extends FieldFlags = FieldFlags>
  extends FieldTraits {
  kind: ValueKind;
  /** The schema of a written value (never null; nullability comes from the flags). */
  input: In;
  /** The schema of the value as shown (never null). */
  output: Out;
  flags: Flags;
  /** False for an input that is no column of its own (e.g. a lead's manualScore sets score and scoreIsManual). */
  column: boolean;
  /** Enum values, for filters and files. */
  values?: readonly string[];
}

export type AnyField = Field<z.ZodType, z.ZodType, FieldFlags>;
export type FieldTable = Record<string, AnyField>;

export interface FieldOptions extends FieldTraits {
  required?: boolean;
  /** Written only by the server (derived, counters, workflow state). */
  serverOwned?: boolean;
  nullable?: boolean;
  /** Not a column: the resource turns it into columns (see ResourceHooks.toColumns). */
  virtual?: boolean;
  /** Given on create only; not in the update input (a meeting's attendees have routes of their own). */
  createOnly?: boolean;
}

type NoOptions = Record<never, never>;

type FlagsOf<O, DefaultNullable extends boolean = true> = {
  writable: O extends { serverOwned: true } ? false : true;
  required: O extends { required: true } ? true : false;
  nullable: O extends { required: true } ? false : O extends { nullable: false } ? false : DefaultNullable;
  column: O extends { virtual: true } ? false : true;
  patchable: O extends { createOnly: true } ? false : true;
  sort: O extends { sort: true } ? true : false;
  filter: O extends { filter: infer Kind extends FilterKind } ? Kind : undefined;
};

function field<
  K extends ValueKind,
  In extends z.ZodType,
  Out extends z.ZodType,
  const O extends FieldOptions,
  N extends boolean = true,
>(
  kind: K,
  input: In,
  output: Out,
  options: O,
  defaultNullable: N = true as N,
  values?: readonly string[],
): Field<In, Out, FlagsOf<O, N>> & { kind: K } {
  const { required, serverOwned, nullable, virtual, createOnly, ...traits } = options;
  return {
    ...traits,
    kind,
    input: (traits.description ? input.meta({ description: traits.description }) : input) as In,
    output: (traits.description ? output.meta({ description: traits.description }) : output) as Out,
    flags: {
      writable: !serverOwned,
      required: Boolean(required),
      nullable: required ? false : nullable === false ? false : defaultNullable,
      column: !virtual,
      patchable: !createOnly,
      sort: Boolean(traits.sort),
      filter: traits.filter,
    } as FlagsOf<O, N>,
    column: !virtual,
    values,
  };
}

const keywords = (max: number) =>
  z
    .array(text(50))
    .max(max)
    .transform((items) => [...new Set(items.map((item) => item.toLowerCase()))]);

/** The field types every resource draws from, so a type refuses the same values the same way everywhere. */
export const fields = {
  /** A trimmed, non-empty line of text. */
  text: <const O extends FieldOptions = NoOptions>(max: number, options: O = {} as O) =>
    field("text", text(max), z.string(), options),
  /** Free text (notes, descriptions): kept as written. */
  longText: <const O extends FieldOptions = NoOptions>(max: number, options: O = {} as O) =>
    field("text", z.string().max(max, { error: `must be at most ${max} characters` }), z.string(), options),
  /** An email address, lower-cased. */
  email: <const O extends FieldOptions = NoOptions>(options: O = {} as O, example?: string) =>
    field("text", emailField(example), z.string(), options),
  /** A phone number, stored in E.164. */
  phone: <const O extends FieldOptions = NoOptions>(options: O = {} as O) => field("text", phoneSchema, z.string(), options),
  /** A website, stored as an https URL without the trailing slash. */
  website: <const O extends FieldOptions = NoOptions>(options: O = {} as O) => field("text", websiteSchema, z.string(), options),
  /** A domain name, stored lower-case without scheme, `www.`, port or path ("https://www.Acme.com/about" → "acme.com"). */
  domain: <const O extends FieldOptions = NoOptions>(options: O = {} as O) => field("text", domainSchema, z.string(), options),
  /** An ISO 4217 currency code (USD). */
  currency: <const O extends FieldOptions = NoOptions>(options: O = {} as O) =>
    field("text", currencySchema, z.string(), options),
  /**
   * An exact decimal (a Decimal(digits, scale) column, e.g. money): written as a decimal string or
   * a number that is one, never rounded; shown as a string with `scale` decimals.
   */
  decimal: <const O extends FieldOptions = NoOptions>(
    format: { digits: number; scale: number; min?: number; max?: number },
    options: O = {} as O,
  ) => field("decimal", decimalInput(format), decimalOutput(format.scale), options),
  /** A profile page on `host` or a subdomain (e.g. a LinkedIn profile), stored as an https URL. */
  profileUrl: <const O extends FieldOptions = NoOptions>(host: string, options: O = {} as O) =>
    field("text", profileUrlSchema(host), z.string(), options),
  /** A country as an ISO 3166-1 alpha-2 code, upper-cased. */
  countryCode: <const O extends FieldOptions = NoOptions>(options: O = {} as O) =>
    field("text", countryCodeSchema, z.string(), options),
  /** Lower-cased keywords (tags, interests): at most `max`, duplicates dropped. */
  keywords: <const O extends FieldOptions = NoOptions>(max: number, options: O = {} as O) =>
    field("list", keywords(max), z.array(z.string()), options, false),
  /** A list of values of `item` (e.g. additional emails). */
  list: <In extends z.ZodType, Out extends z.ZodType, const O extends FieldOptions = NoOptions>(
    item: { input: In; output: Out },
    max: number,
    options: O = {} as O,
  ) => field("list", z.array(item.input).max(max), z.array(item.output), options, false),
  enum: <const V extends readonly [string, ...string[]], const O extends FieldOptions = NoOptions>(
    values: V,
    options: O = {} as O,
  ) => field("enum", z.enum(values), z.enum(values), options, true, values),
  /** An enum column with a database default: never null. */
  enumWithDefault: <const V extends readonly [string, ...string[]], const O extends FieldOptions = NoOptions>(
    values: V,
    options: O = {} as O,
  ) => field("enum", z.enum(values), z.enum(values), options, false, values),
  /**
   * A workflow status with a database default: callers write `written`; `serverSet` only the
   * server's own actions set (a lead's `converted`). The API shows, filters and exports every value.
   */
  status: <
    const V extends readonly [string, ...string[]],
    const S extends readonly [string, ...string[]],
    const O extends FieldOptions = NoOptions,
  >(
    written: V,
    serverSet: S,
    options: O = {} as O,
  ) => {
    const all = [...written, ...serverSet] as unknown as readonly [...V, ...S];
    return field("enum", z.enum(written), z.enum(all), options, false, all);
  },
  /** A set of enum values (a PostgreSQL enum array). */
  enumSet: <const V extends readonly [string, ...string[]], const O extends FieldOptions = NoOptions>(
    values: V,
    options: O = {} as O,
  ) =>
    field(
      "list",
      z
        .array(z.enum(values))
        .max(values.length)
        .transform((items) => [...new Set(items)]),
      z.array(z.enum(values)),
      options,
      false,
      values,
    ),
  integer: <const O extends FieldOptions = NoOptions>(range: { min: number; max: number }, options: O = {} as O) =>
    field("integer", z.number().int().min(range.min).max(range.max), z.number().int(), options),
  number: <const O extends FieldOptions = NoOptions>(range: { min: number; max: number }, options: O = {} as O) =>
    field("number", z.number().min(range.min).max(range.max), z.number(), options),
  boolean: <const O extends FieldOptions = NoOptions>(options: O = {} as O) =>
    field("boolean", z.boolean(), z.boolean(), options, false),
  dateTime: <const O extends FieldOptions = NoOptions>(options: O = {} as O) => field("date", dateTimeInput, timestamp, options),
  /** A calendar day (a DATE column): written and shown as ISO "YYYY-MM-DD", stored as its first instant in UTC. */
  date: <const O extends FieldOptions = NoOptions>(options: O = {} as O) =>
    field("date", calendarDateInput, calendarDateOutput, options),
  /** The id of another record of the organization (checked: NOT_FOUND otherwise, as for an unknown id). */
  id: <const O extends FieldOptions = NoOptions>(options: O = {} as O) => field("id", idSchema, z.uuid(), options),
  /**
   * The user id of a member of the organization (an organizer, an attendee): the document marks it
   * `x-references: userId`, so input generators resolve it as a member, whatever its name.
   */
  memberId: <const O extends FieldOptions = NoOptions>(options: O = {} as O) =>
    field("id", idSchema.meta({ "x-references": "userId" }), z.uuid(), options),
  /** An IANA time zone name ("Europe/Berlin"). */
  timeZone: <const O extends FieldOptions = NoOptions>(options: O = {} as O) =>
    field("text", timeZoneSchema, z.string(), options),
  /** A value of the resource's own schemas (a structured JSON value, a code only it knows); `kind` says how files and filters type it. */
  value: <In extends z.ZodType, Out extends z.ZodType, const O extends FieldOptions = NoOptions>(
    kind: ValueKind,
    schemas: { input: In; output: Out },
    options: O = {} as O,
  ) => field(kind, schemas.input, schemas.output, options),
  /** A value only the server writes and shows as `output`. */
  shown: <Out extends z.ZodType, const O extends FieldOptions = NoOptions>(kind: ValueKind, output: Out, options: O = {} as O) =>
    field(kind, output, output, { ...options, serverOwned: true }) as unknown as Field<
      Out,
      Out,
      FlagsOf<O & { serverOwned: true }>
    >,
};
