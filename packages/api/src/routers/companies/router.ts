import type { Company, Prisma } from "@crm/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { presentRecord } from "../../kit/list.ts";
import { mergeInput, mergeOutput } from "../../kit/merge.ts";
import { pick, resourceAction, resourceProcedures, staticRoutesFirst } from "../../kit/procedures.ts";
import { idInput } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";
import { setCompanyActive } from "./actions.ts";
import { companyDuplicates } from "./duplicates.ts";
import { mergeCompanies } from "./merge.ts";
import {
  companies,
  companyDuplicatesInput,
  companyDuplicatesOutput,
  companyFilterInput,
  companyOutput,
  companyStatsOutput,
} from "./schemas.ts";
import { companyStats } from "./stats.ts";

/** Runs a company action in one transaction and returns the company as the API shows it. */
async function companyWrite(ctx: OrgContext, write: (tx: Prisma.TransactionClient) => Promise<Company>) {
  return presentRecord(companies, await ctx.db.$transaction(write), undefined) as never;
}

const standard = resourceProcedures(companies);

export const companiesRouter = staticRoutesFirst({
  ...pick(standard, [
    "list",
    "byId",
    "create",
    "update",
    "delete",
    "restore",
    "purge",
    "history",
    "bulkCreate",
    "bulkUpdate",
    "bulkDelete",
    "bulkRestore",
    "bulkAssign",
  ]),

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

  activate: resourceAction(companies, "write", { method: "POST", path: "/{id}/activate", summary: "Activate a company" })
    .input(idInput)
    .output(companyOutput)
    .mutation(({ ctx, input }) => companyWrite(ctx, (tx) => setCompanyActive(tx, ctx, input.id, true))),

  deactivate: resourceAction(companies, "write", { method: "POST", path: "/{id}/deactivate", summary: "Deactivate a company" })
    .input(idInput)
    .output(companyOutput)
    .mutation(({ ctx, input }) => companyWrite(ctx, (tx) => setCompanyActive(tx, ctx, input.id, false))),
} satisfies TRPCRouterRecord);
