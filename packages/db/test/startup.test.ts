import net from "node:net";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/database.ts";
import { DatabaseUnreachableError, waitForDatabase } from "../src/startup.ts";

const postgresUrl = process.env.TEST_DATABASE_URL;

/** A local port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function urlOnPort(port: number, base = "postgres://postgres@127.0.0.1:5432/postgres"): string {
  const url = new URL(base);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
}

describe("waiting for the database at start-up", () => {
  it("retries a database that refuses connections, then gives up with the reason after the timeout", async () => {
    const database = await openDatabase({ kind: "postgres", url: urlOnPort(await freePort()), poolSize: 1 });
    const retries: string[] = [];
    const started = Date.now();
    try {
      const waiting = waitForDatabase(database, {
        timeoutMs: 600,
        initialDelayMs: 50,
        onRetry: (fault) => retries.push(fault.reason),
      });
      await expect(waiting).rejects.toBeInstanceOf(DatabaseUnreachableError);
      await expect(waiting).rejects.toThrow(/did not answer within \d+ s \(connection refused\)/);
    } finally {
      await database.close();
    }
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(new Set(retries)).toEqual(new Set(["connection refused"]));
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.skipIf(!postgresUrl)("throws at once what waiting cannot fix (a database that does not exist)", async () => {
    const url = new URL(postgresUrl ?? "");
    url.pathname = "/crm_no_such_database";
    const database = await openDatabase({ kind: "postgres", url: url.toString(), poolSize: 1 });
    const retries: string[] = [];
    try {
      await expect(
        waitForDatabase(database, { timeoutMs: 10_000, onRetry: (fault) => retries.push(fault.reason) }),
      ).rejects.toThrow(/does not exist/);
    } finally {
      await database.close();
    }
    expect(retries).toEqual([]);
  });

  it.skipIf(!postgresUrl)("resolves as soon as a database that was not there yet starts answering", async () => {
    const target = new URL(postgresUrl ?? "");
    const port = await freePort();
    const database = await openDatabase({ kind: "postgres", url: urlOnPort(port, postgresUrl), poolSize: 1 });
    // The database "comes up" 400 ms later: a TCP proxy to the real one starts listening on the port.
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    const comingUp = new Promise<void>((resolve) => setTimeout(() => proxy.listen(port, "127.0.0.1", resolve), 400));
    const retries: string[] = [];
    try {
      await waitForDatabase(database, { timeoutMs: 10_000, initialDelayMs: 50, onRetry: (fault) => retries.push(fault.reason) });
      await comingUp;
      expect(retries.length).toBeGreaterThanOrEqual(1);
      await database.ping();
    } finally {
      await database.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
