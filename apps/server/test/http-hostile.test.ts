import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { procedures } from "./support/procedures.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * Hostile input at the HTTP level, sent to the real server on a real port: bodies, URLs, headers
 * and methods a well-behaved client would not send. Raw sockets where fetch would refuse or
 * rewrite the malformed thing. Rules that hold for every route enumerate the router.
 */

const MAX_UPLOAD = 1024 * 1024;

let server: TestServer;
let owner: TestUser;
let port: number;

beforeAll(async () => {
  server = await startTestServer({ IMPORT_MAX_FILE_BYTES: String(MAX_UPLOAD), IMPORT_POLL_INTERVAL_MS: "3600000" });
  port = Number(new URL(server.url).port);
  owner = await server.signup("Owner");
});
afterAll(() => server?.close());

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** Whether the server closed the connection after answering. */
  closed: boolean;
}

/**
 * Writes `head` (and then `body`, if any) on a fresh connection and reads one response. Resolves
 * once the response is complete and the server has closed the connection or kept it open for
 * `closeWithinMs`.
 */
function rawHttp(head: string, body: Buffer | string = "", closeWithinMs = 1500): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    let response: Omit<RawResponse, "closed"> | undefined;
    let settle: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(settle);
      clearTimeout(giveUp);
      socket.destroy();
      if (response) resolve({ ...response, closed });
      else reject(new Error(`no complete response (${received.length} bytes: ${received.toString("latin1").slice(0, 200)})`));
    };
    const giveUp = setTimeout(() => finish(false), 10_000);
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (response || end === -1) return;
      const [statusLine = "", ...lines] = received.subarray(0, end).toString("latin1").split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      const length = Number(headers["content-length"] ?? Number.NaN);
      if (received.length < end + 4 + length) return;
      const text = received.subarray(end + 4, end + 4 + length).toString("utf8");
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      response = { status: Number(statusLine.split(" ")[1]), headers, body: parsed };
      settle = setTimeout(() => finish(false), closeWithinMs);
    });
    socket.on("close", () => finish(true));
    socket.write(head);
    if (body.length) socket.write(body);
  });
}

/** A REST error as every route answers it: the status, `{ code, message, issues?, requestId }`, the id in the header too. */
function expectRestError(
  response: { status: number; body: unknown; headers: Headers | Record<string, string> },
  status: number,
  expected: { code: string; message: string; issues?: unknown },
) {
  const requestId = response.headers instanceof Headers ? response.headers.get("x-request-id") : response.headers["x-request-id"];
  expect(requestId).toEqual(expect.any(String));
  expect({ status: response.status, body: response.body }).toEqual({ status, body: { ...expected, requestId } });
}

/** A /trpc error: tRPC's envelope with the code, the status and the request id. */
function expectTrpcError(
  response: { status: number; body: any; headers: Headers | Record<string, string> },
  status: number,
  expected: { code: string; message: string },
) {
  const requestId = response.headers instanceof Headers ? response.headers.get("x-request-id") : response.headers["x-request-id"];
  expect(requestId).toEqual(expect.any(String));
  const error = response.body?.error?.json ?? response.body?.error;
  expect({ status: response.status, message: error?.message, data: error?.data }).toEqual({
    status,
    message: expected.message,
    data: expect.objectContaining({ code: expected.code, httpStatus: status, requestId }),
  });
}

async function send(method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${server.url}${path}`, { method, headers: init.headers, body: init.body });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body: body as any, headers: response.headers };
}

const json = { "content-type": "application/json" };
const deepJson = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

// ---------------------------------------------------------------------------------------------
// The routes, from the router and the OpenAPI document (for the file routes, which are no procedures).

interface RestRoute {
  method: string;
  /** `/leads/{id}` */
  template: string;
}

const routerRoutes: RestRoute[] = procedures.flatMap((p) =>
  p.openapi ? [{ method: p.openapi.method, template: p.openapi.path }] : [],
);
let restRoutes: RestRoute[] = [];

beforeAll(async () => {
  const document = (await send("GET", "/api/v1/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(document.paths).flatMap(([template, item]) =>
    Object.keys(item).map((method) => ({ method: method.toUpperCase(), template })),
  );
  for (const route of routerRoutes) expect(documented).toContainEqual(route);
  restRoutes = documented;
  expect(restRoutes.length).toBeGreaterThan(routerRoutes.length);
});

const urlOf = (template: string) => `/api/v1${template.replace(/\{\w+\}/g, () => randomUUID())}`;
const takesBody = (method: string) => !["GET", "HEAD"].includes(method);

describe("deeply nested JSON is a 400 naming the limit, on every route", () => {
  const message = "JSON body nested deeper than 64 levels";
  const body = deepJson(5000);

  it("a 5,000-level body (10 KB, no token) on every REST operation", async () => {
    expect(body.length).toBe(10_000);
    const outcomes = [];
    for (const route of restRoutes.filter((r) => takesBody(r.method))) {
      const response = await send(route.method, urlOf(route.template), { body, headers: json });
      outcomes.push({ route: `${route.method} ${route.template}`, status: response.status, message: response.body.message });
      expectRestError(response, 400, { code: "BAD_REQUEST", message });
    }
    expect(outcomes.length).toBeGreaterThan(20);
  });

  it("as the body of every tRPC mutation and as the input of every tRPC query", async () => {
    for (const procedure of procedures) {
      if (procedure.type === "mutation") {
        const response = await send("POST", `/trpc/${procedure.path}`, { body: `{"json":${body}}`, headers: json });
        expectTrpcError(response, 400, { code: "BAD_REQUEST", message });
      } else {
        const response = await send("GET", `/trpc/${procedure.path}?input=${encodeURIComponent(deepJson(1000))}`);
        expectTrpcError(response, 400, { code: "BAD_REQUEST", message: "JSON input nested deeper than 64 levels" });
      }
    }
  });

  it("a body as deep as the limit is parsed and validated as usual", async () => {
    const nested = JSON.parse(`${'{"a":'.repeat(62)}1${"}".repeat(62)}`);
    const response = await send("POST", "/api/v1/auth/login", { body: JSON.stringify({ email: nested }), headers: json });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("email: must be a valid email address; password: is required");
  });
});

describe("prototype-poisoning keys are refused by name", () => {
  it.each([
    ["__proto__ at the top", '{"email":"a@test.dev","password":"long enough pw","__proto__":{"isAdmin":true}}', "__proto__"],
    ["__proto__ nested", '{"email":"a@test.dev","password":"long enough pw","name":{"__proto__":{"x":1}}}', "__proto__"],
    ["__proto__ spelled with escapes", '{"email":"a@test.dev","\\u005f_proto__":{"x":1}}', "__proto__"],
    ["constructor.prototype", '{"email":"a@test.dev","constructor":{"prototype":{"x":1}}}', "constructor.prototype"],
  ])("%s, over REST and tRPC", async (_case, body, key) => {
    const message = `JSON key "${key}" is not allowed`;
    expectRestError(await send("POST", "/api/v1/auth/signup", { body, headers: json }), 400, { code: "BAD_REQUEST", message });
    const overTrpc = await send("POST", "/trpc/auth.signup", { body: `{"json":${body}}`, headers: json });
    expectTrpcError(overTrpc, 400, { code: "BAD_REQUEST", message });
  });

  it("the words as values, or a constructor key without a prototype, are plain data", async () => {
    const response = await send("POST", "/api/v1/leads", {
      body: JSON.stringify({ firstName: "__proto__", notes: '"constructor": {"prototype": 1}', jobTitle: "constructor" }),
      headers: { ...json, authorization: `Bearer ${owner.token()}` },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ firstName: "__proto__", jobTitle: "constructor" });
  });
});

describe("media types and charsets", () => {
  it("a JSON media type in any letter case is JSON, over REST and tRPC", async () => {
    const headers = { "content-type": "Application/JSON; Charset=UTF-8" };
    const credentials = { email: "nobody@test.dev", password: "not the password" };
    const overRest = await send("POST", "/api/v1/auth/login", { body: JSON.stringify(credentials), headers });
    expectRestError(overRest, 401, { code: "UNAUTHORIZED", message: "Email or password is incorrect" });
    const overTrpc = await send("POST", "/trpc/auth.login", { body: JSON.stringify({ json: credentials }), headers });
    expectTrpcError(overTrpc, 401, { code: "UNAUTHORIZED", message: "Email or password is incorrect" });
  });

  it.each([
    ["latin1", Buffer.from('{"firstName":"Zoë"}', "latin1")],
    ["ISO-8859-1", Buffer.from('{"firstName":"Zoë"}', "latin1")],
    ["utf-16", Buffer.from('{"firstName":"Zoë"}', "utf16le")],
  ])("a body declared as %s is a 415 naming the charset, and nothing is written", async (charset, body) => {
    const before = await server.prisma.lead.count();
    const headers = { "content-type": `application/json; charset=${charset}`, authorization: `Bearer ${owner.token()}` };
    const message = `Unsupported charset "${charset.toLowerCase()}": send the body as UTF-8`;
    expectRestError(await send("POST", "/api/v1/leads", { body, headers }), 415, { code: "UNSUPPORTED_MEDIA_TYPE", message });
    expectTrpcError(await send("POST", "/trpc/leads.create", { body, headers }), 415, {
      code: "UNSUPPORTED_MEDIA_TYPE",
      message,
    });
    expect(await server.prisma.lead.count()).toBe(before);
  });

  it("bytes that are not UTF-8 in a UTF-8 body are a 400, not replacement characters", async () => {
    const body = Buffer.concat([Buffer.from('{"firstName":"Zo'), Buffer.from([0xeb]), Buffer.from('"}')]);
    const headers = { ...json, authorization: `Bearer ${owner.token()}` };
    const expected = { code: "BAD_REQUEST", message: "The body is not valid UTF-8" };
    expectRestError(await send("POST", "/api/v1/leads", { body, headers }), 400, expected);
    expectTrpcError(await send("POST", "/trpc/leads.create", { body, headers }), 400, expected);
    expect(await server.prisma.lead.count({ where: { firstName: { startsWith: "Zo" } } })).toBe(0);
  });
});

describe("URL-level errors answer in the API's error shape with a request id", () => {
  const get = (target: string, headers = "") =>
    rawHttp(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers}\r\n`);

  it("bad percent-encoding in the path", async () => {
    expectRestError(await get("/api/v1/leads/%E0%A4%A"), 400, {
      code: "BAD_REQUEST",
      message: "Malformed URL: the path /api/v1/leads/%E0%A4%A is not valid percent-encoded UTF-8",
    });
  });

  it("bad percent-encoding in the query, over REST and tRPC", async () => {
    expectRestError(await get("/api/v1/leads?search=%E0%A4%A"), 400, {
      code: "BAD_REQUEST",
      message: 'Malformed query string: parameter "search" is not valid percent-encoded UTF-8',
    });
    expectTrpcError(await get("/trpc/leads.list?input=%7B%ZZ"), 400, {
      code: "BAD_REQUEST",
      message: 'Malformed query string: parameter "input" is not valid percent-encoded UTF-8',
    });
  });

  it("a URL over 8 KiB is a 414, and so is one over Node's 16 KiB header limit", async () => {
    const message = "The URL is longer than 8192 bytes";
    for (const length of [9000, 20_000]) {
      const response = await get(`/api/v1/leads?search=${"a".repeat(length)}`);
      expectRestError(response, 414, { code: "URI_TOO_LONG", message });
    }
  });

  it("headers over 16 KiB are a 431 in the API's shape, and the connection is closed", async () => {
    const response = await get("/api/v1/leads", `x-filler: ${"a".repeat(20_000)}\r\n`);
    expectRestError(response, 431, {
      code: "REQUEST_HEADER_FIELDS_TOO_LARGE",
      message: "The request headers are larger than the server accepts (16 KiB in all)",
    });
    expect(response.closed).toBe(true);
    const overTrpc = await get("/trpc/leads.list", `x-filler: ${"a".repeat(20_000)}\r\n`);
    expectTrpcError(overTrpc, 431, {
      code: "REQUEST_HEADER_FIELDS_TOO_LARGE",
      message: "The request headers are larger than the server accepts (16 KiB in all)",
    });
  });
});

describe("unknown query parameters are refused by name on every REST operation", () => {
  const authorization = () => ({ authorization: `Bearer ${owner.token()}` });

  it("each operation of the router and each file route, before anything else happens", async () => {
    for (const route of restRoutes) {
      const url = `${urlOf(route.template)}?utm_source=mail&zzz`;
      const init = takesBody(route.method)
        ? { body: "{}", headers: { ...json, ...authorization() } }
        : { headers: authorization() };
      const response = await send(route.method, url, init);
      expectRestError(response, 400, {
        code: "BAD_REQUEST",
        message: "utm_source: unknown query parameter; zzz: unknown query parameter",
        issues: [
          { path: "utm_source", message: "unknown query parameter" },
          { path: "zzz", message: "unknown query parameter" },
        ],
      });
    }
  });

  it("names that are Object.prototype's own are unknown parameters like any other", async () => {
    expectRestError(await send("GET", "/api/v1/leads?__proto__=x&constructor=y", { headers: authorization() }), 400, {
      code: "BAD_REQUEST",
      message: "__proto__: unknown query parameter; constructor: unknown query parameter",
      issues: [
        { path: "__proto__", message: "unknown query parameter" },
        { path: "constructor", message: "unknown query parameter" },
      ],
    });
  });

  it("the parameters an operation declares still work", async () => {
    const list = await send("GET", "/api/v1/leads?limit=1&sortOrder=asc", {
      headers: { authorization: `Bearer ${owner.token()}` },
    });
    expect(list.status).toBe(200);
    const exported = await send("GET", "/api/v1/leads/export?format=csv", {
      headers: { authorization: `Bearer ${owner.token()}` },
    });
    expect(exported.status).toBe(200);
  });
});

describe("a method a path does not have is a 405 with Allow", () => {
  const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

  it("on every REST path, listing the methods the path has", async () => {
    const byPath = new Map<string, string[]>();
    for (const route of restRoutes) byPath.set(route.template, [...(byPath.get(route.template) ?? []), route.method]);
    let checked = 0;
    for (const [template, allowed] of byPath) {
      for (const method of METHODS.filter((m) => !allowed.includes(m))) {
        const url = urlOf(template);
        const response = await send(method, url, takesBody(method) ? { body: "{}", headers: json } : {});
        const allow = response.headers.get("allow") ?? "";
        expect({ template, method, allow: allow.split(", ").sort() }).toEqual({ template, method, allow: [...allowed].sort() });
        expectRestError(response, 405, {
          code: "METHOD_NOT_SUPPORTED",
          message: `${method} is not allowed on ${url}; it allows ${allow}`,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("PUT /api/v1/leads/{id}: Allow: GET, PATCH, DELETE; an unknown path stays a 404", async () => {
    const response = await send("PUT", `/api/v1/leads/${randomUUID()}`, { body: "{}", headers: json });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, PATCH, DELETE");
    const unknown = await send("PUT", "/api/v1/no-such-resource");
    expect(unknown.status).toBe(404);
  });

  it("on every tRPC procedure called with the other method", async () => {
    for (const procedure of procedures) {
      const wrong = procedure.type === "query" ? "POST" : "GET";
      const response = await send(wrong, `/trpc/${procedure.path}`, wrong === "POST" ? { body: "{}", headers: json } : {});
      expect(response.headers.get("allow")).toBe(procedure.type === "query" ? "GET" : "POST");
      expectTrpcError(response, 405, {
        code: "METHOD_NOT_SUPPORTED",
        message: `Unsupported ${wrong}-request to ${procedure.type} procedure at path "${procedure.path}"`,
      });
    }
  });
});

describe("malformed multipart on the import route is a 400, and no file stays on disk", () => {
  const post = (contentType: string, body: string) =>
    send("POST", "/api/v1/leads/import", {
      body,
      headers: { "content-type": contentType, authorization: `Bearer ${owner.token()}` },
    });
  const part = (name: string) =>
    `--XYZ\r\nContent-Disposition: form-data; name="${name}"; filename="leads.csv"\r\nContent-Type: text/csv\r\n\r\n`;

  it.each([
    ["no boundary", "multipart/form-data", "garbage", "the content type needs a boundary of 1 to 70 characters (RFC 2046)"],
    [
      "a boundary over 70 characters",
      `multipart/form-data; boundary=${"b".repeat(300)}`,
      "garbage",
      "the content type needs a boundary of 1 to 70 characters (RFC 2046)",
    ],
    ["garbage", "multipart/form-data; boundary=XYZ", "garbage", "Unexpected end of multipart data"],
    [
      "a body cut off inside the file",
      "multipart/form-data; boundary=XYZ",
      `${part("file")}First Name,Email\r\nAda,ada@example.com\r\n`,
      "Part terminated early due to unexpected end of multipart data",
    ],
  ])("%s", async (_case, contentType, body, detail) => {
    expectRestError(await post(contentType, body), 400, { code: "BAD_REQUEST", message: `Malformed multipart body: ${detail}` });
    expect(readdirSync(server.config.importDir)).toEqual([]);
  });

  it("an upload whose Content-Length is over the limit is a 413 before its body is read, and the connection is closed", async () => {
    const limit = MAX_UPLOAD + 10 * 100_000 + 64 * 1024;
    const head =
      "POST /api/v1/leads/import HTTP/1.1\r\nHost: localhost\r\n" +
      `Authorization: Bearer ${owner.token()}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\n` +
      `Content-Length: ${256 * 1024 * 1024}\r\n\r\n`;
    // Only the first 64 KiB of the announced 256 MiB are ever sent.
    const response = await rawHttp(head, Buffer.concat([Buffer.from(part("file")), Buffer.alloc(64 * 1024, "a")]), 5000);
    expectRestError(response, 413, {
      code: "PAYLOAD_TOO_LARGE",
      message: `The upload is larger than ${limit} bytes: files up to ${MAX_UPLOAD} bytes (IMPORT_MAX_FILE_BYTES) are accepted`,
    });
    expect(response.headers.connection).toBe("close");
    expect(response.closed).toBe(true);
    expect(readdirSync(server.config.importDir)).toEqual([]);
  });
});

describe("an export that cannot be served fails before its 200 headers", () => {
  const exportUrl = (query: string) =>
    send("GET", `/api/v1/leads/export?${query}`, { headers: { authorization: `Bearer ${owner.token()}` } });

  it.each([
    ["scoreMin=90&scoreMax=10", "scoreMin: must not be greater than scoreMax"],
    ["createdFrom=2030-01-01&createdTo=2020-01-01", "createdFrom: must not be after createdTo"],
    ["format=csv&updatedFrom=2030-01-01&updatedTo=2020-01-01", "updatedFrom: must not be after updatedTo"],
  ])("inverted range %s is a 400 naming it, not an empty file", async (query, message) => {
    const [path = "", detail] = message.split(": ");
    expectRestError(await exportUrl(query), 400, { code: "BAD_REQUEST", message, issues: [{ path, message: detail }] });
  });

  it.each(["csv", "xlsx"])("%s: a first database read that fails is an error status, not a 200 cut short", async (format) => {
    await owner.client.leads.create.mutate({ firstName: "Exported" });
    await server.prisma.$executeRawUnsafe('ALTER TABLE "Lead" RENAME TO "LeadAway"');
    try {
      expectRestError(await exportUrl(`format=${format}`), 500, {
        code: "INTERNAL_SERVER_ERROR",
        message: "Internal server error",
      });
    } finally {
      await server.prisma.$executeRawUnsafe('ALTER TABLE "LeadAway" RENAME TO "Lead"');
    }
    const after = await exportUrl("format=csv");
    expect(after.status).toBe(200);
    expect(after.body).toContain("Exported");
  });
});
