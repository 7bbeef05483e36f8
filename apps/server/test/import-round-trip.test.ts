import { RESOURCES } from "@crm/api";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForImport } from "./support/imports.ts";
import { callTrpc, generateInput, procedures } from "./support/procedures.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * Every resource of the registry that can be both exported and imported: records made through its
 * own `create` with every optional field it can generate, exported as CSV, imported into an empty
 * organization, and exported again, read as the same records. The resources come from the
 * registry, so a new importable resource is held to it as soon as it is registered.
 */

type FileResourceKey = Parameters<TestUser["client"]["$files"]["import"]>[0];
const roundTrips = Object.entries(RESOURCES)
  .filter(([, entry]) => "import" in entry && "export" in entry)
  .map(([key]) => key as FileResourceKey);
/** Columns that name the record itself or when it was written, not what it holds. */
const IDENTITY_COLUMNS = new Set(["ID", "Created At", "Updated At"]);
const RECORDS = 3;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

/** Oldest first, so an import makes the records in the order they were made (tickets draw their numbers in it). */
const exportOf = (user: TestUser, resource: FileResourceKey) =>
  user.client.$files.export(resource, { format: "csv", sortOrder: "asc" } as never);

async function exportedRows(user: TestUser, resource: FileResourceKey): Promise<string[]> {
  const response = await exportOf(user, resource);
  const text = new TextDecoder().decode(new Uint8Array(await response.arrayBuffer()));
  const rows = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
  return rows.map((row) => JSON.stringify(Object.entries(row).filter(([column]) => !IDENTITY_COLUMNS.has(column)))).sort();
}

const exportable = Object.entries(RESOURCES)
  .filter(([, entry]) => "export" in entry)
  .map(([key]) => key as FileResourceKey);

describe("every export", () => {
  it.each(exportable)(
    "%s: the export has a row for each record its create made, under the declared headers",
    async (resource) => {
      const source = await server.signup("Exporter");
      const create = procedures.find((p) => p.path === `${resource}.create`);
      if (!create) throw new Error(`${resource} has no create`);
      const made: string[] = [];
      for (let i = 0; i < RECORDS; i++) {
        const input = await generateInput(create, { optional: "include", reference: async () => undefined });
        const result = await callTrpc(source.client, create, input);
        expect(result).toMatchObject({ code: "OK" });
        made.push((result as { data: { id: string } }).data.id);
      }
      const response = await source.client.$files.export(resource, { format: "csv" } as never);
      const text = new TextDecoder().decode(new Uint8Array(await response.arrayBuffer()));
      const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
      const headers = RESOURCES[resource].export.columns.map((column) => column.header);
      expect(parsed.meta.fields?.map((field) => field.replace(/^\uFEFF/, ""))).toEqual(headers);
      expect(parsed.data.map((row) => row.ID ?? row["\uFEFFID"]).sort()).toEqual([...made].sort());
    },
  );
});

describe("export, then import into an empty organization", () => {
  it("covers every resource the registry can export and import", () => {
    expect(roundTrips).toContain("leads");
  });

  it.each(roundTrips)("%s: the import recreates the exported records exactly", async (resource) => {
    const source = await server.signup("Exporter");
    const create = procedures.find((p) => p.path === `${resource}.create`);
    if (!create) throw new Error(`${resource} has no create`);
    // References (owners, parents, companies) point into the source organization: left empty, as they would not travel.
    for (let i = 0; i < RECORDS; i++) {
      const input = await generateInput(create, { optional: "include", reference: async () => undefined });
      expect(await callTrpc(source.client, create, input)).toMatchObject({ code: "OK" });
    }
    const exported = await exportedRows(source, resource);
    expect(exported).toHaveLength(RECORDS);

    const response = await exportOf(source, resource);
    // The same people, a new organization: members named in the file (a meeting's organizer) are members here too.
    const target = await server.signup("Importer");
    const roles = await target.client.roles.list.query();
    const agentRole = roles.items.find((role) => role.key === "agent");
    await target.client.members.add.mutate({ email: source.email, roleId: agentRole?.id as string });
    const queued = await target.client.$files.import(resource, new Uint8Array(await response.arrayBuffer()), {
      filename: `${resource}.csv`,
    });
    const job = await waitForImport(target, queued.jobId);
    expect(job).toMatchObject({ status: "completed", rowsCreated: RECORDS, rowsFailed: 0 });
    expect(await exportedRows(target, resource)).toEqual(exported);
  });
});
