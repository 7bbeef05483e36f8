import { mkdirSync } from "node:fs";
import path from "node:path";
import type { BenchDatabase } from "./database.ts";
import type { BenchOptions } from "./options.ts";
import { REPO_ROOT, type ServerSpec } from "./processes.ts";
import type { Note, Row } from "./report.ts";

/** What every section of the bench shares: the options, the database, the caller and the results. */
export interface BenchContext {
  options: BenchOptions;
  database: BenchDatabase;
  /** Files the bench writes (import CSV, exports); gitignored, emptied at the end. */
  workDir: string;
  jwtSecret: string;
  /** The benchmark organization and its owner, created through auth.signup. */
  organizationId: string;
  userId: string;
  accessToken: string;
  /** Creation time of the newest seeded lead. */
  newest: Date;
  rows: Row[];
  notes: Note[];
  log(message: string): void;
}

export function workDirectory(): string {
  const dir = path.join(REPO_ROOT, "bench", ".work");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The real server (apps/server) as a child process, configured for the bench database. */
export function realServer(context: Pick<BenchContext, "options" | "database" | "jwtSecret" | "workDir">): ServerSpec {
  const appDir = path.join(REPO_ROOT, "apps", "server");
  return {
    name: "apps/server",
    entry: context.options.server === "dist" ? path.join(appDir, "dist", "main.mjs") : path.join(appDir, "src", "main.ts"),
    cwd: appDir,
    readyPath: "/readyz",
    env: {
      // production: no demo seed, explicit secret; the bench's own org and user come from auth.signup.
      NODE_ENV: "production",
      JWT_SECRET: context.jwtSecret,
      DATABASE_URL: context.database.url,
      DATABASE_POOL_SIZE: String(context.options.pool),
      LOG_LEVEL: context.options.logLevel,
      ACCESS_TOKEN_TTL_SECONDS: "86400",
      DATA_DIR: path.join(context.workDir, "server-data"),
    },
  };
}

/** The bare Fastify + `pg` baseline (bench/src/baseline-server.ts) over the bench organization. */
export function baselineServer(context: Pick<BenchContext, "options" | "database" | "organizationId" | "userId">): ServerSpec {
  return {
    name: "baseline (Fastify + pg)",
    entry: path.join(REPO_ROOT, "bench", "src", "baseline-server.ts"),
    cwd: path.join(REPO_ROOT, "bench"),
    readyPath: "/healthz",
    env: {
      DATABASE_URL: context.database.url,
      DATABASE_POOL_SIZE: String(context.options.pool),
      ORGANIZATION_ID: context.organizationId,
      USER_ID: context.userId,
    },
  };
}

export function authorization(context: BenchContext): Record<string, string> {
  return { authorization: `Bearer ${context.accessToken}` };
}

/** `fetch` that throws with the status and body when the answer is not what was expected. */
export async function fetchJson<T>(url: string, init: RequestInit = {}, expected = 200): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== expected) {
    throw new Error(`${init.method ?? "GET"} ${url} answered ${response.status}, expected ${expected}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text) as T;
}

export interface SignupResult {
  accessToken: string;
  user: { id: string };
  organization: { id: string };
}

export function signup(baseUrl: string, who: { email: string; name: string; organizationName: string }) {
  return fetchJson<SignupResult>(
    `${baseUrl}/api/v1/auth/signup`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...who, password: "bench-password-1234" }),
    },
    200,
  );
}
