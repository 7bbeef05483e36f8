import { once } from "node:events";
import { createWriteStream } from "node:fs";
import {
  COMPANY_PREFIXES,
  COMPANY_SUFFIXES,
  FIRST_NAMES,
  JOB_TITLES,
  LAST_NAMES,
  phoneOf,
  SOURCES,
  seededRandom,
} from "./data.ts";

/** Columns of the import file, in the order `\copy` maps them onto "Lead". */
export const IMPORT_COLUMNS = [
  { header: "First Name", column: "firstName" },
  { header: "Last Name", column: "lastName" },
  { header: "Email", column: "email" },
  { header: "Phone", column: "phone" },
  { header: "Company Name", column: "companyName" },
  { header: "Job Title", column: "jobTitle" },
  { header: "Source", column: "source" },
  { header: "Status", column: "status" },
] as const;

const IMPORT_STATUSES = ["new", "contacted", "qualified"] as const;

const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/**
 * Writes `rows` valid, distinct leads as CSV: values already in their stored form (lower-case
 * email, E.164 phone, enum names), so the API import and `psql \copy` load the very same rows.
 * Some optional cells are empty (NULL for \copy, absent for the API).
 */
export async function writeImportFile(file: string, rows: number): Promise<number> {
  const next = seededRandom(20_261_122);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)] as T;
  const out = createWriteStream(file);
  let bytes = 0;
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, "drain");
  };
  await write(`${IMPORT_COLUMNS.map((column) => column.header).join(",")}\n`);
  const chunk: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const company = `${pick(COMPANY_PREFIXES)} ${pick(COMPANY_SUFFIXES)}`;
    const cells = [
      first,
      next() < 0.05 ? "" : last,
      `${first}.${last}.${i}@import.example`.toLowerCase(),
      next() < 0.2 ? "" : phoneOf(i),
      next() < 0.1 ? "" : company,
      next() < 0.15 ? "" : pick(JOB_TITLES),
      pick(SOURCES),
      pick(IMPORT_STATUSES),
    ];
    chunk.push(cells.map(quote).join(","));
    if (chunk.length === 10_000 || i === rows) {
      await write(`${chunk.join("\n")}\n`);
      chunk.length = 0;
    }
  }
  out.end();
  await once(out, "finish");
  return bytes;
}
