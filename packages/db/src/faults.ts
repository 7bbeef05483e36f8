/**
 * Database faults that are not the request's doing and pass by themselves: the database cannot be
 * reached or dropped the connection (`unavailable`), or every connection stayed busy for longer
 * than the pool lets a query wait (`busy`). Both are a 503 with Retry-After, never a 500.
 */
export type DatabaseFaultKind = "unavailable" | "busy";

export interface DatabaseFault {
  kind: DatabaseFaultKind;
  /** What happened, for the error message and the log: "connection refused", "queue full", ... */
  reason: string;
}

/** Every pool connection was in use and the queue was full, or a queued query waited past its bound. */
export class DatabaseBusyError extends Error {
  override name = "DatabaseBusyError";
  constructor(readonly reason: string) {
    super(`the database is busy: ${reason}`);
  }
}

/** SQLSTATEs of a database that is going away, restarting or refusing connections. */
const UNAVAILABLE_SQLSTATES: Record<string, string> = {
  "57P01": "the database ended the connection (administrator command)",
  "57P02": "the database is restarting (crash shutdown)",
  "57P03": "the database is starting up or shutting down",
  "53300": "the database has too many connections",
};

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** Plain errors node-postgres raises about its connection (they carry no code). */
const PG_CONNECTION_MESSAGES: Record<string, string> = {
  "Connection terminated unexpectedly": "the connection was lost",
  "Connection terminated": "the connection was lost",
  "Connection terminated due to connection timeout": "connecting timed out",
  "Client has encountered a connection error and is not queryable": "the connection was lost",
};

/** What `@prisma/adapter-pg` reports (`DriverAdapterError.cause.kind`) for connection-level failures. */
const ADAPTER_KINDS: Record<string, string> = {
  DatabaseNotReachable: "connection refused",
  ConnectionClosed: "the connection was lost",
  SocketTimeout: "connection timed out",
  TooManyConnections: "the database has too many connections",
};

/** Prisma's own codes for a database it cannot reach or talk to in time. */
const PRISMA_CODES: Record<string, string> = {
  P1001: "cannot reach the database server",
  P1002: "the database server timed out",
  P1008: "the database operation timed out",
  P1017: "the database server closed the connection",
  P2037: "the database has too many connections",
};

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  meta?: { driverAdapterError?: unknown };
}

function faultOf(error: ErrorLike): DatabaseFault | undefined {
  if (error instanceof DatabaseBusyError) return { kind: "busy", reason: error.reason };
  const code = typeof error.code === "string" ? error.code : undefined;
  const sqlState = typeof error.originalCode === "string" ? error.originalCode : code;
  const unavailable = (reason: string | undefined) => (reason ? { kind: "unavailable" as const, reason } : undefined);
  const message = typeof error.message === "string" ? error.message : "";
  const known =
    unavailable(sqlState && UNAVAILABLE_SQLSTATES[sqlState]) ??
    unavailable(sqlState?.startsWith("08") ? `connection failure (SQLSTATE ${sqlState})` : undefined) ??
    unavailable(code && SOCKET_ERRORS[code]) ??
    unavailable(typeof error.kind === "string" ? ADAPTER_KINDS[error.kind] : undefined) ??
    unavailable(PG_CONNECTION_MESSAGES[message]);
  if (known) return known;
  if (code === "P2024") return { kind: "busy", reason: "no connection came free in time" };
  if (code && PRISMA_CODES[code]) return unavailable(PRISMA_CODES[code]);
  // Prisma's interactive transactions: no connection within `maxWait`, or the transaction outlived
  // `timeout` ("not found" once Prisma, which remembers only the last 100 closed ones, forgot it).
  if (
    code === "P2028" &&
    /Unable to start a transaction in the given time|expired transaction|Transaction not found/.test(message)
  ) {
    return { kind: "busy", reason: "the transaction could not run in time" };
  }
  return undefined;
}

/**
 * Whether `error` (a Prisma error, a driver adapter error, a node-postgres or socket error, or any
 * of these as a cause) means the database is unavailable or busy. Anything else is undefined: a
 * query's own error (constraint, syntax) is not a fault of the database.
 */
export function databaseFault(error: unknown): DatabaseFault | undefined {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length && seen.size < 20) {
    const current = pending.shift();
    if (typeof current !== "object" || current === null || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as ErrorLike;
    const fault = faultOf(candidate);
    if (fault) return fault;
    pending.push(candidate.cause, candidate.meta?.driverAdapterError);
    if (Array.isArray(candidate.errors)) pending.push(...candidate.errors);
  }
  return undefined;
}
