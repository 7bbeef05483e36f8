import { describe, expect, it } from "vitest";
import { csvOf, waitForImport } from "./support/imports.ts";
import { serverForFile, type TestUser, unique } from "./support/server.ts";

/**
 * Imports of meetings (overlap-checked against the calendar and the file's earlier rows) and of
 * tickets (numbered by the organization's counter, measured by its default SLA policy).
 */

const crm = serverForFile(async (server) => ({ owner: await server.signup("Desk") }));

type Mode = "valid_only" | "dry_run" | "all_or_nothing";

async function importFile(user: TestUser, resource: "meetings" | "tickets", rows: (string | number)[][], mode?: Mode) {
  const bytes = new TextEncoder().encode(csvOf(rows));
  const queued = await user.client.$files.import(resource, bytes, { filename: `${resource}.csv`, ...(mode ? { mode } : {}) });
  return waitForImport(user, queued.jobId);
}

const errorsOf = (job: { errors: { rowNumber: number; field: string; message: string }[] }) =>
  job.errors.map((error) => [error.rowNumber, error.field, error.message]);

/** Each test books its own day. */
let days = 0;
function newDay() {
  days += 1;
  const base = Date.UTC(2032, 0, 1) + days * 86_400_000;
  return (hh: number, mm = 0) => new Date(base + hh * 3_600_000 + mm * 60_000).toISOString();
}

describe("meeting import", () => {
  it("books each row for its organizer; refuses overlaps with the calendar and with earlier rows, touching is fine", async () => {
    const at = newDay();
    const colleague = await crm.server.member(crm.owner, "agent", `Colleague ${unique()}`);
    const booked = await crm.owner.client.meetings.create.mutate({ title: "Booked", startAt: at(9), endAt: at(10) });
    const job = await importFile(crm.owner, "meetings", [
      ["Title", "Start", "End", "Organizer", "Time Zone", "Allow Overlap"],
      ["Touches the booked one", at(10), at(11), "", "Europe/Berlin", ""],
      ["Over the booked one", at(9, 15), at(9, 45), "", "", ""],
      ["Over row 2", at(10, 45), at(11, 15), "", "", ""],
      ["Colleague at the same time", at(10, 45), at(11, 15), colleague.email, "", ""],
      ["Over row 2 on purpose", at(10, 15), at(10, 45), crm.owner.userId, "", "true"],
      ["Ends before it starts", at(12), at(11), "", "", ""],
      ["Unknown zone", at(13), at(14), "", "Mars/Olympus", ""],
      ["Nobody", at(13), at(14), "nobody@example.com", "", ""],
    ]);
    expect(job).toMatchObject({ status: "completed", rowsCreated: 3, rowsFailed: 5 });
    const errors = errorsOf(job);
    expect(errors.map(([row, field]) => [row, field])).toEqual([
      [3, "startAt"],
      [4, "startAt"],
      [7, "endAt"],
      [8, "timeZone"],
      [9, "organizerId"],
    ]);
    expect(errors[0]?.[2]).toContain(booked.id);
    expect(errors[1]?.[2]).toBe("overlaps row 2 of the file (same organizer)");

    const imported = await crm.owner.client.meetings.list.query({
      startAtFrom: at(0),
      startAtTo: at(24),
      sortBy: "startAt",
      sortOrder: "asc",
    });
    expect(imported.items.map((m) => [m.title, m.organizerId, m.status, m.timeZone])).toEqual([
      ["Booked", crm.owner.userId, "scheduled", "UTC"],
      ["Touches the booked one", crm.owner.userId, "scheduled", "Europe/Berlin"],
      ["Over row 2 on purpose", crm.owner.userId, "scheduled", "UTC"],
      ["Colleague at the same time", colleague.userId, "scheduled", "UTC"],
    ]);
    // Booked now: a create over an imported meeting is refused like one over a created meeting.
    await expect(crm.owner.client.meetings.create.mutate({ title: "Late", startAt: at(10), endAt: at(10, 30) })).rejects.toThrow(
      /overlaps/,
    );
  });

  it("all_or_nothing reads the file twice and judges each row the same way: one overlap and nothing is written", async () => {
    const at = newDay();
    const fine = [
      ["Title", "Start", "End"],
      ["First", at(9), at(10)],
      ["Second", at(10), at(11)],
      ["Third", at(11), at(12)],
    ];
    expect(await importFile(crm.owner, "meetings", fine, "all_or_nothing")).toMatchObject({
      status: "completed",
      rowsCreated: 3,
      rowsFailed: 0,
    });

    const later = newDay();
    const clashing = [
      ["Title", "Start", "End"],
      ["First", later(9), later(10)],
      ["Over the first", later(9, 59), later(11)],
    ];
    const dry = await importFile(crm.owner, "meetings", clashing, "dry_run");
    expect(dry).toMatchObject({ status: "completed", rowsCreated: 1, rowsFailed: 1 });
    const atomic = await importFile(crm.owner, "meetings", clashing, "all_or_nothing");
    expect(atomic).toMatchObject({ status: "failed", rowsFailed: 1 });
    expect(errorsOf(atomic)).toEqual([[3, "startAt", "overlaps row 2 of the file (same organizer)"]]);
    const written = await crm.owner.client.meetings.list.query({ startAtFrom: later(0), startAtTo: later(24) });
    expect(written.items).toEqual([]);
  });

  it("a meeting over several days is compared with every row of its organizer, and every row with it", async () => {
    const at = newDay();
    const day = (n: number, hh = 0) => new Date(Date.parse(at(hh)) + n * 86_400_000).toISOString();
    const job = await importFile(crm.owner, "meetings", [
      ["Title", "Start", "End"],
      ["Short, on day 20", day(20, 9), day(20, 10)],
      ["Offsite for 40 days", day(0), day(40)],
      ["Retreat for 35 days from day 25", day(25), day(60)],
      ["Short, on day 30", day(30, 9), day(30, 10)],
    ]);
    expect(job).toMatchObject({ rowsCreated: 2, rowsFailed: 2 });
    expect(errorsOf(job)).toEqual([
      [3, "startAt", "overlaps row 2 of the file (same organizer)"],
      [5, "startAt", "overlaps row 4 of the file (same organizer)"],
    ]);
    days += 61;
  });
});

describe("ticket import", () => {
  it("numbers imported tickets after the created ones, measures them by the default policy, and a dry run draws no number", async () => {
    const user = await crm.server.signup("Support");
    const agent = await crm.server.member(user, "agent", `Agent ${unique()}`);
    const policy = await user.client.slaPolicies.create.mutate({
      name: "Standard",
      targets: Object.fromEntries(
        (["low", "medium", "high", "urgent"] as const).map((p) => [p, { firstResponseMinutes: 60, resolutionMinutes: 480 }]),
      ) as never,
    });
    await user.client.slaPolicies.setDefault.mutate({ id: policy.id });
    const first = await user.client.tickets.create.mutate({ subject: "Made by hand" });
    expect(first.displayNumber).toBe("T-1001");

    const rows = [
      ["Subject", "Description", "Priority", "Channel", "Category", "Assignee", "Tags"],
      ["Printer on fire", "Third floor", "urgent", "phone", "hardware", agent.email, "office;fire"],
      ["Password reset", "", "", "email", "", "", ""],
      ["Bad priority", "", "critical", "", "", "", ""],
      ["Unknown assignee", "", "", "", "", "ghost@example.com", ""],
      ["Wrong channel", "", "", "pigeon", "", "", ""],
    ];
    const dry = await importFile(user, "tickets", rows, "dry_run");
    expect(dry).toMatchObject({ status: "completed", rowsCreated: 2, rowsFailed: 3 });
    const job = await importFile(user, "tickets", rows);
    expect(job).toMatchObject({ status: "completed", rowsCreated: 2, rowsFailed: 3 });
    expect(errorsOf(job).map(([row, field]) => [row, field])).toEqual([
      [4, "priority"],
      [5, "assigneeId"],
      [6, "channel"],
    ]);
    const next = await user.client.tickets.create.mutate({ subject: "Made by hand, later" });
    expect(next.displayNumber).toBe("T-1004");

    const listed = await user.client.tickets.list.query({ sortBy: "number", sortOrder: "asc" });
    expect(listed.items.map((t) => [t.displayNumber, t.subject, t.priority, t.status, t.assigneeId, t.tags])).toEqual([
      ["T-1001", "Made by hand", "medium", "new", null, []],
      ["T-1002", "Printer on fire", "urgent", "new", agent.userId, ["office", "fire"]],
      ["T-1003", "Password reset", "medium", "new", null, []],
      ["T-1004", "Made by hand, later", "medium", "new", null, []],
    ]);
    const fire = listed.items[1];
    expect(fire).toMatchObject({ slaPolicyId: policy.id, description: "Third floor", channel: "phone", category: "hardware" });
    expect(fire?.firstResponseDueAt?.getTime()).toBe((fire?.createdAt.getTime() ?? 0) + 60 * 60_000);
    expect(fire?.resolutionDueAt?.getTime()).toBe((fire?.createdAt.getTime() ?? 0) + 480 * 60_000);
    expect(fire?.slaState).toBe("ok");
    // Searchable by its number as a created ticket is.
    const found = await user.client.tickets.list.query({ search: "t-1002" });
    expect(found.items.map((t) => t.id)).toEqual([fire?.id]);
  });
});
