import type { TRPCRouterRecord } from "@trpc/server";
import { importJobDetail, listImportErrors, listImportJobs, retryImport } from "../../imports/jobs.ts";
import { idInput } from "../../lib/schemas.ts";
import { IMPORT_PERMISSIONS } from "../../resources.ts";
import { anyPermission } from "../../trpc.ts";
import {
  importErrorPageOutput,
  importErrorsInput,
  importJobDetailOutput,
  importJobOutput,
  importJobPageOutput,
  listImportsInput,
} from "./schemas.ts";

const tags = ["imports"];

/**
 * Import jobs. A job is made by uploading a file (`POST /api/v1/{resource}/import`, or
 * `crm.$files.import(resource, ...)` in the typed client); these procedures follow it.
 *
 * Each job is guarded by the import permission of its own resource (`<job.resource>:import`,
 * checked by findImportJob; `list` shows only the jobs of the resources the caller may import).
 * The gate in front lets in whoever may import any resource of the registry.
 */
export const importsRouter = {
  list: anyPermission(IMPORT_PERMISSIONS)
    .meta({ openapi: { method: "GET", path: "/imports", tags, summary: "Import jobs, newest first" } })
    .input(listImportsInput)
    .output(importJobPageOutput)
    .query(({ ctx, input }) => listImportJobs(ctx.db, ctx, input)),

  byId: anyPermission(IMPORT_PERMISSIONS)
    .meta({
      openapi: {
        method: "GET",
        path: "/imports/{id}",
        tags,
        summary: "An import job: status, row counters and the first row errors",
      },
    })
    .input(idInput)
    .output(importJobDetailOutput)
    .query(({ ctx, input }) => importJobDetail(ctx.db, ctx, input.id)),

  errors: anyPermission(IMPORT_PERMISSIONS)
    .meta({
      openapi: {
        method: "GET",
        path: "/imports/{id}/errors",
        tags,
        summary: "The row errors of an import job, in row order (also as CSV: /imports/{id}/errors.csv)",
      },
    })
    .input(importErrorsInput)
    .output(importErrorPageOutput)
    .query(({ ctx, input }) => listImportErrors(ctx.db, ctx, input)),

  retry: anyPermission(IMPORT_PERMISSIONS)
    .meta({
      openapi: {
        method: "POST",
        path: "/imports/{id}/retry",
        tags,
        summary:
          "Run a failed import job again: valid_only and dry_run continue after their last committed row, all_or_nothing starts over",
      },
    })
    .input(idInput)
    .output(importJobOutput)
    .mutation(({ ctx, input }) => retryImport(ctx, input.id)),
} satisfies TRPCRouterRecord;
