import type { Prisma } from "@crm/db";
import { z } from "zod";
import { badRequest } from "../../errors.ts";
import { referenceNotFound } from "../../kit/records.ts";
import { dateTimeInput } from "../../lib/dates.ts";
import { multiValue } from "../../lib/filters.ts";
import { idSchema, timestamp } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";

type Tx = Prisma.TransactionClient;

/** The longest range free-busy answers for. */
export const FREE_BUSY_MAX_DAYS = 62;

export const freeBusyInput = z.strictObject({
  memberIds: multiValue(idSchema.meta({ "x-references": "userId" })).meta({
    description: "The members (user ids), comma-separated in a query string; at most 20.",
  }),
  from: dateTimeInput.meta({ description: "Start of the range (inclusive)." }),
  to: dateTimeInput.meta({
    description: `End of the range (exclusive), after from and at most ${FREE_BUSY_MAX_DAYS} days later.`,
  }),
});

const interval = z.object({ start: timestamp, end: timestamp });

export const freeBusyOutput = z.object({
  from: timestamp,
  to: timestamp,
  members: z.array(
    z.object({
      memberId: z.uuid(),
      busy: z.array(interval).meta({
        description:
          "Merged busy intervals, oldest first, clipped to the range: overlapping or touching meetings are one interval.",
      }),
    }),
  ),
});

interface BusyRow {
  memberId: string;
  startAt: Date;
  endAt: Date;
}

/** Merges intervals sorted by start: overlapping or touching ones become one. */
export function mergeIntervals(sorted: readonly { start: Date; end: Date }[]): { start: Date; end: Date }[] {
  const merged: { start: Date; end: Date }[] = [];
  for (const next of sorted) {
    const last = merged.at(-1);
    if (last && next.start.getTime() <= last.end.getTime()) {
      if (next.end > last.end) last.end = next.end;
    } else merged.push({ start: next.start, end: next.end });
  }
  return merged;
}

/**
 * The busy time of members in [from, to): the scheduled meetings they organize or attend (not
 * declined), one range query on the scheduled-meetings GiST index, merged per member.
 */
export async function freeBusy(db: Tx, ctx: OrgContext, input: z.output<typeof freeBusyInput>) {
  const { from, to } = input;
  if (to <= from) throw badRequest("to", "must be after from");
  if (to.getTime() - from.getTime() > FREE_BUSY_MAX_DAYS * 86_400_000) {
    throw badRequest("to", `must be at most ${FREE_BUSY_MAX_DAYS} days after from`);
  }
  const memberIds = [...new Set(input.memberIds)];
  const found = await db.membership.findMany({
    where: { organizationId: ctx.org.id, userId: { in: memberIds } },
    select: { userId: true },
  });
  const known = new Set(found.map((member) => member.userId));
  const unknown = memberIds.find((id) => !known.has(id));
  if (unknown) throw referenceNotFound("memberIds", `no member of this organization has the id ${unknown}`);
  const rows = await db.$queryRawUnsafe<BusyRow[]>(
    `SELECT x."memberId", m."startAt", m."endAt"
      FROM "Meeting" m
      CROSS JOIN LATERAL (
        SELECT m."organizerId" AS "memberId" WHERE m."organizerId" = ANY($4::uuid[])
        UNION
        SELECT a."userId" FROM "MeetingAttendee" a
        WHERE a."organizationId" = m."organizationId" AND a."meetingId" = m."id"
          AND a."userId" = ANY($4::uuid[]) AND a."response" <> 'declined'
      ) x
      WHERE m."organizationId" = $1::uuid AND m."status" = 'scheduled' AND m."deletedAt" IS NULL
        AND tstzrange(m."startAt", m."endAt", '[)') && tstzrange($2::timestamptz, $3::timestamptz, '[)')
      ORDER BY x."memberId", m."startAt"`,
    ctx.org.id,
    from.toISOString(),
    to.toISOString(),
    memberIds,
  );
  const clip = (row: BusyRow) => ({
    start: new Date(Math.max(row.startAt.getTime(), from.getTime())),
    end: new Date(Math.min(row.endAt.getTime(), to.getTime())),
  });
  return {
    from,
    to,
    members: memberIds.map((memberId) => ({
      memberId,
      busy: mergeIntervals(rows.filter((row) => row.memberId === memberId).map(clip)),
    })),
  };
}
