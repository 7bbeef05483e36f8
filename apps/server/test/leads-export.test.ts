import { CrmHttpError } from "@crm-api/client";
import ExcelJS from "exceljs";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvOf, importLeads } from "./support/imports.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

let server: TestServer;
let owner: TestUser;
let other: TestUser;
type Lead = Awaited<ReturnType<TestUser["client"]["leads"]["create"]["mutate"]>>;
let ada: Lead;
let grace: Lead;
let linus: Lead;

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signup("Owner");
  other = await server.signup("Other");
  ada = await owner.client.leads.create.mutate({
    firstName: "Ada",
    lastName: "Lovelace",
    email: "ada@analytical.example",
    phone: "+44 20 7946 0000",
    companyName: '=HYPERLINK("http://evil.example")',
    jobTitle: "CEO",
    source: "referral",
    status: "qualified",
    tags: ["math", "vip"],
    nextFollowUpAt: new Date("2027-03-01T10:00:00.000Z"),
    notes: "line one\nline two, with a comma",
  });
  grace = await owner.client.leads.create.mutate({ firstName: "Grace", lastName: "Hopper", status: "contacted", tags: ["navy"] });
  linus = await owner.client.leads.create.mutate({ firstName: "Linus", status: "new" });
  await other.client.leads.create.mutate({ firstName: "Secret", email: "secret@other.example" });
});
afterAll(() => server?.close());

async function xlsxOf(response: Response) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(await response.arrayBuffer()) as never);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error("no worksheet");
  return sheet;
}

/** Response.text() drops the byte-order mark; the bytes keep it. */
async function csvRows(response: Response): Promise<Record<string, string>[]> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  return Papa.parse<Record<string, string>>(new TextDecoder().decode(bytes), { header: true, skipEmptyLines: true }).data;
}

describe("XLSX export", () => {
  it("has a bold, frozen header row and typed cells: dates are dates, numbers numbers, booleans booleans", async () => {
    const response = await owner.client.$files.exportLeads({ format: "xlsx" });
    expect(response.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="leads-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    const sheet = await xlsxOf(response);
    expect(sheet.name).toBe("Leads");
    expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    const header = sheet.getRow(1);
    const headers = (header.values as unknown[]).slice(1);
    expect(headers.slice(0, 4)).toEqual(["ID", "First Name", "Last Name", "Email"]);
    expect(header.getCell(1).font?.bold).toBe(true);
    // Newest first, like leads.list; the other organization's lead is not there.
    expect(sheet.rowCount).toBe(4);
    const column = (name: string) => headers.indexOf(name) + 1;
    const ids = [2, 3, 4].map((row) => sheet.getRow(row).getCell(column("ID")).value);
    expect(ids).toEqual([linus.id, grace.id, ada.id]);

    const row = sheet.getRow(4);
    expect(row.getCell(column("Created At")).value).toEqual(ada.createdAt);
    expect(row.getCell(column("Created At")).numFmt).toBe("yyyy-mm-dd hh:mm:ss");
    expect(row.getCell(column("Next Follow-up At")).value).toEqual(new Date("2027-03-01T10:00:00.000Z"));
    expect(row.getCell(column("Score")).value).toBe(ada.score);
    expect(typeof row.getCell(column("Score")).value).toBe("number");
    expect(row.getCell(column("Conversion Probability")).value).toBe(ada.conversionProbability);
    expect(row.getCell(column("Hot")).value).toBe(ada.isHot);
    expect(row.getCell(column("Active")).value).toBe(true);
    expect(row.getCell(column("Tags")).value).toBe("math, vip");
    expect(row.getCell(column("Phone")).value).toBe("+442079460000");
    // A string cell, not a formula: nothing to escape in XLSX.
    expect(row.getCell(column("Company Name")).value).toBe('=HYPERLINK("http://evil.example")');
    expect(row.getCell(column("Notes")).value).toBe("line one\nline two, with a comma");
    // Empty fields are empty cells.
    expect(sheet.getRow(2).getCell(column("Email")).value).toBeNull();
  });

  it("applies the list filters (several statuses, tags, search) and the order", async () => {
    const byStatus = await xlsxOf(
      await owner.client.$files.exportLeads({ status: ["qualified", "contacted"], sortOrder: "asc" }),
    );
    expect([2, 3].map((row) => byStatus.getRow(row).getCell(2).value)).toEqual(["Ada", "Grace"]);
    expect(byStatus.rowCount).toBe(3);
    const byTag = await xlsxOf(await owner.client.$files.exportLeads({ tags: ["navy"] }));
    expect(byTag.rowCount).toBe(2);
    expect(byTag.getRow(2).getCell(2).value).toBe("Grace");
    const bySearch = await xlsxOf(await owner.client.$files.exportLeads({ search: "lovelace" }));
    expect(bySearch.rowCount).toBe(2);
    const none = await xlsxOf(await owner.client.$files.exportLeads({ status: ["won"] }));
    expect(none.rowCount).toBe(1);
  });
});

describe("CSV export", () => {
  it("parses back to the leads, with the filters applied through REST query strings", async () => {
    const response = await fetch(`${server.url}/api/v1/leads/export?format=csv&status=qualified,contacted&sortOrder=asc`, {
      headers: { authorization: `Bearer ${owner.token()}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = await csvRows(response);
    expect(rows.map((row) => row["First Name"])).toEqual(["Ada", "Grace"]);
    expect(rows[0]).toMatchObject({
      ID: ada.id,
      Email: "ada@analytical.example",
      Phone: "+442079460000",
      Tags: "math, vip",
      Status: "qualified",
      Score: String(ada.score),
      "Next Follow-up At": "2027-03-01T10:00:00.000Z",
      "Created At": ada.createdAt.toISOString(),
      Notes: "line one\nline two, with a comma",
      // Spreadsheets would run this as a formula: it is escaped.
      "Company Name": '\'=HYPERLINK("http://evil.example")',
    });
  });

  it("pages through more leads than one database page, each once", async () => {
    const user = await server.signup("Many");
    const count = 4500;
    await importLeads(
      user,
      csvOf([["First Name", "Email"], ...Array.from({ length: count }, (_, i) => [`L${i}`, `l${i}@example.com`])]),
    );
    const rows = await csvRows(await user.client.$files.exportLeads({ format: "csv" }));
    expect(rows).toHaveLength(count);
    expect(new Set(rows.map((row) => row.ID)).size).toBe(count);
  });

  it("an export imports back onto the same leads (duplicatePolicy update) without changing them", async () => {
    const text = await (await owner.client.$files.exportLeads({ format: "csv", status: ["contacted", "new"] })).text();
    const before = await owner.client.leads.list.query({ status: ["contacted", "new"] });
    const job = await importLeads(owner, text, { duplicatePolicy: "update" });
    expect(job).toMatchObject({ status: "completed", rowsFailed: 0 });
    expect(job.ignoredColumns).toEqual(["ID", "Score", "Hot", "Call Attempts", "Created At", "Updated At"]);
    // Grace and Linus have no email, so they come back as new leads; nothing else changes.
    const after = await owner.client.leads.list.query({ status: ["contacted", "new"], limit: 100 });
    for (const lead of before.items) expect(after.items).toContainEqual(lead);
  });
});

describe("refusals", () => {
  it("no credential is 401, a role without leads:export is 403, a bad filter is 400 naming it", async () => {
    const anonymous = await fetch(`${server.url}/api/v1/leads/export`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: "UNAUTHORIZED" });
    const agent = await server.member(owner, "agent");
    await expect(agent.client.$files.exportLeads()).rejects.toMatchObject({
      status: 403,
      code: "FORBIDDEN",
      message: "Missing permission leads:export",
    });
    const bad = await owner.client.$files.exportLeads({ format: "pdf" as never }).catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(CrmHttpError);
    expect(bad).toMatchObject({ status: 400, code: "BAD_REQUEST", issues: [{ path: "format" }] });
    const status = await fetch(`${server.url}/api/v1/leads/export?status=sleeping`, {
      headers: { authorization: `Bearer ${owner.token()}` },
    });
    expect(status.status).toBe(400);
    expect(await status.json()).toMatchObject({ code: "BAD_REQUEST", issues: [{ path: "status.0" }] });
    const unknown = await fetch(`${server.url}/api/v1/leads/export?colour=blue`, {
      headers: { authorization: `Bearer ${owner.token()}` },
    });
    expect(await unknown.json()).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("colour") });
  });

  it("another organization's export holds none of these leads", async () => {
    const rows = await csvRows(await other.client.$files.exportLeads({ format: "csv" }));
    expect(rows.map((row) => row["First Name"])).toEqual(["Secret"]);
  });
});
