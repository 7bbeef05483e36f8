import { describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { PASSWORD, serverForFile, type TestUser, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Converter");
  return { owner };
});

type LeadInput = Parameters<TestUser["client"]["leads"]["create"]["mutate"]>[0];
type ConvertInput = Parameters<TestUser["client"]["leads"]["convert"]["mutate"]>[0];

function newLead(overrides: Partial<LeadInput> = {}, user = crm.owner) {
  return user.client.leads.create.mutate({ firstName: "Ada", lastName: "Lovelace", ...overrides });
}

const convert = (input: ConvertInput, user = crm.owner) => user.client.leads.convert.mutate({ createDeal: false, ...input });

/** The rows of an organization that a conversion may write. */
async function rowCounts(orgId = crm.owner.orgId) {
  const where = { organizationId: orgId };
  const [contacts, companies, deals, links, audit] = await Promise.all([
    crm.server.prisma.contact.count({ where }),
    crm.server.prisma.company.count({ where }),
    crm.server.prisma.deal.count({ where }),
    crm.server.prisma.contactCompany.count({ where }),
    crm.server.prisma.auditLog.count({ where }),
  ]);
  return { contacts, companies, deals, links, audit };
}

describe("converting a lead into new records", () => {
  it("creates a contact and a company from the lead, links them, and marks the lead converted with its links", async () => {
    const tag = unique();
    const lead = await newLead({
      email: `ada@analytical-${tag}.com`,
      phone: "+44 20 7946 0958",
      jobTitle: "Chief Engineer",
      companyName: `Analytical Engines ${tag}`,
      vertical: "Computing",
      tags: ["vip"],
      notes: "Met at the expo",
      assignedToId: crm.owner.userId,
    });
    const before = await rowCounts();

    const result = await convert({ id: lead.id });

    expect(result.created).toEqual({ contact: true, company: true, deal: false });
    expect(result.alreadyConverted).toBe(false);
    expect(result.contact).toMatchObject({
      firstName: "Ada",
      lastName: "Lovelace",
      email: `ada@analytical-${tag}.com`,
      phone: "+442079460958",
      jobTitle: "Chief Engineer",
      ownerId: crm.owner.userId,
      tags: ["vip"],
      notes: "Met at the expo",
      primaryCompanyId: result.company?.id,
    });
    expect(result.company).toMatchObject({
      name: `Analytical Engines ${tag}`,
      domain: `analytical-${tag}.com`,
      industry: "Computing",
      ownerId: crm.owner.userId,
    });
    expect(result.lead).toMatchObject({
      status: "converted",
      convertedContactId: result.contact?.id,
      convertedCompanyId: result.company?.id,
      convertedDealId: null,
    });
    expect(result.lead.convertedAt).toBeInstanceOf(Date);
    expect(result.actions.contact).toEqual({
      action: "create",
      id: result.contact?.id,
      values: {
        firstName: "Ada",
        lastName: "Lovelace",
        email: `ada@analytical-${tag}.com`,
        phone: "+442079460958",
        jobTitle: "Chief Engineer",
        ownerId: crm.owner.userId,
        tags: ["vip"],
        notes: "Met at the expo",
      },
    });
    expect(result.actions.company).toEqual({
      action: "create",
      id: result.company?.id,
      values: {
        name: `Analytical Engines ${tag}`,
        domain: `analytical-${tag}.com`,
        industry: "Computing",
        ownerId: crm.owner.userId,
      },
    });
    expect(result.actions.deal).toEqual({ action: "none", id: null, values: {} });

    // One contact, one company, one link between them; audit: contact create, company create, link, lead convert.
    const after = await rowCounts();
    expect(after).toEqual({
      ...before,
      contacts: before.contacts + 1,
      companies: before.companies + 1,
      links: before.links + 1,
      audit: before.audit + 4,
    });
    const links = await crm.owner.client.contacts.companies.query({ id: result.contact?.id as string });
    expect(links.items).toMatchObject([{ company: { id: result.company?.id }, isPrimary: true }]);
  });

  it("converts over REST: POST /leads/{id}/convert answers the same shape with ISO dates", async () => {
    const tag = unique();
    const lead = await newLead({ email: `grace@navy-${tag}.mil`, companyName: `Navy ${tag}` });
    const response = await crm.server.rest("POST", `/leads/${lead.id}/convert`, {
      token: crm.owner.token(),
      body: { createDeal: false },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      lead: { id: lead.id, status: "converted" },
      contact: { email: `grace@navy-${tag}.mil` },
      company: { name: `Navy ${tag}`, domain: `navy-${tag}.mil` },
      deal: null,
      created: { contact: true, company: true, deal: false },
      alreadyConverted: false,
      dryRun: false,
    });
    expect(response.body.lead.convertedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("makes no company for a lead without a company name nor a known domain", async () => {
    const lead = await newLead({ email: `solo-${unique()}@gmail.com` });
    const before = await rowCounts();
    const result = await convert({ id: lead.id });
    expect(result.company).toBeNull();
    expect(result.actions.company).toEqual({ action: "none", id: null, values: {} });
    expect(result.contact?.primaryCompanyId).toBeNull();
    expect((await rowCounts()).companies).toBe(before.companies);
  });
});

describe("linking existing records", () => {
  it("links the live contact with the lead's email and fills only its empty fields", async () => {
    const tag = unique();
    const email = `linus-${tag}@example.org`;
    const contact = await crm.owner.client.contacts.create.mutate({ firstName: "Linus", email, jobTitle: "Maintainer" });
    const lead = await newLead({ firstName: "L.", lastName: "Torvalds", email, jobTitle: "CEO", phone: "+1 415 555 0100" });
    const before = await rowCounts();

    const result = await convert({ id: lead.id });

    expect(result.created.contact).toBe(false);
    expect(result.actions.contact).toEqual({
      action: "link",
      id: contact.id,
      values: { lastName: "Torvalds", phone: "+14155550100" },
    });
    expect(result.contact).toMatchObject({
      id: contact.id,
      firstName: "Linus",
      lastName: "Torvalds",
      jobTitle: "Maintainer",
      phone: "+14155550100",
    });
    expect((await rowCounts()).contacts).toBe(before.contacts);
    const history = await crm.owner.client.contacts.history.query({ id: contact.id });
    expect(history.items[0]).toMatchObject({ action: "convert" });
    expect(history.items[0]?.changes.map((change) => change.field).sort()).toEqual(["lastName", "phone"]);
  });

  it("merges into the contact named by contactId, not the one with the lead's email", async () => {
    const tag = unique();
    const email = `twin-${tag}@example.org`;
    await crm.owner.client.contacts.create.mutate({ firstName: "Twin", email });
    const chosen = await crm.owner.client.contacts.create.mutate({ firstName: "Chosen" });
    const lead = await newLead({ email });
    const result = await convert({ id: lead.id, contactId: chosen.id });
    expect(result.contact?.id).toBe(chosen.id);
    // The email belongs to the other contact: the link does not take it.
    expect(result.actions.contact.values).toEqual({ lastName: "Lovelace" });
    expect(result.contact?.email).toBeNull();
  });

  it("finds the company by the domain of the lead's website, then of its email", async () => {
    const tag = unique();
    const byWebsite = await crm.owner.client.companies.create.mutate({ name: `Globex ${tag}`, domain: `globex-${tag}.com` });
    const byEmail = await crm.owner.client.companies.create.mutate({ name: `Initech ${tag}`, domain: `initech-${tag}.com` });

    const fromWebsite = await convert({
      id: (await newLead({ email: `hank-${tag}@initech-${tag}.com`, website: `https://www.Globex-${tag}.com/about` })).id,
    });
    expect(fromWebsite.actions.company).toMatchObject({ action: "link", id: byWebsite.id });

    const fromEmail = await convert({
      id: (await newLead({ email: `peter-${tag}@initech-${tag}.com`, companyName: "Other" })).id,
    });
    expect(fromEmail.actions.company).toMatchObject({ action: "link", id: byEmail.id });
    expect(fromEmail.company?.name).toBe(`Initech ${tag}`);
    expect(fromEmail.contact?.primaryCompanyId).toBe(byEmail.id);
  });

  it("never matches nor stores a free mail domain", async () => {
    const tag = unique();
    const other = await crm.server.signup("Free mail");
    // A company whose domain is a mail provider's (the provider itself as a customer).
    const provider = await other.client.companies.create.mutate({ name: "Gmail", domain: "gmail.com" });
    const yahoo = await other.client.companies.create.mutate({ name: "Yahoo UK", domain: "yahoo.co.uk" });
    for (const email of [`ada-${tag}@gmail.com`, `ada-${tag}@yahoo.co.uk`, `ada-${tag}@qq.com`, `ada-${tag}@mail.ru`]) {
      const lead = await newLead({ email, companyName: `Freelance ${tag} ${email}` }, other);
      const result = await convert({ id: lead.id }, other);
      expect(result.actions.company.action).toBe("create");
      expect(result.company?.id).not.toBe(provider.id);
      expect(result.company?.id).not.toBe(yahoo.id);
      expect(result.company?.domain).toBeNull();
    }
    const site = await newLead({ email: `x-${tag}@gmail.com`, website: "https://gmail.com", companyName: `Site ${tag}` }, other);
    const fromSite = await convert({ id: site.id }, other);
    expect(fromSite.company).toMatchObject({ domain: null, website: "https://gmail.com" });
  });

  it("finds the company by its exact name, case-insensitively, and fills only its empty fields", async () => {
    const tag = unique();
    const umbrella = await crm.owner.client.companies.create.mutate({ name: `Umbrella Corp ${tag}`, industry: "Pharma" });
    const lead = await newLead({
      companyName: `UMBRELLA corp ${tag}`,
      vertical: "Biotech",
      website: `https://umbrella-${tag}.com`,
      email: `alice-${tag}@umbrella-${tag}.com`,
    });
    const result = await convert({ id: lead.id });
    expect(result.actions.company).toEqual({
      action: "link",
      id: umbrella.id,
      values: { domain: `umbrella-${tag}.com`, website: `https://umbrella-${tag}.com` },
    });
    expect(result.company).toMatchObject({
      name: `Umbrella Corp ${tag}`,
      industry: "Pharma",
      domain: `umbrella-${tag}.com`,
      website: `https://umbrella-${tag}.com`,
    });

    const partial = await convert({ id: (await newLead({ companyName: `Umbrella ${tag}` })).id });
    expect(partial.actions.company.action).toBe("create");
  });
});

describe("idempotency and dry runs", () => {
  it("converting a converted lead answers the same records and writes nothing", async () => {
    const tag = unique();
    const lead = await newLead({ email: `once-${tag}@once-${tag}.io`, companyName: `Once ${tag}` });
    const first = await convert({ id: lead.id });
    const before = await rowCounts();

    const second = await convert({ id: lead.id });

    expect(await rowCounts()).toEqual(before);
    expect(second.alreadyConverted).toBe(true);
    expect(second.created).toEqual({ contact: false, company: false, deal: false });
    expect(second.contact?.id).toBe(first.contact?.id);
    expect(second.company?.id).toBe(first.company?.id);
    expect(second.lead).toEqual(first.lead);
    expect(second.actions).toEqual({
      contact: { action: "none", id: first.contact?.id, values: {} },
      company: { action: "none", id: first.company?.id, values: {} },
      deal: { action: "none", id: null, values: {} },
    });
  });

  it("a dry run writes nothing and predicts what the conversion then does", async () => {
    const tag = unique();
    const company = await crm.owner.client.companies.create.mutate({ name: `Dry ${tag}`, domain: `dry-${tag}.com` });
    const lead = await newLead({ email: `dora-${tag}@dry-${tag}.com`, phone: "+44 20 7946 0000", vertical: "Water" });
    const before = await rowCounts();

    const dry = await convert({ id: lead.id, dryRun: true });

    expect(await rowCounts()).toEqual(before);
    expect(dry.dryRun).toBe(true);
    expect(dry.contact).toBeNull();
    expect(dry.company?.id).toBe(company.id);
    expect(dry.lead.status).toBe("new");
    expect((await crm.owner.client.leads.byId.query({ id: lead.id })).status).toBe("new");
    expect(dry.actions.contact).toMatchObject({ action: "create", id: null });
    expect(dry.actions.company).toEqual({ action: "link", id: company.id, values: { industry: "Water" } });

    const real = await convert({ id: lead.id });
    expect(real.actions.contact).toEqual({ ...dry.actions.contact, id: real.contact?.id });
    expect(real.actions.company).toEqual(dry.actions.company);
    expect(real.actions.deal).toEqual(dry.actions.deal);
  });
});

describe("who may convert, and what", () => {
  it("refuses a caller without contacts:write (403 naming it), writing nothing", async () => {
    const boss = await crm.server.signup("Boss");
    const role = await boss.client.roles.create.mutate({
      key: "lead-keeper",
      name: "Lead keeper",
      permissions: ["leads:read", "leads:write", "companies:read", "companies:write", "contacts:read"],
    });
    const keeper = await crm.server.signup("Keeper");
    await boss.client.members.add.mutate({ email: keeper.email, roleId: role.id });
    const keeperClient = crm.server.client();
    await keeperClient.$session.login({ email: keeper.email, password: PASSWORD, organizationId: boss.orgId });
    const lead = await newLead({ companyName: "Keepers Ltd" }, boss);
    const before = await rowCounts(boss.orgId);

    const refused = await failure(keeperClient.leads.convert.mutate({ id: lead.id, createDeal: false }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", httpStatus: 403 });
    expect(refused.message).toContain("contacts:write");
    expect(await rowCounts(boss.orgId)).toEqual(before);
  });

  it("another organization's contact, company or lead is not found (404)", async () => {
    const stranger = await crm.server.signup("Stranger");
    const theirContact = await stranger.client.contacts.create.mutate({ firstName: "Theirs" });
    const theirCompany = await stranger.client.companies.create.mutate({ name: `Theirs ${unique()}` });
    const theirLead = await newLead({}, stranger);
    const lead = await newLead();

    const contact = await failure(convert({ id: lead.id, contactId: theirContact.id }));
    expect(contact).toMatchObject({ code: "NOT_FOUND", httpStatus: 404 });
    expect(contact.message).toContain("contactId");
    expect(await failure(convert({ id: lead.id, companyId: theirCompany.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(convert({ id: theirLead.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await crm.owner.client.leads.byId.query({ id: lead.id })).status).toBe("new");
  });

  it("a deleted lead is not found (404)", async () => {
    const lead = await newLead();
    await crm.owner.client.leads.delete.mutate({ id: lead.id });
    expect(await failure(convert({ id: lead.id }))).toMatchObject({ code: "NOT_FOUND", httpStatus: 404 });
  });
});

describe("a converted lead", () => {
  it("shows the conversion in its history, keeps its status, and is counted and filtered as converted", async () => {
    const other = await crm.server.signup("Stats");
    const lead = await newLead({ companyName: `Hist ${unique()}`, status: "qualified" }, other);
    await newLead({ status: "won" }, other);
    await newLead({ status: "lost" }, other);
    const result = await convert({ id: lead.id }, other);

    const history = await other.client.leads.history.query({ id: lead.id });
    expect(history.items[0]).toMatchObject({ action: "convert", actor: { id: other.userId } });
    const changes = Object.fromEntries((history.items[0]?.changes ?? []).map((change) => [change.field, change]));
    expect(changes.status).toEqual({ field: "status", before: "qualified", after: "converted" });
    expect(changes.convertedContactId).toEqual({ field: "convertedContactId", before: null, after: result.contact?.id });
    expect(changes.convertedCompanyId).toEqual({ field: "convertedCompanyId", before: null, after: result.company?.id });

    const back = await failure(other.client.leads.update.mutate({ id: lead.id, status: "new" }));
    expect(back).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
    expect(await failure(other.client.leads.qualify.mutate({ id: lead.id }))).toMatchObject({ code: "CONFLICT" });
    expect(await failure(other.client.leads.bulkUpdateStatus.mutate({ ids: [lead.id], status: "won" }))).toMatchObject({
      code: "CONFLICT",
    });
    // Other fields may still change.
    expect((await other.client.leads.update.mutate({ id: lead.id, notes: "kept" })).status).toBe("converted");
    // `converted` is the server's to set.
    const given = await crm.server.rest("POST", "/leads", {
      token: other.token(),
      body: { firstName: "X", status: "converted" },
    });
    expect(given.status).toBe(400);

    const converted = await other.client.leads.list.query({ status: ["converted"] });
    expect(converted.items.map((item) => item.id)).toEqual([lead.id]);
    const overRest = await crm.server.rest("GET", "/leads?status=converted", { token: other.token() });
    expect(overRest.body.items.map((item: { id: string }) => item.id)).toEqual([lead.id]);
    const stats = await other.client.leads.stats.query({});
    expect(stats.byStatus).toMatchObject({ converted: 1, won: 1, lost: 1 });
    // (won 1 + converted 1) / (won 1 + converted 1 + lost 1)
    expect(stats.conversionRate).toBe(0.6667);
  });

  it("lets go of a contact or company deleted for good, and stays converted", async () => {
    const lead = await newLead({ companyName: `Purged ${unique()}` });
    const result = await convert({ id: lead.id });
    await crm.owner.client.contacts.purge.mutate({ id: result.contact?.id as string });
    await crm.owner.client.companies.purge.mutate({ id: result.company?.id as string });
    expect(await crm.owner.client.leads.byId.query({ id: lead.id })).toMatchObject({
      status: "converted",
      convertedContactId: null,
      convertedCompanyId: null,
    });
  });
});

describe("the deal of a conversion", () => {
  async function defaultPipeline(orgId = crm.owner.orgId) {
    return crm.server.prisma.pipeline.findFirstOrThrow({
      where: { organizationId: orgId, isDefault: true, deletedAt: null },
      include: { stages: { where: { deletedAt: null }, orderBy: { position: "asc" } } },
    });
  }

  it("creates a deal in the default pipeline's first open stage, named after the company, for the contact and company", async () => {
    const tag = unique();
    const pipeline = await defaultPipeline();
    const lead = await newLead({
      companyName: `Dealers ${tag}`,
      email: `dee-${tag}@dealers-${tag}.com`,
      assignedToId: crm.owner.userId,
    });
    const before = await rowCounts();

    const result = await crm.owner.client.leads.convert.mutate({ id: lead.id, deal: { amount: "1250.50", currency: "EUR" } });

    expect(result.created).toEqual({ contact: true, company: true, deal: true });
    expect(result.deal).toMatchObject({
      name: `Dealers ${tag} deal`,
      pipelineId: pipeline.id,
      stageId: pipeline.stages[0]?.id,
      stageName: "Qualified",
      status: "open",
      amount: "1250.50",
      currency: "EUR",
      contactId: result.contact?.id,
      companyId: result.company?.id,
      ownerId: crm.owner.userId,
      sourceLeadId: lead.id,
    });
    expect(result.lead.convertedDealId).toBe(result.deal?.id);
    expect(result.actions.deal).toEqual({
      action: "create",
      id: result.deal?.id,
      values: {
        name: `Dealers ${tag} deal`,
        pipelineId: pipeline.id,
        stageId: pipeline.stages[0]?.id,
        amount: "1250.50",
        currency: "EUR",
        contactId: result.contact?.id,
        companyId: result.company?.id,
        ownerId: crm.owner.userId,
        sourceLeadId: lead.id,
      },
    });
    const after = await rowCounts();
    expect(after.deals).toBe(before.deals + 1);
    const history = await crm.owner.client.deals.history.query({ id: result.deal?.id as string });
    expect(history.items.map((item) => item.action)).toEqual(["convert"]);
  });

  it("takes the deal's name and stage as given; a lead without a company names the deal after itself", async () => {
    const pipeline = await defaultPipeline();
    const stage = pipeline.stages[2];
    const named = await convert({ id: (await newLead()).id, createDeal: true, deal: { name: "Big one", stageId: stage?.id } });
    expect(named.deal).toMatchObject({ name: "Big one", stageId: stage?.id, pipelineId: pipeline.id });

    const unnamed = await convert({ id: (await newLead({ firstName: "Solo", lastName: "Trader" })).id, createDeal: true });
    expect(unnamed.deal?.name).toBe("Solo Trader deal");
    expect(unnamed.deal?.companyId).toBeNull();
  });

  it("refuses a stage of another organization, an amount without its currency, and writes nothing", async () => {
    const stranger = await crm.server.signup("Deal stranger");
    const theirs = await defaultPipeline(stranger.orgId);
    const lead = await newLead({ companyName: `Refused ${unique()}` });
    const before = await rowCounts();
    const foreign = await failure(convert({ id: lead.id, createDeal: true, deal: { stageId: theirs.stages[0]?.id } }));
    expect(foreign).toMatchObject({ code: "NOT_FOUND", httpStatus: 404 });
    expect(foreign.message).toContain("deal.stageId");
    const half = await failure(convert({ id: lead.id, createDeal: true, deal: { amount: "10" } }));
    expect(half).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
    expect(half.message).toContain("deal.currency");
    expect(await rowCounts()).toEqual(before);
    expect((await crm.owner.client.leads.byId.query({ id: lead.id })).status).toBe("new");
  });

  it("needs deals:write only when it creates a deal", async () => {
    const boss = await crm.server.signup("Deal boss");
    const role = await boss.client.roles.create.mutate({
      key: "no-deals",
      name: "No deals",
      permissions: ["leads:read", "leads:write", "companies:read", "companies:write", "contacts:read", "contacts:write"],
    });
    const rep = await crm.server.signup("Rep");
    await boss.client.members.add.mutate({ email: rep.email, roleId: role.id });
    const repClient = crm.server.client();
    await repClient.$session.login({ email: rep.email, password: PASSWORD, organizationId: boss.orgId });
    const lead = await newLead({ companyName: "Reps Ltd" }, boss);

    const refused = await failure(repClient.leads.convert.mutate({ id: lead.id }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", httpStatus: 403 });
    expect(refused.message).toContain("deals:write");
    const done = await repClient.leads.convert.mutate({ id: lead.id, createDeal: false });
    expect(done.deal).toBeNull();
  });

  it("a dry run predicts the deal, and a second conversion answers it without a new one", async () => {
    const tag = unique();
    const pipeline = await defaultPipeline();
    const lead = await newLead({ companyName: `Predict ${tag}` });
    const before = await rowCounts();
    const dry = await crm.owner.client.leads.convert.mutate({ id: lead.id, dryRun: true });
    expect(await rowCounts()).toEqual(before);
    expect(dry.actions.deal).toEqual({
      action: "create",
      id: null,
      values: {
        name: `Predict ${tag} deal`,
        pipelineId: pipeline.id,
        stageId: pipeline.stages[0]?.id,
        contactId: null,
        companyId: null,
        ownerId: null,
        sourceLeadId: lead.id,
      },
    });

    const real = await crm.owner.client.leads.convert.mutate({ id: lead.id });
    expect(real.actions.deal).toEqual({
      ...dry.actions.deal,
      id: real.deal?.id,
      values: { ...dry.actions.deal.values, contactId: real.contact?.id, companyId: real.company?.id },
    });
    const counted = await rowCounts();
    const again = await crm.owner.client.leads.convert.mutate({ id: lead.id });
    expect(await rowCounts()).toEqual(counted);
    expect(again.deal?.id).toBe(real.deal?.id);
    expect(again.actions.deal).toEqual({ action: "none", id: real.deal?.id, values: {} });

    // The deal and the lead can each be deleted for good: the other lets go of it.
    await crm.owner.client.deals.purge.mutate({ id: real.deal?.id as string });
    expect((await crm.owner.client.leads.byId.query({ id: lead.id })).convertedDealId).toBeNull();
    const second = await newLead({ companyName: `Predict two ${tag}` });
    const withDeal = await crm.owner.client.leads.convert.mutate({ id: second.id });
    await crm.owner.client.leads.purge.mutate({ id: second.id });
    expect((await crm.owner.client.deals.byId.query({ id: withDeal.deal?.id as string })).sourceLeadId).toBeNull();
  });
});
