import { existsSync } from "node:fs";
import path from "node:path";
import type { ImportJob, Prisma } from "@crm/db";
import { conflict, notFound, WHOLE_INPUT } from "../errors.ts";
import { type ExportColumn, tableStream } from "../exports/table-stream.ts";
import { keysetPage } from "../lib/pagination.ts";
import { importableOf, importableResources, type ResourceRegistry } from "../resource-registry.ts";
import { type OrgContext, requirePermission } from "../trpc.ts";
import { inspectImportFile } from "./inspect.ts";
import type { ImportOptions } from "./options.ts";
import { type ImportableResource, recordImportTarget } from "./record-writer.ts";
import type { ParseOptions } from "./types.ts";

type Db = Prisma.TransactionClient;

/** How many row errors `imports.byId` shows inline. */
export const ERRORS_SHOWN_WITH_JOB = 50;

export interface StoredUpload {
  /** Absolute path of the stored upload. */
  path: string;
  /** Its name relative to the import directory (what the job keeps). */
  storedFile: string;
  /** The name the caller gave the file. */
  fileName: string;
}

/**
 * Checks a stored upload (type, encoding, quoting, header and mapping: 4xx when it cannot be
 * imported) and queues a job for it. The caller has authorised the import.
 */
export async function queueImport(ctx: OrgContext, resource: ImportableResource, upload: StoredUpload, options: ImportOptions) {
  const inspected = await inspectImportFile(upload.path, upload.fileName, resource, options.mapping);
  return ctx.db.importJob.create({
    data: {
      organizationId: ctx.org.id,
      resource: resource.key,
      createdByUserId: ctx.actor.userId,
      createdByApiKeyId: ctx.actor.apiKeyId,
      requestId: ctx.requestId,
      fileName: upload.fileName.slice(0, 255),
      format: inspected.format,
      fileSize: inspected.fileSize,
      storedFile: upload.storedFile,
      mode: options.mode,
      duplicatePolicy: options.duplicatePolicy,
      mapping: options.mapping ?? undefined,
      parseOptions: inspected.parseOptions as unknown as Prisma.InputJsonValue,
      rowsTotal: inspected.rowsTotal,
      lastRowNumber: inspected.parseOptions.headerRowNumber,
    },
  });
}

/**
 * A job of the caller's organization that the caller may follow: one of a resource they may
 * import (`<job.resource>:import`, FORBIDDEN otherwise). A job of a resource this server does not
 * know answers NOT_FOUND.
 */
export async function findImportJob(db: Db, ctx: OrgContext, id: string): Promise<ImportJob> {
  const job = await db.importJob.findFirst({ where: { id, organizationId: ctx.org.id } });
  const resource = job && importableOf(ctx.resources, job.resource);
  if (!job || !resource) throw notFound("Import");
  requirePermission(ctx, resource.permission);
  return job;
}

/** The names stored jobs of the resources the caller may import can carry (router keys, and the entity types of older jobs). */
function importableJobResources(ctx: OrgContext): string[] {
  return importableResources(ctx.resources)
    .filter((resource) => ctx.permissions.has(resource.permission))
    .flatMap((resource) => [resource.key, resource.entityType]);
}

/** The pipeline's view of a job's resource; undefined for a resource this server does not know. */
export function importTargetOf(registry: ResourceRegistry, job: ImportJob) {
  const resource = importableOf(registry, job.resource);
  return resource && recordImportTarget(resource);
}

/**
 * Queues a failed job again with a fresh run budget. The pipeline picks it up where its committed
 * progress ends: valid_only and dry_run continue after their last committed row (the rows before
 * it are never applied twice), all_or_nothing (which committed no row) starts over. Only a job
 * that failed on the server still has its upload; one that failed on its own rows or file must be
 * uploaded again, fixed.
 */
export async function retryImport(ctx: OrgContext, id: string) {
  const job = await findImportJob(ctx.db, ctx, id);
  if (job.status !== "failed") throw conflict("status", `only a failed import can be retried; this one is ${job.status}`);
  if (!existsSync(path.join(ctx.importQueue.directory, job.storedFile))) {
    throw conflict(
      WHOLE_INPUT,
      "the file of this import is no longer kept (only a job that failed on the server keeps it, for 7 days): upload it again",
    );
  }
  const [requeued] = await ctx.db.importJob.updateManyAndReturn({
    where: { id: job.id, organizationId: ctx.org.id, status: "failed" },
    data: { status: "queued", attempts: 0, errorMessage: null, finishedAt: null, heartbeatAt: null },
  });
  // Another retry of the same job got there first.
  if (!requeued) throw conflict("status", "only a failed import can be retried; this one was just retried");
  ctx.importQueue.wake();
  return presentImportJob(ctx.resources, requeued);
}

export function presentImportJob(registry: ResourceRegistry, job: ImportJob) {
  const options = job.parseOptions as unknown as Partial<ParseOptions>;
  return {
    id: job.id,
    resource: importableOf(registry, job.resource)?.key ?? job.resource,
    fileName: job.fileName,
    format: job.format,
    fileSize: job.fileSize,
    mode: job.mode,
    duplicatePolicy: job.duplicatePolicy,
    status: job.status,
    rowsTotal: job.rowsTotal,
    rowsProcessed: job.rowsProcessed,
    rowsCreated: job.rowsCreated,
    rowsUpdated: job.rowsUpdated,
    rowsSkipped: job.rowsSkipped,
    rowsFailed: job.rowsFailed,
    columns: (options.columns ?? []).map((column) => ({ column: column.header, field: column.field })),
    ignoredColumns: options.ignoredColumns ?? [],
    errorMessage: job.errorMessage,
    createdByUserId: job.createdByUserId,
    createdByApiKeyId: job.createdByApiKeyId,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

const errorColumns = { rowNumber: true, field: true, message: true, value: true, id: true } as const;

export async function importJobDetail(db: Db, ctx: OrgContext, id: string) {
  const job = await findImportJob(db, ctx, id);
  const errors = await db.importRowError.findMany({
    where: { jobId: job.id },
    orderBy: [{ rowNumber: "asc" }, { id: "asc" }],
    take: ERRORS_SHOWN_WITH_JOB,
    select: errorColumns,
  });
  return { ...presentImportJob(ctx.resources, job), errors: errors.map(({ id: _id, ...error }) => error) };
}

export async function listImportJobs(
  db: Db,
  ctx: OrgContext,
  input: { limit: number; cursor?: string; sortOrder: "asc" | "desc"; status?: ImportJob["status"] },
) {
  const page = keysetPage({ field: "createdAt", type: "date", order: input.sortOrder }, input.limit, input.cursor);
  const rows = await db.importJob.findMany({
    where: {
      AND: [
        {
          organizationId: ctx.org.id,
          resource: { in: importableJobResources(ctx) },
          ...(input.status ? { status: input.status } : {}),
        },
        page.where,
      ],
    },
    orderBy: page.orderBy as Prisma.ImportJobOrderByWithRelationInput[],
    take: page.take,
  });
  const result = page.toPage(rows);
  return { items: result.items.map((job) => presentImportJob(ctx.resources, job)), nextCursor: result.nextCursor };
}

async function importErrorsPage(db: Db, jobId: string, limit: number, cursor: string | undefined) {
  const page = keysetPage({ field: "rowNumber", type: "number", order: "asc" }, limit, cursor);
  const rows = await db.importRowError.findMany({
    where: { AND: [{ jobId }, page.where] },
    orderBy: page.orderBy as Prisma.ImportRowErrorOrderByWithRelationInput[],
    take: page.take,
    select: errorColumns,
  });
  const result = page.toPage(rows);
  return { items: result.items.map(({ id: _id, ...error }) => error), nextCursor: result.nextCursor };
}

/** A page of a job's row errors, in row order. */
export async function listImportErrors(db: Db, ctx: OrgContext, input: { id: string; limit: number; cursor?: string }) {
  const job = await findImportJob(db, ctx, input.id);
  return importErrorsPage(db, job.id, input.limit, input.cursor);
}

/** Every row error of a job, a page at a time from the database (for the CSV report). */
export async function* allImportErrors(db: Db, jobId: string, pageSize = 5000) {
  let cursor: string | undefined;
  do {
    const page = await importErrorsPage(db, jobId, pageSize, cursor);
    if (page.items.length) yield page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

type RowErrorLine = { rowNumber: number; field: string; message: string; value: string | null };

const ERROR_REPORT_COLUMNS: ExportColumn<RowErrorLine>[] = [
  { header: "Row", kind: "integer", value: (error) => error.rowNumber },
  { header: "Field", kind: "text", value: (error) => error.field },
  { header: "Error", kind: "text", value: (error) => error.message },
  { header: "Value", kind: "text", value: (error) => error.value },
];

/** A job's row errors as a CSV download (row, field, error, the cell's value), streamed page by page. */
export async function importErrorsCsv(ctx: OrgContext, id: string) {
  const job = await findImportJob(ctx.db, ctx, id);
  const base = job.fileName.replace(/\.[^.]*$/, "").replace(/[^\w.-]+/g, "_") || "import";
  return {
    stream: await tableStream("csv", ERROR_REPORT_COLUMNS, allImportErrors(ctx.db, job.id)),
    contentType: "text/csv; charset=utf-8",
    fileName: `${base}-errors.csv`,
  };
}
