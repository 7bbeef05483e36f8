import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

let server: TestServer;
let owner: TestUser;
let agent: TestUser & { membershipId: string };

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signup("Owner");
  agent = await server.member(owner, "agent", "Agent");
});
afterAll(() => server?.close());

let seq = 0;
const unique = () => `${Date.now().toString(36)}${++seq}`;

function newLead(overrides: Record<string, unknown> = {}) {
  return owner.client.leads.create.mutate({ firstName: "Lead", lastName: `L${unique()}`, ...overrides } as never);
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: { data?: { code?: string }; message: string }) => ({ code: error.data?.code, message: error.message }),
  );

describe("lead fields and validation", () => {
  it("normalises email to lower case, phone to E.164 and website to a URL", async () => {
    const lead = await newLead({ email: `Grace.${unique()}@Navy.MIL`, phone: "+1 (202) 555-0143", website: "navy.mil/careers/" });
    expect(lead.email).toMatch(/^grace\.[a-z0-9]+@navy\.mil$/);
    expect(lead.phone).toBe("+12025550143");
    expect(lead.website).toBe("https://navy.mil/careers");
  });

  it("takes REST JSON bodies as sent: a string where a boolean belongs is refused, never coerced", async () => {
    const coerced = await server.rest("POST", "/leads", { token: owner.token(), body: { firstName: "Str", isActive: "false" } });
    expect(coerced.status).toBe(400);
    expect(coerced.body.message).toContain("isActive");
    const plain = await server.rest("POST", "/leads", { token: owner.token(), body: { firstName: "Bool", isActive: false } });
    expect(plain.status).toBe(200);
    expect(plain.body.isActive).toBe(false);
    // The REST call must not have loosened the schema the tRPC side shares.
    expect(await errorOf(newLead({ isActive: "false" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("isActive"),
    });
  });

  it("rejects an impossible phone number naming the field", async () => {
    expect(await errorOf(newLead({ phone: "+1 123" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("phone:"),
    });
  });

  it("keeps email unique among live leads, naming the existing lead; a deleted lead frees it; restore then conflicts", async () => {
    const email = `dup-${unique()}@acme.io`;
    const first = await newLead({ email });
    const clash = await errorOf(newLead({ email: email.toUpperCase() }));
    expect(clash.code).toBe("CONFLICT");
    expect(clash.message).toContain(first.id);

    await owner.client.leads.delete.mutate({ id: first.id });
    const second = await newLead({ email });
    expect(second.email).toBe(email);
    expect(await errorOf(owner.client.leads.restore.mutate({ id: first.id }))).toMatchObject({ code: "CONFLICT" });
  });

  it("computes daysSinceCreated and isHot against the organization's threshold", async () => {
    const lead = await newLead({ source: "referral", email: `cto-${unique()}@bigco.com`, jobTitle: "CTO", companyName: "BigCo" });
    expect(lead.score).toBe(60);
    expect(lead.daysSinceCreated).toBe(0);
    expect(lead.isHot).toBe(false);
    await owner.client.organizations.update.mutate({ id: owner.orgId, leadHotThreshold: 60 });
    expect((await owner.client.leads.byId.query({ id: lead.id })).isHot).toBe(true);
    await owner.client.organizations.update.mutate({ id: owner.orgId, leadHotThreshold: 70 });
  });
});

describe("scoring", () => {
  it("scores on create with a breakdown and re-scores when an input of a rule changes", async () => {
    const lead = await newLead({ source: "website" });
    expect(lead.score).toBe(15);
    expect(lead.scoreBreakdown).toEqual([{ rule: "source", points: 15, reason: "source is website" }]);
    const updated = await owner.client.leads.update.mutate({ id: lead.id, companyName: "Initech", tags: ["vip"] });
    expect(updated.score).toBe(15 + 10 + 5);
    expect(updated.scoreBreakdown.map((part) => part.rule)).toEqual(["source", "company", "tags"]);
  });

  it("a manual score locks the automatic one until cleared", async () => {
    const lead = await newLead({ source: "website" });
    const manual = await owner.client.leads.update.mutate({ id: lead.id, manualScore: 95 });
    expect(manual).toMatchObject({ score: 95, scoreIsManual: true, scoreBreakdown: [] });
    const stillManual = await owner.client.leads.update.mutate({ id: lead.id, companyName: "Hooli" });
    expect(stillManual.score).toBe(95);
    const cleared = await owner.client.leads.update.mutate({ id: lead.id, manualScore: null });
    expect(cleared).toMatchObject({ score: 25, scoreIsManual: false });
  });

  it("counts engagement: logCall adds attempts, contact time and recency; notes count too", async () => {
    const lead = await newLead({ source: "other" });
    const called = await owner.client.leads.logCall.mutate({ id: lead.id, summary: "left a voicemail" });
    expect(called).toMatchObject({ callAttempts: 1, status: "contacted" });
    expect(called.lastContactedAt).toBeInstanceOf(Date);
    // call 3 + recency 10 + the summary kept as a note 2
    expect(called.score).toBe(3 + 10 + 2);
    const note = await owner.client.leads.addNote.mutate({ id: lead.id, body: "Wants a demo next week" });
    expect(note).toMatchObject({ leadId: lead.id, authorUserId: owner.userId, body: "Wants a demo next week" });
    expect((await owner.client.leads.byId.query({ id: lead.id })).score).toBe(3 + 10 + 4);
    const notes = await owner.client.leads.notes.query({ id: lead.id, sortOrder: "asc" });
    expect(notes.items.map((n) => n.body)).toEqual(["Call: left a voicemail", "Wants a demo next week"]);
  });
});

describe("lead actions", () => {
  it("qualifies and disqualifies with a reason", async () => {
    const lead = await newLead();
    expect((await owner.client.leads.qualify.mutate({ id: lead.id })).status).toBe("qualified");
    const disqualified = await owner.client.leads.disqualify.mutate({ id: lead.id, reason: "No budget this year" });
    expect(disqualified).toMatchObject({
      status: "unqualified",
      disqualificationReason: "No budget this year",
      conversionProbability: 0,
    });
    expect(await errorOf(owner.client.leads.disqualify.mutate({ id: lead.id, reason: "" } as never))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("reason"),
    });
  });

  it("deactivates and reactivates, soft-deletes and restores, purges for good", async () => {
    const lead = await newLead();
    expect((await owner.client.leads.setActive.mutate({ id: lead.id, isActive: false })).isActive).toBe(false);
    expect((await owner.client.leads.setActive.mutate({ id: lead.id, isActive: true })).isActive).toBe(true);
    await owner.client.leads.delete.mutate({ id: lead.id });
    expect((await owner.client.leads.byId.query({ id: lead.id, includeDeleted: true })).deletedAt).toBeInstanceOf(Date);
    expect((await owner.client.leads.restore.mutate({ id: lead.id })).deletedAt).toBeNull();
    await owner.client.leads.purge.mutate({ id: lead.id });
    expect(await server.prisma.lead.findUnique({ where: { id: lead.id } })).toBeNull();
    const actions = (await server.prisma.auditLog.findMany({ where: { entityId: lead.id }, orderBy: { createdAt: "asc" } })).map(
      (e) => e.action,
    );
    expect(actions).toEqual(["create", "update", "update", "delete", "restore", "purge"]);
  });

  it("records history field by field with who and when", async () => {
    const lead = await newLead({ status: "new" });
    await agent.client.leads.update.mutate({ id: lead.id, status: "contacted", jobTitle: "Buyer" });
    const history = await owner.client.leads.history.query({ id: lead.id });
    expect(history.items.map((item) => item.action)).toEqual(["update", "create"]);
    const [update] = history.items;
    expect(update?.actor).toEqual({ kind: "user", id: agent.userId, name: "Agent" });
    expect(update?.at).toBeInstanceOf(Date);
    expect(update?.changes).toEqual(
      expect.arrayContaining([
        { field: "status", before: "new", after: "contacted" },
        { field: "jobTitle", before: null, after: "Buyer" },
      ]),
    );
  });
});

describe("bulk operations", () => {
  it("updates status, assigns, deletes and restores many leads at once", async () => {
    const leads = await Promise.all([newLead(), newLead(), newLead()]);
    const ids = leads.map((lead) => lead.id);
    expect(await owner.client.leads.bulkUpdateStatus.mutate({ ids, status: "proposal" })).toEqual({ count: 3 });
    expect(await owner.client.leads.bulkAssign.mutate({ ids, assignedToId: agent.userId })).toEqual({ count: 3 });
    const rows = await server.prisma.lead.findMany({ where: { id: { in: ids } } });
    expect(rows.every((row) => row.status === "proposal" && row.assignedToId === agent.userId)).toBe(true);
    expect(await owner.client.leads.bulkDelete.mutate({ ids })).toEqual({ count: 3 });
    expect(await owner.client.leads.bulkRestore.mutate({ ids })).toEqual({ count: 3 });
    expect(await server.prisma.auditLog.count({ where: { entityId: { in: ids }, action: "restore" } })).toBe(3);
  });

  it("is all or nothing: one unknown id fails the call and changes nothing", async () => {
    const lead = await newLead();
    const missing = "0190aaaa-0000-7000-8000-000000000000";
    const failure = await errorOf(owner.client.leads.bulkUpdateStatus.mutate({ ids: [lead.id, missing], status: "won" }));
    expect(failure).toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining(missing) });
    expect((await owner.client.leads.byId.query({ id: lead.id })).status).toBe("new");
  });

  it("refuses more than 1000 ids", async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `0190aaaa-0000-7000-8000-${String(i).padStart(12, "0")}`);
    expect(await errorOf(owner.client.leads.bulkDelete.mutate({ ids }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("ids"),
    });
  });

  it("bulkCreate reports each row: created, duplicate (in the file or existing), invalid with the reason", async () => {
    const existing = await newLead({ email: `exists-${unique()}@acme.io` });
    const fresh = `fresh-${unique()}@acme.io`;
    const result = await owner.client.leads.bulkCreate.mutate({
      leads: [
        { firstName: "Ok", email: fresh },
        { firstName: "Again", email: fresh },
        { firstName: "Old", email: existing.email },
        { firstName: "", email: "not-an-email" },
        { firstName: "Extra", score: 100 },
      ],
    });
    expect(result).toMatchObject({ created: 1, duplicates: 2, invalid: 2 });
    expect(result.results.map((row) => row.status)).toEqual(["created", "duplicate", "duplicate", "invalid", "invalid"]);
    expect(result.results[2]?.existingId).toBe(existing.id);
    expect(result.results[3]?.errors?.map((e) => e.path).sort()).toEqual(["email", "firstName"]);
    expect(result.results[4]?.errors?.[0]?.message).toContain("score");
    const createdId = result.results[0]?.id as string;
    expect((await owner.client.leads.byId.query({ id: createdId })).email).toBe(fresh);
  });
});

describe("list filters, search, sort and pages", () => {
  let tag: string;
  let ids: Record<string, string>;
  let batchStart: Date;

  beforeAll(async () => {
    tag = `batch${unique()}`;
    batchStart = new Date();
    const make = (name: string, fields: Record<string, unknown>) =>
      newLead({
        firstName: name,
        lastName: name,
        tags: [tag, ...((fields.tags as string[]) ?? [])],
        ...fields,
        ...(fields.tags ? { tags: [tag, ...(fields.tags as string[])] } : {}),
      });
    const a = await make("Alpha", {
      status: "new",
      source: "website",
      vertical: "Fintech",
      companyName: "Zeta Bank",
      tags: ["vip"],
    });
    const b = await make("Bravo", { status: "won", source: "referral", assignedToId: agent.userId, phone: "+44 20 7946 0958" });
    const c = await make("Charlie", {
      status: "lost",
      source: "event",
      nextFollowUpAt: new Date("2020-01-01T00:00:00Z"),
      isActive: false,
    });
    const d = await make("Delta", {
      status: "qualified",
      source: "referral",
      email: `delta-${unique()}@orbital.io`,
      jobTitle: "CEO",
      companyName: "Orbital",
      tags: ["enterprise", "vip"],
    });
    ids = { a: a.id, b: b.id, c: c.id, d: d.id };
  });

  const list = (input: Record<string, unknown>) =>
    owner.client.leads.list
      .query({ tags: [tag], createdFrom: batchStart, ...input } as never)
      .then((page) => page.items.map((lead) => lead.id));

  it("filters by several statuses and sources", async () => {
    expect(new Set(await list({ status: ["won", "lost"] }))).toEqual(new Set([ids.b, ids.c]));
    expect(new Set(await list({ source: ["referral"] }))).toEqual(new Set([ids.b, ids.d]));
  });

  it("filters by assignee: a user, me, unassigned", async () => {
    expect(await list({ assignedTo: agent.userId })).toEqual([ids.b]);
    expect(await agent.client.leads.list.query({ tags: [tag], assignedTo: "me" }).then((p) => p.items.map((l) => l.id))).toEqual([
      ids.b,
    ]);
    expect(await list({ assignedTo: "unassigned" })).not.toContain(ids.b);
  });

  it("filters by tags any/all, hot, active, vertical, follow-up due and score range", async () => {
    expect(new Set(await list({ tags: ["vip", "enterprise"], tagsMatch: "any" }))).toEqual(new Set([ids.a, ids.d]));
    expect(await list({ tags: [tag, "vip", "enterprise"], tagsMatch: "all" })).toEqual([ids.d]);
    // Delta: referral 20 + business email 10 + CEO 20 + company 10 + two valuable tags 10 = 70, the default threshold
    expect(await list({ hot: true })).toEqual([ids.d]);
    expect(await list({ hot: false })).not.toContain(ids.d);
    expect(await list({ isActive: false })).toEqual([ids.c]);
    expect(await list({ vertical: "fintech" })).toEqual([ids.a]);
    expect(await list({ followUpDueBefore: new Date("2021-01-01T00:00:00Z") })).toEqual([ids.c]);
    const delta = await owner.client.leads.byId.query({ id: ids.d as string });
    expect(await list({ scoreMin: delta.score, scoreMax: delta.score })).toContain(ids.d);
    expect(await errorOf(owner.client.leads.list.query({ scoreMin: 50, scoreMax: 10 }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("filters by created and updated ranges", async () => {
    const future = new Date(Date.now() + 86_400_000);
    expect(await list({ createdFrom: future })).toEqual([]);
    expect((await list({ updatedTo: future })).length).toBe(4);
  });

  it("searches names, email, phone (any formatting) and company", async () => {
    expect(await list({ search: "charl" })).toEqual([ids.c]);
    expect(await list({ search: "ORBITAL.IO" })).toEqual([ids.d]);
    expect(await list({ search: "020 7946 0958" })).toEqual([]);
    expect(await list({ search: "+44 20 7946 0958" })).toEqual([ids.b]);
    expect(await list({ search: "zeta bank" })).toEqual([ids.a]);
  });

  it("sorts by name, score and next follow-up (missing values last) in both directions", async () => {
    expect(await list({ sortBy: "name", sortOrder: "asc" })).toEqual([ids.a, ids.b, ids.c, ids.d]);
    expect(await list({ sortBy: "name", sortOrder: "desc" })).toEqual([ids.d, ids.c, ids.b, ids.a]);
    const byScore = await owner.client.leads.list.query({ tags: [tag], sortBy: "score", sortOrder: "desc" });
    const scores = byScore.items.map((lead) => lead.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    expect((await list({ sortBy: "nextFollowUpAt", sortOrder: "asc" }))[0]).toBe(ids.c);
  });

  it("walks every page exactly once, stable when rows are inserted meanwhile, with a total on request", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let first = true;
    do {
      const page = await owner.client.leads.list.query({
        tags: [tag],
        limit: 1,
        sortBy: "createdAt",
        sortOrder: "asc",
        cursor,
        withTotal: first,
      });
      if (first) expect(page.total).toBe(4);
      if (first) await newLead({ tags: [tag, "late"] });
      first = false;
      seen.push(...page.items.map((lead) => lead.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.slice(0, 4)).toEqual([ids.a, ids.b, ids.c, ids.d]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(5);
  });

  it("takes comma-separated multi-value filters on REST", async () => {
    const response = await server.rest("GET", `/leads?tags=${tag}&status=won,lost&sortBy=name&sortOrder=asc`, {
      token: owner.token(),
    });
    expect(response.status).toBe(200);
    expect(response.body.items.map((lead: { id: string }) => lead.id)).toEqual([ids.b, ids.c]);
    const bad = await server.rest("GET", "/leads?status=won,maybe", { token: owner.token() });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("status");
  });

  it("stats count by status and source, average score, hot, conversion and weekly new, honouring the filters", async () => {
    const stats = await owner.client.leads.stats.query({ tags: [tag], createdTo: new Date(Date.now() + 60_000) });
    expect(stats.total).toBeGreaterThanOrEqual(4);
    expect(stats.byStatus).toMatchObject({ won: 1, lost: 1, qualified: 1 });
    expect(stats.bySource.referral).toBe(2);
    // won / (won + lost + unqualified)
    expect(stats.conversionRate).toBe(0.5);
    expect(stats.newPerWeek).toHaveLength(12);
    expect(stats.newPerWeek.at(-1)?.count).toBe(stats.total);
    expect(stats.averageScore).toBeGreaterThan(0);
    const rest = await server.rest("GET", `/leads/stats?tags=${tag}&status=won`, { token: owner.token() });
    expect(rest.status).toBe(200);
    expect(rest.body.total).toBe(1);
  });
});
