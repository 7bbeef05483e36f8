import { describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { serverForFile, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const stranger = await server.signup("Stranger");
  return { owner, stranger };
});

describe("the timeline", () => {
  it("merges interactions, notes and field changes of a lead, newest first, filtered by type", async () => {
    const lead = await crm.owner.client.leads.create.mutate({ firstName: "Ada", email: `ada-${unique()}@example.com` });
    const call = await crm.owner.client.interactions.create.mutate({
      kind: "call",
      leadId: lead.id,
      occurredAt: "2099-01-01T00:00:00Z",
    });
    const old = await crm.owner.client.interactions.create.mutate({
      kind: "email",
      leadId: lead.id,
      occurredAt: "2000-01-01T00:00:00Z",
    });
    const note = await crm.owner.client.leads.addNote.mutate({ id: lead.id, body: "Likes tea" });
    await crm.owner.client.leads.update.mutate({ id: lead.id, jobTitle: "CTO" });

    const page = await crm.owner.client.leads.timeline.query({ id: lead.id, limit: 100 });
    const types = page.items.map((entry) => entry.type);
    expect(page.items[0]?.id).toBe(call.id);
    expect(page.items.at(-1)?.id).toBe(old.id);
    expect(types).toContain("note");
    expect(page.items.find((entry) => entry.id === note.id)?.actor.id).toBe(crm.owner.userId);
    const changes = page.items.flatMap((entry) => (entry.type === "fieldChange" ? entry.data.changes : []));
    expect(changes.find((change) => change.field === "jobTitle")?.after).toBe("CTO");
    const interaction = page.items.find((entry) => entry.id === call.id);
    // The client's entries are a union told apart by type: an interaction's data has its kind.
    expect(interaction?.type === "interaction" && interaction.data.kind).toBe("call");
    const times = page.items.map((entry) => new Date(entry.occurredAt).getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const onlyNotes = await crm.owner.client.leads.timeline.query({ id: lead.id, types: ["note"] });
    expect(onlyNotes.items.map((entry) => entry.id)).toEqual([note.id]);
    const rest = await crm.server.rest("GET", `/leads/${lead.id}/timeline?types=interaction`, { token: crm.owner.token() });
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((entry: { id: string }) => entry.id)).toEqual([call.id, old.id]);

    expect((await failure(crm.stranger.client.leads.timeline.query({ id: lead.id }))).httpStatus).toBe(404);
  });

  it("pages through equal timestamps with no duplicates and no gaps", async () => {
    const contact = await crm.owner.client.contacts.create.mutate({ firstName: "Grace" });
    const made = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const kind = i % 2 ? "call" : "note";
      made.add(
        (await crm.owner.client.interactions.create.mutate({ kind, contactId: contact.id, occurredAt: "2030-06-01T00:00:00Z" }))
          .id,
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await crm.owner.client.contacts.timeline.query({ id: contact.id, limit: 2, types: ["interaction"], cursor });
      seen.push(...page.items.map((entry) => entry.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(made);
    expect((await failure(crm.owner.client.contacts.timeline.query({ id: contact.id, cursor: "bogus" }))).httpStatus).toBe(400);
  });

  it("rolls a company's contacts' interactions into its timeline, marked via the contact, each once", async () => {
    const company = await crm.owner.client.companies.create.mutate({ name: `Acme ${unique()}` });
    const linked = await crm.owner.client.contacts.create.mutate({ firstName: "Linked" });
    await crm.owner.client.contacts.linkCompany.mutate({ id: linked.id, companyId: company.id });
    const primary = await crm.owner.client.contacts.create.mutate({ firstName: "Primary", primaryCompanyId: company.id });
    const own = await crm.owner.client.interactions.create.mutate({
      kind: "meeting",
      companyId: company.id,
      occurredAt: "2031-01-03T00:00:00Z",
    });
    const viaLinked = await crm.owner.client.interactions.create.mutate({
      kind: "call",
      contactId: linked.id,
      occurredAt: "2031-01-02T00:00:00Z",
    });
    const viaPrimary = await crm.owner.client.interactions.create.mutate({
      kind: "sms",
      contactId: primary.id,
      occurredAt: "2031-01-01T00:00:00Z",
    });
    // Linked to both: one entry, the company's own.
    const both = await crm.owner.client.interactions.create.mutate({
      kind: "email",
      contactId: linked.id,
      companyId: company.id,
      occurredAt: "2031-01-04T00:00:00Z",
    });

    const page = await crm.owner.client.companies.timeline.query({ id: company.id, types: ["interaction"] });
    expect(page.items.map((entry) => [entry.id, entry.via ?? null])).toEqual([
      [both.id, null],
      [own.id, null],
      [viaLinked.id, { resource: "contacts", id: linked.id }],
      [viaPrimary.id, { resource: "contacts", id: primary.id }],
    ]);
  });
});
