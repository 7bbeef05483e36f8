import { stat } from "node:fs/promises";
import path from "node:path";
import { type ExplicitMapping, type ImportField, isEmptyRow, planColumns } from "./columns.ts";
import { readCsv, readHead, sniffDialect, sniffEncoding } from "./csv.ts";
import { type CsvDialect, fileProblem, type ImportFileFormat, type ParseOptions, type SheetRow } from "./types.ts";
import { readXlsx, ZIP_MAGIC } from "./xlsx.ts";

export interface InspectedFile {
  format: ImportFileFormat;
  fileSize: number;
  parseOptions: ParseOptions;
  /** Data rows (non-empty rows after the header); null when counting needs a full read (XLSX). */
  rowsTotal: number | null;
}

/** The file's format from its name: `.csv` or `.xlsx`; anything else is a 415 that says what to upload. */
export function importFormatOf(fileName: string): ImportFileFormat {
  const extension = path.extname(fileName).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".xlsx") return "xlsx";
  if (extension === ".xls") {
    throw fileProblem(
      "Excel 97-2003 workbooks (.xls) are not supported: save the file as .xlsx or .csv",
      "UNSUPPORTED_MEDIA_TYPE",
    );
  }
  throw fileProblem(
    `${extension ? `"${extension}" files are` : "a file without an extension is"} not supported: upload a .csv or .xlsx file`,
    "UNSUPPORTED_MEDIA_TYPE",
  );
}

/** Reads the rows of a stored upload as it was inspected. */
export function readRows(file: string, format: ImportFileFormat, options: Pick<ParseOptions, "csv">): AsyncGenerator<SheetRow[]> {
  if (format === "xlsx") return readXlsx(file);
  if (!options.csv) throw new Error("CSV parse options are missing");
  return readCsv(file, options.csv);
}

/**
 * Checks an upload before a job is made for it, so that a file that cannot be imported is a clear
 * 4xx and nothing is written: the type, the encoding and delimiter (CSV), the whole CSV's quoting
 * (one streaming pass, which also counts the rows), the header and its mapping to fields.
 */
export async function inspectImportFile(
  file: string,
  fileName: string,
  target: { fields: ImportField[]; requiredColumns: string[][] },
  mapping?: ExplicitMapping,
): Promise<InspectedFile> {
  const format = importFormatOf(fileName);
  const fileSize = (await stat(file)).size;
  if (fileSize === 0) throw fileProblem("the file is empty");
  const head = await readHead(file);
  const isZip = head.subarray(0, 4).equals(ZIP_MAGIC);
  let csv: CsvDialect | undefined;
  if (format === "xlsx") {
    if (!isZip) throw fileProblem("the file is not an .xlsx workbook (an .xlsx file is a zip archive)");
  } else {
    if (isZip) throw fileProblem("the file is a zip archive, not CSV text: an Excel workbook must be named .xlsx");
    const encoding = sniffEncoding(head);
    csv = sniffDialect(new TextDecoder(encoding).decode(head), encoding);
  }

  let header: SheetRow | undefined;
  let plan: ReturnType<typeof planColumns> | undefined;
  let rowsTotal = 0;
  for await (const rows of readRows(file, format, { csv })) {
    for (const row of rows) {
      if (isEmptyRow(row.cells)) continue;
      if (header) {
        rowsTotal++;
        continue;
      }
      header = row;
      // A file with the wrong columns is refused before the rest of it is read.
      const names = row.cells.map((cell) => (cell === null ? "" : String(cell)));
      plan = planColumns(names, target.fields, target.requiredColumns, mapping);
    }
    // Counting an XLSX needs the whole workbook inflated: one data row is proof enough there.
    if (format === "xlsx" && rowsTotal > 0) break;
  }
  if (!header || !plan) throw fileProblem("the file is empty: no header row and no data");
  if (rowsTotal === 0) throw fileProblem("the file has a header row but no data rows");
  const { columns, ignoredColumns } = plan;
  return {
    format,
    fileSize,
    parseOptions: { ...(csv ? { csv } : {}), headerRowNumber: header.rowNumber, columns, ignoredColumns },
    rowsTotal: format === "csv" ? rowsTotal : null,
  };
}
