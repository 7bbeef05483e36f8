import { RECORD_RESOURCES } from "@crm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addressing,
  callTrpc,
  createFixtures,
  type Fixtures,
  generateInput,
  prepareRecord,
  procedures,
} from "./support/procedures.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * Every mutation of every record resource, called once with a valid input that changes something,
 * leaves an audit entry in the caller's organization, in the same transaction as the change. The
 * procedures come from the router, so a new resource or action is held to it as soon as it exists;
 * one that rightly writes none says why in its meta (`notAudited`).
 */

const recordRouters = new Set<string>(RECORD_RESOURCES);
const mutations = procedures.filter((p) => recordRouters.has(p.router) && p.type === "mutation");

let server: TestServer;
let fixtures: Fixtures;
let owner: TestUser;
let colleague: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  fixtures = createFixtures(server);
  owner = await server.signup("Auditor");
  colleague = await server.member(owner, "agent", "Colleague");
});
afterAll(() => server?.close());

/**
 * Inputs that change what they touch: every optional field, the last enum values, false for flags,
 * and a member other than the caller (whom records may name by default, e.g. an interaction's author).
 */
const changing = {
  optional: "include" as const,
  choose: "last" as const,
  reference: async (field: string, within?: string) => {
    const id = await fixtures.resolver(owner)(field, within);
    return id === owner.userId ? colleague.userId : id;
  },
};

const auditCount = () => server.prisma.auditLog.count({ where: { organizationId: owner.orgId } });

describe("audit coverage", () => {
  it("enumerates the mutations of every record resource", () => {
    expect(mutations.map((p) => p.path)).toEqual(expect.arrayContaining(["leads.create", "leads.update", "leads.purge"]));
  });

  it.each(mutations.filter((p) => !p.notAudited).map((p) => [p.path, p] as const))(
    "%s writes an audit entry",
    async (_path, info) => {
      const values: Record<string, unknown> = {};
      if (info.idField) {
        const id = await fixtures.record(info.router, owner);
        // A procedure on records in a given state (restore: soft-deleted; reopen: closed) gets one, made by its router's own action.
        const prepared = await prepareRecord(info, id, changing.reference, async (preparation, input) => {
          expect((await callTrpc(owner.client, preparation, input)).code).toBe("OK");
        });
        Object.assign(values, prepared, addressing(info, [id]));
        // A bulk patch row is what the resource's update takes: generated like it, for the same record.
        const update = procedures.find((p) => p.path === `${info.router}.update`);
        if (info.idField === "rows" && update) {
          values[info.router] = [await generateInput(update, { values: { id }, ...changing })];
        }
      }
      const input = await generateInput(info, { values, ...changing });
      const before = await auditCount();
      const outcome = await callTrpc(owner.client, info, input);
      expect(outcome, JSON.stringify(input)).toMatchObject({ code: "OK" });
      expect(await auditCount(), JSON.stringify(outcome.data)).toBeGreaterThan(before);
    },
  );

  it.each(mutations.filter((p) => p.notAudited).map((p) => [p.path, p.notAudited] as const))(
    "%s is declared not audited, with a reason",
    (_path, reason) => {
      expect(reason?.length).toBeGreaterThan(10);
    },
  );
});
