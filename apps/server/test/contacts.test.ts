import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { serverForFile, type TestUser } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const other = await server.signup("Other");
  return { owner, other };
});

/** A plain company row of the organization, made directly: these tests are about contacts. */
async function company(user: TestUser, name: string) {
  return crm.server.prisma.company.create({ data: { organizationId: user.orgId, name } });
}

const auditOf = (id: string) =>
  crm.server.prisma.auditLog.findMany({ where: { entityId: id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

describe("contacts CRUD", () => {
  it("creates with normalized values, reads, updates, soft-deletes and restores, auditing each write", async () => {
    const created = await crm.owner.client.contacts.create.mutate({
      firstName: "Ada",
      lastName: "Lovelace",
      email: "Ada@Example.COM",
      additionalEmails: ["ada.work@example.com", "ADA.WORK@example.com"],
      phone: "+44 20 7946 0000",
      country: "gb",
      linkedinUrl: "linkedin.com/in/ada-lovelace/?trk=x",
      tags: ["VIP", "vip"],
    });
    expect(created).toMatchObject({
      firstName: "Ada",
      email: "ada@example.com",
      additionalEmails: ["ada.work@example.com"],
      phone: "+442079460000",
      country: "GB",
      linkedinUrl: "https://linkedin.com/in/ada-lovelace",
      tags: ["vip"],
      status: "lead",
      isActive: true,
      mergedIntoId: null,
      createdById: crm.owner.userId,
    });
    expect(created).not.toHaveProperty("searchText");
    expect(await crm.owner.client.contacts.byId.query({ id: created.id })).toEqual(created);

    const updated = await crm.owner.client.contacts.update.mutate({ id: created.id, status: "customer", jobTitle: "Analyst" });
    expect(updated).toMatchObject({ status: "customer", jobTitle: "Analyst", updatedById: crm.owner.userId });
    await crm.owner.client.contacts.delete.mutate({ id: created.id });
    await expect(crm.owner.client.contacts.byId.query({ id: created.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    expect((await crm.owner.client.contacts.restore.mutate({ id: created.id })).deletedAt).toBeNull();

    expect((await auditOf(created.id)).map((entry) => entry.action)).toEqual(["create", "update", "delete", "restore"]);
    const history = await crm.owner.client.contacts.history.query({ id: created.id });
    expect(history.items[0]?.action).toBe("restore");
  });

  it("refuses a country that is no ISO 3166-1 code and a LinkedIn URL on another site, naming the field", async () => {
    const country = await crm.server.rest("POST", "/contacts", {
      token: crm.owner.token(),
      body: { firstName: "X", country: "UK" },
    });
    expect(country.status).toBe(400);
    expect(country.body.issues).toEqual([
      { path: "country", message: "must be an ISO 3166-1 alpha-2 country code (e.g. GB, US, DE)" },
    ]);
    const linkedin = await crm.server.rest("POST", "/contacts", {
      token: crm.owner.token(),
      body: { firstName: "X", linkedinUrl: "https://example.com/in/x" },
    });
    expect(linkedin.status).toBe(400);
    expect(linkedin.body.issues.map((issue: { path: string }) => issue.path)).toEqual(["linkedinUrl"]);
  });

  it("a live email is unique: 409 naming email and the contact that has it; free again once that one is deleted", async () => {
    const first = await crm.owner.client.contacts.create.mutate({ firstName: "Grace", email: "grace@example.com" });
    const again = await crm.server.rest("POST", "/contacts", {
      token: crm.owner.token(),
      body: { firstName: "Grace", email: "GRACE@example.com" },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("CONFLICT");
    expect(again.body.issues).toEqual([{ path: "email", message: expect.stringContaining(first.id) }]);
    expect(JSON.stringify(again.body)).toContain(first.id);
    await crm.owner.client.contacts.delete.mutate({ id: first.id });
    expect((await crm.owner.client.contacts.create.mutate({ firstName: "Grace", email: "grace@example.com" })).email).toBe(
      "grace@example.com",
    );
  });

  it("bulk create reports each row, bulk update is all or nothing", async () => {
    const result = await crm.owner.client.contacts.bulkCreate.mutate({
      contacts: [
        { firstName: "Bulk", email: "bulk1@example.com" },
        { firstName: "" },
        { firstName: "Again", email: "bulk1@example.com" },
      ],
    });
    expect(result).toMatchObject({ created: 1, invalid: 1, duplicates: 1 });
    const id = result.results[0]?.id as string;
    const refused = await crm.server.rest("PATCH", "/contacts/bulk", {
      token: crm.owner.token(),
      body: {
        contacts: [
          { id, jobTitle: "Changed" },
          { id: randomUUID(), jobTitle: "Nobody" },
        ],
      },
    });
    expect(refused.status).toBe(404);
    expect((await crm.owner.client.contacts.byId.query({ id })).jobTitle).toBeNull();
    const patched = await crm.server.rest("PATCH", "/contacts/bulk", {
      token: crm.owner.token(),
      body: { contacts: [{ id, jobTitle: "Changed" }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.items[0].jobTitle).toBe("Changed");
  });
});

describe("contact filters and search", () => {
  it("filters by status, tag, owner, hasEmail/hasPhone and created range; keyword search over names, emails and phones", async () => {
    const user = await crm.server.signup("Filters");
    const a = await user.client.contacts.create.mutate({
      firstName: "Linus",
      lastName: "Torvalds",
      email: "linus@kernel.example",
      status: "customer",
      tags: ["oss"],
      ownerId: user.userId,
    });
    const b = await user.client.contacts.create.mutate({ firstName: "Margaret", lastName: "Hamilton", phone: "+1 212 555 0100" });
    const ids = async (input: Record<string, unknown>) =>
      (await user.client.contacts.list.query(input as never)).items.map((contact) => contact.id);
    expect(await ids({ status: ["customer", "prospect"] })).toEqual([a.id]);
    expect(await ids({ tags: ["oss"] })).toEqual([a.id]);
    expect(await ids({ owner: "me" })).toEqual([a.id]);
    expect(await ids({ owner: "unassigned" })).toEqual([b.id]);
    expect(await ids({ hasEmail: true })).toEqual([a.id]);
    expect(await ids({ hasPhone: true })).toEqual([b.id]);
    expect(await ids({ createdFrom: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(await ids({ search: "torval" })).toEqual([a.id]);
    expect(await ids({ search: "KERNEL.example" })).toEqual([a.id]);
    expect(await ids({ search: "+1 212 555 0100" })).toEqual([b.id]);
    expect(await ids({ search: "50%" })).toEqual([]);

    const overRest = await crm.server.rest("GET", "/contacts?status=customer,lead&sortBy=name&sortOrder=asc", {
      token: user.token(),
    });
    expect(overRest.status).toBe(200);
    expect(overRest.body.items.map((contact: { id: string }) => contact.id)).toEqual([b.id, a.id]);
  });

  it("a reference to another organization's company or to a non-member owner is NOT_FOUND naming the field", async () => {
    const foreign = await company(crm.other, "Foreign Ltd");
    const refused = await crm.server.rest("POST", "/contacts", {
      token: crm.owner.token(),
      body: { firstName: "Ref", primaryCompanyId: foreign.id },
    });
    expect(refused.status).toBe(404);
    expect(refused.body.issues).toEqual([{ path: "primaryCompanyId", message: "Company not found" }]);
    const owned = await crm.server.rest("POST", "/contacts", {
      token: crm.owner.token(),
      body: { firstName: "Ref", ownerId: crm.other.userId },
    });
    expect(owned.status).toBe(404);
    expect(owned.body.issues.map((issue: { path: string }) => issue.path)).toEqual(["ownerId"]);
    const contact = await crm.owner.client.contacts.create.mutate({ firstName: "Linker" });
    const link = await crm.server.rest("POST", `/contacts/${contact.id}/companies/${foreign.id}`, {
      token: crm.owner.token(),
      body: {},
    });
    expect(link.status).toBe(404);
    expect(link.body).toMatchObject({
      message: "companyId: Company not found",
      issues: [{ path: "companyId", message: "Company not found" }],
    });
    const foreignContact = await crm.other.client.contacts.create.mutate({ firstName: "Theirs" });
    const mine = await company(crm.owner, "Mine Ltd");
    const linkForeign = await crm.server.rest("POST", `/contacts/${foreignContact.id}/companies/${mine.id}`, {
      token: crm.owner.token(),
      body: {},
    });
    expect(linkForeign).toMatchObject({ status: 404, body: { message: "Contact not found" } });
    expect(await crm.server.prisma.contactCompany.count({ where: { companyId: { in: [foreign.id, mine.id] } } })).toBe(0);
    const merge = await crm.server.rest("POST", "/contacts/merge", {
      token: crm.owner.token(),
      body: { primaryId: contact.id, mergeIds: [foreignContact.id] },
    });
    expect(merge.status).toBe(404);
    expect((await crm.other.client.contacts.byId.query({ id: foreignContact.id })).deletedAt).toBeNull();
  });
});

describe("contacts and companies", () => {
  it("links with a role and a primary flag, relinks to change them, lists them, filters by company, unlinks; each audited on the contact", async () => {
    const acme = await company(crm.owner, "Acme");
    const globex = await company(crm.owner, "Globex");
    const contact = await crm.owner.client.contacts.create.mutate({ firstName: "Wile", lastName: "Coyote" });
    const bystander = await crm.owner.client.contacts.create.mutate({ firstName: "Road", lastName: "Runner" });

    const linked = await crm.server.rest("POST", `/contacts/${contact.id}/companies/${acme.id}`, {
      token: crm.owner.token(),
      body: { role: "decision maker", isPrimary: true },
    });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ contactId: contact.id, companyId: acme.id, role: "decision maker", isPrimary: true });
    expect((await crm.owner.client.contacts.byId.query({ id: contact.id })).primaryCompanyId).toBe(acme.id);

    await crm.owner.client.contacts.linkCompany.mutate({ id: contact.id, companyId: globex.id, role: "advisor" });
    const relinked = await crm.owner.client.contacts.linkCompany.mutate({
      id: contact.id,
      companyId: globex.id,
      isPrimary: true,
    });
    expect(relinked).toMatchObject({ role: "advisor", isPrimary: true });
    expect((await crm.owner.client.contacts.byId.query({ id: contact.id })).primaryCompanyId).toBe(globex.id);
    const stored = await crm.server.prisma.contactCompany.findMany({
      where: { contactId: contact.id },
      orderBy: { companyId: "asc" },
    });
    expect(Object.fromEntries(stored.map((link) => [link.companyId, link.isPrimary]))).toEqual({
      [acme.id]: false,
      [globex.id]: true,
    });

    const listed = await crm.server.rest("GET", `/contacts/${contact.id}/companies?sortOrder=asc`, { token: crm.owner.token() });
    expect(listed.status).toBe(200);
    expect(
      listed.body.items.map((item: { company: { name: string }; role: string; isPrimary: boolean }) => [
        item.company.name,
        item.role,
        item.isPrimary,
      ]),
    ).toEqual([
      ["Acme", "decision maker", false],
      ["Globex", "advisor", true],
    ]);
    expect((await crm.owner.client.contacts.list.query({ companyId: acme.id })).items.map((c) => c.id)).toEqual([contact.id]);
    expect((await crm.owner.client.contacts.list.query({ companyId: randomUUID() })).items).toEqual([]);

    const unlinked = await crm.server.rest("DELETE", `/contacts/${contact.id}/companies/${globex.id}`, {
      token: crm.owner.token(),
    });
    expect(unlinked).toMatchObject({ status: 200, body: { unlinked: true } });
    expect((await crm.owner.client.contacts.byId.query({ id: contact.id })).primaryCompanyId).toBeNull();
    expect((await crm.owner.client.contacts.list.query({ companyId: globex.id })).items).toEqual([]);
    expect((await crm.owner.client.contacts.list.query({ companyId: acme.id })).items.map((c) => c.id)).toEqual([contact.id]);
    expect(await crm.server.prisma.contactCompany.count({ where: { contactId: bystander.id } })).toBe(0);

    const audit = await auditOf(contact.id);
    expect(audit.map((entry) => [entry.action, entry.entityType])).toEqual([
      ["create", "contact"],
      ["link", "contact"],
      ["link", "contact"],
      ["link", "contact"],
      ["unlink", "contact"],
    ]);
    expect(audit[1]?.changes).toMatchObject({
      primaryCompanyId: { before: null, after: acme.id },
      [`companies.${acme.id}`]: { before: null, after: { role: "decision maker", isPrimary: true } },
    });
  });
  it("a primary company written by create, bulk create or update is a link too: the company filter and the company list find it", async () => {
    const user = await crm.server.signup("Primary");
    const acme = await company(user, "Acme");
    const globex = await company(user, "Globex");
    const created = await user.client.contacts.create.mutate({ firstName: "Made", primaryCompanyId: acme.id });
    const bulk = await user.client.contacts.bulkCreate.mutate({ contacts: [{ firstName: "Bulk", primaryCompanyId: acme.id }] });
    const bulkId = bulk.results[0]?.id as string;
    expect((await user.client.contacts.list.query({ companyId: acme.id, sortOrder: "asc" })).items.map((c) => c.id)).toEqual([
      created.id,
      bulkId,
    ]);
    await user.client.contacts.update.mutate({ id: created.id, primaryCompanyId: globex.id });
    const companies = await user.client.contacts.companies.query({ id: created.id, sortOrder: "asc" });
    expect(companies.items.map((item) => [item.company.name, item.isPrimary])).toEqual([
      ["Acme", false],
      ["Globex", true],
    ]);
    const stored = await crm.server.prisma.contactCompany.findMany({
      where: { contactId: created.id },
      orderBy: { companyId: "asc" },
    });
    expect(stored.map((link) => [link.companyId, link.isPrimary])).toEqual([
      [acme.id, false],
      [globex.id, true],
    ]);
  });
});

describe("keyword search reaches companies", () => {
  it("finds a contact by the name or domain of a company it is linked to, and a company's rename follows at once", async () => {
    const acme = await crm.owner.client.companies.create.mutate({ name: "Zanzibar Widgets", domain: "zw-trading.example" });
    const linked = await crm.owner.client.contacts.create.mutate({ firstName: "Linked", primaryCompanyId: acme.id });
    const named = await crm.owner.client.contacts.create.mutate({ firstName: "Zanzibar", lastName: "Named" });
    await crm.owner.client.contacts.create.mutate({ firstName: "Unrelated" });
    const found = async (search: string) =>
      (await crm.owner.client.contacts.list.query({ search, limit: 100 })).items.map((contact) => contact.id).sort();

    expect(await found("zanzibar")).toEqual([linked.id, named.id].sort());
    expect(await found("zw-trading.example")).toEqual([linked.id]);
    await crm.owner.client.companies.update.mutate({ id: acme.id, name: "Quixotic Gears" });
    expect(await found("quixotic")).toEqual([linked.id]);
    expect(await found("zanzibar")).toEqual([named.id]);
    const rest = await crm.server.rest("GET", "/contacts?search=quixotic", { token: crm.owner.token() });
    expect(rest.body.items.map((contact: { id: string }) => contact.id)).toEqual([linked.id]);
  });
});

describe("duplicates", () => {
  it("ranks contacts sharing an email, a phone, or a similar name at the same company, with the rules matched", async () => {
    const user = await crm.server.signup("Dupes");
    const acme = await company(user, "Acme");
    const make = (input: Record<string, unknown>) => user.client.contacts.create.mutate(input as never);
    const subject = await make({
      firstName: "Jonathan",
      lastName: "Smith",
      email: "jon@acme.example",
      phone: "+1 212 555 0199",
      primaryCompanyId: acme.id,
    });
    const both = await make({ firstName: "J", lastName: "S", additionalEmails: ["jon@acme.example"], phone: "+12125550199" });
    const sameEmail = await make({ firstName: "Other", email: "x@other.example", additionalEmails: [] });
    await user.client.contacts.update.mutate({ id: sameEmail.id, additionalEmails: ["jon@acme.example"] });
    const samePhone = await make({ firstName: "Phone", additionalPhones: ["+1 212 555 0199"] });
    const similar = await make({ firstName: "Jonathon", lastName: "Smith" });
    await user.client.contacts.linkCompany.mutate({ id: similar.id, companyId: acme.id });
    const elsewhere = await make({ firstName: "Jonathan", lastName: "Smith" });
    const deleted = await make({ firstName: "Gone", phone: "+12125550199" });
    await user.client.contacts.delete.mutate({ id: deleted.id });

    const answer = await crm.server.rest("GET", `/contacts/${subject.id}/duplicates`, { token: user.token() });
    expect(answer.status).toBe(200);
    const items = answer.body.items as {
      contact: { id: string };
      score: number;
      rules: string[];
      nameSimilarity: number | null;
    }[];
    const byId = new Map(items.map((item) => [item.contact.id, item]));
    expect([...byId.keys()].sort()).toEqual([both.id, sameEmail.id, samePhone.id, similar.id].sort());
    expect(byId.get(both.id)).toMatchObject({ rules: ["email", "phone"], score: 0.97, nameSimilarity: null });
    expect(byId.get(sameEmail.id)).toMatchObject({ rules: ["email"], score: 0.9 });
    expect(byId.get(samePhone.id)).toMatchObject({ rules: ["phone"], score: 0.7 });
    const similarity = byId.get(similar.id)?.nameSimilarity ?? 0;
    expect(similarity).toBeGreaterThan(0.5);
    expect(byId.get(similar.id)?.rules).toEqual(["name_at_company"]);
    expect(byId.get(similar.id)?.score).toBeCloseTo(0.8 * similarity, 2);
    expect(items.map((item) => item.score)).toEqual(items.map((item) => item.score).sort((a, b) => b - a));
    expect(items.map((item) => item.contact.id)).not.toContain(elsewhere.id);
    expect((await user.client.contacts.duplicates.query({ id: subject.id, limit: 1 })).items.map((i) => i.contact.id)).toEqual([
      both.id,
    ]);
  });
});

describe("merge", () => {
  it("merges contacts into one: links moved without duplicates, chosen fields taken, the others soft-deleted pointing at it, all audited", async () => {
    const user = await crm.server.signup("Merger");
    const acme = await company(user, "Acme");
    const globex = await company(user, "Globex");
    const survivor = await user.client.contacts.create.mutate({ firstName: "Ada", email: "ada@one.example", tags: ["a"] });
    const second = await user.client.contacts.create.mutate({
      firstName: "Ada L",
      email: "ada@two.example",
      jobTitle: "Countess",
      tags: ["b"],
    });
    const third = await user.client.contacts.create.mutate({ firstName: "A.", phone: "+44 20 7946 0001" });
    await user.client.contacts.linkCompany.mutate({ id: survivor.id, companyId: acme.id, role: "kept" });
    await user.client.contacts.linkCompany.mutate({ id: second.id, companyId: acme.id, role: "dropped" });
    await user.client.contacts.linkCompany.mutate({ id: third.id, companyId: globex.id, isPrimary: true });
    const input = { primaryId: survivor.id, mergeIds: [second.id, third.id], fields: { email: second.id } };

    const dryRun = await crm.server.rest("POST", "/contacts/merge", { token: user.token(), body: { ...input, dryRun: true } });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toMatchObject({
      dryRun: true,
      survivor: { id: survivor.id, email: "ada@two.example", jobTitle: "Countess", phone: "+442079460001" },
      mergedIds: [second.id, third.id],
      moved: [
        { reference: "company links", count: 2 },
        { reference: "contacts merged earlier", count: 0 },
        { reference: "campaign memberships", count: 0 },
      ],
    });
    expect((await user.client.contacts.byId.query({ id: second.id })).deletedAt).toBeNull();
    expect(await crm.server.prisma.auditLog.count({ where: { action: "merge", organizationId: user.orgId } })).toBe(0);

    const merged = await user.client.contacts.merge.mutate(input);
    // The survivor had no primary company: it takes the first merged contact's that has one.
    expect(merged.survivor).toMatchObject({
      email: "ada@two.example",
      jobTitle: "Countess",
      tags: ["a", "b"],
      primaryCompanyId: globex.id,
      deletedAt: null,
    });
    for (const id of [second.id, third.id]) {
      const row = await user.client.contacts.byId.query({ id, includeDeleted: true });
      expect(row.mergedIntoId).toBe(survivor.id);
      expect(row.deletedAt).toBeInstanceOf(Date);
    }
    const links = await crm.server.prisma.contactCompany.findMany({
      where: { organizationId: user.orgId },
      orderBy: { companyId: "asc" },
    });
    expect(links.map((link) => [link.contactId, link.companyId, link.role, link.isPrimary])).toEqual([
      [survivor.id, acme.id, "kept", false],
      [survivor.id, globex.id, null, true],
    ]);
    for (const id of [survivor.id, second.id, third.id]) {
      expect((await auditOf(id)).at(-1)?.action, id).toBe("merge");
    }
    expect((await user.client.contacts.list.query({ search: "ada@two" })).items.map((c) => c.id)).toEqual([survivor.id]);
    const again = await crm.server.rest("POST", "/contacts/merge", {
      token: user.token(),
      body: { primaryId: survivor.id, mergeIds: [survivor.id] },
    });
    expect(again.status).toBe(400);
  });
});
