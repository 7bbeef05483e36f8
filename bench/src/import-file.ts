import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { seededRandom } from "./data.ts";
import type { BenchResource } from "./resources.ts";

const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/** The header line of `resource`'s import file. */
export function importHeader(resource: BenchResource): string {
  return `${resource.importColumns.map((column) => column.header).join(",")}\n`;
}

/**
 * Writes `rows` valid, distinct records of `resource` as CSV (see BenchResource.importRow), the
 * same rows on every run. Returns the file's size in bytes.
 */
export async function writeImportFile(file: string, resource: BenchResource, rows: number): Promise<number> {
  const next = seededRandom(resource.importSeed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)] as T;
  const out = createWriteStream(file);
  let bytes = 0;
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, "drain");
  };
  await write(importHeader(resource));
  const chunk: string[] = [];
  for (let i = 1; i <= rows; i++) {
    chunk.push(resource.importRow(i, pick, next).map(quote).join(","));
    if (chunk.length === 10_000 || i === rows) {
      await write(`${chunk.join("\n")}\n`);
      chunk.length = 0;
    }
  }
  out.end();
  await once(out, "finish");
  return bytes;
}
