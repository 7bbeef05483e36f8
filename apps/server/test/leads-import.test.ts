import { randomBytes } from "node:crypto";
import { readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { heapGrowthLimit } from "@crm/api";
import { CrmHttpError, createCrmClient } from "@crm-api/client";
import ExcelJS from "exceljs";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { csvOf, type ImportJob, importLeads, waitForImport } from "./support/imports.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

const MAX_UPLOAD = 12 * 1024 * 1024;

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer({ IMPORT_MAX_FILE_BYTES: String(MAX_UPLOAD), IMPORT_POLL_INTERVAL_MS: "3600000" });
  owner = await server.signup("Owner");
});
afterAll(() => server?.close());

/** A fresh organization per test, so counts and duplicates start from nothing. */
async function freshOrg(name = "Importer"): Promise<TestUser> {
  return server.signup(name);
}

function leadsOf(user: TestUser) {
  return server.prisma.lead.findMany({ where: { organizationId: user.orgId }, orderBy: { firstName: "asc" } });
}

/** Uploads through fetch (for what the typed client would not send) and returns status and body. */
async function upload(user: TestUser | undefined, form: FormData) {
  const response = await fetch(`${server.url}/api/v1/leads/import`, {
    method: "POST",
    headers: user ? { authorization: `Bearer ${user.token()}` } : {},
    body: form,
  });
  return { status: response.status, body: (await response.json()) as any };
}

function fileForm(content: string | Uint8Array, filename: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", new Blob([typeof content === "string" ? new TextEncoder().encode(content) : content]), filename);
  return form;
}

async function expectRefused(
  user: TestUser,
  content: string | Uint8Array,
  filename: string,
  expected: { status: number; code: string; message: RegExp },
  options: Record<string, unknown> = {},
) {
  const jobsBefore = await server.prisma.importJob.count({ where: { organizationId: user.orgId } });
  const error = await user.client.$files
    .importLeads(typeof content === "string" ? new TextEncoder().encode(content) : content, { filename, ...options })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(CrmHttpError);
  expect(error).toMatchObject({ status: expected.status, code: expected.code });
  expect((error as CrmHttpError).message).toMatch(expected.message);
  expect(await server.prisma.importJob.count({ where: { organizationId: user.orgId } })).toBe(jobsBefore);
  expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(0);
  expect(readdirSync(server.config.importDir)).toEqual([]);
}

describe("header mapping", () => {
  it("maps the common header names to lead fields and creates the leads, each audited", async () => {
    const user = await freshOrg();
    const job = await importLeads(
      user,
      csvOf([
        [
          "First Name",
          "Last Name",
          "E-mail",
          "Phone Number",
          "Company Name",
          "Job Title",
          "Industry",
          "Website",
          "Tags",
          "Source",
          "Status",
        ],
        [
          "Ada",
          "Lovelace",
          "Ada@Example.com",
          "+44 20 7946 0000",
          "Analytical Engines",
          "CEO",
          "Computing",
          "example.com",
          "math; VIP, eu",
          "Cold Call",
          "Contacted",
        ],
      ]),
    );
    expect(job).toMatchObject({ status: "completed", rowsTotal: 1, rowsProcessed: 1, rowsCreated: 1, rowsFailed: 0, errors: [] });
    expect(job.columns).toEqual([
      { column: "First Name", field: "firstName" },
      { column: "Last Name", field: "lastName" },
      { column: "E-mail", field: "email" },
      { column: "Phone Number", field: "phone" },
      { column: "Company Name", field: "companyName" },
      { column: "Job Title", field: "jobTitle" },
      { column: "Industry", field: "vertical" },
      { column: "Website", field: "website" },
      { column: "Tags", field: "tags" },
      { column: "Source", field: "source" },
      { column: "Status", field: "status" },
    ]);
    const [lead] = await user.client.leads.list.query({}).then((page) => page.items);
    expect(lead).toMatchObject({
      firstName: "Ada",
      lastName: "Lovelace",
      email: "ada@example.com",
      phone: "+442079460000",
      companyName: "Analytical Engines",
      jobTitle: "CEO",
      vertical: "Computing",
      website: "https://example.com",
      tags: ["math", "vip", "eu"],
      source: "cold_call",
      status: "contacted",
      createdById: user.userId,
    });
    // Scored by the same rules as leads.create.
    expect(lead?.scoreBreakdown.length).toBeGreaterThan(0);
    const audit = await server.prisma.auditLog.findMany({ where: { organizationId: user.orgId, entityType: "lead" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "create", entityId: lead?.id, actorUserId: user.userId });
    expect(audit[0]?.changes).toMatchObject({ email: { before: null, after: "ada@example.com" } });
  });

  it.each([
    ["first_name", "company_name", "email_address", "mobile", "vertical"],
    ["firstname", "Company", "Email Address", "Mobile", "Vertical"],
    ["FIRST NAME", "Organisation", "e-mail", "Telephone", "Sector"],
  ])("reads the headers %s, %s, %s, %s, %s", async (first, company, email, phone, vertical) => {
    const user = await freshOrg();
    const job = await importLeads(
      user,
      csvOf([
        [first, company, email, phone, vertical],
        ["Grace", "Navy", "grace@navy.mil", "+1 202 555 0143", "Defense"],
      ]),
    );
    expect(job.columns.map((column) => column.field)).toEqual(["firstName", "companyName", "email", "phone", "vertical"]);
    expect(await leadsOf(user)).toMatchObject([
      { firstName: "Grace", companyName: "Navy", email: "grace@navy.mil", phone: "+12025550143", vertical: "Defense" },
    ]);
  });

  it("splits a Name column into first and last name when there is no First Name column", async () => {
    const user = await freshOrg();
    await importLeads(
      user,
      csvOf([
        ["Name", "Email"],
        ["Ada Lovelace", "ada@example.com"],
        ["Hopper, Grace", "grace@example.com"],
        ["Cher", ""],
      ]),
    );
    expect((await leadsOf(user)).map((lead) => [lead.firstName, lead.lastName])).toEqual([
      ["Ada", "Lovelace"],
      ["Cher", null],
      ["Grace", "Hopper"],
    ]);
  });

  it("takes an explicit mapping of any header to a field, and null to ignore a column", async () => {
    const user = await freshOrg();
    const job = await importLeads(
      user,
      csvOf([
        ["Prénom", "Nom", "Courriel", "Société", "Notes", "Interne"],
        ["Marie", "Curie", "marie@example.fr", "Institut du Radium", "radium", "x"],
      ]),
      { mapping: { Prénom: "firstName", Nom: "lastName", Courriel: "email", Société: "companyName", Notes: null } },
    );
    expect(job.status).toBe("completed");
    expect(job.columns).toEqual([
      { column: "Prénom", field: "firstName" },
      { column: "Nom", field: "lastName" },
      { column: "Courriel", field: "email" },
      { column: "Société", field: "companyName" },
    ]);
    expect(job.ignoredColumns).toEqual(["Notes", "Interne"]);
    expect(await leadsOf(user)).toMatchObject([
      { firstName: "Marie", lastName: "Curie", email: "marie@example.fr", companyName: "Institut du Radium", notes: null },
    ]);
  });

  it("refuses a mapping to an unknown field or of a column the file does not have (400, nothing written)", async () => {
    const user = await freshOrg();
    const file = csvOf([["First Name"], ["Ada"]]);
    await expectRefused(
      user,
      file,
      "leads.csv",
      { status: 400, code: "BAD_REQUEST", message: /unknown field "shoeSize"/ },
      {
        mapping: { "First Name": "shoeSize" },
      },
    );
    await expectRefused(
      user,
      file,
      "leads.csv",
      { status: 400, code: "BAD_REQUEST", message: /no column "Surname"/ },
      {
        mapping: { Surname: "lastName" },
      },
    );
  });
});

describe("CSV quirks", () => {
  it("reads a BOM, `;` delimiters, CRLF, quoted newlines and delimiters, empty lines and trailing empty columns", async () => {
    const user = await freshOrg();
    const file = [
      "\uFEFFFirst Name;Last Name;Email;Company;Notes;;",
      'Ada;Lovelace;ada@example.com;"Engines; Analytical";"line one',
      'line two";;',
      "",
      "   ",
      "Grace;Hopper;grace@example.com;Navy;;;",
      "Bad;;not-an-email;;;;",
      "",
    ].join("\r\n");
    const job = await importLeads(user, file);
    expect(job).toMatchObject({ status: "completed", rowsTotal: 3, rowsCreated: 2, rowsFailed: 1 });
    // Row numbers are what a spreadsheet shows: the quoted newline is one row, empty lines count.
    expect(job.errors).toEqual([
      { rowNumber: 6, field: "email", message: "must be a valid email address", value: "not-an-email" },
    ]);
    expect(await leadsOf(user)).toMatchObject([
      { firstName: "Ada", companyName: "Engines; Analytical", notes: "line one\r\nline two" },
      { firstName: "Grace", companyName: "Navy", notes: null },
    ]);
  });

  it("reads Excel's `sep=` line, tab-separated text, and Windows-1252 text", async () => {
    const user = await freshOrg();
    const semicolon = await importLeads(user, "sep=;\nFirst Name;Email\nAda;ada@example.com\n");
    expect(semicolon).toMatchObject({ status: "completed", rowsCreated: 1 });
    const tabs = await importLeads(user, "First Name\tEmail\tCompany\nGrace\tgrace@example.com\tNavy, Inc\n");
    expect(tabs).toMatchObject({ status: "completed", rowsCreated: 1 });
    const latin1 = Buffer.from("First Name,Last Name,Email\nJürgen,Müller,juergen@example.de\n", "latin1");
    expect(await importLeads(user, new Uint8Array(latin1))).toMatchObject({ status: "completed", rowsCreated: 1 });
    expect((await leadsOf(user)).map((lead) => [lead.firstName, lead.lastName, lead.companyName])).toEqual([
      ["Ada", null, null],
      ["Grace", null, "Navy, Inc"],
      ["Jürgen", "Müller", null],
    ]);
  });
});

describe("modes", () => {
  const file = csvOf([
    ["First Name", "Email", "Status"],
    ["Ada", "ada@example.com", "qualified"],
    ["", "nameless@example.com", "new"],
    ["Grace", "grace@example.com", "sleeping"],
    ["Linus", "linus@example.com", ""],
  ]);

  it("dry_run reports what would happen, with the row errors, and writes no lead and no audit entry", async () => {
    const user = await freshOrg();
    const job = await importLeads(user, file, { mode: "dry_run" });
    expect(job).toMatchObject({ status: "completed", mode: "dry_run", rowsProcessed: 4, rowsCreated: 2, rowsFailed: 2 });
    expect(job.errors).toEqual([
      { rowNumber: 3, field: "firstName", message: "is required", value: null },
      { rowNumber: 4, field: "status", message: expect.stringContaining("Invalid option"), value: "sleeping" },
    ]);
    expect(await leadsOf(user)).toEqual([]);
    expect(await server.prisma.auditLog.count({ where: { organizationId: user.orgId, entityType: "lead" } })).toBe(0);
  });

  it("valid_only writes the valid rows and reports the others by row number and field", async () => {
    const user = await freshOrg();
    const job = await importLeads(user, file, { mode: "valid_only" });
    expect(job).toMatchObject({ status: "completed", rowsCreated: 2, rowsFailed: 2, errorMessage: null });
    expect(job.errors.map((error) => [error.rowNumber, error.field])).toEqual([
      [3, "firstName"],
      [4, "status"],
    ]);
    expect((await leadsOf(user)).map((lead) => [lead.firstName, lead.status])).toEqual([
      ["Ada", "qualified"],
      ["Linus", "new"],
    ]);
    expect(
      await server.prisma.auditLog.count({ where: { organizationId: user.orgId, entityType: "lead", action: "create" } }),
    ).toBe(2);
  });

  it("all_or_nothing writes nothing when any row has an error, and says why", async () => {
    const user = await freshOrg();
    const job = await importLeads(user, file, { mode: "all_or_nothing" });
    expect(job).toMatchObject({ status: "failed", rowsProcessed: 4, rowsCreated: 0, rowsFailed: 2 });
    expect(job.errorMessage).toMatch(/2 of 4 rows have errors, so nothing was imported/);
    expect(job.errors).toHaveLength(2);
    expect(await leadsOf(user)).toEqual([]);
    expect(await server.prisma.auditLog.count({ where: { organizationId: user.orgId, entityType: "lead" } })).toBe(0);
  });

  it("all_or_nothing writes every row when all are valid", async () => {
    const user = await freshOrg();
    const rows = Array.from({ length: 30 }, (_, i) => [`Lead${i}`, `lead${i}@example.com`]);
    const job = await importLeads(user, csvOf([["First Name", "Email"], ...rows]), { mode: "all_or_nothing" });
    expect(job).toMatchObject({ status: "completed", rowsProcessed: 30, rowsCreated: 30, rowsFailed: 0, errors: [] });
    expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(30);
    // The job released the tight heap growth it held while it ran.
    expect(heapGrowthLimit.holders).toBe(0);
  });
});

describe("duplicates by email", () => {
  const header = ["First Name", "Last Name", "Email", "Job Title"];

  async function withExisting() {
    const user = await freshOrg();
    const existing = await user.client.leads.create.mutate({
      firstName: "Old",
      lastName: "Name",
      email: "taken@example.com",
      jobTitle: "Intern",
    });
    return { user, existing };
  }

  it("skip: a row whose email a live lead or an earlier row has is skipped; the lead is unchanged", async () => {
    const { user, existing } = await withExisting();
    const job = await importLeads(
      user,
      csvOf([
        header,
        ["New", "Row", "TAKEN@example.com", "CEO"],
        ["Ada", "One", "ada@example.com", ""],
        ["Ada", "Two", "ada@example.com", ""],
      ]),
      { duplicatePolicy: "skip" },
    );
    expect(job).toMatchObject({ status: "completed", rowsCreated: 1, rowsSkipped: 2, rowsUpdated: 0, rowsFailed: 0 });
    expect(await user.client.leads.byId.query({ id: existing.id })).toEqual(existing);
    expect((await leadsOf(user)).map((lead) => [lead.firstName, lead.lastName])).toEqual([
      ["Ada", "One"],
      ["Old", "Name"],
    ]);
  });

  it("update: the live lead takes the row's non-empty cells (re-scored, audited); a repeated row updates the lead of the first", async () => {
    const { user, existing } = await withExisting();
    const job = await importLeads(
      user,
      csvOf([
        header,
        ["New", "", "taken@example.com", "Chief Executive Officer"],
        ["Ada", "One", "ada@example.com", ""],
        ["Ada", "", "ada@example.com", "CTO"],
      ]),
      { duplicatePolicy: "update" },
    );
    expect(job).toMatchObject({ status: "completed", rowsCreated: 1, rowsUpdated: 2, rowsSkipped: 0 });
    const updated = await user.client.leads.byId.query({ id: existing.id });
    expect(updated).toMatchObject({
      firstName: "New",
      lastName: "Name",
      jobTitle: "Chief Executive Officer",
      updatedById: user.userId,
    });
    expect(updated.score).toBeGreaterThan(existing.score);
    const history = await user.client.leads.history.query({ id: existing.id });
    expect(history.items[0]).toMatchObject({ action: "update" });
    // Exactly what changed: nothing the row did not touch, nothing merely re-read from the database.
    expect(history.items[0]?.changes.map((change) => change.field).sort()).toEqual(["firstName", "jobTitle", "score"]);
    expect(history.items[0]?.changes).toEqual(
      expect.arrayContaining([
        { field: "firstName", before: "Old", after: "New" },
        { field: "jobTitle", before: "Intern", after: "Chief Executive Officer" },
      ]),
    );
    expect(await leadsOf(user)).toMatchObject([{ firstName: "Ada", lastName: "One", jobTitle: "CTO" }, { firstName: "New" }]);
  });

  it("error: a duplicate row is a row error naming the lead or the earlier row", async () => {
    const { user, existing } = await withExisting();
    const job = await importLeads(
      user,
      csvOf([
        header,
        ["New", "", "taken@example.com", ""],
        ["Ada", "", "ada@example.com", ""],
        ["Ada", "", "ada@example.com", ""],
      ]),
      { duplicatePolicy: "error" },
    );
    expect(job).toMatchObject({ status: "completed", rowsCreated: 1, rowsFailed: 2 });
    expect(job.errors).toEqual([
      {
        rowNumber: 2,
        field: "email",
        message: `duplicate: lead ${existing.id} already has this email`,
        value: "taken@example.com",
      },
      { rowNumber: 4, field: "email", message: "duplicate: row 3 has the same email", value: "ada@example.com" },
    ]);
  });

  it("a soft-deleted lead does not hold its email: the row creates a new lead", async () => {
    const { user, existing } = await withExisting();
    await user.client.leads.delete.mutate({ id: existing.id });
    const job = await importLeads(user, csvOf([header, ["Again", "", "taken@example.com", ""]]), { duplicatePolicy: "error" });
    expect(job).toMatchObject({ status: "completed", rowsCreated: 1, rowsFailed: 0 });
  });
});

describe("XLSX", () => {
  it("imports the first worksheet with typed cells: dates, numbers, booleans and rich text", async () => {
    const user = await freshOrg();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Leads");
    sheet.addRow([
      "First Name",
      "Last Name",
      "Email",
      "Phone",
      "Next Follow-up At",
      "Active",
      "Conversion Probability",
      "Company",
    ]);
    sheet.addRow([
      "Ada",
      "Lovelace",
      "ada@example.com",
      2025550143,
      new Date("2027-01-15T09:30:00.000Z"),
      true,
      0.4,
      { richText: [{ text: "Analytical " }, { font: { bold: true }, text: "Engines" }] },
    ]);
    sheet.addRow([]);
    sheet.addRow(["Grace", "", "grace@example.com", "", "2027-02-01", "no", "35%", "Navy"]);
    sheet.getCell("E2").numFmt = "yyyy-mm-dd hh:mm";
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    const job = await importLeads(user, bytes, { filename: "leads.xlsx" });
    expect(job).toMatchObject({ status: "completed", format: "xlsx", rowsTotal: null, rowsCreated: 2, rowsFailed: 0 });
    expect(await leadsOf(user)).toMatchObject([
      {
        firstName: "Ada",
        phone: "+12025550143",
        nextFollowUpAt: new Date("2027-01-15T09:30:00.000Z"),
        isActive: true,
        conversionProbability: 0.4,
        companyName: "Analytical Engines",
      },
      { firstName: "Grace", nextFollowUpAt: new Date("2027-02-01T00:00:00.000Z"), isActive: false, conversionProbability: 0.35 },
    ]);
  });
});

describe("files that cannot be imported: a clear 4xx and nothing written", () => {
  it("a file that is neither .csv nor .xlsx (415)", async () => {
    const user = await freshOrg();
    await expectRefused(user, "First Name\nAda\n", "leads.txt", {
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: /upload a \.csv or \.xlsx/,
    });
    await expectRefused(user, "First Name\nAda\n", "leads.xls", {
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      message: /\.xls\) are not supported/,
    });
  });

  it("a zip named .csv, and CSV text named .xlsx (400)", async () => {
    const user = await freshOrg();
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("x").addRow(["First Name"]);
    const xlsx = new Uint8Array(await workbook.xlsx.writeBuffer());
    await expectRefused(user, xlsx, "leads.csv", { status: 400, code: "BAD_REQUEST", message: /zip archive, not CSV text/ });
    await expectRefused(user, "First Name\nAda\n", "leads.xlsx", {
      status: 400,
      code: "BAD_REQUEST",
      message: /not an \.xlsx workbook/,
    });
  });

  it("broken quoting, naming the row (400)", async () => {
    const user = await freshOrg();
    await expectRefused(user, 'First Name,Company\nAda,"Engines\nGrace,Navy\n', "leads.csv", {
      status: 400,
      code: "BAD_REQUEST",
      message: /row 2: broken quoting/,
    });
    await expectRefused(user, 'First Name,Company\nAda,Engines\nGrace,"Navy" Yard\n', "leads.csv", {
      status: 400,
      code: "BAD_REQUEST",
      message: /row 3: broken quoting/,
    });
  });

  it("no column for the first name, listing the file's columns (400)", async () => {
    const user = await freshOrg();
    await expectRefused(user, "Email,Company\nada@example.com,Engines\n", "leads.csv", {
      status: 400,
      code: "BAD_REQUEST",
      message: /missing required column: firstName or fullName .*the file's columns: "Email", "Company"/,
    });
  });

  it("10 MB of random bytes, as .csv and as .xlsx (400)", async () => {
    const user = await freshOrg();
    const garbage = new Uint8Array(randomBytes(10 * 1024 * 1024));
    await expectRefused(user, garbage, "leads.csv", { status: 400, code: "BAD_REQUEST", message: /binary data/ });
    await expectRefused(user, garbage, "leads.xlsx", { status: 400, code: "BAD_REQUEST", message: /not an \.xlsx workbook/ });
  });

  it("10 MB of printable garbage without a line break (400)", async () => {
    const user = await freshOrg();
    const text = randomBytes(7.5 * 1024 * 1024).toString("base64");
    await expectRefused(user, text, "leads.csv", { status: 400, code: "BAD_REQUEST", message: /row 1 runs on for more than/ });
  });

  it("an empty file, a file of blank lines, a header without rows (400)", async () => {
    const user = await freshOrg();
    await expectRefused(user, "", "leads.csv", { status: 400, code: "BAD_REQUEST", message: /^the file is empty$/ });
    await expectRefused(user, "\n\n  \n", "leads.csv", { status: 400, code: "BAD_REQUEST", message: /the file is empty/ });
    await expectRefused(user, "First Name,Email\n", "leads.csv", {
      status: 400,
      code: "BAD_REQUEST",
      message: /header row but no data rows/,
    });
  });

  it("a file over IMPORT_MAX_FILE_BYTES (413)", async () => {
    const user = await freshOrg();
    const big = `First Name\n${"Ada\n".repeat(MAX_UPLOAD / 4 + 10)}`;
    await expectRefused(user, big, "leads.csv", { status: 413, code: "PAYLOAD_TOO_LARGE", message: /larger than/ });
  });

  it("bad options: an unknown mode, a mapping that is not JSON, an unknown form field (400 naming the field)", async () => {
    const user = await freshOrg();
    const file = "First Name\nAda\n";
    const mode = await upload(user, fileForm(file, "leads.csv", { mode: "sometimes" }));
    expect(mode).toMatchObject({ status: 400, body: { code: "BAD_REQUEST", issues: [{ path: "mode" }] } });
    const mapping = await upload(user, fileForm(file, "leads.csv", { mapping: "{not json" }));
    expect(mapping).toMatchObject({ status: 400, body: { code: "BAD_REQUEST", issues: [{ path: "mapping" }] } });
    const unknown = await upload(user, fileForm(file, "leads.csv", { color: "blue" }));
    expect(unknown).toMatchObject({ status: 400, body: { code: "BAD_REQUEST", message: expect.stringContaining("color") } });
    const noFile = new FormData();
    noFile.append("mode", "dry_run");
    expect(await upload(user, noFile)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/no file/) } });
    const json = await server.rest("POST", "/leads/import", { token: user.token(), body: { file: "First Name\nAda" } });
    expect(json).toMatchObject({ status: 415, body: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    expect(await server.prisma.importJob.count({ where: { organizationId: user.orgId } })).toBe(0);
    expect(readdirSync(server.config.importDir)).toEqual([]);
  });

  it("no credential is 401; a role without leads:import is 403; nothing is written", async () => {
    const agent = await server.member(owner, "agent");
    const file = fileForm("First Name\nAda\n", "leads.csv");
    expect(await upload(undefined, file)).toMatchObject({ status: 401, body: { code: "UNAUTHORIZED" } });
    expect(await upload(agent, file)).toMatchObject({
      status: 403,
      body: { code: "FORBIDDEN", message: "Missing permission leads:import" },
    });
    const manager = await server.member(owner, "manager");
    const queued = await manager.client.$files.importLeads(new TextEncoder().encode("First Name\nMgr\n"), { filename: "m.csv" });
    expect(await waitForImport(manager, queued.jobId)).toMatchObject({ status: "completed", rowsCreated: 1 });
    expect(await server.prisma.lead.count({ where: { organizationId: owner.orgId, firstName: "Ada" } })).toBe(0);
  });
});

describe("import jobs", () => {
  it("the upload answers 202 with the job at once; the job is polled until it completes", async () => {
    const user = await freshOrg();
    const response = await upload(
      user,
      fileForm(csvOf([["First Name"], ["Ada"], ["Grace"]]), "leads.csv", { mode: "valid_only" }),
    );
    expect(response).toMatchObject({ status: 202, body: { jobId: expect.any(String), status: "queued", rowsTotal: 2 } });
    const seen = new Set<string>();
    let job: ImportJob;
    do {
      job = await user.client.imports.byId.query({ id: response.body.jobId });
      seen.add(job.status);
    } while (job.status !== "completed" && job.status !== "failed");
    expect(job).toMatchObject({
      status: "completed",
      fileName: "leads.csv",
      format: "csv",
      mode: "valid_only",
      duplicatePolicy: "skip",
      rowsCreated: 2,
      createdByUserId: user.userId,
    });
    expect(job.startedAt).toBeInstanceOf(Date);
    expect(job.finishedAt).toBeInstanceOf(Date);
    // The stored upload is removed once the job ends.
    expect(readdirSync(server.config.importDir)).not.toContain(expect.stringContaining(response.body.jobId));
    const viaRest = await server.rest("GET", `/imports/${job.id}`, { token: user.token() });
    expect(viaRest).toMatchObject({ status: 200, body: { id: job.id, status: "completed", rowsCreated: 2 } });
  });

  it("imports.list pages through the organization's jobs, newest first, and filters by status", async () => {
    const user = await freshOrg();
    const ids: string[] = [];
    for (const name of ["A", "B", "C"]) ids.push((await importLeads(user, csvOf([["First Name"], [name]]))).id);
    const failed = await importLeads(
      user,
      csvOf([
        ["First Name", "Email"],
        ["", "x@example.com"],
      ]),
      { mode: "all_or_nothing" },
    );
    const first = await user.client.imports.list.query({ limit: 2 });
    const second = await user.client.imports.list.query({ limit: 2, cursor: first.nextCursor ?? undefined });
    expect([...first.items, ...second.items].map((job) => job.id)).toEqual([failed.id, ...ids.reverse()]);
    expect(second.nextCursor).toBeNull();
    expect((await user.client.imports.list.query({ status: "failed" })).items.map((job) => job.id)).toEqual([failed.id]);
  });

  it("imports.errors pages through every row error; errors.csv downloads them as CSV", async () => {
    const user = await freshOrg();
    const rows = Array.from({ length: 60 }, (_, i) => [i % 2 ? `Lead${i}` : "", `bad-${i}`]);
    const job = await importLeads(user, csvOf([["First Name", "Email"], ...rows]));
    expect(job).toMatchObject({ rowsCreated: 0, rowsFailed: 60 });
    // Inline: the first 50; every even row has two errors (first name and email).
    expect(job.errors).toHaveLength(50);
    const all = [];
    let cursor: string | undefined;
    do {
      const page = await user.client.imports.errors.query({ id: job.id, limit: 40, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toHaveLength(90);
    expect(all.slice(0, 3)).toEqual([
      { rowNumber: 2, field: "firstName", message: "is required", value: null },
      { rowNumber: 2, field: "email", message: "must be a valid email address", value: "bad-0" },
      { rowNumber: 3, field: "email", message: "must be a valid email address", value: "bad-1" },
    ]);

    const response = await user.client.$files.importErrorsCsv(job.id);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="leads-errors.csv"');
    const parsed = Papa.parse<string[]>((await response.text()).replace(/^\uFEFF/, ""), { skipEmptyLines: true });
    expect(parsed.data[0]).toEqual(["Row", "Field", "Error", "Value"]);
    expect(parsed.data.slice(1)).toEqual(
      all.map((error) => [String(error.rowNumber), error.field, error.message, error.value ?? ""]),
    );
  });

  it("another organization's job reads as not found: byId, errors, errors.csv and list", async () => {
    const victim = await freshOrg("Victim");
    const attacker = await freshOrg("Attacker");
    const job = await importLeads(
      victim,
      csvOf([
        ["First Name", "Email"],
        ["Ada", "bad"],
      ]),
    );
    await expect(attacker.client.imports.byId.query({ id: job.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    await expect(attacker.client.imports.errors.query({ id: job.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    expect(await server.rest("GET", `/imports/${job.id}`, { token: attacker.token() })).toMatchObject({ status: 404 });
    const csv = await attacker.client.$files.importErrorsCsv(job.id).catch((error: unknown) => error);
    expect(csv).toMatchObject({ status: 404, code: "NOT_FOUND", message: "Import not found" });
    expect((await attacker.client.imports.list.query({})).items).toEqual([]);
  });

  it("an API key with leads:import imports as itself", async () => {
    const user = await freshOrg();
    const roles = await user.client.roles.list.query();
    const manager = roles.items.find((role) => role.key === "manager");
    const key = await user.client.apiKeys.create.mutate({ name: "sync", roleId: manager?.id as string });
    const service = server.client({ apiKey: key.secret });
    const queued = await service.$files.importLeads(new TextEncoder().encode("First Name\nService\n"), { filename: "s.csv" });
    const job = await service.imports.byId.query({ id: queued.jobId });
    expect(job).toMatchObject({ createdByApiKeyId: key.id, createdByUserId: null });
    const deadline = Date.now() + 30_000;
    while ((await service.imports.byId.query({ id: queued.jobId })).status !== "completed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await leadsOf(user)).toMatchObject([{ firstName: "Service", createdById: null }]);
    const audit = await server.prisma.auditLog.findFirst({ where: { organizationId: user.orgId, entityType: "lead" } });
    expect(audit).toMatchObject({ actorApiKeyId: key.id, actorUserId: null });
  });
});

describe("surviving a stop and a crash", () => {
  const ROWS = 2000;
  const file = csvOf([["First Name", "Email"], ...Array.from({ length: ROWS }, (_, i) => [`Lead${i}`, `lead${i}@example.com`])]);

  /** Tests that start and stop several servers: on a busy machine they need more than the default. */
  const RESTARTS_TIMEOUT_MS = 120_000;

  /**
   * Another server process over the same database and import directory: what a restart looks
   * like. (The suite's own server polls its queue only hourly, so it never takes these jobs.)
   */
  async function restart(settings: { staleAfterSeconds?: number } = {}) {
    const config = {
      ...server.config,
      IMPORT_BATCH_SIZE: 20,
      IMPORT_POLL_INTERVAL_MS: 100,
      IMPORT_STALE_AFTER_SECONDS: settings.staleAfterSeconds ?? 60,
    };
    const app = await buildApp({ config, database: server.database });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    return { app, client: (user: TestUser) => createCrmClient({ url, token: user.token() }) };
  }

  async function untilProgress(jobId: string, predicate: (job: { rowsProcessed: number; status: string }) => boolean) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = await server.prisma.importJob.findUniqueOrThrow({ where: { id: jobId } });
      if (predicate(job)) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} never got there: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it("valid_only: stopped mid-way, then crashed (stale heartbeat), it resumes from its committed rows; every row once", async () => {
    const user = await freshOrg();
    const first = await restart();
    const queued = await first.client(user).$files.importLeads(new TextEncoder().encode(file), { filename: "big.csv" });
    await untilProgress(queued.jobId, (job) => job.rowsProcessed >= 100);
    await first.app.close();
    const stopped = await server.prisma.importJob.findUniqueOrThrow({ where: { id: queued.jobId } });
    expect(stopped.status).toBe("queued");
    expect(stopped.rowsProcessed).toBeLessThan(ROWS);
    expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(stopped.rowsCreated);

    // The second run dies without a word: the job stays `running` with a heartbeat from the past.
    const second = await restart();
    await untilProgress(queued.jobId, (job) => job.rowsProcessed >= stopped.rowsProcessed + 100);
    await second.app.close();
    await server.prisma.importJob.update({
      where: { id: queued.jobId },
      data: { status: "running", heartbeatAt: new Date(Date.now() - 3_600_000) },
    });

    const third = await restart({ staleAfterSeconds: 5 });
    const job = await waitForImport(user, queued.jobId);
    await third.app.close();
    expect(job).toMatchObject({ status: "completed", rowsProcessed: ROWS, rowsCreated: ROWS, rowsFailed: 0 });
    expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(ROWS);
    expect(await server.prisma.auditLog.count({ where: { organizationId: user.orgId, entityType: "lead" } })).toBe(ROWS);
  });

  it("all_or_nothing: stopped while writing, nothing is left half-applied; the next start imports it whole", async () => {
    const user = await freshOrg();
    const first = await restart();
    const queued = await first
      .client(user)
      .$files.importLeads(new TextEncoder().encode(file), { filename: "big.csv", mode: "all_or_nothing" });
    // Validation has gone through every row: the rows are being written in one transaction.
    await untilProgress(queued.jobId, (job) => job.rowsProcessed === ROWS);
    // PostgreSQL serves other connections meanwhile: stop well inside the writing. (PGlite has one
    // connection, which the transaction holds: there the stop comes before its first batch.)
    if (server.database.kind === "postgres") await new Promise((resolve) => setTimeout(resolve, 400));
    await first.app.close();
    const stopped = await server.prisma.importJob.findUniqueOrThrow({ where: { id: queued.jobId } });
    // On PostgreSQL the stop lands inside the transaction. On PGlite the stop may only come once the
    // transaction (holding the one connection) is over; either way nothing is ever half-applied.
    if (server.database.kind === "postgres") expect(stopped.status).toBe("queued");
    const expected = stopped.status === "completed" ? ROWS : 0;
    expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(expected);
    expect(await server.prisma.auditLog.count({ where: { organizationId: user.orgId, entityType: "lead" } })).toBe(expected);

    const second = await restart();
    const job = await waitForImport(user, queued.jobId);
    await second.app.close();
    expect(job).toMatchObject({ status: "completed", rowsProcessed: ROWS, rowsCreated: ROWS });
    expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(ROWS);
  });

  it(
    "all_or_nothing: the counters never claim a row that is not committed, while validating, while writing, stopped or crashed",
    async () => {
      const user = await freshOrg();
      const committed = () => server.prisma.lead.count({ where: { organizationId: user.orgId } });
      const first = await restart();
      const queued = await first
        .client(user)
        .$files.importLeads(new TextEncoder().encode(file), { filename: "big.csv", mode: "all_or_nothing" });
      const observe = async () => {
        const job = await user.client.imports.byId.query({ id: queued.jobId });
        // Read before the count: rows only ever get added, so a counter ahead of the commits shows.
        expect(job.rowsCreated + job.rowsUpdated, `${job.status}, ${job.rowsProcessed} rows processed`).toBeLessThanOrEqual(
          await committed(),
        );
        return job;
      };
      let job = await observe();
      while (job.rowsProcessed < ROWS && job.status !== "completed") job = await observe();
      // Validated: the rows are being written in one transaction. (On PGlite the transaction holds
      // the one connection, so the reads wait for its end.)
      const writing = Date.now() + (server.database.kind === "postgres" ? 400 : 0);
      while (Date.now() < writing && job.status !== "completed") job = await observe();
      await first.app.close();
      const stopped = await user.client.imports.byId.query({ id: queued.jobId });
      expect(stopped.rowsCreated).toBe(await committed());

      // On PGlite the stop may only come once the one transaction is over: the job is complete.
      if (stopped.status === "completed") return;
      // A crash leaves the job running with a heartbeat from the past; it still claims only what is committed.
      await server.prisma.importJob.update({
        where: { id: queued.jobId },
        data: { status: "running", heartbeatAt: new Date(Date.now() - 3_600_000) },
      });
      const crashed = await user.client.imports.byId.query({ id: queued.jobId });
      expect(crashed.rowsCreated).toBe(await committed());

      const second = await restart({ staleAfterSeconds: 5 });
      const done = await waitForImport(user, queued.jobId);
      await second.app.close();
      expect(done).toMatchObject({ status: "completed", rowsProcessed: ROWS, rowsCreated: ROWS });
      expect(await committed()).toBe(ROWS);
    },
    RESTARTS_TIMEOUT_MS,
  );

  /** An import stopped after its first rows whose next run is one more than it is allowed: it fails on that start. */
  async function runOutOfAttempts(user: TestUser, mode: "valid_only" | "all_or_nothing") {
    const first = await restart();
    const queued = await first.client(user).$files.importLeads(new TextEncoder().encode(file), { filename: "big.csv", mode });
    await untilProgress(queued.jobId, (job) => job.rowsProcessed >= 100);
    await first.app.close();
    // Every run so far died (DEFAULT_IMPORT_SETTINGS.maxAttempts is 3): the next one gives up.
    await server.prisma.importJob.update({ where: { id: queued.jobId }, data: { attempts: 3 } });
    const second = await restart();
    const failed = await waitForImport(user, queued.jobId);
    await second.app.close();
    expect(failed).toMatchObject({ status: "failed", errorMessage: expect.stringMatching(/gave up/) });
    // Its upload is kept, so it can be retried.
    const { storedFile } = await server.prisma.importJob.findUniqueOrThrow({ where: { id: queued.jobId } });
    expect(readdirSync(server.config.importDir)).toContain(storedFile);
    return failed;
  }

  it(
    "valid_only: a job that ran out of attempts is failed; imports.retry resumes it after its last committed row, every row once",
    async () => {
      const user = await freshOrg();
      const failed = await runOutOfAttempts(user, "valid_only");
      expect(failed.rowsCreated).toBeGreaterThan(0);
      expect(failed.rowsCreated).toBeLessThan(ROWS);
      expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(failed.rowsCreated);

      // Two retries at once: one requeues the job, the other finds it no longer failed.
      const retries = await Promise.allSettled([
        user.client.imports.retry.mutate({ id: failed.id }),
        user.client.imports.retry.mutate({ id: failed.id }),
      ]);
      expect(retries.filter((retry) => retry.status === "fulfilled").map((retry) => retry.value)).toMatchObject([
        { id: failed.id, status: "queued", errorMessage: null, rowsCreated: failed.rowsCreated },
      ]);
      expect(retries.filter((retry) => retry.status === "rejected").map((retry) => retry.reason)).toMatchObject([
        { data: { code: "CONFLICT" } },
      ]);

      const job = await waitForImport(user, failed.id);
      expect(job).toMatchObject({
        status: "completed",
        rowsProcessed: ROWS,
        rowsCreated: ROWS,
        rowsFailed: 0,
        errorMessage: null,
      });
      expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(ROWS);
      expect(await server.prisma.auditLog.count({ where: { organizationId: user.orgId, entityType: "lead" } })).toBe(ROWS);
    },
    RESTARTS_TIMEOUT_MS,
  );

  it(
    "all_or_nothing: a job that ran out of attempts wrote nothing; POST /imports/{id}/retry starts it over and imports it whole",
    async () => {
      const user = await freshOrg();
      const failed = await runOutOfAttempts(user, "all_or_nothing");
      expect(failed).toMatchObject({ rowsCreated: 0, rowsUpdated: 0 });
      expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(0);

      const retried = await server.rest("POST", `/imports/${failed.id}/retry`, { token: user.token() });
      expect(retried).toMatchObject({ status: 200, body: { id: failed.id, status: "queued", errorMessage: null } });
      const job = await waitForImport(user, failed.id);
      expect(job).toMatchObject({ status: "completed", rowsProcessed: ROWS, rowsCreated: ROWS, rowsFailed: 0 });
      expect(await server.prisma.lead.count({ where: { organizationId: user.orgId } })).toBe(ROWS);
      expect(await server.prisma.auditLog.count({ where: { organizationId: user.orgId, entityType: "lead" } })).toBe(ROWS);
    },
    RESTARTS_TIMEOUT_MS,
  );

  it("imports.retry refuses a job that did not fail, or failed on its own rows (its upload is gone): 409, nothing queued", async () => {
    const user = await freshOrg();
    const completed = await importLeads(user, csvOf([["First Name"], ["Ada"]]));
    const rejected = await importLeads(
      user,
      csvOf([
        ["First Name", "Email"],
        ["", "x@example.com"],
      ]),
      { mode: "all_or_nothing" },
    );
    expect(rejected.status).toBe("failed");
    for (const [job, message] of [
      [completed, /only a failed import can be retried/],
      [rejected, /upload it again/],
    ] as const) {
      await expect(user.client.imports.retry.mutate({ id: job.id })).rejects.toMatchObject({
        data: { code: "CONFLICT" },
        message: expect.stringMatching(message),
      });
      expect(await server.rest("POST", `/imports/${job.id}/retry`, { token: user.token() })).toMatchObject({
        status: 409,
        body: { code: "CONFLICT" },
      });
      expect(await user.client.imports.byId.query({ id: job.id })).toMatchObject({ status: job.status });
    }
  });

  it("at start-up, an upload left behind by a crash (no job, over an hour old) is removed; a recent one is kept", async () => {
    const left = path.join(server.config.importDir, "left-behind.csv");
    const recent = path.join(server.config.importDir, "arriving.csv");
    writeFileSync(left, "First Name\nAda\n");
    writeFileSync(recent, "First Name\nAda\n");
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    utimesSync(left, twoHoursAgo, twoHoursAgo);
    const restarted = await restart();
    await restarted.app.close();
    expect(readdirSync(server.config.importDir)).toEqual(["arriving.csv"]);
    rmSync(recent);
  });

  it("a job whose file is gone is failed with a clear message", async () => {
    const user = await freshOrg();
    const job = await server.prisma.importJob.create({
      data: {
        organizationId: user.orgId,
        resource: "lead",
        createdByUserId: user.userId,
        fileName: "lost.csv",
        format: "csv",
        fileSize: 10,
        storedFile: "lost.csv",
        mode: "valid_only",
        duplicatePolicy: "skip",
        parseOptions: { headerRowNumber: 1, columns: [] },
      },
    });
    server.app.importRunner?.wake();
    expect(await waitForImport(user, job.id)).toMatchObject({
      status: "failed",
      errorMessage: "the uploaded file is no longer on the server; upload it again",
    });
  });
});
