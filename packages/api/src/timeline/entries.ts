import { z } from "zod";
import { actorOutput } from "../kit/actor.ts";
import { timestamp } from "../lib/schemas.ts";
import { INTERACTION_DIRECTIONS, INTERACTION_KINDS } from "../routers/interactions/schemas.ts";
import { MEETING_STATUSES } from "../routers/meetings/schemas.ts";
import { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from "../routers/tickets/values.ts";

/**
 * Each timeline entry type and its payload. A source (sources.ts) names the types it
 * yields; the feed checks that every type here has exactly one source. This module holds only
 * schemas, so the typed client's declarations take the entry union from it without the SQL and
 * the server types behind the sources.
 */

const nullableText = z.string().nullable();

const interactionData = z.object({
  kind: z.enum(INTERACTION_KINDS),
  direction: z.enum(INTERACTION_DIRECTIONS).nullable(),
  subject: nullableText,
  body: nullableText,
  durationMinutes: z.number().int().nullable(),
  outcome: nullableText,
  authorId: z.uuid().nullable(),
  leadId: z.uuid().nullable(),
  contactId: z.uuid().nullable(),
  companyId: z.uuid().nullable(),
  dealId: z.uuid().nullable(),
});

const changesData = z.object({
  action: z.string().meta({ description: "create, update, delete, restore, purge, or a named action (qualify, ...)." }),
  changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })),
});

/** A step's time inside a payload (jsonb): ISO 8601 text. */
const stepTime = z.string().nullable().meta({ format: "date-time" });

const stageSummary = z.object({ id: z.uuid(), name: z.string() });

const viaOutput = z
  .object({ resource: z.string(), id: z.uuid() })
  .meta({ description: "The related record the entry came through (a company's contact or deal, a contact's converted lead)." });

function entry<const Type extends string, Data extends z.ZodType>(type: Type, data: Data) {
  return z.object({
    type: z.literal(type),
    occurredAt: timestamp.meta({ description: "When it happened; the feed is newest first by it." }),
    id: z.uuid().meta({ description: "The id of the interaction, audit entry, note or stage move." }),
    actor: actorOutput,
    via: viaOutput.optional(),
    data,
  });
}

/** Every entry type with its payload; a literal list, so the union's type is known statically. */
const ENTRIES = [
  entry("interaction", interactionData),
  entry("fieldChange", changesData),
  entry("conversion", changesData),
  entry("merge", changesData),
  entry("note", z.object({ body: z.string(), leadId: z.uuid() })),
  entry(
    "stageChange",
    z.object({
      pipelineId: z.uuid(),
      fromStage: stageSummary.nullable().meta({ description: "The stage it left; null for the deal's first stage." }),
      stage: stageSummary,
      status: z.enum(["open", "won", "lost"]),
    }),
  ),
  entry(
    "meeting",
    z.object({
      title: z.string(),
      startAt: z.string().meta({ format: "date-time", description: "When it starts (ISO 8601)." }),
      endAt: z.string().meta({ format: "date-time", description: "When it ends (ISO 8601)." }),
      timeZone: z.string(),
      status: z.enum(MEETING_STATUSES),
      organizerId: z.uuid(),
      location: nullableText,
      videoUrl: nullableText,
      outcome: nullableText,
      leadId: z.uuid().nullable(),
      contactId: z.uuid().nullable(),
      companyId: z.uuid().nullable(),
      dealId: z.uuid().nullable(),
    }),
  ),
  entry(
    "campaignMembership",
    z
      .object({
        campaignId: z.uuid(),
        campaignName: z.string(),
        campaignType: z.string(),
        status: z.string().meta({ description: "The member's furthest step (or unsubscribed)." }),
        sentAt: stepTime,
        openedAt: stepTime,
        clickedAt: stepTime,
        respondedAt: stepTime,
        convertedAt: stepTime,
        unsubscribedAt: stepTime,
      })
      .meta({ description: "Targeted by a campaign (occurredAt), and how far it has come since." }),
  ),
  entry(
    "ticket",
    z.object({
      number: z.number().int(),
      displayNumber: z.string().meta({ description: "T-<number>" }),
      subject: z.string(),
      status: z.enum(TICKET_STATUSES),
      priority: z.enum(TICKET_PRIORITIES),
      channel: z.enum(TICKET_CHANNELS).nullable(),
      assigneeId: z.uuid().nullable(),
      contactId: z.uuid().nullable(),
      companyId: z.uuid().nullable(),
    }),
  ),
] as const;

export type TimelineEntryType = (typeof ENTRIES)[number]["shape"]["type"]["value"];

export const TIMELINE_TYPES = ENTRIES.map((schema) => schema.shape.type.value) as [TimelineEntryType, ...TimelineEntryType[]];

/** One entry per type, told apart by `type` (the document shows the union). */
export const timelineEntryOutput = z.discriminatedUnion("type", ENTRIES);

/** A timeline entry as callers get it: a union told apart by `type`, each with its own `data`. */
export type TimelineEntry = z.output<typeof timelineEntryOutput>;
