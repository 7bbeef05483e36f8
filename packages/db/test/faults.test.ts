import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/database.ts";
import { DatabaseBusyError, databaseFault } from "../src/faults.ts";

const pgError = (code: string, message = "boom") => Object.assign(new Error(message), { code, severity: "FATAL" });
const adapterError = (cause: object) => Object.assign(new Error("adapter"), { name: "DriverAdapterError", cause });
const prismaError = (code: string, message = "prisma", meta: object = {}) =>
  Object.assign(new Error(message), { name: "PrismaClientKnownRequestError", code, meta });

describe("databaseFault", () => {
  it.each([
    ["admin shutdown 57P01", pgError("57P01")],
    ["crash shutdown 57P02", pgError("57P02")],
    ["cannot connect now 57P03", pgError("57P03")],
    ["too many connections 53300", pgError("53300")],
    ["connection failure class 08", pgError("08006")],
    ["a refused socket", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED", syscall: "connect" })],
    ["Node's AggregateError of refused addresses", new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })])],
    ["pg's lost connection", new Error("Connection terminated unexpectedly")],
    ["pg's unqueryable client", new Error("Client has encountered a connection error and is not queryable")],
    ["the adapter's unreachable database", adapterError({ kind: "DatabaseNotReachable", host: "h", port: 1 })],
    ["Prisma P1001", prismaError("P1001")],
    [
      "Prisma P2010 wrapping a terminated backend",
      prismaError("P2010", "Raw query failed", {
        driverAdapterError: adapterError({ kind: "postgres", code: "57P01", originalCode: "57P01" }),
      }),
    ],
  ])("%s is the database being unavailable", (_, error) => {
    expect(databaseFault(error)?.kind).toBe("unavailable");
  });

  it.each([
    ["the pool's own bound", new DatabaseBusyError("queue full")],
    [
      "Prisma's transaction start timeout",
      prismaError("P2028", "Transaction API error: Unable to start a transaction in the given time."),
    ],
    [
      "a query of a transaction that outlived its timeout",
      prismaError("P2028", "Transaction API error: A query cannot be executed on an expired transaction."),
    ],
    [
      "a query of a timed-out transaction Prisma has forgotten",
      prismaError(
        "P2028",
        "Transaction API error: Transaction not found. Transaction ID is invalid, refers to an old closed transaction",
      ),
    ],
    ["Prisma's pool timeout", prismaError("P2024")],
    ["a busy error as a cause", new Error("wrapped", { cause: new DatabaseBusyError("queue full") })],
  ])("%s is the database being busy", (_, error) => {
    expect(databaseFault(error)?.kind).toBe("busy");
  });

  it.each([
    ["a unique violation", prismaError("P2002")],
    ["a syntax error", pgError("42601")],
    [
      "a committed transaction used by mistake",
      prismaError(
        "P2028",
        "Transaction API error: Transaction already closed: A query cannot be executed on a committed transaction.",
      ),
    ],
    ["a plain bug", new TypeError("undefined is not a function")],
    ["not an error", "text"],
  ])("%s is not a fault of the database", (_, error) => {
    expect(databaseFault(error)).toBeUndefined();
  });
});

describe("a transaction that outlives its timeout, through Prisma", () => {
  // Prisma remembers only the last 100 closed transactions: once more have closed since, a late
  // query of a timed-out one is "Transaction not found", which a burst of writes reaches.
  it.each([0, 400])("is busy when its late query runs after %i other transactions", async (others) => {
    const url = process.env.TEST_DATABASE_URL;
    const db = await openDatabase(url ? { kind: "postgres", url } : { kind: "pglite" });
    try {
      let resume!: () => void;
      const othersDone = new Promise<void>((resolve) => {
        resume = resolve;
      });
      const late = db.prisma
        .$transaction(
          async (tx) => {
            await tx.$queryRawUnsafe("SELECT 1");
            await othersDone;
            await tx.$queryRawUnsafe("SELECT 2");
          },
          { timeout: 100 },
        )
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await new Promise((resolve) => setTimeout(resolve, 2500));
      for (let i = 0; i < others; i++) await db.prisma.$transaction((tx) => tx.$queryRawUnsafe("SELECT 3"));
      resume();
      const error = await late;
      expect((error as { code?: string }).code).toBe("P2028");
      expect(databaseFault(error)?.kind).toBe("busy");
    } finally {
      await db.close();
    }
  });
});
