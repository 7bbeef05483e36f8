import type { Prisma } from "@crm/db";
import { z } from "zod";
import { recordsWhere } from "../../kit/list.ts";
import type { OrgContext } from "../../trpc.ts";
import { type DealFilterInput, deals } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

const money = z.string().meta({ description: "An exact decimal (2 decimals)." });

export const dealStatsOutput = z.object({
  count: z.number().int(),
  openValueByStage: z.array(
    z.object({
      pipelineId: z.uuid(),
      stageId: z.uuid(),
      stageName: z.string(),
      currency: z.string().nullable(),
      count: z.number().int(),
      amount: money,
    }),
  ),
  forecastByMonth: z
    .array(
      z.object({
        month: z.string().meta({ description: "YYYY-MM" }),
        currency: z.string(),
        count: z.number().int(),
        amount: money,
        weighted: money,
      }),
    )
    .meta({ description: "Open deals by expected-close month (UTC) and currency: amounts and amount × probability." }),
  won: z.number().int(),
  lost: z.number().int(),
  winRate: z.number().nullable().meta({ description: "won / (won + lost); null when none is closed." }),
  averageWonSize: z.array(z.object({ currency: z.string(), count: z.number().int(), average: money })),
  averageSalesCycleDays: z.number().nullable().meta({ description: "Mean days from creation to closing of won deals." }),
  byOwner: z.array(
    z.object({
      ownerId: z.uuid().nullable(),
      open: z.number().int(),
      won: z.number().int(),
      lost: z.number().int(),
      winRate: z.number().nullable(),
      wonValue: z.array(z.object({ currency: z.string(), amount: money })),
    }),
  ),
});

const rate = (won: number, lost: number) => (won + lost === 0 ? null : won / (won + lost));

/**
 * Deal statistics over the deals the list filters select: sums and averages by the database in
 * numeric, per currency (nothing adds euros to dollars).
 */
export async function dealStats(db: Tx, ctx: OrgContext, filters: DealFilterInput) {
  const where = await recordsWhere(db, ctx, deals, filters as Record<string, unknown>, undefined);
  const ids = (await db.deal.findMany({ where, select: { id: true } })).map((deal) => deal.id);
  const [byStage, forecast, byStatus, wonSizes, cycle, owners, ownerValues] = await Promise.all([
    db.$queryRaw<
      { pipelineId: string; stageId: string; stageName: string; currency: string | null; count: number; amount: string }[]
    >`
      SELECT s."pipelineId"::text AS "pipelineId", s."id"::text AS "stageId", s."name" AS "stageName", d."currency"::text AS "currency",
             count(*)::int AS "count", coalesce(sum(d."amount"), 0)::numeric(20, 2)::text AS "amount"
      FROM "Deal" d JOIN "PipelineStage" s ON s."id" = d."stageId"
      WHERE d."id" = ANY(${ids}::uuid[]) AND d."status" = 'open'
      GROUP BY s."pipelineId", s."id", s."name", s."position", d."currency"
      ORDER BY s."pipelineId", s."position", d."currency" NULLS LAST`,
    db.$queryRaw<{ month: string; currency: string; count: number; amount: string; weighted: string }[]>`
      SELECT to_char(d."expectedCloseDate", 'YYYY-MM') AS "month", d."currency"::text AS "currency", count(*)::int AS "count",
             sum(d."amount")::numeric(20, 2)::text AS "amount",
             sum(round(d."amount" * coalesce(d."probability", s."probability"), 2))::numeric(20, 2)::text AS "weighted"
      FROM "Deal" d JOIN "PipelineStage" s ON s."id" = d."stageId"
      WHERE d."id" = ANY(${ids}::uuid[]) AND d."status" = 'open' AND d."expectedCloseDate" IS NOT NULL AND d."amount" IS NOT NULL
      GROUP BY 1, 2 ORDER BY 1, 2`,
    db.deal.groupBy({ by: ["status"], where: { id: { in: ids } }, _count: { _all: true } }),
    db.$queryRaw<{ currency: string; count: number; average: string }[]>`
      SELECT d."currency"::text AS "currency", count(*)::int AS "count", round(avg(d."amount"), 2)::numeric(20, 2)::text AS "average"
      FROM "Deal" d WHERE d."id" = ANY(${ids}::uuid[]) AND d."status" = 'won' AND d."amount" IS NOT NULL
      GROUP BY 1 ORDER BY 1`,
    db.$queryRaw<{ days: number | null }[]>`
      SELECT (avg(extract(epoch FROM d."closedAt" - d."createdAt")) / 86400)::float8 AS "days"
      FROM "Deal" d WHERE d."id" = ANY(${ids}::uuid[]) AND d."status" = 'won' AND d."closedAt" IS NOT NULL`,
    db.deal.groupBy({ by: ["ownerId", "status"], where: { id: { in: ids } }, _count: { _all: true } }),
    db.$queryRaw<{ ownerId: string | null; currency: string; amount: string }[]>`
      SELECT d."ownerId"::text AS "ownerId", d."currency"::text AS "currency", sum(d."amount")::numeric(20, 2)::text AS "amount"
      FROM "Deal" d WHERE d."id" = ANY(${ids}::uuid[]) AND d."status" = 'won' AND d."amount" IS NOT NULL
      GROUP BY 1, 2 ORDER BY 2`,
  ]);
  const statusCount = (status: string) => byStatus.find((row) => row.status === status)?._count._all ?? 0;
  const won = statusCount("won");
  const lost = statusCount("lost");
  const ownerIds = [...new Set(owners.map((row) => row.ownerId))];
  return {
    count: ids.length,
    openValueByStage: byStage,
    forecastByMonth: forecast,
    won,
    lost,
    winRate: rate(won, lost),
    averageWonSize: wonSizes,
    averageSalesCycleDays: cycle[0]?.days ?? null,
    byOwner: ownerIds.map((ownerId) => {
      const count = (status: string) => owners.find((row) => row.ownerId === ownerId && row.status === status)?._count._all ?? 0;
      return {
        ownerId,
        open: count("open"),
        won: count("won"),
        lost: count("lost"),
        winRate: rate(count("won"), count("lost")),
        wonValue: ownerValues.filter((row) => row.ownerId === ownerId).map(({ currency, amount }) => ({ currency, amount })),
      };
    }),
  };
}
