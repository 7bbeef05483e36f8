import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DatabaseOptions } from "@crm/db";
import { z } from "zod";

const booleanFromEnv = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Where the embedded database and the generated dev secret live. */
  DATA_DIR: z.string().default("./.data"),
  /** PostgreSQL connection string; unset means the embedded PGlite database under DATA_DIR. */
  DATABASE_URL: z.url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Queries that may wait for a connection when all are busy; past it they get 503 at once. */
  DATABASE_POOL_QUEUE_LIMIT: z.coerce.number().int().min(0).max(100_000).default(1000),
  /** Longest wait for a connection (queued, or being opened); past it the request gets 503. */
  DATABASE_POOL_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(5000),
  /** How long start-up waits for an unreachable database before giving up; 0: try once. */
  DATABASE_STARTUP_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  JWT_SECRET: z.string().min(32, { error: "must be at least 32 characters" }).optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Comma-separated allowed origins, `*` for any; empty disables CORS. */
  CORS_ORIGINS: z.string().default(""),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_PRETTY: booleanFromEnv.optional(),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  LOGIN_MAX_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(50),
  SIGNUP_MAX_PER_IP: z.coerce.number().int().min(1).default(20),
  LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  /**
   * How long a checked access token or API key is trusted without reading its session again. Changes
   * made through this instance apply at once; through another instance, within this time. 0: off.
   */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /** Seconds in-flight requests get to finish after SIGTERM before the process exits anyway. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).default(10),
  /** Trust X-Forwarded-For (set when behind a proxy you run). */
  TRUST_PROXY: booleanFromEnv.default(false),
  /** Where uploaded import files wait for their job; default DATA_DIR/imports. */
  IMPORT_DIR: z.string().optional(),
  /** Largest import upload (413 above it). */
  IMPORT_MAX_FILE_BYTES: z.coerce.number().int().min(1024).max(2_147_483_647).default(268_435_456),
  /** Rows per batch (one statement, one transaction in valid_only mode). */
  IMPORT_BATCH_SIZE: z.coerce.number().int().min(1).max(20_000).default(2000),
  /** Run queued import jobs in this process (turn off on instances that should only serve requests). */
  IMPORT_RUNNER: booleanFromEnv.default(true),
  /** Import jobs this process runs at once. */
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /** How often the runner looks for queued or abandoned jobs (uploads to this process start at once). */
  IMPORT_POLL_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** A running job whose runner has not reported for this long is taken over and resumed. */
  IMPORT_STALE_AFTER_SECONDS: z.coerce.number().int().min(3).default(60),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  jwtSecret: Uint8Array;
  corsOrigins: string[] | true | false;
  importDir: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates the environment. Every problem is listed by variable name; nothing starts on bad config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${problems.join("\n")}`);
  }
  const values = parsed.data;
  return {
    ...values,
    jwtSecret: resolveJwtSecret(values),
    corsOrigins: parseCorsOrigins(values.CORS_ORIGINS),
    importDir: path.resolve(values.IMPORT_DIR ?? path.join(values.DATA_DIR, "imports")),
  };
}

/**
 * Production needs an explicit secret. Elsewhere a random one is generated once and kept under
 * DATA_DIR, so tokens survive restarts of a local server.
 */
function resolveJwtSecret(env: Env): Uint8Array {
  if (env.JWT_SECRET) return new TextEncoder().encode(env.JWT_SECRET);
  if (env.NODE_ENV === "production") throw new ConfigError("JWT_SECRET must be set in production (at least 32 characters)");
  const file = path.resolve(env.DATA_DIR, "jwt-secret");
  try {
    return new TextEncoder().encode(readFileSync(file, "utf8").trim());
  } catch {
    const secret = randomBytes(48).toString("base64url");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, secret, { mode: 0o600 });
    return new TextEncoder().encode(secret);
  }
}

function parseCorsOrigins(value: string): string[] | true | false {
  const origins = value
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length === 0) return false;
  return origins.includes("*") ? true : origins;
}

export function databaseOptions(config: Config): DatabaseOptions {
  return config.DATABASE_URL
    ? {
        kind: "postgres",
        url: config.DATABASE_URL,
        poolSize: config.DATABASE_POOL_SIZE,
        poolQueueLimit: config.DATABASE_POOL_QUEUE_LIMIT,
        poolQueueTimeoutMs: config.DATABASE_POOL_QUEUE_TIMEOUT_MS,
      }
    : { kind: "pglite", dataDir: config.DATA_DIR };
}
