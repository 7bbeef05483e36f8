import { CrmHttpError, TRPCClientError } from "@crm-api/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResponseValidator, type OpenApiDocument } from "./support/openapi.ts";
import { PASSWORD, type RestResponse, startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * Every 400 and 409 names its fields in `issues: [{ path, message }]` (and a conflict with another
 * record that record's `existingId`), over tRPC and REST alike, and the REST body is the one the
 * served document declares.
 */

let server: TestServer;
let owner: TestUser;
let problemsOf: ReturnType<typeof createResponseValidator>;

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signup("Owner");
  problemsOf = createResponseValidator((await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as OpenApiDocument);
});
afterAll(() => server?.close());

/** The REST error body, after checking it against the document's declaration of the operation. */
function declared(method: string, route: string, response: RestResponse) {
  expect(problemsOf(method, route, response)).toEqual([]);
  return response.body;
}

/** What a typed-client caller sees of a failed call, `data` included. */
async function trpcFailure(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TRPCClientError)) throw new Error(`expected a tRPC error, got ${String(error)}`);
  const { code, httpStatus, issues, existingId } = error.data as Record<string, unknown>;
  return { code, httpStatus, message: error.message, issues, ...(existingId === undefined ? {} : { existingId }) };
}

async function roleIdOf(key: string) {
  const role = (await owner.client.roles.list.query()).items.find((r) => r.key === key);
  if (!role) throw new Error(`no role ${key}`);
  return role.id;
}

describe("409", () => {
  it("adding someone who is already a member names email and the existing member", async () => {
    const member = await server.member(owner, "agent");
    const viewer = await roleIdOf("viewer");
    const message = `${member.email} is already a member of this organization (member ${member.membershipId})`;
    const expected = {
      code: "CONFLICT",
      message: `email: ${message}`,
      issues: [{ path: "email", message }],
      existingId: member.membershipId,
    };

    expect(await trpcFailure(owner.client.members.add.mutate({ email: member.email, roleId: viewer }))).toEqual({
      ...expected,
      httpStatus: 409,
    });
    const overRest = await server.rest("POST", "/members", {
      token: owner.token(),
      body: { email: member.email, roleId: viewer },
    });
    expect(overRest.status).toBe(409);
    expect(declared("POST", "/members", overRest)).toEqual({ ...expected, requestId: overRest.headers.get("x-request-id") });
  });

  it("a unique violation caught by the database names the field the caller sent, never organizationId or the constraint", async () => {
    await owner.client.roles.create.mutate({ key: "closer", name: "Closer", permissions: [] });
    const expected = {
      code: "CONFLICT",
      message: "Another record already uses this organizationId, key",
      issues: [{ path: "key", message: "another record already uses this value" }],
    };

    expect(await trpcFailure(owner.client.roles.create.mutate({ key: "closer", name: "Again", permissions: [] }))).toEqual({
      ...expected,
      httpStatus: 409,
    });
    const body = { key: "closer", name: "Again", permissions: [] };
    const overRest = await server.rest("POST", "/roles", { token: owner.token(), body });
    expect(overRest.status).toBe(409);
    expect(declared("POST", "/roles", overRest)).toEqual({ ...expected, requestId: overRest.headers.get("x-request-id") });
  });

  it("a conflict with the record's state is about the input as a whole", async () => {
    const role = await owner.client.roles.create.mutate({ key: "held", name: "Held", permissions: [] });
    const holder = await server.member(owner, "viewer", "Holder");
    await owner.client.members.update.mutate({ id: holder.membershipId, roleId: role.id });
    const message = "This role is still held by members or API keys; reassign them first";
    const expected = { code: "CONFLICT", message, issues: [{ path: "(input)", message }] };

    expect(await trpcFailure(owner.client.roles.delete.mutate({ id: role.id }))).toEqual({ ...expected, httpStatus: 409 });
    const overRest = await server.rest("DELETE", `/roles/${role.id}`, { token: owner.token() });
    expect(overRest.status).toBe(409);
    expect(declared("DELETE", "/roles/{id}", overRest)).toEqual({ ...expected, requestId: overRest.headers.get("x-request-id") });
  });

  it("signing up with a taken email names email, and no other account's id", async () => {
    const body = { email: owner.email, password: PASSWORD, name: "Again" };
    const expected = {
      code: "CONFLICT",
      message: "email: an account with this email already exists",
      issues: [{ path: "email", message: "an account with this email already exists" }],
    };
    expect(await trpcFailure(server.client().$session.signup(body))).toEqual({ ...expected, httpStatus: 409 });
    const overRest = await server.rest("POST", "/auth/signup", { body });
    expect(declared("POST", "/auth/signup", overRest)).toEqual({ ...expected, requestId: overRest.headers.get("x-request-id") });
  });
});

describe("400 from a rule no schema can check", () => {
  it("an API key expiring in the past names expiresAt", async () => {
    const viewer = await roleIdOf("viewer");
    const expiresAt = new Date(Date.now() - 60_000);
    const expected = {
      code: "BAD_REQUEST",
      message: "expiresAt: must be in the future",
      issues: [{ path: "expiresAt", message: "must be in the future" }],
    };

    expect(await trpcFailure(owner.client.apiKeys.create.mutate({ name: "Past", roleId: viewer, expiresAt }))).toEqual({
      ...expected,
      httpStatus: 400,
    });
    const body = { name: "Past", roleId: viewer, expiresAt: expiresAt.toISOString() };
    const overRest = await server.rest("POST", "/api-keys", { token: owner.token(), body });
    expect(overRest.status).toBe(400);
    expect(declared("POST", "/api-keys", overRest)).toEqual({ ...expected, requestId: overRest.headers.get("x-request-id") });
    expect(await server.prisma.apiKey.count({ where: { organizationId: owner.orgId, name: "Past" } })).toBe(0);
  });

  it("a wrong current password names currentPassword", async () => {
    const user = await server.signup("Forgetful");
    const body = { currentPassword: "not the password", newPassword: "a brand new password" };
    const expected = {
      code: "BAD_REQUEST",
      message: "currentPassword: is incorrect",
      issues: [{ path: "currentPassword", message: "is incorrect" }],
    };
    expect(await trpcFailure(user.client.auth.changePassword.mutate(body))).toEqual({ ...expected, httpStatus: 400 });
    const overRest = await server.rest("POST", "/auth/change-password", { token: user.token(), body });
    expect(declared("POST", "/auth/change-password", overRest)).toEqual({
      ...expected,
      requestId: overRest.headers.get("x-request-id"),
    });
  });

  it("a malformed cursor names cursor", async () => {
    const message = "malformed cursor; pass back the nextCursor of a previous page";
    const expected = { code: "BAD_REQUEST", message: `cursor: ${message}`, issues: [{ path: "cursor", message }] };
    expect(await trpcFailure(owner.client.users.list.query({ cursor: "garbage!" }))).toEqual({ ...expected, httpStatus: 400 });
    const overRest = await server.rest("GET", "/users?cursor=garbage!", { token: owner.token() });
    expect(declared("GET", "/users", overRest)).toEqual({ ...expected, requestId: overRest.headers.get("x-request-id") });
  });

  it("an import file the server refuses names the upload's file field", async () => {
    const refused = await owner.client.$files.importLeads(new Uint8Array(), { filename: "leads.csv" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(CrmHttpError);
    expect(refused).toMatchObject({
      status: 400,
      code: "BAD_REQUEST",
      message: "the file is empty",
      issues: [{ path: "file", message: "the file is empty" }],
    });
  });
});
