import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

export interface RestError {
  code: string;
  message: string;
  issues?: { path: string; message: string }[];
  existingId?: string;
  requestId: string;
}

interface BridgeErrorBody {
  code?: unknown;
  message?: unknown;
  /** The bridge's own issues: set exactly when it replaced the message with "Input validation failed". */
  issues?: unknown;
  data?: { issues?: { path: string; message: string }[]; existingId?: string };
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
  // Errors of the HTTP layer (HttpError) are in the API's shape already.
  if (!("data" in body)) return payload;
  const issues = body.data?.issues;
  const existingId = body.data?.existingId;
  // The bridge's own "no procedure for this path" says only "Not found".
  if (body.code === "NOT_FOUND" && body.message === "Not found") body.message = `No route for ${route}`;
  const error: RestError = {
    code: typeof body.code === "string" ? body.code : "INTERNAL_SERVER_ERROR",
    message:
      issues?.length && body.issues !== undefined
        ? issues.map((issue) => (issue.path === "(input)" ? issue.message : `${issue.path}: ${issue.message}`)).join("; ")
        : typeof body.message === "string"
          ? body.message
          : "Request failed",
    ...(issues?.length ? { issues } : {}),
    ...(typeof existingId === "string" ? { existingId } : {}),
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
  414: "URI_TOO_LONG",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
  431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
};

/** A refusal of the HTTP layer (before any procedure runs), with the status and the message the caller gets. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly statusCode: number,
    message: string,
    readonly issues?: { path: string; message: string }[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The error body for `url`: `{ code, message, issues?, requestId }`, or under /trpc a tRPC error in
 * superjson's envelope (`{ json }`) like every tRPC response of this server, so the typed client can read it.
 */
export function errorBody(url: string, status: number, message: string, requestId: string, issues?: RestError["issues"]) {
  const code = STATUS_CODES[status] ?? (status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST");
  if (url.startsWith("/trpc")) {
    const rpcCode = TRPC_ERROR_CODES_BY_KEY[code as keyof typeof TRPC_ERROR_CODES_BY_KEY] ?? TRPC_ERROR_CODES_BY_KEY.BAD_REQUEST;
    return {
      error: { json: { message, code: rpcCode, data: { code, httpStatus: status, requestId, ...(issues ? { issues } : {}) } } },
    };
  }
  return { code, message, ...(issues ? { issues } : {}), requestId } satisfies RestError;
}

/** Fastify's wording for the errors it raises itself, made to name the problem. */
function frameworkMessage(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return request.headers["content-type"]
        ? `Unsupported content type "${request.headers["content-type"]}"`
        : "Missing content-type header";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "Request body is too large";
    default:
      return error.message;
  }
}

/** Errors raised before a procedure runs: by Fastify (body too large, ...) or as an HttpError (malformed JSON, ...). */
export function fastifyErrorHandler(error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) request.log.error({ err: error }, "unhandled error");
  if (error instanceof HttpError) {
    reply.headers(error.headers);
    return reply.status(status).send(errorBody(request.url, status, error.message, request.id, error.issues));
  }
  const message = status === 500 ? "Internal server error" : frameworkMessage(error, request);
  return reply.status(status).send(errorBody(request.url, status, message, request.id));
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
