import { z } from "zod";

/**
 * Every date the API takes. On the wire a date is an ISO 8601 string (RFC 3339 `date-time` with a
 * time zone; a filter that takes a day also takes a `date`); a tRPC caller may send a Date, which
 * must be valid. Both must lie within 0001-01-01 and 9999-12-31 (UTC): years PostgreSQL's
 * timestamptz and JavaScript's Date both hold and ISO 8601 writes with four digits. Calendar
 * checks come from zod's ISO formats, so 2026-02-30 is refused rather than rolled over.
 */

const EARLIEST_DATE = new Date("0001-01-01T00:00:00.000Z");
const LATEST_DATE = new Date("9999-12-31T23:59:59.999Z");

const RANGE = "between 0001-01-01 and 9999-12-31";
const DATE_TIME_MESSAGE = `must be an ISO 8601 date-time with a time zone, such as 2026-03-01T09:30:00Z, ${RANGE}`;
const DATE_OR_DATE_TIME_MESSAGE = `must be an ISO 8601 date (2026-03-01) or date-time with a time zone (2026-03-01T09:30:00Z), ${RANGE}`;

export function isWithinDateRange(date: Date): boolean {
  return date.getTime() >= EARLIEST_DATE.getTime() && date.getTime() <= LATEST_DATE.getTime();
}

const calendarDay = z.iso.date();

/** Whether `day` (YYYY-MM-DD) exists in the calendar: JavaScript rolls 2026-02-30 over to March. */
export function isCalendarDay(day: string): boolean {
  return calendarDay.safeParse(day).success;
}

/**
 * A valid Date becomes its ISO string and is checked like one; an Invalid Date stays as it is and
 * fails the string schema with the same message. A Date beyond year 9999 prints as `+010000-...`,
 * which no ISO format below accepts.
 */
function dateObjectToIso(value: string | Date): unknown {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : value;
}

function dateSchema<T extends z.ZodType<string, string>>(wire: T, message: string) {
  return z.preprocess(dateObjectToIso, wire.transform((text) => new Date(text)).refine(isWithinDateRange, { error: message }));
}

/** A point in time: an ISO 8601 date-time with `Z` or an offset (`{ type: "string", format: "date-time" }`). */
export const dateTimeInput = dateSchema(z.iso.datetime({ offset: true, error: DATE_TIME_MESSAGE }), DATE_TIME_MESSAGE);

/**
 * A filter bound: a date-time, or a day (`2026-03-01`, its first instant in UTC).
 * JSON Schema: `anyOf` of `format: date-time` and `format: date`.
 */
export const dateFilterInput = dateSchema(
  z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: DATE_OR_DATE_TIME_MESSAGE }),
  DATE_OR_DATE_TIME_MESSAGE,
);

const CALENDAR_DATE_MESSAGE = `must be an ISO 8601 calendar date (YYYY-MM-DD, such as 2026-03-01), ${RANGE}`;

/** A calendar day (a DATE column): "YYYY-MM-DD", or a Date (its UTC day), as its first instant in UTC. */
export const calendarDateInput = z.preprocess(
  (value) => (value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : value),
  z.iso
    .date({ error: CALENDAR_DATE_MESSAGE })
    .transform((day) => new Date(`${day}T00:00:00.000Z`))
    .refine(isWithinDateRange, { error: CALENDAR_DATE_MESSAGE }),
);

/** A DATE column's value as shown: "YYYY-MM-DD". */
export const calendarDateOutput = z.preprocess(
  (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value),
  z.iso.date().meta({ description: "A calendar day, YYYY-MM-DD." }),
);
