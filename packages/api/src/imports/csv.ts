import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import Papa from "papaparse";
import { type CsvDialect, type CsvEncoding, fileProblem, type SheetRow } from "./types.ts";

/** How much of the file decides its encoding, delimiter and line ending. */
const SNIFF_BYTES = 64 * 1024;
/** A longer record is taken for a quote left open (or not a CSV file), not for data. */
export const MAX_RECORD_CHARS = 1_000_000;
const DELIMITERS = [",", ";", "\t", "|"];

export async function readHead(path: string, bytes = SNIFF_BYTES): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function isControl(code: number): boolean {
  return code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
}

/**
 * UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else that is text is read as
 * Windows-1252, which is what Excel writes for "CSV (Comma delimited)" on Western systems.
 * Binary content (NUL bytes, control characters) is refused here.
 */
export function sniffEncoding(head: Buffer): CsvEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  let controls = 0;
  for (const byte of head) {
    if (byte === 0) throw fileProblem("the file holds binary data (NUL bytes), not CSV text");
    if (isControl(byte)) controls++;
  }
  if (controls > head.length / 100) throw fileProblem("the file holds binary data (control characters), not CSV text");
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return "utf-8";
  } catch {
    return "windows-1252";
  }
}

/** Delimiter (`,` `;` tab `|`), line ending and Excel's `sep=` line, from the start of the text. */
export function sniffDialect(headText: string, encoding: CsvEncoding): CsvDialect {
  const text = headText.replace(/^\uFEFF/, "");
  const sep = /^sep=(.)\r?\n/i.exec(text);
  const body = sep ? text.slice(sep[0].length) : text;
  // Up to the last complete line, its line break included (papaparse counts \r\n pairs to tell them from \r).
  const cut = body.includes("\n") ? body.lastIndexOf("\n") + 1 : body.lastIndexOf("\r") + 1;
  const sample = cut > 0 ? body.slice(0, cut) : body;
  const guess = Papa.parse<string[]>(sample, { preview: 50, delimitersToGuess: DELIMITERS, skipEmptyLines: true });
  const newline = (["\r\n", "\n", "\r"] as const).find((candidate) => candidate === guess.meta.linebreak) ?? "\n";
  return { encoding, delimiter: sep?.[1] ?? guess.meta.delimiter ?? ",", newline, skipFirstLine: Boolean(sep) };
}

interface ParseResult {
  data: string[][];
  errors: { code: string; message: string; row?: number }[];
  meta: { cursor: number };
}

/**
 * The rows of a CSV file, a chunk at a time, streamed from disk with papaparse's parser: the next
 * chunk is read only when the caller asks for more rows, so a slow consumer (the database) holds
 * the file back and memory stays flat. Quoted newlines, a BOM and empty lines are handled; empty
 * lines keep their row numbers. Broken quoting or binary content throws a file problem naming the row.
 */
export async function* readCsv(path: string, dialect: CsvDialect): AsyncGenerator<SheetRow[]> {
  const decoder = new TextDecoder(dialect.encoding, { fatal: dialect.encoding !== "windows-1252" });
  const parser = new Papa.Parser({ delimiter: dialect.delimiter, newline: dialect.newline, quoteChar: '"' });
  let rowNumber = 0;
  let partial = "";
  let skipFirstLine = dialect.skipFirstLine;

  const take = (text: string, last: boolean): SheetRow[] => {
    let input = partial + text;
    if (skipFirstLine) {
      const end = input.indexOf("\n");
      if (end === -1 && !last) {
        partial = input;
        return [];
      }
      input = end === -1 ? "" : input.slice(end + 1);
      skipFirstLine = false;
    }
    if (input.includes("\u0000")) throw fileProblem(`the file holds binary data (NUL characters) after row ${rowNumber}`);
    const result = parser.parse(input, 0, !last) as ParseResult;
    // An error in the unfinished last row may go away once the next chunk completes it.
    const error = result.errors.find((e) => last || (e.row ?? 0) < result.data.length);
    if (error) {
      const at = rowNumber + (error.row ?? result.data.length) + 1;
      const what = error.code === "MissingQuotes" || error.code === "InvalidQuotes" ? "broken quoting" : "malformed CSV";
      throw fileProblem(`row ${at}: ${what} (${error.message})`);
    }
    partial = last ? "" : input.slice(result.meta.cursor);
    if (partial.length > MAX_RECORD_CHARS) {
      throw fileProblem(
        `row ${rowNumber + result.data.length + 1} runs on for more than ${MAX_RECORD_CHARS} characters: broken quoting?`,
      );
    }
    return result.data.map((cells) => ({ rowNumber: ++rowNumber, cells }));
  };

  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) {
      let text: string;
      try {
        text = decoder.decode(chunk as Buffer, { stream: true });
      } catch {
        throw fileProblem(`the file is not valid ${dialect.encoding} text after row ${rowNumber}; save it as "CSV UTF-8"`);
      }
      const rows = take(text, false);
      if (rows.length) yield rows;
    }
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      throw fileProblem(`the file is not valid ${dialect.encoding} text at its end; save it as "CSV UTF-8"`);
    }
    const rows = take(rest, true);
    if (rows.length) yield rows;
  } finally {
    stream.destroy();
  }
}
