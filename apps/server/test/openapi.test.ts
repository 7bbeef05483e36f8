import { spawnSync } from "node:child_process";
import path from "node:path";
import { API_TITLE, appRouter, DEMO_LOGIN, seedDemoData } from "@crm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { documentOperations, invalidExamples, type OpenApiDocument, operationKey } from "./support/openapi.ts";
import { procedures } from "./support/procedures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let document: OpenApiDocument;

beforeAll(async () => {
  server = await startTestServer();
  document = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as OpenApiDocument;
});
afterAll(() => server?.close());

type Meta = { openapi?: { method: string; path: string } };

describe("the REST bridge and its documentation", () => {
  it("documents every procedure that has a REST route, and the file routes, in OpenAPI 3.1", async () => {
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe("3.1.0");
    const routes = Object.values(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>)
      .map((procedure) => procedure._def.meta?.openapi)
      .filter((openapi): openapi is NonNullable<Meta["openapi"]> => Boolean(openapi));
    expect(routes.length).toBeGreaterThan(40);
    for (const route of routes)
      expect(document.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    expect(document.paths["/leads/import"]?.post).toBeDefined();
    expect(document.paths["/leads/export"]?.get).toBeDefined();
    expect(document.paths["/imports/{id}/errors.csv"]?.get).toBeDefined();
  });

  it("serves the interactive docs from local assets, with no CDN", async () => {
    const page = await fetch(`${server.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("swagger");
    const external = [...html.matchAll(/(?:src|href)="(https?:\/\/[^"]+)"/g)].map((match) => match[1]);
    expect(external).toEqual([]);
    const scripts = [...html.matchAll(/src="([^"]+\.js)"/g)].map((match) => match[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const asset = await fetch(new URL(script, `${server.url}/docs/`));
      expect(asset.status, script).toBe(200);
    }
  });

  it("answers health and readiness", async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe("ready");
  });

  it("lets action routes be called without a body", async () => {
    const user = await server.signup("Bodiless");
    const response = await fetch(`${server.url}/api/v1/auth/logout`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token()}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("names the route it does not know", async () => {
    const response = await server.rest("GET", "/no-such-thing");
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: "NOT_FOUND", message: "No route for GET /api/v1/no-such-thing" });
  });
});

type Schema = { $ref?: string; properties?: Record<string, Schema>; anyOf?: Schema[]; examples?: unknown[] };

const PUBLIC = ["auth.signup", "auth.login", "auth.refresh"];
const routed = procedures.filter((p) => p.openapi);
const operationOf = (info: (typeof routed)[number]) =>
  document.paths[info.openapi?.path ?? ""]?.[(info.openapi?.method.toLowerCase() ?? "get") as "get"];

describe("the OpenAPI document", () => {
  it("marks signup, login and refresh public (security: []) and every other operation bearer-protected", () => {
    for (const { operation, method, route } of documentOperations(document)) {
      const info = routed.find((p) => p.openapi?.path === route && p.openapi.method.toLowerCase() === method);
      const expected = info && PUBLIC.includes(info.path) ? [] : [{ bearer: [] }];
      expect(operation.security, operationKey(method, route)).toEqual(expected);
    }
  });

  it("answers errors with one shared schema of the real body, 429 and 503 with Retry-After; 414 and 431 on every operation", () => {
    const error = document.components.schemas?.Error as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(error.properties).sort()).toEqual(["code", "existingId", "issues", "message", "requestId"]);
    expect(error.required.sort()).toEqual(["code", "message", "requestId"]);
    for (const { operation, method, route } of documentOperations(document)) {
      const errors = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
      for (const [status, response] of errors) {
        expect(response, `${operationKey(method, route)} ${status}`).toHaveProperty("$ref");
      }
      const readsBody = method !== "get";
      expect(
        errors.map(([status]) => status),
        operationKey(method, route),
      ).toEqual(expect.arrayContaining(["400", "414", "431", "500", "503", ...(readsBody ? ["413", "415"] : [])]));
    }
    const responses = document.components.responses as Record<string, { headers?: Record<string, unknown> }>;
    expect(responses.TooManyRequests?.headers).toHaveProperty("Retry-After");
    expect(responses.ServiceUnavailable?.headers).toHaveProperty("Retry-After");
    const login = document.paths["/auth/login"]?.post;
    expect(Object.keys(login?.responses ?? {})).toEqual(expect.arrayContaining(["401", "403", "429"]));
    const create = document.paths["/leads"]?.post;
    expect(Object.keys(create?.responses ?? {})).toEqual(expect.arrayContaining(["401", "403", "409", "413", "415"]));
  });

  it("has a unique operationId for every operation, router_procedure for the procedures", () => {
    const operations = documentOperations(document);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const info of routed) expect(operationOf(info)?.operationId).toBe(info.path.replace(".", "_"));
  });

  it("declares every tag it uses, each with a description", () => {
    const declared = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const { operation, method, route } of documentOperations(document)) {
      expect(operation.tags?.length, operationKey(method, route)).toBeGreaterThan(0);
      for (const tag of operation.tags ?? []) expect(declared.get(tag), `${operationKey(method, route)} tag ${tag}`).toBeTruthy();
    }
  });

  it("declares every output timestamp as date-time", () => {
    // Marks each date of an output's JSON Schema, then finds the marked ones without the format.
    const bare: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (!node || typeof node !== "object") return;
      const schema = node as Record<string, unknown>;
      if (schema["x-date"] && schema.format !== "date-time") bare.push(where);
      for (const [key, child] of Object.entries(schema)) visit(child, `${where}.${key}`);
    };
    for (const [name, procedure] of Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { output?: z.ZodType } }>,
    )) {
      const output = procedure._def.output;
      if (!output) continue;
      const json = z.toJSONSchema(output, {
        io: "output",
        unrepresentable: "any",
        override: (ctx) => {
          if (ctx.zodSchema._zod.def.type === "date") ctx.jsonSchema["x-date"] = true;
        },
      });
      visit(json, name);
    }
    expect(bare).toEqual([]);
    const lead = document.paths["/leads/{id}"]?.get?.responses["200"] as { content: Record<string, { schema: Schema }> };
    const createdAt = lead.content["application/json"]?.schema.properties?.createdAt;
    expect(createdAt).toMatchObject({ type: "string", format: "date-time" });
  });

  it("documents each bulk row as the create-lead schema", () => {
    const bulk = document.paths["/leads/bulk"]?.post?.requestBody?.content["application/json"]?.schema as Schema;
    const rows = bulk.properties?.leads as { items: Schema };
    expect(rows.items.$ref).toBe("#/components/schemas/LeadInput");
    expect(document.paths["/leads"]?.post?.requestBody?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/LeadInput",
    });
    const leadInput = document.components.schemas?.LeadInput as Schema;
    expect(Object.keys(leadInput.properties ?? {})).toEqual(expect.arrayContaining(["firstName", "email", "phone", "tags"]));
  });

  it("carries the fields' descriptions", () => {
    const lead = document.paths["/leads/{id}"]?.get?.responses["200"] as {
      content: Record<string, { schema: { properties: Record<string, { description?: string }> } }>;
    };
    const fields = lead.content["application/json"]?.schema.properties ?? {};
    expect(fields.isHot?.description).toBe("Score at or above the organization's hot threshold.");
    expect(fields.daysSinceCreated?.description).toBe("Whole days since the lead was created.");
    const leadInput = document.components.schemas?.LeadInput as { properties: Record<string, { description?: string }> };
    expect(leadInput.properties.manualScore?.description).toContain("Sets the score by hand");
  });

  it("has only examples its own schemas accept", () => {
    expect(invalidExamples(document)).toEqual([]);
  });

  it("prefills a login the seeded demo server accepts, and a signup it accepts", async () => {
    await seedDemoData(server.prisma, { leads: 5 });
    const prefilled = (route: string) => {
      const schema = document.paths[route]?.post?.requestBody?.content["application/json"]?.schema as Schema;
      const body: Record<string, unknown> = {};
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        const examples = property.examples ?? property.anyOf?.find((branch) => branch.examples)?.examples;
        if (examples?.length) body[field] = examples[0];
      }
      return body;
    };
    expect(prefilled("/auth/login")).toEqual(DEMO_LOGIN);
    expect((await server.rest("POST", "/auth/login", { body: prefilled("/auth/login") })).status).toBe(200);
    const signup = prefilled("/auth/signup");
    expect(Object.keys(signup).sort()).toEqual(["email", "name", "organizationName", "password"]);
    expect((await server.rest("POST", "/auth/signup", { body: signup })).status).toBe(200);
  });

  it("names the product on the docs page and in the document", async () => {
    expect(document.info.title).toBe(API_TITLE);
    expect(document.info.description).toContain("Bearer");
    const html = await (await fetch(`${server.url}/docs/`)).text();
    expect(html).toContain(`<title>${API_TITLE}`);
    const icon = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/.exec(html)?.[1];
    expect(icon).toBeDefined();
    const favicon = await fetch(new URL(icon ?? "", `${server.url}/docs/`));
    expect(favicon.status).toBe(200);
    expect(await favicon.text()).toContain("CRM");
  });

  it("passes redocly lint with the recommended rules, no errors and no warnings", () => {
    const root = path.join(import.meta.dirname, "..");
    const result = spawnSync(path.join(root, "node_modules/.bin/tsx"), ["scripts/lint-openapi.ts"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(result.stdout).toContain("redocly lint: 0 errors, 0 warnings");
    expect(result.status).toBe(0);
  });
});
