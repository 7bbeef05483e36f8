import { TRPCClientError } from "@crm-api/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

/**
 * Many writers of the same leads at once, through the real server (REST and tRPC): each write
 * reads the lead as the previous write left it, so no acknowledged change is lost, each has
 * exactly one audit entry, the entries chain, and what is derived from the fields (search text,
 * score, the status's default probability) follows the fields that won.
 */

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signup("Owner");
});
afterAll(() => server?.close());

type Changes = Record<string, { before: unknown; after: unknown }>;

async function auditOf(leadId: string) {
  return server.prisma.auditLog.findMany({
    where: { organizationId: owner.orgId, entityType: "lead", entityId: leadId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
}

/**
 * Follows `field` through the update entries: each entry's `before` must be the value the
 * previous one left (the chain starts at `initial`), every entry used once. Returns the value at
 * the end of the chain.
 */
function followChain(entries: { changes: unknown }[], field: string, initial: unknown): unknown {
  const touching = entries.map((entry) => (entry.changes as Changes)[field]).filter((change) => change !== undefined);
  const byBefore = new Map<string, { before: unknown; after: unknown }[]>();
  for (const change of touching) {
    const key = JSON.stringify(change.before);
    byBefore.set(key, [...(byBefore.get(key) ?? []), change]);
  }
  let value = initial;
  for (let step = 0; step < touching.length; step++) {
    const next = byBefore.get(JSON.stringify(value)) ?? [];
    expect(next, `${field}: entries whose before is ${JSON.stringify(value)} (step ${step})`).toHaveLength(1);
    byBefore.delete(JSON.stringify(value));
    value = (next[0] as { after: unknown }).after;
  }
  return value;
}

/** The HTTP status a typed-client call was answered with. */
function trpcStatus(call: Promise<unknown>): Promise<number> {
  return call.then(
    () => 200,
    (error: unknown) => {
      if (!(error instanceof TRPCClientError)) throw error;
      return (error.data as { httpStatus?: number } | undefined)?.httpStatus ?? 0;
    },
  );
}

async function restStatus(method: string, path: string, token: string, body: unknown): Promise<number> {
  return (await server.rest(method, path, { token, body })).status;
}

/**
 * Sends a write again while the server answers 503 (a burst can outrun the connection pool, which
 * is not what these tests are about), as a client does after Retry-After, and returns the final
 * status; any other 5xx fails the test. A refused attempt must have written nothing: a second audit entry or
 * a second counted call would show in the assertions.
 */
async function acknowledged(send: () => Promise<number>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const status = await send();
    if (status !== 503 || attempt === 20) return status;
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
  }
}

async function searchFinds(term: string, leadId: string): Promise<boolean> {
  const page = await owner.client.leads.list.query({ search: term, limit: 100 });
  return page.items.some((lead) => lead.id === leadId);
}

describe("100 concurrent writes of one lead", () => {
  it("every acknowledged change has one audit entry, the entries chain field by field, and derived data follows the final fields", async () => {
    const lead = await owner.client.leads.create.mutate({
      firstName: "Storm",
      lastName: "Initial",
      companyName: "Initial Co",
      source: "website",
    });
    const token = owner.token();
    const statuses = ["contacted", "qualified", "proposal", "negotiation"] as const;
    type Write = { kind: "lastName" | "companyName" | "status" | "call"; value?: string; status: Promise<number> };
    const writes: Write[] = [];
    for (let i = 0; i < 100; i++) {
      const kind = (["lastName", "companyName", "status", "call"] as const)[i % 4] as Write["kind"];
      // REST and tRPC alternate: both go through the same write path.
      const overRest = i % 8 < 4;
      if (kind === "lastName" || kind === "companyName") {
        const value = kind === "lastName" ? `Last${i}x` : `Company${i}y`;
        const status = acknowledged(() =>
          overRest
            ? restStatus("PATCH", `/leads/${lead.id}`, token, { [kind]: value })
            : trpcStatus(owner.client.leads.update.mutate({ id: lead.id, [kind]: value })),
        );
        writes.push({ kind, value, status });
      } else if (kind === "status") {
        const value = statuses[(i >> 2) % statuses.length] as (typeof statuses)[number];
        writes.push({
          kind,
          value,
          status: acknowledged(() => trpcStatus(owner.client.leads.update.mutate({ id: lead.id, status: value }))),
        });
      } else {
        const status = acknowledged(() =>
          overRest
            ? restStatus("POST", `/leads/${lead.id}/calls`, token, {})
            : trpcStatus(owner.client.leads.logCall.mutate({ id: lead.id })),
        );
        writes.push({ kind, status });
      }
    }
    // Every write is valid and the lead is there throughout: each is acknowledged.
    expect(await Promise.all(writes.map((write) => write.status))).toEqual(writes.map(() => 200));

    const final = await owner.client.leads.byId.query({ id: lead.id });
    const audit = await auditOf(lead.id);
    const updates = audit.filter((entry) => entry.action === "update");
    // A status write that found the status already set changes nothing and writes no entry.
    const changing = writes.filter((write) => write.kind !== "status").length;
    expect(updates.length).toBeGreaterThanOrEqual(changing);
    expect(updates.length).toBeLessThanOrEqual(writes.length);

    expect(followChain(updates, "lastName", "Initial")).toBe(final.lastName);
    expect(followChain(updates, "companyName", "Initial Co")).toBe(final.companyName);
    expect(followChain(updates, "callAttempts", 0)).toBe(final.callAttempts);
    // Status values repeat, so no chain by value: each status change carries its default probability.
    const probabilities: Record<string, number> = { contacted: 0.1, qualified: 0.25, proposal: 0.5, negotiation: 0.7 };
    for (const entry of updates) {
      const changes = entry.changes as Changes;
      if (changes.status) expect(changes.conversionProbability?.after).toBe(probabilities[changes.status.after as string]);
    }
    // Each lastName and companyName write set a value no other write sets: each is one entry.
    for (const field of ["lastName", "companyName"] as const) {
      const values = updates.map((entry) => (entry.changes as Changes)[field]?.after).filter(Boolean);
      expect(values.sort()).toEqual(
        writes
          .filter((write) => write.kind === field)
          .map((write) => write.value)
          .sort(),
      );
    }
    // No call was lost: each counted once.
    expect(final.callAttempts).toBe(writes.filter((write) => write.kind === "call").length);

    // Findable by its current name and company, not by the ones it no longer has.
    expect(await searchFinds(final.lastName as string, lead.id)).toBe(true);
    expect(await searchFinds(final.companyName as string, lead.id)).toBe(true);
    const stale = writes.find((write) => write.kind === "lastName" && write.value !== final.lastName)?.value as string;
    expect(await searchFinds(stale, lead.id)).toBe(false);
    expect(final.conversionProbability).toBe(probabilities[final.status]);

    // The score is the one the same fields give when written one at a time.
    const twin = await owner.client.leads.create.mutate({
      firstName: "Storm",
      lastName: final.lastName,
      companyName: final.companyName,
      source: "website",
    });
    for (let i = 0; i < final.callAttempts; i++) await owner.client.leads.logCall.mutate({ id: twin.id });
    const status = final.status === "converted" ? undefined : final.status;
    const settled = await owner.client.leads.update.mutate({ id: twin.id, status });
    expect(final.score).toBe(settled.score);
    expect(final.scoreBreakdown).toEqual(settled.scoreBreakdown);
    // The writes run one after another on the lead's lock; a busy machine needs more than the default.
  }, 120_000);
});

describe("concurrent writes of the same leads by different procedures", () => {
  it("bulk operations naming the same leads in opposite orders and single-lead actions all commit (no deadlock)", async () => {
    const leads = await Promise.all(
      Array.from({ length: 6 }, (_, i) => owner.client.leads.create.mutate({ firstName: `Overlap${i}`, lastName: "Bulk" })),
    );
    const ids = leads.map((lead) => lead.id);
    const reversed = [...ids].reverse();
    const calls: Promise<number>[] = [];
    const callsPerLead = new Map<string, number>();
    const send = (call: () => Promise<unknown>) => calls.push(acknowledged(() => trpcStatus(call())));
    for (let round = 0; round < 6; round++) {
      send(() => owner.client.leads.bulkUpdateStatus.mutate({ ids, status: round % 2 ? "contacted" : "qualified" }));
      send(() => owner.client.leads.bulkAssign.mutate({ ids: reversed, assignedToId: round % 2 ? owner.userId : null }));
      const called = ids[round] as string;
      callsPerLead.set(called, (callsPerLead.get(called) ?? 0) + 1);
      send(() => owner.client.leads.logCall.mutate({ id: called }));
      send(() => owner.client.leads.addNote.mutate({ id: ids[5 - round] as string, body: `note ${round}` }));
    }
    expect(await Promise.all(calls)).toEqual(calls.map(() => 200));
    for (const lead of leads) {
      const final = await owner.client.leads.byId.query({ id: lead.id });
      const updates = (await auditOf(lead.id)).filter((entry) => entry.action === "update");
      expect(final.callAttempts).toBe(callsPerLead.get(lead.id) ?? 0);
      expect(followChain(updates, "callAttempts", 0)).toBe(final.callAttempts);
    }
  });

  it("a delete racing updates: each update lands before the delete or is NOT_FOUND after it; one delete", async () => {
    const lead = await owner.client.leads.create.mutate({ firstName: "Doomed", lastName: "Lead0" });
    const outcome = (call: () => Promise<unknown>) => acknowledged(() => trpcStatus(call()));
    const updates = Array.from({ length: 20 }, (_, i) =>
      outcome(() => owner.client.leads.update.mutate({ id: lead.id, lastName: `Lead${i + 1}` })),
    );
    const deletes = Array.from({ length: 3 }, () => outcome(() => owner.client.leads.delete.mutate({ id: lead.id })));
    const [updateOutcomes, deleteOutcomes] = await Promise.all([Promise.all(updates), Promise.all(deletes)]);
    expect(deleteOutcomes.sort()).toEqual([200, 404, 404]);
    expect(updateOutcomes.filter((status) => status !== 200 && status !== 404)).toEqual([]);

    const deleted = await owner.client.leads.byId.query({ id: lead.id, includeDeleted: true });
    const audit = await auditOf(lead.id);
    const updateEntries = audit.filter((entry) => entry.action === "update");
    expect(updateEntries).toHaveLength(updateOutcomes.filter((status) => status === 200).length);
    expect(followChain(updateEntries, "lastName", "Lead0")).toBe(deleted.lastName);
    expect(audit.filter((entry) => entry.action === "delete")).toHaveLength(1);
  });
});
