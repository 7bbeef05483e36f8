import type { Lead } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { bulkIdsSchema } from "../../kit/procedures.ts";
import { type CreateValues, defineResource, recordModel } from "../../kit/resource.ts";
import { dateFilterInput, dateTimeInput } from "../../lib/dates.ts";
import { booleanFilter } from "../../lib/filters.ts";
import { pageInputShape } from "../../lib/pagination.ts";
import { idSchema, text, timestamp } from "../../lib/schemas.ts";
import { leadChangeColumns, leadPatchColumns, newLeadData } from "./derived.ts";
import { hotThreshold, presentLead } from "./present.ts";
import { normalizeSearchTerm } from "./search-text.ts";

/** The statuses a caller may give a lead. */
export const LEAD_STATUSES = ["new", "contacted", "qualified", "proposal", "negotiation", "won", "lost", "unqualified"] as const;
/** Statuses only the server's actions set: leads.convert makes a lead `converted`. */
export const LEAD_SERVER_STATUSES = ["converted"] as const;
/** Every status a lead shows (stats count each). */
export const LEAD_SHOWN_STATUSES = [...LEAD_STATUSES, ...LEAD_SERVER_STATUSES] as const;
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

/** Statuses in which nobody works the lead any more (Prisma's enum also has `converted`, which only leads.convert sets). */
const CLOSED_LEAD_STATUSES = ["won", "lost", "unqualified", "converted"] as const;

export const leadStatusSchema = z.enum(LEAD_STATUSES);
export const leadSourceSchema = z.enum(LEAD_SOURCES);

const scorePartOutput = z.object({ rule: z.string(), points: z.number().int(), reason: z.string() });

/** Every field of a lead, once. The table's other columns are server-only (searchText) or common to all records. */
const leadFields = {
  firstName: fields.text(100, {
    required: true,
    sort: true,
    exported: { header: "First Name", width: 16 },
    imported: ["First Name", "first_name", "firstname", "Given Name", "Forename", "First"],
  }),
  lastName: fields.text(100, {
    sort: true,
    exported: { header: "Last Name", width: 16 },
    imported: ["Last Name", "last_name", "Surname", "Family Name", "Last"],
  }),
  email: fields.email({
    description: "Lower-cased; unique among the organization's live leads.",
    exported: { header: "Email", width: 28 },
    imported: ["Email", "E-mail", "Email Address", "E-mail Address", "Mail", "Work Email"],
  }),
  phone: fields.phone({
    exported: { header: "Phone", width: 16 },
    imported: ["Phone", "Phone Number", "Mobile", "Mobile Phone", "Telephone", "Tel", "Cell", "Work Phone"],
  }),
  companyName: fields.text(200, {
    exported: { header: "Company Name", width: 24 },
    imported: ["Company Name", "company_name", "Company", "Organization", "Organisation", "Account Name", "Account", "Employer"],
  }),
  jobTitle: fields.text(200, {
    exported: { header: "Job Title", width: 20 },
    imported: ["Job Title", "job_title", "Title", "Position", "Role", "Designation"],
  }),
  vertical: fields.text(100, {
    description: "Industry / vertical.",
    filter: "equals",
    exported: { header: "Industry", width: 16 },
    imported: ["Industry", "Vertical", "Sector"],
  }),
  website: fields.website({
    exported: { header: "Website", width: 24 },
    imported: ["Website", "Web Site", "URL", "Homepage", "Company Website", "Web"],
  }),
  interests: fields.keywords(50, {
    description: "Interests and keywords the lead searched for or showed.",
    exported: { header: "Interests", width: 20 },
    imported: ["Interests", "Keywords", "Site Search", "Search Terms"],
  }),
  source: fields.enumWithDefault(LEAD_SOURCES, {
    filter: "in",
    exported: { header: "Source" },
    imported: ["Source", "Lead Source", "Channel", "Origin"],
  }),
  status: fields.status(LEAD_STATUSES, LEAD_SERVER_STATUSES, {
    description: "`converted` is set by leads.convert only, and a converted lead keeps it.",
    filter: "in",
    exported: { header: "Status" },
    imported: ["Status", "Lead Status", "Stage"],
  }),
  score: fields.integer(
    { min: 0, max: 100 },
    { serverOwned: true, nullable: false, filter: "range", sort: true, exported: { header: "Score", width: 8 } },
  ),
  scoreIsManual: fields.boolean({ serverOwned: true }),
  scoreBreakdown: fields.shown("json", z.array(scorePartOutput), { nullable: false }),
  conversionProbability: fields.number(
    { min: 0, max: 1 },
    { imported: ["Conversion Probability", "Probability"], exported: { header: "Conversion Probability", kind: "percent" } },
  ),
  manualScore: fields.integer(
    { min: 0, max: 100 },
    {
      virtual: true,
      description: "Sets the score by hand and locks it against the rules; null returns to automatic scoring.",
      imported: ["Manual Score"],
    },
  ),
  assignedToId: fields.id({
    description: "The member the lead is assigned to; null for nobody.",
    exported: { header: "Assigned To ID", width: 38 },
    imported: [
      "Assigned To",
      "Assigned To ID",
      "Assigned To Email",
      "Assignee",
      "Owner",
      "Owner Email",
      "Lead Owner",
      "Sales Rep",
    ],
  }),
  lastContactedAt: fields.dateTime({
    exported: { header: "Last Contacted At", width: 20 },
    imported: ["Last Contacted", "Last Contacted At", "Last Contact", "Last Contact Date"],
  }),
  nextFollowUpAt: fields.dateTime({
    sort: true,
    exported: { header: "Next Follow-up At", width: 20 },
    imported: ["Next Follow-up At", "Next Follow-up", "Next Follow Up", "Follow-up Date", "Follow Up Date", "Follow-up"],
  }),
  callAttempts: fields.integer(
    { min: 0, max: 2_147_483_647 },
    { serverOwned: true, nullable: false, exported: { header: "Call Attempts" } },
  ),
  tags: fields.keywords(50, { filter: "in", exported: { header: "Tags", width: 20 }, imported: ["Tags", "Tag", "Labels"] }),
  isActive: fields.boolean({ filter: "equals", exported: { header: "Active", width: 8 }, imported: ["Active", "Is Active"] }),
  notes: fields.longText(10_000, {
    exported: { header: "Notes", width: 40 },
    imported: ["Notes", "Note", "Comments", "Comment", "Description"],
  }),
  disqualificationReason: fields.text(1000, { serverOwned: true }),
  convertedAt: fields.shown("date", timestamp, { description: "When leads.convert converted the lead; null until then." }),
  convertedContactId: fields.shown("id", z.uuid(), { description: "The contact the lead was converted into." }),
  convertedCompanyId: fields.shown("id", z.uuid(), { description: "The company the lead was converted into or linked to." }),
  convertedDealId: fields.shown("id", z.uuid(), { description: "The deal created by the conversion, if any." }),
  sourceCampaignId: fields.id({
    filter: "in",
    description: "The campaign the lead came from (its metrics count the lead).",
    references: { table: "Campaign", label: "Campaign" },
  }),
};

export const leads = defineResource({
  key: "leads",
  singular: "lead",
  label: "Lead",
  table: "Lead",
  model: recordModel<Lead>((db) => db.lead),
  fields: leadFields,
  serverOnly: ["searchText", "sourceCampaignId"],
  notAudited: ["scoreBreakdown"],
  owner: { field: "assignedToId", filter: "assignedTo" },
  // A closed or converted lead stays with whoever worked it.
  reassignable: () => ({ status: { notIn: CLOSED_LEAD_STATUSES } }),
  unique: [{ field: "email" }],
  search: { column: "searchText", normalize: normalizeSearchTerm },
  sorts: { name: { field: "lastName", type: "string", nullable: true } },
  computed: {
    daysSinceCreated: z.number().int().meta({ description: "Whole days since the lead was created." }),
    isHot: z.boolean().meta({ description: "Score at or above the organization's hot threshold." }),
  },
  filters: {
    hot: booleanFilter.optional().meta({ description: "Score at or above (true) or below (false) the hot threshold." }),
    followUpDueBefore: dateFilterInput.optional(),
  },
  hooks: {
    prepare: hotThreshold,
    newRow: (ctx, input) => newLeadData(ctx, input as CreateLeadInput),
    patchColumns: (_before, patch) => leadPatchColumns(patch as Partial<CreateLeadInput>),
    changeColumns: (tx, ctx, before, changes) => leadChangeColumns(tx, ctx, before as Lead, changes),
    present: (row, threshold, now) => presentLead(row as Lead, threshold as number, now),
    // Deals keep their own history; they only forget which lead they came from (the key is NO ACTION).
    beforePurge: async (tx, ctx, row) => {
      await tx.deal.updateMany({ where: { organizationId: ctx.org.id, sourceLeadId: row.id }, data: { sourceLeadId: null } });
    },
    where: (_ctx, filters, threshold) => {
      const and: object[] = [];
      if (filters.hot === true) and.push({ score: { gte: threshold } });
      if (filters.hot === false) and.push({ score: { lt: threshold } });
      if (filters.followUpDueBefore) and.push({ nextFollowUpAt: { lt: filters.followUpDueBefore } });
      return and;
    },
  },
});

export const createLeadInput = leads.schemas.create;
export const updateLeadInput = leads.schemas.update;
export const leadOutput = leads.schemas.output;
/** The filters shared by list, stats, export and the bulk tools. */
export const leadFilterShape = leads.schemas.filterShape;
export const leadFilterInput = leads.schemas.filters;
/** The name under which the document declares `createLeadInput`, so bulk rows can point at it. */
export const LEAD_INPUT_COMPONENT = "LeadInput";

export const bulkStatusInput = z.strictObject({
  ids: bulkIdsSchema(1000),
  status: leadStatusSchema,
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

export const leadNoteOutput = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  body: z.string(),
  authorUserId: z.uuid().nullable(),
  authorApiKeyId: z.uuid().nullable(),
  createdAt: timestamp,
});

export const leadStatsOutput = z.object({
  total: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  bySource: z.record(z.string(), z.number().int()),
  averageScore: z.number().nullable(),
  hotCount: z.number().int(),
  conversionRate: z
    .number()
    .nullable()
    .meta({ description: "(won + converted) / (won + converted + lost + unqualified); null when nothing is closed." }),
  newPerWeek: z.array(z.object({ weekStart: timestamp, count: z.number().int() })),
});

export type CreateLeadInput = CreateValues<typeof leadFields>;
export type UpdateLeadInput = z.infer<typeof updateLeadInput>;
export type LeadWritable = CreateLeadInput;
export type LeadFilterInput = z.infer<typeof leadFilterInput>;
export type ListLeadsInput = z.infer<typeof leads.schemas.list>;
