import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { listRecords } from "../../kit/list.ts";
import { pageOutputSchema } from "../../lib/pagination.ts";
import { permission } from "../../trpc.ts";
import { companies, companyOutput, customerStatsOutput } from "./schemas.ts";
import { customerStats } from "./stats.ts";

/**
 * Seed 003's customers and vendors are companies of that type: these routes are shortcuts over
 * the same rows, with the companies list's filters and the type fixed, gated by companies:read.
 */
const { types: _listTypes, typesMatch: _listMatch, ...listShape } = companies.schemas.list.shape;
const { types: _filterTypes, typesMatch: _filterMatch, ...filterShape } = companies.schemas.filters.shape;
const listInput = z.strictObject(listShape);
const filterInput = z.strictObject(filterShape);
const listOutput = pageOutputSchema(companyOutput).extend({ total: z.number().int().optional() });

function shortcut(tag: "customers" | "vendors", path: `/${string}`, summary: string) {
  return permission("companies:read").meta({ openapi: { method: "GET", path, summary, tags: [tag] } });
}

export const customersRouter = {
  list: shortcut("customers", "/customers", "List the companies of type customer (the companies list's filters)")
    .input(listInput)
    .output(listOutput)
    .query(
      ({ ctx, input }) => listRecords(ctx.db, ctx, companies, { ...input, types: ["customer"], typesMatch: "any" }) as never,
    ),

  stats: shortcut("customers", "/customers/stats", "Customers: total, active, by industry, new per month")
    .input(filterInput)
    .output(customerStatsOutput)
    .query(({ ctx, input }) => customerStats(ctx.db, ctx, input)),
} satisfies TRPCRouterRecord;

export const vendorsRouter = {
  list: shortcut("vendors", "/vendors", "List the companies of type vendor (the companies list's filters)")
    .input(listInput)
    .output(listOutput)
    .query(({ ctx, input }) => listRecords(ctx.db, ctx, companies, { ...input, types: ["vendor"], typesMatch: "any" }) as never),
} satisfies TRPCRouterRecord;
