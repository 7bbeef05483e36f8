import type { Ticket } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { defineResource, recordModel } from "../../kit/resource.ts";
import { booleanFilter } from "../../lib/filters.ts";
import { timestamp } from "../../lib/schemas.ts";
import { normalizeSearchTerm } from "../../lib/search-text.ts";
import { livePolicy, policyClock } from "../sla-policies/schemas.ts";
import { displayNumber, newTicketColumns, ticketChangeColumns, ticketSearchText } from "./columns.ts";
import { SLA_STATES, type SlaPolicyClock, slaStateOf, TICKET_PRIORITIES } from "./sla.ts";
import { atRiskCondition, breachedCondition, notBreachedCondition } from "./sla-filters.ts";

import { TICKET_CHANNELS, TICKET_STATUSES, type TicketStatus } from "./values.ts";

export type { TicketStatus };

const seconds = (description: string) => fields.shown("integer", z.number().int(), { description });

const ticketFields = {
  // Bounded as the int4 column is: the range filter takes its bounds from this schema.
  number: fields.shown("integer", z.number().int().min(1).max(2_147_483_647), {
    nullable: false,
    sort: true,
    filter: "range",
    exported: { header: "Number" },
    description: "Sequential per organization; shown as displayNumber (T-1042). Lists filter it by numberMin and numberMax.",
  }),
  subject: fields.text(300, {
    required: true,
    exported: { header: "Subject", width: 30 },
    imported: ["Subject", "Title", "Summary"],
  }),
  description: fields.longText(20_000, {
    exported: { header: "Description", width: 40 },
    imported: ["Description", "Body", "Message"],
  }),
  priority: fields.enumWithDefault(TICKET_PRIORITIES, {
    filter: "in",
    exported: { header: "Priority" },
    imported: ["Priority"],
    description: "medium unless given; a change moves the SLA due instants to the new priority's targets.",
  }),
  status: fields.shown("enum", z.enum(TICKET_STATUSES), {
    nullable: false,
    filter: "in",
    exported: { header: "Status" },
    description: "Changed only by the workflow actions (status, resolve, reopen) and a first public reply (new → open).",
  }),
  category: fields.text(100, { filter: "equals", exported: { header: "Category", width: 16 }, imported: ["Category", "Type"] }),
  channel: fields.enum(TICKET_CHANNELS, {
    filter: "in",
    exported: { header: "Channel" },
    imported: ["Channel", "Source", "Via"],
  }),
  contactId: fields.id({
    filter: "in",
    references: { table: "Contact", label: "Contact" },
    exported: { header: "Contact ID", width: 38 },
  }),
  companyId: fields.id({
    filter: "in",
    references: { table: "Company", label: "Company" },
    exported: { header: "Company ID", width: 38 },
  }),
  assigneeId: fields.id({
    description: "The member working the ticket; null for nobody.",
    exported: { header: "Assignee ID", width: 38 },
    imported: ["Assignee", "Assignee ID", "Assignee Email", "Assigned To"],
  }),
  tags: fields.keywords(50, { filter: "in", exported: { header: "Tags", width: 20 }, imported: ["Tags", "Tag", "Labels"] }),
  slaPolicyId: fields.id({
    filter: "in",
    description:
      "The SLA policy measuring the ticket: the organization's default policy when a create leaves it out; null for none.",
    references: { table: "SlaPolicy", label: "SLA policy" },
  }),
  firstResponseDueAt: fields.shown("date", timestamp, {
    description: "When the first response is due (null without a policy).",
    exported: { header: "First Response Due" },
  }),
  resolutionDueAt: fields.shown("date", timestamp, {
    description: "When the resolution is due (null without a policy).",
    exported: { header: "Resolution Due" },
  }),
  slaPausedAt: fields.shown("date", timestamp, {
    description: "Since when the SLA clock is stopped (pending, on_hold, resolved, closed); null while it runs.",
  }),
  firstResponseAt: fields.shown("date", timestamp, {
    description: "The first public reply by a member.",
    exported: { header: "First Response At" },
  }),
  firstResponseSeconds: seconds(
    "Time to the first response on the policy's clock (business seconds under business hours), pauses left out.",
  ),
  resolvedAt: fields.shown("date", timestamp, {
    exported: { header: "Resolved At" },
    description: "When the ticket was resolved (or closed unresolved); null once reopened.",
  }),
  resolutionSeconds: seconds("Time to the resolution on the policy's clock, pauses left out."),
  closedAt: fields.shown("date", timestamp),
  reopenedCount: fields.shown("integer", z.number().int(), { nullable: false }),
};

const slaState = z.enum(SLA_STATES);

export const tickets = defineResource({
  key: "tickets",
  singular: "ticket",
  label: "Ticket",
  table: "Ticket",
  model: recordModel<Ticket>((db) => db.ticket),
  fields: ticketFields,
  serverOnly: ["searchText", "firstResponseAtRiskAt", "resolutionAtRiskAt", "slaPausedSeconds"],
  owner: { field: "assigneeId", filter: "assignee" },
  // A terminated assignee's resolved and closed tickets stay theirs (their work); open ones move on.
  reassignable: () => ({ status: { notIn: ["resolved", "closed"] } }),
  search: {
    column: "searchText",
    // "T-1042" and "t-1042" find the ticket; other terms as any record's.
    normalize: normalizeSearchTerm,
  },
  computed: {
    displayNumber: z.string().meta({ description: "T-<number>: how people name the ticket." }),
    slaState: slaState.meta({
      description: "ok, at_risk (80% of a target used up) or breached: the worse of first response and resolution.",
    }),
    firstResponseState: slaState,
    resolutionState: slaState,
  },
  filters: {
    breached: booleanFilter.optional().meta({ description: "true: only tickets that breached a target (as of now)." }),
    atRisk: booleanFilter
      .optional()
      .meta({ description: "true: only tickets at risk (80% of a target used up, none breached), as of now." }),
  },
  hooks: {
    completeInput: async (tx, ctx, input) => {
      const values = input as { slaPolicyId?: string | null };
      const policy = await livePolicy(tx, ctx, values.slaPolicyId);
      // A named policy that does not exist is the reference check's to refuse (it runs next).
      return { ...values, slaPolicyId: policy?.id ?? values.slaPolicyId ?? null, policy: policy ? policyClock(policy) : null };
    },
    newRow: (_ctx, input, now) => newTicketColumns(input as Record<string, unknown> & { policy?: SlaPolicyClock | null }, now),
    completeRows: async (tx, ctx, rows) => {
      const [counter] = await tx.$queryRaw<{ last: number }[]>`
        INSERT INTO "TicketCounter" ("organizationId", "last") VALUES (${ctx.org.id}::uuid, ${1000 + rows.length})
        ON CONFLICT ("organizationId") DO UPDATE SET "last" = "TicketCounter"."last" + ${rows.length}
        RETURNING "last"`;
      const first = (counter?.last ?? 0) - rows.length + 1;
      return rows.map((row, index) => {
        const number = first + index;
        return { ...row, number, searchText: ticketSearchText({ ...(row as { subject: string }), number }) };
      });
    },
    changeColumns: (tx, ctx, before, changes) => ticketChangeColumns(tx, ctx, before as Ticket, changes, new Date()),
    present: (row, _prepared, now) => {
      const ticket = row as Ticket;
      const {
        organizationId: _org,
        searchText: _search,
        firstResponseAtRiskAt: _fr,
        resolutionAtRiskAt: _res,
        slaPausedSeconds: _paused,
        ...shown
      } = ticket;
      return { ...shown, displayNumber: displayNumber(ticket.number), ...slaStateOf(ticket, now) };
    },
    where: (ctx, filters) => {
      const now = new Date();
      const and: object[] = [];
      if (filters.breached !== undefined)
        and.push(filters.breached ? breachedCondition(ctx, now) : notBreachedCondition(ctx, now));
      if (filters.atRisk !== undefined) and.push(filters.atRisk ? atRiskCondition(ctx, now) : { NOT: atRiskCondition(ctx, now) });
      return and;
    },
  },
});

export const ticketOutput = tickets.schemas.output;
export const ticketFilterInput = tickets.schemas.filters;
export type TicketFilterInput = z.infer<typeof ticketFilterInput>;
