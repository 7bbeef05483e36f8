import type { TRPCRouterRecord } from "@trpc/server";
import { pageOutputSchema } from "../../lib/pagination.ts";
import { idInput } from "../../lib/schemas.ts";
import { permission } from "../../trpc.ts";
import { createLeadInput, leadOutput, listLeadsInput, updateLeadInput } from "./schemas.ts";
import { createLead, findLead, listLeads, softDeleteLead, updateLead } from "./service.ts";

const tags = ["leads"];

export const leadsRouter = {
  list: permission("leads:read")
    .meta({
      openapi: {
        method: "GET",
        path: "/leads",
        tags,
        protect: true,
        summary: "List leads: filters, keyword search, cursor pages",
      },
    })
    .input(listLeadsInput)
    .output(pageOutputSchema(leadOutput))
    .query(({ ctx, input }) => listLeads(ctx.db, ctx, input)),

  byId: permission("leads:read")
    .meta({ openapi: { method: "GET", path: "/leads/{id}", tags, protect: true, summary: "One lead" } })
    .input(idInput)
    .output(leadOutput)
    .query(({ ctx, input }) => findLead(ctx.db, ctx, input.id)),

  create: permission("leads:write")
    .meta({ openapi: { method: "POST", path: "/leads", tags, protect: true, summary: "Create a lead" } })
    .input(createLeadInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => createLead(tx, ctx, input))),

  update: permission("leads:write")
    .meta({ openapi: { method: "PATCH", path: "/leads/{id}", tags, protect: true, summary: "Change some fields of a lead" } })
    .input(updateLeadInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => updateLead(tx, ctx, input))),

  delete: permission("leads:delete")
    .meta({ openapi: { method: "DELETE", path: "/leads/{id}", tags, protect: true, summary: "Soft-delete a lead" } })
    .input(idInput)
    .output(leadOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => softDeleteLead(tx, ctx, input.id))),
} satisfies TRPCRouterRecord;
