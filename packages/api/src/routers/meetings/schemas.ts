import type { Meeting } from "@crm/db";
import { z } from "zod";
import { badRequest } from "../../errors.ts";
import { fields } from "../../kit/fields.ts";
import { type CreateValues, defineResource, recordModel } from "../../kit/resource.ts";
import { booleanFilter } from "../../lib/filters.ts";
import { idSchema } from "../../lib/schemas.ts";
import { normalizeSearchTerm, searchTextOf } from "../../lib/search-text.ts";
import { assertScheduled, newAttendeeRows } from "./attendees.ts";
import { checkCreatedMeeting, checkMovedMeeting } from "./conflicts.ts";

export const MEETING_STATUSES = ["scheduled", "completed", "cancelled", "no_show"] as const;
export const ATTENDEE_RESPONSES = ["needs_action", "accepted", "declined", "tentative"] as const;

/** The records a meeting may be linked to; completing it logs its interaction on them. */
export const MEETING_LINKS = ["leadId", "contactId", "companyId", "dealId"] as const;

const link = (table: string, label: string) =>
  fields.id({ filter: "equals", description: `The ${label.toLowerCase()} it is about.`, references: { table, label } });

/** An attendee as a create names one: a member (userId) or a contact (contactId), exactly one. */
export const attendeeShape = {
  userId: idSchema.meta({ description: "A member of the organization (their user id).", "x-references": "userId" }).optional(),
  contactId: idSchema.meta({ description: "A contact of the organization." }).optional(),
};

/** The refinement and the document's "exactly one of" for an object holding attendeeShape. */
export function oneAttendee(value: { userId?: string; contactId?: string }, ctx: z.RefinementCtx) {
  if ((value.userId === undefined) === (value.contactId === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["userId"],
      message: "an attendee is a member (userId) or a contact (contactId), exactly one",
    });
  }
}
export const ONE_ATTENDEE_META = { anyOf: [{ required: ["userId"] }, { required: ["contactId"] }] };

export const attendeeInput = z.strictObject(attendeeShape).superRefine(oneAttendee).meta(ONE_ATTENDEE_META);

export type AttendeeInput = z.output<typeof attendeeInput>;

const meetingFields = {
  title: fields.text(300, {
    required: true,
    sort: true,
    exported: { header: "Title", width: 28 },
    imported: ["Title", "Subject", "Meeting"],
  }),
  description: fields.longText(20_000, {
    exported: { header: "Description", width: 40 },
    imported: ["Description", "Notes", "Agenda"],
  }),
  startAt: fields.dateTime({
    required: true,
    sort: true,
    filter: "range",
    exported: { header: "Start", width: 20 },
    imported: ["Start", "Start Time", "Starts At"],
    description: "When it starts (an instant).",
  }),
  endAt: fields.dateTime({
    required: true,
    exported: { header: "End", width: 20 },
    imported: ["End", "End Time", "Ends At"],
    description:
      "When it ends, after startAt; the interval is half-open, so a meeting ending at 10:00 and one starting at 10:00 do not overlap.",
  }),
  timeZone: fields.timeZone({
    nullable: false,
    exported: { header: "Time Zone" },
    imported: ["Time Zone", "Timezone"],
    description: 'The IANA time zone it is shown in ("Europe/Berlin"); UTC when not given.',
  }),
  location: fields.text(500, { exported: { header: "Location", width: 20 }, imported: ["Location", "Where"] }),
  videoUrl: fields.website({
    description: "The video call link.",
    exported: { header: "Video Link", width: 24 },
    imported: ["Video Link", "Video URL", "Meeting Link"],
  }),
  organizerId: fields.memberId({
    nullable: false,
    exported: { header: "Organizer ID", width: 38 },
    imported: ["Organizer", "Organizer ID", "Organizer Email"],
    description: "The member who organizes it; the caller when not given.",
  }),
  status: fields.enumWithDefault(MEETING_STATUSES, {
    serverOwned: true,
    filter: "in",
    exported: { header: "Status" },
    description: "scheduled until completed, cancelled or marked no_show (their own actions).",
  }),
  outcome: fields.longText(20_000, {
    serverOwned: true,
    exported: { header: "Outcome", width: 30 },
    description: "What came of it (complete).",
  }),
  leadId: link("Lead", "Lead"),
  contactId: link("Contact", "Contact"),
  companyId: link("Company", "Company"),
  dealId: link("Deal", "Deal"),
  sequence: fields.shown("integer", z.number().int(), {
    nullable: false,
    description: "The RFC 5545 SEQUENCE of its calendar file: raised on every reschedule and on cancellation.",
  }),
  cancelledAt: fields.shown("date", z.date().meta({ format: "date-time" })),
  completedAt: fields.shown("date", z.date().meta({ format: "date-time" })),
  attendees: fields.list({ input: attendeeInput, output: z.unknown() }, 200, {
    virtual: true,
    createOnly: true,
    description: "Who is invited besides the organizer (members and contacts), each once; later: /meetings/{id}/attendees.",
  }),
  allowOverlap: fields.boolean({
    imported: ["Allow Overlap"],
    virtual: true,
    description:
      "Write it even though it overlaps another scheduled meeting of the organizer or a member attendee (otherwise 409 listing them).",
  }),
};

export type CreateMeetingInput = CreateValues<typeof meetingFields>;

const meetingSearchText = (values: { title?: string | null; description?: string | null; location?: string | null }) =>
  searchTextOf([values.title, values.description, values.location]);

/** Columns an update may change that move the meeting in someone's calendar. */
const MOVING = ["startAt", "endAt", "organizerId"] as const;

export const meetings = defineResource({
  key: "meetings",
  singular: "meeting",
  label: "Meeting",
  table: "Meeting",
  model: recordModel<Meeting>((db) => db.meeting),
  fields: meetingFields,
  serverOnly: ["searchText"],
  owner: { field: "organizerId", filter: "organizer" },
  // A meeting is the organizer's appointment: moving it to someone else would book their time unasked.
  reassignable: false,
  rules: (values) => {
    const { startAt, endAt } = values as { startAt?: Date; endAt?: Date };
    return startAt instanceof Date && endAt instanceof Date && endAt.getTime() <= startAt.getTime()
      ? [{ path: ["endAt"], message: "must be after startAt" }]
      : [];
  },
  search: { column: "searchText", normalize: normalizeSearchTerm },
  filters: {
    upcoming: booleanFilter.optional().meta({ description: "true: only meetings not over yet (endAt after now)." }),
    past: booleanFilter.optional().meta({ description: "true: only meetings that are over (endAt at or before now)." }),
    mine: booleanFilter
      .optional()
      .meta({ description: "true: only meetings the caller organizes or attends as a member (a user session)." }),
  },
  hooks: {
    completeInput: async (tx, ctx, input) => {
      const values = input as CreateMeetingInput;
      const organizerId = values.organizerId ?? ctx.actor.userId;
      if (!organizerId) throw badRequest("organizerId", "is required when an API key creates a meeting");
      const completed = { ...values, organizerId };
      await checkCreatedMeeting(tx, ctx, completed);
      return completed;
    },
    newRow: (ctx, input) => {
      const { attendees = [], allowOverlap: _allow, ...values } = input as CreateMeetingInput;
      return {
        ...values,
        searchText: meetingSearchText(values),
        ...(attendees.length ? { attendees: { create: newAttendeeRows(ctx, attendees) } } : {}),
      };
    },
    // allowOverlap is read by changeColumns (attendees are create-only: /meetings/{id}/attendees afterwards).
    changeColumns: async (tx, ctx, before, changes) => {
      const { allowOverlap, ...columns } = changes as Record<string, unknown> & { allowOverlap?: boolean };
      const meeting = before as Meeting;
      const after = { ...meeting, ...columns } as Meeting;
      const moved = MOVING.some((name) => name in columns && String(columns[name]) !== String(meeting[name]));
      if (moved) {
        assertScheduled(meeting, "move it");
        await checkMovedMeeting(tx, ctx, meeting, after, allowOverlap === true);
      }
      const retimed = ["startAt", "endAt"].some((name) => name in columns);
      return {
        ...columns,
        ...(retimed && moved ? { sequence: meeting.sequence + 1 } : {}),
        searchText: meetingSearchText(after),
      };
    },
    where: (ctx, filters) => {
      const and: object[] = [];
      const now = new Date();
      if (filters.upcoming !== undefined) and.push(filters.upcoming ? { endAt: { gt: now } } : { endAt: { lte: now } });
      if (filters.past !== undefined) and.push(filters.past ? { endAt: { lte: now } } : { endAt: { gt: now } });
      if (filters.mine !== undefined) {
        const me = ctx.actor.userId;
        if (!me) throw badRequest("mine", "needs a user session, not an API key");
        const mine = { OR: [{ organizerId: me }, { attendees: { some: { userId: me } } }] };
        and.push(filters.mine ? mine : { NOT: mine });
      }
      return and;
    },
  },
});

export const meetingOutput = meetings.schemas.output;
