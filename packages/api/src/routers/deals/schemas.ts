import type { Deal } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { defineResource, recordModel } from "../../kit/resource.ts";
import { booleanFilter } from "../../lib/filters.ts";
import { timestamp } from "../../lib/schemas.ts";
import { normalizeSearchTerm } from "../../lib/search-text.ts";
import { releaseConvertedLeads } from "../leads/conversion-links.ts";
import { presentDeal, stagesById } from "./present.ts";
import { dealChangeColumns, newDealColumns, recordFirstStays, startingStage } from "./stage-moves.ts";

export const DEAL_STATUSES = ["open", "won", "lost"] as const;

const dealFields = {
  name: fields.text(200, {
    required: true,
    sort: true,
    exported: { header: "Name", width: 24 },
    imported: ["Name", "Deal", "Deal Name"],
  }),
  amount: fields.decimal(
    { digits: 18, scale: 2, min: 0 },
    {
      filter: "range",
      exported: { header: "Amount", width: 16 },
      imported: ["Amount", "Value", "Deal Value"],
      description: 'Exact amount in currency (a decimal string, e.g. "12500.00"); given with currency or not at all.',
    },
  ),
  currency: fields.currency({
    exported: { header: "Currency" },
    imported: ["Currency"],
    description: "ISO 4217 code of amount; given with amount or not at all.",
  }),
  pipelineId: fields.id({
    filter: "in",
    description: "The pipeline; the organization's default pipeline when a create leaves it out.",
    references: { table: "Pipeline", label: "Pipeline" },
  }),
  stageId: fields.id({
    filter: "in",
    description: "The stage, of the deal's pipeline; the pipeline's first open stage when a create leaves it out.",
    references: { table: "PipelineStage", label: "Stage" },
  }),
  status: fields.enumWithDefault(DEAL_STATUSES, {
    serverOwned: true,
    filter: "in",
    exported: { header: "Status" },
    description: "Follows the kind of the deal's stage.",
  }),
  probability: fields.decimal(
    { digits: 5, scale: 4, min: 0, max: 1 },
    {
      exported: { header: "Probability" },
      imported: ["Probability", "Win Probability"],
      description: "Overrides the stage's win probability, 0..1.",
    },
  ),
  contactId: fields.id({
    filter: "in",
    description: "The primary contact.",
    references: { table: "Contact", label: "Contact" },
    exported: { header: "Contact ID", width: 38 },
  }),
  companyId: fields.id({
    filter: "in",
    references: { table: "Company", label: "Company" },
    exported: { header: "Company ID", width: 38 },
  }),
  ownerId: fields.id({
    description: "The member who owns the deal; null for nobody.",
    exported: { header: "Owner ID", width: 38 },
    imported: ["Owner", "Owner ID", "Owner Email", "Deal Owner"],
  }),
  expectedCloseDate: fields.date({
    filter: "range",
    exported: { header: "Expected Close Date" },
    imported: ["Expected Close Date", "Close Date", "Expected Close"],
  }),
  closedAt: fields.shown("date", timestamp, { description: "When the deal was won or lost; null while open." }),
  lostReason: fields.shown("text", z.string(), { description: "Why the deal was lost (mark-lost)." }),
  sourceLeadId: fields.id({ description: "The lead the deal came from.", references: { table: "Lead", label: "Lead" } }),
  sourceCampaignId: fields.id({
    filter: "in",
    description: "The campaign the deal came from (its metrics count the deal).",
    references: { table: "Campaign", label: "Campaign" },
  }),
  tags: fields.keywords(50, { filter: "in", exported: { header: "Tags", width: 20 }, imported: ["Tags", "Tag", "Labels"] }),
  stageEnteredAt: fields.shown("date", timestamp, { nullable: false, description: "When the deal entered its current stage." }),
  rotsAt: fields.shown("date", timestamp, {
    description: "When the deal starts rotting in its stage; null when the stage never rots or the deal is closed.",
  }),
  lastContactedAt: fields.shown("date", timestamp, { description: "The latest interaction linked to the deal." }),
};

export const deals = defineResource({
  key: "deals",
  singular: "deal",
  label: "Deal",
  table: "Deal",
  model: recordModel<Deal>((db) => db.deal),
  fields: dealFields,
  serverOnly: ["searchText", "sourceCampaignId"],
  owner: { field: "ownerId", filter: "owner" },
  // A terminated owner's won and lost deals stay theirs (their results); open ones move on.
  reassignable: () => ({ status: "open" }),
  together: [["amount", "currency"]],
  search: { column: "searchText", normalize: normalizeSearchTerm },
  computed: {
    stageName: z.string().meta({ description: "The name of the deal's stage." }),
    stageProbability: z.string().meta({ description: "The stage's win probability (0..1, 4 decimals)." }),
    rotting: z.boolean().meta({ description: "Open, and in its stage past the stage's rotting period." }),
  },
  filters: {
    rotting: booleanFilter
      .optional()
      .meta({ description: "true: only rotting deals (open, past their stage's rotting period)." }),
  },
  hooks: {
    prepare: stagesById,
    completeInput: async (tx, ctx, input) => {
      const values = input as { pipelineId?: string | null; stageId?: string | null };
      const stage = await startingStage(tx, ctx, values.pipelineId ?? undefined, values.stageId ?? undefined);
      return { ...values, pipelineId: stage.pipelineId, stageId: stage.id, startingStage: stage };
    },
    newRow: (_ctx, input) => {
      const { startingStage: stage, ...values } = input as Record<string, unknown> & { name: string; startingStage?: never };
      return {
        ...values,
        ...(stage ? newDealColumns(stage, new Date()) : {}),
        searchText: values.name.toLowerCase(),
      };
    },
    afterCreate: (tx, ctx, rows) => recordFirstStays(tx, ctx, rows as Deal[]),
    beforePurge: (tx, ctx, row) => releaseConvertedLeads(tx, ctx, "convertedDealId", row.id),
    changeColumns: (tx, ctx, before, changes) => dealChangeColumns(tx, ctx, before as Deal, changes),
    present: (row, prepared, now) => presentDeal(row as Deal, prepared as Awaited<ReturnType<typeof stagesById>>, now),
    where: (_ctx, filters) => {
      if (filters.rotting === undefined) return [];
      const rotting = { status: "open", rotsAt: { lte: new Date() } };
      return [filters.rotting ? rotting : { NOT: rotting }];
    },
  },
});

export const dealOutput = deals.schemas.output;
export const dealFilterInput = deals.schemas.filters;
export type DealFilterInput = z.infer<typeof dealFilterInput>;
