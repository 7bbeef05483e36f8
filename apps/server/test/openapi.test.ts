import { appRouter } from "@crm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
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
