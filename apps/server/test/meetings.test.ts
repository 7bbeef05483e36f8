import { overlappingMeetingsSql } from "@crm/api";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { serverForFile, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const stranger = await server.signup("Stranger");
  return { owner, stranger };
});

/** Each test books its own day, so their meetings never overlap each other's. */
let days = 0;
function newDay() {
  days += 1;
  const base = Date.UTC(2031, 0, 1) + days * 86_400_000;
  return (hh: number, mm = 0) => new Date(base + hh * 3_600_000 + mm * 60_000).toISOString();
}

const meetingsOf = (user = crm.owner) => user.client.meetings;
const book = (start: string, end: string, extra: Record<string, unknown> = {}, user = crm.owner) =>
  meetingsOf(user).create.mutate({ title: `Sync ${unique()}`, startAt: start, endAt: end, ...extra });
const newContact = (user = crm.owner) =>
  user.client.contacts.create.mutate({ firstName: "Grace", email: `grace-${unique()}@example.com` });

async function issuesOf(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: { code?: string; issues?: { path: string; message: string }[] } }).data;
    return { code: data?.code, issues: data?.issues ?? [], message: (error as Error).message };
  }
  throw new Error("expected the call to fail");
}

describe("meetings: writing", () => {
  it("creates a meeting with member and contact attendees; the caller organizes it; UTC unless a zone is given", async () => {
    const at = newDay();
    const agent = await crm.server.member(crm.owner, "agent", `Agent ${unique()}`);
    const contact = await newContact();
    const meeting = await book(at(10), at(11), {
      timeZone: "Europe/Berlin",
      location: "Room 4",
      videoUrl: "https://meet.example.com/abc-def",
      contactId: contact.id,
      attendees: [{ userId: agent.userId }, { contactId: contact.id }],
    });
    expect(meeting).toMatchObject({ organizerId: crm.owner.userId, status: "scheduled", sequence: 0, timeZone: "Europe/Berlin" });
    const { items } = await meetingsOf().attendees.query({ id: meeting.id });
    expect(items.map((a) => [a.userId, a.contactId, a.response])).toEqual([
      [agent.userId, null, "needs_action"],
      [null, contact.id, "needs_action"],
    ]);
    expect((await book(at(12), at(13))).timeZone).toBe("UTC");
  });

  it("refuses an end not after the start, an unknown time zone, and attendees of another organization (404 naming the field)", async () => {
    const at = newDay();
    expect((await issuesOf(book(at(10), at(10)))).issues).toEqual([{ path: "endAt", message: "must be after startAt" }]);
    expect((await issuesOf(book(at(10), at(11), { timeZone: "Mars/Olympus" }))).issues[0]?.path).toBe("timeZone");
    const foreignContact = await newContact(crm.stranger);
    const asMember = await issuesOf(book(at(10), at(11), { attendees: [{ userId: crm.stranger.userId }] }));
    expect(asMember).toMatchObject({ code: "NOT_FOUND", issues: [{ path: "attendees.0.userId" }] });
    const asContact = await issuesOf(book(at(10), at(11), { attendees: [{ contactId: foreignContact.id }] }));
    expect(asContact).toMatchObject({ code: "NOT_FOUND", issues: [{ path: "attendees.0.contactId" }] });
    const both = await issuesOf(
      book(at(10), at(11), { attendees: [{ userId: crm.owner.userId, contactId: foreignContact.id }] }),
    );
    expect(both.code).toBe("BAD_REQUEST");
    // Nothing was written by the refused creates.
    expect((await meetingsOf().list.query({ startAtFrom: at(0), startAtTo: at(23) })).items).toEqual([]);
  });

  it("attendees are given on create only: an update naming them is a 400 that names them", async () => {
    const at = newDay();
    const meeting = await book(at(10), at(11));
    const refused = await crm.server.rest("PATCH", `/meetings/${meeting.id}`, {
      token: crm.owner.token(),
      body: { attendees: [{ userId: crm.owner.userId }] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("attendees");
  });
});

describe("meetings: overlaps", () => {
  it("finds overlaps at the edges: touching is free; contained, containing and a one-minute overlap are 409 listing the meeting", async () => {
    const at = newDay();
    const base = await book(at(10), at(11));
    await book(at(11), at(12)); // touching after
    await book(at(9), at(10)); // touching before
    for (const [start, end] of [
      [at(10, 15), at(10, 45)],
      [at(8), at(13)],
      [at(10, 59), at(11, 30)],
    ] as const) {
      const refused = await issuesOf(book(start, end));
      expect(refused.code, `${start}–${end}`).toBe("CONFLICT");
      expect(refused.message).toContain(base.id);
      expect(refused.issues.every((issue) => issue.path === "startAt")).toBe(true);
    }
    const allowed = await book(at(10, 15), at(10, 45), { allowOverlap: true });
    expect(allowed.status).toBe("scheduled");
  });

  it("another member's meeting is no conflict, a member attendee's is; cancelled and deleted meetings are none", async () => {
    const at = newDay();
    const agent = await crm.server.member(crm.owner, "agent", `Agent ${unique()}`);
    await book(at(10), at(11), {}, agent);
    expect((await book(at(10), at(11))).status).toBe("scheduled"); // the owner is free
    // The owner is now busy 10–11: inviting the agent to the owner's 14:00 is fine, to an overlapping one is not.
    const attended = await book(at(14), at(15), { attendees: [{ userId: agent.userId }] });
    const refused = await issuesOf(book(at(14, 30), at(15, 30), {}, agent));
    expect(refused.code).toBe("CONFLICT");
    expect(refused.message).toContain(attended.id);
    await meetingsOf().cancel.mutate({ id: attended.id });
    expect((await book(at(14, 30), at(15, 30), {}, agent)).status).toBe("scheduled");
    const deleted = await book(at(17), at(18));
    await meetingsOf().delete.mutate({ id: deleted.id });
    const rebooked = await book(at(17), at(18));
    // Restoring the deleted one would double-book the owner.
    expect((await issuesOf(meetingsOf().restore.mutate({ id: deleted.id }))).code).toBe("CONFLICT");
    await meetingsOf().delete.mutate({ id: rebooked.id });
    expect((await meetingsOf().restore.mutate({ id: deleted.id })).deletedAt).toBeNull();
  });

  it("the overlap query is a range query on the scheduled-meetings GiST index", async () => {
    const at = newDay();
    const { sql, values } = overlappingMeetingsSql(
      crm.owner.orgId,
      [crm.owner.userId],
      new Date(at(10)),
      new Date(at(11)),
      null,
      20,
    );
    const plan = await crm.server.prisma.$transaction(async (tx) => {
      // A small table is cheaper to scan; forbidding that shows the index serves the query as written.
      await tx.$executeRawUnsafe("SET LOCAL enable_seqscan = off");
      return tx.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN ${sql}`, ...values);
    });
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).toContain("Meeting_scheduled_during_idx");
    expect(text).toContain(`tstzrange("startAt", "endAt", '[)'::text) && `);
  });

  it("two concurrent creates for the same member cannot both pass the check", async () => {
    const at = newDay();
    const body = (n: number) => ({ title: `Race ${n}`, startAt: at(10), endAt: at(11) });
    const answers = await Promise.all(
      [1, 2, 3, 4].map((n) => crm.server.rest("POST", "/meetings", { token: crm.owner.token(), body: body(n) })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
  });
});

describe("meetings: lifecycle", () => {
  it("reschedule moves a scheduled meeting and raises SEQUENCE; the new time is checked for overlaps", async () => {
    const at = newDay();
    const meeting = await book(at(10), at(11));
    const other = await book(at(13), at(14));
    const moved = await meetingsOf().reschedule.mutate({ id: meeting.id, start: at(11), end: at(12) });
    expect(moved).toMatchObject({ sequence: 1 });
    expect(new Date(moved.startAt).toISOString()).toBe(at(11));
    const refused = await issuesOf(meetingsOf().reschedule.mutate({ id: meeting.id, start: at(13, 30), end: at(14, 30) }));
    expect(refused.code).toBe("CONFLICT");
    expect(refused.message).toContain(other.id);
    expect((await issuesOf(meetingsOf().reschedule.mutate({ id: meeting.id, start: at(12), end: at(11) }))).issues[0]?.path).toBe(
      "end",
    );
    const overlapping = await meetingsOf().reschedule.mutate({
      id: meeting.id,
      start: at(13, 30),
      end: at(14, 30),
      allowOverlap: true,
    });
    expect(overlapping.sequence).toBe(2);
    // A move through update is a reschedule too.
    const updated = await meetingsOf().update.mutate({ id: meeting.id, startAt: at(16), endAt: at(17) });
    expect(updated.sequence).toBe(3);
    expect((await issuesOf(meetingsOf().update.mutate({ id: meeting.id, endAt: at(15) }))).issues[0]?.path).toBe("endAt");
  });

  it("every transition from scheduled only: a cancelled, completed or no_show meeting is 409 naming its status", async () => {
    const at = newDay();
    const cancelled = await meetingsOf().cancel.mutate({ id: (await book(at(8), at(9))).id });
    expect(cancelled).toMatchObject({ status: "cancelled", sequence: 1 });
    expect(cancelled.cancelledAt).not.toBeNull();
    const completed = await meetingsOf().complete.mutate({ id: (await book(at(10), at(11))).id, outcome: "Agreed on a pilot" });
    expect(completed).toMatchObject({ status: "completed", outcome: "Agreed on a pilot" });
    const noShow = await meetingsOf().noShow.mutate({ id: (await book(at(12), at(13))).id });
    expect(noShow.status).toBe("no_show");
    for (const meeting of [cancelled, completed, noShow]) {
      const id = meeting.id;
      for (const call of [
        meetingsOf().reschedule.mutate({ id, start: at(20), end: at(21) }),
        meetingsOf().cancel.mutate({ id }),
        meetingsOf().complete.mutate({ id, outcome: "again" }),
        meetingsOf().noShow.mutate({ id }),
        meetingsOf().update.mutate({ id, startAt: at(20), endAt: at(21) }),
      ]) {
        const refused = await issuesOf(call);
        expect(refused).toMatchObject({ code: "CONFLICT", issues: [{ path: "status" }] });
        expect(refused.message).toContain(`the meeting is ${meeting.status}`);
      }
    }
  });

  it("complete logs one interaction of kind meeting on the linked records, with its meetingId", async () => {
    const at = newDay();
    const contact = await newContact();
    const deal = await crm.owner.client.deals.create.mutate({ name: `Deal ${unique()}`, contactId: contact.id });
    const meeting = await book(at(10), at(10, 45), { contactId: contact.id, dealId: deal.id });
    await meetingsOf().complete.mutate({ id: meeting.id, outcome: "Demo went well" });
    const logged = await crm.server.prisma.interaction.findMany({ where: { meetingId: meeting.id } });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      kind: "meeting",
      contactId: contact.id,
      dealId: deal.id,
      body: "Demo went well",
      durationMinutes: 45,
      authorId: crm.owner.userId,
    });
    expect(logged[0]?.occurredAt.toISOString()).toBe(at(10));
    const { items } = await crm.owner.client.contacts.interactions.query({ id: contact.id });
    expect(items.find((i) => i.kind === "meeting")).toMatchObject({ meetingId: meeting.id });
    // And the meeting is on the contact's timeline, at its start.
    const timeline = await crm.owner.client.contacts.timeline.query({ id: contact.id, types: ["meeting"] });
    expect(timeline.items).toHaveLength(1);
    expect(timeline.items[0]).toMatchObject({
      type: "meeting",
      id: meeting.id,
      data: { status: "completed", contactId: contact.id },
    });
  });
});

describe("meetings: attendees and the calendar file", () => {
  it("records responses, refuses an attendee of another meeting, and the .ics carries UID, SEQUENCE, ORGANIZER, PARTSTAT, STATUS", async () => {
    const at = newDay();
    const agent = await crm.server.member(crm.owner, "agent", `Agent ${unique()}`);
    const contact = await newContact();
    const meeting = await book(at(10), at(11), { title: "Quarterly review", attendees: [{ userId: agent.userId }] });
    const invited = await meetingsOf().createAttendee.mutate({ id: meeting.id, contactId: contact.id });
    const [member] = (await meetingsOf().attendees.query({ id: meeting.id })).items;
    await meetingsOf().respondAttendee.mutate({ id: meeting.id, attendeeId: member?.id as string, response: "accepted" });
    await meetingsOf().respondAttendee.mutate({ id: meeting.id, attendeeId: invited.id, response: "tentative" });
    const other = await book(at(12), at(13));
    const wrong = await issuesOf(
      meetingsOf().respondAttendee.mutate({ id: other.id, attendeeId: invited.id, response: "declined" }),
    );
    expect(wrong).toMatchObject({ code: "NOT_FOUND", issues: [{ path: "attendeeId" }] });
    // Inviting again answers the same attendee.
    expect((await meetingsOf().createAttendee.mutate({ id: meeting.id, contactId: contact.id })).id).toBe(invited.id);
    await meetingsOf().reschedule.mutate({ id: meeting.id, start: at(14), end: at(15) });

    const download = async () => {
      const response = await fetch(`${crm.server.url}/api/v1/meetings/${meeting.id}/ics`, {
        headers: { authorization: `Bearer ${crm.owner.token()}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/calendar");
      const component = new ICAL.Component(ICAL.parse(await response.text()));
      const event = component.getFirstSubcomponent("vevent") as ICAL.Component;
      return event;
    };
    const event = await download();
    expect(event.getFirstPropertyValue("uid")).toBe(meeting.id);
    expect(event.getFirstPropertyValue("sequence")).toBe(1);
    expect(event.getFirstPropertyValue("summary")).toBe("Quarterly review");
    expect(String(event.getFirstPropertyValue("organizer")).toLowerCase()).toBe(`mailto:${crm.owner.email}`);
    expect((event.getFirstPropertyValue("dtstart") as ICAL.Time).toJSDate().toISOString()).toBe(at(14));
    const partstats = Object.fromEntries(
      event.getAllProperties("attendee").map((p) => [String(p.getFirstValue()).toLowerCase(), p.getParameter("partstat")]),
    );
    expect(partstats).toEqual({ [`mailto:${agent.email}`]: "ACCEPTED", [`mailto:${contact.email}`]: "TENTATIVE" });
    expect(event.getFirstPropertyValue("status")).toBe("CONFIRMED");

    await meetingsOf().cancel.mutate({ id: meeting.id });
    const cancelled = await download();
    expect(cancelled.getFirstPropertyValue("status")).toBe("CANCELLED");
    expect(cancelled.getFirstPropertyValue("sequence")).toBe(2);
    // Answers are for scheduled meetings only.
    expect(
      (await issuesOf(meetingsOf().respondAttendee.mutate({ id: meeting.id, attendeeId: invited.id, response: "declined" })))
        .code,
    ).toBe("CONFLICT");
    const foreign = await fetch(`${crm.server.url}/api/v1/meetings/${meeting.id}/ics`, {
      headers: { authorization: `Bearer ${crm.stranger.token()}` },
    });
    expect(foreign.status).toBe(404);
  });
});

describe("meetings: reading", () => {
  it("free-busy: merged busy intervals per member, clipped to the range; at most 62 days; members of the organization only", async () => {
    const at = newDay();
    const agent = await crm.server.member(crm.owner, "agent", `Agent ${unique()}`);
    await book(at(9), at(10));
    await book(at(10), at(11)); // touches: merged
    await book(at(13), at(14), { attendees: [{ userId: agent.userId }] });
    const cancelled = await book(at(16), at(17));
    await meetingsOf().cancel.mutate({ id: cancelled.id });
    const answer = await meetingsOf().freeBusy.query({
      memberIds: [crm.owner.userId, agent.userId],
      from: at(9, 30),
      to: at(20),
    });
    const iso = (busy: { start: Date; end: Date }[]) =>
      busy.map((b) => [new Date(b.start).toISOString(), new Date(b.end).toISOString()]);
    expect(answer.members.map((m) => [m.memberId, iso(m.busy)])).toEqual([
      [
        crm.owner.userId,
        [
          [at(9, 30), at(11)],
          [at(13), at(14)],
        ],
      ],
      [agent.userId, [[at(13), at(14)]]],
    ]);
    const rest = await crm.server.rest("GET", `/meetings/free-busy?memberIds=${agent.userId}&from=${at(0)}&to=${at(24)}`, {
      token: crm.owner.token(),
    });
    expect(rest.status).toBe(200);
    const tooLong = await issuesOf(
      meetingsOf().freeBusy.query({
        memberIds: [agent.userId],
        from: at(0),
        to: new Date(Date.parse(at(0)) + 63 * 86_400_000).toISOString(),
      }),
    );
    expect(tooLong).toMatchObject({ code: "BAD_REQUEST", issues: [{ path: "to" }] });
    const stranger = await issuesOf(meetingsOf().freeBusy.query({ memberIds: [crm.stranger.userId], from: at(0), to: at(1) }));
    expect(stranger).toMatchObject({ code: "NOT_FOUND", issues: [{ path: "memberIds" }] });
  });

  it("lists by date range, upcoming, past and mine (organizer or member attendee)", async () => {
    const agent = await crm.server.member(crm.owner, "agent", `Agent ${unique()}`);
    const pastStart = new Date(Date.now() - 3 * 86_400_000);
    const past = await book(pastStart.toISOString(), new Date(pastStart.getTime() + 3_600_000).toISOString(), {}, agent);
    const at = newDay();
    const invited = await book(at(10), at(11), { attendees: [{ userId: agent.userId }] });
    const notMine = await book(at(12), at(13));
    const ids = async (filters: Record<string, unknown>) =>
      (await meetingsOf(agent).list.query({ limit: 100, ...filters })).items.map((m) => m.id);
    expect(await ids({ mine: true })).toEqual(expect.arrayContaining([past.id, invited.id]));
    expect(await ids({ mine: true })).not.toContain(notMine.id);
    expect(await ids({ mine: true, upcoming: true })).toEqual([invited.id]);
    expect(await ids({ mine: true, past: true })).toEqual([past.id]);
    expect(await ids({ startAtFrom: at(0), startAtTo: at(24), sortBy: "startAt", sortOrder: "asc" })).toEqual([
      invited.id,
      notMine.id,
    ]);
  });
});
