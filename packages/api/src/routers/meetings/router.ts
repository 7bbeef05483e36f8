import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { dateTimeInput } from "../../lib/dates.ts";
import { idInput, idSchema, okOutput, timestamp } from "../../lib/schemas.ts";
import { cancelMeeting, completeMeeting, markMeetingNoShow, rescheduleMeeting, restoreMeeting } from "./actions.ts";
import { addAttendee, listAttendees, presentAttendee, removeAttendee, respondAttendee } from "./attendees.ts";
import { FREE_BUSY_MAX_DAYS, freeBusy, freeBusyInput, freeBusyOutput } from "./free-busy.ts";
import { ATTENDEE_RESPONSES, attendeeShape, meetingOutput, meetings, ONE_ATTENDEE_META, oneAttendee } from "./schemas.ts";

// Bulk create, update, assign and restore would book members' time without the overlap check: not offered.
const {
  bulkCreate: _create,
  bulkUpdate: _update,
  bulkAssign: _assign,
  bulkRestore: _restore,
  ...standard
} = resourceProcedures(meetings);

const allowOverlap = meetings.schemas.patchShape.allowOverlap;

const attendeeOutput = z.object({
  id: z.uuid(),
  meetingId: z.uuid(),
  userId: z.uuid().nullable().meta({ description: "The member attending (their user id), or null for a contact." }),
  contactId: z.uuid().nullable().meta({ description: "The contact attending, or null for a member." }),
  response: z.enum(ATTENDEE_RESPONSES),
  respondedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** An attendee of the meeting `id` (a record made inside it: the generators make one there). */
const attendeeId = idSchema.meta({ description: "An attendee of this meeting.", "x-within": "id" });

export const meetingsRouter = staticRoutesFirst({
  ...standard,

  restore: resourceAction(meetings, "delete", {
    method: "POST",
    path: "/{id}/restore",
    summary: "Restore a soft-deleted meeting; a scheduled one only while its members are free then (409)",
  })
    .meta({ recordState: "deleted" })
    .input(idInput)
    .output(meetingOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, meetings, (tx) => restoreMeeting(tx, ctx, input.id))),

  freeBusy: resourceAction(meetings, "read", {
    method: "GET",
    path: "/free-busy",
    summary: `Busy intervals of members (scheduled meetings they organize or attend), merged per member, over at most ${FREE_BUSY_MAX_DAYS} days`,
  })
    .input(freeBusyInput)
    .output(freeBusyOutput)
    .query(({ ctx, input }) => freeBusy(ctx.db, ctx, input)),

  reschedule: resourceAction(meetings, "write", {
    method: "POST",
    path: "/{id}/reschedule",
    summary: "Move a scheduled meeting (409 listing the overlapping meetings unless allowOverlap); raises its SEQUENCE",
  })
    .input(
      z.strictObject({
        id: idSchema,
        start: dateTimeInput.meta({ description: "The new start." }),
        end: dateTimeInput.meta({ description: "The new end, after start." }),
        allowOverlap,
      }),
    )
    .output(meetingOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, meetings, (tx) => rescheduleMeeting(tx, ctx, input))),

  cancel: resourceAction(meetings, "write", {
    method: "POST",
    path: "/{id}/cancel",
    summary: "Cancel a scheduled meeting (its calendar file then says STATUS:CANCELLED)",
  })
    .input(idInput)
    .output(meetingOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, meetings, (tx) => cancelMeeting(tx, ctx, input.id))),

  complete: resourceAction(meetings, "write", {
    method: "POST",
    path: "/{id}/complete",
    summary: "Complete a scheduled meeting with its outcome: logs an interaction of kind meeting on its linked records",
  })
    .input(z.strictObject({ id: idSchema, outcome: z.string().trim().min(1).max(20_000) }))
    .output(meetingOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, meetings, (tx) => completeMeeting(tx, ctx, input.id, input.outcome))),

  noShow: resourceAction(meetings, "write", {
    method: "POST",
    path: "/{id}/no-show",
    summary: "Mark a scheduled meeting as no_show (the other side did not come)",
  })
    .input(idInput)
    .output(meetingOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, meetings, (tx) => markMeetingNoShow(tx, ctx, input.id))),

  attendees: resourceAction(meetings, "read", {
    method: "GET",
    path: "/{id}/attendees",
    summary: "The attendees of a meeting with their responses",
  })
    .input(idInput)
    .output(z.object({ items: z.array(attendeeOutput) }))
    .query(({ ctx, input }) => listAttendees(ctx.db, ctx, input.id)),

  createAttendee: resourceAction(meetings, "write", {
    method: "POST",
    path: "/{id}/attendees",
    summary: "Invite a member or a contact to a scheduled meeting (a member must be free then: 409 unless allowOverlap)",
  })
    .input(
      z
        .strictObject({ id: idSchema, ...attendeeShape, allowOverlap })
        .superRefine(oneAttendee)
        .meta(ONE_ATTENDEE_META),
    )
    .output(attendeeOutput)
    .mutation(async ({ ctx, input }) => presentAttendee(await ctx.db.$transaction((tx) => addAttendee(tx, ctx, input)))),

  respondAttendee: resourceAction(meetings, "write", {
    method: "POST",
    path: "/{id}/attendees/{attendeeId}/response",
    summary: "Record an attendee's response to a scheduled meeting (needs_action, accepted, declined, tentative)",
  })
    .input(z.strictObject({ id: idSchema, attendeeId, response: z.enum(ATTENDEE_RESPONSES) }))
    .output(attendeeOutput)
    .mutation(async ({ ctx, input }) => presentAttendee(await ctx.db.$transaction((tx) => respondAttendee(tx, ctx, input)))),

  deleteAttendee: resourceAction(meetings, "write", {
    method: "DELETE",
    path: "/{id}/attendees/{attendeeId}",
    summary: "Take an attendee off a meeting",
  })
    .input(z.strictObject({ id: idSchema, attendeeId }))
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction((tx) => removeAttendee(tx, ctx, input));
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord);
