import { PassThrough, Readable } from "node:stream";
import { setTimeout } from "node:timers/promises";
import ExcelJS from "exceljs";
import Papa from "papaparse";
import { heapGrowthLimit } from "../lib/heap-growth.ts";

export const EXPORT_FORMATS = ["csv", "xlsx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A column of an export: its header, how its cells are typed, and the value of a row. */
export interface ExportColumn<Row> {
  header: string;
  kind: "text" | "number" | "integer" | "percent" | "date" | "boolean" | "list";
  /** Column width in characters (XLSX). */
  width?: number;
  value(row: Row): unknown;
}

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/**
 * Text a spreadsheet would run as a formula (`=`, `@`, a leading tab or CR, or `+`/`-` not followed
 * by a number) gets a leading apostrophe in CSV ("CSV injection"); phone numbers like +4420... stay.
 */
const FORMULA_LIKE = /^[=@\t\r]|^[+-](?![\d\s().]*$)/;

function csvCell<Row>(column: ExportColumn<Row>, row: Row): string | number | boolean {
  const value = column.value(row);
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "number" || typeof value === "boolean") return value;
  return String(value);
}

function xlsxCell<Row>(column: ExportColumn<Row>, row: Row): unknown {
  const value = column.value(row);
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.join(", ");
  return value;
}

/**
 * CSV, pulled a page at a time: the next page is read from `pages` only when the consumer (the
 * HTTP response) wants more, so memory stays flat whatever the row count. Starts with a UTF-8 BOM
 * so Excel reads non-ASCII text right; dates are ISO 8601, lists comma-separated.
 */
function csvStream<Row>(columns: ExportColumn<Row>[], pages: AsyncIterable<Row[]>): Readable {
  const unparse = (rows: (string | number | boolean)[][]) =>
    Papa.unparse(rows, { header: false, newline: "\r\n", escapeFormulae: FORMULA_LIKE });
  async function* lines() {
    yield `\uFEFF${unparse([columns.map((column) => column.header)])}\r\n`;
    for await (const page of pages) {
      if (page.length) yield `${unparse(page.map((row) => columns.map((column) => csvCell(column, row))))}\r\n`;
    }
  }
  return Readable.from(lines(), { objectMode: false });
}

/** Bytes of XLSX waiting for a slow client before the next page of rows is read. */
const MAX_XLSX_BACKLOG = 4 * 1024 * 1024;

const NUMBER_FORMATS: Partial<Record<ExportColumn<unknown>["kind"], string>> = {
  date: "yyyy-mm-dd hh:mm:ss",
  integer: "0",
  percent: "0%",
};

/**
 * XLSX through exceljs's streaming WorkbookWriter: typed cells (dates are dates, numbers numbers,
 * booleans booleans), a bold, frozen header row and an autofilter. Each page is committed to the
 * zip stream, and the next page is read only once the output has drained (a slow client holds the
 * database reads back), so memory stays flat.
 */
function xlsxStream<Row>(columns: ExportColumn<Row>[], pages: AsyncIterable<Row[]>, sheetName: string): Readable {
  const output = new PassThrough({ highWaterMark: 256 * 1024 });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.columns = columns.map((column, index) => ({
    header: column.header,
    key: `c${index}`,
    width: column.width ?? Math.max(12, column.header.length + 2),
    style: NUMBER_FORMATS[column.kind] ? { numFmt: NUMBER_FORMATS[column.kind] } : {},
  }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.commit();
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };

  // exceljs writes committed rows into the zip without heeding backpressure: with a slow client
  // the XML piles up in the pipeline between the sheet and `output` (archiver's streams). So the
  // next page waits until what is queued along that pipeline is small again. (Reads the stream
  // states of exceljs 4.4.0 / archiver 5, pinned.)
  type Piped = { _readableState?: { length?: number; pipes?: Piped | Piped[] | null }; _writableState?: { length?: number } };
  const sheetStream = (sheet as unknown as { stream?: { pipes?: Piped[]; buffers?: unknown[] } }).stream;
  const queued = (stream: Piped | undefined, depth: number): number => {
    if (!stream || depth > 8 || (stream as unknown) === output) return 0;
    const next = stream._readableState?.pipes;
    const downstream = Array.isArray(next) ? next : next ? [next] : [];
    return (
      (stream._readableState?.length ?? 0) +
      (stream._writableState?.length ?? 0) +
      downstream.reduce((sum, pipe) => sum + queued(pipe, depth + 1), 0)
    );
  };
  const backlog = () =>
    (sheetStream?.pipes ?? []).reduce((sum, pipe) => sum + queued(pipe, 0), 0) +
    (sheetStream?.buffers?.length ?? 0) * 65_536 +
    output.writableLength +
    output.readableLength;
  const consumerCaughtUp = async () => {
    while (backlog() > MAX_XLSX_BACKLOG && !output.destroyed) await setTimeout(5);
  };

  (async () => {
    for await (const page of pages) {
      if (output.destroyed) return;
      for (const row of page) sheet.addRow(columns.map((column) => xlsxCell(column, row))).commit();
      await consumerCaughtUp();
    }
    sheet.commit();
    await workbook.commit();
  })().catch((error) => output.destroy(error));
  return output;
}

/**
 * `pages` with its first page already read: a first read that fails (the query refused, the database
 * gone) fails here, while the caller can still answer with an error status instead of a 200 cut short.
 */
async function withFirstPageRead<Row>(pages: AsyncIterable<Row[]>): Promise<AsyncIterable<Row[]>> {
  const iterator = pages[Symbol.asyncIterator]();
  const first = await iterator.next();
  const rest = { [Symbol.asyncIterator]: () => iterator };
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* rest;
  })();
}

/**
 * Rows from `pages` as a CSV or XLSX byte stream, once the first page is read; the consumer's pace
 * decides how fast the other pages are read.
 */
export async function tableStream<Row>(
  format: ExportFormat,
  columns: ExportColumn<Row>[],
  rows: AsyncIterable<Row[]>,
  sheetName = "Sheet1",
): Promise<Readable> {
  // From the first read until the stream closes (ended, failed or abandoned by its reader).
  const release = heapGrowthLimit.hold();
  let pages: AsyncIterable<Row[]>;
  try {
    pages = await withFirstPageRead(rows);
  } catch (error) {
    release();
    throw error;
  }
  const stream = format === "csv" ? csvStream(columns, pages) : xlsxStream(columns, pages, sheetName);
  stream.once("close", release);
  return stream;
}
