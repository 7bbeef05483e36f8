import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addressing,
  callRest,
  callTrpc,
  containsAny,
  createFixtures,
  type Fixtures,
  gateOf,
  generateInput,
  type JsonSchema,
  type ProcedureInfo,
  preparationsOf,
  prepareRecord,
  procedures,
} from "./support/procedures.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * Every procedure that addresses a record by `id` is called by the owner of another organization
 * with the id of a record of org A, through the real server (tRPC over HTTP and REST). The
 * procedures and the records come from the router itself, so a new router is covered as soon as it
 * exists; one whose records the fixtures cannot make fails here instead of going unchecked.
 */

const idProcedures = procedures.filter((p) => p.takesId);
const recordRouters = [...new Set(idProcedures.map((p) => p.router))];
/** Queries that return what the caller's organization holds (lists, `me`, the permission matrix). */
const readProcedures = procedures.filter((p) => p.type === "query" && !p.takesId);

let server: TestServer;
let fixtures: Fixtures;
let ownerA: TestUser;
let ownerB: TestUser;
/** What org B's owner may do: the gate must let the attacker through for the lookup to be tested. */
let attackerPermissions: string[];
/** router → id of a record of org A (the victim) / of org B (B's own, the positive control of lists). */
const victims = new Map<string, string>();
const own = new Map<string, string>();

beforeAll(async () => {
  server = await startTestServer();
  fixtures = createFixtures(server);
  ownerA = await server.signup("Alice");
  ownerB = await server.signup("Bob");
  attackerPermissions = (await ownerB.client.auth.me.query()).permissions;
  for (const router of recordRouters.filter(fixtures.canMake)) {
    victims.set(router, await fixtures.record(router, ownerA));
    own.set(router, await fixtures.record(router, ownerB));
  }
});
afterAll(() => server?.close());

function byIdOf(router: string): ProcedureInfo | undefined {
  return procedures.find((p) => p.path === `${router}.byId`);
}

/** The record as its own organization reads it. */
async function readBack(router: string, id: string): Promise<unknown> {
  const byId = byIdOf(router);
  if (!byId) throw new Error(`${router} has no byId to read a record back with`);
  const outcome = await callTrpc(ownerA.client, byId, { id });
  expect(outcome, `org A reads its own ${router} record`).toMatchObject({ code: "OK" });
  return outcome.data;
}

/** A record of org B to mix into a bulk call of `info`, in the state `info` needs (bulkRestore: soft-deleted). */
async function ownRecordFor(info: ProcedureInfo): Promise<string | undefined> {
  if (preparationsOf(info).length === 0) return own.get(info.router);
  const id = await fixtures.record(info.router, ownerB);
  await prepareRecord(info, id, fixtures.resolver(ownerB), async (preparation, input) => {
    expect(await callTrpc(ownerB.client, preparation, input), preparation.path).toMatchObject({ code: "OK" });
  });
  return id;
}

/** The place of the `index`th record a bulk procedure lists: `ids.1`, or its row's id `leads.1.id`. */
function bulkPath(info: ProcedureInfo, index: number): string {
  return info.idField === "rows" ? `${info.router}.${index}.id` : `ids.${index}`;
}

function orgAIds(): string[] {
  return [ownerA.orgId, ownerA.userId, ...victims.values()];
}

describe("the enumeration", () => {
  it("finds the procedures that take a record id, including those of every resource router", () => {
    expect(idProcedures.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        "leads.byId",
        "leads.update",
        "leads.delete",
        "organizations.switch",
        "users.byId",
        "apiKeys.revoke",
      ]),
    );
    expect(recordRouters).toEqual(expect.arrayContaining(["organizations", "members", "roles", "users", "apiKeys", "leads"]));
  });

  it("can make a record of every router that has a procedure taking an id, and read it back", () => {
    const uncovered = idProcedures.filter((p) => !fixtures.canMake(p.router)).map((p) => p.path);
    expect(uncovered, "procedures taking an id whose records no fixture makes (add one in test/support/procedures.ts)").toEqual(
      [],
    );
    expect(recordRouters.filter((router) => !byIdOf(router))).toEqual([]);
  });
});

describe("a record of another organization reads as not found", () => {
  it.each(idProcedures.map((p) => [p.path, p] as const))(
    "%s: org B gets NOT_FOUND (tRPC and REST) for org A's record, which stays unchanged",
    async (_path, info) => {
      const bulk = info.idField === "ids" || info.idField === "rows";
      const victim = victims.get(info.router);
      const ownRecord = bulk ? await ownRecordFor(info) : own.get(info.router);
      if (!victim || !ownRecord) throw new Error(`${info.path} takes an id but no fixture makes a ${info.router} record`);
      if (info.permission) {
        expect(attackerPermissions, `an owner must hold ${info.permission} to get past the gate to the record lookup`).toContain(
          info.permission,
        );
      }
      const before = await readBack(info.router, victim);

      // A bulk call mixes B's own record in (twice in a list of ids, which is taken once): one
      // foreign id must spoil the whole call, and the refusal names its place as sent.
      const listed = (id: string) => (info.idField === "ids" ? [ownRecord, ownRecord, id] : bulk ? [ownRecord, id] : [id]);
      const target = (id: string) => addressing(info, listed(id));
      // Mutations get every optional field too, so a write that got through would show in the row.
      const input = await generateInput(info, {
        values: target(victim),
        optional: info.type === "mutation" ? "include" : "omit",
        reference: fixtures.resolver(ownerB),
      });
      const viaTrpc = await callTrpc(ownerB.client, info, input);
      expect(viaTrpc, JSON.stringify(input)).toMatchObject({ code: "NOT_FOUND" });

      // No existence leak: the answer is the one for an id that exists nowhere.
      const nowhere = randomUUID();
      const missing = await callTrpc(ownerB.client, info, { ...input, ...target(nowhere) });
      expect({ code: missing.code, message: missing.message?.replaceAll(nowhere, "<id>") }).toEqual({
        code: viaTrpc.code,
        message: viaTrpc.message?.replaceAll(victim, "<id>"),
      });

      // The foreign one is the last listed: `ids.2`, `leads.1.id`.
      const foreignAt = bulk ? [{ path: bulkPath(info, listed(victim).length - 1), message: expect.any(String) }] : undefined;
      if (foreignAt) {
        expect(viaTrpc.issues).toEqual(foreignAt);
        expect(missing.issues).toEqual(foreignAt);
      }

      if (info.openapi) {
        const viaRest = await callRest(server, ownerB.token(), info, input);
        expect(viaRest, `${info.openapi.method} ${info.openapi.path}`).toMatchObject({
          status: 404,
          code: "NOT_FOUND",
          message: viaTrpc.message,
        });
        if (foreignAt) expect((viaRest.body as { issues?: unknown }).issues).toEqual(foreignAt);
      }

      expect(await readBack(info.router, victim)).toEqual(before);
    },
  );

  it("organizations.byId and organizations.switch: a user of org B cannot read or enter org A", async () => {
    await expect(ownerB.client.organizations.byId.query({ id: ownerA.orgId })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    await expect(ownerB.client.organizations.switch.mutate({ id: ownerA.orgId })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    expect((await ownerB.client.auth.me.query()).activeOrganization.id).toBe(ownerB.orgId);
  });

  it("users.byId: org A's owner is not a user org B can see", async () => {
    await expect(ownerB.client.users.byId.query({ id: ownerA.userId })).rejects.toMatchObject({
      data: { code: "NOT_FOUND" },
    });
    expect((await server.rest("GET", `/users/${ownerA.userId}`, { token: ownerB.token() })).status).toBe(404);
  });
});

/** The uuid fields of an input besides the record it addresses (`assignedToId`, `roleId`, `mergeIds`, ...): references to other records. */
function referenceFields(info: ProcedureInfo): { field: string; list: boolean }[] {
  const isUuid = (schema: JsonSchema | undefined): boolean =>
    schema?.format === "uuid" || Boolean(schema?.anyOf?.some((branch) => branch.format === "uuid"));
  return Object.entries(info.schema?.properties ?? {}).flatMap(([field, schema]): { field: string; list: boolean }[] => {
    if (field === "id" || field === "ids") return [];
    if (isUuid(schema)) return [{ field, list: false }];
    if (schema.type === "array" && isUuid(schema.items)) return [{ field, list: true }];
    return [];
  });
}

/** Writes that point a record at others (a filter naming a foreign id is a read: it answers nothing of org A, see below). */
const referencing = procedures
  .filter((info) => info.type === "mutation" && gateOf(info).length > 0)
  .flatMap((info) => referenceFields(info).map((reference) => [`${info.path} ${reference.field}`, info, reference] as const));

describe("a reference to another organization's record reads as not found", () => {
  it("finds the reference fields of every procedure", () => {
    expect(referencing.map(([name]) => name)).toEqual(expect.arrayContaining(["leads.create assignedToId"]));
  });

  it.each(referencing)(
    "%s: org B naming org A's record is NOT_FOUND (tRPC and REST), nothing written",
    async (_name, info, reference) => {
      const foreign = await fixtures.reference(ownerA, reference.field, info.router);
      if (!foreign)
        throw new Error(
          `${info.path}: no fixture makes a record for ${reference.field} (see reference() in test/support/procedures.ts)`,
        );
      const values: Record<string, unknown> = { [reference.field]: reference.list ? [foreign] : foreign };
      const ownRecord = own.get(info.router);
      if (info.idField && ownRecord) Object.assign(values, addressing(info, [ownRecord]));
      const input = await generateInput(info, { values, reference: fixtures.resolver(ownerB) });
      const auditBefore = await server.prisma.auditLog.count({ where: { organizationId: ownerB.orgId } });
      const viaTrpc = await callTrpc(ownerB.client, info, input);
      expect(viaTrpc, JSON.stringify(input)).toMatchObject({ code: "NOT_FOUND" });
      const named = (issues: { path: string }[] | undefined) =>
        (issues ?? []).map((issue) => issue.path).filter((path) => path.split(".")[0] === reference.field);
      expect(named(viaTrpc.issues).length, `the refusal names ${reference.field}`).toBeGreaterThan(0);
      if (info.openapi) {
        const viaRest = await callRest(server, ownerB.token(), info, input);
        expect(viaRest, `${info.openapi.method} ${info.openapi.path}`).toMatchObject({ status: 404, code: "NOT_FOUND" });
      }
      expect(await server.prisma.auditLog.count({ where: { organizationId: ownerB.orgId } })).toBe(auditBefore);
    },
  );
});

describe("what org B reads holds nothing of org A", () => {
  it.each(readProcedures.map((p) => [p.path, p] as const))(
    "%s as org B shows none of org A's records (tRPC and REST)",
    async (_path, info) => {
      // The largest page, so that B's own record is in it.
      const limit = info.schema?.properties?.limit?.maximum;
      const input = await generateInput(info, {
        values: limit === undefined ? {} : { limit },
        reference: fixtures.resolver(ownerB),
      });
      const results: unknown[] = [];
      const viaTrpc = await callTrpc(ownerB.client, info, input);
      expect(viaTrpc).toMatchObject({ code: "OK" });
      results.push(viaTrpc.data);
      if (info.openapi) {
        const viaRest = await callRest(server, ownerB.token(), info, input);
        expect(viaRest.status).toBe(200);
        results.push(viaRest.body);
      }

      const ownRecord = own.get(info.router);
      for (const result of results) {
        expect(containsAny(result, orgAIds())).toEqual([]);
        // A list that answered nothing would pass the line above: it must show B's own record.
        if (/^list/.test(info.name) && ownRecord) expect(containsAny(result, [ownRecord])).toEqual([ownRecord]);
      }
    },
  );
});
