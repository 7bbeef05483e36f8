import { z } from "zod";
import { sortOrderSchema } from "../lib/pagination.ts";
import type { Permission } from "../permissions.ts";
import type { OrgContext } from "../trpc.ts";
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, type ExportColumn, type ExportFormat, tableStream } from "./table-stream.ts";

/**
 * The query of `GET /{resource}/export`: the file format, the resource's list filters and the
 * order (by creation time). One shape for every resource, so its query parameters read the same.
 */
export function exportInputOf<Filters extends z.ZodRawShape>(filters: Filters) {
  return z.strictObject({ format: z.enum(EXPORT_FORMATS).default("xlsx"), ...filters, sortOrder: sortOrderSchema });
}

/** The input every export takes: a format and an order, besides the resource's filters. */
export type ExportInputSchema = z.ZodType<{ format: ExportFormat; sortOrder: "asc" | "desc" }>;

/** What one exportable resource declares; `exportRecords` streams it as CSV or XLSX. */
export interface ExportableResource<Input extends ExportInputSchema = ExportInputSchema, Row = unknown> {
  /** The router key, used in the route and the file name: `leads-2026-12-01.xlsx`. */
  key: string;
  /** `<resource>:export`. */
  permission: Permission;
  /** The sheet's name in an XLSX file: `Leads`. */
  sheetName: string;
  /** The query of the route (see exportInputOf); its fields are the operation's query parameters. */
  input: Input;
  /** Headers are the names the importer recognises, so an export can be edited and imported back. */
  columns: ExportColumn<Row>[];
  /** The matching records a page at a time, in creation order: never all of them in memory. */
  pages(ctx: OrgContext, input: z.output<Input>): AsyncIterable<Row[]>;
}

/**
 * The records of `resource` matching the query as a CSV or XLSX stream. The query is checked and
 * the first page is read before anything is sent (a 4xx on bad input, an error status if the
 * database fails); the other rows are read while the file is sent.
 */
export async function exportRecords<Input extends ExportInputSchema, Row>(
  ctx: OrgContext,
  resource: ExportableResource<Input, Row>,
  raw: unknown,
) {
  const input = resource.input.parse(raw) as z.output<Input>;
  const format: ExportFormat = input.format;
  const date = new Date().toISOString().slice(0, 10);
  return {
    stream: await tableStream(format, resource.columns, resource.pages(ctx, input), resource.sheetName),
    contentType: EXPORT_CONTENT_TYPES[format],
    fileName: `${resource.key}-${date}.${format}`,
  };
}
