import type { Meeting, MeetingAttendee, Prisma } from "@crm/db";
import { badRequest, conflict } from "../../errors.ts";
import { checkReference, findRecord, lockRecord, referenceNotFound } from "../../kit/records.ts";
import { writeAudit } from "../../lib/audit.ts";
import type { OrgContext } from "../../trpc.ts";
import { contacts } from "../contacts/schemas.ts";
import { assertFree } from "./conflicts.ts";
import { type AttendeeInput, meetings } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

/** The member attendees who are busy in the meeting (all but those who declined). */
export async function memberAttendeesOf(db: Tx, ctx: OrgContext, meetingId: string): Promise<string[]> {
  const rows = await db.meetingAttendee.findMany({
    where: { organizationId: ctx.org.id, meetingId, userId: { not: null }, response: { not: "declined" } },
    select: { userId: true },
  });
  return rows.flatMap((row) => (row.userId ? [row.userId] : []));
}

/**
 * Each attendee names a member or a live contact of the organization (404 naming the field, as an
 * unknown id: one of another organization is not told apart), and each is named once.
 */
export async function checkAttendees(db: Tx, ctx: OrgContext, attendees: readonly AttendeeInput[], prefix: string) {
  const seen = new Set<string>();
  for (const [index, attendee] of attendees.entries()) {
    const at = prefix ? `${prefix}.${index}` : "";
    const key = attendee.userId ? `user:${attendee.userId}` : `contact:${attendee.contactId}`;
    const field = `${at}${at ? "." : ""}${attendee.userId ? "userId" : "contactId"}`;
    if (seen.has(key)) throw badRequest(field, "is listed twice");
    seen.add(key);
    if (attendee.userId) {
      const member = await db.membership.findUnique({
        where: { organizationId_userId: { organizationId: ctx.org.id, userId: attendee.userId } },
        select: { status: true },
      });
      if (!member) throw referenceNotFound(field, "no member of this organization has this id");
    } else if (attendee.contactId) {
      await checkReference(db, ctx, contacts, field, attendee.contactId);
    }
  }
}

/** The attendee rows of a new meeting (a nested create: the meeting's id and organization are filled in). */
export function newAttendeeRows(_ctx: OrgContext, attendees: readonly AttendeeInput[]) {
  return attendees.map((attendee) => ({ userId: attendee.userId ?? null, contactId: attendee.contactId ?? null }));
}

export function presentAttendee(row: MeetingAttendee) {
  const { organizationId: _org, ...shown } = row;
  return shown;
}

export async function listAttendees(db: Tx, ctx: OrgContext, meetingId: string) {
  await findRecord(db, ctx, meetings, meetingId);
  const rows = await db.meetingAttendee.findMany({
    where: { organizationId: ctx.org.id, meetingId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return { items: rows.map(presentAttendee) };
}

/** A calendar change is only for a scheduled meeting: 409 naming its status otherwise. */
export function assertScheduled(meeting: Meeting, doing: string) {
  if (meeting.status !== "scheduled") throw conflict("status", `the meeting is ${meeting.status}: cannot ${doing}`);
}

const lockLiveMeeting = (tx: Tx, ctx: OrgContext, id: string) => lockRecord<Meeting>(tx, ctx, meetings, id, { deleted: false });

/** The meeting's change of attendees, audited on the meeting (`attendees` before and after). */
async function auditAttendees(tx: Tx, ctx: OrgContext, meetingId: string, action: string, before: unknown, after: unknown) {
  await writeAudit(tx, ctx, {
    action,
    entityType: meetings.singular,
    entityId: meetingId,
    before: { attendees: before },
    after: { attendees: after },
  });
}

/** Adds an attendee to a scheduled meeting (once: again, it answers the attendee as is); a member must be free then (409 unless allowOverlap). */
export async function addAttendee(
  tx: Tx,
  ctx: OrgContext,
  input: AttendeeInput & { id: string; allowOverlap?: boolean },
): Promise<MeetingAttendee> {
  const meeting = await lockLiveMeeting(tx, ctx, input.id);
  assertScheduled(meeting, "invite attendees");
  await checkAttendees(tx, ctx, [input], "");
  const existing = await tx.meetingAttendee.findFirst({
    where: {
      organizationId: ctx.org.id,
      meetingId: meeting.id,
      ...(input.userId ? { userId: input.userId } : { contactId: input.contactId }),
    },
  });
  // Inviting someone already invited changes nothing: the invitation is answered as it stands.
  if (existing) return existing;
  if (input.userId) {
    await assertFree(
      tx,
      ctx,
      [input.userId],
      { start: meeting.startAt, end: meeting.endAt, exceptId: meeting.id },
      input.allowOverlap === true,
    );
  }
  const row = await tx.meetingAttendee.create({
    data: { organizationId: ctx.org.id, meetingId: meeting.id, userId: input.userId ?? null, contactId: input.contactId ?? null },
  });
  await auditAttendees(tx, ctx, meeting.id, "add-attendee", null, presentAttendee(row));
  return row;
}

async function lockAttendee(tx: Tx, ctx: OrgContext, meetingId: string, attendeeId: string): Promise<MeetingAttendee> {
  const rows = await tx.$queryRawUnsafe<MeetingAttendee[]>(
    `SELECT * FROM "MeetingAttendee" WHERE "organizationId" = $1::uuid AND "meetingId" = $2::uuid AND "id" = $3::uuid FOR UPDATE`,
    ctx.org.id,
    meetingId,
    attendeeId,
  );
  const row = rows[0];
  if (!row) throw referenceNotFound("attendeeId", "no attendee of this meeting has this id");
  return row;
}

/** An attendee's answer (RFC 5545 PARTSTAT), while the meeting is scheduled. */
export async function respondAttendee(
  tx: Tx,
  ctx: OrgContext,
  input: { id: string; attendeeId: string; response: MeetingAttendee["response"] },
): Promise<MeetingAttendee> {
  const meeting = await lockLiveMeeting(tx, ctx, input.id);
  assertScheduled(meeting, "answer for an attendee");
  const before = await lockAttendee(tx, ctx, meeting.id, input.attendeeId);
  const after = await tx.meetingAttendee.update({
    where: { id: before.id },
    data: { response: input.response, respondedAt: new Date() },
  });
  await auditAttendees(tx, ctx, meeting.id, "attendee-response", presentAttendee(before), presentAttendee(after));
  return after;
}

/** Takes an attendee off a meeting (any status: the list of who was invited is the organizer's to keep). */
export async function removeAttendee(tx: Tx, ctx: OrgContext, input: { id: string; attendeeId: string }): Promise<void> {
  const meeting = await lockLiveMeeting(tx, ctx, input.id);
  const before = await lockAttendee(tx, ctx, meeting.id, input.attendeeId);
  await tx.meetingAttendee.delete({ where: { id: before.id } });
  await auditAttendees(tx, ctx, meeting.id, "remove-attendee", presentAttendee(before), null);
}
