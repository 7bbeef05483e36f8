import { Temporal } from "@js-temporal/polyfill";

/**
 * Business-time arithmetic: a weekly schedule of opening hours in a time zone. Adding business
 * seconds to an instant and measuring business seconds between two instants walk the local days
 * of the zone, so weekends, closed days and DST changes fall out of the calendar (a local 09:00
 * is whatever instant the zone says it is that day). Without a schedule, time is calendar time.
 */

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `"HH:MM"` opening and closing times per weekday (`"24:00"` closes at midnight); a day left out is closed. */
export type WeeklySchedule = Partial<Record<Weekday, readonly (readonly [string, string])[]>>;

export interface BusinessClock {
  timeZone: string;
  /** null: calendar time (every second counts). */
  schedule: WeeklySchedule | null;
}

/**
 * The longest business time a schedule is asked to count out: as many minutes as it opens in this
 * many weeks (see weeklyOpenMinutes), so that a target always runs out inside the walk.
 */
export const HORIZON_WEEKS = 260;

/**
 * How far the arithmetic walks before giving up: the horizon and a year more, which covers the
 * partial first week and the minutes lost where a span crosses a DST gap (at most one a year).
 */
const MAX_DAYS = (HORIZON_WEEKS + 52) * 7;

const minutesOf = (time: string) => {
  const [hours = 0, minutes = 0] = time.split(":").map(Number);
  return hours * 60 + minutes;
};

/** The minutes a schedule opens in a week of local time. */
export function weeklyOpenMinutes(schedule: WeeklySchedule): number {
  return WEEKDAYS.flatMap((weekday) => schedule[weekday] ?? []).reduce(
    (total, [open, close]) => total + Math.max(0, minutesOf(close) - minutesOf(open)),
    0,
  );
}

/** The open intervals of one local day, as epoch milliseconds, in order. */
function openIntervals(day: Temporal.PlainDate, clock: BusinessClock & { schedule: WeeklySchedule }): [number, number][] {
  const spans = clock.schedule[WEEKDAYS[day.dayOfWeek - 1] as Weekday] ?? [];
  const at = (minutes: number) =>
    day.add({ days: Math.floor(minutes / 1440) }).toZonedDateTime({
      timeZone: clock.timeZone,
      plainTime: Temporal.PlainTime.from({ minute: minutes % 60, hour: Math.floor((minutes % 1440) / 60) }),
    }).epochMilliseconds;
  return spans
    .map(([open, close]) => [at(minutesOf(open)), at(minutesOf(close))] as [number, number])
    .filter(([open, close]) => close > open)
    .sort((a, b) => a[0] - b[0]);
}

const localDay = (instant: Date, timeZone: string) =>
  Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone).toPlainDate();

/** `start` plus `seconds` of business time: the instant the seconds run out (start itself for 0 or less). */
export function addBusinessSeconds(start: Date, seconds: number, clock: BusinessClock): Date {
  if (seconds <= 0) return new Date(start.getTime());
  if (!clock.schedule) return new Date(start.getTime() + seconds * 1000);
  const schedule = clock.schedule;
  let remaining = seconds * 1000;
  let day = localDay(start, clock.timeZone).subtract({ days: 1 });
  for (let walked = 0; walked < MAX_DAYS; walked++, day = day.add({ days: 1 })) {
    for (const [open, close] of openIntervals(day, { ...clock, schedule })) {
      const from = Math.max(open, start.getTime());
      if (from >= close) continue;
      if (close - from >= remaining) return new Date(from + remaining);
      remaining -= close - from;
    }
  }
  throw new Error("the schedule has no open hours");
}

/** Whole business seconds in [from, to) (0 when to is not after from). */
export function businessSecondsBetween(from: Date, to: Date, clock: BusinessClock): number {
  if (to.getTime() <= from.getTime()) return 0;
  if (!clock.schedule) return Math.floor((to.getTime() - from.getTime()) / 1000);
  const schedule = clock.schedule;
  let total = 0;
  const last = localDay(to, clock.timeZone);
  for (
    let day = localDay(from, clock.timeZone).subtract({ days: 1 });
    Temporal.PlainDate.compare(day, last) <= 0;
    day = day.add({ days: 1 })
  ) {
    for (const [open, close] of openIntervals(day, { ...clock, schedule })) {
      const overlap = Math.min(close, to.getTime()) - Math.max(open, from.getTime());
      if (overlap > 0) total += overlap;
    }
  }
  return Math.floor(total / 1000);
}

/** Whether `timeZone` is an IANA zone the arithmetic knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    Temporal.Now.instant().toZonedDateTimeISO(timeZone);
    return true;
  } catch {
    return false;
  }
}
