import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { csvOf, waitForImport } from "./support/imports.ts";
import { serverForFile, type TestUser, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const agent = await server.member(owner, "agent", "Agent");
  const stranger = await server.signup("Stranger");
  return { owner, agent, stranger };
});

type CompanyInput = Parameters<TestUser["client"]["companies"]["create"]["mutate"]>[0];

function newCompany(overrides: Partial<CompanyInput> = {}, user = crm.owner) {
  return user.client.companies.create.mutate({ name: `Company ${unique()}`, ...overrides });
}

/** A fresh organization, for figures that count everything it holds. */
async function freshOrganization(name: string) {
  return crm.server.signup(name);
}

describe("a company's fields", () => {
  it("creates, reads, changes, soft-deletes and restores a company, over the typed client and REST", async () => {
    const tag = unique();
    const created = await newCompany({
      name: "Acme Corporation",
      domain: `https://www.Acme-${tag}.com/about`,
      industry: "Manufacturing",
      size: "s51_200",
      employeeCount: 120,
      types: ["customer"],
      website: "acme.com/",
      phone: "+44 20 7946 0958",
      street: "1 Main Street",
      city: "London",
      postalCode: "EC1A 1BB",
      country: "GB",
      tags: ["VIP", "vip", "Key"],
    });
    expect(created).toMatchObject({
      name: "Acme Corporation",
      domain: `acme-${tag}.com`,
      industry: "Manufacturing",
      size: "s51_200",
      employeeCount: 120,
      types: ["customer"],
      website: "https://acme.com",
      phone: "+442079460958",
      country: "GB",
      tags: ["vip", "key"],
      isActive: true,
      ownerId: null,
      parentId: null,
      mergedIntoId: null,
      annualRevenue: null,
      revenueCurrency: null,
      createdById: crm.owner.userId,
      deletedAt: null,
    });
    expect(created).not.toHaveProperty("searchText");
    expect(created).not.toHaveProperty("organizationId");

    const overRest = await crm.server.rest("GET", `/companies/${created.id}`, { token: crm.owner.token() });
    expect(overRest.status).toBe(200);
    expect(overRest.body).toEqual({
      ...created,
      createdAt: created.createdAt.toISOString(),
      updatedAt: created.updatedAt.toISOString(),
    });

    const patched = await crm.server.rest("PATCH", `/companies/${created.id}`, {
      token: crm.agent.token(),
      body: { industry: "Robotics", types: ["customer", "vendor", "customer"] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ industry: "Robotics", types: ["customer", "vendor"], updatedById: crm.agent.userId });

    const deleted = await crm.owner.client.companies.delete.mutate({ id: created.id });
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    expect(await failure(crm.owner.client.companies.byId.query({ id: created.id }))).toEqual({
      code: "NOT_FOUND",
      httpStatus: 404,
      message: "Company not found",
    });
    expect((await crm.owner.client.companies.byId.query({ id: created.id, includeDeleted: true })).id).toBe(created.id);
    const restored = await crm.server.rest("POST", `/companies/${created.id}/restore`, { token: crm.owner.token(), body: {} });
    expect(restored).toMatchObject({ status: 200, body: { id: created.id, deletedAt: null } });

    const history = await crm.owner.client.companies.history.query({ id: created.id });
    expect(history.items.map((entry) => entry.action)).toEqual(["restore", "delete", "update", "create"]);
    expect(history.items[2]?.changes).toEqual(
      expect.arrayContaining([
        { field: "industry", before: "Manufacturing", after: "Robotics" },
        { field: "types", before: ["customer"], after: ["customer", "vendor"] },
      ]),
    );
  });

  it("normalizes the domain and keeps it unique among live companies: 409 naming domain and the company that has it", async () => {
    const domain = `globex-${unique()}.io`;
    const first = await newCompany({ domain: `HTTP://WWW.${domain.toUpperCase()}/contact?x=1` });
    expect(first.domain).toBe(domain);

    const clash = await failure(newCompany({ domain: `www.${domain}` }));
    expect(clash).toEqual({
      code: "CONFLICT",
      httpStatus: 409,
      message: `domain: company ${first.id} already has the domain ${domain}`,
    });
    const overRest = await crm.server.rest("POST", "/companies", { token: crm.owner.token(), body: { name: "Again", domain } });
    expect(overRest.status).toBe(409);
    expect(overRest.body).toMatchObject({
      code: "CONFLICT",
      message: `domain: company ${first.id} already has the domain ${domain}`,
    });

    const other = await newCompany();
    expect(await failure(crm.owner.client.companies.update.mutate({ id: other.id, domain }))).toMatchObject({ code: "CONFLICT" });

    await crm.owner.client.companies.delete.mutate({ id: first.id });
    const second = await newCompany({ domain });
    expect(second.domain).toBe(domain);
    expect(await failure(crm.owner.client.companies.restore.mutate({ id: first.id }))).toMatchObject({
      code: "CONFLICT",
      message: `domain: company ${second.id} already has the domain ${domain}`,
    });

    // Another organization has its own namespace of domains.
    expect((await newCompany({ domain }, crm.stranger)).domain).toBe(domain);
  });

  it.each([
    ["domain", "not a domain", "domain: must be a domain name (e.g. acme.com)"],
    ["domain", "ftp://acme.com", "domain: must be a domain name (e.g. acme.com)"],
    ["revenueCurrency", "usd", "revenueCurrency: must be an ISO 4217 currency code in capitals (e.g. USD, EUR)"],
    ["country", "UK", "country: must be an ISO 3166-1 alpha-2 country code (e.g. GB, US, DE)"],
    [
      "size",
      "huge",
      'size: Invalid option: expected one of "s1_10"|"s11_50"|"s51_200"|"s201_500"|"s501_1000"|"s1001_5000"|"s5001_plus"',
    ],
    [
      "types",
      ["customer", "friend"],
      'types.1: Invalid option: expected one of "prospect"|"customer"|"partner"|"vendor"|"other"',
    ],
    ["employeeCount", -1, "employeeCount: Too small: expected number to be >=0"],
  ])("refuses %s = %j with a 400 naming it", async (field, value, message) => {
    const name = `Refused ${unique()}`;
    expect(await failure(newCompany({ name, [field]: value } as never))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message,
    });
    expect(await crm.server.prisma.company.count({ where: { name } })).toBe(0);
  });
});

describe("annual revenue", () => {
  it("is an exact Decimal: 12345678901234.56 round-trips to the cent, over tRPC and REST", async () => {
    const company = await newCompany({ annualRevenue: "12345678901234.56", revenueCurrency: "USD" });
    expect(company).toMatchObject({ annualRevenue: "12345678901234.56", revenueCurrency: "USD" });
    const row = await crm.server.prisma.company.findUniqueOrThrow({ where: { id: company.id } });
    expect(row.annualRevenue?.toFixed(2)).toBe("12345678901234.56");
    const overRest = await crm.server.rest("GET", `/companies/${company.id}`, { token: crm.owner.token() });
    expect(overRest.body).toMatchObject({ annualRevenue: "12345678901234.56", revenueCurrency: "USD" });

    const fromNumber = await crm.server.rest("POST", "/companies", {
      token: crm.owner.token(),
      body: { name: "Numeric", annualRevenue: 2500000.5, revenueCurrency: "EUR" },
    });
    expect(fromNumber).toMatchObject({ status: 200, body: { annualRevenue: "2500000.50", revenueCurrency: "EUR" } });
  });

  it.each([
    [0.1 + 0.2, "annualRevenue: must be a decimal number with at most 16 digits before the point and 2 after"],
    ["1.005", "annualRevenue: must be a decimal number with at most 16 digits before the point and 2 after"],
    ["12345678901234567", "annualRevenue: must be a decimal number with at most 16 digits before the point and 2 after"],
    ["1e6", "annualRevenue: must be a decimal number with at most 16 digits before the point and 2 after"],
    ["-5", "annualRevenue: must be at least 0"],
  ])("refuses %j (never rounded)", async (annualRevenue, message) => {
    expect(await failure(newCompany({ annualRevenue, revenueCurrency: "USD" } as never))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message,
    });
  });

  it("comes with its currency or not at all: one without the other is a 400 naming the missing field", async () => {
    expect(await failure(newCompany({ annualRevenue: "100.00" }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "revenueCurrency: must be given with annualRevenue (all of annualRevenue, revenueCurrency or none)",
    });
    const overRest = await crm.server.rest("POST", "/companies", {
      token: crm.owner.token(),
      body: { name: "Half", revenueCurrency: "USD" },
    });
    expect(overRest.status).toBe(400);
    expect(overRest.body.issues).toEqual([
      { path: "annualRevenue", message: "must be given with revenueCurrency (all of annualRevenue, revenueCurrency or none)" },
    ]);

    const company = await newCompany({ annualRevenue: "100.00", revenueCurrency: "USD" });
    expect(await failure(crm.owner.client.companies.update.mutate({ id: company.id, revenueCurrency: null }))).toEqual({
      code: "BAD_REQUEST",
      httpStatus: 400,
      message: "revenueCurrency: must be given with annualRevenue (all of annualRevenue, revenueCurrency or none)",
    });
    // A new amount alone keeps the stored currency; clearing both is fine.
    expect(await crm.owner.client.companies.update.mutate({ id: company.id, annualRevenue: 250 })).toMatchObject({
      annualRevenue: "250.00",
      revenueCurrency: "USD",
    });
    expect(
      await crm.owner.client.companies.update.mutate({ id: company.id, annualRevenue: null, revenueCurrency: null }),
    ).toMatchObject({ annualRevenue: null, revenueCurrency: null });
  });
});

describe("references", () => {
  it("another organization's parent or owner is NOT_FOUND, exactly as an unknown id", async () => {
    const foreign = await newCompany({}, crm.stranger);
    const unknown = randomUUID();
    for (const parentId of [foreign.id, unknown]) {
      expect(await failure(newCompany({ parentId }))).toEqual({
        code: "NOT_FOUND",
        httpStatus: 404,
        message: "parentId: Parent company not found",
      });
    }
    for (const ownerId of [crm.stranger.userId, unknown]) {
      expect(await failure(newCompany({ ownerId }))).toEqual({
        code: "NOT_FOUND",
        httpStatus: 404,
        message: "ownerId: no member of this organization has this id",
      });
    }
    const mine = await newCompany();
    const overRest = await crm.server.rest("PATCH", `/companies/${mine.id}`, {
      token: crm.owner.token(),
      body: { parentId: foreign.id },
    });
    expect(overRest).toMatchObject({ status: 404, body: { code: "NOT_FOUND", message: "parentId: Parent company not found" } });
    expect((await crm.owner.client.companies.byId.query({ id: mine.id })).parentId).toBeNull();
  });

  it("an agent may own a company but needs companies:assign to give one to someone else", async () => {
    expect((await newCompany({ ownerId: crm.agent.userId }, crm.agent)).ownerId).toBe(crm.agent.userId);
    expect(await failure(newCompany({ ownerId: crm.owner.userId }, crm.agent))).toEqual({
      code: "FORBIDDEN",
      httpStatus: 403,
      message: "Missing permission companies:assign to assign a company to someone else",
    });
  });

  it("refuses a parent that would make a company its own ancestor (409 naming parentId)", async () => {
    const group = await newCompany({ name: "Group" });
    const division = await newCompany({ name: "Division", parentId: group.id });
    const unit = await newCompany({ name: "Unit", parentId: division.id });
    expect(unit.parentId).toBe(division.id);

    expect(await failure(crm.owner.client.companies.update.mutate({ id: group.id, parentId: unit.id }))).toEqual({
      code: "CONFLICT",
      httpStatus: 409,
      message: "parentId: would make the company its own ancestor",
    });
    const self = await crm.server.rest("PATCH", `/companies/${group.id}`, {
      token: crm.owner.token(),
      body: { parentId: group.id },
    });
    expect(self.status).toBe(409);
    expect(self.body).toMatchObject({
      code: "CONFLICT",
      message: "parentId: a company cannot be its own parent",
      issues: [{ path: "parentId", message: "a company cannot be its own parent" }],
    });
    const inBulk = await failure(
      crm.owner.client.companies.bulkUpdate.mutate({
        companies: [
          { id: unit.id, industry: "Changed" },
          { id: division.id, parentId: unit.id },
        ],
      }),
    );
    expect(inBulk).toEqual({
      code: "CONFLICT",
      httpStatus: 409,
      message: "companies.1: parentId: would make the company its own ancestor",
    });
    expect((await crm.owner.client.companies.byId.query({ id: unit.id })).industry).toBeNull();
    expect((await crm.owner.client.companies.byId.query({ id: group.id })).parentId).toBeNull();

    // Moving a branch elsewhere in the tree is fine.
    const other = await newCompany({ name: "Other group" });
    expect((await crm.owner.client.companies.update.mutate({ id: division.id, parentId: other.id })).parentId).toBe(other.id);
  });

  it("purge clears what points at the company first: subsidiaries' parent and contacts' primary company", async () => {
    const parent = await newCompany({ name: "Parent to purge" });
    const child = await newCompany({ name: "Child", parentId: parent.id });
    const contact = await crm.server.prisma.contact.create({
      data: { organizationId: crm.owner.orgId, firstName: "Ada", primaryCompanyId: parent.id },
    });
    await crm.server.prisma.contactCompany.create({
      data: { organizationId: crm.owner.orgId, contactId: contact.id, companyId: parent.id, isPrimary: true },
    });

    const purged = await crm.server.rest("DELETE", `/companies/${parent.id}/permanent`, { token: crm.owner.token() });
    expect(purged).toMatchObject({ status: 200, body: { ok: true } });
    expect(await crm.server.prisma.company.findUnique({ where: { id: parent.id } })).toBeNull();
    expect((await crm.owner.client.companies.byId.query({ id: child.id })).parentId).toBeNull();
    expect((await crm.owner.client.companies.history.query({ id: child.id })).items[0]).toMatchObject({
      action: "update",
      changes: [{ field: "parentId", before: parent.id, after: null }],
    });
    expect((await crm.owner.client.contacts.byId.query({ id: contact.id })).primaryCompanyId).toBeNull();
    expect((await crm.owner.client.contacts.history.query({ id: contact.id })).items[0]).toMatchObject({
      action: "update",
      changes: [{ field: "primaryCompanyId", before: parent.id, after: null }],
    });
    expect(await crm.server.prisma.contactCompany.count({ where: { companyId: parent.id } })).toBe(0);
    const audit = await crm.server.prisma.auditLog.findFirst({ where: { entityId: parent.id, action: "purge" } });
    expect(audit?.entityType).toBe("company");
  });
});

describe("lists", () => {
  let org: TestUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    org = await freshOrganization("Lists");
    const make = async (key: string, input: Partial<CompanyInput>) => {
      ids[key] = (await org.client.companies.create.mutate({ name: key, ...input })).id;
    };
    await make("Initech", { industry: "Software", size: "s51_200", employeeCount: 150, types: ["customer"], tags: ["vip"] });
    await make("Initrode", {
      industry: "software",
      size: "s11_50",
      employeeCount: 30,
      types: ["customer", "vendor"],
      ownerId: org.userId,
    });
    await make("Hooli", {
      industry: "Internet",
      size: "s5001_plus",
      employeeCount: 9000,
      types: ["vendor"],
      domain: "hooli.xyz",
    });
    await make("Vandelay", { types: ["prospect"], phone: "+1 202 555 0143", tags: ["vip", "import"] });
    await org.client.companies.deactivate.mutate({ id: ids.Vandelay as string });
  });

  const names = (page: { items: { name: string }[] }) => page.items.map((company) => company.name).sort();

  it("filters by industry (case-insensitive), size, employee count range, types any/all, tags, owner, active", async () => {
    const list = (filters: Record<string, unknown>) => org.client.companies.list.query(filters as never);
    expect(names(await list({ industry: "SOFTWARE" }))).toEqual(["Initech", "Initrode"]);
    expect(names(await list({ size: ["s11_50", "s5001_plus"] }))).toEqual(["Hooli", "Initrode"]);
    expect(names(await list({ employeeCountMin: 100, employeeCountMax: 9000 }))).toEqual(["Hooli", "Initech"]);
    expect(names(await list({ types: ["customer", "vendor"] }))).toEqual(["Hooli", "Initech", "Initrode"]);
    expect(names(await list({ types: ["customer", "vendor"], typesMatch: "all" }))).toEqual(["Initrode"]);
    expect(names(await list({ tags: ["vip"] }))).toEqual(["Initech", "Vandelay"]);
    expect(names(await list({ owner: "me" }))).toEqual(["Initrode"]);
    expect(names(await list({ owner: "unassigned" }))).toEqual(["Hooli", "Initech", "Vandelay"]);
    expect(names(await list({ isActive: false }))).toEqual(["Vandelay"]);
    expect(await failure(list({ employeeCountMin: 10, employeeCountMax: 5 }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "employeeCountMin: must not be greater than employeeCountMax",
    });

    const overRest = await crm.server.rest("GET", "/companies?types=customer,vendor&typesMatch=all&withTotal=true", {
      token: org.token(),
    });
    expect(overRest.status).toBe(200);
    expect(overRest.body.items.map((c: { name: string }) => c.name)).toEqual(["Initrode"]);
    expect(overRest.body.total).toBe(1);
  });

  it("searches name, domain and phone; sorts by name with stable cursors", async () => {
    const search = (term: string) => org.client.companies.list.query({ search: term });
    expect(names(await search("INIT"))).toEqual(["Initech", "Initrode"]);
    expect(names(await search("hooli.x"))).toEqual(["Hooli"]);
    expect(names(await search("202 555 0143"))).toEqual(["Vandelay"]);
    expect(names(await search("100%_"))).toEqual([]);

    const first = await org.client.companies.list.query({ sortBy: "name", sortOrder: "asc", limit: 2 });
    const second = await org.client.companies.list.query({
      sortBy: "name",
      sortOrder: "asc",
      limit: 2,
      cursor: first.nextCursor ?? undefined,
    });
    expect([...first.items, ...second.items].map((c) => c.name)).toEqual(["Hooli", "Initech", "Initrode", "Vandelay"]);
    expect(second.nextCursor).toBeNull();
  });

  it("customers and vendors are the companies of that type: one both a customer and a vendor is in both", async () => {
    const customers = await org.client.customers.list.query({});
    expect(names(customers)).toEqual(["Initech", "Initrode"]);
    const vendors = await crm.server.rest("GET", "/vendors", { token: org.token() });
    expect(vendors.status).toBe(200);
    expect(vendors.body.items.map((c: { name: string }) => c.name).sort()).toEqual(["Hooli", "Initrode"]);
    // The companies list's filters work on the shortcuts; the type cannot be changed there.
    expect(names(await org.client.customers.list.query({ industry: "software", employeeCountMax: 100 }))).toEqual(["Initrode"]);
    const typed = await crm.server.rest("GET", "/customers?types=vendor", { token: org.token() });
    expect(typed.status).toBe(400);
    expect(typed.body.message).toContain("types");
  });

  it("companies/stats counts by type, industry, size and active, as computed by hand", async () => {
    expect(await org.client.companies.stats.query({})).toEqual({
      total: 4,
      active: 3,
      byType: { prospect: 1, customer: 2, partner: 0, vendor: 2, other: 0 },
      byIndustry: { Software: 1, software: 1, Internet: 1, "(none)": 1 },
      bySize: { s1_10: 0, s11_50: 1, s51_200: 1, s201_500: 0, s501_1000: 0, s1001_5000: 0, s5001_plus: 1, "(none)": 1 },
    });
    const filtered = await crm.server.rest("GET", "/companies/stats?tags=vip", { token: org.token() });
    expect(filtered.body).toMatchObject({ total: 2, active: 1, byType: { customer: 1, prospect: 1, vendor: 0 } });
  });

  it("customers/stats: total, active, by industry, new per month", async () => {
    // One customer created in an earlier month, and one deactivated.
    const lastYear = await org.client.companies.create.mutate({
      name: "Old customer",
      types: ["customer"],
      industry: "Internet",
    });
    const monthsAgo = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 3, 15));
    await crm.server.prisma.company.update({ where: { id: lastYear.id }, data: { createdAt: monthsAgo } });
    await org.client.companies.deactivate.mutate({ id: ids.Initech as string });

    const stats = await org.client.customers.stats.query({});
    expect(stats).toMatchObject({ total: 3, active: 2, byIndustry: { Software: 1, software: 1, Internet: 1 } });
    expect(stats.newPerMonth).toHaveLength(12);
    expect(stats.newPerMonth.at(-1)?.count).toBe(2);
    expect(stats.newPerMonth.at(-4)).toEqual({
      monthStart: new Date(Date.UTC(monthsAgo.getUTCFullYear(), monthsAgo.getUTCMonth(), 1)),
      count: 1,
    });
    expect(stats.newPerMonth.reduce((sum, month) => sum + month.count, 0)).toBe(3);
    const overRest = await crm.server.rest("GET", "/customers/stats?industry=internet", { token: org.token() });
    expect(overRest.body).toMatchObject({ total: 1, active: 1, byIndustry: { Internet: 1 } });
    await org.client.companies.activate.mutate({ id: ids.Initech as string });
  });
});

describe("activate and deactivate", () => {
  it("are named actions in the company's history", async () => {
    const company = await newCompany();
    const deactivated = await crm.server.rest("POST", `/companies/${company.id}/deactivate`, {
      token: crm.agent.token(),
      body: {},
    });
    expect(deactivated).toMatchObject({ status: 200, body: { isActive: false, updatedById: crm.agent.userId } });
    expect((await crm.owner.client.companies.activate.mutate({ id: company.id })).isActive).toBe(true);
    const history = await crm.owner.client.companies.history.query({ id: company.id });
    expect(history.items.slice(0, 2)).toMatchObject([
      { action: "activate", actor: { id: crm.owner.userId }, changes: [{ field: "isActive", before: false, after: true }] },
      { action: "deactivate", actor: { id: crm.agent.userId }, changes: [{ field: "isActive", before: true, after: false }] },
    ]);
  });
});

describe("duplicates", () => {
  it("ranks the same domain first (its domain against another's website), then similar names", async () => {
    const org = await freshOrganization("Duplicates");
    const make = (input: Partial<CompanyInput> & { name: string }) => org.client.companies.create.mutate(input);
    const target = await make({ name: "Umbrella Corporation", domain: "umbrella.com" });
    const sameSite = await make({ name: "UC Holdings", website: "https://www.umbrella.com/investors" });
    const close = await make({ name: "Umbrella Corporations" });
    const farther = await make({ name: "Umbrella Corp" });
    await make({ name: "Wayne Enterprises" });
    const deleted = await make({ name: "Umbrella Corporation" });
    await org.client.companies.delete.mutate({ id: deleted.id });

    const result = await org.client.companies.duplicates.query({ id: target.id });
    expect(result.items.map((item) => [item.company.id, item.rules])).toEqual([
      [sameSite.id, ["domain"]],
      [close.id, ["name"]],
      [farther.id, ["name"]],
    ]);
    const [domainMatch, closeMatch, fartherMatch] = result.items;
    expect(domainMatch?.score).toBe(1);
    expect(closeMatch?.score).toBeGreaterThan(fartherMatch?.score ?? 1);
    expect(fartherMatch?.score).toBeGreaterThanOrEqual(0.3);

    const overRest = await crm.server.rest("GET", `/companies/${close.id}/duplicates?limit=1`, { token: org.token() });
    expect(overRest.status).toBe(200);
    expect(overRest.body.items.map((item: { company: { id: string } }) => item.company.id)).toEqual([target.id]);
  });
});

describe("bulk tools", () => {
  it("bulk create reports each row; a duplicate domain names the company that has it; all-or-nothing bulk update", async () => {
    const existing = await newCompany({ domain: `stark-${unique()}.com` });
    const bulkDomain = `bulk-${unique()}.com`;
    const result = await crm.owner.client.companies.bulkCreate.mutate({
      companies: [
        { name: "Bulk one", domain: bulkDomain },
        { name: "Bulk two", domain: existing.domain },
        { name: "Bulk three", annualRevenue: "10.00" },
        { name: "Bulk four", domain: bulkDomain },
      ],
    });
    expect(result).toMatchObject({ created: 1, duplicates: 2, invalid: 1 });
    expect(result.results).toEqual([
      { index: 0, status: "created", id: expect.any(String) },
      { index: 1, status: "duplicate", existingId: existing.id },
      {
        index: 2,
        status: "invalid",
        errors: [
          {
            path: "revenueCurrency",
            message: "must be given with annualRevenue (all of annualRevenue, revenueCurrency or none)",
          },
        ],
      },
      { index: 3, status: "duplicate", errors: [{ path: "domain", message: "same domain as row 0" }] },
    ]);
    const created = await crm.owner.client.companies.byId.query({ id: result.results[0]?.id as string });
    expect(await crm.owner.client.companies.list.query({ search: "bulk one" })).toMatchObject({ items: [{ id: created.id }] });

    const refused = await failure(
      crm.owner.client.companies.bulkUpdate.mutate({
        companies: [
          { id: created.id, industry: "Bulk" },
          { id: existing.id, revenueCurrency: "EUR" },
        ],
      }),
    );
    expect(refused).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
    expect(refused.message).toBe(
      "companies.1.annualRevenue: must be given with revenueCurrency (all of annualRevenue, revenueCurrency or none)",
    );
    expect((await crm.owner.client.companies.byId.query({ id: created.id })).industry).toBeNull();

    const assigned = await crm.owner.client.companies.bulkAssign.mutate({
      ids: [created.id, existing.id],
      ownerId: crm.agent.userId,
    });
    expect(assigned).toEqual({ count: 2 });
    expect((await crm.owner.client.companies.byId.query({ id: existing.id })).ownerId).toBe(crm.agent.userId);
  });
});

describe("merge", () => {
  it("dry run says what would happen and writes nothing; the merge moves links, contacts and subsidiaries to the survivor", async () => {
    const org = await freshOrganization("Merge");
    const make = (input: Partial<CompanyInput> & { name: string }) => org.client.companies.create.mutate(input);
    const survivor = await make({ name: "Initech", tags: ["a"] });
    const withDomain = await make({
      name: "Initech Inc",
      domain: "initech.com",
      annualRevenue: "100.00",
      revenueCurrency: "USD",
      tags: ["b"],
    });
    const withFamily = await make({ name: "Initech LLC", tags: ["a", "c"], annualRevenue: "5.00", revenueCurrency: "EUR" });
    const subsidiary = await make({ name: "Initech Labs", parentId: withFamily.id });
    const contact = (firstName: string, primaryCompanyId: string | null) =>
      crm.server.prisma.contact.create({ data: { organizationId: org.orgId, firstName, primaryCompanyId } });
    const link = (contactId: string, companyId: string, isPrimary = false) =>
      crm.server.prisma.contactCompany.create({ data: { organizationId: org.orgId, contactId, companyId, isPrimary } });
    const peter = await contact("Peter", withFamily.id);
    await link(peter.id, withFamily.id, true);
    const milton = await contact("Milton", null);
    await link(milton.id, survivor.id);
    await link(milton.id, withDomain.id);

    const input = { primaryId: survivor.id, mergeIds: [withDomain.id, withFamily.id] };
    const auditsBefore = await crm.server.prisma.auditLog.count({ where: { organizationId: org.orgId } });
    const dryRun = await org.client.companies.merge.mutate({ ...input, dryRun: true });
    expect(dryRun).toMatchObject({
      dryRun: true,
      mergedIds: input.mergeIds,
      survivor: {
        id: survivor.id,
        domain: "initech.com",
        annualRevenue: "100.00",
        revenueCurrency: "USD",
        tags: ["a", "b", "c"],
      },
      moved: [
        { reference: "contact links", count: 2 },
        { reference: "contacts' primary company", count: 1 },
        { reference: "subsidiaries", count: 1 },
        { reference: "companies merged earlier", count: 0 },
      ],
    });
    expect(await crm.server.prisma.auditLog.count({ where: { organizationId: org.orgId } })).toBe(auditsBefore);
    expect((await org.client.companies.byId.query({ id: survivor.id })).domain).toBeNull();

    const merged = await crm.server.rest("POST", "/companies/merge", { token: org.token(), body: input });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ dryRun: false, survivor: { domain: "initech.com", tags: ["a", "b", "c"] } });
    for (const id of input.mergeIds) {
      expect(await org.client.companies.byId.query({ id, includeDeleted: true })).toMatchObject({
        mergedIntoId: survivor.id,
        deletedAt: expect.any(Date),
      });
      expect((await org.client.companies.history.query({ id })).items[0]?.action).toBe("merge");
    }
    expect((await org.client.companies.byId.query({ id: subsidiary.id })).parentId).toBe(survivor.id);
    // The subsidiary is changed as a record: its history says who moved its parent.
    expect((await org.client.companies.history.query({ id: subsidiary.id })).items[0]).toMatchObject({
      action: "update",
      changes: [{ field: "parentId", before: withFamily.id, after: survivor.id }],
    });
    expect((await crm.server.prisma.contact.findUniqueOrThrow({ where: { id: peter.id } })).primaryCompanyId).toBe(survivor.id);
    const links = await crm.server.prisma.contactCompany.findMany({
      where: { organizationId: org.orgId },
      select: { contactId: true, companyId: true, isPrimary: true },
      orderBy: { contactId: "asc" },
    });
    expect(links).toEqual(
      [
        { contactId: peter.id, companyId: survivor.id, isPrimary: true },
        { contactId: milton.id, companyId: survivor.id, isPrimary: false },
      ].sort((a, b) => a.contactId.localeCompare(b.contactId)),
    );
    const history = await org.client.companies.history.query({ id: survivor.id });
    expect(history.items[0]).toMatchObject({ action: "merge" });
    expect(history.items[0]?.changes).toEqual(
      expect.arrayContaining([
        { field: "domain", before: null, after: "initech.com" },
        { field: "mergedFrom", before: [], after: input.mergeIds },
      ]),
    );
  });

  it("a chosen revenue brings its currency along", async () => {
    const org = await freshOrganization("Merge revenue");
    const survivor = await org.client.companies.create.mutate({ name: "Globex", annualRevenue: "10.00", revenueCurrency: "USD" });
    const other = await org.client.companies.create.mutate({ name: "Globex SA", annualRevenue: "20.00", revenueCurrency: "EUR" });
    const result = await org.client.companies.merge.mutate({
      primaryId: survivor.id,
      mergeIds: [other.id],
      fields: { annualRevenue: other.id },
    });
    expect(result.survivor).toMatchObject({ annualRevenue: "20.00", revenueCurrency: "EUR" });
  });

  it("refuses a merge that would close a loop of parents, and one naming another organization's company; nothing is written", async () => {
    const org = await freshOrganization("Merge loop");
    const make = (input: Partial<CompanyInput> & { name: string }) => org.client.companies.create.mutate(input);
    const top = await make({ name: "Top" });
    const middle = await make({ name: "Middle", parentId: top.id });
    const bottom = await make({ name: "Bottom", parentId: middle.id });
    // Merging Top into Bottom would make Middle (Top's child) a child of Bottom, Bottom's own parent.
    expect(await failure(org.client.companies.merge.mutate({ primaryId: bottom.id, mergeIds: [top.id] }))).toEqual({
      code: "CONFLICT",
      httpStatus: 409,
      message: "parentId: the merge would make the survivor its own ancestor; change a parent first",
    });
    expect((await org.client.companies.byId.query({ id: top.id })).deletedAt).toBeNull();
    expect((await org.client.companies.byId.query({ id: middle.id })).parentId).toBe(top.id);

    // Merging a child into its parent: the parent does not become its own parent.
    const merged = await org.client.companies.merge.mutate({ primaryId: middle.id, mergeIds: [bottom.id] });
    expect(merged.survivor.parentId).toBe(top.id);
    const child = await make({ name: "Child", parentId: middle.id });
    const intoChild = await org.client.companies.merge.mutate({ primaryId: child.id, mergeIds: [middle.id] });
    expect(intoChild.survivor.parentId).toBeNull();

    const foreign = await newCompany({}, crm.stranger);
    expect(await failure(org.client.companies.merge.mutate({ primaryId: top.id, mergeIds: [foreign.id] }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect((await crm.stranger.client.companies.byId.query({ id: foreign.id })).deletedAt).toBeNull();
  });
});

describe("import and export", () => {
  it("imports companies matched by domain, else by name (case-insensitively), and exports revenue exactly", async () => {
    const org = await freshOrganization("Files");
    const existing = await org.client.companies.create.mutate({ name: "Acme", domain: "acme.com" });
    const named = await org.client.companies.create.mutate({ name: "Globex Corporation" });
    const csv = csvOf([
      ["Company", "Domain", "Annual Revenue", "Currency", "Types", "Country"],
      ["Acme Inc", "https://www.ACME.com/about", "12345678901234.56", "USD", "customer, vendor", "US"],
      ["GLOBEX corporation", "", "", "", "vendor", ""],
      ["Initech", "initech.com", "10.5", "EUR", "prospect", "DE"],
      ["Half", "", "99.00", "", "", ""],
    ]);
    const queued = await org.client.$files.import("companies", new TextEncoder().encode(csv), {
      filename: "companies.csv",
      duplicatePolicy: "update",
    });
    const job = await waitForImport(org, queued.jobId);
    expect(job, JSON.stringify(job)).toMatchObject({ status: "completed", rowsCreated: 1, rowsUpdated: 2, rowsFailed: 1 });
    expect(await org.client.companies.byId.query({ id: existing.id })).toMatchObject({
      name: "Acme Inc",
      annualRevenue: "12345678901234.56",
      revenueCurrency: "USD",
      types: ["customer", "vendor"],
    });
    expect((await org.client.companies.byId.query({ id: named.id })).types).toEqual(["vendor"]);
    const errors = await org.client.imports.errors.query({ id: queued.jobId });
    expect(errors.items).toMatchObject([{ rowNumber: 5, field: "revenueCurrency" }]);

    const exported = await org.client.$files.export("companies", { format: "csv", types: ["customer"] } as never);
    const text = new TextDecoder().decode(new Uint8Array(await exported.arrayBuffer()));
    expect(text).toContain("Acme Inc");
    expect(text).toContain("12345678901234.56");
    expect(text).not.toContain("Initech");
  });
});

describe("a company's contacts", () => {
  it("links, lists and unlinks contacts from the company's side, audited on the contact", async () => {
    const org = await freshOrganization("Links");
    const company = await org.client.companies.create.mutate({ name: "Hooli" });
    const gavin = await org.client.contacts.create.mutate({ firstName: "Gavin", lastName: "Belson" });
    const richard = await org.client.contacts.create.mutate({ firstName: "Richard", lastName: "Hendricks" });

    const linked = await crm.server.rest("POST", `/companies/${company.id}/contacts/${gavin.id}`, {
      token: org.token(),
      body: { role: "CEO", isPrimary: true },
    });
    expect(linked).toMatchObject({
      status: 200,
      body: { contactId: gavin.id, companyId: company.id, role: "CEO", isPrimary: true },
    });
    await org.client.companies.linkContact.mutate({ id: company.id, contactId: richard.id, role: "decision maker" });
    expect((await org.client.contacts.byId.query({ id: gavin.id })).primaryCompanyId).toBe(company.id);

    const listed = await org.client.companies.contacts.query({ id: company.id });
    expect(
      listed.items
        .map((item) => [item.contact.id, item.role, item.isPrimary])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual(
      [
        [gavin.id, "CEO", true],
        [richard.id, "decision maker", false],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );

    const unlinked = await crm.server.rest("DELETE", `/companies/${company.id}/contacts/${gavin.id}`, { token: org.token() });
    expect(unlinked).toMatchObject({ status: 200, body: { unlinked: true } });
    expect((await org.client.contacts.byId.query({ id: gavin.id })).primaryCompanyId).toBeNull();
    expect((await org.client.companies.contacts.query({ id: company.id })).items.map((item) => item.contact.id)).toEqual([
      richard.id,
    ]);
    expect((await org.client.contacts.history.query({ id: gavin.id })).items.map((entry) => entry.action).slice(0, 2)).toEqual([
      "unlink",
      "link",
    ]);
  });

  it("another organization's contact is NOT_FOUND naming contactId; another organization's company is NOT_FOUND", async () => {
    const org = await freshOrganization("Foreign links");
    const company = await org.client.companies.create.mutate({ name: "Pied Piper" });
    const foreignContact = await crm.stranger.client.contacts.create.mutate({ firstName: "Erlich" });
    expect(await failure(org.client.companies.linkContact.mutate({ id: company.id, contactId: foreignContact.id }))).toEqual({
      code: "NOT_FOUND",
      httpStatus: 404,
      message: "contactId: Contact not found",
    });
    const foreignCompany = await newCompany({}, crm.stranger);
    const mine = await org.client.contacts.create.mutate({ firstName: "Jared" });
    expect(await failure(org.client.companies.linkContact.mutate({ id: foreignCompany.id, contactId: mine.id }))).toEqual({
      code: "NOT_FOUND",
      httpStatus: 404,
      message: "Company not found",
    });
    expect(await failure(org.client.companies.contacts.query({ id: foreignCompany.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await crm.server.prisma.contactCompany.count({ where: { contactId: { in: [foreignContact.id, mine.id] } } })).toBe(0);
  });
});
