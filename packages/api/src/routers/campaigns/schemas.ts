import type { Campaign } from "@crm/db";
import { fields } from "../../kit/fields.ts";
import { defineResource, recordModel } from "../../kit/resource.ts";
import { parentTree } from "../../kit/tree.ts";
import { timestamp } from "../../lib/schemas.ts";
import { normalizeSearchTerm, searchTextOf } from "../../lib/search-text.ts";

export const CAMPAIGN_TYPES = ["email", "social", "event", "webinar", "ads", "content", "referral", "other"] as const;
export const CAMPAIGN_STATUSES = ["draft", "scheduled", "active", "paused", "completed", "cancelled"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

const MONEY = { digits: 18, scale: 2, min: 0 } as const;
const MONEY_FIELDS = ["budget", "actualCost", "expectedRevenue"] as const;

const campaignFields = {
  name: fields.text(200, { required: true, sort: true, exported: { header: "Name", width: 24 }, imported: ["Name", "Campaign"] }),
  type: fields.enum(CAMPAIGN_TYPES, {
    required: true,
    filter: "in",
    exported: { header: "Type" },
    imported: ["Type", "Campaign Type", "Channel"],
  }),
  status: fields.enumWithDefault(CAMPAIGN_STATUSES, {
    serverOwned: true,
    filter: "in",
    exported: { header: "Status" },
    description:
      "draft → scheduled → active ⇄ paused → completed; cancelled from any state but completed (the lifecycle actions move it).",
  }),
  currency: fields.currency({
    exported: { header: "Currency" },
    imported: ["Currency"],
    description: "ISO 4217 code of budget, actualCost and expectedRevenue; needed as soon as any of them is given.",
  }),
  budget: fields.decimal(MONEY, { filter: "range", exported: { header: "Budget", width: 14 }, imported: ["Budget"] }),
  actualCost: fields.decimal(MONEY, {
    filter: "range",
    exported: { header: "Actual Cost", width: 14 },
    imported: ["Actual Cost", "Cost", "Spend"],
    description: "What the campaign has cost so far (the metrics' cost per lead, cost per won deal and ROI divide by it).",
  }),
  expectedRevenue: fields.decimal(MONEY, {
    exported: { header: "Expected Revenue", width: 16 },
    imported: ["Expected Revenue"],
  }),
  startDate: fields.date({ filter: "range", sort: true, exported: { header: "Start Date" }, imported: ["Start Date", "Start"] }),
  endDate: fields.date({
    filter: "range",
    exported: { header: "End Date" },
    imported: ["End Date", "End"],
    description: "Not before startDate.",
  }),
  ownerId: fields.id({
    description: "The member who runs the campaign; null for nobody.",
    exported: { header: "Owner ID", width: 38 },
  }),
  description: fields.longText(10_000, { exported: { header: "Description", width: 40 }, imported: ["Description"] }),
  targetAudience: fields.longText(2000, {
    exported: { header: "Target Audience", width: 30 },
    imported: ["Target Audience", "Audience"],
  }),
  parentId: fields.id({
    filter: "in",
    description: "The campaign this one is part of (never itself or one of its own sub-campaigns).",
    references: { table: "Campaign", label: "Campaign" },
  }),
  tags: fields.keywords(50, { filter: "in", exported: { header: "Tags", width: 20 }, imported: ["Tags", "Tag", "Labels"] }),
  scheduledAt: fields.shown("date", timestamp, { description: "When it was last scheduled." }),
  activatedAt: fields.shown("date", timestamp, { description: "When it last became active (activated or resumed)." }),
  pausedAt: fields.shown("date", timestamp, { description: "When it was last paused." }),
  completedAt: fields.shown("date", timestamp, { description: "When it was completed." }),
  cancelledAt: fields.shown("date", timestamp, { description: "When it was cancelled." }),
};

const given = (value: unknown) => value !== null && value !== undefined;

/** Money needs its currency; a campaign ends no earlier than it starts. */
function campaignIssues(values: Record<string, unknown>) {
  const issues: { path: string[]; message: string }[] = [];
  const amounts = MONEY_FIELDS.filter((name) => given(values[name]));
  if (amounts.length && !given(values.currency)) {
    issues.push({ path: ["currency"], message: `must be given with ${amounts.join(", ")}` });
  }
  const { startDate, endDate } = values;
  if (startDate instanceof Date && endDate instanceof Date && endDate < startDate) {
    issues.push({ path: ["endDate"], message: "must not be before startDate" });
  }
  return issues;
}

/** Campaigns and their sub-campaigns. */
const campaignTree = parentTree("Campaign", "campaign");

export const campaigns = defineResource({
  key: "campaigns",
  singular: "campaign",
  label: "Campaign",
  table: "Campaign",
  model: recordModel<Campaign>((db) => db.campaign),
  fields: campaignFields,
  serverOnly: ["searchText"],
  owner: { field: "ownerId", filter: "owner" },
  // A finished campaign stays with whoever ran it.
  reassignable: () => ({ status: { notIn: ["completed", "cancelled"] } }),
  rules: campaignIssues,
  search: { column: "searchText", normalize: normalizeSearchTerm },
  hooks: {
    newRow: (_ctx, input) => {
      const values = input as Record<string, unknown> & { name: string; description?: string | null };
      return { ...values, searchText: searchTextOf([values.name, values.description]) };
    },
    changeColumns: async (tx, ctx, before, changes) => {
      const row = before as Campaign;
      if (typeof changes.parentId === "string" && changes.parentId !== row.parentId) {
        await campaignTree.checkParent(tx, ctx, row.id, changes.parentId);
      }
      if (!("name" in changes) && !("description" in changes)) return changes;
      const next = { ...row, ...changes } as Campaign;
      return { ...changes, searchText: searchTextOf([next.name, next.description]) };
    },
    // Leads, deals and sub-campaigns only forget the campaign (their keys are NO ACTION); its members go with it.
    beforePurge: async (tx, ctx, row) => {
      const where = { organizationId: ctx.org.id, sourceCampaignId: row.id };
      await tx.lead.updateMany({ where, data: { sourceCampaignId: null } });
      await tx.deal.updateMany({ where, data: { sourceCampaignId: null } });
      await tx.campaign.updateMany({ where: { organizationId: ctx.org.id, parentId: row.id }, data: { parentId: null } });
    },
  },
});

export const campaignOutput = campaigns.schemas.output;
