import { afterEach, describe, expect, it } from "vitest";
import {
  connectionRefused,
  LOGIN_PATH,
  openKeepAliveConnections,
  RawConnection,
  sendUnfinishedLogin,
} from "./support/raw-http.ts";
import { isRunning, type LogLine, processExits, type ServerProcess, startServerProcess } from "./support/server-process.ts";

// These tests run the real thing: `pnpm start` from the repository root, signalled the way a
// supervisor or a container runtime does it (the pnpm process only, not its process group).

const GRACE_SECONDS = 30;
/** How long the tests wait for a shutdown to happen: the grace period and a generous margin. */
const SHUTDOWN_WAIT_MS = (GRACE_SECONDS + 30) * 1000;
const TEST_TIMEOUT_MS = 420_000;

let server: ServerProcess | undefined;

afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

async function start(until?: string, graceSeconds = GRACE_SECONDS): Promise<ServerProcess> {
  server = await startServerProcess({ SHUTDOWN_GRACE_SECONDS: String(graceSeconds) }, until);
  return server;
}

const isLogin = (line: LogLine) => (line.req as { url?: string } | undefined)?.url === LOGIN_PATH;

/**
 * A clean shutdown: the server process is gone within its grace period (no orphan), pnpm passes on
 * its exit code 0 (the grace deadline exits with 1), and nothing listens on the port any more.
 */
async function expectCleanExit({ serverPid, child, exited, port }: ServerProcess) {
  expect(await processExits(serverPid, SHUTDOWN_WAIT_MS)).toBe(true);
  // A reader that stopped reading resumes, so the pipes can close.
  child.stdout?.resume();
  child.stderr?.resume();
  expect(await exited).toEqual({ code: 0, signal: null });
  expect(await connectionRefused(port)).toBe(true);
}

describe("pnpm start and SIGTERM", () => {
  it(
    "drains the server: a running request finishes with Connection: close, idle keep-alive connections close cleanly, new connections are refused",
    async () => {
      const { child, port, serverPid, waitForLog, logs } = await start();
      const idle = await openKeepAliveConnections(port, 2);
      const arriving = await openKeepAliveConnections(port, 2);

      // A request whose body is still on its way when the signal comes.
      const running = await RawConnection.open(port);
      const login = sendUnfinishedLogin(running);
      await waitForLog("incoming request", isLogin);

      process.kill(child.pid as number, "SIGTERM");
      for (const connection of arriving) connection.write(RawConnection.head("GET", "/healthz"));

      expect((await waitForLog("shutting down", undefined, SHUTDOWN_WAIT_MS)).signal).toBe("SIGTERM");
      await expect.poll(() => connectionRefused(port), { timeout: 30_000 }).toBe(true);
      expect(isRunning(serverPid)).toBe(true);

      login.finish();
      const answer = await running.response();
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body).code).toBe("UNAUTHORIZED");
      expect(answer.headers.connection).toBe("close");
      for (const connection of arriving) expect((await connection.response()).status).toBe(200);
      const endings = await Promise.all([running, ...arriving, ...idle].map((connection) => connection.closed));
      expect(endings).toEqual(Array(endings.length).fill("end"));

      await expectCleanExit(server as ServerProcess);
      expect(logs().map((line) => line.msg)).toContain("shut down cleanly");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "keeps serving and shuts down when its output pipes have been closed (every write meets EPIPE)",
    async () => {
      // Closed before the server listens: its start-up lines, the banner and every request's log lines fail.
      const { child, url, port } = await start("database ready");
      child.stdout?.destroy();
      child.stderr?.destroy();
      await expect.poll(() => connectionRefused(port), { timeout: 120_000, interval: 200 }).toBe(false);
      for (let i = 0; i < 20; i++) expect((await fetch(`${url}/healthz`)).status).toBe(200);

      process.kill(child.pid as number, "SIGTERM");
      await expectCleanExit(server as ServerProcess);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "shuts down when nothing reads its output any more (a full pipe)",
    async () => {
      const { child, url } = await start();
      child.stdout?.pause();
      child.stderr?.pause();
      // Two log lines per request: far more than a pipe holds.
      for (let i = 0; i < 400; i++) expect((await fetch(`${url}/healthz`)).status).toBe(200);

      process.kill(child.pid as number, "SIGTERM");
      await expectCleanExit(server as ServerProcess);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "exits with 1 at its grace deadline when a request never finishes",
    async () => {
      const { child, serverPid, port, exited, waitForLog } = await start(undefined, 3);
      sendUnfinishedLogin(await RawConnection.open(port));
      await waitForLog("incoming request", isLogin);

      process.kill(child.pid as number, "SIGTERM");
      await waitForLog("shutdown grace period elapsed", undefined, SHUTDOWN_WAIT_MS);
      expect(await processExits(serverPid, SHUTDOWN_WAIT_MS)).toBe(true);
      expect(await exited).toEqual({ code: 1, signal: null });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "shuts itself down when pnpm is killed outright and cannot pass a signal on",
    async () => {
      const { child, port, serverPid, waitForLog } = await start();
      process.kill(child.pid as number, "SIGKILL");

      expect((await waitForLog("shutting down", undefined, SHUTDOWN_WAIT_MS)).parentExited).toBe(child.pid);
      await waitForLog("shut down cleanly", undefined, SHUTDOWN_WAIT_MS);
      expect(await processExits(serverPid, SHUTDOWN_WAIT_MS)).toBe(true);
      expect(await connectionRefused(port)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});
