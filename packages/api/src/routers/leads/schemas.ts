import { z } from "zod";
import { multiValue } from "../../lib/filters.ts";
import { pageInputShape } from "../../lib/pagination.ts";
import { emailSchema, idSchema, text } from "../../lib/schemas.ts";

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

const tagsSchema = z
  .array(text(50))
  .max(50)
  .transform((tags) => [...new Set(tags.map((tag) => tag.toLowerCase()))]);

/** The fields a caller may write; ids, org, score, audit fields and timestamps are server-owned. */
const writableFields = {
  firstName: text(100),
  lastName: text(100).nullable().optional(),
  email: emailSchema.nullable().optional(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()./-]{5,30}$/, { error: "must be a phone number (digits, spaces, + ( ) - . /)" })
    .nullable()
    .optional(),
  companyName: text(200).nullable().optional(),
  jobTitle: text(200).nullable().optional(),
  source: leadSourceSchema.optional(),
  status: leadStatusSchema.optional(),
  tags: tagsSchema.optional(),
  notes: z.string().max(10_000).nullable().optional(),
  isActive: z.boolean().optional(),
  assignedToId: idSchema.nullable().optional(),
};

export const createLeadInput = z.strictObject(writableFields);
export const updateLeadInput = z.strictObject({
  id: idSchema,
  ...writableFields,
  firstName: writableFields.firstName.optional(),
});

export const LEAD_SORT_FIELDS = ["createdAt", "updatedAt", "score", "firstName", "lastName"] as const;

export const listLeadsInput = z.strictObject({
  ...pageInputShape,
  sortBy: z.enum(LEAD_SORT_FIELDS).default("createdAt"),
  search: z.string().trim().min(1).max(200).optional(),
  status: multiValue(leadStatusSchema).optional(),
  /** A user id, `me`, or `unassigned`. */
  assignedTo: z.union([idSchema, z.literal("me"), z.literal("unassigned")]).optional(),
  deleted: z.enum(["exclude", "include", "only"]).default("exclude"),
});

export const leadOutput = z.object({
  id: z.uuid(),
  firstName: z.string(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  companyName: z.string().nullable(),
  jobTitle: z.string().nullable(),
  source: leadSourceSchema,
  status: leadStatusSchema,
  score: z.number().int(),
  tags: z.array(z.string()),
  notes: z.string().nullable(),
  isActive: z.boolean(),
  assignedToId: z.uuid().nullable(),
  createdById: z.uuid().nullable(),
  updatedById: z.uuid().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  deletedAt: z.date().nullable(),
});

export type CreateLeadInput = z.infer<typeof createLeadInput>;
export type UpdateLeadInput = z.infer<typeof updateLeadInput>;
export type ListLeadsInput = z.infer<typeof listLeadsInput>;
