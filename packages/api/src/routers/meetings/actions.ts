import type { Meeting, Prisma } from "@crm/db";
import { badRequest } from "../../errors.ts";
import { createRecord, lockRecord, writeRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { interactions } from "../interactions/schemas.ts";
import { assertScheduled, memberAttendeesOf } from "./attendees.ts";
import { assertFree } from "./conflicts.ts";
import { MEETING_LINKS, meetings } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

/**
 * The lifecycle of a meeting: scheduled → completed | cancelled | no_show, each from scheduled only
 * (409 naming the status otherwise); a reschedule keeps it scheduled and raises its SEQUENCE.
 */

const lockLiveMeeting = (tx: Tx, ctx: OrgContext, id: string) => lockRecord<Meeting>(tx, ctx, meetings, id, { deleted: false });

/** `reschedule`: new times for a scheduled meeting, its members free then (409 unless allowOverlap). */
export async function rescheduleMeeting(
  tx: Tx,
  ctx: OrgContext,
  input: { id: string; start: Date; end: Date; allowOverlap?: boolean },
): Promise<Meeting> {
  if (input.end <= input.start) throw badRequest("end", "must be after start");
  const meeting = await lockLiveMeeting(tx, ctx, input.id);
  assertScheduled(meeting, "reschedule it");
  const members = [meeting.organizerId, ...(await memberAttendeesOf(tx, ctx, meeting.id))];
  await assertFree(tx, ctx, members, { start: input.start, end: input.end, exceptId: meeting.id }, input.allowOverlap === true);
  return writeRecord<Meeting>(
    tx,
    ctx,
    meetings,
    meeting,
    { startAt: input.start, endAt: input.end, sequence: meeting.sequence + 1 },
    "reschedule",
  );
}

export async function cancelMeeting(tx: Tx, ctx: OrgContext, id: string): Promise<Meeting> {
  const meeting = await lockLiveMeeting(tx, ctx, id);
  assertScheduled(meeting, "cancel it");
  const changes = { status: "cancelled", cancelledAt: new Date(), sequence: meeting.sequence + 1 };
  return writeRecord<Meeting>(tx, ctx, meetings, meeting, changes, "cancel");
}

export async function markMeetingNoShow(tx: Tx, ctx: OrgContext, id: string): Promise<Meeting> {
  const meeting = await lockLiveMeeting(tx, ctx, id);
  assertScheduled(meeting, "mark it no_show");
  return writeRecord<Meeting>(tx, ctx, meetings, meeting, { status: "no_show" }, "no-show");
}

/**
 * `complete`: the meeting took place. Its outcome is kept, and an interaction of kind `meeting`
 * (meetingId set, at its start, as long as it lasted, by its organizer) is logged on the records it
 * is linked to, through the interactions' own create (audited, raising their lastContactedAt).
 * A meeting linked to no record logs none: an interaction needs one.
 */
export async function completeMeeting(tx: Tx, ctx: OrgContext, id: string, outcome: string): Promise<Meeting> {
  const meeting = await lockLiveMeeting(tx, ctx, id);
  assertScheduled(meeting, "complete it");
  const completed = await writeRecord<Meeting>(
    tx,
    ctx,
    meetings,
    meeting,
    { status: "completed", completedAt: new Date(), outcome },
    "complete",
  );
  const links = Object.fromEntries(MEETING_LINKS.flatMap((link) => (meeting[link] ? [[link, meeting[link]]] : [])));
  if (Object.keys(links).length > 0) {
    await createRecord(tx, ctx, interactions, {
      kind: "meeting",
      subject: meeting.title.slice(0, 300),
      body: outcome,
      occurredAt: meeting.startAt,
      durationMinutes: Math.min(10_080, Math.round((meeting.endAt.getTime() - meeting.startAt.getTime()) / 60_000)),
      authorId: meeting.organizerId,
      meetingId: meeting.id,
      ...links,
    });
  }
  return completed;
}

/** A soft-deleted meeting comes back only if its members are still free (it would book them again). */
export async function restoreMeeting(tx: Tx, ctx: OrgContext, id: string): Promise<Meeting> {
  const meeting = await lockRecord<Meeting>(tx, ctx, meetings, id, { deleted: true });
  if (meeting.status === "scheduled") {
    const members = [meeting.organizerId, ...(await memberAttendeesOf(tx, ctx, meeting.id))];
    await assertFree(tx, ctx, members, { start: meeting.startAt, end: meeting.endAt, exceptId: meeting.id }, false);
  }
  return writeRecord<Meeting>(tx, ctx, meetings, meeting, { deletedAt: null }, "restore");
}
