import { Prisma } from "@crm/db";
import { z } from "zod";
import { recordsWhere } from "../../kit/list.ts";
import type { OrgContext } from "../../trpc.ts";
import { type TicketFilterInput, tickets } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

const seconds = z.number().nullable();

const timesOutput = z.object({
  count: z.number().int().meta({ description: "Tickets with the time measured." }),
  averageSeconds: seconds,
  medianSeconds: seconds,
});

export const ticketStatsOutput = z.object({
  count: z.number().int(),
  open: z.number().int().meta({ description: "Tickets neither resolved nor closed." }),
  openByPriority: z.array(z.object({ priority: z.string(), count: z.number().int() })),
  openByStatus: z.array(z.object({ status: z.string(), count: z.number().int() })),
  firstResponse: timesOutput.meta({ description: "Time to the first response (policy clock, pauses left out)." }),
  resolution: timesOutput.meta({ description: "Time to the resolution (policy clock, pauses left out)." }),
  measured: z.number().int().meta({ description: "Tickets with an SLA policy." }),
  breached: z.number().int().meta({ description: "Tickets with an SLA policy that breached a target, as of now." }),
  breachRate: z.number().nullable().meta({ description: "breached / measured; null when no ticket has a policy." }),
  byAssignee: z.array(
    z.object({
      assigneeId: z.uuid().nullable(),
      count: z.number().int(),
      open: z.number().int(),
      breached: z.number().int(),
      averageFirstResponseSeconds: seconds,
      averageResolutionSeconds: seconds,
    }),
  ),
  byChannel: z.array(
    z.object({
      channel: z.string().nullable(),
      count: z.number().int(),
      open: z.number().int(),
      breached: z.number().int(),
      averageFirstResponseSeconds: seconds,
      averageResolutionSeconds: seconds,
    }),
  ),
});

const OPEN = Prisma.sql`t."status" NOT IN ('resolved', 'closed')`;

/** The `breached` filter's rule in SQL (see sla-filters.ts): judged at now, or at the pause of a stopped clock. */
const BREACHED = Prisma.sql`coalesce(
  (t."firstResponseAt" IS NULL AND t."firstResponseDueAt" <= coalesce(t."slaPausedAt", now()))
  OR t."firstResponseAt" > t."firstResponseDueAt"
  OR (t."resolvedAt" IS NULL AND t."resolutionDueAt" <= coalesce(t."slaPausedAt", now()))
  OR t."resolvedAt" > t."resolutionDueAt", false)`;

const float = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Ticket statistics over the tickets the list filters select, computed by the database. */
export async function ticketStats(db: Tx, ctx: OrgContext, filters: TicketFilterInput) {
  const where = await recordsWhere(db, ctx, tickets, filters as Record<string, unknown>, undefined);
  const ids = (await db.ticket.findMany({ where, select: { id: true } })).map((ticket) => ticket.id);
  const selected = Prisma.sql`FROM "Ticket" t WHERE t."id" = ANY(${ids}::uuid[])`;
  const grouped = (column: Prisma.Sql) => db.$queryRaw<
    {
      key: string | null;
      count: number;
      open: number;
      breached: number;
      firstResponse: number | null;
      resolution: number | null;
    }[]
  >`
    SELECT ${column} AS "key", count(*)::int AS "count", (count(*) FILTER (WHERE ${OPEN}))::int AS "open",
           (count(*) FILTER (WHERE t."slaPolicyId" IS NOT NULL AND ${BREACHED}))::int AS "breached",
           avg(t."firstResponseSeconds")::float8 AS "firstResponse", avg(t."resolutionSeconds")::float8 AS "resolution"
    ${selected} GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST`;
  const [byPriority, byStatus, [totals], byAssignee, byChannel] = await Promise.all([
    db.$queryRaw<{ priority: string; count: number }[]>`
      SELECT t."priority"::text AS "priority", count(*)::int AS "count" ${selected} AND ${OPEN} GROUP BY 1 ORDER BY 1`,
    db.$queryRaw<{ status: string; count: number }[]>`
      SELECT t."status"::text AS "status", count(*)::int AS "count" ${selected} AND ${OPEN} GROUP BY 1 ORDER BY 1`,
    db.$queryRaw<Record<string, number | null>[]>`
      SELECT count(*)::int AS "count", (count(*) FILTER (WHERE ${OPEN}))::int AS "open",
             count(t."firstResponseSeconds")::int AS "firstCount", avg(t."firstResponseSeconds")::float8 AS "firstAverage",
             (percentile_cont(0.5) WITHIN GROUP (ORDER BY t."firstResponseSeconds"))::float8 AS "firstMedian",
             count(t."resolutionSeconds")::int AS "resolutionCount", avg(t."resolutionSeconds")::float8 AS "resolutionAverage",
             (percentile_cont(0.5) WITHIN GROUP (ORDER BY t."resolutionSeconds"))::float8 AS "resolutionMedian",
             (count(*) FILTER (WHERE t."slaPolicyId" IS NOT NULL))::int AS "measured",
             (count(*) FILTER (WHERE t."slaPolicyId" IS NOT NULL AND ${BREACHED}))::int AS "breached"
      ${selected}`,
    grouped(Prisma.sql`t."assigneeId"::text`),
    grouped(Prisma.sql`t."channel"::text`),
  ]);
  const measured = Number(totals?.measured ?? 0);
  const breached = Number(totals?.breached ?? 0);
  const group = (row: (typeof byAssignee)[number]) => ({
    count: row.count,
    open: row.open,
    breached: row.breached,
    averageFirstResponseSeconds: float(row.firstResponse),
    averageResolutionSeconds: float(row.resolution),
  });
  return {
    count: Number(totals?.count ?? 0),
    open: Number(totals?.open ?? 0),
    openByPriority: byPriority,
    openByStatus: byStatus,
    firstResponse: {
      count: Number(totals?.firstCount ?? 0),
      averageSeconds: float(totals?.firstAverage),
      medianSeconds: float(totals?.firstMedian),
    },
    resolution: {
      count: Number(totals?.resolutionCount ?? 0),
      averageSeconds: float(totals?.resolutionAverage),
      medianSeconds: float(totals?.resolutionMedian),
    },
    measured,
    breached,
    breachRate: measured === 0 ? null : breached / measured,
    byAssignee: byAssignee.map((row) => ({ assigneeId: row.key, ...group(row) })),
    byChannel: byChannel.map((row) => ({ channel: row.key, ...group(row) })),
  };
}
