import { createReadStream } from "node:fs";
import ExcelJS from "exceljs";
import { type CellValue, fileProblem, type SheetRow } from "./types.ts";

const BATCH_ROWS = 500;
/** Every .xlsx (a zip archive) starts with a zip local file header. */
export const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** A cell of the streaming reader as a plain value: rich text and hyperlinks give their text, formulas their result. */
export function plainCellValue(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value instanceof Date) return value;
  if (typeof value === "object") {
    const cell = value as Record<string, unknown>;
    if (Array.isArray(cell.richText)) return cell.richText.map((part: { text?: string }) => part.text ?? "").join("");
    if ("result" in cell) return plainCellValue(cell.result);
    if ("text" in cell) return plainCellValue(cell.text);
    if ("error" in cell) return null;
  }
  return String(value);
}

/**
 * The rows of the first worksheet, streamed with exceljs's WorkbookReader (shared strings and
 * styles cached, so date-formatted cells arrive as Dates). Rows come in file order with their
 * spreadsheet row numbers; empty rows are absent.
 */
export async function* readXlsx(path: string): AsyncGenerator<SheetRow[]> {
  const input = createReadStream(path);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache",
    hyperlinks: "ignore",
    entries: "ignore",
  });
  let batch: SheetRow[] = [];
  try {
    const worksheets = reader[Symbol.asyncIterator]();
    const first = await nextOrFail(worksheets);
    if (first.done) throw fileProblem("the workbook has no worksheet");
    const rows = (first.value as unknown as AsyncIterable<{ number: number; values: unknown[] }>)[Symbol.asyncIterator]();
    for (;;) {
      const next = await nextOrFail(rows);
      if (next.done) break;
      const values = Array.isArray(next.value.values) ? next.value.values : [];
      batch.push({ rowNumber: next.value.number, cells: Array.from(values.slice(1), plainCellValue) });
      if (batch.length >= BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } finally {
    input.destroy();
  }
}

async function nextOrFail<T>(iterator: AsyncIterator<T>): Promise<IteratorResult<T>> {
  try {
    return await iterator.next();
  } catch (error) {
    if (error instanceof Error && error.name === "TRPCError") throw error;
    throw fileProblem(`the .xlsx workbook cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
}
