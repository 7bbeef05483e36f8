import type { TRPCRouterRecord } from "@trpc/server";
import { bulkCountOutput, resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { pageOutputSchema } from "../../lib/pagination.ts";
import { idInput } from "../../lib/schemas.ts";
import { timelineProcedure } from "../../timeline/procedure.ts";
import { recordInteractions } from "../interactions/of-record.ts";
import { addLeadNote, disqualifyLead, listLeadNotes, logLeadCall, qualifyLead, setLeadActive } from "./actions.ts";
import { bulkUpdateStatus } from "./bulk.ts";
import { convertLead, convertLeadInput, convertLeadOutput } from "./convert.ts";
import {
  addNoteInput,
  bulkStatusInput,
  disqualifyInput,
  leadFilterInput,
  leadNoteOutput,
  leadOutput,
  leadPageInput,
  leadStatsOutput,
  leads,
  logCallInput,
  setActiveInput,
} from "./schemas.ts";
import { leadStats } from "./stats.ts";

const standard = resourceProcedures(leads, {
  create: "Create a lead (scored automatically)",
  delete: "Soft-delete a lead (restore brings it back)",
  purge: "Delete a lead permanently (audited)",
  bulkCreate: "Create up to 1000 leads; each row reported created, duplicate or invalid",
});

export const leadsRouter = staticRoutesFirst({
  ...standard,

  stats: resourceAction(leads, "read", {
    method: "GET",
    path: "/stats",
    summary: "Counts by status and source, average score, hot leads, conversion rate, new per week",
  })
    .input(leadFilterInput)
    .output(leadStatsOutput)
    .query(({ ctx, input }) => leadStats(ctx.db, ctx, input)),

  bulkUpdateStatus: resourceAction(leads, "write", {
    method: "POST",
    path: "/bulk/status",
    summary: "Set the status of up to 1000 leads (all or nothing)",
  })
    .input(bulkStatusInput)
    .output(bulkCountOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction((tx) => bulkUpdateStatus(tx, ctx, input.ids, input.status), { timeout: 60_000 }),
    ),

  setActive: resourceAction(leads, "write", { method: "POST", path: "/{id}/active", summary: "Activate or deactivate a lead" })
    .input(setActiveInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, leads, (tx) => setLeadActive(tx, ctx, input.id, input.isActive))),

  qualify: resourceAction(leads, "write", { method: "POST", path: "/{id}/qualify", summary: "Mark a lead qualified" })
    .input(idInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, leads, (tx) => qualifyLead(tx, ctx, input.id))),

  disqualify: resourceAction(leads, "write", {
    method: "POST",
    path: "/{id}/disqualify",
    summary: "Mark a lead unqualified, with the reason",
  })
    .input(disqualifyInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, leads, (tx) => disqualifyLead(tx, ctx, input.id, input.reason))),

  convert: resourceAction(leads, "write", {
    method: "POST",
    path: "/{id}/convert",
    summary: "Convert a lead into a contact, a company and a deal (existing ones linked; dryRun: only say what would happen)",
    description:
      "One transaction. Needs contacts:write, companies:write and, with a deal, deals:write besides leads:write. Linking an existing contact or company fills only its empty fields. The lead becomes `converted` with links to what it became; converting it again answers the same records and writes nothing.",
  })
    .input(convertLeadInput)
    .output(convertLeadOutput)
    .mutation(({ ctx, input }) => convertLead(ctx, input)),

  addNote: resourceAction(leads, "write", { method: "POST", path: "/{id}/notes", summary: "Add a note (author and time kept)" })
    .input(addNoteInput)
    .output(leadNoteOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => addLeadNote(tx, ctx, input.id, input.body))),

  notes: resourceAction(leads, "read", { method: "GET", path: "/{id}/notes", summary: "Notes of a lead" })
    .input(leadPageInput)
    .output(pageOutputSchema(leadNoteOutput))
    .query(({ ctx, input }) => listLeadNotes(ctx.db, ctx, input)),

  logCall: resourceAction(leads, "write", {
    method: "POST",
    path: "/{id}/calls",
    summary: "Log a call: attempts + 1, last contacted now",
  })
    .input(logCallInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, leads, (tx) => logLeadCall(tx, ctx, input))),

  interactions: recordInteractions(leads, "leadId"),

  timeline: timelineProcedure(leads),
} satisfies TRPCRouterRecord);
