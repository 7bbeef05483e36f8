import { Readable } from "node:stream";
import type { Meeting, MeetingAttendee } from "@crm/db";
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import type { Context } from "../../context.ts";
import { findRecord } from "../../kit/records.ts";
import { authorize } from "../../trpc.ts";
import { meetings } from "./schemas.ts";

const PARTSTAT: Record<MeetingAttendee["response"], ICalAttendeeStatus> = {
  needs_action: ICalAttendeeStatus.NEEDSACTION,
  accepted: ICalAttendeeStatus.ACCEPTED,
  declined: ICalAttendeeStatus.DECLINED,
  tentative: ICalAttendeeStatus.TENTATIVE,
};

interface Person {
  name: string;
  email: string | null;
}

/**
 * A meeting as an RFC 5545 calendar (one VEVENT): UID the meeting's id, SEQUENCE raised on every
 * reschedule and cancellation, ORGANIZER, an ATTENDEE with PARTSTAT for each attendee with an email
 * address (a calendar address is a mailto: URI), STATUS:CANCELLED once cancelled. Times are written
 * in UTC, so the file needs no VTIMEZONE; the meeting's display zone is X-WR-TIMEZONE.
 */
export function meetingCalendarText(meeting: Meeting, organizer: Person, attendees: { row: MeetingAttendee; person: Person }[]) {
  const calendar = ical({
    prodId: { company: "crm", product: "meetings", language: "EN" },
    method: ICalCalendarMethod.PUBLISH,
    x: { "X-WR-TIMEZONE": meeting.timeZone },
  });
  calendar.createEvent({
    id: meeting.id,
    sequence: meeting.sequence,
    stamp: meeting.updatedAt,
    start: meeting.startAt,
    end: meeting.endAt,
    summary: meeting.title,
    description: meeting.description,
    location: meeting.location,
    url: meeting.videoUrl,
    status: meeting.status === "cancelled" ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: organizer.email ? { name: organizer.name, email: organizer.email } : null,
    attendees: attendees.flatMap(({ row, person }) =>
      person.email
        ? [{ name: person.name, email: person.email, status: PARTSTAT[row.response], role: ICalAttendeeRole.REQ, rsvp: true }]
        : [],
    ),
  });
  return calendar.toString();
}

/** `GET /meetings/{id}/ics`, gated by meetings:read: the file and how to send it. */
export async function meetingCalendarFile(context: Context, id: string) {
  const ctx = await authorize(context, "meetings:read");
  const meeting = await findRecord<Meeting>(ctx.db, ctx, meetings, id);
  const rows = await ctx.db.meetingAttendee.findMany({
    where: { organizationId: ctx.org.id, meetingId: meeting.id },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    include: { member: { select: { user: { select: { name: true, email: true } } } }, contact: true },
  });
  const organizer = await ctx.db.user.findUnique({ where: { id: meeting.organizerId }, select: { name: true, email: true } });
  const attendees = rows.map(({ member, contact, ...row }) => ({
    row: row as MeetingAttendee,
    person: member
      ? { name: member.user.name, email: member.user.email }
      : { name: [contact?.firstName, contact?.lastName].filter(Boolean).join(" "), email: contact?.email ?? null },
  }));
  const text = meetingCalendarText(meeting, organizer ?? { name: "", email: null }, attendees);
  return { stream: Readable.from([text]), contentType: "text/calendar; charset=utf-8", fileName: `meeting-${meeting.id}.ics` };
}
