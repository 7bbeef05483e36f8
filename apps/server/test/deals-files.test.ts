import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvOf, waitForImport } from "./support/imports.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/** Deals in files: pipeline and stage by name both ways, each imported deal with its first stage stay. */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

async function importDeals(user: TestUser, rows: (string | number)[][], mode?: "dry_run" | "all_or_nothing") {
  const bytes = new TextEncoder().encode(csvOf(rows));
  const queued = await user.client.$files.import("deals", bytes, { filename: "deals.csv", ...(mode ? { mode } : {}) });
  return waitForImport(user, queued.jobId);
}

async function dealsOf(user: TestUser) {
  return (await user.client.deals.list.query({ sortBy: "name", sortOrder: "asc" })).items;
}

describe("deal import and export", () => {
  it("reads pipeline and stage by name (any case), defaults both, and reports unknown names by field", async () => {
    const user = await server.signup("Importer");
    const renewals = await user.client.pipelines.create.mutate({
      name: "Renewals",
      stages: [
        { name: "Due", kind: "open", probability: 0.6 },
        { name: "Renewed", kind: "won", probability: 1 },
        { name: "Churned", kind: "lost", probability: 0 },
      ],
    });
    const job = await importDeals(user, [
      ["Deal Name", "Amount", "Currency", "Pipeline", "Stage", "Expected Close Date"],
      ["Alpha", "1200.50", "EUR", "", "", "2027-01-31"],
      ["Beta", "99", "USD", "", "proposal SENT", ""],
      ["Gamma", "", "", "renewals", "Renewed", ""],
      ["Delta", "", "", "Renewals", "", ""],
      ["Epsilon", "", "", "Nope", "", ""],
      ["Zeta", "", "", "", "Due", ""],
    ]);
    expect(job).toMatchObject({ status: "completed", rowsCreated: 4, rowsFailed: 2 });
    expect(job.errors.map((error) => [error.rowNumber, error.field, error.value])).toEqual([
      [6, "pipeline", "Nope"],
      [7, "stage", "Due"],
    ]);
    expect(job.errors[0]?.message).toContain('"Renewals"');
    expect(job.errors[1]?.message).toContain('pipeline "Sales"');

    const deals = await dealsOf(user);
    expect(deals.map((deal) => [deal.name, deal.stageName, deal.status, deal.amount, deal.currency])).toEqual([
      ["Alpha", "Qualified", "open", "1200.50", "EUR"],
      ["Beta", "Proposal sent", "open", "99.00", "USD"],
      ["Delta", "Due", "open", null, null],
      ["Gamma", "Renewed", "won", null, null],
    ]);
    const gamma = deals.find((deal) => deal.name === "Gamma");
    expect(gamma).toMatchObject({ pipelineId: renewals.id });
    expect(gamma?.closedAt).toBeInstanceOf(Date);
    // Every imported deal starts its stage history, as a created one does.
    for (const deal of deals) {
      const history = await user.client.deals.stageHistory.query({ id: deal.id });
      expect(history.items).toMatchObject([{ stageId: deal.stageId, fromStageId: null, leftAt: null }]);
    }
  });

  it("dry run and all_or_nothing write nothing when a stage is unknown", async () => {
    const user = await server.signup("Careful");
    const rows = [
      ["Name", "Stage"],
      ["Fine", "Negotiation"],
      ["Wrong", "Imaginary"],
    ];
    const dry = await importDeals(user, rows, "dry_run");
    expect(dry).toMatchObject({ status: "completed", rowsCreated: 1, rowsFailed: 1 });
    expect(dry.errors).toMatchObject([{ rowNumber: 3, field: "stage", value: "Imaginary" }]);
    const atomic = await importDeals(user, rows, "all_or_nothing");
    expect(atomic.status).toBe("failed");
    expect(await dealsOf(user)).toEqual([]);
  });

  it("exports pipeline and stage by name, which the import reads back into the same stages", async () => {
    const user = await server.signup("Exporter");
    const pipeline = (await user.client.pipelines.list.query({ isDefault: true })).items[0];
    const negotiation = pipeline?.stages.find((stage) => stage.name === "Negotiation");
    const deal = await user.client.deals.create.mutate({
      name: "Exported",
      amount: "10.00",
      currency: "GBP",
      stageId: negotiation?.id,
    });
    const response = await user.client.$files.export("deals", { format: "csv" } as never);
    const text = new TextDecoder().decode(new Uint8Array(await response.arrayBuffer()));
    const [row] = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
    expect(row).toMatchObject({ ID: deal.id, Name: "Exported", Pipeline: "Sales", Stage: "Negotiation", Amount: "10.00" });
  });
});
