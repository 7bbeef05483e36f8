import { databaseFault } from "@crm/db";
import { TRPCError } from "@trpc/server";
import { ZodError, ZodRealError, z } from "zod";
import type { $ZodIssue } from "zod/v4/core";

export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * A field left out says so (`type: is required (one of "email"|"social"|...)`) instead of zod's
 * `Invalid option` / `received undefined`. Only zod's own messages are replaced: a schema's own
 * `error` wins over this. Set once for the zod instance every procedure's input is parsed with.
 */
z.config({
  customError: (issue) => {
    if (issue.input !== undefined) return undefined;
    if (issue.code === "invalid_type") return "is required";
    if (issue.code === "invalid_value")
      return `is required (one of ${issue.values.map((value) => JSON.stringify(value)).join("|")})`;
    return undefined;
  },
});

/** The path of an issue about the input as a whole (or the record's state) rather than one field. */
export const WHOLE_INPUT = "(input)";

export function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".") || WHOLE_INPUT;
}

/** Flattens zod issues so every message names its field: `email: Invalid email address`. */
export function describeIssues(issues: readonly $ZodIssue[]): FieldIssue[] {
  return issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const prefix = issue.path.length ? `${issuePath(issue.path)}.` : "";
      return { path: issuePath(issue.path), message: `unknown field(s): ${issue.keys.map((k) => prefix + k).join(", ")}` };
    }
    return { path: issuePath(issue.path), message: issue.message };
  });
}

function summarize(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => (issue.path === WHOLE_INPUT ? issue.message : `${issue.path}: ${issue.message}`)).join("; ");
}

export function summarizeIssues(issues: readonly $ZodIssue[]): string {
  return summarize(describeIssues(issues));
}

/**
 * A BAD_REQUEST about named fields, for checks no schema can make. Its cause is a ZodError
 * (ZodRealError: the Error subclass, which tRPC keeps as a cause), so the error formatter and the
 * REST bridge report its issues exactly as they report a schema's.
 */
export function invalidFields(issues: readonly { path: PropertyKey[]; message: string }[]): TRPCError {
  const cause = new ZodRealError(
    issues.map((issue) => ({ code: "custom" as const, path: issue.path, message: issue.message, input: undefined })),
  );
  return new TRPCError({ code: "BAD_REQUEST", message: summarizeIssues(cause.issues), cause });
}

/**
 * The cause of a 400 or 409 that no schema raised (a conflict, a refused file, a database
 * constraint): the fields at fault and, for a conflict with another record, that record's id.
 * The error formatter, the REST bridge and the file routes report them beside the message.
 */
export class FieldIssuesError extends Error {
  override name = "FieldIssuesError";
  constructor(
    message: string,
    readonly issues: FieldIssue[],
    readonly existingId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a 400 or 409 tells a client beside its message: the fields at fault, and the existing record of a conflict. */
export interface ErrorDetails {
  issues: FieldIssue[];
  existingId?: string;
}

export function errorDetailsOf(error: { cause?: unknown }): ErrorDetails | undefined {
  const cause = error.cause;
  if (cause instanceof ZodError) return { issues: describeIssues(cause.issues) };
  if (cause instanceof FieldIssuesError) {
    return { issues: cause.issues, ...(cause.existingId === undefined ? {} : { existingId: cause.existingId }) };
  }
  return undefined;
}

/** The fields a refusal of the caller's input names (a TRPCError carrying them); any other error is thrown on. */
export function refusedFields(error: unknown): FieldIssue[] {
  const details = error instanceof TRPCError ? errorDetailsOf(error) : undefined;
  if (!details) throw error;
  return details.issues;
}

/** A 400 or 409 with its message as the caller reads it and the fields it is about. */
export function fieldError(
  code: "BAD_REQUEST" | "CONFLICT" | "NOT_FOUND",
  message: string,
  issues: FieldIssue[],
  options: { existingId?: string; cause?: unknown } = {},
): TRPCError {
  const cause = new FieldIssuesError(message, issues, options.existingId, { cause: options.cause });
  return new TRPCError({ code, message, cause });
}

/** `field: message` as an issue; a message with no leading field name is about the whole input. */
export function issueOfMessage(text: string, fallbackPath: string = WHOLE_INPUT): FieldIssue {
  const named = /^([A-Za-z_$][\w$]*(?:\.[\w$]+)*): (.+)$/s.exec(text);
  return named ? { path: named[1] as string, message: named[2] as string } : { path: fallbackPath, message: text };
}

/** A 404 that reads the same whether the row never existed or belongs to another organization. */
export function notFound(entity: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${entity} not found` });
}

/** A BAD_REQUEST about `field` (a dotted path): the message reads `field: message`, the issue names the field. */
export function badRequest(field: string, message: string): TRPCError {
  return invalidFields([{ path: field.split("."), message }]);
}

/**
 * A CONFLICT about `field` (a dotted path, or WHOLE_INPUT when the record's state is at fault):
 * the message reads `field: message` (just `message` for WHOLE_INPUT), the issue names the field,
 * and `existingId` is the record that already holds the value, when the caller may see it.
 */
export function conflict(field: string, message: string, options?: { existingId?: string }): TRPCError;
/** @deprecated Name the field: `conflict(field, message)`. A leading `field: ` of the message becomes the issue's path. */
export function conflict(message: string): TRPCError;
export function conflict(fieldOrMessage: string, message?: string, options: { existingId?: string } = {}): TRPCError {
  const issue = message === undefined ? issueOfMessage(fieldOrMessage) : { path: fieldOrMessage, message };
  return fieldError("CONFLICT", summarize([issue]), [issue], options);
}

export function forbidden(message: string): TRPCError {
  return new TRPCError({ code: "FORBIDDEN", message });
}

/** The seconds an error asks the caller to wait: any error whose cause carries `retryAfterSeconds` (the Retry-After header). */
export function retryAfterSecondsOf(error: { cause?: unknown }): number | undefined {
  const seconds = (error.cause as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof seconds === "number" ? seconds : undefined;
}

/** Too many attempts; `retryAfterSeconds` becomes the Retry-After header. */
export class ThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts; retry in ${retryAfterSeconds} s`);
    this.name = "ThrottledError";
  }
}

export function throttled(retryAfterSeconds: number): TRPCError {
  const cause = new ThrottledError(retryAfterSeconds);
  return new TRPCError({ code: "TOO_MANY_REQUESTS", message: cause.message, cause });
}

interface PrismaKnownError {
  code: string;
  meta?: {
    target?: unknown;
    modelName?: string;
    driverAdapterError?: { cause?: { constraint?: { fields?: string[]; index?: string } } };
  };
}

/**
 * The fields of a unique violation. PGlite reports the columns (quoted when mixed-case);
 * node-postgres only the index, which Prisma names `<Model>_<field>_<field>_key`.
 */
function uniqueFields(meta: PrismaKnownError["meta"]): string[] | undefined {
  const constraint = meta?.driverAdapterError?.cause?.constraint;
  const fields = constraint?.fields ?? meta?.target;
  if (Array.isArray(fields)) return fields.map((field) => String(field).replace(/^"(.*)"$/, "$1"));
  const index = constraint?.index;
  const model = meta?.modelName;
  if (!index || !model || !index.startsWith(`${model}_`) || !index.endsWith("_key")) return undefined;
  return index.slice(model.length + 1, -"_key".length).split("_");
}

function isPrismaKnownError(error: unknown): error is PrismaKnownError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: string }).name === "PrismaClientKnownRequestError" &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

/** Seconds a caller is asked to wait when the database is unreachable (a restart takes a few) or busy. */
export const DATABASE_RETRY_AFTER_SECONDS = { unavailable: 2, busy: 1 } as const;

/** The database cannot serve this request now; `retryAfterSeconds` becomes the Retry-After header. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A database that is unreachable, restarting, out of connections or too busy to hand one out in
 * time is SERVICE_UNAVAILABLE (503 with Retry-After), never a 500.
 */
function translateDatabaseFault(error: unknown): TRPCError | undefined {
  const fault = databaseFault(error);
  if (!fault) return undefined;
  const seconds = DATABASE_RETRY_AFTER_SECONDS[fault.kind];
  const message = `The database is ${fault.kind} (${fault.reason}); retry in ${seconds} s`;
  return new TRPCError({
    code: "SERVICE_UNAVAILABLE",
    message,
    cause: new DatabaseUnavailableError(message, seconds, { cause: error }),
  });
}

/** A BAD_REQUEST the database raised without naming the field: about the input as a whole. */
function inputError(message: string, cause: unknown): TRPCError {
  return fieldError("BAD_REQUEST", message, [{ path: WHOLE_INPUT, message }], { cause });
}

/**
 * Maps database errors that are the caller's fault to 4xx: unique violations become CONFLICT,
 * missing rows NOT_FOUND, foreign-key and value-too-long BAD_REQUEST; faults of the database
 * itself (unreachable, busy) become SERVICE_UNAVAILABLE. Everything else stays a 500.
 */
export function translateDatabaseError(error: unknown): TRPCError | undefined {
  const fault = translateDatabaseFault(error);
  if (fault) return fault;
  if (!isPrismaKnownError(error)) return undefined;
  switch (error.code) {
    case "P2002": {
      const fields = uniqueFields(error.meta);
      const message = fields?.length
        ? `Another record already uses this ${fields.join(", ")}`
        : "Another record already uses a value that must be unique";
      // organizationId scopes a constraint to the tenant; it is never a field the caller sent.
      const named = (fields ?? []).filter((field) => field !== "organizationId");
      const issues = named.length
        ? named.map((path) => ({ path, message: "another record already uses this value" }))
        : [{ path: WHOLE_INPUT, message }];
      return fieldError("CONFLICT", message, issues, { cause: error });
    }
    case "P2025":
      return new TRPCError({ code: "NOT_FOUND", message: `${error.meta?.modelName ?? "Record"} not found`, cause: error });
    case "P2003":
      return inputError("A referenced record does not exist", error);
    case "P2000":
      return inputError("A value is too long for its field", error);
    default:
      return undefined;
  }
}
