import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { BUILT_IN_ROLES, openApiDocument, RESOURCES } from "@crm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDatabaseProxy } from "./support/db-proxy.ts";
import { csvOf, waitForImport } from "./support/imports.ts";
import {
  createResponseValidator,
  documentOperations,
  type ObservedResponse,
  type OpenApiDocument,
  operationKey,
} from "./support/openapi.ts";
import {
  addressing,
  callRest,
  createFixtures,
  type Fixtures,
  gateOf,
  generateInput,
  type ProcedureInfo,
  prepareRecord,
  procedures,
  uniqueSuffix,
} from "./support/procedures.ts";
import { RawConnection } from "./support/raw-http.ts";
import { PASSWORD, startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * The document against the behaviour: a scenario calls every operation the document lists (valid
 * calls built from the router, and deliberate errors: no token, a role without the permission, an
 * unknown id, an invalid input, a body that is not a JSON object, a wrong media type, an oversized
 * body, a URL or headers too long, a duplicate, a spent login budget) and every answer must be
 * declared by its operation, status, headers and body. An operation the scenario never got a
 * success from fails the last test, so a new one is covered.
 */

const BODY_LIMIT = 65_536;
/** JSON bodies that are not objects, and what the server calls each. */
const NOT_OBJECTS = [
  ["null", "null"],
  ["[]", "an array"],
  ["42", "a number"],
  ["true", "a boolean"],
  ['"s"', "a string"],
  ['[{"name":"arr"}]', "an array"],
] as const;
const LOGIN_FAILURES = 2;

let server: TestServer;
let fixtures: Fixtures;
let document: OpenApiDocument | undefined;
/** The document the API generates, for choosing the operations of each test before the server runs. */
const generatedDocument = openApiDocument("http://127.0.0.1") as unknown as OpenApiDocument;
let problemsOf: ReturnType<typeof createResponseValidator>;
let owner: TestUser;
let viewer: TestUser;
let apiKey: string;
/** Operation → the statuses it answered in this run. */
const observed = new Map<string, Set<number>>();
const problems: string[] = [];

function check(method: string, route: string, response: ObservedResponse) {
  problems.push(...problemsOf(method, route, response));
  const key = operationKey(method, route);
  if (!observed.has(key)) observed.set(key, new Set());
  observed.get(key)?.add(response.status);
  return response;
}

const routed = procedures.filter((p): p is ProcedureInfo & { openapi: { method: string; path: string } } => !!p.openapi);
/** The server reads the body of every method but GET (Fastify reads a DELETE's too, though no operation takes one). */
const readsBody = (info: (typeof routed)[number]) => info.openapi.method.toUpperCase() !== "GET";

async function call(info: (typeof routed)[number], token: string, input: Record<string, unknown> | undefined) {
  const outcome = await callRest(server, token, info, input);
  check(info.openapi.method, info.openapi.path, outcome);
  return outcome;
}

beforeAll(async () => {
  server = await startTestServer({
    BODY_LIMIT_BYTES: String(BODY_LIMIT),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: String(LOGIN_FAILURES),
  });
  fixtures = createFixtures(server);
  const response = await fetch(`${server.url}/api/v1/openapi.json`);
  document = (await response.json()) as OpenApiDocument;
  problemsOf = createResponseValidator(document);
  owner = await server.signup("Owner");
  viewer = await server.member(owner, "viewer");
  const viewerRole = (await owner.client.roles.list.query()).items.find((role) => role.key === "viewer");
  apiKey = (await owner.client.apiKeys.create.mutate({ name: "conformance", roleId: viewerRole?.id ?? "" })).secret;
});
afterAll(() => server?.close());

interface Aim {
  caller?: TestUser;
  values?: Record<string, unknown>;
  /** Runs before the call, e.g. to put the record in the state the call needs. */
  before?(id: string): Promise<void>;
}

/**
 * Where a valid call needs more than a generated input: a session of its own to end or change,
 * a user who is not a member yet, a record in the state the call changes from.
 */
const aims: Record<string, () => Promise<Aim>> = {
  "auth.login": async () => ({ values: { email: (await server.signup("Login")).email, password: PASSWORD } }),
  "auth.refresh": async () => {
    const user = await server.signup("Refresh");
    return { values: { refreshToken: user.client.$session.tokens?.refreshToken } };
  },
  "auth.logout": async () => ({ caller: await server.signup("Logout") }),
  "auth.changePassword": async () => ({ caller: await server.signup("Password"), values: { currentPassword: PASSWORD } }),
  "users.update": async () => ({ values: { id: owner.userId } }),
  // Deactivating another member's user (deactivating yourself would leave your own organization ownerless).
  "users.delete": async () => {
    const user = await fixtures.freshUser();
    const role = (await owner.client.roles.list.query()).items.find((r) => r.key === "agent");
    await owner.client.members.add.mutate({ email: user.email, roleId: role?.id ?? "" });
    return { values: { id: user.id } };
  },
  "members.add": async () => ({ values: { email: (await fixtures.freshUser()).email } }),
  "members.reactivate": async () => ({
    before: async (id) => void (await owner.client.members.deactivate.mutate({ id })),
  }),
  // Only a job that failed on the server (its upload kept) can be retried; the fixture's job completed.
  "imports.retry": async () => ({
    before: async (id) => {
      const job = await server.prisma.importJob.update({ where: { id }, data: { status: "failed", errorMessage: "gave up" } });
      writeFileSync(path.join(server.config.importDir, job.storedFile), csvOf([["First Name"], ["Retried"]]));
    },
  }),
};

/** A valid call of `info` by the owner (or the aimed caller), on a fresh record when it writes one. */
async function validCall(info: (typeof routed)[number]) {
  const aim = (await aims[info.path]?.()) ?? {};
  const caller = aim.caller ?? owner;
  const values = { ...aim.values };
  if (info.idField && !(info.idField in values)) {
    const id = await fixtures.record(info.router, owner);
    // A procedure on records in a given state (restore: soft-deleted; reopen: closed) gets one, made by its router's own action.
    const prepared = await prepareRecord(info, id, fixtures.resolver(owner), async (preparation, input) => {
      expect((await callRest(server, owner.token(), preparation, input)).status).toBeLessThan(300);
    });
    await aim.before?.(id);
    Object.assign(values, prepared, addressing(info, [id]));
  }
  const input = await generateInput(info, { values, reference: fixtures.resolver(caller) });
  return { caller, input };
}

describe("every operation answers as the document says", () => {
  it.each(routed.map((info) => [info.path, info] as const))("%s: a valid call", async (_path, info) => {
    const { caller, input } = await validCall(info);
    const response = await call(info, caller.token(), input);
    expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  });

  // One test per operation, so that each stays short however many operations there are.
  const each = (operations: typeof routed) => it.each(operations.map((info) => [info.path, info] as const));

  each(routed.filter((p) => documentOperation(p)?.security?.length))("%s: no credential is 401", async (_path, info) => {
    const { input } = await validCall(info);
    expect((await call(info, "", input)).status, info.path).toBe(401);
  });

  const viewerLacks = (info: (typeof routed)[number]) =>
    gateOf(info).length > 0 && !gateOf(info).some((permission) => BUILT_IN_ROLES.viewer.permissions.includes(permission));
  each(routed.filter(viewerLacks))("%s: a viewer, whose role lacks the permission, is 403", async (_path, info) => {
    const { input } = await validCall(info);
    expect((await call(info, viewer.token(), input)).status, info.path).toBe(403);
  });

  each(routed.filter((p) => p.router === "auth" && gateOf(p).length === 0 && documentOperation(p)?.security?.length))(
    "%s: an API key where a user session is needed is 403",
    async (_path, info) => {
      const { input } = await validCall(info);
      expect((await call(info, apiKey, input)).status, info.path).toBe(403);
    },
  );

  each(routed.filter((p) => p.idField))("%s: an unknown id is 404", async (_path, info) => {
    const values = addressing(info, [randomUUID()]);
    const input = await generateInput(info, { values, reference: fixtures.resolver(owner) });
    expect((await call(info, owner.token(), input)).status, info.path).toBe(404);
  });

  const uuidFields = (info: (typeof routed)[number]) =>
    Object.entries(info.schema?.properties ?? {}).filter(
      ([field, schema]) => field !== "id" && (schema.format === "uuid" || schema.anyOf?.some((b) => b.format === "uuid")),
    );
  each(routed.filter((p) => p.path !== "auth.login" && uuidFields(p).length > 0))(
    "%s: an unknown reference in the input is a declared 4xx",
    async (_path, info) => {
      for (const [field] of uuidFields(info)) {
        const { caller, input } = await validCall(info);
        const response = await call(info, caller.token(), { ...input, [field]: randomUUID() });
        expect(response.status, `${info.path} ${field}`).toBeLessThan(500);
      }
    },
  );

  each(routed.filter((p) => p.input))("%s: an invalid input is 400 naming the field", async (_path, info) => {
    const { caller, input } = await validCall(info);
    const response = await call(info, caller.token(), { ...input, unexpectedField: "1" });
    expect(response.status, info.path).toBe(400);
    expect(response.message, info.path).toContain("unexpectedField");
  });

  it("a body that is not JSON: 415; a body over the limit: 413", async () => {
    for (const info of routed.filter(readsBody)) {
      const path = info.openapi.path.replace("{id}", randomUUID());
      const token = documentOperation(info)?.security?.length ? owner.token() : "";
      const plain = await server.rest(info.openapi.method, path, {
        token,
        rawBody: "a=b",
        headers: { "content-type": "text/plain" },
      });
      expect(check(info.openapi.method, info.openapi.path, plain).status, info.path).toBe(415);
      const oversized = await server.rest(info.openapi.method, path, { token, body: { padding: "x".repeat(BODY_LIMIT) } });
      expect(check(info.openapi.method, info.openapi.path, oversized).status, info.path).toBe(413);
    }
  });

  each(routed.filter(readsBody))(
    "%s: a JSON body that is not an object is 400 naming the body, and nothing is written",
    async (_path, info) => {
      const { caller, input } = await validCall(info);
      const audited = await server.prisma.auditLog.count();
      for (const [rawBody, kind] of NOT_OBJECTS) {
        const response = await callRest(server, caller.token(), info, input, { rawBody });
        check(info.openapi.method, info.openapi.path, response);
        const message = `The JSON body must be an object, not ${kind}`;
        expect([response.status, response.body], `${info.path} ${rawBody}`).toMatchObject([
          400,
          { code: "BAD_REQUEST", message, issues: [{ path: "(input)", message }] },
        ]);
      }
      expect(await server.prisma.auditLog.count(), info.path).toBe(audited);
    },
  );

  it("a duplicate: 409", async () => {
    const signup = routed.find((p) => p.path === "auth.signup");
    const createRole = routed.find((p) => p.path === "roles.create");
    const createLead = routed.find((p) => p.path === "leads.create");
    const addMember = routed.find((p) => p.path === "members.add");
    if (!signup || !createRole || !createLead || !addMember) throw new Error("a procedure of the duplicate calls is gone");
    const duplicates = [
      [signup, "", { email: owner.email, password: PASSWORD, name: "Again" }],
      [createRole, owner.token(), { key: "viewer", name: "Again", permissions: [] }],
      [
        addMember,
        owner.token(),
        { email: viewer.email, roleId: (await owner.client.members.byId.query({ id: await memberId(viewer) })).role.id },
      ],
    ] as const;
    for (const [info, token, input] of duplicates) expect((await call(info, token, input)).status, info.path).toBe(409);
    const email = `dup-${uniqueSuffix()}@example.com`;
    expect((await call(createLead, owner.token(), { firstName: "Ada", email })).status).toBe(200);
    expect((await call(createLead, owner.token(), { firstName: "Ada", email })).status).toBe(409);
  });

  it("a spent login budget: 429 with Retry-After", async () => {
    const login = routed.find((p) => p.path === "auth.login");
    if (!login) throw new Error("auth.login is gone");
    const user = await server.signup("Throttled");
    const statuses: number[] = [];
    let last: ObservedResponse | undefined;
    for (let attempt = 0; attempt <= LOGIN_FAILURES; attempt++) {
      last = await call(login, "", { email: user.email, password: "not the password" });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(LOGIN_FAILURES).fill(401), 429]);
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("the file routes: upload, export and the errors download, and their errors", async () => {
    const csv = csvOf([
      ["First Name", "Email"],
      ["Ada", "ada@example.com"],
      ["", "not-an-email"],
    ]);
    const upload = async (token: string, body: FormData | string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.url}/api/v1/leads/import`, {
        method: "POST",
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body,
      });
      const text = await response.text();
      return check("post", "/leads/import", { status: response.status, headers: response.headers, body: parse(text) });
    };
    const form = () => {
      const data = new FormData();
      data.append("file", new Blob([csv], { type: "text/csv" }), "leads.csv");
      return data;
    };
    const queued = await upload(owner.token(), form());
    expect(queued.status).toBe(202);
    expect((await upload("", form())).status).toBe(401);
    expect((await upload(viewer.token(), form())).status).toBe(403);
    expect((await upload(owner.token(), "{}", { "content-type": "application/json" })).status).toBe(415);
    const wrongFile = new FormData();
    wrongFile.append("file", new Blob(["x"]), "leads.pdf");
    expect((await upload(owner.token(), wrongFile)).status).toBe(415);
    const badOption = form();
    badOption.append("mode", "sometimes");
    expect((await upload(owner.token(), badOption)).status).toBe(400);

    const jobId = (queued.body as { jobId: string }).jobId;
    await waitForImport(owner, jobId);
    const download = async (route: string, path: string, token = owner.token()) => {
      const response = await server.rest("GET", path, { token });
      return check("get", route, response);
    };
    expect((await download("/imports/{id}/errors.csv", `/imports/${jobId}/errors.csv`)).status).toBe(200);
    expect((await download("/imports/{id}/errors.csv", `/imports/${randomUUID()}/errors.csv`)).status).toBe(404);
    expect((await download("/imports/{id}/errors.csv", "/imports/not-a-uuid/errors.csv")).status).toBe(400);
    expect((await download("/imports/{id}/errors.csv", `/imports/${jobId}/errors.csv`, "")).status).toBe(401);
    expect((await download("/leads/export", "/leads/export?format=csv")).status).toBe(200);
    expect((await download("/leads/export", "/leads/export")).status).toBe(200);
    expect((await download("/leads/export", "/leads/export?status=nope")).status).toBe(400);
    expect((await download("/leads/export", "/leads/export", "")).status).toBe(401);
    const start = new Date(Date.UTC(2032, 0, 1, 10));
    const meeting = await owner.client.meetings.create.mutate({
      title: "Calendar file",
      startAt: start,
      endAt: new Date(start.getTime() + 3_600_000),
    });
    expect((await download("/meetings/{id}/ics", `/meetings/${meeting.id}/ics`)).status).toBe(200);
    expect((await download("/meetings/{id}/ics", `/meetings/${randomUUID()}/ics`)).status).toBe(404);
    expect((await download("/meetings/{id}/ics", "/meetings/not-a-uuid/ics")).status).toBe(400);
    expect((await download("/meetings/{id}/ics", `/meetings/${meeting.id}/ics`, "")).status).toBe(401);
  });

  it("every resource of the registry: its export, and an upload of that export as an import", async () => {
    for (const [resource, entry] of Object.entries(RESOURCES)) {
      if (fixtures.canMake(resource)) await fixtures.record(resource, owner);
      const exported =
        "export" in entry ? await server.rest("GET", `/${resource}/export?format=csv`, { token: owner.token() }) : undefined;
      if (exported) expect(check("get", `/${resource}/export`, exported).status, resource).toBe(200);
      if (!("import" in entry) || !exported) continue;
      const data = new FormData();
      data.append("file", new Blob([exported.body as string], { type: "text/csv" }), `${resource}.csv`);
      const response = await fetch(`${server.url}/api/v1/${resource}/import`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.token()}` },
        body: data,
      });
      const text = await response.text();
      const uploaded = check("post", `/${resource}/import`, {
        status: response.status,
        headers: response.headers,
        body: parse(text),
      });
      expect(uploaded.status, resource).toBe(202);
      await waitForImport(owner, (uploaded.body as { jobId: string }).jobId);
    }
  });

  // Every operation of the document, the file routes too: the URL and header limits hold before any route runs.
  it.each(
    documentOperations(generatedDocument).map(({ method, route }) => [operationKey(method, route), method, route] as const),
  )("%s: a URL over 8 KiB (query or path) or over 16 KiB is 414, headers over 16 KiB are 431", async (_key, method, route) => {
    const withIds = route.replace(/\{\w+\}/g, randomUUID());
    const longParameter = route.replace(/\{\w+\}/, "a".repeat(9000)).replace(/\{\w+\}/g, randomUUID());
    const urls = [`${withIds}?padding=${"a".repeat(9000)}`, ...(route.includes("{") ? [longParameter] : [])];
    for (const url of urls) {
      const response = check(method, route, await server.rest(method.toUpperCase(), url, { token: owner.token() }));
      expect([response.status, response.body], `${method} ${url.slice(0, 60)}`).toMatchObject([414, { code: "URI_TOO_LONG" }]);
    }
    const overHeaderLimit: { url: string; headers: Record<string, string>; status: number }[] = [
      { url: `${withIds}?padding=${"a".repeat(20_000)}`, headers: {}, status: 414 },
      { url: withIds, headers: { "x-filler": "a".repeat(20_000) }, status: 431 },
    ];
    for (const { url, headers, status } of overHeaderLimit) {
      const response = check(method, route, await rawRequest(method.toUpperCase(), `/api/v1${url}`, headers));
      expect(response.status, `${method} ${route} ${status}`).toBe(status);
    }
  });

  it("every answer above is declared by its operation, with the body and headers it had", () => {
    expect(problems).toEqual([]);
    const statuses = new Set([...observed.values()].flatMap((set) => [...set]));
    for (const status of [200, 202, 400, 401, 403, 404, 409, 413, 414, 415, 429, 431])
      expect(statuses, String(status)).toContain(status);
  });

  it("every operation of the document was exercised, with a success", () => {
    const missing = documentOperations(document ?? generatedDocument)
      .map(({ method, route }) => operationKey(method, route))
      .filter((key) => ![...(observed.get(key) ?? [])].some((status) => status < 300));
    expect(missing).toEqual([]);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)("with the database gone (PostgreSQL)", () => {
  let unavailable: TestServer;
  let proxy: Awaited<ReturnType<typeof startDatabaseProxy>> | undefined;

  beforeAll(async () => {
    unavailable = await startTestServer(
      {},
      {
        connectThrough: async (url) => {
          proxy = await startDatabaseProxy(url);
          return proxy.url;
        },
      },
    );
  });
  afterAll(async () => {
    await unavailable?.close();
    await proxy?.close();
  });

  it("every operation, the export file route too, answers 503 with Retry-After, as its document declares", async () => {
    const user = await unavailable.signup("Unavailable");
    // Inputs need no record to exist: with no database, nothing is looked up.
    const inputs = await Promise.all(
      routed.map((info) =>
        generateInput(info, {
          values: info.idField ? addressing(info, [randomUUID()]) : {},
          reference: async () => randomUUID(),
        }),
      ),
    );
    await proxy?.cut();
    const answers: string[] = [];
    const declaredProblems: string[] = [];
    for (const [index, info] of routed.entries()) {
      const response = await callRest(unavailable, user.token(), info, inputs[index]);
      answers.push(`${info.path} ${response.status}`);
      declaredProblems.push(...problemsOf(info.openapi.method, info.openapi.path, response));
    }
    const exported = await fetch(`${unavailable.url}/api/v1/leads/export`, {
      headers: { authorization: `Bearer ${user.token()}` },
    });
    const exportAnswer = { status: exported.status, headers: exported.headers, body: await exported.json() };
    declaredProblems.push(...problemsOf("GET", "/leads/export", exportAnswer));
    expect(declaredProblems).toEqual([]);
    expect(answers).toEqual(routed.map((info) => `${info.path} 503`));
    expect(exportAnswer.status).toBe(503);
  });
});

/** The operation as the served document has it (while tests are collected, as the API generates it: the same). */
function documentOperation(info: (typeof routed)[number]) {
  const paths = (document ?? generatedDocument).paths;
  return paths[info.openapi.path]?.[info.openapi.method.toLowerCase() as "get"];
}

async function memberId(user: TestUser): Promise<string> {
  const members = await owner.client.members.list.query({ limit: 100 });
  const member = members.items.find((m) => m.user.id === user.userId);
  if (!member) throw new Error(`${user.email} is not a member`);
  return member.id;
}

/** One request on a connection of its own, written by hand: Node's HTTP parser refuses it and the connection is closed. */
async function rawRequest(method: string, path: string, headers: Record<string, string>): Promise<ObservedResponse> {
  const connection = await RawConnection.open(Number(new URL(server.url).port));
  try {
    connection.write(RawConnection.head(method, path, headers));
    const response = await connection.response();
    return { status: response.status, headers: new Headers(response.headers), body: parse(response.body) };
  } finally {
    connection.destroy();
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
