import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { type RestResponse, startTestServer, type TestServer, type TestUser } from "./support/server.ts";
import { type AccessTokenClaims, decodeClaims, forgeToken, nowInSeconds } from "./support/tokens.ts";

const JWT_SECRET = randomBytes(32).toString("hex");
const BODY_LIMIT_BYTES = 16_384;

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer({ JWT_SECRET, BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) });
  owner = await server.signup("Owner");
});
afterAll(() => server?.close());

/** A REST error: the status, `{ code, message, issues?, requestId }`, and the same request id in the header. */
function expectRestError(response: RestResponse, status: number, expected: { code: string; message: string; issues?: unknown }) {
  expect(response.status).toBe(status);
  const requestId = response.headers.get("x-request-id");
  expect(requestId).toEqual(expect.any(String));
  expect(response.body).toEqual({ ...expected, requestId });
}

/** A tRPC call over plain HTTP, for bodies the typed client would never send. */
async function rawTrpc(path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: init.body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${owner.token()}`, ...init.headers },
    body: init.body,
  });
  const body: any = await response.json();
  // Procedure errors come superjson-encoded; errors raised before a procedure runs do not.
  const error = body.error?.json ?? body.error;
  return { status: response.status, error, headers: response.headers };
}

const leadCount = () => server.prisma.lead.count({ where: { organizationId: owner.orgId } });

describe("invalid values are a 400 naming the field", () => {
  it("a value of the wrong type names the field and what was expected", async () => {
    const before = await leadCount();
    expect(await failure(owner.client.leads.create.mutate({ firstName: 42 } as never))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "firstName: Invalid input: expected string, received number",
    });

    const overRest = await server.rest("POST", "/leads", { token: owner.token(), body: { firstName: 42, tags: "vip" } });
    expectRestError(overRest, 400, {
      code: "BAD_REQUEST",
      message: "firstName: Invalid input: expected string, received number; tags: Invalid input: expected array, received string",
      issues: [
        { path: "firstName", message: "Invalid input: expected string, received number" },
        { path: "tags", message: "Invalid input: expected array, received string" },
      ],
    });

    const limit = await server.rest("GET", "/leads?limit=many", { token: owner.token() });
    expectRestError(limit, 400, {
      code: "BAD_REQUEST",
      message: "limit: Invalid input: expected number, received NaN",
      issues: [{ path: "limit", message: "Invalid input: expected number, received NaN" }],
    });
    expect(await leadCount()).toBe(before);
  });

  it("a missing required field is named", async () => {
    expect(await failure(owner.client.leads.create.mutate({} as never))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "firstName: is required",
    });
    const overRest = await server.rest("POST", "/auth/login", { body: { email: "someone@test.dev" } });
    expect(overRest.status).toBe(400);
    expect(overRest.body.message).toBe("password: is required");
  });

  it("unknown fields are refused by name, not silently dropped", async () => {
    expect(await failure(owner.client.leads.create.mutate({ firstName: "Ada", nickname: "A" } as never))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "unknown field(s): nickname",
    });

    const lead = await owner.client.leads.create.mutate({ firstName: "Ada" });
    const overRest = await server.rest("PATCH", `/leads/${lead.id}`, { token: owner.token(), body: { nickname: "A" } });
    expectRestError(overRest, 400, {
      code: "BAD_REQUEST",
      message: "unknown field(s): nickname",
      issues: [{ path: "(input)", message: "unknown field(s): nickname" }],
    });
    expect(await owner.client.leads.byId.query({ id: lead.id })).toEqual(lead);
  });

  it.each([
    ["id", randomUUID()],
    ["organizationId", randomUUID()],
    ["createdAt", new Date("2020-01-01")],
    ["updatedAt", new Date("2020-01-01")],
    ["deletedAt", null],
    ["createdById", randomUUID()],
    ["updatedById", randomUUID()],
    ["score", 100],
  ])("the server-owned field %s in leads.create is refused as an unknown field", async (field, value) => {
    expect(await failure(owner.client.leads.create.mutate({ firstName: "Sneaky", [field]: value } as never))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: `unknown field(s): ${field}`,
    });
    expect(await server.prisma.lead.count({ where: { firstName: "Sneaky" } })).toBe(0);
  });

  it("server-owned fields are refused over REST too, on create and on update", async () => {
    const sneaky = { firstName: "Sneaky", id: randomUUID(), organizationId: randomUUID(), createdAt: "2020-01-01", score: 100 };
    const created = await server.rest("POST", "/leads", { token: owner.token(), body: sneaky });
    expect(created.status).toBe(400);
    expect(created.body.message).toBe("unknown field(s): id, organizationId, createdAt, score");

    const lead = await owner.client.leads.create.mutate({ firstName: "Honest" });
    const updated = await server.rest("PATCH", `/leads/${lead.id}`, {
      token: owner.token(),
      body: { organizationId: randomUUID(), score: 100 },
    });
    expect(updated.status).toBe(400);
    expect(updated.body.message).toBe("unknown field(s): organizationId, score");
    expect(await owner.client.leads.byId.query({ id: lead.id })).toEqual(lead);
  });

  it("a string over its maximum length names the field and the limit", async () => {
    const before = await leadCount();
    expect(await failure(owner.client.leads.create.mutate({ firstName: "x".repeat(101) }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "firstName: must be at most 100 characters",
    });
    const overRest = await server.rest("POST", "/organizations", { token: owner.token(), body: { name: "o".repeat(121) } });
    expectRestError(overRest, 400, {
      code: "BAD_REQUEST",
      message: "name: must be at most 120 characters",
      issues: [{ path: "name", message: "must be at most 120 characters" }],
    });
    expect(await leadCount()).toBe(before);
  });

  it("a malformed id is a 400 naming the field, never a 404 or a 500", async () => {
    expect(await failure(owner.client.leads.byId.query({ id: "not-a-uuid" }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "id: must be a UUID",
    });
    expect(await failure(owner.client.leads.create.mutate({ firstName: "Ada", assignedToId: "42" }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "assignedToId: must be a UUID",
    });
    for (const [method, path] of [
      ["GET", "/leads/not-a-uuid"],
      ["DELETE", "/leads/1"],
      ["GET", "/members/%27%20OR%201%3D1"],
    ] as const) {
      expectRestError(await server.rest(method, path, { token: owner.token() }), 400, {
        code: "BAD_REQUEST",
        message: "id: must be a UUID",
        issues: [{ path: "id", message: "must be a UUID" }],
      });
    }
  });
});

describe("leads.list cursors", () => {
  const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString("base64url");
  const malformed = "cursor: malformed cursor; pass back the nextCursor of a previous page";

  beforeAll(async () => {
    for (const firstName of ["Paged", "Paged"]) await owner.client.leads.create.mutate({ firstName });
  });

  it("a cursor handed out by the previous page works", async () => {
    const page = await owner.client.leads.list.query({ limit: 1 });
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = await owner.client.leads.list.query({ limit: 1, cursor: page.nextCursor ?? undefined });
    expect(next.items).toHaveLength(1);
    expect(next.items[0]?.id).not.toBe(page.items[0]?.id);
  });

  it.each([
    ["not base64 JSON", "createdAt", "garbage!"],
    ["JSON that is not a cursor", "createdAt", encode([1, 2, 3])],
    ["a cursor whose id is not a UUID", "createdAt", encode({ f: "createdAt", o: "desc", v: new Date(), id: "1 OR 1=1" })],
    ["a cursor whose value is not a date", "createdAt", encode({ f: "createdAt", o: "desc", v: "yesterday", id: randomUUID() })],
    ["a cursor whose value is not a number", "score", encode({ f: "score", o: "desc", v: "high", id: randomUUID() })],
    ["a cursor whose number overflows its column", "score", encode({ f: "score", o: "desc", v: 1e300, id: randomUUID() })],
    ["a null value for a required sort field", "createdAt", encode({ f: "createdAt", o: "desc", v: null, id: randomUUID() })],
  ] as const)("%s is a 400 naming cursor, over tRPC and REST", async (_case, sortBy, cursor) => {
    expect(await failure(owner.client.leads.list.query({ cursor, sortBy }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: malformed,
    });
    const overRest = await server.rest("GET", `/leads?sortBy=${sortBy}&cursor=${encodeURIComponent(cursor)}`, {
      token: owner.token(),
    });
    expectRestError(overRest, 400, {
      code: "BAD_REQUEST",
      message: malformed,
      issues: [{ path: "cursor", message: malformed.slice("cursor: ".length) }],
    });
  });

  it("a cursor from another sort order is a 400 that says so", async () => {
    const page = await owner.client.leads.list.query({ limit: 1, sortOrder: "asc" });
    expect(await failure(owner.client.leads.list.query({ cursor: page.nextCursor ?? "", sortOrder: "desc" }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "cursor: this cursor belongs to a different sortBy/sortOrder",
    });
  });
});

describe("malformed requests", () => {
  it("a malformed JSON body is a 400 over REST and over /trpc", async () => {
    const before = await leadCount();
    const overRest = await server.rest("POST", "/leads", { token: owner.token(), rawBody: '{"firstName": ' });
    expect(overRest.status).toBe(400);
    expect(overRest.body).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^Malformed JSON body: /),
      requestId: overRest.headers.get("x-request-id"),
    });

    const overTrpc = await rawTrpc("leads.create", {
      body: '{"json": {"firstName": ',
      headers: { "content-type": "application/json" },
    });
    expect(overTrpc.status).toBe(400);
    expect(overTrpc.error.data).toMatchObject({
      code: "BAD_REQUEST",
      httpStatus: 400,
      requestId: overTrpc.headers.get("x-request-id"),
    });
    expect(overTrpc.error.message).toMatch(/JSON/);
    expect(await leadCount()).toBe(before);
  });

  it("a body that is not JSON is a 415 naming the content type", async () => {
    const plain = await server.rest("POST", "/leads", {
      token: owner.token(),
      rawBody: "firstName=Ada",
      headers: { "content-type": "text/plain" },
    });
    expect(plain.status).toBe(415);
    expect(plain.body).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", requestId: plain.headers.get("x-request-id") });
    expect(plain.body.message).toContain("text/plain");

    const xml = await server.rest("POST", "/leads", {
      token: owner.token(),
      rawBody: "<lead/>",
      headers: { "content-type": "application/xml" },
    });
    expect(xml.status).toBe(415);
    expect(xml.body).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", requestId: xml.headers.get("x-request-id") });

    const overTrpc = await rawTrpc("leads.create", { body: "firstName=Ada", headers: { "content-type": "text/plain" } });
    expect(overTrpc.status).toBe(415);
    expect(overTrpc.error.data).toMatchObject({
      code: "UNSUPPORTED_MEDIA_TYPE",
      httpStatus: 415,
      requestId: overTrpc.headers.get("x-request-id"),
    });
    expect(overTrpc.error.message).toContain("text/plain");
  });

  it("a body over BODY_LIMIT_BYTES is a 413 over REST and in the typed client, and nothing is written", async () => {
    const before = await leadCount();
    const notes = "n".repeat(BODY_LIMIT_BYTES + 1);
    const overRest = await server.rest("POST", "/leads", { token: owner.token(), body: { firstName: "Big", notes } });
    expectRestError(overRest, 413, { code: "PAYLOAD_TOO_LARGE", message: "Request body is too large" });

    expect(await failure(owner.client.leads.create.mutate({ firstName: "Big", notes }))).toEqual({
      code: "PAYLOAD_TOO_LARGE",
      httpStatus: 413,
      message: "Request body is too large",
    });
    expect(await leadCount()).toBe(before);
  });

  it("an unknown route is a JSON 404, over REST, outside it and over /trpc", async () => {
    const unknownRest = await server.rest("GET", "/no-such-resource", { token: owner.token() });
    expectRestError(unknownRest, 404, { code: "NOT_FOUND", message: expect.any(String) });
    expect(unknownRest.headers.get("content-type")).toMatch(/^application\/json/);

    const wrongMethod = await server.rest("PUT", "/leads", { token: owner.token(), body: {} });
    expectRestError(wrongMethod, 405, {
      code: "METHOD_NOT_SUPPORTED",
      message: "PUT is not allowed on /api/v1/leads; it allows GET, POST",
    });

    const outside = await fetch(`${server.url}/no-such-page?x=1`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toEqual({
      code: "NOT_FOUND",
      message: "No route for GET /no-such-page",
      requestId: outside.headers.get("x-request-id"),
    });

    const unknownProcedure = await rawTrpc("leads.nope");
    expect(unknownProcedure.status).toBe(404);
    expect(unknownProcedure.error).toMatchObject({
      message: 'No procedure found on path "leads.nope"',
      data: { code: "NOT_FOUND", httpStatus: 404, requestId: unknownProcedure.headers.get("x-request-id") },
    });
    expect(unknownProcedure.headers.get("x-request-id")).toEqual(expect.any(String));
  });

  it("echoes a well-formed X-Request-Id from the caller in the header and in the error body", async () => {
    const response = await server.rest("GET", "/leads/not-a-uuid", {
      token: owner.token(),
      headers: { "x-request-id": "caller-trace.42" },
    });
    expect(response.headers.get("x-request-id")).toBe("caller-trace.42");
    expect(response.body.requestId).toBe("caller-trace.42");

    const unsafe = await server.rest("GET", "/leads/not-a-uuid", {
      token: owner.token(),
      headers: { "x-request-id": "<script>" },
    });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("credentials that are not good are a 401 saying why", () => {
  const claims = (): AccessTokenClaims => decodeClaims(owner.token());
  const hs256 = (payload: AccessTokenClaims) => forgeToken(payload, { alg: "HS256", secret: JWT_SECRET });

  const cases: [string, () => string, string][] = [
    [
      "an expired token",
      () => hs256({ ...claims(), iat: nowInSeconds() - 3600, exp: nowInSeconds() - 60 }),
      "Access token has expired",
    ],
    [
      "a token signed with another secret",
      () => forgeToken(claims(), { alg: "HS256", secret: randomBytes(32).toString("hex") }),
      "Access token signature is invalid",
    ],
    [
      "an unsigned token (alg none)",
      () => forgeToken(claims(), { alg: "none" }),
      "Access token uses an algorithm that is not accepted",
    ],
    [
      "an HS512 token, even with the right secret",
      () => forgeToken(claims(), { alg: "HS512", secret: JWT_SECRET }),
      "Access token uses an algorithm that is not accepted",
    ],
    ["an RS256 token", () => forgeToken(claims(), { alg: "RS256" }), "Access token uses an algorithm that is not accepted"],
    ["a token without a session id", () => hs256({ ...claims(), sid: undefined }), "Access token is missing required claims"],
    ["a token without a subject", () => hs256({ ...claims(), sub: undefined }), "Access token is missing required claims"],
    ["a token without an expiry", () => hs256({ ...claims(), exp: undefined }), 'Access token claim "exp" is invalid'],
    ["a token from another issuer", () => hs256({ ...claims(), iss: "someone-else" }), 'Access token claim "iss" is invalid'],
    ["a token for another audience", () => hs256({ ...claims(), aud: "other-api" }), 'Access token claim "aud" is invalid'],
    [
      "a token whose session id is not a UUID",
      () => hs256({ ...claims(), sid: "1 OR 1=1" }),
      "Access token is missing required claims",
    ],
    [
      "a token for a session that does not exist",
      () => hs256({ ...claims(), sid: randomUUID() }),
      "Session not found; log in again",
    ],
    [
      "a token for an organization the session is not in",
      () => hs256({ ...claims(), org: randomUUID() }),
      "Session not found; log in again",
    ],
    ["a token that is not a JWT", () => "not.a.jwt", "Access token is malformed"],
    ["an API key that does not exist", () => `crm_${randomBytes(32).toString("base64url")}`, "API key is not valid"],
  ];

  it.each(cases)("%s", async (_case, token, message) => {
    const bearer = token();
    expect(await failure(server.client({ token: bearer }).leads.list.query({}))).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message,
    });
    expectRestError(await server.rest("GET", "/leads", { token: bearer }), 401, { code: "UNAUTHORIZED", message });
  });

  it.each([
    ["Basic b3duZXI6cGFzc3dvcmQ=", "Authorization header must be: Bearer <token>"],
    ["Bearer", "Authorization header must be: Bearer <token>"],
    ["Bearer two tokens", "Authorization header must be: Bearer <token>"],
    ["Token abc", "Authorization header must be: Bearer <token>"],
    ["   ", "Missing Authorization header (expected: Bearer <token>)"],
  ])("the Authorization header %j is refused: %s", async (authorization, message) => {
    expect(await failure(server.client({ headers: { authorization } }).leads.list.query({}))).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message,
    });
    expectRestError(await server.rest("GET", "/leads", { headers: { authorization } }), 401, { code: "UNAUTHORIZED", message });
  });

  it("no Authorization header at all is refused and says what to send", async () => {
    const message = "Missing Authorization header (expected: Bearer <token>)";
    expect(await failure(server.client().leads.list.query({}))).toEqual({ code: "UNAUTHORIZED", httpStatus: 401, message });
    expectRestError(await server.rest("GET", "/leads"), 401, { code: "UNAUTHORIZED", message });
  });
});
