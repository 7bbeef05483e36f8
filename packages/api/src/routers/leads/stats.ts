import type { Prisma } from "@crm/db";
import type { OrgContext } from "../../trpc.ts";
import { hotThreshold } from "./present.ts";
import { LEAD_SHOWN_STATUSES, LEAD_SOURCES, type LeadFilterInput } from "./schemas.ts";
import { leadsWhere } from "./service.ts";

const WEEK_MS = 7 * 86_400_000;
const WEEKS = 12;

/** Monday 00:00 UTC of the week holding `date`. */
function startOfWeek(date: Date): Date {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 86_400_000);
}

/**
 * Lead statistics over the leads the filters select, all counted by the database (aggregates and
 * group-bys on the same `where` as leads.list), never by loading rows.
 */
export async function leadStats(db: Prisma.TransactionClient, ctx: OrgContext, filters: LeadFilterInput) {
  const threshold = await hotThreshold(db, ctx);
  const where = await leadsWhere(db, ctx, filters, threshold);
  const thisWeek = startOfWeek(new Date());
  const weeks = Array.from({ length: WEEKS }, (_, i) => new Date(thisWeek.getTime() - (WEEKS - 1 - i) * WEEK_MS));

  const [aggregate, byStatus, bySource, hotCount, weekly] = await Promise.all([
    db.lead.aggregate({ where, _count: { _all: true }, _avg: { score: true } }),
    db.lead.groupBy({ by: ["status"], where, _count: { _all: true } }),
    db.lead.groupBy({ by: ["source"], where, _count: { _all: true } }),
    db.lead.count({ where: { AND: [where, { score: { gte: threshold } }] } }),
    Promise.all(
      weeks.map((weekStart) =>
        db.lead.count({
          where: { AND: [where, { createdAt: { gte: weekStart, lt: new Date(weekStart.getTime() + WEEK_MS) } }] },
        }),
      ),
    ),
  ]);

  const statusCounts = Object.fromEntries(LEAD_SHOWN_STATUSES.map((status) => [status, 0])) as Record<string, number>;
  for (const row of byStatus) statusCounts[row.status] = row._count._all;
  const sourceCounts = Object.fromEntries(LEAD_SOURCES.map((source) => [source, 0])) as Record<string, number>;
  for (const row of bySource) sourceCounts[row.source] = row._count._all;

  // A converted lead is one the team won over: it counts with the won ones.
  const won = (statusCounts.won ?? 0) + (statusCounts.converted ?? 0);
  const closed = won + (statusCounts.lost ?? 0) + (statusCounts.unqualified ?? 0);
  const average = aggregate._avg.score;
  return {
    total: aggregate._count._all,
    byStatus: statusCounts,
    bySource: sourceCounts,
    averageScore: average === null ? null : Math.round(average * 100) / 100,
    hotCount,
    conversionRate: closed === 0 ? null : Math.round((won / closed) * 10_000) / 10_000,
    newPerWeek: weeks.map((weekStart, i) => ({ weekStart, count: weekly[i] ?? 0 })),
  };
}
