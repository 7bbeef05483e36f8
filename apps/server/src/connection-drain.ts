import type { ServerResponse } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { FastifyInstance } from "fastify";

/**
 * Closes keep-alive connections the HTTP/1.1 way when the app closes (RFC 9112 §9.6): no
 * connection is cut while a request is on it, and none is left open for the client to reuse.
 *
 * Fastify stops accepting connections, and answers requests that arrive while it closes with
 * `Connection: close` (the app sets `return503OnClosing: false` so they are served, not refused
 * with a 503 in a body of Fastify's own). Node closes the connections that are idle at that moment.
 * This adds the rest:
 * - requests already running when the close begins answer with `Connection: close`, and their
 *   connections close after the response (left to Node, they stay open as idle keep-alive
 *   connections until `keepAliveTimeout`, and the close waits for them);
 * - a response already streaming (an export) finishes, then its connection closes;
 * - idle connections are closed only after the event loop has read what already arrived on them,
 *   so a request that reached the server as the close began is answered instead of reset.
 */
export function drainConnectionsOnClose(app: FastifyInstance): void {
  const inFlight = new Set<ServerResponse>();
  app.server.on("request", (_request, response: ServerResponse) => {
    inFlight.add(response);
    response.once("close", () => inFlight.delete(response));
  });

  app.addHook("preClose", async () => {
    for (const response of inFlight) closeConnectionAfter(response);
    // One turn reaches the poll phase in which Node reads pending request bytes; after the second
    // that has happened whichever phase the close began in.
    await nextTurn();
    await nextTurn();
  });
}

function closeConnectionAfter(response: ServerResponse): void {
  // A finished response leaves an idle connection, which Node closes.
  if (response.writableFinished) return;
  if (!response.headersSent) {
    response.setHeader("connection", "close");
    return;
  }
  const socket = response.socket;
  response.once("finish", () => socket?.end(() => socket.destroy()));
}
