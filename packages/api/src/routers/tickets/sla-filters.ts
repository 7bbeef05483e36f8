import type { Prisma } from "@crm/db";
import type { OrgContext } from "../../trpc.ts";

type Where = Prisma.TicketWhereInput;

/**
 * The `breached` and `at_risk` list filters as conditions on the absolute due and at-risk
 * instants: a running clock is judged against now, a stopped one at its `slaPausedAt` (a column
 * compared with a column), so they stay true as time passes without a write. Every comparison is
 * guarded by the columns it reads being set, so a condition is true or false, never unknown, and
 * its negation is the rest of the tickets.
 */

type Column = "firstResponseDueAt" | "firstResponseAtRiskAt" | "resolutionDueAt" | "resolutionAtRiskAt";

/** The instant in `column` has come: by now while the clock runs, by the pause while it is stopped. */
function reached(ctx: OrgContext, column: Column, now: Date): Where {
  const pausedAt = ctx.db.ticket.fields.slaPausedAt;
  return {
    OR: [
      { slaPausedAt: null, [column]: { not: null, lte: now } },
      { AND: [{ slaPausedAt: { not: null } }, { [column]: { not: null } }, { [column]: { lte: pausedAt } }] },
    ],
  };
}

function metricBreached(ctx: OrgContext, metAt: "firstResponseAt" | "resolvedAt", due: Column, now: Date): Where {
  const dueAt = ctx.db.ticket.fields[due];
  return {
    OR: [
      { AND: [{ [metAt]: null }, reached(ctx, due, now)] },
      { AND: [{ [metAt]: { not: null } }, { [due]: { not: null } }, { [metAt]: { gt: dueAt } }] },
    ],
  };
}

export function breachedCondition(ctx: OrgContext, now: Date): Where {
  return {
    OR: [
      metricBreached(ctx, "firstResponseAt", "firstResponseDueAt", now),
      metricBreached(ctx, "resolvedAt", "resolutionDueAt", now),
    ],
  };
}

export const notBreachedCondition = (ctx: OrgContext, now: Date): Where => ({ NOT: breachedCondition(ctx, now) });

/** At risk: a metric not met yet whose at-risk instant has come, and no breach. */
export function atRiskCondition(ctx: OrgContext, now: Date): Where {
  return {
    AND: [
      notBreachedCondition(ctx, now),
      {
        OR: [
          { AND: [{ firstResponseAt: null }, reached(ctx, "firstResponseAtRiskAt", now)] },
          { AND: [{ resolvedAt: null }, reached(ctx, "resolutionAtRiskAt", now)] },
        ],
      },
    ],
  };
}
