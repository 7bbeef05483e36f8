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

  it("rolls a company's contacts' and deals' meetings and its contacts' tickets into its timeline, marked via, each once", async () => {
    const { client } = crm.owner;
    const company = await client.companies.create.mutate({ name: `Rollup ${unique()}` });
    const other = await client.companies.create.mutate({ name: `Elsewhere ${unique()}` });
    const primary = await client.contacts.create.mutate({ firstName: "Primary", primaryCompanyId: company.id });
    const linked = await client.contacts.create.mutate({ firstName: "Linked" });
    await client.contacts.linkCompany.mutate({ id: linked.id, companyId: company.id });
    const outsider = await client.contacts.create.mutate({ firstName: "Outsider", primaryCompanyId: other.id });
    const deal = await client.deals.create.mutate({ name: `Deal ${unique()}`, companyId: company.id });

    const hour = (hh: number) => `2032-03-01T${String(hh).padStart(2, "0")}:00:00.000Z`;
    const meet = (hh: number, links: { contactId?: string; companyId?: string; dealId?: string }) =>
      client.meetings.create.mutate({ title: `Meeting ${unique()}`, startAt: hour(hh), endAt: hour(hh + 1), ...links });
    const own = await meet(1, { companyId: company.id });
    const ofPrimary = await meet(2, { contactId: primary.id });
    const ofLinked = await meet(3, { contactId: linked.id });
    // Linked to the company and to one of its contacts: once, the company's own.
    const ownAndLinked = await meet(4, { contactId: linked.id, companyId: company.id });
    const ofDeal = await meet(5, { dealId: deal.id });
    // Linked to a deal and a contact of the company: once, through the contact.
    const ofDealAndPrimary = await meet(6, { dealId: deal.id, contactId: primary.id });
    // A contact of another company: through the deal only.
    const ofDealAndOutsider = await meet(7, { dealId: deal.id, contactId: outsider.id });
    const ofOutsider = await meet(8, { contactId: outsider.id });
    // Another company's, with one of this company's contacts: through the contact.
    const ofPrimaryAtOther = await meet(9, { contactId: primary.id, companyId: other.id });

    const ticket = (links: { contactId?: string; companyId?: string }) =>
      client.tickets.create.mutate({ subject: `Ticket ${unique()}`, ...links });
    const ownTicket = await ticket({ companyId: company.id });
    const primaryTicket = await ticket({ contactId: primary.id });
    const linkedTicket = await ticket({ contactId: linked.id });
    const ownAndLinkedTicket = await ticket({ contactId: linked.id, companyId: company.id });
    const outsiderTicket = await ticket({ contactId: outsider.id });
    const primaryAtOtherTicket = await ticket({ contactId: primary.id, companyId: other.id });

    type Entry = { type: string; id: string; via?: { resource: string; id: string } | null };
    const shape = (entries: Entry[]) => entries.map((entry) => [entry.type, entry.id, entry.via ?? null]);
    const byId = (rows: unknown[][]) => [...rows].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    const viaPrimary = { resource: "contacts", id: primary.id };
    const viaLinked = { resource: "contacts", id: linked.id };
    const viaDeal = { resource: "deals", id: deal.id };

    const meetings = await client.companies.timeline.query({ id: company.id, types: ["meeting"], limit: 100 });
    expect(shape(meetings.items)).toEqual([
      ["meeting", ofPrimaryAtOther.id, viaPrimary],
      ["meeting", ofDealAndOutsider.id, viaDeal],
      ["meeting", ofDealAndPrimary.id, viaPrimary],
      ["meeting", ofDeal.id, viaDeal],
      ["meeting", ownAndLinked.id, null],
      ["meeting", ofLinked.id, viaLinked],
      ["meeting", ofPrimary.id, viaPrimary],
      ["meeting", own.id, null],
    ]);
    expect(meetings.items.map((entry) => entry.id)).not.toContain(ofOutsider.id);

    // Tickets are at their creation, possibly the same millisecond: the set, then the order.
    const tickets = await client.companies.timeline.query({ id: company.id, types: ["ticket"], limit: 100 });
    const expectedTickets = [
      ["ticket", ownTicket.id, null],
      ["ticket", primaryTicket.id, viaPrimary],
      ["ticket", linkedTicket.id, viaLinked],
      ["ticket", ownAndLinkedTicket.id, null],
      ["ticket", primaryAtOtherTicket.id, viaPrimary],
    ];
    expect(byId(shape(tickets.items))).toEqual(byId(expectedTickets));
    expect(tickets.items.map((entry) => entry.id)).not.toContain(outsiderTicket.id);
    const order = tickets.items.map((entry) => [new Date(entry.occurredAt).getTime(), entry.id] as const);
    expect(order).toEqual([...order].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1)));
    const ticketEntry = tickets.items.find((entry) => entry.id === primaryTicket.id);
    expect(ticketEntry?.type === "ticket" && ticketEntry.data).toMatchObject({
      displayNumber: primaryTicket.displayNumber,
      contactId: primary.id,
      companyId: null,
    });

    // Two at a time through the cursor: the same entries, each once.
    const paged: Entry[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.companies.timeline.query({ id: company.id, types: ["meeting", "ticket"], limit: 2, cursor });
      paged.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toHaveLength(13);
    expect(byId(shape(paged))).toEqual(byId([...shape(meetings.items), ...expectedTickets]));

    // A contact's own timeline rolls nothing up: its own meetings and tickets, none via.
    const ofContact = await client.contacts.timeline.query({ id: linked.id, types: ["meeting", "ticket"], limit: 100 });
    expect(byId(shape(ofContact.items))).toEqual(
      byId([
        ["meeting", ofLinked.id, null],
        ["meeting", ownAndLinked.id, null],
        ["ticket", linkedTicket.id, null],
        ["ticket", ownAndLinkedTicket.id, null],
      ]),
    );
    const ofPrimaryContact = await client.contacts.timeline.query({ id: primary.id, types: ["meeting"], limit: 100 });
    expect(shape(ofPrimaryContact.items)).toEqual([
      ["meeting", ofPrimaryAtOther.id, null],
      ["meeting", ofDealAndPrimary.id, null],
      ["meeting", ofPrimary.id, null],
    ]);

    // The other company sees its own and its contact's, none of this company's.
    const elsewhere = await client.companies.timeline.query({ id: other.id, types: ["meeting", "ticket"], limit: 100 });
    expect(byId(shape(elsewhere.items))).toEqual(
      byId([
        ["meeting", ofDealAndOutsider.id, { resource: "contacts", id: outsider.id }],
        ["meeting", ofOutsider.id, { resource: "contacts", id: outsider.id }],
        ["meeting", ofPrimaryAtOther.id, null],
        ["ticket", outsiderTicket.id, { resource: "contacts", id: outsider.id }],
        ["ticket", primaryAtOtherTicket.id, null],
      ]),
    );
  });
});
