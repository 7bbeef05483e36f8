import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

export interface RestError {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
  requestId: string;
}

interface BridgeErrorBody {
  code?: unknown;
  message?: unknown;
  data?: { issues?: { path: string; message: string }[] };
}

/**
 * The OpenAPI bridge answers validation errors with a generic "Input validation failed" and its
 * own issue format; we give REST callers the same `{ code, message, issues, requestId }` with the
 * field-naming message the tRPC side gets from the error formatter.
 */
export function normalizeBridgeError(payload: string, requestId: string, route: string): string {
  let body: BridgeErrorBody;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  const issues = body.data?.issues;
  // The bridge's own "no procedure for this path" says only "Not found".
  if (body.code === "NOT_FOUND" && body.message === "Not found") body.message = `No route for ${route}`;
  const error: RestError = {
    code: typeof body.code === "string" ? body.code : "INTERNAL_SERVER_ERROR",
    message: issues?.length
      ? issues.map((issue) => (issue.path === "(input)" ? issue.message : `${issue.path}: ${issue.message}`)).join("; ")
      : typeof body.message === "string"
        ? body.message
        : "Request failed",
    ...(issues?.length ? { issues } : {}),
    requestId,
  };
  return JSON.stringify(error);
}

const STATUS_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  408: "TIMEOUT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
};

/** Errors Fastify raises before a procedure runs (malformed JSON, body too large, ...). */
export function fastifyErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) request.log.error({ err: error }, "unhandled error");
  const code = STATUS_CODES[status] ?? "INTERNAL_SERVER_ERROR";
  const message =
    status === 500
      ? "Internal server error"
      : error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error instanceof SyntaxError
        ? `Malformed JSON body: ${error.message}`
        : error.message;
  if (request.url.startsWith("/trpc")) {
    // Shaped like a tRPC error, in superjson's envelope (`{ json }`) like every tRPC response of
    // this server, so the typed client can read it.
    const rpcCode = TRPC_ERROR_CODES_BY_KEY[code as keyof typeof TRPC_ERROR_CODES_BY_KEY] ?? TRPC_ERROR_CODES_BY_KEY.BAD_REQUEST;
    return reply
      .status(status)
      .send({ error: { json: { message, code: rpcCode, data: { code, httpStatus: status, requestId: request.id } } } });
  }
  return reply.status(status).send({ code, message, requestId: request.id } satisfies RestError);
}

type TrpcErrorEnvelope = { error?: { json?: { data?: Record<string, unknown> }; data?: Record<string, unknown> } };

/**
 * tRPC's error formatter takes the request id from the context, and an error raised before there
 * is one (e.g. a body of an unsupported content type) has none; this adds it to each error of a
 * /trpc response body (one, or a batch), superjson-encoded or not.
 */
export function addRequestIdToTrpcErrors(payload: string, requestId: string): string {
  let body: TrpcErrorEnvelope | TrpcErrorEnvelope[];
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  let added = false;
  for (const item of Array.isArray(body) ? body : [body]) {
    const data = item?.error?.json?.data ?? item?.error?.data;
    if (data && typeof data === "object" && data.requestId == null) {
      data.requestId = requestId;
      added = true;
    }
  }
  return added ? JSON.stringify(body) : payload;
}
