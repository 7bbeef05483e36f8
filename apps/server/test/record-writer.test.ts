import { RESOURCES, type ResourceRegistry } from "@crm/api";
import { createCrmClient } from "@crm-api/client";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { csvOf, waitForImport } from "./support/imports.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * The shared record writer with a resource whose duplicate keys are alternatives, as companies
 * will have (domain, else name): here leads matched by email, else by company name compared
 * case-insensitively, served by a server whose registry declares them so.
 */

let server: TestServer;
let app: FastifyInstance;
let url: string;

const byEmailElseCompany: ResourceRegistry = {
  leads: {
    ...RESOURCES.leads,
    import: {
      ...RESOURCES.leads.import,
      duplicateKeys: [{ field: "email" }, { field: "companyName", caseInsensitive: true }],
    },
  },
};

beforeAll(async () => {
  server = await startTestServer({ IMPORT_RUNNER: "false" });
  app = await buildApp({
    config: { ...server.config, IMPORT_RUNNER: true, IMPORT_POLL_INTERVAL_MS: 100 },
    database: server.database,
    resources: byEmailElseCompany,
  });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app?.close();
  await server?.close();
});

const FILE = csvOf([
  ["First Name", "Email", "Company"],
  ["Ada", "ada@example.com", "ACME LTD"],
  ["Bob", "", "acme ltd"],
  ["Cy", "", "Other"],
  ["Dee", "", "OTHER"],
]);

async function importWith(user: TestUser, duplicatePolicy: "update" | "error") {
  const client = createCrmClient({ url, token: user.token() });
  const queued = await client.$files.import("leads", new TextEncoder().encode(FILE), { filename: "f.csv", duplicatePolicy });
  return waitForImport(user, queued.jobId);
}

async function setUp() {
  const user = await server.signup("Keys");
  const acme = await user.client.leads.create.mutate({ firstName: "Existing", companyName: "Acme Ltd" });
  return { user, acme };
}

function leadsOf(user: TestUser) {
  return server.prisma.lead.findMany({
    where: { organizationId: user.orgId },
    orderBy: { createdAt: "asc" },
    select: { id: true, firstName: true, email: true, companyName: true },
  });
}

describe("duplicate keys as ordered alternatives", () => {
  it("a row is matched by its first key with a value; the second is compared case-insensitively; update", async () => {
    const { user, acme } = await setUp();
    expect(await importWith(user, "update")).toMatchObject({
      status: "completed",
      rowsCreated: 2,
      rowsUpdated: 2,
      rowsFailed: 0,
    });
    // Ada has an email: matched by it alone, so her company's name does not make her the existing lead.
    // Bob has none: he updates the lead of his company (its name, the key it matched by, is kept).
    // Dee has the same company as Cy, an earlier row: she fills in Cy's new lead.
    expect(await leadsOf(user)).toEqual([
      { id: acme.id, firstName: "Bob", email: null, companyName: "Acme Ltd" },
      { id: expect.any(String), firstName: "Ada", email: "ada@example.com", companyName: "ACME LTD" },
      { id: expect.any(String), firstName: "Dee", email: null, companyName: "OTHER" },
    ]);
    const updates = await server.prisma.auditLog.findMany({
      where: { organizationId: user.orgId, entityType: "lead", action: "update" },
      select: { entityId: true, changes: true },
    });
    expect(updates).toEqual([{ entityId: acme.id, changes: { firstName: { before: "Existing", after: "Bob" } } }]);
  });

  it("error: each duplicate is reported on the key it matched by", async () => {
    const { user, acme } = await setUp();
    const job = await importWith(user, "error");
    expect(job).toMatchObject({ status: "completed", rowsCreated: 2, rowsFailed: 2 });
    expect(job.errors).toEqual([
      {
        rowNumber: 3,
        field: "companyName",
        message: `duplicate: lead ${acme.id} already has this companyName`,
        value: "acme ltd",
      },
      { rowNumber: 5, field: "companyName", message: "duplicate: row 4 has the same companyName", value: "OTHER" },
    ]);
  });
});
