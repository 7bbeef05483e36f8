import { randomUUID } from "node:crypto";
import { RECORD_RESOURCES } from "@crm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addressing,
  callRest,
  callTrpc,
  createFixtures,
  type Fixtures,
  generateInput,
  type ProcedureInfo,
  prepareRecord,
  procedures,
} from "./support/procedures.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * A soft-deleted record is gone for every procedure that addresses it, sub-resources included
 * (`/campaigns/{id}/metrics`, `/meetings/{id}/attendees`, `/tickets/{id}/comments`, the timeline):
 * each answers NOT_FOUND with the message of an id that never existed, and writes nothing. Only
 * a procedure whose meta says it is for other states (`recordState`: restore is for deleted
 * records; purge and history, the audit trail of a deleted or merged record, for either) is exempt,
 * and must then take one. The procedures come from the router, so a new one is
 * held to it as soon as it exists.
 */

/** Routers whose records are soft-deleted: they have a `delete` and a procedure for deleted records (restore). */
const softDeleting = new Set(
  procedures
    .filter((p) => p.recordState === "deleted" && procedures.some((q) => q.path === `${p.router}.delete`))
    .map((p) => p.router),
);
const recordProcedures = procedures.filter((p) => p.takesId && softDeleting.has(p.router));
const liveOnly = recordProcedures.filter((p) => p.recordState === undefined);
const eitherState = recordProcedures.filter((p) => p.recordState === "any");

let server: TestServer;
let fixtures: Fixtures;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  fixtures = createFixtures(server);
  owner = await server.signup("Deleter");
});
afterAll(() => server?.close());

const auditCount = () => server.prisma.auditLog.count({ where: { organizationId: owner.orgId } });

/**
 * A new record of `info`'s router in the state `info` needs, the input to call `info` with
 * (generated while the record is live, so records made inside it exist), then soft-deleted
 * through its router's own `delete`.
 */
async function deletedRecordFor(info: ProcedureInfo): Promise<{ id: string; input: Record<string, unknown> | undefined }> {
  const id = await fixtures.record(info.router, owner);
  const reference = fixtures.resolver(owner);
  const prepared = await prepareRecord(info, id, reference, async (preparation, input) => {
    expect(await callTrpc(owner.client, preparation, input), preparation.path).toMatchObject({ code: "OK" });
  });
  const input = await generateInput(info, { values: { ...prepared, ...addressing(info, [id]) }, reference });
  const remove = procedures.find((p) => p.path === `${info.router}.delete`) as ProcedureInfo;
  const removal = await generateInput(remove, { values: { id }, reference });
  expect(await callTrpc(owner.client, remove, removal), remove.path).toMatchObject({ code: "OK" });
  return { id, input };
}

describe("the enumeration", () => {
  it("finds every record resource and the sub-resources of its records", () => {
    expect([...softDeleting]).toEqual(expect.arrayContaining([...RECORD_RESOURCES]));
    expect(liveOnly.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        "campaigns.metrics",
        "campaigns.members",
        "meetings.attendees",
        "tickets.comments",
        "leads.bulkUpdate",
      ]),
    );
    expect(eitherState.map((p) => p.path)).toEqual(expect.arrayContaining(["leads.purge", "leads.history"]));
  });
});

describe("a soft-deleted record reads as not found", () => {
  it.each(liveOnly.map((p) => [p.path, p] as const))(
    "%s: NOT_FOUND (tRPC and REST) for a soft-deleted record, as for an unknown id, nothing written",
    async (_path, info) => {
      const { id, input } = await deletedRecordFor(info);
      const auditBefore = await auditCount();

      const viaTrpc = await callTrpc(owner.client, info, input);
      expect(viaTrpc, JSON.stringify(input)).toMatchObject({ code: "NOT_FOUND" });

      // The answer is the one for an id that exists nowhere: a deleted record is not told apart.
      const nowhere = randomUUID();
      const missing = await callTrpc(owner.client, info, { ...input, ...addressing(info, [nowhere]) });
      expect({ code: missing.code, message: missing.message?.replaceAll(nowhere, "<id>") }).toEqual({
        code: viaTrpc.code,
        message: viaTrpc.message?.replaceAll(id, "<id>"),
      });

      if (info.openapi) {
        const viaRest = await callRest(server, owner.token(), info, input);
        expect(viaRest, `${info.openapi.method} ${info.openapi.path}`).toMatchObject({
          status: 404,
          code: "NOT_FOUND",
          message: viaTrpc.message,
        });
      }
      expect(await auditCount()).toBe(auditBefore);
    },
  );

  it.each(eitherState.map((p) => [p.path, p] as const))(
    "%s (recordState any) still takes a soft-deleted record",
    async (_path, info) => {
      const { input } = await deletedRecordFor(info);
      expect(await callTrpc(owner.client, info, input), JSON.stringify(input)).toMatchObject({ code: "OK" });
      // A query answers again over REST (a mutation such as purge has done its work).
      if (info.openapi && info.type === "query") expect((await callRest(server, owner.token(), info, input)).status).toBe(200);
    },
  );
});
