import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { startDatabaseProxy } from "./support/db-proxy.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import { freePort } from "./support/server-process.ts";

/** Terminating backends, cutting connections and sizing the pool only mean something on PostgreSQL. */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL);

type Protocol = "rest" | "trpc";

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body };
}

/** One procedure over REST or tRPC (plain fetch, so the status and headers are visible). */
function caller(server: TestServer, token: string) {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const trpc = (procedure: string, input: unknown, type: "query" | "mutation") =>
    type === "query"
      ? send(`${server.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers })
      : send(`${server.url}/trpc/${procedure}`, { method: "POST", headers, body: JSON.stringify({ json: input }) });
  const rest = (method: string, path: string, body?: unknown) =>
    send(`${server.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return {
    list: (protocol: Protocol) =>
      protocol === "rest" ? rest("GET", "/leads?limit=10") : trpc("leads.list", { limit: 10 }, "query"),
    get: (protocol: Protocol, id: string) =>
      protocol === "rest" ? rest("GET", `/leads/${id}`) : trpc("leads.byId", { id }, "query"),
    create: (protocol: Protocol, input: { firstName: string; email: string }) =>
      protocol === "rest" ? rest("POST", "/leads", input) : trpc("leads.create", input, "mutation"),
    update: (protocol: Protocol, id: string, jobTitle: string) =>
      protocol === "rest" ? rest("PATCH", `/leads/${id}`, { jobTitle }) : trpc("leads.update", { id, jobTitle }, "mutation"),
  };
}

/** A 503 as the API promises it: Retry-After, and the protocol's error body naming the database. */
function expectUnavailable(answer: Answer, protocol: Protocol | "file") {
  expect(answer.status).toBe(503);
  expect(answer.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  const retryIn = new RegExp(`retry in ${answer.headers.get("retry-after")} s$`);
  if (protocol === "trpc") {
    const error = answer.body.error.json;
    expect(error.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", httpStatus: 503, requestId: expect.any(String) });
    expect(error.message).toMatch(/^The database is (unavailable|busy) \(.+\)/);
    expect(error.message).toMatch(retryIn);
  } else {
    expect(Object.keys(answer.body).sort()).toEqual(["code", "message", "requestId"]);
    expect(answer.body.code).toBe("SERVICE_UNAVAILABLE");
    expect(answer.body.message).toMatch(/^The database is (unavailable|busy) \(.+\)/);
    expect(answer.body.message).toMatch(retryIn);
  }
}

function protocolOf(answer: { protocol: Protocol }) {
  return answer.protocol;
}

/** Rows of these emails, by email: an acknowledged create must be there exactly once. */
async function countByEmail(server: TestServer, emails: string[]): Promise<Map<string, number>> {
  const rows = await server.prisma.lead.groupBy({ by: ["email"], where: { email: { in: emails } }, _count: true });
  return new Map(rows.map((row) => [row.email ?? "", row._count]));
}

/** Waits until `probe` answers 2xx (the server recovered by itself); fails after `withinMs`. */
async function recovered(probe: () => Promise<Answer>, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last: Answer | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => undefined);
    if (last && last.status < 300) return;
    await sleep(100);
  }
  throw new Error(`not recovered within ${withinMs} ms; last answer ${last?.status} ${JSON.stringify(last?.body)}`);
}

describe.skipIf(!onPostgres)("the database goes away and comes back (PostgreSQL)", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("terminating the server's backends repeatedly under load: no crash, only 2xx or 503 with Retry-After, every acknowledged create exactly once", async () => {
    server = await startTestServer();
    const owner = await server.signup("Faults");
    const api = caller(server, owner.token());
    const seeded = await Promise.all(
      [0, 1, 2, 3].map((n) => owner.client.leads.create.mutate({ firstName: `Seed${n}`, email: `seed-${n}@faults.test` })),
    );

    const databaseName = new URL(server.databaseUrl ?? "").pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL });
    await admin.connect();
    let terminated = 0;
    let loading = true;
    const terminator = (async () => {
      while (loading) {
        const result = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [databaseName],
        );
        terminated += result.rowCount ?? 0;
        await sleep(80);
      }
    })();

    const answers: (Answer & { protocol: Protocol; email?: string })[] = [];
    let sequence = 0;
    const worker = async (index: number) => {
      const protocol: Protocol = index % 2 === 0 ? "rest" : "trpc";
      while (loading) {
        const n = sequence++;
        const lead = seeded[n % seeded.length] as { id: string };
        const email = `load-${n}-${randomBytes(2).toString("hex")}@faults.test`;
        const answer =
          n % 4 === 0
            ? { ...(await api.create(protocol, { firstName: "Load", email })), email }
            : n % 4 === 1
              ? await api.list(protocol)
              : n % 4 === 2
                ? await api.get(protocol, lead.id)
                : await api.update(protocol, lead.id, `title ${n}`);
        answers.push({ ...answer, protocol });
      }
    };
    const workers = Array.from({ length: 16 }, (_, index) => worker(index));
    await sleep(3000);
    loading = false;
    await Promise.all([...workers, terminator]);
    await admin.end();

    expect(terminated).toBeGreaterThan(0);
    const unexpected = answers.filter((answer) => answer.status >= 300 && answer.status !== 503);
    expect(unexpected.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`)).toEqual([]);
    const unavailable = answers.filter((answer) => answer.status === 503);
    for (const answer of unavailable) expectUnavailable(answer, protocolOf(answer));
    expect(unavailable.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status < 300).length).toBeGreaterThan(0);

    await recovered(() => api.list("rest"));
    const creates = answers.filter((answer) => answer.email);
    const acknowledged = creates.filter((answer) => answer.status < 300).map((answer) => answer.email as string);
    const counts = await countByEmail(
      server,
      creates.map((answer) => answer.email as string),
    );
    for (const email of acknowledged) expect(counts.get(email), email).toBe(1);
    for (const count of counts.values()) expect(count).toBe(1);
  });

  it("a database that is unreachable: 503 with Retry-After on tRPC, REST, the file routes and /readyz; serving again once it is back", async () => {
    let proxy: Awaited<ReturnType<typeof startDatabaseProxy>> | undefined;
    server = await startTestServer(
      {},
      {
        connectThrough: async (url) => {
          proxy = await startDatabaseProxy(url);
          return proxy.url;
        },
      },
    );
    if (!proxy) throw new Error("no proxy");
    const owner = await server.signup("Outage");
    const api = caller(server, owner.token());
    expect((await api.create("rest", { firstName: "Before", email: "before@outage.test" })).status).toBe(200);

    await proxy.cut();
    for (const protocol of ["rest", "trpc"] as const) {
      expectUnavailable(await api.list(protocol), protocol);
      expectUnavailable(await api.create(protocol, { firstName: "During", email: `during-${protocol}@outage.test` }), protocol);
    }
    const login = await send(`${server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: owner.email, password: "correct horse battery staple" }),
    });
    expectUnavailable(login, "rest");
    const exported = await send(`${server.url}/api/v1/leads/export?format=csv`, {
      headers: { authorization: `Bearer ${owner.token()}` },
    });
    expectUnavailable(exported, "file");
    const ready = await send(`${server.url}/readyz`, {});
    expect(ready.status).toBe(503);
    expect(ready.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(ready.body).toMatchObject({ status: "unavailable", database: "postgres" });
    expect(ready.body.message).toMatch(/^The database is unavailable \(.+\); retry in \d+ s$/);

    await proxy.restore();
    await recovered(() => send(`${server?.url}/readyz`, {}));
    const after = await api.create("trpc", { firstName: "After", email: "after@outage.test" });
    expect(after.status).toBe(200);
    const counts = await countByEmail(server, ["before@outage.test", "after@outage.test", "during-rest@outage.test"]);
    expect(Object.fromEntries(counts)).toEqual({ "before@outage.test": 1, "after@outage.test": 1 });
    await proxy.close();
  });

  it("a server started on a closed port answers 503 on tRPC, REST and /readyz", async () => {
    const port = await freePort();
    server = await startTestServer(
      {},
      { connectThrough: (url) => Object.assign(new URL(url), { port: String(port) }).toString() },
    );
    const body = JSON.stringify({ email: "nobody@closed.test", password: "a long enough password" });
    const headers = { "content-type": "application/json" };
    expectUnavailable(await send(`${server.url}/api/v1/auth/login`, { method: "POST", headers, body }), "rest");
    const overTrpc = await send(`${server.url}/trpc/auth.login`, {
      method: "POST",
      headers,
      body: JSON.stringify({ json: JSON.parse(body) }),
    });
    expectUnavailable(overTrpc, "trpc");
    expect(overTrpc.body.error.json.message).toMatch(/cannot reach the database server|connection refused/);
    const ready = await send(`${server.url}/readyz`, {});
    expect(ready.status).toBe(503);
    expect(ready.body.message).toMatch(/cannot reach the database server|connection refused/);
  });
});

describe.skipIf(!onPostgres)("load on a small pool (PostgreSQL)", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("a burst of 1,000 concurrent creates on a pool of 10: only 2xx or 503 with Retry-After, and every 2xx row exists", async () => {
    server = await startTestServer({ DATABASE_POOL_SIZE: "10" });
    const owner = await server.signup("Burst");
    const api = caller(server, owner.token());
    const input = (n: number) => ({ firstName: "Burst", email: `burst-${n}@load.test` });
    // 200 single REST requests, and 800 over tRPC in batches of 100, whose calls start together.
    const overRest = Array.from({ length: 200 }, async (_, n) => ({
      ...(await api.create("rest", input(n))),
      protocol: "rest" as const,
      email: input(n).email,
    }));
    const overTrpc = Array.from({ length: 8 }, async (_, batch) => {
      const numbers = Array.from({ length: 100 }, (_, i) => 200 + batch * 100 + i);
      const body = Object.fromEntries(numbers.map((n, i) => [i, { json: input(n) }]));
      const response = await send(`${server?.url}/trpc/${numbers.map(() => "leads.create").join(",")}?batch=1`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.token()}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return (response.body as any[]).map((item, i) => ({
        status: item.error ? item.error.json.data.httpStatus : 200,
        headers: response.headers,
        body: item,
        protocol: "trpc" as const,
        email: input(numbers[i] as number).email,
      }));
    });
    const answers = [...(await Promise.all(overRest)), ...(await Promise.all(overTrpc)).flat()];
    expect(answers).toHaveLength(1000);
    const unexpected = answers.filter((answer) => answer.status >= 300 && answer.status !== 503);
    expect(unexpected.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`).slice(0, 5)).toEqual([]);
    for (const answer of answers.filter((a) => a.status === 503)) expectUnavailable(answer, answer.protocol);
    const acknowledged = answers.filter((answer) => answer.status < 300).map((answer) => answer.email);
    expect(acknowledged.length).toBeGreaterThan(0);
    const counts = await countByEmail(server, acknowledged);
    expect(acknowledged.filter((email) => counts.get(email) !== 1)).toEqual([]);
    // A thousand creates take this shared 2-core machine 20 s alone, and minutes beside other suites.
  }, 180_000);

  it("the wait for a connection is bounded in length and in time: past either bound, 503 with Retry-After at once", async () => {
    server = await startTestServer({
      DATABASE_POOL_SIZE: "2",
      DATABASE_POOL_QUEUE_LIMIT: "1",
      DATABASE_POOL_QUEUE_TIMEOUT_MS: "300",
    });
    const owner = await server.signup("Queue");
    const api = caller(server, owner.token());
    expect((await api.list("rest")).status).toBe(200);

    // Both connections held by long transactions: every request must queue for one.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holders = [0, 1].map(() =>
      server?.prisma.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1`;
          await released;
        },
        { timeout: 20_000 },
      ),
    );
    await sleep(200);
    const answers = await Promise.all(
      (["rest", "trpc", "rest", "trpc"] as const).map(async (protocol) => ({ ...(await api.list(protocol)), protocol })),
    );
    release();
    await Promise.all(holders);

    for (const answer of answers) expectUnavailable(answer, answer.protocol);
    const messages = answers.map((answer) => (answer.protocol === "rest" ? answer.body.message : answer.body.error.json.message));
    expect(messages.some((message) => /queries are waiting for one/.test(message))).toBe(true);
    expect(messages.some((message) => /no connection came free within 300 ms/.test(message))).toBe(true);
    expect((await api.list("trpc")).status).toBe(200);
  });
});
