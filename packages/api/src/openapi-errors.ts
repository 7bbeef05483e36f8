import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { z } from "zod";

/** The name of the shared error body schema in `components.schemas`. */
export const ERROR_COMPONENT = "Error";

/** Codes of statuses only the HTTP layer answers, which tRPC has no code for. */
const HTTP_LAYER_CODES = ["URI_TOO_LONG", "REQUEST_HEADER_FIELDS_TOO_LARGE"] as const;
type ErrorCode = TRPC_ERROR_CODE_KEY | (typeof HTTP_LAYER_CODES)[number];

const ERROR_CODES = [...Object.keys(TRPC_ERROR_CODES_BY_KEY), ...HTTP_LAYER_CODES] as ErrorCode[] as [ErrorCode, ...ErrorCode[]];

/** The body of every REST error, whoever raises it (procedure, bridge, Fastify, file route). */
export const restErrorSchema = z
  .object({
    code: z.enum(ERROR_CODES).meta({
      description:
        "The class of the error; each HTTP status has one (tRPC's error codes, and `URI_TOO_LONG` and `REQUEST_HEADER_FIELDS_TOO_LARGE` of the HTTP layer).",
    }),
    message: z.string().meta({ description: "What went wrong, naming the field when one is at fault." }),
    issues: z
      .array(
        z.object({
          path: z.string().meta({ description: "The field, dotted (`leads.0.email`); `(input)` for the input as a whole." }),
          message: z.string().meta({ description: "What is wrong with it." }),
        }),
      )
      .optional()
      .meta({
        description:
          "On every 400 and 409: each field at fault, so a client can show the problem beside its field without parsing `message`.",
      }),
    existingId: z.uuid().optional().meta({
      description: "On a 409 for a value another record already holds: that record's id, when the caller may see it.",
    }),
    requestId: z
      .string()
      .meta({ description: "The request's id, also sent as the `x-request-id` header; quote it when reporting a problem." }),
  })
  .meta({ description: "An error: `{ code, message, issues?, existingId?, requestId }`." });

export const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 414, 415, 429, 431, 500, 503] as const;
export type ErrorStatus = (typeof ERROR_STATUSES)[number];

interface ErrorResponse {
  component: string;
  code: ErrorCode;
  description: string;
  exampleMessage: string;
  exampleIssues?: { path: string; message: string }[];
  exampleExistingId?: string;
  /** Answered with a `Retry-After` header (seconds). */
  retryAfter?: true;
}

const ERROR_RESPONSES: Record<ErrorStatus, ErrorResponse> = {
  400: {
    component: "BadRequest",
    code: "BAD_REQUEST",
    description: "The request is invalid: a field (named in `message` and `issues`), the query string, or a malformed body.",
    exampleMessage: "email: must be a valid email address",
    exampleIssues: [{ path: "email", message: "must be a valid email address" }],
  },
  401: {
    component: "Unauthorized",
    code: "UNAUTHORIZED",
    description: "No valid credential: the token or API key is missing, expired or revoked (or, to log in, wrong).",
    exampleMessage: "Missing Authorization header (expected: Bearer <token>)",
  },
  403: {
    component: "Forbidden",
    code: "FORBIDDEN",
    description:
      "The credential may not do this: a permission its role lacks, a deactivated membership, or an API key where a user session is needed.",
    exampleMessage: "Missing permission leads:write",
  },
  404: {
    component: "NotFound",
    code: "NOT_FOUND",
    description: "No such record in the caller's organization (another organization's record reads the same).",
    exampleMessage: "Lead not found",
  },
  409: {
    component: "Conflict",
    code: "CONFLICT",
    description: "The write conflicts with existing data (a value that must be unique) or with the record's state.",
    exampleMessage:
      "email: ada@example.com is already a member of this organization (member 01936f2e-8a4b-7c3d-9e5f-0a1b2c3d4e5f)",
    exampleIssues: [
      {
        path: "email",
        message: "ada@example.com is already a member of this organization (member 01936f2e-8a4b-7c3d-9e5f-0a1b2c3d4e5f)",
      },
    ],
    exampleExistingId: "01936f2e-8a4b-7c3d-9e5f-0a1b2c3d4e5f",
  },
  413: {
    component: "PayloadTooLarge",
    code: "PAYLOAD_TOO_LARGE",
    description: "The body is larger than the server takes (BODY_LIMIT_BYTES; IMPORT_MAX_FILE_BYTES for an import file).",
    exampleMessage: "Request body is too large",
  },
  414: {
    component: "UriTooLong",
    code: "URI_TOO_LONG",
    description: "The URL (path and query) is longer than the server takes (8,192 bytes).",
    exampleMessage: "The URL is longer than 8192 bytes",
  },
  415: {
    component: "UnsupportedMediaType",
    code: "UNSUPPORTED_MEDIA_TYPE",
    description: "The body is not of the media type the operation takes.",
    exampleMessage: 'Unsupported content type "text/plain"',
  },
  429: {
    component: "TooManyRequests",
    code: "TOO_MANY_REQUESTS",
    description: "Too many attempts; retry after the number of seconds in `Retry-After`.",
    exampleMessage: "Too many attempts; retry in 900 s",
    retryAfter: true,
  },
  431: {
    component: "RequestHeaderFieldsTooLarge",
    code: "REQUEST_HEADER_FIELDS_TOO_LARGE",
    description: "The request headers are larger than the server takes (16 KiB in all); the connection is closed.",
    exampleMessage: "The request headers are larger than the server accepts (16 KiB in all)",
  },
  500: {
    component: "InternalServerError",
    code: "INTERNAL_SERVER_ERROR",
    description: "An unexpected failure; the server logged it under the `requestId`.",
    exampleMessage: "Internal server error",
  },
  503: {
    component: "ServiceUnavailable",
    code: "SERVICE_UNAVAILABLE",
    description: "The database is unreachable or the server is at capacity; retry after the number of seconds in `Retry-After`.",
    exampleMessage: "The database is unavailable; retry shortly",
    retryAfter: true,
  },
};

/** What decides the errors an operation can answer; read from the procedure's meta, type and input. */
export interface OperationTraits {
  method: string;
  type: "query" | "mutation";
  /** Needs a credential (its operation has bearer security). */
  protect: boolean;
  /** Names records: a path parameter, or an `id`/`ids` input. */
  addressesRecords: boolean;
  /** Errors its own logic answers beyond those of its kind (`meta.openapi.errorResponses`). */
  declared?: readonly number[];
}

/** The methods whose body the server reads (Fastify reads a DELETE's too, though no operation takes one). */
const BODY_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);

function isErrorStatus(status: number): status is ErrorStatus {
  return (ERROR_STATUSES as readonly number[]).includes(status);
}

/**
 * Every operation can be sent a bad request, a URL or headers too long, fail unexpectedly, or find
 * the database down; one that needs a credential can be refused it; one whose body the server reads
 * can get one too large or of the wrong type; one that names records can name a missing one; every
 * write passes the unique constraints and the record's state (a unique violation anywhere is a 409).
 */
export function errorStatusesOf(traits: OperationTraits): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>([400, 414, 431, 500, 503]);
  if (traits.protect) for (const status of [401, 403] as const) statuses.add(status);
  if (BODY_METHODS.has(traits.method.toUpperCase())) for (const status of [413, 415] as const) statuses.add(status);
  if (traits.addressesRecords) statuses.add(404);
  if (traits.type === "mutation") statuses.add(409);
  for (const status of traits.declared ?? []) {
    if (!isErrorStatus(status)) throw new Error(`errorResponses: ${status} is not one of the API's error statuses`);
    statuses.add(status);
  }
  return [...statuses].sort((a, b) => a - b);
}

/** `responses` entries for the statuses, each a reference to its shared response. */
export function errorResponseRefs(statuses: readonly ErrorStatus[]): Record<string, { $ref: string }> {
  return Object.fromEntries(
    statuses.map((status) => [String(status), { $ref: `#/components/responses/${ERROR_RESPONSES[status].component}` }]),
  );
}

const EXAMPLE_REQUEST_ID = "0f5e8f7c-3b1a-4c2d-9e8f-7a6b5c4d3e2f";

/** `components.responses` (one per error status) and `components.headers` (Retry-After). */
export function errorComponents() {
  const responses = Object.fromEntries(
    ERROR_STATUSES.map((status) => {
      const error = ERROR_RESPONSES[status];
      const example = {
        code: error.code,
        message: error.exampleMessage,
        ...(error.exampleIssues ? { issues: error.exampleIssues } : {}),
        ...(error.exampleExistingId ? { existingId: error.exampleExistingId } : {}),
        requestId: EXAMPLE_REQUEST_ID,
      };
      return [
        error.component,
        {
          description: error.description,
          ...(error.retryAfter ? { headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } } } : {}),
          content: { "application/json": { schema: { $ref: `#/components/schemas/${ERROR_COMPONENT}` }, example } },
        },
      ];
    }),
  );
  const headers = {
    RetryAfter: {
      description: "Seconds to wait before trying again.",
      required: true,
      schema: { type: "integer" as const, minimum: 0 },
      example: 30,
    },
  };
  return { responses, headers };
}
