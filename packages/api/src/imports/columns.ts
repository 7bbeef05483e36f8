import { isCalendarDay } from "../lib/dates.ts";
import type { CellValue, ColumnAssignment, RowIssue } from "./types.ts";
import { fileProblem } from "./types.ts";

/**
 * How a cell becomes a field value: `text` is trimmed, `list` splits on `,` or `;`, `enum` turns
 * "Cold Call" into `cold_call`, numbers accept `25%` and a decimal comma, dates take ISO 8601 (and
 * Excel dates), booleans yes/no/true/false/1/0.
 */
export type FieldKind = "text" | "list" | "enum" | "number" | "integer" | "boolean" | "date";

export interface ImportField {
  /** The field the column fills (a key of the record's create input, or a virtual one the target splits). */
  field: string;
  kind: FieldKind;
  /** Header spellings that mean this field, compared after normalizeHeader. */
  aliases: string[];
}

/** "First Name", "first_name", "firstName" and " FIRSTNAME " all read as `firstname`. */
export function normalizeHeader(header: string): string {
  return header
    .replace(/^\uFEFF/, "")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");
}

export type ExplicitMapping = Record<string, string | null>;

/**
 * Which column fills which field: the explicit mapping first (`{ "Nom": "lastName" }`, or `null`
 * to ignore a column), then the header's common names. `required` lists alternatives: at least
 * one of the sets of fields must be present in full. Throws a 400 naming what is missing or wrong.
 */
export function planColumns(
  header: string[],
  fields: ImportField[],
  required: string[][],
  mapping: ExplicitMapping = {},
): { columns: ColumnAssignment[]; ignoredColumns: string[] } {
  const known = new Map(fields.map((field) => [field.field, field]));
  const byAlias = new Map<string, string>();
  for (const field of fields) {
    for (const alias of [field.field, ...field.aliases]) byAlias.set(normalizeHeader(alias), field.field);
  }
  const trimmed = header.map((name) => String(name ?? "").trim());
  const explicit = new Map<string, string | null>();
  for (const [column, field] of Object.entries(mapping)) {
    if (field !== null && !known.has(field)) {
      throw fileProblem(`mapping: "${column}" maps to unknown field "${field}"; fields: ${[...known.keys()].join(", ")}`);
    }
    const matches = trimmed.filter((name) => name === column.trim() || normalizeHeader(name) === normalizeHeader(column));
    if (matches.length === 0) throw fileProblem(`mapping: the file has no column "${column}"; columns: ${describe(trimmed)}`);
    explicit.set(normalizeHeader(column), field);
  }

  const columns: ColumnAssignment[] = [];
  const ignoredColumns: string[] = [];
  const taken = new Map<string, string>();
  trimmed.forEach((name, index) => {
    if (name === "") return;
    const key = normalizeHeader(name);
    const field = explicit.has(key) ? explicit.get(key) : byAlias.get(key);
    if (!field) {
      ignoredColumns.push(name);
      return;
    }
    const other = taken.get(field);
    if (other !== undefined) {
      throw fileProblem(
        `columns "${other}" and "${name}" both map to ${field}; give a mapping that sets one of them to null (ignored)`,
      );
    }
    taken.set(field, name);
    columns.push({ index, header: name, field });
  });

  if (!required.some((set) => set.every((field) => taken.has(field)))) {
    const wanted = required.map((set) => set.join(" + ")).join(" or ");
    const spellings = required
      .flat()
      .flatMap((field) => known.get(field)?.aliases.slice(0, 3) ?? [])
      .map((alias) => `"${alias}"`)
      .join(", ");
    throw fileProblem(
      `missing required column: ${wanted} (a header such as ${spellings}, or a mapping); the file's columns: ${describe(trimmed)}`,
    );
  }
  return { columns, ignoredColumns };
}

function describe(header: string[]): string {
  const names = header.filter(Boolean);
  if (names.length === 0) return "(none)";
  const shown = names.slice(0, 20).map((name) => `"${name.slice(0, 60)}"`);
  return names.length > 20 ? `${shown.join(", ")} and ${names.length - 20} more` : shown.join(", ");
}

const TRUE = new Set(["true", "yes", "y", "1", "active", "x"]);
const FALSE = new Set(["false", "no", "n", "0", "inactive"]);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
/** Excel counts days from 1899-12-30 (the 1900 leap-year bug included). */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);

export function cellText(value: CellValue): string {
  if (value === null) return "";
  if (value instanceof Date) return value.toISOString();
  return String(value).trim();
}

/** A cell converted to what the field's schema expects, or an issue when it cannot be. */
export function convertCell(value: CellValue, kind: FieldKind): { value?: unknown; issue?: string } {
  if (value === null || (typeof value === "string" && value.trim() === "")) return {};
  switch (kind) {
    case "text":
      return { value: cellText(value) };
    case "list":
      return {
        value: cellText(value)
          .split(/[,;]/)
          .map((item) => item.trim())
          .filter(Boolean),
      };
    case "enum":
      return {
        value: cellText(value)
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "_")
          .replace(/^_|_$/g, ""),
      };
    case "number":
    case "integer": {
      if (typeof value === "number") return { value };
      const text = cellText(value).replace(/\s/g, "");
      const percent = text.endsWith("%");
      const digits = (percent ? text.slice(0, -1) : text).replace(/^(-?\d+),(\d+)$/, "$1.$2");
      const number = Number(digits);
      if (digits === "" || !Number.isFinite(number)) return { issue: `must be a number, got "${cellText(value)}"` };
      return { value: percent ? number / 100 : number };
    }
    case "boolean": {
      if (typeof value === "boolean") return { value };
      const text = cellText(value).toLowerCase();
      if (TRUE.has(text)) return { value: true };
      if (FALSE.has(text)) return { value: false };
      return { issue: `must be yes/no or true/false, got "${cellText(value)}"` };
    }
    case "date": {
      if (value instanceof Date) return { value };
      if (typeof value === "number") return { value: new Date(EXCEL_EPOCH_MS + Math.round(value * 86_400_000)) };
      const text = cellText(value);
      const date = ISO_DATE.test(text) && isCalendarDay(text.slice(0, 10)) ? new Date(text.replace(" ", "T")) : undefined;
      if (!date || Number.isNaN(date.getTime())) {
        return { issue: `must be a date (YYYY-MM-DD or ISO 8601 date-time), got "${text}"` };
      }
      return { value: date };
    }
  }
}

/** The mapped cells of a row as field values, with an issue per cell that could not be converted. */
export function rowValues(
  cells: CellValue[],
  columns: ColumnAssignment[],
  kinds: Map<string, FieldKind>,
): { values: Record<string, unknown>; raw: Record<string, string>; issues: RowIssue[] } {
  const values: Record<string, unknown> = {};
  const raw: Record<string, string> = {};
  const issues: RowIssue[] = [];
  for (const column of columns) {
    const cell = cells[column.index] ?? null;
    const text = cellText(cell);
    if (text !== "") raw[column.field] = text;
    const converted = convertCell(cell, kinds.get(column.field) ?? "text");
    if (converted.issue) issues.push({ field: column.field, message: converted.issue, value: text });
    else if (converted.value !== undefined) values[column.field] = converted.value;
  }
  return { values, raw, issues };
}

/** Whether a row has no content at all (empty lines, trailing empty rows). */
export function isEmptyRow(cells: CellValue[]): boolean {
  return cells.every((cell) => cell === null || (typeof cell === "string" && cell.trim() === ""));
}
