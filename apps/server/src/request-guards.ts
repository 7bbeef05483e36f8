import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ConnectionError, FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { errorBody, fastifyErrorHandler, HttpError } from "./rest-errors.ts";

/**
 * The longest URL (path and query) the server takes: 414 above it. Node counts the request line
 * against its 16 KiB header limit too, so a longer URL never reaches Fastify (see clientErrorHandler).
 */
export const MAX_URL_BYTES = 8192;

function urlTooLong(): HttpError {
  return new HttpError(414, `The URL is longer than ${MAX_URL_BYTES} bytes`);
}

/** The first query parameter whose name or value is not valid percent-encoded UTF-8. */
function badlyEncodedParameter(query: string): string | undefined {
  for (const pair of query.split("&")) {
    const [name = "", value = ""] = pair.split(/=(.*)/s);
    for (const part of [name, value]) {
      try {
        decodeURIComponent(part.replaceAll("+", " "));
      } catch {
        return name;
      }
    }
  }
  return undefined;
}

/** URL-level checks every request passes before its route runs (404s included). */
export async function checkUrl(request: FastifyRequest) {
  const url = request.raw.url ?? "";
  if (Buffer.byteLength(url) > MAX_URL_BYTES) throw urlTooLong();
  const queryStart = url.indexOf("?");
  if (queryStart === -1) return;
  const parameter = badlyEncodedParameter(url.slice(queryStart + 1));
  if (parameter !== undefined) {
    throw new HttpError(400, `Malformed query string: parameter "${parameter}" is not valid percent-encoded UTF-8`);
  }
}

/** Errors Fastify's router raises before there is a route: answered in the API's error shape. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header("x-request-id", request.id);
  if (error.code === "FST_ERR_BAD_URL") {
    const path = (request.raw.url ?? "").split("?")[0];
    return fastifyErrorHandler(
      new HttpError(400, `Malformed URL: the path ${path} is not valid percent-encoded UTF-8`),
      request,
      reply,
    );
  }
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH") return fastifyErrorHandler(urlTooLong(), request, reply);
  return fastifyErrorHandler(error, request, reply);
}

/** Where the request line ends in what the parser had buffered, and the URL it names if it is complete. */
function requestLine(rawPacket: unknown): { length: number; url: string } {
  const head = Buffer.isBuffer(rawPacket) ? rawPacket.subarray(0, 64 * 1024).toString("latin1") : "";
  const end = head.indexOf("\r\n");
  const line = end === -1 ? head : head.slice(0, end);
  return { length: line.length, url: /^[A-Z]+ (\S+)/.exec(line)?.[1] ?? "" };
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over Node's limit, a
 * malformed request line). Node would answer with a bare status line; this answers in the API's
 * error shape, with a request id, and closes the connection (the parser cannot go on after it).
 */
export function clientErrorHandler(this: { log: FastifyBaseLogger }, error: ConnectionError, socket: Socket) {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const line = requestLine(error.rawPacket);
  let status = 400;
  let message = "Malformed HTTP request";
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    status = 408;
    message = "The request was not received in time";
  } else if (error.code === "HPE_HEADER_OVERFLOW") {
    const urlOverflowed = line.length > MAX_URL_BYTES;
    status = urlOverflowed ? 414 : 431;
    message = urlOverflowed ? urlTooLong().message : "The request headers are larger than the server accepts (16 KiB in all)";
  }
  const requestId = randomUUID();
  this.log.info({ err: error, requestId, status }, "request refused by the HTTP parser");
  if (socket.writable) {
    const body = JSON.stringify(errorBody(line.url, status, message, requestId));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}
