import type { Meeting, Prisma } from "@crm/db";
import { fieldError } from "../../errors.ts";
import type { OrgContext } from "../../trpc.ts";
import { checkAttendees, memberAttendeesOf } from "./attendees.ts";
import type { AttendeeInput } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

/**
 * Overlaps of scheduled meetings. A meeting occupies [startAt, endAt) of its organizer and of each
 * member attendee who has not declined; two meetings sharing such a member and whose intervals
 * intersect conflict (touching intervals do not). The search is a range query on the partial GiST
 * index "Meeting_scheduled_during_idx" (organizationId, tstzrange(startAt, endAt, '[)')) WHERE
 * status = 'scheduled' AND deletedAt IS NULL: the query repeats the index's expression and
 * predicate so the planner can use it.
 */

export interface ConflictingMeeting {
  id: string;
  title: string;
  startAt: Date;
  endAt: Date;
  organizerId: string;
}

/** At most this many conflicting meetings are listed in a 409. */
const LISTED_CONFLICTS = 20;

/** The SQL of the scheduled meetings of `memberIds` overlapping [start, end), except `exceptId` (exported for the EXPLAIN test). */
export function overlappingMeetingsSql(
  organizationId: string,
  memberIds: readonly string[],
  start: Date,
  end: Date,
  exceptId: string | null,
  limit: number,
) {
  return {
    sql: `SELECT m."id", m."title", m."startAt", m."endAt", m."organizerId"
      FROM "Meeting" m
      WHERE m."organizationId" = $1::uuid AND m."status" = 'scheduled' AND m."deletedAt" IS NULL
        AND tstzrange(m."startAt", m."endAt", '[)') && tstzrange($2::timestamptz, $3::timestamptz, '[)')
        AND ($4::uuid IS NULL OR m."id" <> $4::uuid)
        AND (m."organizerId" = ANY($5::uuid[]) OR EXISTS (
          SELECT 1 FROM "MeetingAttendee" a
          WHERE a."organizationId" = m."organizationId" AND a."meetingId" = m."id"
            AND a."userId" = ANY($5::uuid[]) AND a."response" <> 'declined'))
      LIMIT ${Math.trunc(limit)}`,
    values: [organizationId, start.toISOString(), end.toISOString(), exceptId, [...memberIds]] as unknown[],
  };
}

export async function overlappingMeetings(
  tx: Tx,
  ctx: OrgContext,
  memberIds: readonly string[],
  start: Date,
  end: Date,
  exceptId: string | null = null,
): Promise<ConflictingMeeting[]> {
  if (memberIds.length === 0) return [];
  const { sql, values } = overlappingMeetingsSql(ctx.org.id, memberIds, start, end, exceptId, LISTED_CONFLICTS);
  // Unordered in SQL, so nothing but the GiST range scan is needed; a bounded interval overlaps few meetings.
  const rows = await tx.$queryRawUnsafe<ConflictingMeeting[]>(sql, ...values);
  return rows.sort((a, b) => a.startAt.getTime() - b.startAt.getTime() || a.id.localeCompare(b.id));
}

/**
 * Serializes the calendar writes of `memberIds` until `tx` ends: a transaction-scoped advisory lock
 * per (organization, member), taken in sorted order so two writers of overlapping sets queue up
 * instead of deadlocking. Two concurrent bookings of one member cannot both pass the overlap check:
 * the second checks after the first has committed (READ COMMITTED: each statement sees it).
 */
export async function lockCalendars(tx: Tx, ctx: OrgContext, memberIds: readonly string[]): Promise<void> {
  for (const memberId of [...new Set(memberIds)].sort()) {
    await tx.$executeRawUnsafe(
      `SELECT pg_advisory_xact_lock(hashtextextended('meeting-calendar:' || $1::text || ':' || $2::text, 0))`,
      ctx.org.id,
      memberId,
    );
  }
}

/** The 409 of an overlap: one issue per meeting it overlaps (its id, title and interval), the first as existingId. */
function overlapConflict(conflicts: ConflictingMeeting[]) {
  const described = conflicts.map((m) => `${m.id} "${m.title}" ${m.startAt.toISOString()}/${m.endAt.toISOString()}`);
  const count = conflicts.length === 1 ? "a scheduled meeting" : `${conflicts.length} scheduled meetings`;
  return fieldError(
    "CONFLICT",
    `startAt: overlaps ${count} of the same member (allowOverlap: true books it anyway): ${described.join("; ")}`,
    described.map((text) => ({ path: "startAt", message: `overlaps ${text}` })),
    { existingId: conflicts[0]?.id },
  );
}

/** Locks the members' calendars, then refuses (409) a meeting of theirs overlapping [start, end) unless `allowOverlap`. */
export async function assertFree(
  tx: Tx,
  ctx: OrgContext,
  memberIds: readonly string[],
  interval: { start: Date; end: Date; exceptId?: string },
  allowOverlap: boolean,
): Promise<void> {
  await lockCalendars(tx, ctx, memberIds);
  if (allowOverlap) return;
  const conflicts = await overlappingMeetings(tx, ctx, memberIds, interval.start, interval.end, interval.exceptId ?? null);
  if (conflicts.length) throw overlapConflict(conflicts);
}

/** A create: its attendees exist in the organization (404 naming the field), and its members are free. */
export async function checkCreatedMeeting(
  tx: Tx,
  ctx: OrgContext,
  input: { organizerId: string; startAt: Date; endAt: Date; attendees?: AttendeeInput[]; allowOverlap?: boolean },
): Promise<void> {
  const attendees = input.attendees ?? [];
  await checkAttendees(tx, ctx, attendees, "attendees");
  if (!(input.endAt > input.startAt)) return; // the rules refuse it, naming endAt
  const members = [input.organizerId, ...attendees.flatMap((a) => (a.userId ? [a.userId] : []))];
  await assertFree(tx, ctx, members, { start: input.startAt, end: input.endAt }, input.allowOverlap === true);
}

/** A scheduled meeting moved in time or to another organizer: its members are free at the new time. */
export async function checkMovedMeeting(tx: Tx, ctx: OrgContext, before: Meeting, after: Meeting, allowOverlap: boolean) {
  const members = [after.organizerId, ...(await memberAttendeesOf(tx, ctx, before.id))];
  await assertFree(tx, ctx, members, { start: after.startAt, end: after.endAt, exceptId: before.id }, allowOverlap);
}
