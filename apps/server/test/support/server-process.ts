import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { cloneTemplate, dropDatabase } from "./postgres.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../../..");
/** Start-up migrates a fresh database (PGlite takes 7-13 s on a quiet 2-core machine, far more on a busy one). */
const START_TIMEOUT_MS = 180_000;

export interface LogLine {
  msg?: string;
  pid?: number;
  [field: string]: unknown;
}

export interface ServerProcess {
  /** The process the test started (`pnpm start`): what a supervisor would signal. */
  child: ChildProcess;
  /** The server's own process (the pid in its log lines). */
  serverPid: number;
  port: number;
  url: string;
  /** Every line printed so far (stdout and stderr). */
  output: string[];
  /** The JSON log lines printed so far. */
  logs(): LogLine[];
  /** Resolves with the first log line whose message starts with `message` (and that `matches`). */
  waitForLog(message: string, matches?: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** How the started process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills whatever is left (the orphan a failed shutdown leaves) and removes the database. */
  dispose(): Promise<void>;
}

/** Whether `pid` is a live process (a zombie, exited but not yet reaped by its parent, is not). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (command) state ...".
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return true;
  }
}

/** A local port nothing listens on (taken from the OS, then released). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A database for one server process: a copy of the run's PostgreSQL template, or a PGlite data directory. */
async function processDatabase(): Promise<{ env: Record<string, string>; dispose(): Promise<void> }> {
  const baseUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const template = inject("postgresTemplate");
  if (baseUrl && template) {
    const copy = await cloneTemplate(baseUrl, template);
    return { env: { DATABASE_URL: copy.url }, dispose: () => dropDatabase(baseUrl, copy.name) };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "crm-process-"));
  return { env: { DATA_DIR: dataDir }, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * Runs `pnpm start` from the repository root, as an operator or a container would, with its
 * output on pipes the test reads, and waits for the log line `until` (by default: it listens).
 */
export async function startServerProcess(env: Record<string, string> = {}, until = "Server listening"): Promise<ServerProcess> {
  const database = await processDatabase();
  const port = await freePort();
  const { DATABASE_URL: _url, DATA_DIR: _dir, ...inherited } = process.env;
  const child = spawn("pnpm", ["start"], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      ...database.env,
      NODE_ENV: "production",
      JWT_SECRET: randomBytes(32).toString("hex"),
      PORT: String(port),
      LOG_LEVEL: "info",
      LOG_PRETTY: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // "close", not "exit": by then everything the process printed has been read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );

  const output: string[] = [];
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      output.push(...lines);
      for (const listener of listeners) listener();
    });
  }
  const logs = () =>
    output.flatMap((line): LogLine[] => {
      if (!line.startsWith("{")) return [];
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });

  function waitForLog(
    message: string,
    matches: (line: LogLine) => boolean = () => true,
    timeoutMs = START_TIMEOUT_MS,
  ): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = logs().find((log) => log.msg?.startsWith(message) && matches(log));
        if (!line) return;
        cleanUp();
        resolve(line);
      };
      const fail = (why: string) => () => {
        cleanUp();
        reject(new Error(`no log line "${message}" (${why}); output:\n${output.join("\n")}`));
      };
      const timer = setTimeout(fail("timed out"), timeoutMs);
      const onClose = fail("the process exited");
      const cleanUp = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("close", onClose);
      };
      listeners.add(check);
      child.once("close", onClose);
      check();
    });
  }

  let serverPid: number | undefined;
  const dispose = async () => {
    for (const pid of [serverPid, child.pid]) if (pid && isRunning(pid)) process.kill(pid, "SIGKILL");
    await database.dispose();
  };
  try {
    serverPid = (await waitForLog(until)).pid;
    if (!serverPid) throw new Error(`the log line "${until}" carries no pid`);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { child, serverPid, port, url: `http://127.0.0.1:${port}`, output, logs, waitForLog, exited, dispose };
}

/** Resolves true once `pid` has exited, false if it still runs after `timeoutMs`. */
export async function processExits(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
