import { BUILT_IN_ROLES } from "@crm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addressing,
  callRest,
  callTrpc,
  createFixtures,
  type Fixtures,
  gateOf,
  generateInput,
  type Outcome,
  type ProcedureInfo,
  procedures,
  type RestOutcome,
} from "./support/procedures.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * The permission matrix as the server enforces it: every procedure gated by a permission, called
 * by a member of each built-in role through tRPC and REST, is refused with FORBIDDEN exactly when
 * the role lacks that permission (BUILT_IN_ROLES). The procedures come from the router, so a new
 * one is in the matrix as soon as it exists.
 */

type RoleKey = keyof typeof BUILT_IN_ROLES;
const ROLES = Object.keys(BUILT_IN_ROLES) as RoleKey[];
const gated = procedures.filter((p) => p.permission || p.anyPermission);

let server: TestServer;
let fixtures: Fixtures;
let owner: TestUser;
const callers = {} as Record<RoleKey, TestUser>;
/** One record per router for reads and refused calls (see prepare). */
const sharedRecords = new Map<string, string>();

beforeAll(async () => {
  server = await startTestServer();
  fixtures = createFixtures(server);
  owner = await server.signup("Owner");
  for (const role of ROLES) callers[role] = await server.member(owner, role);
});
afterAll(() => server?.close());

function allowedTo(role: RoleKey, info: ProcedureInfo): boolean {
  return gateOf(info).some((permission) => BUILT_IN_ROLES[role].permissions.includes(permission));
}

interface Call {
  caller: TestUser;
  input: Record<string, unknown> | undefined;
}

/**
 * Where the gate is not the only rule, the call is aimed so that only the gate decides: users may
 * rename themselves (others need members:manage too), deactivating yourself is done by a
 * throw-away member, and adding a member needs a user who is not one yet.
 */
const aimed: Record<string, (role: RoleKey) => Promise<Partial<Call> & { values: Record<string, unknown> }>> = {
  "users.update": async (role) => ({ values: { id: callers[role].userId } }),
  "users.delete": async (role) => {
    const throwAway = await server.member(owner, role, `${role}-leaving`);
    return { caller: throwAway, values: { id: throwAway.userId } };
  },
  "members.add": async () => ({ values: { email: (await fixtures.freshUser()).email } }),
};

/**
 * A valid call of `info` by a member of `role`. An allowed write gets a fresh record of the
 * owner's (an earlier call may have deleted the shared one); reads and refused calls share one,
 * which exists, so a missing gate would let the call through.
 */
async function prepare(info: ProcedureInfo, role: RoleKey): Promise<Call> {
  const aim = await aimed[info.path]?.(role);
  const values = { ...aim?.values };
  if (info.idField && !(info.idField in values)) {
    if (!fixtures.canMake(info.router)) throw new Error(`${info.path} takes an id but no fixture makes a ${info.router} record`);
    const fresh = info.type === "mutation" && allowedTo(role, info);
    let record = sharedRecords.get(info.router);
    if (fresh || !record) record = await fixtures.record(info.router, owner);
    if (!fresh) sharedRecords.set(info.router, record);
    Object.assign(values, addressing(info, [record]));
  }
  const caller = aim?.caller ?? callers[role];
  const input = await generateInput(info, { values, reference: fixtures.resolver(caller) });
  return { caller, input };
}

/** The refusal of a gate: `Missing permission leads:read`, or `... one of a, b` for a gate of several. */
function refusal(info: ProcedureInfo): string {
  const gate = gateOf(info);
  return `Missing permission ${gate.length === 1 ? gate[0] : `one of ${gate.join(", ")}`}`;
}

/** Failures that no role should ever get for a valid call, whatever it is allowed. */
const NEVER = ["FORBIDDEN", "UNAUTHORIZED", "INTERNAL_SERVER_ERROR"];

function expectTrpc(outcome: Outcome, allowed: boolean, info: ProcedureInfo) {
  if (allowed) expect(NEVER, `${outcome.code}: ${outcome.message}`).not.toContain(outcome.code);
  else expect(outcome).toMatchObject({ code: "FORBIDDEN", message: refusal(info) });
}

function expectRest(outcome: RestOutcome, allowed: boolean, info: ProcedureInfo) {
  if (allowed) expect([403, 401, 500], `${outcome.status} ${outcome.message}`).not.toContain(outcome.status);
  else expect(outcome).toMatchObject({ status: 403, code: "FORBIDDEN", message: refusal(info) });
}

describe("the callers", () => {
  it.each(ROLES)("the %s member holds exactly the permissions of the built-in role", async (role) => {
    const me = await callers[role].client.auth.me.query();
    expect(me.role.key).toBe(role);
    expect(me.permissions).toEqual([...BUILT_IN_ROLES[role].permissions].sort());
  });

  it("every gated procedure is enumerated, with a permission the API knows", async () => {
    expect(gated.map((p) => p.path)).toEqual(
      expect.arrayContaining(["leads.create", "members.add", "roles.update", "apiKeys.revoke", "organizations.update"]),
    );
    const known = (await owner.client.roles.permissions.query()).permissions;
    expect(gated.filter((p) => gateOf(p).some((permission) => !known.includes(permission)))).toEqual([]);
  });
});

describe.each(gated.map((p) => [p.path, p] as const))("%s", (_path, info) => {
  it.each(ROLES.map((role) => [role, allowedTo(role, info)] as const))(
    `%s: refused (FORBIDDEN) exactly when the role lacks ${gateOf(info).join(" or ")} [allowed: %s]`,
    async (role, allowed) => {
      const viaTrpc = await prepare(info, role);
      expectTrpc(await callTrpc(viaTrpc.caller.client, info, viaTrpc.input), allowed, info);
      if (info.openapi) {
        const viaRest = await prepare(info, role);
        expectRest(await callRest(server, viaRest.caller.token(), info, viaRest.input), allowed, info);
      }
    },
  );
});

describe("the gate comes first", () => {
  it("a role without the permission is refused before its input is validated: it learns nothing about the input", async () => {
    const mismatches: string[] = [];
    for (const info of gated.filter((p) => p.input)) {
      const role = ROLES.find((r) => !allowedTo(r, info));
      if (!role) continue;
      const invalid = { unexpectedField: true };
      const viaTrpc = await callTrpc(callers[role].client, info, invalid);
      if (viaTrpc.code !== "FORBIDDEN") mismatches.push(`${info.path} as ${role} via tRPC: ${viaTrpc.code} ${viaTrpc.message}`);
      if (info.openapi) {
        // Every path parameter (`{id}`, `{companyId}`) is invalid too.
        const pathParameters = Object.fromEntries(
          [...info.openapi.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name as string, "not-a-uuid"]),
        );
        const viaRest = await callRest(server, callers[role].token(), info, { ...pathParameters, ...invalid });
        if (viaRest.status !== 403) mismatches.push(`${info.path} as ${role} via REST: ${viaRest.status} ${viaRest.message}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe("API keys act with their role's permissions", () => {
  it("a viewer API key reads leads and is FORBIDDEN to create one (tRPC and REST)", async () => {
    const roles = await owner.client.roles.list.query();
    const viewer = roles.items.find((r) => r.key === "viewer" && r.isBuiltIn);
    if (!viewer) throw new Error("no built-in viewer role");
    const lead = await owner.client.leads.create.mutate({ firstName: "Grace", lastName: "Hopper" });
    const key = await owner.client.apiKeys.create.mutate({ name: "reporting", roleId: viewer.id });
    const service = server.client({ apiKey: key.secret });

    expect((await service.leads.list.query({})).items.map((l) => l.id)).toContain(lead.id);
    expect(await service.leads.byId.query({ id: lead.id })).toMatchObject({ id: lead.id, firstName: "Grace" });
    await expect(service.leads.create.mutate({ firstName: "Refused" })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
      message: "Missing permission leads:write",
    });

    const listed = await server.rest("GET", "/leads", { token: key.secret });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((l: { id: string }) => l.id)).toContain(lead.id);
    expect((await server.rest("GET", `/leads/${lead.id}`, { token: key.secret })).status).toBe(200);
    const refused = await server.rest("POST", "/leads", { token: key.secret, body: { firstName: "Refused" } });
    expect(refused).toMatchObject({ status: 403, body: { code: "FORBIDDEN", message: "Missing permission leads:write" } });

    expect(await server.prisma.lead.count({ where: { organizationId: owner.orgId, firstName: "Refused" } })).toBe(0);
  });
});
