import type { Prisma } from "@crm/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idInput, idSchema, okOutput } from "../../lib/schemas.ts";
import { type OrgContext, permission } from "../../trpc.ts";
import {
  addLeadNote,
  disqualifyLead,
  listLeadNotes,
  logLeadCall,
  purgeLead,
  qualifyLead,
  restoreLead,
  setLeadActive,
  softDeleteLead,
} from "./actions.ts";
import { bulkAssign, bulkCreateLeads, bulkDelete, bulkRestore, bulkUpdateStatus } from "./bulk.ts";
import { leadHistory } from "./history.ts";
import { hotThreshold, presentLead } from "./present.ts";
import {
  addNoteInput,
  bulkAssignInput,
  bulkCreateInput,
  bulkCreateOutput,
  bulkIdsInput,
  bulkResultOutput,
  bulkStatusInput,
  createLeadInput,
  disqualifyInput,
  leadFilterInput,
  leadHistoryOutput,
  leadNoteOutput,
  leadOutput,
  leadPageInput,
  leadStatsOutput,
  listLeadsInput,
  logCallInput,
  setActiveInput,
  updateLeadInput,
} from "./schemas.ts";
import { createLead, findLead, findLiveLead, listLeads, updateLead } from "./service.ts";
import { leadStats } from "./stats.ts";

const tags = ["leads"];

/** Runs a lead write in one transaction and returns the lead as the API shows it. */
async function leadWrite(ctx: OrgContext, write: (tx: Prisma.TransactionClient) => Promise<Parameters<typeof presentLead>[0]>) {
  const lead = await ctx.db.$transaction(write);
  return presentLead(lead, await hotThreshold(ctx.db, ctx));
}

// Static paths come before `/leads/{id}`: the REST bridge takes the first path that matches.
export const leadsRouter = {
  list: permission("leads:read")
    .meta({
      openapi: {
        method: "GET",
        path: "/leads",
        tags,
        protect: true,
        summary: "List leads: filters, keyword search, sort, cursor pages",
      },
    })
    .input(listLeadsInput)
    .output(pageOutputSchema(leadOutput).extend({ total: z.number().int().optional() }))
    .query(({ ctx, input }) => listLeads(ctx.db, ctx, input)),

  stats: permission("leads:read")
    .meta({
      openapi: {
        method: "GET",
        path: "/leads/stats",
        tags,
        protect: true,
        summary: "Counts by status and source, average score, hot leads, conversion rate, new per week",
      },
    })
    .input(leadFilterInput)
    .output(leadStatsOutput)
    .query(({ ctx, input }) => leadStats(ctx.db, ctx, input)),

  create: permission("leads:write")
    .meta({ openapi: { method: "POST", path: "/leads", tags, protect: true, summary: "Create a lead (scored automatically)" } })
    .input(createLeadInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => createLead(tx, ctx, input))),

  bulkCreate: permission("leads:write")
    .meta({
      openapi: {
        method: "POST",
        path: "/leads/bulk",
        tags,
        protect: true,
        summary: "Create up to 1000 leads; each row reported created, duplicate or invalid",
      },
    })
    .input(bulkCreateInput)
    .output(bulkCreateOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => bulkCreateLeads(tx, ctx, input.leads), { timeout: 60_000 })),

  bulkUpdateStatus: permission("leads:write")
    .meta({
      openapi: {
        method: "POST",
        path: "/leads/bulk/status",
        tags,
        protect: true,
        summary: "Set the status of up to 1000 leads (all or nothing)",
      },
    })
    .input(bulkStatusInput)
    .output(bulkResultOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction((tx) => bulkUpdateStatus(tx, ctx, input.ids, input.status), { timeout: 60_000 }),
    ),

  bulkAssign: permission("leads:assign")
    .meta({
      openapi: {
        method: "POST",
        path: "/leads/bulk/assign",
        tags,
        protect: true,
        summary: "Assign up to 1000 leads (all or nothing)",
      },
    })
    .input(bulkAssignInput)
    .output(bulkResultOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction((tx) => bulkAssign(tx, ctx, input.ids, input.assignedToId), { timeout: 60_000 }),
    ),

  bulkDelete: permission("leads:delete")
    .meta({
      openapi: {
        method: "POST",
        path: "/leads/bulk/delete",
        tags,
        protect: true,
        summary: "Soft-delete up to 1000 leads (all or nothing)",
      },
    })
    .input(bulkIdsInput)
    .output(bulkResultOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => bulkDelete(tx, ctx, input.ids), { timeout: 60_000 })),

  bulkRestore: permission("leads:delete")
    .meta({
      openapi: {
        method: "POST",
        path: "/leads/bulk/restore",
        tags,
        protect: true,
        summary: "Restore up to 1000 soft-deleted leads (all or nothing)",
      },
    })
    .input(bulkIdsInput)
    .output(bulkResultOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => bulkRestore(tx, ctx, input.ids), { timeout: 60_000 })),

  byId: permission("leads:read")
    .meta({ openapi: { method: "GET", path: "/leads/{id}", tags, protect: true, summary: "One lead" } })
    .input(
      z.strictObject({ id: idSchema, includeDeleted: z.preprocess((v) => v === "true" || v === true, z.boolean()).optional() }),
    )
    .output(leadOutput)
    .query(async ({ ctx, input }) => {
      const lead = input.includeDeleted ? await findLead(ctx.db, ctx, input.id) : await findLiveLead(ctx.db, ctx, input.id);
      return presentLead(lead, await hotThreshold(ctx.db, ctx));
    }),

  update: permission("leads:write")
    .meta({ openapi: { method: "PATCH", path: "/leads/{id}", tags, protect: true, summary: "Change some fields of a lead" } })
    .input(updateLeadInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => updateLead(tx, ctx, input))),

  delete: permission("leads:delete")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/leads/{id}",
        tags,
        protect: true,
        summary: "Soft-delete a lead (restore brings it back)",
      },
    })
    .input(idInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => softDeleteLead(tx, ctx, input.id))),

  restore: permission("leads:delete")
    .meta({
      openapi: { method: "POST", path: "/leads/{id}/restore", tags, protect: true, summary: "Restore a soft-deleted lead" },
    })
    .input(idInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => restoreLead(tx, ctx, input.id))),

  purge: permission("leads:purge")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/leads/{id}/permanent",
        tags,
        protect: true,
        summary: "Delete a lead permanently (audited)",
      },
    })
    .input(idInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction((tx) => purgeLead(tx, ctx, input.id));
      return { ok: true as const };
    }),

  setActive: permission("leads:write")
    .meta({
      openapi: { method: "POST", path: "/leads/{id}/active", tags, protect: true, summary: "Activate or deactivate a lead" },
    })
    .input(setActiveInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => setLeadActive(tx, ctx, input.id, input.isActive))),

  qualify: permission("leads:write")
    .meta({ openapi: { method: "POST", path: "/leads/{id}/qualify", tags, protect: true, summary: "Mark a lead qualified" } })
    .input(idInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => qualifyLead(tx, ctx, input.id))),

  disqualify: permission("leads:write")
    .meta({
      openapi: {
        method: "POST",
        path: "/leads/{id}/disqualify",
        tags,
        protect: true,
        summary: "Mark a lead unqualified, with the reason",
      },
    })
    .input(disqualifyInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => disqualifyLead(tx, ctx, input.id, input.reason))),

  addNote: permission("leads:write")
    .meta({
      openapi: { method: "POST", path: "/leads/{id}/notes", tags, protect: true, summary: "Add a note (author and time kept)" },
    })
    .input(addNoteInput)
    .output(leadNoteOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => addLeadNote(tx, ctx, input.id, input.body))),

  notes: permission("leads:read")
    .meta({ openapi: { method: "GET", path: "/leads/{id}/notes", tags, protect: true, summary: "Notes of a lead" } })
    .input(leadPageInput)
    .output(pageOutputSchema(leadNoteOutput))
    .query(({ ctx, input }) => listLeadNotes(ctx.db, ctx, input)),

  logCall: permission("leads:write")
    .meta({
      openapi: {
        method: "POST",
        path: "/leads/{id}/calls",
        tags,
        protect: true,
        summary: "Log a call: attempts + 1, last contacted now",
      },
    })
    .input(logCallInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => leadWrite(ctx, (tx) => logLeadCall(tx, ctx, input))),

  history: permission("leads:read")
    .meta({
      openapi: {
        method: "GET",
        path: "/leads/{id}/history",
        tags,
        protect: true,
        summary: "Audit trail of a lead, field by field",
      },
    })
    .input(z.strictObject({ id: idSchema, limit: pageInputShape.limit, cursor: pageInputShape.cursor }))
    .output(leadHistoryOutput)
    .query(({ ctx, input }) => leadHistory(ctx.db, ctx, input)),
} satisfies TRPCRouterRecord;
