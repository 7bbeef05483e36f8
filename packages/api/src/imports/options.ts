import { z } from "zod";
import { unstorableTextIssues } from "../lib/storable-text.ts";

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
 * duplicate key (leads: email) a live record (or an earlier row) already has: skip it, update that
 * record from it, or report it as an error. (Creating a second live record with the same key is
 * not offered: such keys are unique per organization among live records.)
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
