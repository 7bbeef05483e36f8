import type { TRPCRouterRecord } from "@trpc/server";
import { mergeInput, mergeOutput } from "../../kit/merge.ts";
import { resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { pageOutputSchema } from "../../lib/pagination.ts";
import { idInput } from "../../lib/schemas.ts";
import { timelineProcedure } from "../../timeline/procedure.ts";
import { contactsOfCompany, linkContactToCompany, unlinkContactFromCompany } from "../contacts/company-links.ts";
import { companyContactOutput, linkOutput, unlinkOutput } from "../contacts/schemas.ts";
import { recordInteractions } from "../interactions/of-record.ts";
import { setCompanyActive } from "./actions.ts";
import { companyDuplicates } from "./duplicates.ts";
import { mergeCompanies } from "./merge.ts";
import {
  companies,
  companyDuplicatesInput,
  companyDuplicatesOutput,
  companyFilterInput,
  companyOutput,
  companyPageInput,
  companyStatsOutput,
  linkContactInput,
  unlinkContactInput,
} from "./schemas.ts";
import { companyStats } from "./stats.ts";

const standard = resourceProcedures(companies);

export const companiesRouter = staticRoutesFirst({
  ...standard,

  stats: resourceAction(companies, "read", {
    method: "GET",
    path: "/stats",
    summary: "Counts by type, industry and size band, and how many are active",
  })
    .input(companyFilterInput)
    .output(companyStatsOutput)
    .query(({ ctx, input }) => companyStats(ctx.db, ctx, input)),

  duplicates: resourceAction(companies, "read", {
    method: "GET",
    path: "/{id}/duplicates",
    summary: "Likely duplicates of a company, best first: same domain, similar name",
  })
    .input(companyDuplicatesInput)
    .output(companyDuplicatesOutput)
    .query(({ ctx, input }) => companyDuplicates(ctx.db, ctx, input)),

  merge: resourceAction(companies, "delete", {
    method: "POST",
    path: "/merge",
    summary:
      "Merge companies into one: contacts, links and subsidiaries move to the survivor, the others are soft-deleted pointing at it",
    description: "dryRun: true answers what the merge would do and writes nothing.",
  })
    .input(mergeInput)
    .output(mergeOutput(companyOutput))
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => mergeCompanies(tx, ctx, input), { timeout: 60_000 }) as never),

  contacts: resourceAction(companies, "read", {
    method: "GET",
    path: "/{id}/contacts",
    summary: "The contacts of a company (linked to it, or with it as primary company), with their role",
  })
    .input(companyPageInput)
    .output(pageOutputSchema(companyContactOutput))
    .query(({ ctx, input }) => contactsOfCompany(ctx.db, ctx, { ...input, companyId: input.id }) as never),

  linkContact: resourceAction(companies, "write", {
    method: "POST",
    path: "/{id}/contacts/{contactId}",
    summary:
      "Link a contact to the company, with a role and whether it is the contact's primary company (linking again updates them)",
  })
    .input(linkContactInput)
    .output(linkOutput)
    .mutation(({ ctx, input }) => {
      const { id, ...change } = input;
      return ctx.db.$transaction((tx) => linkContactToCompany(tx, ctx, { companyId: id, ...change }, "company"));
    }),

  unlinkContact: resourceAction(companies, "write", {
    method: "DELETE",
    path: "/{id}/contacts/{contactId}",
    summary: "Unlink a contact from the company (it stops being the contact's primary company too)",
  })
    .input(unlinkContactInput)
    .output(unlinkOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction((tx) =>
        unlinkContactFromCompany(tx, ctx, { contactId: input.contactId, companyId: input.id }, "company"),
      ),
    ),

  activate: resourceAction(companies, "write", { method: "POST", path: "/{id}/activate", summary: "Activate a company" })
    .input(idInput)
    .output(companyOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, companies, (tx) => setCompanyActive(tx, ctx, input.id, true))),

  deactivate: resourceAction(companies, "write", { method: "POST", path: "/{id}/deactivate", summary: "Deactivate a company" })
    .input(idInput)
    .output(companyOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, companies, (tx) => setCompanyActive(tx, ctx, input.id, false))),

  interactions: recordInteractions(companies, "companyId"),

  timeline: timelineProcedure(companies),
} satisfies TRPCRouterRecord);
