import type { Prisma, Ticket } from "@crm/db";
import { searchTextOf } from "../../lib/search-text.ts";
import type { OrgContext } from "../../trpc.ts";
import { policyClock } from "../sla-policies/schemas.ts";
import {
  CLOCK_RUNS_IN,
  clockChange,
  clockOf,
  dueColumns,
  elapsedSeconds,
  type SlaPolicyClock,
  type SlaTicket,
  type TicketPriority,
} from "./sla.ts";

type Tx = Prisma.TransactionClient;

/** `T-1042`: how people name a ticket. */
export const displayNumber = (number: number) => `T-${number}`;

export const ticketSearchText = (ticket: { number: number; subject: string; description?: string | null }) =>
  searchTextOf([displayNumber(ticket.number), ticket.subject, ticket.description]);

/** The policy a ticket is measured by, deleted or not (a ticket keeps its policy); null for none. */
export async function policyOfTicket(db: Tx, ctx: OrgContext, ticket: Pick<Ticket, "slaPolicyId">) {
  if (!ticket.slaPolicyId) return null;
  const policy = await db.slaPolicy.findFirst({ where: { organizationId: ctx.org.id, id: ticket.slaPolicyId } });
  return policy ? policyClock(policy) : null;
}

/** The due and at-risk columns as of `at`, for the metrics not met yet (a met one keeps the instant it was judged by). */
export function openDueColumns(ticket: SlaTicket, policy: SlaPolicyClock | null, at: Date) {
  const due = dueColumns(ticket, policy, at);
  return {
    ...(ticket.firstResponseAt
      ? {}
      : { firstResponseDueAt: due.firstResponseDueAt, firstResponseAtRiskAt: due.firstResponseAtRiskAt }),
    ...(ticket.resolvedAt ? {} : { resolutionDueAt: due.resolutionDueAt, resolutionAtRiskAt: due.resolutionAtRiskAt }),
  };
}

/** A new ticket's columns (its number and search text come with completeRows): new, due instants from `now`. */
export function newTicketColumns(input: Record<string, unknown> & { policy?: SlaPolicyClock | null }, now: Date) {
  const { policy, ...values } = input;
  const priority = (values.priority as TicketPriority | undefined) ?? "medium";
  const clock = { priority, createdAt: now, slaPausedAt: null, slaPausedSeconds: 0, firstResponseAt: null, resolvedAt: null };
  return { ...values, priority, status: "new", createdAt: now, ...dueColumns(clock, policy ?? null, now) };
}

/** An update's columns: the search text follows subject and description, the due instants priority and policy. */
export async function ticketChangeColumns(tx: Tx, ctx: OrgContext, before: Ticket, changes: Record<string, unknown>, now: Date) {
  const after = { ...before, ...changes } as Ticket;
  const columns: Record<string, unknown> = { ...changes };
  if ("subject" in changes || "description" in changes) columns.searchText = ticketSearchText(after);
  if ("priority" in changes || "slaPolicyId" in changes) {
    const policy = await policyOfTicket(tx, ctx, after);
    Object.assign(columns, policy ? openDueColumns(after, policy, now) : dueColumns(after, null, now));
  }
  return columns;
}

/**
 * The columns of moving `ticket` to `status` at `now`: the clock stops or runs on (a restart
 * moves the due instants by the time it stood), resolving measures the resolution time.
 */
export function statusColumns(ticket: Ticket, status: Ticket["status"], policy: SlaPolicyClock | null, now: Date) {
  const clock = clockOf(policy);
  const runs = CLOCK_RUNS_IN.includes(status);
  const columns: Record<string, unknown> = { status, ...clockChange(ticket, clock, runs, now) };
  if ((status === "resolved" || status === "closed") && !ticket.resolvedAt) {
    columns.resolvedAt = now;
    columns.resolutionSeconds = elapsedSeconds(ticket, clock, now);
  }
  if (status === "closed") columns.closedAt = now;
  if (runs && ticket.slaPausedAt) Object.assign(columns, openDueColumns({ ...ticket, ...columns } as Ticket, policy, now));
  return columns;
}
