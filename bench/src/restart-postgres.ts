/**
 * pnpm --filter @crm/bench restart-postgres: restarts PostgreSQL under load and prints what the API
 * did (see README, "Operations"). By default it starts its own throwaway cluster (initdb in a temp
 * directory, a free port, as the `postgres` OS user when run as root) and restarts that one, so it
 * never disturbs a PostgreSQL others use; `--pgdata=DIR --port=N` targets an existing cluster.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { openDatabase } from "@crm/db";
import { signup } from "./context.ts";
import { withClient } from "./database.ts";
import { freePort, REPO_ROOT, ServerProcess } from "./processes.ts";

const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

const USAGE = `pnpm --filter @crm/bench restart-postgres [-- flags]
  --connections=N   concurrent clients (default 50)
  --before=S        seconds of load before the restart (default 5)
  --after=S         seconds of load after PostgreSQL is back (default 10)
  --restarts=N      restarts, each followed by --after seconds of load (default 1)
  --mode=fast|immediate  pg_ctl's shutdown mode (default fast)
  --pgdata=DIR --port=N  restart this existing cluster (pg_ctl -D DIR) instead of a throwaway one`;

interface Options {
  connections: number;
  before: number;
  after: number;
  restarts: number;
  mode: "fast" | "immediate";
  pgdata?: string;
  port?: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { connections: 50, before: 5, after: 10, restarts: 1, mode: "fast" };
  for (const arg of argv) {
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    const [, name, value = ""] = /^--([a-z]+)=(.*)$/.exec(arg) ?? [];
    const integer = () => {
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer`);
      return parsed;
    };
    if (name === "connections") options.connections = integer();
    else if (name === "before") options.before = integer();
    else if (name === "after") options.after = integer();
    else if (name === "restarts") options.restarts = integer();
    else if (name === "port") options.port = integer();
    else if (name === "pgdata") options.pgdata = path.resolve(value);
    else if (name === "mode" && (value === "fast" || value === "immediate")) options.mode = value;
    else throw new Error(`Unknown argument "${arg}"\n${USAGE}`);
  }
  if (options.pgdata && !options.port) throw new Error("--pgdata needs --port");
  return options;
}

/**
 * Runs a PostgreSQL tool, as the `postgres` OS user when we are root (initdb and postgres refuse
 * root). Asynchronously: the load must go on while PostgreSQL restarts.
 */
function pgTool(tool: string, args: string[]): Promise<void> {
  const command = path.join(PG_BIN, tool);
  const [file, argv] = userInfo().uid === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv as string[], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${tool} ${args.join(" ")} failed:\n${output}`))));
  });
}

interface Cluster {
  url: string;
  restart(mode: Options["mode"]): Promise<void>;
  dispose(): Promise<void>;
}

async function throwawayCluster(): Promise<Cluster> {
  const dir = mkdtempSync(path.join(tmpdir(), "crm-restart-pg-"));
  if (userInfo().uid === 0) {
    const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
    chownSync(dir, id("-u"), id("-g"));
  }
  const port = await freePort();
  const data = path.join(dir, "data");
  await pgTool("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  await pgTool("pg_ctl", ["-D", data, "-o", serverOptions, "-l", path.join(dir, "log"), "-w", "start"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: (mode) =>
      pgTool("pg_ctl", ["-D", data, "-o", serverOptions, "-l", path.join(dir, "log"), "-m", mode, "-w", "restart"]),
    async dispose() {
      try {
        await pgTool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function existingCluster(pgdata: string, port: number): Cluster {
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: (mode) => pgTool("pg_ctl", ["-D", pgdata, "-m", mode, "-w", "restart"]),
    async dispose() {},
  };
}

interface Sample {
  at: number;
  status: number;
  retryAfter: boolean;
  email?: string;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const cluster = options.pgdata ? existingCluster(options.pgdata, options.port ?? 0) : await throwawayCluster();
  const name = `crm_restart_${randomBytes(4).toString("hex")}`;
  const databaseUrl = cluster.url.replace(/\/postgres$/, `/${name}`);
  let server: ServerProcess | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "crm-restart-data-"));
  try {
    await withClient(cluster.url, (client) => client.query(`CREATE DATABASE "${name}"`));
    const database = await openDatabase({ kind: "postgres", url: databaseUrl, poolSize: 1 });
    await database.migrate();
    await database.close();

    const appDir = path.join(REPO_ROOT, "apps", "server");
    server = await ServerProcess.start({
      name: "apps/server",
      entry: path.join(appDir, "src", "main.ts"),
      cwd: appDir,
      readyPath: "/readyz",
      env: {
        NODE_ENV: "production",
        JWT_SECRET: randomBytes(48).toString("base64url"),
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: "error",
        IMPORT_RUNNER: "false",
        DATA_DIR: dataDir,
      },
    });
    const owner = await signup(server.url, { email: "owner@restart.example", name: "Owner", organizationName: "Restart" });
    const headers = { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/json" };
    console.log(
      `PostgreSQL ${options.pgdata ? `cluster ${options.pgdata}` : "throwaway cluster"} at ${cluster.url}; ` +
        `${options.connections} clients mixing creates and lists`,
    );

    const samples: Sample[] = [];
    const origin = Date.now();
    const now = () => Date.now() - origin;
    let running = true;
    let sequence = 0;
    const client = async () => {
      while (running) {
        const n = sequence++;
        const email = n % 2 === 0 ? `restart-${n}@load.example` : undefined;
        const request = email
          ? fetch(`${server?.url}/api/v1/leads`, { method: "POST", headers, body: JSON.stringify({ firstName: "Load", email }) })
          : fetch(`${server?.url}/api/v1/leads?limit=10`, { headers });
        const sample = await request.then(
          async (response) => {
            await response.arrayBuffer();
            return { at: now(), status: response.status, retryAfter: response.headers.has("retry-after"), email };
          },
          () => ({ at: now(), status: 0, retryAfter: false, email }),
        );
        samples.push(sample);
        if (sample.status === 0 || sample.status >= 500) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const clients = Array.from({ length: options.connections }, client);

    await new Promise((resolve) => setTimeout(resolve, options.before * 1000));
    const restarts: { start: number; end: number }[] = [];
    for (let restart = 0; restart < options.restarts; restart++) {
      const start = now();
      await cluster.restart(options.mode);
      restarts.push({ start, end: now() });
      await new Promise((resolve) => setTimeout(resolve, options.after * 1000));
    }
    running = false;
    await Promise.all(clients);
    const alive = (() => {
      try {
        process.kill(server.pid, 0);
        return true;
      } catch {
        return false;
      }
    })();

    const acknowledged = samples.filter((sample) => sample.email && sample.status >= 200 && sample.status < 300);
    const refused = samples.filter((sample) => sample.email && !(sample.status >= 200 && sample.status < 300));
    const counts = await withClient(databaseUrl, async (db) => {
      const { rows } = await db.query<{ email: string; n: string }>(
        `SELECT "email", count(*) AS n FROM "Lead" WHERE "email" LIKE 'restart-%' GROUP BY "email"`,
      );
      return new Map(rows.map((row) => [row.email, Number(row.n)]));
    });
    const lost = acknowledged.filter((sample) => !counts.has(sample.email ?? "")).length;
    const duplicated = [...counts.values()].filter((count) => count > 1).length;
    const committedDespiteError = refused.filter((sample) => counts.has(sample.email ?? "")).length;

    const byStatus = (list: Sample[]) => {
      const tally = new Map<string, number>();
      for (const sample of list) {
        const key = sample.status === 0 ? "network error" : String(sample.status);
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      return [...tally.entries()].map(([status, count]) => `${status}: ${count}`).join(", ") || "none";
    };
    console.log(`\nserver process alive after the restarts: ${alive ? "yes" : "NO (it crashed)"}`);
    console.log(
      `before the first restart (${options.before} s): ${byStatus(samples.filter((s) => s.at < (restarts[0]?.start ?? 0)))}`,
    );
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    for (const [index, { start, end }] of restarts.entries()) {
      const next = restarts[index + 1]?.start ?? Number.POSITIVE_INFINITY;
      const window = samples.filter((sample) => sample.at >= start && sample.at < next);
      const failures = window.filter((sample) => sample.status === 0 || sample.status >= 300);
      const lastFailure = failures.at(-1)?.at ?? start;
      const firstSuccess = window.find((sample) => sample.at >= end && sample.status >= 200 && sample.status < 300);
      console.log(`restart ${index + 1}: pg_ctl restart -m ${options.mode} took ${seconds(end - start)}`);
      console.log(
        failures.length
          ? `  outage: failed answers from ${seconds((failures[0]?.at ?? start) - start)} to ${seconds(lastFailure - start)} after the restart began`
          : "  outage: no request failed",
      );
      console.log(`  during (restart start → last failure): ${byStatus(window.filter((s) => s.at <= lastFailure))}`);
      console.log(
        `  after (last failure → ${options.after} s after the restart): ${byStatus(window.filter((s) => s.at > lastFailure))}`,
      );
      console.log(
        `  first success after PostgreSQL was back: ${firstSuccess ? `${seconds(firstSuccess.at - end)} later` : "NEVER"}`,
      );
      const withoutRetryAfter = failures.filter((sample) => sample.status === 503 && !sample.retryAfter).length;
      const notUnavailable = failures.filter((sample) => sample.status !== 503).length;
      console.log(`  failures other than 503: ${notUnavailable}; 503 without Retry-After: ${withoutRetryAfter}`);
    }
    console.log(
      `creates: ${acknowledged.length} acknowledged, ${lost} of them lost, ${duplicated} duplicated; ` +
        `${refused.length} refused (${committedDespiteError} of those committed anyway: the answer was lost with the connection)`,
    );
    if (!alive || lost || duplicated) process.exitCode = 1;
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (!options.pgdata) await cluster.dispose();
    else await withClient(cluster.url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
