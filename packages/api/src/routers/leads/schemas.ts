import { z } from "zod";
import { dateFilterInput, dateTimeInput } from "../../lib/dates.ts";
import { booleanFilter, multiValue } from "../../lib/filters.ts";
import { pageInputShape } from "../../lib/pagination.ts";
import { emailSchema, idSchema, text } from "../../lib/schemas.ts";
import { phoneSchema, websiteSchema } from "./normalize.ts";

export const LEAD_STATUSES = ["new", "contacted", "qualified", "proposal", "negotiation", "won", "lost", "unqualified"] as const;
export const LEAD_SOURCES = [
  "website",
  "referral",
  "social",
  "email_campaign",
  "event",
  "cold_call",
  "partner",
  "other",
] as const;

export const leadStatusSchema = z.enum(LEAD_STATUSES);
export const leadSourceSchema = z.enum(LEAD_SOURCES);

const keywordList = (max: number) =>
  z
    .array(text(50))
    .max(max)
    .transform((items) => [...new Set(items.map((item) => item.toLowerCase()))]);

/** The fields a caller may write; ids, org, score, audit fields and timestamps are server-owned. */
export const leadWritableFields = {
  firstName: text(100),
  lastName: text(100).nullable().optional(),
  email: emailSchema.nullable().optional(),
  phone: phoneSchema.nullable().optional(),
  companyName: text(200).nullable().optional(),
  jobTitle: text(200).nullable().optional(),
  vertical: text(100).nullable().optional(),
  website: websiteSchema.nullable().optional(),
  interests: keywordList(50).optional(),
  source: leadSourceSchema.optional(),
  status: leadStatusSchema.optional(),
  conversionProbability: z.number().min(0).max(1).nullable().optional(),
  /** Sets the score by hand and locks it against the rules; null returns to automatic scoring. */
  manualScore: z.number().int().min(0).max(100).nullable().optional(),
  assignedToId: idSchema.nullable().optional(),
  lastContactedAt: dateTimeInput.nullable().optional(),
  nextFollowUpAt: dateTimeInput.nullable().optional(),
  tags: keywordList(50).optional(),
  notes: z.string().max(10_000, { error: "must be at most 10000 characters" }).nullable().optional(),
  isActive: z.boolean().optional(),
};

export const createLeadInput = z.strictObject(leadWritableFields);
export const updateLeadInput = z.strictObject({
  id: idSchema,
  ...leadWritableFields,
  firstName: leadWritableFields.firstName.optional(),
});

export const LEAD_SORT_FIELDS = ["createdAt", "updatedAt", "score", "name", "firstName", "lastName", "nextFollowUpAt"] as const;

/** The filters shared by list, stats, export and the bulk tools. */
export const leadFilterShape = {
  search: z.string().trim().min(1).max(200).optional(),
  status: multiValue(leadStatusSchema).optional(),
  source: multiValue(leadSourceSchema).optional(),
  /** A user id, `me`, or `unassigned`. */
  assignedTo: z.union([idSchema, z.literal("me"), z.literal("unassigned")]).optional(),
  createdFrom: dateFilterInput.optional(),
  createdTo: dateFilterInput.optional(),
  updatedFrom: dateFilterInput.optional(),
  updatedTo: dateFilterInput.optional(),
  scoreMin: z.coerce.number().int().min(0).max(100).optional(),
  scoreMax: z.coerce.number().int().min(0).max(100).optional(),
  tags: multiValue(text(50)).optional(),
  tagsMatch: z.enum(["any", "all"]).default("any"),
  hot: booleanFilter.optional(),
  isActive: booleanFilter.optional(),
  vertical: text(100).optional(),
  followUpDueBefore: dateFilterInput.optional(),
  deleted: z.enum(["exclude", "include", "only"]).default("exclude"),
};

export const leadFilterInput = z.strictObject(leadFilterShape);

export const listLeadsInput = z.strictObject({
  ...pageInputShape,
  ...leadFilterShape,
  sortBy: z.enum(LEAD_SORT_FIELDS).default("createdAt"),
  /** Count the matching rows too (one more query). */
  withTotal: booleanFilter.default(false),
});

const bulkIds = z
  .array(idSchema)
  .min(1, { error: "must list at least one id" })
  .max(1000, { error: "at most 1000 ids per call" })
  .transform((ids) => [...new Set(ids)]);

export const bulkStatusInput = z.strictObject({ ids: bulkIds, status: leadStatusSchema });
export const bulkAssignInput = z.strictObject({ ids: bulkIds, assignedToId: idSchema.nullable() });
export const bulkIdsInput = z.strictObject({ ids: bulkIds });
export const bulkCreateInput = z.strictObject({
  /** Each row is validated on its own, like leads.create; invalid rows are reported, not fatal. */
  leads: z.array(z.record(z.string(), z.unknown())).min(1).max(1000, { error: "at most 1000 leads per call" }),
});

export const setActiveInput = z.strictObject({ id: idSchema, isActive: z.boolean() });
export const disqualifyInput = z.strictObject({ id: idSchema, reason: text(1000) });
export const addNoteInput = z.strictObject({ id: idSchema, body: text(10_000) });
export const logCallInput = z.strictObject({
  id: idSchema,
  /** What happened; kept as a note when given. */
  summary: text(10_000).optional(),
  nextFollowUpAt: dateTimeInput.nullable().optional(),
});
export const leadPageInput = z.strictObject({ id: idSchema, ...pageInputShape });

const scorePartOutput = z.object({ rule: z.string(), points: z.number().int(), reason: z.string() });

export const leadOutput = z.object({
  id: z.uuid(),
  firstName: z.string(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  companyName: z.string().nullable(),
  jobTitle: z.string().nullable(),
  vertical: z.string().nullable(),
  website: z.string().nullable(),
  interests: z.array(z.string()),
  source: leadSourceSchema,
  status: leadStatusSchema,
  score: z.number().int(),
  scoreIsManual: z.boolean(),
  scoreBreakdown: z.array(scorePartOutput),
  conversionProbability: z.number().nullable(),
  assignedToId: z.uuid().nullable(),
  lastContactedAt: z.date().nullable(),
  nextFollowUpAt: z.date().nullable(),
  callAttempts: z.number().int(),
  tags: z.array(z.string()),
  notes: z.string().nullable(),
  isActive: z.boolean(),
  disqualificationReason: z.string().nullable(),
  createdById: z.uuid().nullable(),
  updatedById: z.uuid().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  deletedAt: z.date().nullable(),
  /** Whole days since the lead was created. */
  daysSinceCreated: z.number().int(),
  /** Score at or above the organization's hot threshold. */
  isHot: z.boolean(),
});

export const leadNoteOutput = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  body: z.string(),
  authorUserId: z.uuid().nullable(),
  authorApiKeyId: z.uuid().nullable(),
  createdAt: z.date(),
});

export const bulkResultOutput = z.object({ count: z.number().int() });

export const bulkCreateOutput = z.object({
  created: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      status: z.enum(["created", "duplicate", "invalid"]),
      id: z.uuid().optional(),
      /** For duplicates: the live lead that already has this email. */
      existingId: z.uuid().optional(),
      errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  ),
});

export const leadStatsOutput = z.object({
  total: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  bySource: z.record(z.string(), z.number().int()),
  averageScore: z.number().nullable(),
  hotCount: z.number().int(),
  /** won / (won + lost + unqualified); null when nothing is closed. */
  conversionRate: z.number().nullable(),
  newPerWeek: z.array(z.object({ weekStart: z.date(), count: z.number().int() })),
});

export const leadHistoryOutput = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      action: z.string(),
      at: z.date(),
      actor: z.object({ kind: z.enum(["user", "apiKey", "unknown"]), id: z.string().nullable(), name: z.string().nullable() }),
      changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export type LeadWritable = z.infer<typeof createLeadInput>;
export type CreateLeadInput = z.infer<typeof createLeadInput>;
export type UpdateLeadInput = z.infer<typeof updateLeadInput>;
export type ListLeadsInput = z.infer<typeof listLeadsInput>;
export type LeadFilterInput = z.infer<typeof leadFilterInput>;
