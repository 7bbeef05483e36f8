import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.signup("Owner");
});
afterAll(() => server?.close());

describe("leads through the typed client", () => {
  it("creates, reads, lists, updates and soft-deletes a lead, auditing each write", async () => {
    const created = await owner.client.leads.create.mutate({
      firstName: "Ada",
      lastName: "Lovelace",
      email: "Ada@Example.COM",
      companyName: "Analytical Engines",
      tags: ["Math", "math", "vip"],
    });
    expect(created).toMatchObject({ firstName: "Ada", email: "ada@example.com", status: "new", tags: ["math", "vip"] });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.createdById).toBe(owner.userId);

    expect(await owner.client.leads.byId.query({ id: created.id })).toEqual(created);

    const page = await owner.client.leads.list.query({ search: "analytical" });
    expect(page.items.map((lead) => lead.id)).toEqual([created.id]);

    const updated = await owner.client.leads.update.mutate({ id: created.id, status: "contacted", phone: "+44 20 7946 0000" });
    expect(updated).toMatchObject({ status: "contacted", phone: "+442079460000", updatedById: owner.userId });

    const deleted = await owner.client.leads.delete.mutate({ id: created.id });
    expect(deleted.deletedAt).toBeInstanceOf(Date);
    await expect(owner.client.leads.byId.query({ id: created.id })).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
    expect((await owner.client.leads.list.query({ deleted: "only" })).items.map((l) => l.id)).toEqual([created.id]);

    const audit = await server.prisma.auditLog.findMany({ where: { entityId: created.id }, orderBy: { createdAt: "asc" } });
    expect(audit.map((entry) => entry.action)).toEqual(["create", "update", "delete"]);
    expect(audit[1]?.changes).toMatchObject({
      status: { before: "new", after: "contacted" },
      phone: { before: null, after: "+442079460000" },
      score: { before: created.score, after: created.score + 5 },
    });
    expect(audit.every((entry) => entry.actorUserId === owner.userId && entry.organizationId === owner.orgId)).toBe(true);
  });
});
