import { TRPCError } from "@trpc/server";
import { fieldError, issueOfMessage } from "../errors.ts";

/** A cell as the readers hand it over: CSV gives strings, XLSX typed values. */
export type CellValue = string | number | boolean | Date | null;

/** One row of the file; `rowNumber` is the row a spreadsheet shows (the header is usually row 1). */
export interface SheetRow {
  rowNumber: number;
  cells: CellValue[];
}

export const IMPORT_FORMATS = ["csv", "xlsx"] as const;
export type ImportFileFormat = (typeof IMPORT_FORMATS)[number];

export const CSV_ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252"] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

/** How a CSV file is written, found once when it is uploaded and reused on every read. */
export interface CsvDialect {
  encoding: CsvEncoding;
  delimiter: string;
  newline: "\n" | "\r\n" | "\r";
  /** Excel's `sep=;` first line, which is not data. */
  skipFirstLine: boolean;
}

/** A column of the file and the field it fills. */
export interface ColumnAssignment {
  index: number;
  header: string;
  field: string;
}

/** What reading the file again needs (stored on the job). */
export interface ParseOptions {
  csv?: CsvDialect;
  headerRowNumber: number;
  columns: ColumnAssignment[];
  /** Headers of the columns no field takes. */
  ignoredColumns: string[];
}

/** A problem with one field of a row; `field` is `row` for the row as a whole. */
export interface RowIssue {
  field: string;
  message: string;
  value?: string | null;
}

/**
 * The file cannot be imported at all: a 4xx at upload, or a failed job. A 400 is about the upload's
 * `file` field, or the field its message starts with (`mapping: ...`).
 */
export function fileProblem(message: string, code: "BAD_REQUEST" | "UNSUPPORTED_MEDIA_TYPE" = "BAD_REQUEST"): TRPCError {
  if (code === "BAD_REQUEST") return fieldError(code, message, [issueOfMessage(message, "file")]);
  return new TRPCError({ code, message });
}
