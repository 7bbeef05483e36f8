import type { Interaction } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { type CreateValues, defineResource, recordModel } from "../../kit/resource.ts";
import { pageInputShape } from "../../lib/pagination.ts";
import { idSchema } from "../../lib/schemas.ts";
import { normalizeSearchTerm, searchTextOf } from "../../lib/search-text.ts";
import { raiseLastContactedAt } from "./last-contacted.ts";

export const INTERACTION_KINDS = ["call", "email", "meeting", "note", "sms", "task", "other"] as const;
export const INTERACTION_DIRECTIONS = ["inbound", "outbound"] as const;

/** The records an interaction may be linked to (at least one), in the order the timeline names them. */
export const INTERACTION_LINKS = ["leadId", "contactId", "companyId", "dealId"] as const;

const link = (table: string, label: string) =>
  fields.id({ filter: "equals", description: `The ${label.toLowerCase()} it is linked to.`, references: { table, label } });

/** Every field of an interaction, once. */
const interactionFields = {
  kind: fields.enum(INTERACTION_KINDS, { required: true, filter: "in" }),
  direction: fields.enum(INTERACTION_DIRECTIONS, {
    filter: "in",
    description: "inbound (the customer reached out) or outbound; none for notes.",
  }),
  subject: fields.text(300),
  body: fields.longText(20_000),
  occurredAt: fields.dateTime({
    nullable: false,
    sort: true,
    filter: "range",
    description: "When it happened (not when it was recorded); now when not given. The timeline orders by it.",
  }),
  durationMinutes: fields.integer({ min: 0, max: 10_080 }, { description: "How long it took, in minutes (at most a week)." }),
  outcome: fields.text(200, { description: 'What came of it, e.g. "left voicemail", "demo booked".' }),
  authorId: fields.id({ description: "The member who had the interaction; the caller when not given (null for nobody)." }),
  leadId: link("Lead", "Lead"),
  contactId: link("Contact", "Contact"),
  companyId: link("Company", "Company"),
  dealId: link("Deal", "Deal"),
  meetingId: fields.shown("id", z.uuid(), { description: "The meeting whose completion logged it; null otherwise." }),
};

export type CreateInteractionInput = CreateValues<typeof interactionFields>;

const interactionSearchText = (values: { subject?: string | null; body?: string | null }) =>
  searchTextOf([values.subject, values.body]);

export const interactions = defineResource({
  key: "interactions",
  singular: "interaction",
  label: "Interaction",
  table: "Interaction",
  model: recordModel<Interaction>((db) => db.interaction),
  fields: interactionFields,
  serverOnly: ["searchText"],
  owner: { field: "authorId", filter: "author" },
  // The author had the interaction: it stays theirs when they leave (employees.terminate moves no interaction).
  reassignable: false,
  atLeastOne: [INTERACTION_LINKS],
  rules: (values) =>
    values.kind === "note" && values.direction != null ? [{ path: ["direction"], message: "a note has no direction" }] : [],
  search: { column: "searchText", normalize: normalizeSearchTerm },
  hooks: {
    newRow: (ctx, input) => {
      const values = input as CreateInteractionInput;
      return {
        ...values,
        occurredAt: values.occurredAt ?? new Date(),
        authorId: values.authorId === undefined ? ctx.actor.userId : values.authorId,
        searchText: interactionSearchText(values),
      };
    },
    afterCreate: (tx, ctx, rows) => raiseLastContactedAt(tx, ctx, rows as Interaction[]),
    changeColumns: async (tx, ctx, before, changes) => {
      const after = { ...(before as Interaction), ...changes } as Interaction;
      const linksOrTimeMoved = ["occurredAt", ...INTERACTION_LINKS].some((name) => name in changes);
      if (linksOrTimeMoved) await raiseLastContactedAt(tx, ctx, [after]);
      return { ...changes, searchText: interactionSearchText(after) };
    },
  },
});

export const interactionOutput = interactions.schemas.output;

/** `GET /contacts/{id}/interactions` and the like: a record's interactions, newest first. */
export const recordInteractionsInput = z.strictObject({
  id: idSchema,
  ...pageInputShape,
  kind: interactions.schemas.filterShape.kind,
  direction: interactions.schemas.filterShape.direction,
});
