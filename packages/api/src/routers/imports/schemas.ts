import { z } from "zod";
import { DUPLICATE_POLICIES, IMPORT_MODES, IMPORT_STATUSES } from "../../imports/options.ts";
import { pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idSchema, timestamp } from "../../lib/schemas.ts";
import { IMPORTABLE_RESOURCE_KEYS } from "../../resources.ts";

export {
  DUPLICATE_POLICIES,
  IMPORT_MODES,
  IMPORT_STATUSES,
  type ImportOptions,
  type ImportOptionsInput,
  importOptionsInput,
} from "../../imports/options.ts";

export const importRowErrorOutput = z.object({
  rowNumber: z.number().int(),
  field: z.string(),
  message: z.string(),
  value: z.string().nullable(),
});

export const importJobOutput = z.object({
  id: z.uuid(),
  // Stored as text: the registry's keys are what the API answers.
  resource: z.string().pipe(z.enum(IMPORTABLE_RESOURCE_KEYS)).meta({
    description: "The router key of the records the file holds (`leads`): the file was uploaded to POST /{resource}/import.",
  }),
  fileName: z.string(),
  format: z.enum(["csv", "xlsx"]),
  fileSize: z.number().int(),
  mode: z.enum(IMPORT_MODES),
  duplicatePolicy: z.enum(DUPLICATE_POLICIES),
  status: z.enum(IMPORT_STATUSES),
  rowsTotal: z.number().int().nullable().meta({ description: "Data rows in the file when known at upload (CSV), else null." }),
  rowsProcessed: z.number().int().meta({ description: "Data rows read so far." }),
  rowsCreated: z.number().int().meta({ description: "Records created (in a dry run: that would be created)." }),
  rowsUpdated: z.number().int().meta({ description: "Records updated (in a dry run: that would be updated)." }),
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
