import SonicBoom from "sonic-boom";

/** Log bytes held while stdout's reader lags behind; past this, new lines are dropped (and counted). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface LogOutput {
  /** pino's destination interface. */
  write(line: string): void;
  /** Resolves once the buffered lines are written, the output has failed, or `timeoutMs` has passed. */
  flush(timeoutMs: number): Promise<void>;
  /** Lines dropped because the reader was too far behind. */
  readonly droppedLines: number;
}

/**
 * The server's log destination: stdout, written asynchronously, so a slow, stalled or vanished
 * reader never blocks the event loop, never throws and never keeps the process from exiting.
 * pino's default destination flushes synchronously when the process exits and, with its
 * sonic-boom 4, retries a full pipe (EAGAIN) or a closed one (EPIPE) there forever: a server whose
 * output pipes were closed or no longer read could not exit, not even at its shutdown deadline.
 * Here nothing runs at exit; shutdown awaits `flush` with a time limit instead.
 */
export function createLogOutput(): LogOutput {
  // Reading process.stdout.fd makes Node open stdout, which sets a pipe non-blocking: a full pipe
  // then delays our writes (retried on a timer) instead of holding a thread-pool thread.
  const stream = new SonicBoom({ fd: process.stdout.fd, sync: false, maxLength: MAX_BUFFERED_BYTES });
  let writable = true;
  let droppedLines = 0;
  // EPIPE (the reader is gone) or EBADF: logs have nowhere to go; serving goes on.
  stream.on("error", () => {
    writable = false;
  });
  stream.on("drop", () => {
    droppedLines++;
  });
  return {
    write(line) {
      if (writable) stream.write(line);
    },
    flush(timeoutMs) {
      if (!writable) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        stream.flush(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    get droppedLines() {
      return droppedLines;
    },
  };
}

/**
 * Makes a closed stdout or stderr harmless to everything else that writes there (console, Node's
 * own warnings): the failed write's EPIPE arrives as an 'error' event on process.stdout/stderr,
 * which crashes the process when nothing listens. Nothing can be told about it: the reader is gone.
 */
export function ignoreClosedOutputPipes(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", ignore);
}

function ignore(): void {}
