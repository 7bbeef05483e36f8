import { describe, expect, it } from "vitest";
import { addBusinessSeconds, type BusinessClock, businessSecondsBetween } from "../src/lib/business-time.ts";
import { clockChange, dueColumns, elapsedSeconds, type SlaPolicyClock, slaStateOf } from "../src/routers/tickets/sla.ts";

const weekdays = [["09:00", "17:00"]] as const;
const office: BusinessClock = {
  timeZone: "Europe/Berlin",
  schedule: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
};
const HOUR = 3600;
const at = (iso: string) => new Date(iso);

describe("business time", () => {
  it("adds calendar seconds without a schedule", () => {
    expect(addBusinessSeconds(at("2026-03-06T16:00:00Z"), 3 * HOUR, { timeZone: "UTC", schedule: null })).toEqual(
      at("2026-03-06T19:00:00Z"),
    );
  });

  it("carries over a weekend: Friday 16:00 + 3 business hours is Monday 11:00 (Berlin, UTC+1 in winter)", () => {
    // Friday 2026-03-06 16:00 local = 15:00Z; one hour left on Friday, two on Monday from 09:00 local (08:00Z).
    expect(addBusinessSeconds(at("2026-03-06T15:00:00Z"), 3 * HOUR, office)).toEqual(at("2026-03-09T10:00:00Z"));
    expect(businessSecondsBetween(at("2026-03-06T15:00:00Z"), at("2026-03-09T10:00:00Z"), office)).toBe(3 * HOUR);
  });

  it("starts at the next opening when added outside hours (Saturday → Monday 09:00)", () => {
    expect(addBusinessSeconds(at("2026-03-07T12:00:00Z"), 30 * 60, office)).toEqual(at("2026-03-09T08:30:00Z"));
    expect(businessSecondsBetween(at("2026-03-07T00:00:00Z"), at("2026-03-08T23:00:00Z"), office)).toBe(0);
  });

  it("follows local hours across the DST change (Berlin moves to UTC+2 on 2026-03-29)", () => {
    // Friday 27 March 16:00 local = 15:00Z; Monday 30 March opens at 09:00 local = 07:00Z.
    expect(addBusinessSeconds(at("2026-03-27T15:00:00Z"), 2 * HOUR, office)).toEqual(at("2026-03-30T08:00:00Z"));
    // A whole business week across it is 5 × 8 hours.
    expect(businessSecondsBetween(at("2026-03-23T00:00:00Z"), at("2026-03-30T00:00:00Z"), office)).toBe(40 * HOUR);
  });

  it("measures partial days and nothing for reversed ranges", () => {
    expect(businessSecondsBetween(at("2026-03-09T07:30:00Z"), at("2026-03-09T09:15:00Z"), office)).toBe(HOUR + 15 * 60);
    expect(businessSecondsBetween(at("2026-03-09T12:00:00Z"), at("2026-03-09T11:00:00Z"), office)).toBe(0);
  });

  it("accepts several spans a day and a day closing at 24:00", () => {
    const split: BusinessClock = {
      timeZone: "UTC",
      schedule: {
        mon: [
          ["08:00", "12:00"],
          ["13:00", "24:00"],
        ],
      },
    };
    expect(addBusinessSeconds(at("2026-03-09T11:00:00Z"), 2 * HOUR, split)).toEqual(at("2026-03-09T14:00:00Z"));
    expect(businessSecondsBetween(at("2026-03-09T00:00:00Z"), at("2026-03-10T00:00:00Z"), split)).toBe(15 * HOUR);
  });
});

describe("SLA clock", () => {
  const policy: SlaPolicyClock = {
    targets: {
      low: { firstResponseMinutes: 480, resolutionMinutes: 2400 },
      medium: { firstResponseMinutes: 240, resolutionMinutes: 960 },
      high: { firstResponseMinutes: 60, resolutionMinutes: 480 },
      urgent: { firstResponseMinutes: 30, resolutionMinutes: 240 },
    },
    businessHours: office.schedule,
    timeZone: office.timeZone,
  };
  const created = at("2026-03-06T14:00:00Z"); // Friday 15:00 in Berlin
  const ticket = {
    priority: "medium" as const,
    createdAt: created,
    slaPausedAt: null,
    slaPausedSeconds: 0,
    firstResponseAt: null,
    resolvedAt: null,
  };

  it("puts the due instants across the weekend, at-risk at 80% of the targets", () => {
    const due = dueColumns(ticket, policy, created);
    // 4 business hours: 2 on Friday, 2 on Monday from 08:00Z.
    expect(due.firstResponseDueAt).toEqual(at("2026-03-09T10:00:00Z"));
    // 3h12m: 2 on Friday, 1h12m on Monday.
    expect(due.firstResponseAtRiskAt).toEqual(at("2026-03-09T09:12:00Z"));
    // 16 hours: 2 Friday, 8 Monday, 6 Tuesday.
    expect(due.resolutionDueAt).toEqual(at("2026-03-10T14:00:00Z"));
  });

  it("a pause moves the due instants by the business time it lasted", () => {
    // Paused on Friday at 16:00Z (17:00 Berlin: one business hour used), resumed Monday 09:00Z (one business hour of pause).
    const paused = {
      ...ticket,
      ...clockChange(ticket, { timeZone: policy.timeZone, schedule: policy.businessHours }, false, at("2026-03-06T15:00:00Z")),
    };
    expect(paused.slaPausedAt).toEqual(at("2026-03-06T15:00:00Z"));
    expect(elapsedSeconds(paused, office, at("2026-03-09T12:00:00Z"))).toBe(HOUR);
    expect(slaStateOf({ ...paused, ...dueColumns(ticket, policy, created) }, at("2026-03-20T00:00:00Z").getTime()).slaState).toBe(
      "ok",
    );
    const resumed = { ...paused, ...clockChange(paused, office, true, at("2026-03-09T09:00:00Z")) };
    expect(resumed).toMatchObject({ slaPausedAt: null, slaPausedSeconds: HOUR + HOUR });
    const due = dueColumns(resumed, policy, at("2026-03-09T09:00:00Z"));
    // 3 of the 4 hours left from Monday 09:00Z.
    expect(due.firstResponseDueAt).toEqual(at("2026-03-09T12:00:00Z"));
    expect(elapsedSeconds(resumed, office, at("2026-03-09T10:00:00Z"))).toBe(2 * HOUR);
  });

  it("judges the breach state: at risk, breached, met in time or late", () => {
    const due = dueColumns(ticket, policy, created);
    const columns = { ...ticket, ...due };
    expect(slaStateOf(columns, at("2026-03-09T09:00:00Z").getTime()).slaState).toBe("ok");
    expect(slaStateOf(columns, at("2026-03-09T09:30:00Z").getTime()).slaState).toBe("at_risk");
    expect(slaStateOf(columns, at("2026-03-09T10:00:00Z").getTime()).firstResponseState).toBe("breached");
    const answered = { ...columns, firstResponseAt: at("2026-03-09T09:59:00Z") };
    expect(slaStateOf(answered, at("2026-03-09T12:00:00Z").getTime()).firstResponseState).toBe("ok");
    const late = { ...columns, firstResponseAt: at("2026-03-09T10:01:00Z") };
    expect(slaStateOf(late, at("2026-03-09T10:02:00Z").getTime()).slaState).toBe("breached");
  });
});
