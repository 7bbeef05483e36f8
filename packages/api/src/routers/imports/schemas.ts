import { z } from "zod";
import { pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idSchema, timestamp } from "../../lib/schemas.ts";
import { unstorableTextIssues } from "../../lib/storable-text.ts";

export const IMPORT_MODES = ["dry_run", "valid_only", "all_or_nothing"] as const;
export const DUPLICATE_POLICIES = ["skip", "update", "error"] as const;
export const IMPORT_STATUSES = ["queued", "running", "completed", "failed"] as const;

/**
 * Form fields may carry the mapping as JSON text (multipart); the typed client sends an object.
 * The text's escapes decode to strings the raw input check never saw, so they are checked here.
 */
const jsonObject = z.preprocess(
  (value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z
    .record(z.string().trim().min(1).max(200), z.string().max(100).nullable(), {
      error: "must be a JSON object of column → field",
    })
    .superRefine((mapping, ctx) => {
      for (const issue of unstorableTextIssues(mapping))
        ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    }),
);

/**
 * How an upload is imported. `mode`: dry_run reports only, valid_only writes the valid rows,
 * all_or_nothing writes nothing if any row has an error. `duplicatePolicy`: what a row does whose
 * email a live lead (or an earlier row) already has: skip it, update that lead from it, or report
 * it as an error. (Creating a second live lead with the same email is not offered: email is
 * unique per organization among live leads.)
 */
export const importOptionsInput = z.strictObject({
  mode: z.enum(IMPORT_MODES).default("valid_only"),
  duplicatePolicy: z.enum(DUPLICATE_POLICIES).default("skip"),
  mapping: jsonObject
    .optional()
    .meta({ description: '{ "column header": "field" }, or null to ignore a column; merged over the automatic mapping.' }),
});
export type ImportOptions = z.infer<typeof importOptionsInput>;
export type ImportOptionsInput = z.input<typeof importOptionsInput>;

export const importRowErrorOutput = z.object({
  rowNumber: z.number().int(),
  field: z.string(),
  message: z.string(),
  value: z.string().nullable(),
});

export const importJobOutput = z.object({
  id: z.uuid(),
  resource: z.string(),
  fileName: z.string(),
  format: z.enum(["csv", "xlsx"]),
  fileSize: z.number().int(),
  mode: z.enum(IMPORT_MODES),
  duplicatePolicy: z.enum(DUPLICATE_POLICIES),
  status: z.enum(IMPORT_STATUSES),
  rowsTotal: z.number().int().nullable().meta({ description: "Data rows in the file when known at upload (CSV), else null." }),
  rowsProcessed: z.number().int().meta({ description: "Data rows read so far." }),
  rowsCreated: z.number().int().meta({ description: "Leads created (in a dry run: that would be created)." }),
  rowsUpdated: z.number().int().meta({ description: "Leads updated (in a dry run: that would be updated)." }),
  rowsSkipped: z.number().int().meta({ description: "Rows skipped as duplicates (in a dry run: that would be skipped)." }),
  rowsFailed: z.number().int().meta({ description: "Rows refused, each with its errors." }),
  columns: z
    .array(z.object({ column: z.string(), field: z.string() }))
    .meta({ description: "Which column fills which field, and the columns no field takes." }),
  ignoredColumns: z.array(z.string()),
  errorMessage: z.string().nullable(),
  createdByUserId: z.uuid().nullable(),
  createdByApiKeyId: z.uuid().nullable(),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

export const importJobDetailOutput = importJobOutput.extend({
  errors: z
    .array(importRowErrorOutput)
    .meta({ description: "The first row errors (all of them: imports.errors or the errors.csv download)." }),
});

export const listImportsInput = z.strictObject({
  ...pageInputShape,
  status: z.enum(IMPORT_STATUSES).optional(),
});

export const importErrorsInput = z.strictObject({
  id: idSchema,
  limit: pageInputShape.limit,
  cursor: pageInputShape.cursor,
});

export const importJobPageOutput = pageOutputSchema(importJobOutput);
export const importErrorPageOutput = pageOutputSchema(importRowErrorOutput);
