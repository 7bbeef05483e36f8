import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Papa from "papaparse";
import { afterAll, describe, expect, it } from "vitest";
import { convertCell, normalizeHeader, planColumns } from "../src/imports/columns.ts";
import { readCsv, sniffDialect, sniffEncoding } from "../src/imports/csv.ts";
import { FirstRowIndex } from "../src/imports/first-row-index.ts";
import type { CsvDialect, SheetRow } from "../src/imports/types.ts";
import { uuidv7 } from "../src/lib/ids.ts";
import { LEAD_IMPORT_FIELDS, splitFullName } from "../src/routers/leads/import.ts";

const dir = mkdtempSync(path.join(tmpdir(), "import-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rowsOf(content: string | Buffer, dialect: Partial<CsvDialect> = {}): Promise<SheetRow[]> {
  const file = path.join(dir, `${Math.random()}.csv`);
  writeFileSync(file, content);
  const rows: SheetRow[] = [];
  for await (const batch of readCsv(file, {
    encoding: "utf-8",
    delimiter: ",",
    newline: "\n",
    skipFirstLine: false,
    ...dialect,
  })) {
    rows.push(...batch);
  }
  return rows;
}

describe("readCsv", () => {
  it("gives the same records as parsing the whole text, whatever falls on a chunk boundary", async () => {
    // Records long enough that chunk boundaries land inside quoted fields, escaped quotes and CRLFs.
    const records = Array.from({ length: 8000 }, (_, i) => [
      `name ${i}`,
      `"quoted ""${i}"" with, comma\r\nand a line break ${"x".repeat(i % 97)}"`,
      `é${"ü".repeat(i % 13)}`,
    ]);
    const text = `${records.map((record) => record.join(",")).join("\r\n")}\r\n`;
    const rows = await rowsOf(text, { newline: "\r\n" });
    const expected = Papa.parse<string[]>(text, { newline: "\r\n", skipEmptyLines: true }).data;
    expect(rows.map((row) => row.cells)).toEqual(expected);
    expect(rows.map((row) => row.rowNumber)).toEqual(expected.map((_, i) => i + 1));
    expect(text.length).toBeGreaterThan(3 * 256 * 1024);
  });

  it("keeps the row numbers of empty lines and reads the last line without a line break", async () => {
    const rows = await rowsOf("a,b\n\nc,d\n \ne,f");
    expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([
      [1, ["a", "b"]],
      [2, [""]],
      [3, ["c", "d"]],
      [4, [" "]],
      [5, ["e", "f"]],
    ]);
  });

  it("skips Excel's sep= line and decodes UTF-16 and Windows-1252", async () => {
    expect((await rowsOf("sep=;\na;b\n", { delimiter: ";", skipFirstLine: true })).map((row) => row.cells)).toEqual([["a", "b"]]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("name\nJürgen\n", "utf16le")]);
    expect((await rowsOf(utf16, { encoding: "utf-16le" })).map((row) => row.cells)).toEqual([["name"], ["Jürgen"]]);
    const latin1 = Buffer.from("name\nMüller\n", "latin1");
    expect((await rowsOf(latin1, { encoding: "windows-1252" })).map((row) => row.cells)).toEqual([["name"], ["Müller"]]);
  });

  it("refuses an unterminated quote, a malformed closing quote and invalid UTF-8, naming the row", async () => {
    await expect(rowsOf('a,b\nc,"d\ne,f\n')).rejects.toThrow(/row 2: broken quoting/);
    await expect(rowsOf('a,b\nc,"d"x\n')).rejects.toThrow(/row 2: broken quoting/);
    await expect(rowsOf(Buffer.concat([Buffer.from("a\nb\n"), Buffer.from([0xc3, 0x28])]))).rejects.toThrow(
      /not valid utf-8 text/,
    );
  });
});

describe("sniffing", () => {
  it("finds the encoding from a BOM or the bytes, and refuses binary data", () => {
    expect(sniffEncoding(Buffer.from("\uFEFFa,b", "utf8"))).toBe("utf-8");
    expect(sniffEncoding(Buffer.from("plain,ascii"))).toBe("utf-8");
    expect(sniffEncoding(Buffer.from([0xff, 0xfe, 0x61, 0x00]))).toBe("utf-16le");
    expect(sniffEncoding(Buffer.from([0xfe, 0xff, 0x00, 0x61]))).toBe("utf-16be");
    expect(sniffEncoding(Buffer.from("Müller", "latin1"))).toBe("windows-1252");
    expect(() => sniffEncoding(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0x01]))).toThrow(/binary data/);
  });

  it("finds the delimiter and the line ending", () => {
    expect(sniffDialect("a;b;c\n1;2,5;3\n", "utf-8")).toMatchObject({ delimiter: ";", newline: "\n" });
    expect(sniffDialect("a,b\r\n1,2\r\n", "utf-8")).toMatchObject({ delimiter: ",", newline: "\r\n" });
    expect(sniffDialect("a\tb\n1\t2\n", "utf-8")).toMatchObject({ delimiter: "\t" });
    expect(sniffDialect("sep=|\na|b\n", "utf-8")).toMatchObject({ delimiter: "|", skipFirstLine: true });
  });
});

describe("header mapping", () => {
  const required = [["firstName"], ["fullName"]];

  it("normalises spelling, case, accents and punctuation", () => {
    expect(["First Name", "first_name", "firstName", " FIRSTNAME ", "\uFEFFFirst-Name"].map(normalizeHeader)).toEqual(
      Array(5).fill("firstname"),
    );
    expect(normalizeHeader("Société")).toBe("societe");
  });

  it("maps known names, leaves the rest ignored, and lets a mapping rename or ignore columns", () => {
    expect(planColumns(["First Name", "E-mail", "Favourite Colour"], LEAD_IMPORT_FIELDS, required)).toEqual({
      columns: [
        { index: 0, header: "First Name", field: "firstName" },
        { index: 1, header: "E-mail", field: "email" },
      ],
      ignoredColumns: ["Favourite Colour"],
    });
    expect(
      planColumns(["Vorname", "Email", "Mail"], LEAD_IMPORT_FIELDS, required, { Vorname: "firstName", Mail: null }).columns,
    ).toEqual([
      { index: 0, header: "Vorname", field: "firstName" },
      { index: 1, header: "Email", field: "email" },
    ]);
  });

  it("refuses two columns for one field, and a header without the required columns", () => {
    expect(() => planColumns(["First Name", "Email", "E-mail"], LEAD_IMPORT_FIELDS, required)).toThrow(
      /columns "Email" and "E-mail" both map to email/,
    );
    expect(() => planColumns(["Email"], LEAD_IMPORT_FIELDS, required)).toThrow(/missing required column: firstName or fullName/);
  });
});

describe("cell conversion", () => {
  it.each([
    ["list", "a, b;c ,, ", ["a", "b", "c"]],
    ["enum", "Email Campaign", "email_campaign"],
    ["enum", " Cold-Call ", "cold_call"],
    ["number", "25%", 0.25],
    ["number", "0,4", 0.4],
    ["number", 0.5, 0.5],
    ["boolean", "Yes", true],
    ["boolean", "0", false],
    ["date", "2027-01-15", new Date("2027-01-15T00:00:00.000Z")],
    ["date", "2027-01-15 09:30", new Date("2027-01-15T09:30")],
    ["date", "2027-01-15T09:30:00+02:00", new Date("2027-01-15T07:30:00.000Z")],
    ["date", 46402, new Date("2027-01-15T00:00:00.000Z")],
    ["text", "  padded  ", "padded"],
  ] as const)("%s %j → %j", (kind, cell, expected) => {
    expect(convertCell(cell, kind)).toEqual({ value: expected });
  });

  it.each([
    ["number", "about 3"],
    ["boolean", "maybe"],
    ["date", "15/01/2027"],
    ["date", "2027-13-45"],
  ] as const)("%s %j is an issue naming the value", (kind, cell) => {
    expect(convertCell(cell, kind).issue).toContain(cell);
  });

  it("reads an empty cell as no value", () => {
    expect(convertCell("   ", "text")).toEqual({});
    expect(convertCell(null, "date")).toEqual({});
  });

  it("splits full names", () => {
    expect(splitFullName("Ada Lovelace")).toEqual({ firstName: "Ada", lastName: "Lovelace" });
    expect(splitFullName("Mary Ann Smith")).toEqual({ firstName: "Mary Ann", lastName: "Smith" });
    expect(splitFullName("Lovelace, Ada")).toEqual({ firstName: "Ada", lastName: "Lovelace" });
    expect(splitFullName("Cher")).toEqual({ firstName: "Cher" });
  });
});

describe("FirstRowIndex", () => {
  it("remembers the first row of each key across growth, without mixing up 200,000 keys", () => {
    const index = new FirstRowIndex(4);
    let repeated = 0;
    for (let row = 2; row < 200_002; row++) if (index.firstOrAdd(`lead${row}@example.com`, row) !== undefined) repeated++;
    expect(repeated).toBe(0);
    expect(index.size).toBe(200_000);
    expect(index.firstOrAdd("lead2@example.com", 300_000)).toBe(2);
    expect(index.firstOrAdd("lead199999@example.com", 300_001)).toBe(199_999);
    expect(index.firstOrAdd("someone-new@example.com", 300_002)).toBeUndefined();
  });
});

describe("uuidv7", () => {
  it("makes version-7 ids that sort in the order they were made, even within a millisecond", () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_800_000_000_000));
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
