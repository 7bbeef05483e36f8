import { type ImportableResource, PERMISSIONS, type Permission, RESOURCES } from "@crm/api";
import type { FileResource } from "@crm-api/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { csvOf, waitForImport } from "./support/imports.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * An import job is guarded by the import permission of its own resource, wherever it is read or
 * run: imports.byId, errors, retry, list, the errors.csv download and the background runner. The
 * resources come from the registry, so every importable resource is covered as soon as it exists.
 */

const importable = Object.values(RESOURCES).flatMap((entry): ImportableResource[] => ("import" in entry ? [entry.import] : []));

let server: TestServer;

beforeAll(async () => {
  // No runner in this process: jobs wait in the queue until a test runs them (see runQueuedJobs).
  server = await startTestServer({ IMPORT_RUNNER: "false" });
});
afterAll(() => server?.close());

/** One valid row of the resource: its first set of required columns, each filled in. */
function minimalFile(resource: ImportableResource): Uint8Array {
  const columns = resource.requiredColumns[0] ?? [];
  return new TextEncoder().encode(csvOf([columns, columns.map(() => "Ada")]));
}

/** A member of `owner`'s organization whose custom role grants exactly `permissions`. */
async function memberWith(owner: TestUser, key: string, permissions: Permission[]) {
  const role = await owner.client.roles.create.mutate({ key, name: key, permissions });
  const member = await server.member(owner, "viewer", key);
  await owner.client.members.update.mutate({ id: member.membershipId, roleId: role.id });
  return { member, role };
}

/** Runs the queued jobs in a second process over the same database, as a restarted server would. */
async function runQueuedJobs() {
  const app = await buildApp({
    config: { ...server.config, IMPORT_RUNNER: true, IMPORT_POLL_INTERVAL_MS: 100 },
    database: server.database,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return app;
}

async function failure(promise: Promise<unknown>) {
  return promise.then(
    () => undefined,
    (error: { data?: { code?: string }; message?: string }) => ({ code: error.data?.code, message: error.message }),
  );
}

describe.each(importable.map((resource) => [resource.key, resource] as const))("an import job of %s", (_key, resource) => {
  const everythingBut = PERMISSIONS.filter((permission) => permission !== resource.permission);

  it(`without ${resource.permission}, the job cannot be read, listed, retried or its errors downloaded`, async () => {
    const owner = await server.signup(`Owner of ${resource.key}`);
    const queued = await owner.client.$files.import(resource.key as FileResource, minimalFile(resource), {
      filename: "file.csv",
      mode: "dry_run",
    });
    const { member } = await memberWith(owner, `no-${resource.key}-import`, everythingBut);
    const forbidden = { code: "FORBIDDEN", message: `Missing permission ${resource.permission}` };

    expect(await failure(member.client.imports.byId.query({ id: queued.jobId }))).toEqual(forbidden);
    expect(await failure(member.client.imports.errors.query({ id: queued.jobId }))).toEqual(forbidden);
    expect(await failure(member.client.imports.retry.mutate({ id: queued.jobId }))).toEqual(forbidden);
    expect(await server.rest("GET", `/imports/${queued.jobId}`, { token: member.token() })).toMatchObject({
      status: 403,
      body: forbidden,
    });
    const csv = await member.client.$files.importErrorsCsv(queued.jobId).catch((error: unknown) => error);
    expect(csv).toMatchObject({ status: 403, ...forbidden });
    // The list is refused by its gate, or leaves out the jobs of the resources the caller may not import.
    const listed = await member.client.imports.list.query({}).then(
      (page) => page.items.map((job) => job.id),
      (error: { message: string }) => error.message,
    );
    expect([["Missing permission leads:import"], []]).toContainEqual([listed].flat());

    // The owner, who may import the resource, follows the same job.
    expect(await owner.client.imports.byId.query({ id: queued.jobId })).toMatchObject({
      id: queued.jobId,
      resource: resource.key,
      status: "queued",
    });
    expect((await owner.client.imports.list.query({})).items.map((job) => job.id)).toEqual([queued.jobId]);
  });

  it(`an uploader stripped of ${resource.permission} before the job runs: the runner fails it, nothing is written`, async () => {
    const owner = await server.signup(`Uploader's owner, ${resource.key}`);
    const { member, role } = await memberWith(owner, `${resource.key}-importer`, [...PERMISSIONS]);
    const queued = await member.client.$files.import(resource.key as FileResource, minimalFile(resource), {
      filename: "file.csv",
    });
    await owner.client.roles.update.mutate({ id: role.id, permissions: everythingBut });

    const runner = await runQueuedJobs();
    try {
      expect(await waitForImport(owner, queued.jobId)).toMatchObject({
        resource: resource.key,
        status: "failed",
        errorMessage: `Missing permission ${resource.permission}`,
        rowsCreated: 0,
      });
    } finally {
      await runner.close();
    }
    const audit = await server.prisma.auditLog.count({ where: { organizationId: owner.orgId, entityType: resource.entityType } });
    expect(audit).toBe(0);
  });
});

describe("jobs stored before router keys", () => {
  it("a job saying `lead` (the entity type) reads as a job of `leads`, under leads:import", async () => {
    const owner = await server.signup("Old jobs");
    const job = await server.prisma.importJob.create({
      data: {
        organizationId: owner.orgId,
        resource: "lead",
        createdByUserId: owner.userId,
        fileName: "old.csv",
        format: "csv",
        fileSize: 10,
        storedFile: "old.csv",
        mode: "valid_only",
        duplicatePolicy: "skip",
        parseOptions: { headerRowNumber: 1, columns: [] },
      },
    });
    expect(await owner.client.imports.byId.query({ id: job.id })).toMatchObject({ id: job.id, resource: "leads" });
    expect((await owner.client.imports.list.query({})).items).toMatchObject([{ id: job.id, resource: "leads" }]);
    const { member: reader } = await memberWith(owner, "old-reader", ["leads:read"]);
    // The gate of imports opens with the import permission of any importable resource (it names them all).
    const gate = importable.map((resource) => resource.permission);
    expect(await failure(reader.client.imports.byId.query({ id: job.id }))).toEqual({
      code: "FORBIDDEN",
      message: gate.length === 1 ? `Missing permission ${gate[0]}` : `Missing permission one of ${gate.join(", ")}`,
    });
  });
});
