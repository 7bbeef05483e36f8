import { describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { serverForFile, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const stranger = await server.signup("Stranger");
  return { owner, stranger };
});

const newLead = (user = crm.owner) => user.client.leads.create.mutate({ firstName: "Ada", email: `ada-${unique()}@example.com` });
const newContact = () => crm.owner.client.contacts.create.mutate({ firstName: "Grace", email: `grace-${unique()}@example.com` });
const newCompany = () => crm.owner.client.companies.create.mutate({ name: `Acme ${unique()}` });

describe("interactions", () => {
  it("logs an interaction, defaults author and occurredAt, and raises lastContactedAt of every linked record only when later", async () => {
    const [lead, contact, company] = await Promise.all([newLead(), newContact(), newCompany()]);
    const before = Date.now();
    const call = await crm.owner.client.interactions.create.mutate({
      kind: "call",
      direction: "outbound",
      subject: "Intro call",
      leadId: lead.id,
      contactId: contact.id,
      companyId: company.id,
    });
    expect(call.authorId).toBe(crm.owner.userId);
    expect(new Date(call.occurredAt).getTime()).toBeGreaterThanOrEqual(before - 5);
    const leadAfter = await crm.owner.client.leads.byId.query({ id: lead.id });
    const contactAfter = await crm.owner.client.contacts.byId.query({ id: contact.id });
    const companyAfter = await crm.owner.client.companies.byId.query({ id: company.id });
    for (const record of [leadAfter, contactAfter, companyAfter]) {
      expect(new Date(record.lastContactedAt as unknown as string).toISOString()).toBe(new Date(call.occurredAt).toISOString());
    }

    // An older interaction logged late never moves the date back.
    await crm.owner.client.interactions.create.mutate({
      kind: "email",
      contactId: contact.id,
      occurredAt: "2020-01-01T00:00:00Z",
    });
    const unchanged = await crm.owner.client.contacts.byId.query({ id: contact.id });
    expect(new Date(unchanged.lastContactedAt as unknown as string).toISOString()).toBe(new Date(call.occurredAt).toISOString());

    // Moving an interaction later raises it.
    const later = "2099-05-01T10:00:00.000Z";
    await crm.owner.client.interactions.update.mutate({ id: call.id, occurredAt: later });
    const raised = await crm.owner.client.companies.byId.query({ id: company.id });
    expect(new Date(raised.lastContactedAt as unknown as string).toISOString()).toBe(later);
  });

  it("refuses an interaction with no link (400 naming the links), a note with a direction, and another organization's lead (404)", async () => {
    const none = await crm.server.rest("POST", "/interactions", { token: crm.owner.token(), body: { kind: "call" } });
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body)).toContain("leadId");
    expect(JSON.stringify(none.body)).toContain("dealId");

    const lead = await newLead();
    const note = await crm.server.rest("POST", "/interactions", {
      token: crm.owner.token(),
      body: { kind: "note", direction: "inbound", leadId: lead.id },
    });
    expect(note.status).toBe(400);
    expect(JSON.stringify(note.body)).toContain("direction");

    const foreign = await newLead(crm.stranger);
    const refused = await failure(crm.owner.client.interactions.create.mutate({ kind: "call", leadId: foreign.id }));
    expect(refused.httpStatus).toBe(404);

    // A patch may not clear the last link either.
    const made = await crm.owner.client.interactions.create.mutate({ kind: "note", leadId: lead.id });
    const cleared = await failure(crm.owner.client.interactions.update.mutate({ id: made.id, leadId: null }));
    expect(cleared.httpStatus).toBe(400);
    expect(await crm.server.prisma.interaction.count({ where: { organizationId: crm.owner.orgId, leadId: lead.id } })).toBe(1);
  });

  it("filters by kind, direction, link, author, occurredAt range and keyword; GET /contacts/{id}/interactions is newest first", async () => {
    const contact = await newContact();
    const tag = unique();
    const made = [];
    for (const [kind, direction, day, subject] of [
      ["call", "inbound", "2025-01-01", `pricing ${tag}`],
      ["email", "outbound", "2025-01-02", "follow-up"],
      ["call", "outbound", "2025-01-03", "renewal"],
      ["note", undefined, "2025-01-04", "remember"],
    ] as const) {
      made.push(
        await crm.owner.client.interactions.create.mutate({
          kind,
          ...(direction ? { direction } : {}),
          subject,
          contactId: contact.id,
          occurredAt: `${day}T12:00:00Z`,
        }),
      );
    }
    const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);
    const list = (filters: Record<string, unknown>) =>
      crm.owner.client.interactions.list.query({ contactId: contact.id, sortBy: "occurredAt", ...filters } as never);
    expect(ids(await list({ kind: ["call"] }))).toEqual([made[2]?.id, made[0]?.id]);
    expect(ids(await list({ direction: ["outbound"] }))).toEqual([made[2]?.id, made[1]?.id]);
    expect(ids(await list({ occurredAtFrom: "2025-01-02", occurredAtTo: "2025-01-04" }))).toEqual([made[2]?.id, made[1]?.id]);
    expect(ids(await list({ search: `PRICING ${tag}` }))).toEqual([made[0]?.id]);
    expect((await list({ author: "me" })).items).toHaveLength(4);

    const rest = await crm.server.rest("GET", `/contacts/${contact.id}/interactions?kind=call,note`, {
      token: crm.owner.token(),
    });
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((item: { id: string }) => item.id)).toEqual([made[3]?.id, made[2]?.id, made[0]?.id]);
  });
});
