import { z } from "zod";
import { dateFilterInput, dateTimeInput } from "../../lib/dates.ts";
import { booleanFilter, multiValue } from "../../lib/filters.ts";
import { pageInputShape } from "../../lib/pagination.ts";
import { emailSchema, idSchema, text, timestamp } from "../../lib/schemas.ts";
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
  manualScore: z
    .number()
    .int()
    .min(0)
    .max(100)
    .nullable()
    .optional()
    .meta({ description: "Sets the score by hand and locks it against the rules; null returns to automatic scoring." }),
  assignedToId: idSchema
    .nullable()
    .optional()
    .meta({ description: "The member the lead is assigned to; null for nobody.", examples: [null] }),
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
  assignedTo: z
    .union([idSchema, z.literal("me"), z.literal("unassigned")])
    .optional()
    .meta({ description: "A user id, `me`, or `unassigned`." }),
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
  withTotal: booleanFilter.default(false).meta({ description: "Count the matching rows too (one more query)." }),
});

const bulkIds = z
  .array(idSchema)
  .min(1, { error: "must list at least one id" })
  .max(1000, { error: "at most 1000 ids per call" })
  .transform((ids) => [...new Set(ids)]);

export const bulkStatusInput = z.strictObject({ ids: bulkIds, status: leadStatusSchema });
export const bulkAssignInput = z.strictObject({ ids: bulkIds, assignedToId: idSchema.nullable() });
export const bulkIdsInput = z.strictObject({ ids: bulkIds });
/** The name under which the document declares `createLeadInput`, so bulk rows can point at it. */
export const LEAD_INPUT_COMPONENT = "LeadInput";

/**
 * A bulk row is taken as any object and validated on its own, like leads.create (an invalid row
 * is reported, not fatal); the document shows it as the create-lead schema it is checked against.
 */
const bulkLeadRow = z.record(z.string(), z.unknown()).meta({
  description: "A lead, as leads.create takes it. Each row is validated on its own: an invalid row is reported, not fatal.",
  override: ({ jsonSchema }) => {
    const { description } = jsonSchema;
    for (const key of Object.keys(jsonSchema)) delete jsonSchema[key as keyof typeof jsonSchema];
    Object.assign(jsonSchema, { $ref: `#/components/schemas/${LEAD_INPUT_COMPONENT}`, description });
  },
});

export const bulkCreateInput = z.strictObject({
  leads: z.array(bulkLeadRow).min(1).max(1000, { error: "at most 1000 leads per call" }),
});

export const setActiveInput = z.strictObject({ id: idSchema, isActive: z.boolean() });
export const disqualifyInput = z.strictObject({ id: idSchema, reason: text(1000) });
export const addNoteInput = z.strictObject({ id: idSchema, body: text(10_000) });
export const logCallInput = z.strictObject({
  id: idSchema,
  summary: text(10_000).optional().meta({ description: "What happened; kept as a note when given." }),
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
  lastContactedAt: timestamp.nullable(),
  nextFollowUpAt: timestamp.nullable(),
  callAttempts: z.number().int(),
  tags: z.array(z.string()),
  notes: z.string().nullable(),
  isActive: z.boolean(),
  disqualificationReason: z.string().nullable(),
  createdById: z.uuid().nullable(),
  updatedById: z.uuid().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  deletedAt: timestamp.nullable(),
  daysSinceCreated: z.number().int().meta({ description: "Whole days since the lead was created." }),
  isHot: z.boolean().meta({ description: "Score at or above the organization's hot threshold." }),
});

export const leadNoteOutput = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  body: z.string(),
  authorUserId: z.uuid().nullable(),
  authorApiKeyId: z.uuid().nullable(),
  createdAt: timestamp,
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
      existingId: z.uuid().optional().meta({ description: "For duplicates: the live lead that already has this email." }),
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
  conversionRate: z.number().nullable().meta({ description: "won / (won + lost + unqualified); null when nothing is closed." }),
  newPerWeek: z.array(z.object({ weekStart: timestamp, count: z.number().int() })),
});

export const leadHistoryOutput = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      action: z.string(),
      at: timestamp,
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
