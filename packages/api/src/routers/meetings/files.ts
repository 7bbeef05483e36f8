import type { FileRule } from "../../imports/record-writer.ts";
import { exportableOf, importableOf } from "../../kit/files.ts";
import type { OrgContext } from "../../trpc.ts";
import { type CreateMeetingInput, meetings } from "./schemas.ts";

/**
 * Meetings in files: every row a new scheduled meeting of its organizer (a member by email or
 * id; the caller when the row names none), checked for overlaps like a create: against the
 * organization's scheduled meetings when written, and against the file's earlier rows here, as
 * those are not in the database yet when a row of the same batch is checked. Attendees and links
 * to other records are not read from files (the writer does not check references).
 */

const DAY_MS = 86_400_000;
/** Longer rows are compared with every row of their organizer instead of being filed under each day they cover. */
const MAX_FILED_DAYS = 31;

interface Booked {
  rowNumber: number;
  start: number;
  end: number;
}

type Shelf = Map<number, Booked>;

/** Two rows of one organizer may not overlap (touching is fine) unless the later one says allowOverlap. */
function openOverlapRule(ctx: OrgContext): FileRule<Record<string, unknown>> {
  // Each organizer's rows on shelves by the UTC day they cover, so a row is compared with the rows of its
  // own days (and the long rows); a long row is compared with all of its organizer's rows.
  const shelves = new Map<string, Shelf>();
  const shelf = (key: string): Shelf => {
    const found = shelves.get(key);
    if (found) return found;
    const made: Shelf = new Map();
    shelves.set(key, made);
    return made;
  };
  const shelvesOf = (organizer: string, { start, end }: Booked) => {
    const first = Math.floor(start / DAY_MS);
    const last = Math.floor((end - 1) / DAY_MS);
    if (last - first >= MAX_FILED_DAYS) return [`${organizer}:long`];
    return Array.from({ length: last - first + 1 }, (_, day) => `${organizer}:${first + day}`);
  };

  return (values, rowNumber) => {
    const input = values as CreateMeetingInput;
    const organizer = input.organizerId ?? ctx.actor.userId ?? "";
    const booked: Booked = { rowNumber, start: input.startAt.getTime(), end: input.endAt.getTime() };
    if (!(booked.end > booked.start)) return []; // the create schema's rule names endAt
    const own = shelvesOf(organizer, booked);
    if (input.allowOverlap !== true) {
      const long = own[0] === `${organizer}:long`;
      const compared = long ? [`${organizer}:all`] : [...own, `${organizer}:long`];
      for (const key of compared) {
        for (const other of shelves.get(key)?.values() ?? []) {
          if (other.rowNumber < rowNumber && other.start < booked.end && booked.start < other.end) {
            return [{ field: "startAt", message: `overlaps row ${other.rowNumber} of the file (same organizer)` }];
          }
        }
      }
    }
    // A row read again (a second pass) is kept once, under its number.
    for (const key of [...own, `${organizer}:all`]) shelf(key).set(rowNumber, booked);
    return [];
  };
}

export const meetingImport = importableOf(meetings, { openFileRule: openOverlapRule });

export const meetingExport = exportableOf(meetings);
