import type { Prisma, Ticket } from "@crm/db";
import { conflict } from "../../errors.ts";
import { lockRecord, writeRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { policyOfTicket, statusColumns } from "./columns.ts";
import { type TicketStatus, tickets } from "./schemas.ts";
import type { SlaPolicyClock } from "./sla.ts";

type Tx = Prisma.TransactionClient;

/**
 * The statuses a ticket may move to from each status (POST /tickets/{id}/status). Resolved and
 * closed tickets move on only by a reopen (back to open); nothing goes back to new.
 */
export const TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ["open", "pending", "on_hold", "resolved", "closed"],
  open: ["pending", "on_hold", "resolved", "closed"],
  pending: ["open", "on_hold", "resolved", "closed"],
  on_hold: ["open", "pending", "resolved", "closed"],
  resolved: ["closed"],
  closed: [],
};

export const REOPENABLE: readonly TicketStatus[] = ["resolved", "closed"];

/** The statuses a status change may name. */
export const TARGET_STATUSES = ["open", "pending", "on_hold", "resolved", "closed"] as const;

export const lockLiveTicket = (tx: Tx, ctx: OrgContext, id: string) =>
  lockRecord<Ticket>(tx, ctx, tickets, id, { deleted: false });

/** Why a move is refused, naming the current status, the requested one and the allowed ones. */
function refusal(from: TicketStatus, to: TicketStatus): string {
  const allowed = TRANSITIONS[from];
  const reopen = REOPENABLE.includes(from) ? "; reopen it to work on it again" : "";
  return `the ticket is ${from} and cannot move to ${to}: from ${from} it may move to ${allowed.length ? allowed.join(", ") : "no other status"}${reopen}`;
}

/** Moves a live ticket to `status` when the workflow allows it (409 naming the allowed moves otherwise). */
export async function changeTicketStatus(tx: Tx, ctx: OrgContext, id: string, status: TicketStatus, action = "set-status") {
  const ticket = await lockLiveTicket(tx, ctx, id);
  const from = ticket.status as TicketStatus;
  if (!TRANSITIONS[from].includes(status)) throw conflict("status", refusal(from, status));
  const columns = statusColumns(ticket, status, await policyOfTicket(tx, ctx, ticket), new Date());
  return writeRecord<Ticket>(tx, ctx, tickets, ticket, columns, action);
}

/** A resolved or closed ticket goes back to open: its resolution is undone and its clock runs on. */
export async function reopenTicket(tx: Tx, ctx: OrgContext, id: string) {
  const ticket = await lockLiveTicket(tx, ctx, id);
  const from = ticket.status as TicketStatus;
  if (!REOPENABLE.includes(from)) {
    throw conflict(
      "status",
      `the ticket is ${from} and cannot be reopened: only resolved and closed tickets can (from ${from} it may move to ${TRANSITIONS[from].join(", ")})`,
    );
  }
  return writeRecord<Ticket>(
    tx,
    ctx,
    tickets,
    ticket,
    reopenColumns(ticket, await policyOfTicket(tx, ctx, ticket), new Date()),
    "reopen",
  );
}

/** The columns of reopening a resolved or closed ticket at `now`: its resolution undone, open, its clock running on. */
export function reopenColumns(ticket: Ticket, policy: SlaPolicyClock | null, now: Date) {
  const undone = { resolvedAt: null, resolutionSeconds: null, closedAt: null, reopenedCount: ticket.reopenedCount + 1 };
  return { ...undone, ...statusColumns({ ...ticket, ...undone }, "open", policy, now) };
}
