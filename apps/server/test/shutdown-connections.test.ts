import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionRefused, openKeepAliveConnections, RawConnection, sendUnfinishedLogin } from "./support/raw-http.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
});

describe("keep-alive connections when the server closes", () => {
  it("are never reset: running and arriving requests are answered with Connection: close, idle ones closed, new ones refused", async () => {
    const idle = await openKeepAliveConnections(port, 3);
    const arriving = await openKeepAliveConnections(port, 3);

    // A request whose body is still on its way when the close begins.
    const running = await RawConnection.open(port);
    const started = once(server.app.server, "request");
    const login = sendUnfinishedLogin(running);
    await started;

    // A response being streamed to a client that reads slowly (1.5 MB of JavaScript).
    const streaming = await RawConnection.open(port);
    streaming.write(RawConnection.head("GET", "/docs/static/swagger-ui-bundle.js"));
    await streaming.responseHead();
    streaming.pause();

    const closing = server.app.close();
    for (const connection of arriving) connection.write(RawConnection.head("GET", "/healthz"));

    await expect.poll(() => connectionRefused(port), { timeout: 10_000 }).toBe(true);

    login.finish();
    const answer = await running.response();
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).code).toBe("UNAUTHORIZED");
    expect(answer.headers.connection).toBe("close");

    streaming.resume();
    const script = await streaming.response();
    expect(script.status).toBe(200);
    expect(Buffer.byteLength(script.body)).toBe(Number(script.headers["content-length"]));

    for (const connection of arriving) {
      const response = await connection.response();
      expect(response.status).toBe(200);
      expect(response.headers.connection).toBe("close");
    }
    const endings = await Promise.all([running, streaming, ...arriving, ...idle].map((connection) => connection.closed));
    expect(endings).toEqual(Array(endings.length).fill("end"));
    await closing;
  });
});
