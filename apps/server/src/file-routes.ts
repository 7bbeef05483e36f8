import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  assertStorableText,
  authorize,
  type Context,
  errorDetailsOf,
  exportRecords,
  IMPORT_PERMISSIONS,
  type ImportRunner,
  importErrorsCsv,
  importFormatOf,
  importOptionsInput,
  meetingCalendarFile,
  queueImport,
  type RequestInfo,
  type ResourceRegistry,
  retryAfterSecondsOf,
  type StoredUpload,
  summarizeIssues,
  translateDatabaseError,
} from "@crm/api";
import multipart from "@fastify/multipart";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ZodError, z } from "zod";
import type { Config } from "./config.ts";
import { fastifyErrorHandler, HttpError, type RestError } from "./rest-errors.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** The background import runner of this process (undefined when IMPORT_RUNNER=false). */
    importRunner?: ImportRunner;
  }
}

export interface FileRouteOptions {
  config: Config;
  createContext(request: RequestInfo): Context;
  requestInfo(request: FastifyRequest): RequestInfo;
  runner?: ImportRunner;
  /** Every entry with an import gets `POST /api/v1/{key}/import`, with an export `GET /api/v1/{key}/export`. */
  resources: ResourceRegistry;
}

/**
 * The REST error body for an error of these routes: tRPC errors keep their code and status, zod
 * errors name the field, database errors are translated as in the procedures (503 with Retry-After
 * while the database is unavailable).
 */
function sendError(thrown: unknown, request: FastifyRequest, reply: FastifyReply) {
  let error = translateDatabaseError(thrown) ?? thrown;
  if (error instanceof ZodError)
    error = new TRPCError({ code: "BAD_REQUEST", message: summarizeIssues(error.issues), cause: error });
  if (error instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(error);
    const retryAfter = retryAfterSecondsOf(error);
    if (retryAfter !== undefined) reply.header("retry-after", String(retryAfter));
    if (status >= 500 && error.code !== "SERVICE_UNAVAILABLE") {
      request.log.error({ err: error }, "file route failed");
      return reply.status(status).send({ code: error.code, message: "Internal server error", requestId: request.id });
    }
    const message = error.cause instanceof ZodError ? summarizeIssues(error.cause.issues) : error.message;
    const body: RestError = { code: error.code, message, ...errorDetailsOf(error), requestId: request.id };
    return reply.status(status).send(body);
  }
  return fastifyErrorHandler(error as FastifyError, request, reply);
}

const idParams = z.object({ id: z.uuid({ error: "must be a UUID" }) });

/** Limits of an import's multipart body besides the file's own (IMPORT_MAX_FILE_BYTES). */
const MULTIPART_LIMITS = { files: 1, fields: 10, fieldSize: 100_000, parts: 12 };
/** What an upload may carry beside its file: its fields at their largest and the parts' headers and boundaries. */
const MULTIPART_ALLOWANCE = MULTIPART_LIMITS.fields * MULTIPART_LIMITS.fieldSize + 64 * 1024;

/**
 * The multipart parser's own errors (no boundary, a body cut short, garbage) are plain errors with
 * neither a status nor a system error code: the body's fault, so a 400. The plugin's limit errors
 * carry their 4xx status; a failing disk (ENOSPC, ...) stays a 500.
 */
function multipartError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof TRPCError || "statusCode" in error || "code" in error) return error;
  return new TRPCError({ code: "BAD_REQUEST", message: `Malformed multipart body: ${error.message}`, cause: error });
}

/**
 * Reads an import's multipart body: its fields, and its one file stored under IMPORT_DIR. Any
 * failure (malformed body, file too large, client gone) leaves no file behind.
 */
async function receiveUpload(
  request: FastifyRequest,
  config: Config,
): Promise<{ fields: Record<string, string>; upload: StoredUpload }> {
  const boundary = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(request.headers["content-type"] ?? "");
  const boundaryLength = (boundary?.[1] ?? boundary?.[2] ?? "").length;
  if (boundaryLength < 1 || boundaryLength > 70) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "Malformed multipart body: the content type needs a boundary of 1 to 70 characters (RFC 2046)",
    });
  }
  const fields: Record<string, string> = {};
  let upload: StoredUpload | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== "file") {
        const value = String(part.value);
        assertStorableText({ [part.fieldname]: value });
        fields[part.fieldname] = value;
        continue;
      }
      try {
        assertStorableText({ file: { name: part.filename } });
        if (part.fieldname !== "file" || upload) {
          throw new TRPCError({ code: "BAD_REQUEST", message: "send one file, in the field `file`" });
        }
        importFormatOf(part.filename);
      } catch (error) {
        // A refused file is drained, so the parser can end the body and the answer can be sent.
        part.file.resume();
        throw error;
      }
      const storedFile = `${randomUUID()}${path.extname(part.filename).toLowerCase()}`;
      upload = { path: path.join(config.importDir, storedFile), storedFile, fileName: part.filename };
      await pipeline(part.file, createWriteStream(upload.path));
      if (part.file.truncated) {
        throw new TRPCError({
          code: "PAYLOAD_TOO_LARGE",
          message: `the file is larger than ${config.IMPORT_MAX_FILE_BYTES} bytes (IMPORT_MAX_FILE_BYTES)`,
        });
      }
    }
  } catch (error) {
    if (upload) await rm(upload.path, { force: true });
    throw multipartError(error);
  }
  if (!upload) throw new TRPCError({ code: "BAD_REQUEST", message: "no file: send it in the multipart field `file`" });
  return { fields, upload };
}

/**
 * The routes the OpenAPI bridge cannot serve (multipart upload, file downloads). They authorise
 * through the same `authorize` the procedures' `permission()` uses and call the same services.
 */
export async function registerFileRoutes(app: FastifyInstance, options: FileRouteOptions) {
  const { config, runner, resources } = options;
  mkdirSync(config.importDir, { recursive: true });
  const context = (request: FastifyRequest) => options.createContext(options.requestInfo(request));

  await app.register(async (files) => {
    await files.register(multipart, { limits: { ...MULTIPART_LIMITS, fileSize: config.IMPORT_MAX_FILE_BYTES } });
    const uploadLimit = config.IMPORT_MAX_FILE_BYTES + MULTIPART_ALLOWANCE;

    /** An upload that says it is too large is refused before its body is read; the connection is closed, not drained. */
    const refuseOversizedUpload = async (request: FastifyRequest) => {
      if (Number(request.headers["content-length"]) > uploadLimit) {
        throw new HttpError(
          413,
          `The upload is larger than ${uploadLimit} bytes: files up to ${config.IMPORT_MAX_FILE_BYTES} bytes (IMPORT_MAX_FILE_BYTES) are accepted`,
          undefined,
          { connection: "close" },
        );
      }
    };
    files.setErrorHandler((error, request, reply) => sendError(error, request, reply));

    /**
     * Multipart: `file` (.csv or .xlsx) and the optional fields `mode`, `duplicatePolicy` and
     * `mapping` (JSON). The file is checked before the job is queued (4xx, nothing written); the
     * answer is 202 with the job's id, to follow with GET /api/v1/imports/{id}.
     */
    for (const [key, { import: importable }] of Object.entries(resources)) {
      if (!importable) continue;
      files.post(`/api/v1/${key}/import`, { onRequest: refuseOversizedUpload }, async (request, reply) => {
        const ctx = await authorize(context(request), importable.permission);
        if (!request.isMultipart()) {
          throw new TRPCError({
            code: "UNSUPPORTED_MEDIA_TYPE",
            message: "send multipart/form-data with the file in the field `file`",
          });
        }
        const { fields, upload } = await receiveUpload(request, config);
        try {
          const job = await queueImport(ctx, importable, upload, importOptionsInput.parse(fields));
          runner?.wake();
          return reply
            .status(202)
            .header("location", `/api/v1/imports/${job.id}`)
            .send({ jobId: job.id, status: job.status, rowsTotal: job.rowsTotal });
        } catch (error) {
          await rm(upload.path, { force: true });
          throw error;
        }
      });
    }
  });

  await app.register(async (downloads) => {
    downloads.setErrorHandler((error, request, reply) => sendError(error, request, reply));

    const sendFile = (
      request: FastifyRequest,
      reply: FastifyReply,
      file: { stream: Readable; contentType: string; fileName: string },
    ) => {
      file.stream.on("error", (error) => request.log.error({ err: error }, "download failed while streaming"));
      return reply
        .header("content-type", file.contentType)
        .header("content-disposition", `attachment; filename="${file.fileName}"`)
        .header("cache-control", "no-store")
        .send(file.stream);
    };

    /** The row errors of an import job as CSV (row, field, error, value); the job's own resource's import permission is checked too. */
    downloads.get("/api/v1/imports/:id/errors.csv", async (request, reply) => {
      const ctx = await authorize(context(request), IMPORT_PERMISSIONS);
      const { id } = idParams.parse(request.params);
      return sendFile(request, reply, await importErrorsCsv(ctx, id));
    });

    /** A meeting as an RFC 5545 calendar file (text/calendar), gated by meetings:read. */
    downloads.get("/api/v1/meetings/:id/ics", async (request, reply) => {
      const { id } = idParams.parse(request.params);
      return sendFile(request, reply, await meetingCalendarFile(context(request), id));
    });

    /** The records matching the list filters of GET /api/v1/{key}, streamed as `format=xlsx` (default) or `csv`. */
    for (const [key, { export: exportable }] of Object.entries(resources)) {
      if (!exportable) continue;
      downloads.get(`/api/v1/${key}/export`, async (request, reply) => {
        const ctx = await authorize(context(request), exportable.permission);
        assertStorableText(request.query);
        return sendFile(request, reply, await exportRecords(ctx, exportable, request.query));
      });
    }
  });
}
