import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase, type PoolOptions } from "@crm/db";
import { type CrmClient, type CrmClientOptions, createCrmClient } from "@crm-api/client";
import { afterAll, beforeAll, inject } from "vitest";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { cloneTemplate, dropDatabase } from "./postgres.ts";

export const PASSWORD = "correct horse battery staple";

export interface RestResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestUser {
  client: CrmClient;
  email: string;
  userId: string;
  orgId: string;
  /** The current access token (changes when the client refreshes or switches). */
  token(): string;
}

export interface TestDatabaseOptions extends PoolOptions {
  /**
   * PostgreSQL only: the URL the server connects with, given its database's own URL (e.g. through
   * a proxy that a test cuts, or a closed port). The database is still created and dropped.
   */
  connectThrough?(url: string): string | Promise<string>;
}

/** Opens an isolated, migrated database: a copy of the run's template on PostgreSQL, or an in-memory PGlite. */
export async function openTestDatabase(
  options: TestDatabaseOptions = {},
): Promise<{ database: Database; url?: string; dispose(): Promise<void> }> {
  const baseUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const template = inject("postgresTemplate");
  if (baseUrl && template) {
    const copy = await cloneTemplate(baseUrl, template);
    const { connectThrough, ...pool } = options;
    const url = connectThrough ? await connectThrough(copy.url) : copy.url;
    const database = await openDatabase({ kind: "postgres", url, poolSize: 5, ...pool });
    return {
      database,
      url: copy.url,
      async dispose() {
        await database.close();
        await dropDatabase(baseUrl, copy.name);
      },
    };
  }
  const database = await openDatabase({ kind: "pglite" });
  await database.migrate();
  return { database, dispose: () => database.close() };
}

/**
 * The real Fastify server on a random local port, over an isolated database. The pool follows
 * `DATABASE_POOL_*` in `env` (5 connections unless given).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: Pick<TestDatabaseOptions, "connectThrough"> = {},
) {
  const importDir = mkdtempSync(path.join(tmpdir(), "crm-imports-"));
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    JWT_SECRET: randomBytes(32).toString("hex"),
    LOGIN_MAX_ATTEMPTS_PER_IP: "100000",
    SIGNUP_MAX_PER_IP: "100000",
    IMPORT_DIR: importDir,
    DATABASE_POOL_SIZE: "5",
    ...env,
  });
  const {
    database,
    url: databaseUrl,
    dispose,
  } = await openTestDatabase({
    poolSize: config.DATABASE_POOL_SIZE,
    poolQueueLimit: config.DATABASE_POOL_QUEUE_LIMIT,
    poolQueueTimeoutMs: config.DATABASE_POOL_QUEUE_TIMEOUT_MS,
    connectThrough: options.connectThrough,
  });
  const app = await buildApp({ config, database });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });

  const client = (options: Partial<CrmClientOptions> = {}) => createCrmClient({ url: address, ...options });

  async function rest<T = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<RestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["content-type"] ??= "application/json";
    const response = await fetch(`${address}/api/v1${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  let counter = 0;
  /** Signs up a new user, who owns a new organization. */
  async function signup(name = "user"): Promise<TestUser> {
    const email = `${name.toLowerCase().replace(/\W/g, "")}-${++counter}-${randomBytes(3).toString("hex")}@test.dev`;
    const userClient = client();
    const session = await userClient.$session.signup({ email, password: PASSWORD, name, organizationName: `${name} org` });
    return userFrom(userClient, email, session.user.id, session.organization.id);
  }

  function userFrom(userClient: CrmClient, email: string, userId: string, orgId: string): TestUser {
    return {
      client: userClient,
      email,
      userId,
      orgId,
      token: () => userClient.$session.tokens?.accessToken ?? "",
    };
  }

  /** A new user added to `owner`'s organization with a built-in role, logged in there. */
  async function member(owner: TestUser, roleKey: string, name = roleKey): Promise<TestUser & { membershipId: string }> {
    const user = await signup(name);
    const roles = await owner.client.roles.list.query();
    const role = roles.items.find((r) => r.key === roleKey);
    if (!role) throw new Error(`no role ${roleKey}`);
    const membership = await owner.client.members.add.mutate({ email: user.email, roleId: role.id });
    const memberClient = client();
    await memberClient.$session.login({ email: user.email, password: PASSWORD, organizationId: owner.orgId });
    return { ...userFrom(memberClient, user.email, user.userId, owner.orgId), membershipId: membership.id };
  }

  return {
    url: address,
    app,
    database,
    /** PostgreSQL only: the direct URL of this server's own database (for an admin connection). */
    databaseUrl,
    prisma: database.prisma,
    client,
    rest,
    signup,
    member,
    config,
    /** For tests that change sessions, keys or roles in the database directly, behind the API's back. */
    forgetCheckedCredentials: () => app.principalCache.invalidateAll(),
    async close() {
      await app.close();
      await dispose();
      rmSync(importDir, { recursive: true, force: true });
    },
  };
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/**
 * A test file's server and users: the server starts before the file's tests, `makeUsers` then
 * makes the users, and the server closes after the tests. Read them from the answer inside tests
 * (`crm.owner.client...`, `crm.server.rest(...)`).
 */
export function serverForFile<Users extends Record<string, TestUser>>(
  makeUsers: (server: TestServer) => Promise<Users>,
): { server: TestServer } & Users {
  const crm = {} as { server: TestServer } & Users;
  beforeAll(async () => {
    crm.server = await startTestServer();
    Object.assign(crm, await makeUsers(crm.server));
  });
  afterAll(() => crm.server?.close());
  return crm;
}

let uniqueCount = 0;
/** A string no other call in this process returns, for names and emails that must not collide. */
export function unique(): string {
  return `${Date.now().toString(36)}${++uniqueCount}`;
}
