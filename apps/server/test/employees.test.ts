import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { startTestServer, type TestServer, type TestUser } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

/** An organization of its own (figures count everything it holds), with members of the given roles. */
async function organization(name: string, roles: string[]) {
  const owner = await server.signup(name);
  const members: TestUser[] = [];
  for (const [index, role] of roles.entries()) members.push(await server.member(owner, role, `${name}${role}${index}`));
  return { owner, members };
}

const auditOf = (orgId: string, action: string) =>
  server.prisma.auditLog.findMany({ where: { organizationId: orgId, action }, orderBy: { createdAt: "asc" } });

describe("the staff directory", () => {
  it("reads an employee by user id, changes the directory fields over tRPC and REST, and audits the change", async () => {
    const { owner, members } = await organization("Directory", ["agent", "manager"]);
    const [ann, mia] = members as [TestUser, TestUser];

    const changed = await owner.client.employees.update.mutate({
      id: ann.userId,
      department: "Sales",
      title: "Account Executive",
      managerId: mia.userId,
      startDate: "2026-03-01",
      employmentStatus: "on_leave",
    });
    expect(changed).toMatchObject({
      id: ann.userId,
      email: ann.email,
      department: "Sales",
      title: "Account Executive",
      managerId: mia.userId,
      manager: { id: mia.userId, email: mia.email },
      startDate: "2026-03-01",
      employmentStatus: "on_leave",
      memberStatus: "active",
      role: { key: "agent" },
      terminatedAt: null,
    });

    const overRest = await server.rest("PATCH", `/employees/${ann.userId}`, {
      token: owner.token(),
      body: { title: null, employmentStatus: "active" },
    });
    expect(overRest.status).toBe(200);
    expect(overRest.body).toMatchObject({ id: ann.userId, title: null, employmentStatus: "active", startDate: "2026-03-01" });
    const read = await server.rest("GET", `/employees/${ann.userId}`, { token: mia.token() });
    expect(read).toMatchObject({ status: 200, body: { id: ann.userId, department: "Sales", managerId: mia.userId } });

    const entries = await server.prisma.auditLog.findMany({
      where: { organizationId: owner.orgId, entityType: "membership", entityId: changed.membershipId, action: "update" },
      orderBy: { createdAt: "asc" },
    });
    expect(entries.map((entry) => entry.changes)).toEqual([
      {
        department: { before: null, after: "Sales" },
        title: { before: null, after: "Account Executive" },
        managerId: { before: null, after: mia.userId },
        startDate: { before: null, after: "2026-03-01T00:00:00.000Z" },
        employmentStatus: { before: "active", after: "on_leave" },
      },
      { title: { before: "Account Executive", after: null }, employmentStatus: { before: "on_leave", after: "active" } },
    ]);
  });

  it("filters by department, status, manager and a search over name, email and title, in keyset pages", async () => {
    const { owner, members } = await organization("Filters", ["agent", "agent", "agent", "viewer"]);
    const [a, b, c, d] = members as [TestUser, TestUser, TestUser, TestUser];
    const patch = (user: TestUser, values: Record<string, unknown>) =>
      owner.client.employees.update.mutate({ id: user.userId, ...values });
    await patch(a, { department: "Sales", title: "Closer", managerId: owner.userId });
    await patch(b, { department: "sales", title: "Hunter", managerId: owner.userId, employmentStatus: "on_leave" });
    await patch(c, { department: "Support", title: "Helper", managerId: a.userId });
    await patch(d, { title: "Observer of closers" });

    const ids = async (input: Record<string, unknown>) =>
      (await owner.client.employees.list.query(input)).items.map((employee) => employee.id).sort();
    const sorted = (...users: TestUser[]) => users.map((user) => user.userId).sort();

    expect(await ids({})).toEqual(sorted(owner, a, b, c, d));
    expect(await ids({ department: "SALES" })).toEqual(sorted(a, b));
    expect(await ids({ status: ["on_leave"] })).toEqual(sorted(b));
    expect(await ids({ status: ["active"], department: "sales" })).toEqual(sorted(a));
    expect(await ids({ managerId: owner.userId })).toEqual(sorted(a, b));
    expect(await ids({ managerId: a.userId })).toEqual(sorted(c));
    expect(await ids({ search: "closer" })).toEqual(sorted(a, d));
    expect(await ids({ search: c.email.toUpperCase() })).toEqual(sorted(c));

    const rest = await server.rest("GET", "/employees?status=active,on_leave&department=Sales", { token: owner.token() });
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((e: { id: string }) => e.id).sort()).toEqual(sorted(a, b));

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await owner.client.employees.list.query({ limit: 2, sortOrder: "asc", cursor });
      seen.push(...page.items.map((employee) => employee.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([owner, a, b, c, d].map((user) => user.userId));
  });

  it("counts the employees of each department who are not terminated", async () => {
    const { owner, members } = await organization("Departments", ["agent", "agent", "agent", "agent", "agent"]);
    const [s1, s2, s3, p1, p2] = members as TestUser[] as [TestUser, TestUser, TestUser, TestUser, TestUser];
    for (const user of [s1, s2, s3]) await owner.client.employees.update.mutate({ id: user.userId, department: "Sales" });
    await owner.client.employees.update.mutate({ id: p1.userId, department: "Support" });
    await owner.client.employees.update.mutate({ id: p2.userId, department: "Support", employmentStatus: "on_leave" });
    await owner.client.employees.terminate.mutate({ id: s3.userId });
    await owner.client.employees.terminate.mutate({ id: p1.userId });

    // Sales: s1, s2 (s3 terminated); Support: p2 on leave counts, p1 terminated does not; the owner has no department.
    const expected = {
      departments: [
        { name: "Sales", headCount: 2 },
        { name: "Support", headCount: 1 },
      ],
      withoutDepartment: 1,
    };
    expect(await owner.client.employees.departments.query()).toEqual(expected);
    expect(await server.rest("GET", "/employees/departments", { token: owner.token() })).toMatchObject({
      status: 200,
      body: expected,
    });
  });
});

describe("managers", () => {
  it("a manager must be a member of the organization (404 naming managerId), and not the employee", async () => {
    const { owner, members } = await organization("Managers", ["agent"]);
    const [ann] = members as [TestUser];
    const stranger = await server.signup("Outsider");
    for (const managerId of [stranger.userId, randomUUID()]) {
      expect(await failure(owner.client.employees.update.mutate({ id: ann.userId, managerId }))).toEqual({
        code: "NOT_FOUND",
        httpStatus: 404,
        message: "managerId: no member of this organization has this id",
      });
    }
    const self = await server.rest("PATCH", `/employees/${ann.userId}`, {
      token: owner.token(),
      body: { managerId: ann.userId },
    });
    expect(self).toMatchObject({
      status: 400,
      body: { code: "BAD_REQUEST", issues: [{ path: "managerId", message: "an employee cannot be their own manager" }] },
    });
    expect((await owner.client.employees.byId.query({ id: ann.userId })).managerId).toBeNull();
  });

  it("refuses a management cycle, however long (409 naming managerId)", async () => {
    const { owner, members } = await organization("Cycles", ["agent", "agent", "agent"]);
    const [a, b, c] = members as [TestUser, TestUser, TestUser];
    // c reports to b, b to a.
    await owner.client.employees.update.mutate({ id: c.userId, managerId: b.userId });
    await owner.client.employees.update.mutate({ id: b.userId, managerId: a.userId });

    for (const [employee, manager] of [
      [a, b],
      [a, c],
      [b, c],
    ] as const) {
      const refused = await server.rest("PATCH", `/employees/${employee.userId}`, {
        token: owner.token(),
        body: { managerId: manager.userId },
      });
      expect(refused).toMatchObject({ status: 409, body: { code: "CONFLICT", issues: [{ path: "managerId" }] } });
    }
    expect((await owner.client.employees.byId.query({ id: a.userId })).managerId).toBeNull();
    // Not a cycle: a reports to the owner; c moves to report to a directly.
    await owner.client.employees.update.mutate({ id: a.userId, managerId: owner.userId });
    expect((await owner.client.employees.update.mutate({ id: c.userId, managerId: a.userId })).managerId).toBe(a.userId);
  });

  it("refuses values of the directory fields it cannot store, naming them", async () => {
    const { owner, members } = await organization("Values", ["agent"]);
    const [ann] = members as [TestUser];
    for (const [body, path] of [
      [{ startDate: "2026-02-30" }, "startDate"],
      [{ startDate: "2026-03-01T10:00:00Z" }, "startDate"],
      [{ employmentStatus: "terminated" }, "employmentStatus"],
    ] as const) {
      const refused = await server.rest("PATCH", `/employees/${ann.userId}`, { token: owner.token(), body });
      expect(refused.status).toBe(400);
      expect(refused.body.issues[0].path).toBe(path);
    }
  });
});

describe("terminating an employee", () => {
  it("in one call: terminated, deactivated, sessions ended, open records of every resource moved to reassignTo and audited", async () => {
    const { owner, members } = await organization("Leaving", ["agent", "agent"]);
    const [leaver, heir] = members as [TestUser, TestUser];
    const mine = { assignedToId: leaver.userId };
    const open1 = await leaver.client.leads.create.mutate({ firstName: "Open", status: "new", ...mine });
    const open2 = await leaver.client.leads.create.mutate({ firstName: "Working", status: "negotiation", ...mine });
    const won = await leaver.client.leads.create.mutate({ firstName: "Won", status: "won", ...mine });
    const lost = await leaver.client.leads.create.mutate({ firstName: "Lost", status: "lost", ...mine });
    const someoneElses = await owner.client.leads.create.mutate({ firstName: "Owner's", assignedToId: owner.userId });
    const contact = await leaver.client.contacts.create.mutate({ firstName: "Kept", ownerId: leaver.userId });
    const deletedContact = await leaver.client.contacts.create.mutate({ firstName: "Gone", ownerId: leaver.userId });
    await owner.client.contacts.delete.mutate({ id: deletedContact.id });
    const company = await leaver.client.companies.create.mutate({ name: "Leaver Ltd", ownerId: leaver.userId });
    const openTicket = await leaver.client.tickets.create.mutate({ subject: "Open", assigneeId: leaver.userId });
    const waitingTicket = await leaver.client.tickets.create.mutate({ subject: "Waiting", assigneeId: leaver.userId });
    await leaver.client.tickets.setStatus.mutate({ id: waitingTicket.id, status: "pending" });
    const resolvedTicket = await leaver.client.tickets.create.mutate({ subject: "Done", assigneeId: leaver.userId });
    await leaver.client.tickets.resolve.mutate({ id: resolvedTicket.id });
    const campaign = await owner.client.campaigns.create.mutate({ name: "Running", type: "email", ownerId: leaver.userId });
    const finished = await owner.client.campaigns.create.mutate({ name: "Finished", type: "email", ownerId: leaver.userId });
    await owner.client.campaigns.cancel.mutate({ id: finished.id });
    expect((await leaver.client.auth.me.query()).activeOrganization.id).toBe(owner.orgId);

    const result = await server.rest("POST", `/employees/${leaver.userId}/terminate`, {
      token: owner.token(),
      body: { reassignTo: heir.userId },
    });
    expect(result.status).toBe(200);
    expect(result.body.reassigned).toEqual({ leads: 2, contacts: 1, companies: 1, deals: 0, campaigns: 1, tickets: 2 });
    expect(result.body.employee).toMatchObject({
      id: leaver.userId,
      employmentStatus: "terminated",
      memberStatus: "deactivated",
      terminatedAt: expect.any(String),
    });

    const leadOwners = async (ids: string[]) =>
      (await owner.client.leads.list.query({ limit: 100 })).items
        .filter((lead) => ids.includes(lead.id))
        .map((lead) => [lead.firstName, lead.assignedToId]);
    expect(await leadOwners([open1.id, open2.id, won.id, lost.id, someoneElses.id])).toEqual(
      expect.arrayContaining([
        ["Open", heir.userId],
        ["Working", heir.userId],
        ["Won", leaver.userId],
        ["Lost", leaver.userId],
        ["Owner's", owner.userId],
      ]),
    );
    expect((await owner.client.contacts.byId.query({ id: contact.id })).ownerId).toBe(heir.userId);
    expect((await owner.client.contacts.byId.query({ id: deletedContact.id, includeDeleted: true })).ownerId).toBe(leaver.userId);
    expect((await owner.client.companies.byId.query({ id: company.id })).ownerId).toBe(heir.userId);
    const ticketAssignees = await Promise.all(
      [openTicket, waitingTicket, resolvedTicket].map(
        async ({ id }) => (await owner.client.tickets.byId.query({ id })).assigneeId,
      ),
    );
    // A resolved ticket stays with whoever resolved it, a cancelled campaign with its owner.
    expect(ticketAssignees).toEqual([heir.userId, heir.userId, leaver.userId]);
    expect((await owner.client.campaigns.byId.query({ id: campaign.id })).ownerId).toBe(heir.userId);
    expect((await owner.client.campaigns.byId.query({ id: finished.id })).ownerId).toBe(leaver.userId);

    const reassigned = await auditOf(owner.orgId, "reassign");
    expect(reassigned.map((entry) => [entry.entityType, entry.entityId]).sort()).toEqual(
      [
        ["lead", open1.id],
        ["lead", open2.id],
        ["contact", contact.id],
        ["company", company.id],
        ["ticket", openTicket.id],
        ["ticket", waitingTicket.id],
        ["campaign", campaign.id],
      ].sort(),
    );
    const leadEntry = reassigned.find((entry) => entry.entityId === open1.id);
    expect(leadEntry?.changes).toEqual({ assignedToId: { before: leaver.userId, after: heir.userId } });
    expect(leadEntry?.actorUserId).toBe(owner.userId);
    expect((await owner.client.leads.history.query({ id: open1.id })).items[0]).toMatchObject({ action: "reassign" });
    const [terminated] = await auditOf(owner.orgId, "terminate");
    expect(terminated).toMatchObject({ entityType: "membership", entityId: result.body.employee.membershipId });
    expect(terminated?.changes).toMatchObject({
      status: { before: "active", after: "deactivated" },
      employmentStatus: { before: "active", after: "terminated" },
    });

    // Their token no longer works in the organization, over either transport.
    expect(await failure(leaver.client.auth.me.query())).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
    expect((await server.rest("GET", "/leads", { token: leaver.token() })).status).toBe(401);
    expect(
      await server.prisma.session.count({ where: { userId: leaver.userId, organizationId: owner.orgId, revokedAt: null } }),
    ).toBe(0);

    const again = await failure(owner.client.employees.terminate.mutate({ id: leaver.userId }));
    expect(again).toEqual({
      code: "CONFLICT",
      httpStatus: 409,
      message: `id: employee ${leaver.userId} is already terminated`,
    });
  });

  it("without reassignTo the records stay where they are", async () => {
    const { owner, members } = await organization("Stays", ["agent"]);
    const [leaver] = members as [TestUser];
    const lead = await leaver.client.leads.create.mutate({ firstName: "Mine", assignedToId: leaver.userId });
    const result = await owner.client.employees.terminate.mutate({ id: leaver.userId });
    expect(result.reassigned).toEqual({ leads: 0, contacts: 0, companies: 0, deals: 0, campaigns: 0, tickets: 0 });
    expect((await owner.client.leads.byId.query({ id: lead.id })).assignedToId).toBe(leaver.userId);
  });

  it("reassignTo must be another, active member: 404 or 400 naming reassignTo, nothing written", async () => {
    const { owner, members } = await organization("Heirs", ["agent", "agent"]);
    const [leaver, gone] = members as [TestUser, TestUser];
    await owner.client.employees.terminate.mutate({ id: gone.userId });
    const lead = await leaver.client.leads.create.mutate({ firstName: "Stays", assignedToId: leaver.userId });
    const stranger = await server.signup("Stranger");
    const auditBefore = await server.prisma.auditLog.count({ where: { organizationId: owner.orgId } });

    const cases = [
      [gone.userId, 400, "reassignTo: is not an active member of this organization"],
      [leaver.userId, 400, "reassignTo: must be another member than the one terminated"],
      [stranger.userId, 404, "reassignTo: no member of this organization has this id"],
      [randomUUID(), 404, "reassignTo: no member of this organization has this id"],
    ] as const;
    for (const [reassignTo, status, message] of cases) {
      const refused = await server.rest("POST", `/employees/${leaver.userId}/terminate`, {
        token: owner.token(),
        body: { reassignTo },
      });
      expect(refused).toMatchObject({ status, body: { message, issues: [{ path: "reassignTo" }] } });
    }
    expect(await owner.client.employees.byId.query({ id: leaver.userId })).toMatchObject({
      employmentStatus: "active",
      memberStatus: "active",
    });
    expect((await owner.client.leads.byId.query({ id: lead.id })).assignedToId).toBe(leaver.userId);
    expect(await server.prisma.auditLog.count({ where: { organizationId: owner.orgId } })).toBe(auditBefore);
    expect((await leaver.client.auth.me.query()).activeOrganization.id).toBe(owner.orgId);
  });

  it("refuses to terminate the last owner (409 naming id), and terminates an owner who is not the last", async () => {
    const { owner, members } = await organization("Owners", ["admin", "owner"]);
    const [admin, coOwner] = members as [TestUser, TestUser];
    const lead = await owner.client.leads.create.mutate({ firstName: "Owned", assignedToId: owner.userId });
    // The co-owner leaves first; then the founder is the only owner left.
    expect((await owner.client.employees.terminate.mutate({ id: coOwner.userId })).employee.employmentStatus).toBe("terminated");
    const refused = await server.rest("POST", `/employees/${owner.userId}/terminate`, {
      token: owner.token(),
      body: { reassignTo: admin.userId },
    });
    expect(refused).toMatchObject({
      status: 409,
      body: { code: "CONFLICT", issues: [{ path: "id" }] },
    });
    expect((await owner.client.employees.byId.query({ id: owner.userId })).employmentStatus).toBe("active");
    expect((await owner.client.leads.byId.query({ id: lead.id })).assignedToId).toBe(owner.userId);
    // Only owners change owners.
    expect(await failure(admin.client.employees.terminate.mutate({ id: owner.userId }))).toMatchObject({ code: "FORBIDDEN" });
  });

  it("moving records is assigning them: without <resource>:assign the termination is refused and nothing is written", async () => {
    const { owner, members } = await organization("Assign", ["agent", "agent"]);
    const [leaver, heir] = members as [TestUser, TestUser];
    const agentPermissions = (await leaver.client.auth.me.query()).permissions;
    await owner.client.roles.create.mutate({
      key: "people",
      name: "People team",
      permissions: [...agentPermissions, "members:manage"] as never,
    });
    const people = await server.member(owner, "people", "People");
    const lead = await leaver.client.leads.create.mutate({ firstName: "Mine", assignedToId: leaver.userId });

    expect(await failure(people.client.employees.terminate.mutate({ id: leaver.userId, reassignTo: heir.userId }))).toEqual({
      code: "FORBIDDEN",
      httpStatus: 403,
      message: "Missing permission leads:assign to reassign leads",
    });
    expect((await owner.client.employees.byId.query({ id: leaver.userId })).employmentStatus).toBe("active");
    expect((await owner.client.leads.byId.query({ id: lead.id })).assignedToId).toBe(leaver.userId);
    expect((await leaver.client.auth.me.query()).activeOrganization.id).toBe(owner.orgId);
    // Without records to move, the same caller terminates.
    expect((await people.client.employees.terminate.mutate({ id: heir.userId })).employee.employmentStatus).toBe("terminated");
  });

  it("viewers read the directory; changing it needs members:manage", async () => {
    const { owner, members } = await organization("Gates", ["viewer"]);
    const [viewer] = members as [TestUser];
    expect((await viewer.client.employees.list.query({})).items).toHaveLength(2);
    expect(await failure(viewer.client.employees.update.mutate({ id: owner.userId, title: "Boss" }))).toEqual({
      code: "FORBIDDEN",
      httpStatus: 403,
      message: "Missing permission members:manage",
    });
  });
});
