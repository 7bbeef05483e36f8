import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "./database.ts";
import { type DatabaseFault, databaseFault } from "./faults.ts";

/** The database did not answer within the start-up timeout. */
export class DatabaseUnreachableError extends Error {
  override name = "DatabaseUnreachableError";
  constructor(
    readonly fault: DatabaseFault,
    readonly waitedMs: number,
  ) {
    super(`the database did not answer within ${Math.round(waitedMs / 1000)} s (${fault.reason})`);
  }
}

export interface WaitForDatabaseOptions {
  /** How long to keep trying; 0 tries once. */
  timeoutMs: number;
  /** Called before each wait, so the host can say what it is waiting for. */
  onRetry?(fault: DatabaseFault, retryInMs: number): void;
  /** The first pause between two attempts; doubled after each up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Resolves once the database answers. A server started before its database (a container started
 * with it, a database being restarted) waits for it instead of exiting; an error that is not a
 * database fault (a wrong password, a missing database) is thrown at once, since waiting cannot fix it.
 */
export async function waitForDatabase(database: Pick<Database, "ping">, options: WaitForDatabaseOptions): Promise<void> {
  const started = Date.now();
  let delayMs = options.initialDelayMs ?? 250;
  for (;;) {
    try {
      await database.ping();
      return;
    } catch (error) {
      const fault = databaseFault(error);
      if (!fault) throw error;
      const waitedMs = Date.now() - started;
      if (waitedMs + delayMs > options.timeoutMs) throw new DatabaseUnreachableError(fault, waitedMs);
      options.onRetry?.(fault, delayMs);
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, options.maxDelayMs ?? 5000);
    }
  }
}
