import { addBusinessSeconds, type BusinessClock, businessSecondsBetween } from "@crm/api";
import { describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { serverForFile, type TestUser, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const agent = await server.member(owner, "agent", "Agent");
  const stranger = await server.signup("Stranger");
  return { owner, agent, stranger };
});

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Monday to Friday, 09:00 to 17:00. */
const OFFICE_DAY = [["09:00", "17:00"]] as [string, string][];
const OFFICE_HOURS = { mon: OFFICE_DAY, tue: OFFICE_DAY, wed: OFFICE_DAY, thu: OFFICE_DAY, fri: OFFICE_DAY };

const targets = (firstResponseMinutes: number, resolutionMinutes: number) =>
  Object.fromEntries(
    (["low", "medium", "high", "urgent"] as const).map((priority) => [priority, { firstResponseMinutes, resolutionMinutes }]),
  ) as Record<"low" | "medium" | "high" | "urgent", { firstResponseMinutes: number; resolutionMinutes: number }>;

type Status = "new" | "open" | "pending" | "on_hold" | "resolved" | "closed";
const TARGETS = ["open", "pending", "on_hold", "resolved", "closed"] as const;
const ALLOWED: Record<Status, readonly string[]> = {
  new: ["open", "pending", "on_hold", "resolved", "closed"],
  open: ["pending", "on_hold", "resolved", "closed"],
  pending: ["open", "on_hold", "resolved", "closed"],
  on_hold: ["open", "pending", "resolved", "closed"],
  resolved: ["closed"],
  closed: [],
};

/** A ticket of `user`'s organization in `status`, reached through the workflow. */
async function ticketIn(status: Status, user: TestUser = crm.owner) {
  const ticket = await user.client.tickets.create.mutate({ subject: `In ${status} ${unique()}` });
  if (status === "new") return ticket;
  if (status === "resolved") return user.client.tickets.resolve.mutate({ id: ticket.id });
  return user.client.tickets.setStatus.mutate({ id: ticket.id, status });
}

describe("ticket numbers", () => {
  it("numbers tickets per organization as T-<n>; search by the T-number finds it; REST as the typed client", async () => {
    const org = await crm.server.signup("Numbers");
    const first = await org.client.tickets.create.mutate({ subject: "Printer on fire", priority: "urgent", channel: "phone" });
    const second = await org.client.tickets.create.mutate({ subject: "Second" });
    expect(first).toMatchObject({ number: 1001, displayNumber: "T-1001", status: "new", priority: "urgent", slaState: "ok" });
    expect(second.number).toBe(1002);
    // Another organization counts on its own.
    const elsewhere = await crm.stranger.client.tickets.create.mutate({ subject: "Theirs" });
    expect(elsewhere.number).toBeGreaterThanOrEqual(1001);

    const found = await org.client.tickets.list.query({ search: "T-1001" });
    expect(found.items.map((ticket) => ticket.id)).toEqual([first.id]);
    const rest = await crm.server.rest("GET", `/tickets?search=${encodeURIComponent("t-1002")}`, { token: org.token() });
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((ticket: { id: string }) => ticket.id)).toEqual([second.id]);
    const created = await crm.server.rest("POST", "/tickets", {
      token: org.token(),
      body: { subject: "Over REST", channel: "email" },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ number: 1003, displayNumber: "T-1003", channel: "email" });
    const byNumber = await crm.server.rest("GET", "/tickets?numberMin=1002&numberMax=1002", { token: org.token() });
    expect(byNumber.body.items.map((ticket: { id: string }) => ticket.id)).toEqual([second.id]);
  });

  it("concurrent creates get distinct consecutive numbers", async () => {
    const org = await crm.server.signup("Concurrent");
    const made = await Promise.all(
      Array.from({ length: 8 }, (_, index) => org.client.tickets.create.mutate({ subject: `Parallel ${index}` })),
    );
    expect(made.map((ticket) => ticket.number).sort((a, b) => a - b)).toEqual([1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008]);
    const bulk = await org.client.tickets.bulkCreate.mutate({ tickets: [{ subject: "A" }, { subject: "" }, { subject: "B" }] });
    expect(bulk).toMatchObject({ created: 2, invalid: 1 });
    const numbers = await Promise.all(
      bulk.results.filter((row) => row.id).map(async (row) => (await org.client.tickets.byId.query({ id: row.id ?? "" })).number),
    );
    // Refused rows draw no number.
    expect(numbers).toEqual([1009, 1010]);
  });
});

describe("ticket workflow", () => {
  for (const from of Object.keys(ALLOWED) as Status[]) {
    it(`from ${from}: moves to ${ALLOWED[from].join(", ") || "nothing"}; any other move is a 409 naming the allowed ones`, async () => {
      for (const to of TARGETS) {
        const ticket = await ticketIn(from);
        if (ALLOWED[from].includes(to)) {
          const moved = await crm.owner.client.tickets.setStatus.mutate({ id: ticket.id, status: to });
          expect(moved.status).toBe(to);
          continue;
        }
        const refused = await crm.server.rest("POST", `/tickets/${ticket.id}/status`, {
          token: crm.owner.token(),
          body: { status: to },
        });
        expect(refused.status, `${from} → ${to}`).toBe(409);
        expect(refused.body.message).toContain(`the ticket is ${from} and cannot move to ${to}`);
        expect(refused.body.message).toContain(`from ${from} it may move to ${ALLOWED[from].join(", ") || "no other status"}`);
      }
    });
  }

  it("reopens resolved and closed tickets only; a reopened ticket is open, its resolution undone", async () => {
    for (const from of ["resolved", "closed"] as const) {
      const ticket = await ticketIn(from);
      expect(ticket.resolvedAt).toBeInstanceOf(Date);
      const reopened = await crm.owner.client.tickets.reopen.mutate({ id: ticket.id });
      expect(reopened).toMatchObject({
        status: "open",
        resolvedAt: null,
        resolutionSeconds: null,
        closedAt: null,
        reopenedCount: 1,
      });
    }
    for (const from of ["new", "open", "pending", "on_hold"] as const) {
      const ticket = await ticketIn(from);
      const refused = await failure(crm.owner.client.tickets.reopen.mutate({ id: ticket.id }));
      expect(refused).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
      expect(refused.message).toContain(`the ticket is ${from} and cannot be reopened`);
    }
  });

  it("PATCH cannot change the status (400); the history names the workflow actions", async () => {
    const ticket = await ticketIn("new");
    const patched = await crm.server.rest("PATCH", `/tickets/${ticket.id}`, {
      token: crm.owner.token(),
      body: { status: "closed" },
    });
    expect(patched.status).toBe(400);
    await crm.owner.client.tickets.setStatus.mutate({ id: ticket.id, status: "pending" });
    await crm.owner.client.tickets.resolve.mutate({ id: ticket.id });
    const history = await crm.owner.client.tickets.history.query({ id: ticket.id });
    expect(history.items.map((entry) => entry.action)).toEqual(["resolve", "set-status", "create"]);
  });

  it("assigns: to yourself with tickets:write, to someone else only with tickets:assign", async () => {
    const ticket = await ticketIn("open");
    expect((await crm.agent.client.tickets.assign.mutate({ id: ticket.id, assigneeId: crm.agent.userId })).assigneeId).toBe(
      crm.agent.userId,
    );
    const refused = await failure(crm.agent.client.tickets.assign.mutate({ id: ticket.id, assigneeId: crm.owner.userId }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", httpStatus: 403 });
    const rest = await crm.server.rest("POST", `/tickets/${ticket.id}/assign`, {
      token: crm.owner.token(),
      body: { assigneeId: crm.owner.userId },
    });
    expect(rest.status).toBe(200);
    expect(rest.body.assigneeId).toBe(crm.owner.userId);
    expect((await crm.owner.client.tickets.list.query({ assignee: "me", status: ["open"] })).items.map((t) => t.id)).toContain(
      ticket.id,
    );
  });
});

describe("ticket comments", () => {
  it("keeps public replies and internal notes with author and time; the first public reply is the first response and opens a new ticket", async () => {
    const ticket = await ticketIn("new");
    const note = await crm.agent.client.tickets.createComment.mutate({ id: ticket.id, body: "Checking logs", isPublic: false });
    expect(note).toMatchObject({ isPublic: false, authorUserId: crm.agent.userId, ticketId: ticket.id });
    expect(await crm.owner.client.tickets.byId.query({ id: ticket.id })).toMatchObject({ status: "new", firstResponseAt: null });

    const reply = await crm.server.rest("POST", `/tickets/${ticket.id}/comments`, {
      token: crm.agent.token(),
      body: { body: "We are on it" },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ isPublic: true, authorUserId: crm.agent.userId });
    const answered = await crm.owner.client.tickets.byId.query({ id: ticket.id });
    expect(answered.status).toBe("open");
    expect(answered.firstResponseAt?.toISOString()).toBe(reply.body.createdAt);
    expect(answered.firstResponseSeconds).toBe(
      Math.floor((new Date(reply.body.createdAt).getTime() - answered.createdAt.getTime()) / 1000),
    );

    await crm.owner.client.tickets.createComment.mutate({ id: ticket.id, body: "Second reply" });
    expect((await crm.owner.client.tickets.byId.query({ id: ticket.id })).firstResponseAt).toEqual(answered.firstResponseAt);
    const thread = await crm.owner.client.tickets.comments.query({ id: ticket.id });
    expect(thread.items.map((comment) => comment.body)).toEqual(["Checking logs", "We are on it", "Second reply"]);
    const notes = await crm.owner.client.tickets.comments.query({ id: ticket.id, isPublic: false });
    expect(notes.items.map((comment) => comment.body)).toEqual(["Checking logs"]);
    // Another organization sees no ticket there.
    expect(await failure(crm.stranger.client.tickets.comments.query({ id: ticket.id }))).toMatchObject({ code: "NOT_FOUND" });
  });
  it("records a customer's reply: public, by a live contact of the organization; a pending ticket opens, a resolved one reopens", async () => {
    const contact = await crm.owner.client.contacts.create.mutate({ firstName: "Ada", email: `ada-${unique()}@example.com` });
    const waiting = await ticketIn("pending");
    const reply = await crm.owner.client.tickets.customerReply.mutate({
      id: waiting.id,
      body: "Here is the log you asked for",
      contactId: contact.id,
    });
    expect(reply).toMatchObject({ isPublic: true, authorContactId: contact.id, authorUserId: null, authorApiKeyId: null });
    const reopened = await crm.owner.client.tickets.byId.query({ id: waiting.id });
    // The customer's reply is no first response (that is the desk's), and the clock runs again.
    expect(reopened).toMatchObject({ status: "open", firstResponseAt: null, slaPausedAt: null });

    const resolved = await ticketIn("resolved");
    await crm.owner.client.tickets.customerReply.mutate({ id: resolved.id, body: "Still broken", contactId: contact.id });
    expect(await crm.owner.client.tickets.byId.query({ id: resolved.id })).toMatchObject({
      status: "open",
      resolvedAt: null,
      reopenedCount: 1,
    });
    const onHold = await ticketIn("on_hold");
    await crm.owner.client.tickets.customerReply.mutate({ id: onHold.id, body: "Any news?", contactId: contact.id });
    expect((await crm.owner.client.tickets.byId.query({ id: onHold.id })).status).toBe("on_hold");

    const theirs = await crm.stranger.client.contacts.create.mutate({ firstName: "Eve", email: `eve-${unique()}@example.com` });
    const foreign = await crm.server.rest("POST", `/tickets/${onHold.id}/customer-reply`, {
      token: crm.owner.token(),
      body: { body: "x", contactId: theirs.id },
    });
    expect(foreign).toMatchObject({ status: 404, body: { issues: [{ path: "contactId" }] } });
    const thread = await crm.owner.client.tickets.comments.query({ id: onHold.id });
    expect(thread.items.map((comment) => comment.body)).toEqual(["Any news?"]);
  });

  it("a comment is edited or deleted by its author or a member with tickets:delete; the thread and the audit log follow", async () => {
    const ticket = await ticketIn("open");
    const comment = await crm.agent.client.tickets.createComment.mutate({ id: ticket.id, body: "Frist draft", isPublic: false });
    const edited = await crm.server.rest("PATCH", `/tickets/${ticket.id}/comments/${comment.id}`, {
      token: crm.agent.token(),
      body: { body: "First draft" },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: comment.id, body: "First draft", createdAt: comment.createdAt.toISOString() });
    expect(new Date(edited.body.updatedAt).getTime()).toBeGreaterThan(comment.createdAt.getTime());

    // Another agent (tickets:write, no tickets:delete) may not touch it; the owner may.
    const colleague = await crm.server.member(crm.owner, "agent", `Colleague ${unique()}`);
    const refused = await failure(
      colleague.client.tickets.updateComment.mutate({ id: ticket.id, commentId: comment.id, body: "Mine now" }),
    );
    expect(refused).toMatchObject({ code: "FORBIDDEN" });
    expect(await failure(colleague.client.tickets.deleteComment.mutate({ id: ticket.id, commentId: comment.id }))).toMatchObject({
      code: "FORBIDDEN",
    });
    const empty = await crm.server.rest("PATCH", `/tickets/${ticket.id}/comments/${comment.id}`, {
      token: crm.agent.token(),
      body: { body: " " },
    });
    expect(empty).toMatchObject({ status: 400, body: { issues: [{ path: "body" }] } });

    const other = await ticketIn("open");
    const elsewhere = await crm.server.rest("DELETE", `/tickets/${other.id}/comments/${comment.id}`, {
      token: crm.agent.token(),
    });
    expect(elsewhere).toMatchObject({ status: 404, body: { issues: [{ path: "commentId" }] } });

    const deleted = await crm.server.rest("DELETE", `/tickets/${ticket.id}/comments/${comment.id}`, { token: crm.owner.token() });
    expect(deleted).toMatchObject({ status: 200, body: { ok: true } });
    expect((await crm.owner.client.tickets.comments.query({ id: ticket.id })).items).toEqual([]);
    expect(await failure(crm.owner.client.tickets.deleteComment.mutate({ id: ticket.id, commentId: comment.id }))).toMatchObject({
      code: "NOT_FOUND",
    });
    const trail = await crm.server.prisma.auditLog.findMany({ where: { entityId: comment.id }, orderBy: { createdAt: "asc" } });
    const bodyChange = (changes: unknown) => (changes as { body?: { before: unknown; after: unknown } }).body;
    expect(trail.map((entry) => [entry.action, bodyChange(entry.changes), entry.actorUserId])).toEqual([
      ["create", { before: null, after: "Frist draft" }, crm.agent.userId],
      ["update", { before: "Frist draft", after: "First draft" }, crm.agent.userId],
      ["delete", { before: "First draft", after: null }, crm.owner.userId],
    ]);
  });
});

describe("SLA policies", () => {
  it("are managed at /sla-policies; times, zones and targets are checked; the default one measures new tickets", async () => {
    const org = await crm.server.signup("Policies");
    const bad = await crm.server.rest("POST", "/sla-policies", {
      token: org.token(),
      body: {
        name: "Bad",
        targets: targets(60, 30),
        timeZone: "Mars/Olympus",
        businessHours: {
          mon: [["17:00", "09:00"]],
          // Overlapping spans would count 11:00 to 12:00 twice.
          tue: [
            ["11:00", "13:00"],
            ["09:00", "12:00"],
          ],
          wed: [
            ["13:00", "17:00"],
            ["09:00", "13:00"],
          ],
        },
      },
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.issues.map((issue: { path: string }) => issue.path).sort();
    expect(paths).toEqual(
      [
        "businessHours.mon.0",
        "businessHours.tue",
        "targets.high.resolutionMinutes",
        "targets.low.resolutionMinutes",
        "targets.medium.resolutionMinutes",
        "targets.urgent.resolutionMinutes",
        "timeZone",
      ].sort(),
    );

    const created = await crm.server.rest("POST", "/sla-policies", {
      token: org.token(),
      body: { name: "Calendar", targets: targets(30, 240) },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ isDefault: false, timeZone: "UTC", businessHours: null });
    const unmeasured = await org.client.tickets.create.mutate({ subject: "Before the default" });
    expect(unmeasured).toMatchObject({ slaPolicyId: null, firstResponseDueAt: null, resolutionDueAt: null });

    const made = await crm.server.rest("POST", `/sla-policies/${created.body.id}/set-default`, { token: org.token(), body: {} });
    expect(made.body.isDefault).toBe(true);
    const ticket = await org.client.tickets.create.mutate({ subject: "Measured" });
    expect(ticket.slaPolicyId).toBe(created.body.id);
    expect(ticket.firstResponseDueAt?.getTime()).toBe(ticket.createdAt.getTime() + 30 * MINUTE);
    expect(ticket.resolutionDueAt?.getTime()).toBe(ticket.createdAt.getTime() + 240 * MINUTE);

    // An agent reads policies but does not configure them.
    const agent = await crm.server.member(org, "agent", "Policy agent");
    expect((await agent.client.slaPolicies.list.query({})).items).toHaveLength(1);
    expect(await failure(agent.client.slaPolicies.create.mutate({ name: "Mine", targets: targets(1, 1) }))).toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("under business hours every target runs out within five years of the opening hours; the longest target the schema allows is measured under office hours", async () => {
    const schedule = OFFICE_HOURS;
    // 5 × 480 = 2400 open minutes a week: 260 weeks hold 624,000, so the schema's longest target (525,600) fits.
    const longest = await crm.owner.client.slaPolicies.create.mutate({
      name: `Patient ${unique()}`,
      targets: targets(525_600, 525_600),
      businessHours: schedule,
      timeZone: "America/New_York",
    });
    const ticket = await crm.owner.client.tickets.create.mutate({ subject: "Some day", slaPolicyId: longest.id });
    const clock: BusinessClock = { timeZone: "America/New_York", schedule };
    expect(ticket.resolutionDueAt).toEqual(addBusinessSeconds(ticket.createdAt, 525_600 * 60, clock));
    expect(businessSecondsBetween(ticket.createdAt, ticket.resolutionDueAt as Date, clock)).toBe(525_600 * 60);

    // One open minute a week holds 260 business minutes in five years.
    const minute = { mon: [["09:00", "09:01"]] as [string, string][] };
    const refused = await crm.server.rest("POST", "/sla-policies", {
      token: crm.owner.token(),
      body: {
        name: `Rare ${unique()}`,
        targets: { ...targets(200, 200), low: { firstResponseMinutes: 200, resolutionMinutes: 261 } },
        businessHours: minute,
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([
      { path: "targets.low.resolutionMinutes", message: expect.stringContaining("at most 260 business minutes") },
    ]);
    // Narrowing the hours of a policy whose targets no longer fit is refused the same way, nothing written.
    const narrowed = await crm.server.rest("PATCH", `/sla-policies/${longest.id}`, {
      token: crm.owner.token(),
      body: { businessHours: minute },
    });
    expect(narrowed.status).toBe(400);
    expect(narrowed.body.issues.map((issue: { path: string }) => issue.path)).toContain("targets.urgent.firstResponseMinutes");
    expect((await crm.owner.client.slaPolicies.byId.query({ id: longest.id })).businessHours).toEqual(schedule);
  });

  it("business hours: due instants across the weekend from createdAt; a pause moves them by the business time it lasted", async () => {
    const schedule = OFFICE_HOURS;
    const clock: BusinessClock = { timeZone: "Europe/Berlin", schedule };
    const policy = await crm.owner.client.slaPolicies.create.mutate({
      name: `Office ${unique()}`,
      targets: targets(240, 960),
      businessHours: schedule,
      timeZone: "Europe/Berlin",
    });
    const ticket = await crm.owner.client.tickets.create.mutate({ subject: "Office hours", slaPolicyId: policy.id });
    expect(ticket.firstResponseDueAt).toEqual(addBusinessSeconds(ticket.createdAt, 240 * 60, clock));
    expect(ticket.resolutionDueAt).toEqual(addBusinessSeconds(ticket.createdAt, 960 * 60, clock));

    // Made on Friday 2026-03-06 15:00 Berlin (14:00Z) and paused at 16:00 Berlin: one business hour used.
    const created = new Date("2026-03-06T14:00:00Z");
    const pausedAt = new Date("2026-03-06T15:00:00Z");
    await crm.owner.client.tickets.setStatus.mutate({ id: ticket.id, status: "pending" });
    await crm.server.prisma.ticket.update({ where: { id: ticket.id }, data: { createdAt: created, slaPausedAt: pausedAt } });
    const paused = await crm.owner.client.tickets.byId.query({ id: ticket.id });
    expect(paused.slaPausedAt).toEqual(pausedAt);

    const before = new Date();
    const resumed = await crm.owner.client.tickets.setStatus.mutate({ id: ticket.id, status: "open" });
    const after = new Date();
    expect(resumed.slaPausedAt).toBeNull();
    // Three business hours of first response and 15 of resolution are left, counted from the resume.
    const due = resumed.firstResponseDueAt?.getTime() ?? 0;
    expect(due).toBeGreaterThanOrEqual(addBusinessSeconds(before, 3 * 3600, clock).getTime());
    expect(due).toBeLessThanOrEqual(addBusinessSeconds(after, 3 * 3600, clock).getTime());
    const resolution = resumed.resolutionDueAt?.getTime() ?? 0;
    expect(resolution).toBeGreaterThanOrEqual(addBusinessSeconds(before, 15 * 3600, clock).getTime());
    expect(resolution).toBeLessThanOrEqual(addBusinessSeconds(after, 15 * 3600, clock).getTime());
    const row = await crm.server.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    const pausedSeconds = row.slaPausedSeconds;
    expect(pausedSeconds).toBeGreaterThanOrEqual(businessSecondsBetween(pausedAt, before, clock));
    expect(pausedSeconds).toBeLessThanOrEqual(businessSecondsBetween(pausedAt, after, clock));

    // Resolved now: the measured time leaves the pause out.
    const resolved = await crm.owner.client.tickets.resolve.mutate({ id: ticket.id });
    const measured = businessSecondsBetween(created, resolved.resolvedAt ?? new Date(), clock) - pausedSeconds;
    expect(resolved.resolutionSeconds).toBe(measured);
  });
});

describe("breach filters", () => {
  it("breached and atRisk are read against now (or the pause), with no write as time passes", async () => {
    const tag = `sla-${unique()}`;
    const policy = await crm.owner.client.slaPolicies.create.mutate({ name: `Tight ${unique()}`, targets: targets(60, 120) });
    const make = (subject: string) => crm.owner.client.tickets.create.mutate({ subject, tags: [tag], slaPolicyId: policy.id });
    const now = Date.now();
    const ago = (ms: number) => new Date(now - ms);
    const ahead = (ms: number) => new Date(now + ms);
    const set = (id: string, data: object) => crm.server.prisma.ticket.update({ where: { id }, data });

    const late = await make("late");
    await set(late.id, { firstResponseAtRiskAt: ago(2 * MINUTE), firstResponseDueAt: ago(MINUTE) });
    const risky = await make("risky");
    await set(risky.id, { firstResponseAtRiskAt: ago(MINUTE), firstResponseDueAt: ahead(HOUR) });
    const fine = await make("fine");
    const paused = await make("paused in time");
    await crm.owner.client.tickets.setStatus.mutate({ id: paused.id, status: "on_hold" });
    await set(paused.id, { slaPausedAt: ago(HOUR), firstResponseAtRiskAt: ago(MINUTE), firstResponseDueAt: ago(MINUTE) });
    const answeredLate = await make("answered late");
    await crm.owner.client.tickets.createComment.mutate({ id: answeredLate.id, body: "Sorry" });
    await set(answeredLate.id, { firstResponseDueAt: ago(HOUR) });
    // A 1-minute policy: breached by waiting, no write between create and read.
    const minute = await crm.owner.client.slaPolicies.create.mutate({ name: `Minute ${unique()}`, targets: targets(1, 1) });
    const waited = await crm.owner.client.tickets.create.mutate({ subject: "waited", tags: [tag], slaPolicyId: minute.id });
    await set(waited.id, { createdAt: ago(2 * MINUTE), firstResponseDueAt: ago(MINUTE), firstResponseAtRiskAt: ago(72_000) });

    const subjects = async (filters: { breached?: boolean; atRisk?: boolean }) =>
      (await crm.owner.client.tickets.list.query({ tags: [tag], ...filters })).items.map((t) => t.subject).sort();
    expect(await subjects({ breached: true })).toEqual(["answered late", "late", "waited"]);
    expect(await subjects({ atRisk: true })).toEqual(["risky"]);
    expect(await subjects({ breached: false })).toEqual(["fine", "paused in time", "risky"]);
    expect(await subjects({ atRisk: false })).toEqual(["answered late", "fine", "late", "paused in time", "waited"]);
    const states = Object.fromEntries(
      (await crm.owner.client.tickets.list.query({ tags: [tag] })).items.map((t) => [t.subject, t.slaState]),
    );
    expect(states).toEqual({
      late: "breached",
      risky: "at_risk",
      fine: "ok",
      "paused in time": "ok",
      "answered late": "breached",
      waited: "breached",
    });
    const rest = await crm.server.rest("GET", `/tickets?tags=${tag}&breached=true`, { token: crm.owner.token() });
    expect(rest.body.items).toHaveLength(3);
    expect(fine.slaState).toBe("ok");
  });
});

describe("ticket stats", () => {
  it("open by priority and status, average and median times, breach rate, per assignee and channel, as computed by hand", async () => {
    const org = await crm.server.signup("Stats");
    const helper = await crm.server.member(org, "agent", "Helper");
    const policy = await org.client.slaPolicies.create.mutate({ name: "Stats", targets: targets(60, 600) });
    const make = (values: object) =>
      org.client.tickets.create.mutate({ subject: `s ${unique()}`, slaPolicyId: policy.id, ...values });
    const set = (id: string, data: object) => crm.server.prisma.ticket.update({ where: { id }, data });
    const a = await make({ priority: "high", channel: "email", assigneeId: org.userId });
    const b = await make({ priority: "high", channel: "email", assigneeId: helper.userId });
    const c = await make({ priority: "low", channel: "phone", assigneeId: helper.userId });
    const d = await make({ priority: "urgent", channel: "phone" });
    await org.client.tickets.setStatus.mutate({ id: b.id, status: "pending" });
    await org.client.tickets.resolve.mutate({ id: c.id });
    await org.client.tickets.setStatus.mutate({ id: d.id, status: "closed" });
    // Measured times, set by hand: first responses 100, 200, 600 (median 200, mean 300); resolutions 1000, 3000.
    await set(a.id, { firstResponseAt: new Date(), firstResponseSeconds: 100 });
    await set(b.id, { firstResponseAt: new Date(), firstResponseSeconds: 200 });
    await set(c.id, { firstResponseAt: new Date(), firstResponseSeconds: 600, resolutionSeconds: 1000 });
    await set(d.id, { resolutionSeconds: 3000 });
    // a breaches its resolution target (due an hour ago, still open); the others are in time.
    await set(a.id, { resolutionDueAt: new Date(Date.now() - HOUR), resolutionAtRiskAt: new Date(Date.now() - 2 * HOUR) });
    await set(d.id, { firstResponseDueAt: new Date(Date.now() + HOUR), resolvedAt: new Date(Date.now() - MINUTE) });

    const stats = await org.client.tickets.stats.query({});
    expect(stats).toMatchObject({
      count: 4,
      open: 2,
      openByPriority: [{ priority: "high", count: 2 }],
      openByStatus: [
        { status: "new", count: 1 },
        { status: "pending", count: 1 },
      ],
      firstResponse: { count: 3, averageSeconds: 300, medianSeconds: 200 },
      resolution: { count: 2, averageSeconds: 2000, medianSeconds: 2000 },
      measured: 4,
      breached: 1,
      breachRate: 0.25,
    });
    const byAssignee = Object.fromEntries(stats.byAssignee.map(({ assigneeId, ...rest }) => [assigneeId ?? "none", rest]));
    expect(byAssignee).toEqual({
      [org.userId]: { count: 1, open: 1, breached: 1, averageFirstResponseSeconds: 100, averageResolutionSeconds: null },
      [helper.userId]: { count: 2, open: 1, breached: 0, averageFirstResponseSeconds: 400, averageResolutionSeconds: 1000 },
      none: { count: 1, open: 0, breached: 0, averageFirstResponseSeconds: null, averageResolutionSeconds: 3000 },
    });
    const byChannel = Object.fromEntries(stats.byChannel.map(({ channel, ...rest }) => [channel ?? "none", rest]));
    expect(byChannel).toEqual({
      email: { count: 2, open: 2, breached: 1, averageFirstResponseSeconds: 150, averageResolutionSeconds: null },
      phone: { count: 2, open: 0, breached: 0, averageFirstResponseSeconds: 600, averageResolutionSeconds: 2000 },
    });
    // The list filters narrow the stats.
    expect((await org.client.tickets.stats.query({ channel: ["phone"] })).count).toBe(2);
    const rest = await crm.server.rest("GET", "/tickets/stats?breached=true", { token: org.token() });
    expect(rest.body).toMatchObject({ count: 1, breached: 1, breachRate: 1 });
  });
});

describe("tickets on timelines", () => {
  it("a contact's and a company's timeline show their tickets", async () => {
    const company = await crm.owner.client.companies.create.mutate({ name: `Helpdesk ${unique()}` });
    const contact = await crm.owner.client.contacts.create.mutate({ firstName: "Caller" });
    const ticket = await crm.owner.client.tickets.create.mutate({
      subject: "Cannot log in",
      contactId: contact.id,
      companyId: company.id,
      channel: "chat",
    });
    for (const timeline of [
      await crm.owner.client.contacts.timeline.query({ id: contact.id, types: ["ticket"] }),
      await crm.owner.client.companies.timeline.query({ id: company.id, types: ["ticket"] }),
    ]) {
      expect(timeline.items).toHaveLength(1);
      expect(timeline.items[0]).toMatchObject({
        type: "ticket",
        id: ticket.id,
        actor: { kind: "user", id: crm.owner.userId },
        data: {
          number: ticket.number,
          displayNumber: ticket.displayNumber,
          subject: "Cannot log in",
          status: "new",
          channel: "chat",
        },
      });
    }
  });
});
