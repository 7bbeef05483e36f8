import { describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { serverForFile, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Marketer");
  const stranger = await server.signup("Stranger");
  return { owner, stranger };
});

const STATES = ["draft", "scheduled", "active", "paused", "completed", "cancelled"] as const;
type State = (typeof STATES)[number];
const MOVES = ["schedule", "activate", "pause", "complete", "cancel"] as const;
type Move = (typeof MOVES)[number];

/** The moves that bring a new campaign to each state. */
const PATH: Record<State, Move[]> = {
  draft: [],
  scheduled: ["schedule"],
  active: ["schedule", "activate"],
  paused: ["schedule", "activate", "pause"],
  completed: ["schedule", "activate", "complete"],
  cancelled: ["cancel"],
};
const ALLOWED: Record<Move, { from: State[]; to: State; stamp: string }> = {
  schedule: { from: ["draft"], to: "scheduled", stamp: "scheduledAt" },
  activate: { from: ["scheduled", "paused"], to: "active", stamp: "activatedAt" },
  pause: { from: ["active"], to: "paused", stamp: "pausedAt" },
  complete: { from: ["active", "paused"], to: "completed", stamp: "completedAt" },
  cancel: { from: ["draft", "scheduled", "active", "paused"], to: "cancelled", stamp: "cancelledAt" },
};

async function newCampaign(values: Record<string, unknown> = {}, user = crm.owner) {
  return user.client.campaigns.create.mutate({ name: `Campaign ${unique()}`, type: "email", ...values });
}

async function campaignIn(state: State) {
  const campaign = await newCampaign();
  for (const move of PATH[state]) await crm.owner.client.campaigns[move].mutate({ id: campaign.id });
  return campaign;
}

async function lead(values: Record<string, unknown> = {}, user = crm.owner) {
  return user.client.leads.create.mutate({ firstName: `Lead ${unique()}`, ...values });
}

async function contact(values: Record<string, unknown> = {}, user = crm.owner) {
  return user.client.contacts.create.mutate({ firstName: `Contact ${unique()}`, ...values });
}

describe("campaigns: fields and rules", () => {
  it("creates a campaign with money, dates, audience and parent; refuses money without currency, an end before the start, a parent loop", async () => {
    const parent = await newCampaign({ type: "event" });
    const campaign = await newCampaign({
      type: "webinar",
      currency: "EUR",
      budget: "5000",
      actualCost: "1250.5",
      expectedRevenue: "20000.00",
      startDate: "2027-01-10",
      endDate: "2027-01-31",
      ownerId: crm.owner.userId,
      description: "Q1 product webinar",
      targetAudience: "CTOs of mid-size companies",
      parentId: parent.id,
      tags: ["Q1", "webinar"],
    });
    expect(campaign).toMatchObject({
      status: "draft",
      currency: "EUR",
      budget: "5000.00",
      actualCost: "1250.50",
      expectedRevenue: "20000.00",
      startDate: "2027-01-10",
      endDate: "2027-01-31",
      parentId: parent.id,
      tags: ["q1", "webinar"],
      scheduledAt: null,
    });

    const noType = await failure(crm.owner.client.campaigns.create.mutate({ name: "x" } as never));
    expect(noType.message).toBe(
      'type: is required (one of "email"|"social"|"event"|"webinar"|"ads"|"content"|"referral"|"other")',
    );
    const noCurrency = await failure(crm.owner.client.campaigns.create.mutate({ name: "x", type: "ads", budget: "10" }));
    expect(noCurrency).toMatchObject({ httpStatus: 400 });
    expect(noCurrency.message).toContain("currency");
    const backwards = await failure(crm.owner.client.campaigns.update.mutate({ id: campaign.id, endDate: "2027-01-09" }));
    expect(backwards).toMatchObject({ httpStatus: 400 });
    expect(backwards.message).toContain("endDate");
    const self = await failure(crm.owner.client.campaigns.update.mutate({ id: campaign.id, parentId: campaign.id }));
    expect(self).toMatchObject({ httpStatus: 409 });
    expect(self.message).toContain("parentId");
    const loop = await failure(crm.owner.client.campaigns.update.mutate({ id: parent.id, parentId: campaign.id }));
    expect(loop).toMatchObject({ httpStatus: 409 });
    expect(loop.message).toContain("parentId");
    // Two changes that would each close the loop the other opens: the tree lock lets one through.
    const [left, right] = [await newCampaign(), await newCampaign()];
    const crossed = await Promise.allSettled([
      crm.owner.client.campaigns.update.mutate({ id: left.id, parentId: right.id }),
      crm.owner.client.campaigns.update.mutate({ id: right.id, parentId: left.id }),
    ]);
    expect(crossed.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    const foreignParent = await newCampaign({}, crm.stranger);
    const foreign = await failure(crm.owner.client.campaigns.update.mutate({ id: campaign.id, parentId: foreignParent.id }));
    expect(foreign).toMatchObject({ httpStatus: 404 });
    expect(foreign.message).toContain("parentId");
  });

  it("lists by status, type, owner, start-date range and parent (tRPC and REST)", async () => {
    const parent = await newCampaign({ type: "content" });
    const early = await newCampaign({ type: "social", parentId: parent.id, startDate: "2030-02-01", ownerId: crm.owner.userId });
    const late = await newCampaign({ type: "social", parentId: parent.id, startDate: "2030-06-01" });
    await crm.owner.client.campaigns.schedule.mutate({ id: late.id });
    const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id).sort();

    const children = await crm.owner.client.campaigns.list.query({ parentId: [parent.id] });
    expect(ids(children)).toEqual([early.id, late.id].sort());
    expect(ids(await crm.owner.client.campaigns.list.query({ parentId: [parent.id], status: ["scheduled"] }))).toEqual([late.id]);
    expect(ids(await crm.owner.client.campaigns.list.query({ parentId: [parent.id], owner: "me" }))).toEqual([early.id]);
    const range = await crm.owner.client.campaigns.list.query({
      type: ["social"],
      startDateFrom: "2030-01-01",
      startDateTo: "2030-03-01",
    });
    expect(ids(range)).toEqual([early.id]);
    const rest = await crm.server.rest("GET", `/campaigns?parentId=${parent.id}&status=draft&sortBy=startDate&sortOrder=asc`, {
      token: crm.owner.token(),
    });
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((item: { id: string }) => item.id)).toEqual([early.id]);
  });
});

describe("campaigns: the lifecycle", () => {
  const cases = STATES.flatMap((state) => MOVES.map((move) => [state, move, ALLOWED[move].from.includes(state)] as const));

  it.each(cases)("from %s, %s: allowed %s (a refusal is a 409 naming both states)", async (state, move, allowed) => {
    const campaign = await campaignIn(state);
    const call = crm.owner.client.campaigns[move].mutate({ id: campaign.id });
    if (allowed) {
      const moved = await call;
      expect(moved.status).toBe(ALLOWED[move].to);
      expect((moved as Record<string, unknown>)[ALLOWED[move].stamp]).toBeInstanceOf(Date);
      return;
    }
    const refused = await failure(call);
    expect(refused).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
    expect(refused.message).toContain(`is ${state}`);
    expect(refused.message).toContain(ALLOWED[move].to);
    expect((await crm.owner.client.campaigns.byId.query({ id: campaign.id })).status).toBe(state);
  });

  it("the moves are REST routes too: POST /campaigns/{id}/schedule|activate|pause|complete|cancel", async () => {
    const campaign = await newCampaign();
    const post = (move: string) =>
      crm.server.rest("POST", `/campaigns/${campaign.id}/${move}`, { token: crm.owner.token(), body: {} });
    expect((await post("schedule")).body.status).toBe("scheduled");
    expect((await post("activate")).body.status).toBe("active");
    expect((await post("pause")).body.status).toBe("paused");
    expect((await post("activate")).body.status).toBe("active");
    const refused = await post("schedule");
    expect(refused).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
    expect(refused.body.message).toContain("is active");
    expect(refused.body.message).toContain("scheduled");
    expect((await post("complete")).body.status).toBe("completed");
    const cancelled = await post("cancel");
    expect(cancelled.status).toBe(409);
    expect(cancelled.body.message).toContain("is completed");
    expect(cancelled.body.message).toContain("cancelled");
    const history = await crm.owner.client.campaigns.history.query({ id: campaign.id });
    expect(history.items.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["schedule", "activate", "pause", "complete"]),
    );
  });
});

describe("campaigns: members", () => {
  it("adds leads and contacts by ids, counting those already members; removes by ids; a foreign id is a 404 naming the field, nothing added", async () => {
    const campaign = await newCampaign();
    const [l1, l2] = [await lead(), await lead()];
    const k1 = await contact();
    const added = await crm.owner.client.campaigns.addMembers.mutate({
      id: campaign.id,
      leadIds: [l1.id, l2.id],
      contactIds: [k1.id],
    });
    expect(added).toEqual({ added: 3, alreadyMembers: 0 });
    const again = await crm.server.rest("POST", `/campaigns/${campaign.id}/members`, {
      token: crm.owner.token(),
      body: { leadIds: [l1.id, l2.id, l1.id] },
    });
    expect(again).toMatchObject({ status: 200, body: { added: 0, alreadyMembers: 2 } });

    const foreignLead = await lead({}, crm.stranger);
    const refused = await failure(
      crm.owner.client.campaigns.addMembers.mutate({ id: campaign.id, leadIds: [(await lead()).id, foreignLead.id] }),
    );
    expect(refused).toMatchObject({ code: "NOT_FOUND", httpStatus: 404 });
    expect(refused.message).toContain("leadIds");
    const viaRest = await crm.server.rest("POST", `/campaigns/${campaign.id}/members`, {
      token: crm.owner.token(),
      body: { contactIds: [(await contact({}, crm.stranger)).id] },
    });
    expect(viaRest).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    expect(viaRest.body.message).toContain("contactIds");
    expect((await crm.owner.client.campaigns.members.query({ id: campaign.id })).items).toHaveLength(3);
    // Org B cannot add its own lead to org A's campaign: the campaign is not found.
    const intruder = await failure(
      crm.stranger.client.campaigns.addMembers.mutate({ id: campaign.id, leadIds: [foreignLead.id] }),
    );
    expect(intruder).toMatchObject({ code: "NOT_FOUND" });

    const removed = await crm.owner.client.campaigns.removeMembers.mutate({
      id: campaign.id,
      leadIds: [l2.id],
      contactIds: [k1.id],
    });
    expect(removed).toEqual({ removed: 2, notMembers: 0 });
    const twice = await crm.server.rest("POST", `/campaigns/${campaign.id}/members/remove`, {
      token: crm.owner.token(),
      body: { leadIds: [l2.id] },
    });
    expect(twice).toMatchObject({ status: 200, body: { removed: 0, notMembers: 1 } });
    const left = await crm.owner.client.campaigns.members.query({ id: campaign.id });
    expect(left.items.map((member) => member.leadId)).toEqual([l1.id]);
  });

  it("adds every lead a list filter matches in one INSERT statement (5,000 leads seeded in SQL), then none again", async () => {
    const campaign = await newCampaign();
    const tag = `webinar-${unique()}`;
    const prisma = crm.server.prisma;
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Lead" ("id", "organizationId", "firstName", "tags", "searchText", "updatedAt")
       SELECT gen_random_uuid(), $1::uuid, 'Seeded ' || n, ARRAY[$2::text], 'seeded ' || n, now() FROM generate_series(1, 5000) n`,
      crm.owner.orgId,
      tag,
    );
    await lead({ tags: [tag] }); // one more through the API
    const deleted = await lead({ tags: [tag] });
    await crm.owner.client.leads.delete.mutate({ id: deleted.id });
    // A statement-level trigger records each INSERT into CampaignMember with the number of rows it wrote.
    await prisma.$executeRawUnsafe(`CREATE TABLE "test_member_inserts" ("rows" int NOT NULL)`);
    await prisma.$executeRawUnsafe(`CREATE FUNCTION test_count_member_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO "test_member_inserts" SELECT count(*) FROM added; RETURN NULL; END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER test_member_inserts AFTER INSERT ON "CampaignMember"
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION test_count_member_inserts()`);
    try {
      const result = await crm.owner.client.campaigns.addMembers.mutate({ id: campaign.id, leadFilter: { tags: [tag] } });
      expect(result).toEqual({ added: 5001, alreadyMembers: 0 });
      const statements = await prisma.$queryRawUnsafe<{ rows: number }[]>(`SELECT "rows" FROM "test_member_inserts"`);
      expect(statements).toEqual([{ rows: 5001 }]);
      const again = await crm.owner.client.campaigns.addMembers.mutate({ id: campaign.id, leadFilter: { tags: [tag] } });
      expect(again).toEqual({ added: 0, alreadyMembers: 5001 });
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER test_member_inserts ON "CampaignMember"`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION test_count_member_inserts()`);
      await prisma.$executeRawUnsafe(`DROP TABLE "test_member_inserts"`);
    }
    expect(await prisma.campaignMember.count({ where: { campaignId: campaign.id } })).toBe(5001);
    expect(await prisma.campaignMember.count({ where: { campaignId: campaign.id, leadId: deleted.id } })).toBe(0);
  });

  it("a filter adds exactly the records the list shows with it (leads: status, search, score; contacts: company, email)", async () => {
    const campaign = await newCampaign();
    const marker = unique();
    const matching = [
      await lead({ lastName: `Fit${marker}`, status: "contacted" }),
      await lead({ lastName: `Fit${marker}`, status: "contacted" }),
    ];
    await lead({ lastName: `Fit${marker}`, status: "lost" });
    const leadFilter = { search: `fit${marker}`, status: ["contacted" as const], scoreMin: 0 };
    const listed = await crm.owner.client.leads.list.query({ ...leadFilter, limit: 100 });
    expect(listed.items.map((item) => item.id).sort()).toEqual(matching.map((item) => item.id).sort());

    const company = await crm.owner.client.companies.create.mutate({ name: `Acme ${marker}` });
    const employees = [await contact({ email: `a-${marker}@acme.test` }), await contact()];
    for (const employee of employees)
      await crm.owner.client.contacts.linkCompany.mutate({ id: employee.id, companyId: company.id });
    const contactFilter = { companyId: company.id, hasEmail: true };

    const result = await crm.owner.client.campaigns.addMembers.mutate({ id: campaign.id, leadFilter, contactFilter });
    expect(result).toEqual({ added: 3, alreadyMembers: 0 });
    const members = await crm.owner.client.campaigns.members.query({ id: campaign.id, limit: 100 });
    expect(members.items.flatMap((member) => (member.leadId ? [member.leadId] : [])).sort()).toEqual(
      matching.map((item) => item.id).sort(),
    );
    expect(members.items.flatMap((member) => (member.contactId ? [member.contactId] : []))).toEqual([employees[0]?.id]);
    const onlyContacts = await crm.owner.client.campaigns.members.query({ id: campaign.id, kind: "contact" });
    expect(onlyContacts.items).toHaveLength(1);
    expect(onlyContacts.items[0]).toMatchObject({ email: `a-${marker}@acme.test`, status: "targeted" });
  });

  it("every list filter compiled to SQL selects the records the list shows (one organization, filter by filter)", async () => {
    const user = await crm.server.signup("Filters");
    const c = user.client;
    const source = await c.campaigns.create.mutate({ name: "Source", type: "ads" });
    const company = await c.companies.create.mutate({ name: "Zephyr Works" });
    const leads = [
      await c.leads.create.mutate({
        firstName: "Ann",
        lastName: "Alpha",
        status: "contacted",
        source: "event",
        tags: ["a", "b"],
        vertical: "Retail",
        email: "ann@alpha.test",
        assignedToId: user.userId,
      }),
      await c.leads.create.mutate({
        firstName: "Bob",
        lastName: "Beta",
        status: "new",
        tags: ["a"],
        isActive: false,
        sourceCampaignId: source.id,
        nextFollowUpAt: "2020-01-01T00:00:00Z",
      }),
      await c.leads.create.mutate({ firstName: "Cy", lastName: "Gamma 50%_off", vertical: "retail", manualScore: 90 }),
    ];
    const contacts = [
      await c.contacts.create.mutate({
        firstName: "Dee",
        email: "dee@zephyr.test",
        status: "customer",
        tags: ["vip"],
        ownerId: user.userId,
      }),
      await c.contacts.create.mutate({ firstName: "Eve", phone: "+14155550123" }),
    ];
    await c.contacts.linkCompany.mutate({ id: contacts[1]?.id ?? "", companyId: company.id });
    const leadFilters: Record<string, unknown>[] = [
      {},
      { status: ["contacted", "new"] },
      { source: ["event"] },
      { tags: ["a", "b"], tagsMatch: "all" },
      { tags: ["b", "zzz"] },
      { vertical: "RETAIL" },
      { isActive: false },
      { scoreMin: 80, scoreMax: 100 },
      { hot: true },
      { hot: false },
      { assignedTo: "me" },
      { assignedTo: "unassigned" },
      { search: "gamma 50%_" },
      { search: "50%x" },
      { followUpDueBefore: "2021-01-01T00:00:00Z" },
      { sourceCampaignId: [source.id] },
      { createdFrom: "2000-01-01T00:00:00Z", createdTo: "2999-01-01T00:00:00Z" },
      { updatedTo: "2000-01-01T00:00:00Z" },
    ];
    const contactFilters: Record<string, unknown>[] = [
      {},
      { companyId: company.id },
      { hasEmail: true },
      { hasPhone: false },
      { status: ["customer"] },
      { tags: ["vip"] },
      { owner: "me" },
      { search: "zephyr" }, // through the company's name (a related search)
    ];
    const sorted = (ids: (string | null)[]) => ids.filter((id): id is string => id !== null).sort();
    // Filters that keep some records and leave out others: the comparison is not of empty or whole sets only.
    let selective = 0;
    for (const filter of leadFilters) {
      const campaign = await c.campaigns.create.mutate({ name: "Check", type: "other" });
      const listed = await c.leads.list.query({ ...filter, limit: 100 } as never);
      const result = await c.campaigns.addMembers.mutate({ id: campaign.id, leadFilter: filter as never });
      const members = await c.campaigns.members.query({ id: campaign.id, limit: 100 });
      expect(sorted(members.items.map((m) => m.leadId)), JSON.stringify(filter)).toEqual(sorted(listed.items.map((l) => l.id)));
      expect(result.added).toBe(listed.items.length);
      if (listed.items.length > 0 && listed.items.length < leads.length) selective++;
    }
    for (const filter of contactFilters) {
      const campaign = await c.campaigns.create.mutate({ name: "Check", type: "other" });
      const listed = await c.contacts.list.query({ ...filter, limit: 100 } as never);
      await c.campaigns.addMembers.mutate({ id: campaign.id, contactFilter: filter as never });
      const members = await c.campaigns.members.query({ id: campaign.id, limit: 100 });
      expect(sorted(members.items.map((m) => m.contactId)), JSON.stringify(filter)).toEqual(
        sorted(listed.items.map((l) => l.id)),
      );
    }
    expect(selective).toBeGreaterThanOrEqual(12);
  });

  it("moves members through the funnel: each step keeps its first time, earlier missing steps get the same time, nothing is recorded once unsubscribed", async () => {
    const campaign = await newCampaign();
    const [l1, l2] = [await lead(), await lead()];
    await crm.owner.client.campaigns.addMembers.mutate({ id: campaign.id, leadIds: [l1.id, l2.id] });
    const member = async (leadId: string) =>
      (await crm.owner.client.campaigns.members.query({ id: campaign.id, limit: 100 })).items.find((m) => m.leadId === leadId);

    expect(
      await crm.owner.client.campaigns.setMemberStatus.mutate({ id: campaign.id, leadIds: [l1.id], status: "clicked" }),
    ).toEqual({
      updated: 1,
      unsubscribed: 0,
      notMembers: 0,
    });
    const clicked = await member(l1.id);
    expect(clicked).toMatchObject({ status: "clicked", respondedAt: null, convertedAt: null, unsubscribedAt: null });
    expect(clicked?.sentAt).toEqual(clicked?.clickedAt);
    expect(clicked?.openedAt).toEqual(clicked?.clickedAt);

    // Back to an earlier step: the status stays, the times stay.
    await crm.owner.client.campaigns.setMemberStatus.mutate({ id: campaign.id, leadIds: [l1.id], status: "sent" });
    expect(await member(l1.id)).toEqual(clicked && { ...clicked, updatedAt: expect.any(Date) });

    const outsider = await lead();
    const bulk = await crm.server.rest("POST", `/campaigns/${campaign.id}/members/status`, {
      token: crm.owner.token(),
      body: { leadIds: [l1.id, l2.id, outsider.id], status: "unsubscribed" },
    });
    expect(bulk).toMatchObject({ status: 200, body: { updated: 2, unsubscribed: 0, notMembers: 1 } });
    const left = await member(l2.id);
    expect(left).toMatchObject({ status: "unsubscribed", sentAt: null, convertedAt: null });
    expect(left?.unsubscribedAt).toBeInstanceOf(Date);
    // A later step is not recorded for them (the funnel would count it): they are counted apart.
    expect(
      await crm.owner.client.campaigns.setMemberStatus.mutate({
        id: campaign.id,
        leadIds: [l1.id, l2.id, outsider.id],
        status: "converted",
      }),
    ).toEqual({ updated: 0, unsubscribed: 2, notMembers: 1 });
    expect(await member(l2.id)).toEqual(left);
    const metrics = await crm.owner.client.campaigns.metrics.query({ id: campaign.id });
    expect(metrics.members.funnel.find((entry) => entry.step === "converted")).toMatchObject({ reached: 0 });
    const rest = await crm.server.rest("GET", `/campaigns/${campaign.id}/members?status=unsubscribed`, {
      token: crm.owner.token(),
    });
    expect(rest.body.items).toHaveLength(2);

    const foreign = await failure(
      crm.owner.client.campaigns.setMemberStatus.mutate({
        id: campaign.id,
        leadIds: [(await lead({}, crm.stranger)).id],
        status: "sent",
      }),
    );
    expect(foreign).toMatchObject({ httpStatus: 404 });
    expect(foreign.message).toContain("leadIds");
  });

  it("a contact merged into another hands over its memberships; a campaign both were in keeps the survivor's", async () => {
    const [first, second] = [await newCampaign(), await newCampaign()];
    const [survivor, merged] = [await contact(), await contact()];
    await crm.owner.client.campaigns.addMembers.mutate({ id: first.id, contactIds: [survivor.id, merged.id] });
    await crm.owner.client.campaigns.addMembers.mutate({ id: second.id, contactIds: [merged.id] });
    await crm.owner.client.campaigns.setMemberStatus.mutate({ id: first.id, contactIds: [survivor.id], status: "opened" });
    await crm.owner.client.contacts.merge.mutate({ primaryId: survivor.id, mergeIds: [merged.id] });
    const inFirst = await crm.owner.client.campaigns.members.query({ id: first.id });
    expect(inFirst.items.map((m) => [m.contactId, m.status])).toEqual([[survivor.id, "opened"]]);
    const inSecond = await crm.owner.client.campaigns.members.query({ id: second.id });
    expect(inSecond.items.map((m) => m.contactId)).toEqual([survivor.id]);
  });

  it("shows on the timeline of the lead and the contact it targets", async () => {
    const campaign = await newCampaign({ name: `Spring launch ${unique()}` });
    const target = await lead();
    const person = await contact();
    await crm.owner.client.campaigns.addMembers.mutate({ id: campaign.id, leadIds: [target.id], contactIds: [person.id] });
    await crm.owner.client.campaigns.setMemberStatus.mutate({ id: campaign.id, contactIds: [person.id], status: "opened" });
    const leadTimeline = await crm.owner.client.leads.timeline.query({ id: target.id, types: ["campaignMembership"] });
    expect(leadTimeline.items).toHaveLength(1);
    expect(leadTimeline.items[0]).toMatchObject({
      type: "campaignMembership",
      actor: { kind: "user", id: crm.owner.userId },
      data: { campaignId: campaign.id, campaignName: campaign.name, campaignType: "email", status: "targeted", sentAt: null },
    });
    const contactTimeline = await crm.owner.client.contacts.timeline.query({ id: person.id });
    const entry = contactTimeline.items.find((item) => item.type === "campaignMembership");
    expect(entry).toMatchObject({ data: { campaignId: campaign.id, status: "opened" } });
  });
});

describe("campaigns: metrics", () => {
  it("members per status and the funnel's rates, leads created, deals influenced and won per currency, cost per lead and per won deal, ROI", async () => {
    const campaign = await newCampaign({ currency: "USD", budget: "1500", actualCost: "1000" });
    const c = crm.owner.client;
    const [l1, l2, l3, l4] = [await lead(), await lead(), await lead(), await lead()];
    const [k1, k2] = [await contact(), await contact()];
    await c.campaigns.addMembers.mutate({ id: campaign.id, leadIds: [l1.id, l2.id, l3.id, l4.id], contactIds: [k1.id, k2.id] });
    const step = (status: "sent" | "clicked" | "converted" | "unsubscribed", leadIds: string[]) =>
      c.campaigns.setMemberStatus.mutate({ id: campaign.id, leadIds, status });
    await step("sent", [l1.id, l4.id]);
    await step("clicked", [l2.id]);
    await step("converted", [l3.id]);
    await step("unsubscribed", [l4.id]);
    await c.campaigns.setMemberStatus.mutate({ id: campaign.id, contactIds: [k1.id], status: "opened" });

    // Leads naming the campaign as their source: four live ones, one deleted.
    const sourced = [];
    for (let i = 0; i < 5; i++) sourced.push(await lead({ sourceCampaignId: campaign.id }));
    await c.leads.delete.mutate({ id: sourced[4]?.id ?? "" });
    const listed = await c.leads.list.query({ sourceCampaignId: [campaign.id] });
    expect(listed.items).toHaveLength(4);

    const deal = (values: Record<string, unknown>) => c.deals.create.mutate({ name: `Deal ${unique()}`, ...values });
    const d1 = await deal({ sourceCampaignId: campaign.id, amount: "3000", currency: "USD" });
    const d2 = await deal({ contactId: k1.id, amount: "500", currency: "EUR" });
    await deal({ sourceLeadId: l2.id, amount: "700", currency: "USD" });
    const d4 = await deal({ sourceCampaignId: campaign.id, amount: "1200", currency: "USD" });
    const unrelated = await deal({ amount: "9999", currency: "USD" });
    await deal({ sourceCampaignId: campaign.id });
    for (const won of [d1, d2, d4, unrelated]) await c.deals.markWon.mutate({ id: won.id });
    expect((await c.deals.list.query({ sourceCampaignId: [campaign.id] })).items).toHaveLength(3);

    const metrics = await c.campaigns.metrics.query({ id: campaign.id });
    expect(metrics.members).toEqual({
      total: 6,
      byStatus: { targeted: 1, sent: 1, opened: 1, clicked: 1, responded: 0, converted: 1, unsubscribed: 1 },
      funnel: [
        { step: "targeted", reached: 6, rate: null },
        { step: "sent", reached: 5, rate: 5 / 6 },
        { step: "opened", reached: 3, rate: 3 / 5 },
        { step: "clicked", reached: 2, rate: 2 / 3 },
        { step: "responded", reached: 1, rate: 1 / 2 },
        { step: "converted", reached: 1, rate: 1 },
      ],
      unsubscribed: 1,
      unsubscribeRate: 1 / 5,
    });
    expect(metrics).toMatchObject({
      leadsCreated: 4,
      deals: {
        influenced: [
          { currency: "EUR", count: 1, amount: "500.00" },
          { currency: "USD", count: 3, amount: "4900.00" },
          { currency: null, count: 1, amount: "0.00" },
        ],
        won: [
          { currency: "EUR", count: 1, amount: "500.00" },
          { currency: "USD", count: 2, amount: "4200.00" },
        ],
        influencedCount: 5,
        wonCount: 3,
      },
      currency: "USD",
      actualCost: "1000.00",
      costPerLead: "250.00", // 1000 / 4
      costPerWonDeal: "333.33", // 1000 / 3
      roi: "3.2000", // (4200 − 1000) / 1000: the EUR deal is left out
    });
    const rest = await crm.server.rest("GET", `/campaigns/${campaign.id}/metrics`, { token: crm.owner.token() });
    expect(rest).toMatchObject({ status: 200, body: { roi: "3.2000", leadsCreated: 4 } });

    const empty = await c.campaigns.metrics.query({ id: (await newCampaign()).id });
    expect(empty).toMatchObject({ leadsCreated: 0, costPerLead: null, costPerWonDeal: null, roi: null, actualCost: null });
    expect(empty.members.funnel[1]).toEqual({ step: "sent", reached: 0, rate: null });
  });

  it("a lead or deal naming another organization's campaign is a 404 naming sourceCampaignId", async () => {
    const foreign = await newCampaign({}, crm.stranger);
    const leadRefused = await failure(lead({ sourceCampaignId: foreign.id }));
    expect(leadRefused).toMatchObject({ httpStatus: 404 });
    expect(leadRefused.message).toContain("sourceCampaignId");
    const dealRefused = await failure(crm.owner.client.deals.create.mutate({ name: "x", sourceCampaignId: foreign.id }));
    expect(dealRefused).toMatchObject({ httpStatus: 404 });
    expect(dealRefused.message).toContain("sourceCampaignId");
  });
});
