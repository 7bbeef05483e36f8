import { addBusinessSeconds, type BusinessClock, businessSecondsBetween, type WeeklySchedule } from "../../lib/business-time.ts";
import { TICKET_PRIORITIES } from "./values.ts";

/**
 * A ticket's SLA clock, pure: the due and at-risk instants from the policy's targets and the time
 * the clock has run, the measured times, and the breach state at an instant. The clock runs from
 * creation while the ticket is new or open and stops otherwise (pending and on_hold pause it;
 * resolved and closed stop it until a reopen); stopped, the state is judged at `slaPausedAt`.
 */

export { TICKET_PRIORITIES };
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export type SlaTargets = Record<TicketPriority, { firstResponseMinutes: number; resolutionMinutes: number }>;

export interface SlaPolicyClock {
  targets: SlaTargets;
  businessHours: WeeklySchedule | null;
  timeZone: string;
}

export const SLA_STATES = ["ok", "at_risk", "breached"] as const;
export type SlaState = (typeof SLA_STATES)[number];

/** A metric is at risk once this share of its target is used up. */
export const AT_RISK_SHARE = 0.8;

/** The statuses in which the clock runs. */
export const CLOCK_RUNS_IN: readonly string[] = ["new", "open"];

export interface SlaTicket {
  priority: TicketPriority;
  createdAt: Date;
  slaPausedAt: Date | null;
  slaPausedSeconds: number;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
}

export const clockOf = (policy: SlaPolicyClock | null): BusinessClock =>
  policy ? { timeZone: policy.timeZone, schedule: policy.businessHours } : { timeZone: "UTC", schedule: null };

/** Clock seconds the ticket has run by `at` (or by its pause, when paused), pauses left out. */
export function elapsedSeconds(ticket: SlaTicket, clock: BusinessClock, at: Date): number {
  const until = ticket.slaPausedAt && ticket.slaPausedAt < at ? ticket.slaPausedAt : at;
  return Math.max(0, businessSecondsBetween(ticket.createdAt, until, clock) - ticket.slaPausedSeconds);
}

/**
 * The instant `target` seconds of clock time are used up, the clock running on from `at` with
 * what is left; one already used up lies in the past (at `at` or before).
 */
function instantOf(ticket: SlaTicket, clock: BusinessClock, target: number, at: Date): Date {
  const remaining = target - elapsedSeconds(ticket, clock, at);
  const from = ticket.slaPausedAt && ticket.slaPausedAt < at ? ticket.slaPausedAt : at;
  if (remaining >= 0) return addBusinessSeconds(from, remaining, clock);
  // Used up: as if the pauses had come first (an instant in the past either way).
  const past = addBusinessSeconds(ticket.createdAt, target + ticket.slaPausedSeconds, clock);
  return new Date(Math.min(past.getTime(), from.getTime()));
}

/** The due and at-risk columns of a ticket under `policy` as of `at` (all null without a policy). */
export function dueColumns(ticket: SlaTicket, policy: SlaPolicyClock | null, at: Date) {
  if (!policy) {
    return { firstResponseDueAt: null, firstResponseAtRiskAt: null, resolutionDueAt: null, resolutionAtRiskAt: null };
  }
  const clock = clockOf(policy);
  const target = policy.targets[ticket.priority];
  const first = target.firstResponseMinutes * 60;
  const resolution = target.resolutionMinutes * 60;
  return {
    firstResponseDueAt: instantOf(ticket, clock, first, at),
    firstResponseAtRiskAt: instantOf(ticket, clock, Math.floor(first * AT_RISK_SHARE), at),
    resolutionDueAt: instantOf(ticket, clock, resolution, at),
    resolutionAtRiskAt: instantOf(ticket, clock, Math.floor(resolution * AT_RISK_SHARE), at),
  };
}

export interface SlaColumns {
  firstResponseDueAt: Date | null;
  firstResponseAtRiskAt: Date | null;
  resolutionDueAt: Date | null;
  resolutionAtRiskAt: Date | null;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  slaPausedAt: Date | null;
}

function metricState(due: Date | null, atRisk: Date | null, metAt: Date | null, judgeAt: number): SlaState {
  if (!due) return "ok";
  if (metAt) return metAt.getTime() > due.getTime() ? "breached" : "ok";
  if (due.getTime() <= judgeAt) return "breached";
  return atRisk && atRisk.getTime() <= judgeAt ? "at_risk" : "ok";
}

/** The breach state at `now` (at the pause when the clock is stopped): the worse of the two metrics. */
export function slaStateOf(ticket: SlaColumns, now: number) {
  const judgeAt = ticket.slaPausedAt?.getTime() ?? now;
  const firstResponse = metricState(ticket.firstResponseDueAt, ticket.firstResponseAtRiskAt, ticket.firstResponseAt, judgeAt);
  const resolution = metricState(ticket.resolutionDueAt, ticket.resolutionAtRiskAt, ticket.resolvedAt, judgeAt);
  const worst = SLA_STATES[Math.max(SLA_STATES.indexOf(firstResponse), SLA_STATES.indexOf(resolution))] as SlaState;
  return { slaState: worst, firstResponseState: firstResponse, resolutionState: resolution };
}

/** The clock columns of a status change at `at`: stopping sets the pause, restarting adds it to the paused time. */
export function clockChange(ticket: SlaTicket, clock: BusinessClock, runs: boolean, at: Date) {
  if (!runs) return ticket.slaPausedAt ? {} : { slaPausedAt: at };
  if (!ticket.slaPausedAt) return {};
  return {
    slaPausedAt: null,
    slaPausedSeconds: ticket.slaPausedSeconds + businessSecondsBetween(ticket.slaPausedAt, at, clock),
  };
}
