import type { FastifyBaseLogger } from "fastify";
import type { LogOutput } from "./log-output.ts";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;
/** Taken when the process starts, so a parent that dies during start-up is noticed too. */
const PARENT_PID = process.ppid;
const PARENT_CHECK_INTERVAL_MS = 500;
/** The last log lines get this long to reach a reader that is still there. */
const LOG_FLUSH_TIMEOUT_MS = 1000;

export interface ShutdownOptions {
  log: FastifyBaseLogger;
  logOutput: LogOutput;
  graceSeconds: number;
  /** Closes everything the process holds (HTTP server, import runner, database), in order. */
  close(): Promise<void>;
  /** Also shut down when the parent process goes away. */
  exitWithParent: boolean;
}

/**
 * Shuts the server down on SIGTERM or SIGINT, or when its parent exits (if asked):
 * `close()` gets `graceSeconds`, then the process exits anyway. Signals that arrive while shutting
 * down are ignored (a terminal's Ctrl-C reaches both a package manager and the server, and the
 * package manager passes it on): the deadline bounds the wait.
 */
export function handleShutdown({ log, logOutput, graceSeconds, close, exitWithParent }: ShutdownOptions): void {
  let shuttingDown = false;
  let exiting = false;

  async function exit(code: number): Promise<void> {
    if (exiting) return;
    exiting = true;
    await logOutput.flush(LOG_FLUSH_TIMEOUT_MS);
    process.exit(code);
  }

  async function shutdown(reason: Record<string, unknown>) {
    if (shuttingDown) return;
    shuttingDown = true;
    const started = Date.now();
    log.info({ ...reason, graceSeconds }, "shutting down: finishing in-flight requests");
    setTimeout(() => {
      log.error({ graceSeconds }, "shutdown grace period elapsed; exiting with requests still open");
      void exit(1);
    }, graceSeconds * 1000);
    try {
      await close();
    } catch (error) {
      log.error({ err: error }, "error during shutdown");
      return exit(1);
    }
    const { droppedLines } = logOutput;
    log.info(
      { durationMs: Date.now() - started, ...(droppedLines ? { droppedLogLines: droppedLines } : {}) },
      "shut down cleanly",
    );
    return exit(0);
  }

  for (const signal of SIGNALS) process.on(signal, () => void shutdown({ signal }));
  if (exitWithParent) watchParent((parentPid) => void shutdown({ parentExited: parentPid }));
}

/**
 * Calls `onExit` once the parent process has gone: the process is then re-parented (to init or a
 * subreaper) and its `ppid` changes. A wrapper that dies without passing on the supervisor's
 * signal (a package manager killed, or one that exits on SIGTERM) would otherwise leave the
 * server running as an orphan that nothing stops.
 */
function watchParent(onExit: (parentPid: number) => void): void {
  const timer = setInterval(() => {
    if (process.ppid === PARENT_PID) return;
    clearInterval(timer);
    onExit(PARENT_PID);
  }, PARENT_CHECK_INTERVAL_MS);
  timer.unref();
}
