import { TRPCClientError } from "@crm-api/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvOf, importLeads } from "./support/imports.ts";
import { type RestResponse, startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * Strings PostgreSQL cannot store and dates outside what it and JavaScript both hold are a 400
 * naming the field, wherever they come in: bodies, query filters, cursors, file uploads.
 */

const NUL = "must not contain a NUL character (U+0000)";
const LONE_SURROGATE = "must not contain a lone UTF-16 surrogate (not valid Unicode)";
const DATE_TIME =
  "must be an ISO 8601 date-time with a time zone, such as 2026-03-01T09:30:00Z, between 0001-01-01 and 9999-12-31";
const DATE_OR_DATE_TIME =
  "must be an ISO 8601 date (2026-03-01) or date-time with a time zone (2026-03-01T09:30:00Z), between 0001-01-01 and 9999-12-31";

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signup("Owner");
});
afterAll(() => server?.close());

/** The 400 body of a REST call: its issues, and the message that joins them. */
function expectRest400(response: RestResponse, issues: { path: string; message: string }[]) {
  expect(response.status).toBe(400);
  expect(response.body).toEqual({
    code: "BAD_REQUEST",
    message: issues.map((issue) => (issue.path === "(input)" ? issue.message : `${issue.path}: ${issue.message}`)).join("; "),
    issues,
    requestId: expect.any(String),
  });
}

/** What the typed client sees of a failed call, issues included. */
async function trpcFailure(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { code?: string; httpStatus?: number; issues?: unknown };
    return { code: data.code, httpStatus: data.httpStatus, message: error.message, issues: data.issues };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

const leadCount = () => server.prisma.lead.count({ where: { organizationId: owner.orgId } });

describe("a NUL character or a lone surrogate in any string is a 400 naming the field", () => {
  it("signup, with no token, over REST and tRPC", async () => {
    const signup = { email: "nul@test.dev", password: "correct horse battery", organizationName: "Org" };
    expectRest400(await server.rest("POST", "/auth/signup", { body: { ...signup, name: "Ada\u0000" } }), [
      { path: "name", message: NUL },
    ]);
    expect(await trpcFailure(server.client().$session.signup({ ...signup, name: "Ada\ud800" }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: `name: ${LONE_SURROGATE}`,
      issues: [{ path: "name", message: LONE_SURROGATE }],
    });
    expect(await server.prisma.user.count({ where: { email: "nul@test.dev" } })).toBe(0);
  });

  it("in a body's value, nested array element and object key, nothing written", async () => {
    const before = await leadCount();
    expect(await trpcFailure(owner.client.leads.create.mutate({ firstName: "Ada\u0000Lovelace" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: `firstName: ${NUL}`,
      issues: [{ path: "firstName", message: NUL }],
    });
    expectRest400(
      await server.rest("POST", "/leads", { token: owner.token(), body: { firstName: "Ada", tags: ["ok", "\udc00x"] } }),
      [{ path: "tags.1", message: LONE_SURROGATE }],
    );
    expectRest400(
      await server.rest("POST", "/leads/bulk", {
        token: owner.token(),
        body: { leads: [{ firstName: "Ada" }, { "first\u0000Name": "Ada" }] },
      }),
      [{ path: "leads.1", message: `field names ${NUL}` }],
    );
    expect(await leadCount()).toBe(before);
  });

  it("a well-formed surrogate pair (an emoji) is text like any other", async () => {
    const lead = await owner.client.leads.create.mutate({ firstName: "Ada 🚀" });
    expect(lead.firstName).toBe("Ada 🚀");
  });

  it("in query filters, over REST and tRPC", async () => {
    expectRest400(await server.rest("GET", "/leads?search=a%00b", { token: owner.token() }), [{ path: "search", message: NUL }]);
    expect(await trpcFailure(owner.client.leads.list.query({ search: "\ud83d" }))).toMatchObject({
      code: "BAD_REQUEST",
      issues: [{ path: "search", message: LONE_SURROGATE }],
    });
    expect(await trpcFailure(owner.client.users.list.query({ search: "\u0000" }))).toMatchObject({
      issues: [{ path: "search", message: NUL }],
    });
  });

  it("in a cursor's decoded value", async () => {
    const cursor = (value: unknown, field = "firstName") =>
      Buffer.from(JSON.stringify({ f: field, o: "desc", v: value, id: "0190a000-0000-7000-8000-000000000000" })).toString(
        "base64url",
      );
    const malformed = "cursor: malformed cursor; pass back the nextCursor of a previous page";
    for (const value of ["a\u0000", "\ud800"]) {
      const response = await server.rest("GET", `/leads?sortBy=firstName&cursor=${cursor(value)}`, { token: owner.token() });
      expect(response.status).toBe(400);
      expect(response.body.message).toBe(malformed);
    }
  });

  it("in the import's file name and form fields (a CSV with NUL bytes is refused as binary already)", async () => {
    const upload = (fileName: string, fields: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", new Blob(["First Name\nAda\n"]), fileName);
      return fetch(`${server.url}/api/v1/leads/import`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.token()}` },
        body: form,
      });
    };
    const byName = await upload("leads\u0000.csv");
    expect(byName.status).toBe(400);
    expect(await byName.json()).toMatchObject({ code: "BAD_REQUEST", issues: [{ path: "file.name", message: NUL }] });
    const byField = await upload("leads.csv", { mode: "dry_run\u0000" });
    expect(byField.status).toBe(400);
    expect(await byField.json()).toMatchObject({ code: "BAD_REQUEST", issues: [{ path: "mode", message: NUL }] });
    // The mapping is JSON text: its escapes decode to what the form field itself does not hold.
    for (const [mapping, issue] of [
      ['{"First Name\\u0000":"firstName"}', { path: "mapping", message: `field names ${NUL}` }],
      ['{"First Name":"firstName\\ud800"}', { path: "mapping.First Name", message: LONE_SURROGATE }],
    ] as const) {
      const byMapping = await upload("leads.csv", { mapping });
      expect(byMapping.status).toBe(400);
      expect(await byMapping.json()).toMatchObject({ code: "BAD_REQUEST", issues: [issue] });
    }
    expect(await server.prisma.importJob.count({ where: { organizationId: owner.orgId } })).toBe(0);
  });

  it("in the export's query filters", async () => {
    const response = await fetch(`${server.url}/api/v1/leads/export?format=csv&search=%00`, {
      headers: { authorization: `Bearer ${owner.token()}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "BAD_REQUEST", issues: [{ path: "search", message: NUL }] });
  });
});

describe("search terms are literal text", () => {
  it("LIKE and regex metacharacters match themselves, not patterns", async () => {
    const percent = await owner.client.leads.create.mutate({ firstName: "Percent", companyName: "100% Real_Co" });
    const plain = await owner.client.leads.create.mutate({ firstName: "Plain", companyName: "1000 RealXCo" });
    const found = async (search: string) => (await owner.client.leads.list.query({ search })).items.map((lead) => lead.id);
    expect(await found("0% real_")).toEqual([percent.id]);
    expect(await found("0_ real")).toEqual([]);
    expect(await found("real.co")).toEqual([]);
    expect(await found("%")).toEqual([percent.id]);
    expect(await found("\\")).toEqual([]);
    expect((await owner.client.users.list.query({ search: "_" })).items).toEqual([]);
    expect(await found("realxco")).toEqual([plain.id]);
  });
});

describe("dates are ISO 8601 strings between 0001-01-01 and 9999-12-31", () => {
  it.each([
    ["year 0", "0000-01-01T00:00:00Z"],
    ["a negative year", "-000001-01-01T00:00:00Z"],
    ["an extended year", "+275760-09-13T00:00:00Z"],
    ["an impossible day", "2026-02-30T10:00:00Z"],
    ["no time zone", "2026-03-01T10:00:00"],
    ["a day where a point in time is expected", "2026-03-01"],
    ["true", true],
    ["0", 0],
    ["[1]", [1]],
  ])("%s in a body is refused, not stored", async (_case, value) => {
    const before = await leadCount();
    expectRest400(
      await server.rest("POST", "/leads", { token: owner.token(), body: { firstName: "Ada", lastContactedAt: value } }),
      [{ path: "lastContactedAt", message: DATE_TIME }],
    );
    expect(await leadCount()).toBe(before);
  });

  it("a date-time with an offset is stored as its instant", async () => {
    const response = await server.rest("POST", "/leads", {
      token: owner.token(),
      body: { firstName: "Ada", nextFollowUpAt: "2026-03-01T10:00:00.5+02:00", lastContactedAt: "9999-12-31T23:59:59Z" },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      nextFollowUpAt: "2026-03-01T08:00:00.500Z",
      lastContactedAt: "9999-12-31T23:59:59.000Z",
    });
  });

  it("over tRPC a valid Date is taken; one out of range is refused with the same message", async () => {
    const lead = await owner.client.leads.create.mutate({ firstName: "Ada", nextFollowUpAt: new Date("2026-03-01T10:00:00Z") });
    expect(lead.nextFollowUpAt).toEqual(new Date("2026-03-01T10:00:00Z"));
    for (const date of [new Date("+010000-01-01T00:00:00Z"), new Date("0000-06-01T00:00:00Z"), new Date(-8.64e15)]) {
      expect(await trpcFailure(owner.client.leads.logCall.mutate({ id: lead.id, nextFollowUpAt: date }))).toEqual({
        code: "BAD_REQUEST",
        httpStatus: 400,
        message: `nextFollowUpAt: ${DATE_TIME}`,
        issues: [{ path: "nextFollowUpAt", message: DATE_TIME }],
      });
    }
    expect((await owner.client.leads.byId.query({ id: lead.id })).callAttempts).toBe(0);
  });

  it("an Invalid Date, which superjson sends as null, is refused where null is not a date", async () => {
    expect(await trpcFailure(owner.client.leads.list.query({ createdFrom: new Date(Number.NaN) }))).toMatchObject({
      code: "BAD_REQUEST",
      issues: [{ path: "createdFrom", message: DATE_OR_DATE_TIME }],
    });
  });

  it.each([["2026-02-30"], ["0000-12-31"], ["true"], ["+275760-09-13T00:00:00Z"], ["1"]])(
    "the filter value %s is refused",
    async (value) => {
      expectRest400(await server.rest("GET", `/leads?createdFrom=${encodeURIComponent(value)}`, { token: owner.token() }), [
        { path: "createdFrom", message: DATE_OR_DATE_TIME },
      ]);
    },
  );

  it("a filter takes a day or a date-time", async () => {
    const lead = await owner.client.leads.create.mutate({ firstName: "Filtered" });
    const day = lead.createdAt.toISOString().slice(0, 10);
    const byDay = await server.rest("GET", `/leads?createdFrom=${day}&search=Filtered`, { token: owner.token() });
    expect(byDay.body.items.map((item: { id: string }) => item.id)).toContain(lead.id);
    const later = new Date(lead.createdAt.getTime() + 1).toISOString();
    const afterIt = await owner.client.leads.list.query({ createdFrom: later, search: "Filtered" });
    expect(afterIt.items.map((item) => item.id)).not.toContain(lead.id);
  });

  it("a cursor's date outside the range is a malformed cursor", async () => {
    const cursor = Buffer.from(
      JSON.stringify({ f: "createdAt", o: "desc", v: "-271821-04-20T00:00:00.000Z", id: "0190a000-0000-7000-8000-000000000000" }),
    ).toString("base64url");
    const response = await server.rest("GET", `/leads?cursor=${cursor}`, { token: owner.token() });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("cursor: malformed cursor; pass back the nextCursor of a previous page");
  });

  it("an import cell with an impossible day is a row error, not rolled over", async () => {
    const job = await importLeads(
      owner,
      csvOf([
        ["First Name", "Next Follow-up"],
        ["Ada", "2026-02-30"],
      ]),
    );
    expect(job).toMatchObject({ status: "completed", rowsCreated: 0, rowsFailed: 1 });
    expect(job.errors).toEqual([
      expect.objectContaining({
        rowNumber: 2,
        field: "nextFollowUpAt",
        message: 'must be a date (YYYY-MM-DD or ISO 8601 date-time), got "2026-02-30"',
      }),
    ]);
  });
});
