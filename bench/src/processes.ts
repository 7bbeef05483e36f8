import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { BenchOptions } from "./options.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Registers tsx's loader in a plain `node` process, so the child's pid is the server itself (no tsx wrapper). */
const TSX_LOADER = import.meta.resolve("tsx");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface Memory {
  /** Resident set size now, MiB. */
  rssMb: number;
  /** Peak resident set size since the process started (VmHWM), MiB. */
  peakMb: number;
}

/** VmRSS and VmHWM of a Linux process, from /proc/<pid>/status. */
export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kib("VmRSS") / 1024, peakMb: kib("VmHWM") / 1024 };
}

/**
 * `pnpm build` of apps/server (its esbuild bundle, dist/main.mjs), the way production runs it. When
 * the build fails (e.g. work in progress in the tree), the bench falls back to the sources through tsx.
 */
export async function buildServer(options: BenchOptions, log: (message: string) => void): Promise<string> {
  log("building apps/server (pnpm build)");
  const build = spawnSync("pnpm", ["--filter", "@crm/server", "build"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (build.status === 0) return "node apps/server/dist/main.mjs (pnpm build)";
  const output = `${build.stdout}${build.stderr}`.trim().split("\n").slice(-4).join(" / ");
  log(`  the build failed, so the server runs from its sources through tsx: ${output}`);
  options.server = "src";
  return `apps/server/src/main.ts through tsx (pnpm build failed: ${output})`;
}

export interface ServerSpec {
  name: string;
  /** A .ts entry runs through tsx's loader, a .mjs/.js one with plain node. */
  entry: string;
  cwd: string;
  env: Record<string, string>;
  /** Path answering 200 once the server can take traffic. */
  readyPath: string;
}

/**
 * A server under test in its own process, so the load generator never shares its event loop.
 * Its output is kept (last lines) for the error message when it fails to start or dies.
 */
export class ServerProcess {
  /** Every server started and not yet stopped, for the clean-up of an interrupted run. */
  static readonly running = new Set<ServerProcess>();
  private output: string[] = [];
  private exited: Promise<number | null>;
  private sampler: NodeJS.Timeout | undefined;
  /** Highest VmRSS seen by `sampleMemory`, MiB. */
  sampledPeakMb = 0;

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      if (this.output.length > 80) this.output.splice(0, this.output.length - 80);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    ServerProcess.running.add(this);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.child.pid;
  }

  static stopAll(): Promise<unknown> {
    return Promise.allSettled([...ServerProcess.running].map((server) => server.stop()));
  }

  static async start(spec: ServerSpec): Promise<ServerProcess> {
    const port = await freePort();
    const loader = spec.entry.endsWith(".ts") ? ["--import", TSX_LOADER] : [];
    const child = spawn(process.execPath, [...loader, spec.entry], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, HOST: "127.0.0.1", PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server = new ServerProcess(spec.name, `http://127.0.0.1:${port}`, child);
    await server.waitReady(spec.readyPath);
    return server;
  }

  private async waitReady(path: string): Promise<void> {
    const deadline = Date.now() + 90_000;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => {
      exitCode = code;
    });
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${this.name} exited (${exitCode}) before it was ready:\n${this.tail()}`);
      try {
        const response = await fetch(this.url + path);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.stop();
    throw new Error(`${this.name} was not ready after 90 s:\n${this.tail()}`);
  }

  tail(): string {
    return this.output.map((line) => `    | ${line}`).join("\n");
  }

  memory(): Memory {
    return readMemory(this.pid);
  }

  /**
   * Resets VmHWM to the current RSS (Linux: `5` to /proc/<pid>/clear_refs), so the next peak is the
   * measured operation's, not start-up's. Returns false where that is not allowed; the sampled peak
   * still holds then.
   */
  resetPeakMemory(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, "5");
      return true;
    } catch {
      return false;
    }
  }

  /** Samples VmRSS every `intervalMs` until `stopSampling`, keeping the highest in `sampledPeakMb`. */
  sampleMemory(intervalMs = 100): void {
    this.sampledPeakMb = this.memory().rssMb;
    this.sampler = setInterval(() => {
      try {
        this.sampledPeakMb = Math.max(this.sampledPeakMb, this.memory().rssMb);
      } catch {
        // the process has gone; stop() reports it
      }
    }, intervalMs);
  }

  stopSampling(): void {
    clearInterval(this.sampler);
  }

  /** SIGTERM (the server's graceful shutdown), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    this.stopSampling();
    ServerProcess.running.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
