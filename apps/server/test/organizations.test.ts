import { randomUUID } from "node:crypto";
import { BUILT_IN_ROLES } from "@crm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { PASSWORD, startTestServer, type TestServer, type TestUser } from "./support/server.ts";
import { decodeClaims } from "./support/tokens.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

async function roleId(user: TestUser, key: string): Promise<string> {
  const role = (await user.client.roles.list.query()).items.find((r) => r.key === key);
  if (!role) throw new Error(`no role ${key}`);
  return role.id;
}

async function ownMembershipId(user: TestUser): Promise<string> {
  const membership = await server.prisma.membership.findUniqueOrThrow({
    where: { organizationId_userId: { organizationId: user.orgId, userId: user.userId } },
  });
  return membership.id;
}

const leadNames = async (user: { client: TestUser["client"] }) =>
  (await user.client.leads.list.query({})).items.map((lead) => lead.firstName).sort();

const sortedPermissions = (key: keyof typeof BUILT_IN_ROLES) => [...BUILT_IN_ROLES[key].permissions].sort();
/** What a built-in role grants beyond a viewer's, in the matrix's order: `leads:write`, then the same verb of every other record resource. */
const beyondViewer = (key: keyof typeof BUILT_IN_ROLES) =>
  BUILT_IN_ROLES[key].permissions.filter((p) => !BUILT_IN_ROLES.viewer.permissions.includes(p));

const notFound = (entity: string) => ({ code: "NOT_FOUND", httpStatus: 404, message: `${entity} not found` });
const forbidden = (message: string) => ({ code: "FORBIDDEN", httpStatus: 403, message });
const conflict = (message: string) => ({ code: "CONFLICT", httpStatus: 409, message });
const LAST_OWNER = "The last owner cannot be removed or demoted; make another member owner first";

describe("organizations", () => {
  it("create makes the caller owner of a new organization with the built-in roles; listMine shows both", async () => {
    const founder = await server.signup("Founder");
    const second = await founder.client.organizations.create.mutate({ name: "Second Venture" });
    expect(second).toMatchObject({ name: "Second Venture" });
    expect(second.slug).toMatch(/^second-venture-[0-9a-f]{6}$/);

    const mine = await founder.client.organizations.listMine.query();
    expect(mine.items.map((o) => [o.id, o.role.key, o.membershipStatus])).toEqual([
      [founder.orgId, "owner", "active"],
      [second.id, "owner", "active"],
    ]);
    const overRest = await server.rest("GET", "/organizations", { token: founder.token() });
    expect(overRest.status).toBe(200);
    expect(overRest.body.items.map((o: { id: string }) => o.id)).toEqual([founder.orgId, second.id]);

    const roles = await server.prisma.role.findMany({ where: { organizationId: second.id }, orderBy: { key: "asc" } });
    expect(roles.map((r) => [r.key, r.isBuiltIn])).toEqual([
      ["admin", true],
      ["agent", true],
      ["manager", true],
      ["owner", true],
      ["viewer", true],
    ]);
    // Creating an organization does not move the session.
    expect((await founder.client.auth.me.query()).activeOrganization.id).toBe(founder.orgId);
  });

  it("byId answers for your organizations, and another's reads NOT_FOUND exactly like one that does not exist", async () => {
    const alice = await server.signup("Alice");
    const bob = await server.signup("Bob");
    expect(await alice.client.organizations.byId.query({ id: alice.orgId })).toMatchObject({
      id: alice.orgId,
      name: "Alice org",
    });
    expect(await failure(alice.client.organizations.byId.query({ id: bob.orgId }))).toEqual(notFound("Organization"));
    expect(await failure(alice.client.organizations.byId.query({ id: randomUUID() }))).toEqual(notFound("Organization"));
    const overRest = await server.rest("GET", `/organizations/${bob.orgId}`, { token: alice.token() });
    expect(overRest.status).toBe(404);
    expect(overRest.body).toMatchObject({ code: "NOT_FOUND", message: "Organization not found" });
  });

  it("update renames the active organization and audits it; any other id is NOT_FOUND; it needs organization:update", async () => {
    const owner = await server.signup("Renamer");
    const renamed = await owner.client.organizations.update.mutate({ id: owner.orgId, name: "Renamed Inc" });
    expect(renamed).toMatchObject({ id: owner.orgId, name: "Renamed Inc" });
    const audit = await server.prisma.auditLog.findFirstOrThrow({ where: { entityType: "organization", entityId: owner.orgId } });
    expect(audit).toMatchObject({ action: "update", actorUserId: owner.userId, changes: { name: { before: "Renamer org" } } });

    const overRest = await server.rest("PATCH", `/organizations/${owner.orgId}`, {
      token: owner.token(),
      body: { name: "Renamed Again" },
    });
    expect(overRest.status).toBe(200);
    expect(overRest.body.name).toBe("Renamed Again");

    const other = await owner.client.organizations.create.mutate({ name: "Not Active" });
    expect(await failure(owner.client.organizations.update.mutate({ id: other.id, name: "Hijack" }))).toEqual(
      notFound("Organization"),
    );
    const agent = await server.member(owner, "agent");
    expect(await failure(agent.client.organizations.update.mutate({ id: owner.orgId, name: "Mine now" }))).toEqual(
      forbidden("Missing permission organization:update"),
    );
    expect((await server.prisma.organization.findUniqueOrThrow({ where: { id: other.id } })).name).toBe("Not Active");
    expect((await server.prisma.organization.findUniqueOrThrow({ where: { id: owner.orgId } })).name).toBe("Renamed Again");
  });

  it("switch issues new tokens for the other organization; afterwards leads.list shows that organization's data", async () => {
    const owner = await server.signup("Switcher");
    await owner.client.leads.create.mutate({ firstName: "InFirst" });
    const second = await owner.client.organizations.create.mutate({ name: "Second" });

    const login = await server.rest("POST", "/auth/login", { body: { email: owner.email, password: PASSWORD } });
    const switched = await server.rest("POST", `/organizations/${second.id}/switch`, { token: login.body.accessToken, body: {} });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ tokenType: "Bearer" });
    expect(switched.body.refreshToken).not.toBe(login.body.refreshToken);
    expect(decodeClaims(switched.body.accessToken)).toMatchObject({
      sid: decodeClaims(login.body.accessToken).sid,
      org: second.id,
    });

    const token = switched.body.accessToken;
    expect((await server.rest("GET", "/leads", { token })).body.items).toEqual([]);
    await server.rest("POST", "/leads", { token, body: { firstName: "InSecond" } });
    expect((await server.rest("GET", "/leads", { token })).body.items.map((l: { firstName: string }) => l.firstName)).toEqual([
      "InSecond",
    ]);
    expect((await server.rest("GET", "/auth/me", { token })).body.activeOrganization.id).toBe(second.id);
    // The token of the session before the switch no longer matches it.
    const stale = await server.rest("GET", "/leads", { token: login.body.accessToken });
    expect(stale.status).toBe(401);
    expect(stale.body.message).toBe("Session not found; log in again");

    // The typed client switches the same way and keeps the new tokens.
    expect(await leadNames(owner)).toEqual(["InFirst"]);
    await owner.client.$session.switchOrganization(second.id);
    expect(await leadNames(owner)).toEqual(["InSecond"]);
    await owner.client.$session.switchOrganization(owner.orgId);
    expect(await leadNames(owner)).toEqual(["InFirst"]);
  });

  it("switch to an organization you are not an active member of is NOT_FOUND and keeps the session where it was", async () => {
    const owner = await server.signup("Stayer");
    const stranger = await server.signup("Stranger");
    expect(await failure(owner.client.organizations.switch.mutate({ id: stranger.orgId }))).toEqual(notFound("Organization"));
    expect(await failure(owner.client.organizations.switch.mutate({ id: randomUUID() }))).toEqual(notFound("Organization"));
    expect((await owner.client.auth.me.query()).activeOrganization.id).toBe(owner.orgId);
  });
});

describe("members", () => {
  it("add puts an existing user in the organization by email with a role; list, byId and the new member see it", async () => {
    const owner = await server.signup("Boss");
    const xavier = await server.signup("Xavier");
    const added = await owner.client.members.add.mutate({
      email: xavier.email.toUpperCase(),
      roleId: await roleId(owner, "agent"),
      title: "SDR",
    });
    expect(added).toMatchObject({
      user: { id: xavier.userId, email: xavier.email, name: "Xavier" },
      role: { key: "agent", name: "Agent" },
      status: "active",
      title: "SDR",
      department: null,
    });

    const listed = await owner.client.members.list.query({ sortOrder: "asc" });
    expect(listed.items.map((m) => [m.user.email, m.role.key, m.status])).toEqual([
      [owner.email, "owner", "active"],
      [xavier.email, "agent", "active"],
    ]);
    expect(await owner.client.members.byId.query({ id: added.id })).toEqual(added);
    expect((await owner.client.members.list.query({ roleId: added.role.id })).items.map((m) => m.id)).toEqual([added.id]);
    const overRest = await server.rest("GET", `/members?search=${encodeURIComponent("xavier")}`, { token: owner.token() });
    expect(overRest.body.items.map((m: { id: string }) => m.id)).toEqual([added.id]);

    const audit = await server.prisma.auditLog.findFirstOrThrow({ where: { entityType: "membership", entityId: added.id } });
    expect(audit).toMatchObject({ action: "create", organizationId: owner.orgId, actorUserId: owner.userId });

    const there = server.client();
    await there.$session.login({ email: xavier.email, password: PASSWORD, organizationId: owner.orgId });
    await there.leads.create.mutate({ firstName: "By Xavier" });
    expect(await leadNames(owner)).toEqual(["By Xavier"]);
  });

  it("add refuses an unknown email (NOT_FOUND) and someone who is already a member (CONFLICT naming the email)", async () => {
    const owner = await server.signup("Gatekeeper");
    const agent = await roleId(owner, "agent");
    expect(await failure(owner.client.members.add.mutate({ email: "nobody@test.dev", roleId: agent }))).toEqual(
      notFound("User with this email"),
    );
    const member = await server.member(owner, "viewer");
    expect(await failure(owner.client.members.add.mutate({ email: member.email, roleId: agent }))).toEqual(
      conflict(`email: ${member.email} is already a member of this organization (member ${member.membershipId})`),
    );
  });

  it("update changes a member's role, and their open session has the new permissions at once", async () => {
    const owner = await server.signup("Promoter");
    const member = await server.member(owner, "agent");
    await member.client.leads.create.mutate({ firstName: "Before" });

    const updated = await owner.client.members.update.mutate({ id: member.membershipId, roleId: await roleId(owner, "viewer") });
    expect(updated.role.key).toBe("viewer");

    expect(await failure(member.client.leads.create.mutate({ firstName: "After" }))).toEqual(
      forbidden("Missing permission leads:write"),
    );
    expect(await leadNames(member)).toEqual(["Before"]);
    const profile = await member.client.auth.me.query();
    expect(profile.role.key).toBe("viewer");
    expect(profile.permissions).toEqual(sortedPermissions("viewer"));
  });

  it("deactivate ends the member's sessions in that organization only; reactivate lets them back in", async () => {
    const owner = await server.signup("Manager");
    const member = await server.member(owner, "agent");
    await owner.client.leads.create.mutate({ firstName: "Secret" });

    const deactivated = await owner.client.members.deactivate.mutate({ id: member.membershipId });
    expect(deactivated.status).toBe("deactivated");

    expect(await failure(member.client.leads.list.query({}))).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message: "Session has been revoked; log in again",
    });
    expect(
      await failure(server.client().$session.login({ email: member.email, password: PASSWORD, organizationId: owner.orgId })),
    ).toEqual(forbidden("organizationId: you are not an active member of this organization"));

    // Their own organization is untouched: a plain login lands there, and they cannot switch back in.
    const elsewhere = server.client();
    const session = await elsewhere.$session.login({ email: member.email, password: PASSWORD });
    expect(session.organization.id).not.toBe(owner.orgId);
    expect(await elsewhere.leads.list.query({})).toEqual({ items: [], nextCursor: null });
    expect(await failure(elsewhere.organizations.switch.mutate({ id: owner.orgId }))).toEqual(notFound("Organization"));
    expect((await owner.client.members.list.query({ status: "deactivated" })).items.map((m) => m.id)).toEqual([
      member.membershipId,
    ]);

    expect((await owner.client.members.reactivate.mutate({ id: member.membershipId })).status).toBe("active");
    const back = server.client();
    await back.$session.login({ email: member.email, password: PASSWORD, organizationId: owner.orgId });
    expect(await leadNames({ client: back })).toEqual(["Secret"]);
  });

  it("the last owner can be neither demoted nor deactivated (CONFLICT); with a second owner they can", async () => {
    const owner = await server.signup("Sole");
    const membershipId = await ownMembershipId(owner);
    const admin = await roleId(owner, "admin");

    expect(await failure(owner.client.members.update.mutate({ id: membershipId, roleId: admin }))).toEqual(conflict(LAST_OWNER));
    expect(await failure(owner.client.members.deactivate.mutate({ id: membershipId }))).toEqual(conflict(LAST_OWNER));
    const row = await server.prisma.membership.findUniqueOrThrow({ where: { id: membershipId }, include: { role: true } });
    expect([row.role.key, row.status]).toEqual(["owner", "active"]);

    const coOwner = await server.member(owner, "owner");
    expect((await owner.client.members.update.mutate({ id: membershipId, roleId: admin })).role.key).toBe("admin");
    // Now the co-owner is the last one.
    expect(await failure(coOwner.client.members.deactivate.mutate({ id: coOwner.membershipId }))).toEqual(conflict(LAST_OWNER));
  });

  it("an admin can neither grant the owner role nor change or deactivate an owner (FORBIDDEN)", async () => {
    const owner = await server.signup("Founder");
    const admin = await server.member(owner, "admin");
    const newcomer = await server.signup("Newcomer");
    const ownerRole = await roleId(owner, "owner");
    const ownerMembership = await ownMembershipId(owner);

    expect(await failure(admin.client.members.add.mutate({ email: newcomer.email, roleId: ownerRole }))).toEqual(
      forbidden("Only an owner can grant the owner role"),
    );
    const added = await admin.client.members.add.mutate({ email: newcomer.email, roleId: await roleId(owner, "agent") });
    expect(await failure(admin.client.members.update.mutate({ id: added.id, roleId: ownerRole }))).toEqual(
      forbidden("Only an owner can grant the owner role"),
    );
    expect(await failure(admin.client.members.update.mutate({ id: admin.membershipId, roleId: ownerRole }))).toEqual(
      forbidden("Only an owner can grant the owner role"),
    );
    expect(
      await failure(admin.client.members.update.mutate({ id: ownerMembership, roleId: await roleId(owner, "viewer") })),
    ).toEqual(forbidden("Only an owner can change another owner"));
    expect(await failure(admin.client.members.deactivate.mutate({ id: ownerMembership }))).toEqual(
      forbidden("Only an owner can change another owner"),
    );

    const roles = await server.prisma.membership.findMany({
      where: { organizationId: owner.orgId },
      include: { role: true, user: true },
      orderBy: { createdAt: "asc" },
    });
    expect(roles.map((m) => [m.user.email, m.role.key, m.status])).toEqual([
      [owner.email, "owner", "active"],
      [admin.email, "admin", "active"],
      [newcomer.email, "agent", "active"],
    ]);
  });
});

describe("custom roles", () => {
  it("a custom role grants exactly its permissions, and changing them applies to its holders at once", async () => {
    const owner = await server.signup("RoleMaker");
    const reader = await owner.client.roles.create.mutate({
      key: "lead-reader",
      name: "Lead reader",
      permissions: ["leads:read", "leads:read"],
    });
    expect(reader).toMatchObject({ key: "lead-reader", name: "Lead reader", isBuiltIn: false, permissions: ["leads:read"] });

    const member = await server.member(owner, "agent");
    expect((await owner.client.members.update.mutate({ id: member.membershipId, roleId: reader.id })).role.key).toBe(
      "lead-reader",
    );
    const profile = await member.client.auth.me.query();
    expect([profile.role.key, profile.permissions]).toEqual(["lead-reader", ["leads:read"]]);

    await owner.client.leads.create.mutate({ firstName: "Visible" });
    expect(await leadNames(member)).toEqual(["Visible"]);
    expect(await failure(member.client.leads.create.mutate({ firstName: "Nope" }))).toEqual(
      forbidden("Missing permission leads:write"),
    );
    expect(await failure(member.client.members.list.query({}))).toEqual(forbidden("Missing permission members:read"));

    await owner.client.roles.update.mutate({ id: reader.id, permissions: ["leads:write", "leads:read"] });
    expect((await member.client.leads.create.mutate({ firstName: "Now allowed" })).firstName).toBe("Now allowed");
    expect((await member.client.auth.me.query()).permissions).toEqual(["leads:read", "leads:write"]);
  });

  it("nobody can grant permissions they do not hold: not through a role, a member's role or an API key", async () => {
    const owner = await server.signup("Delegator");
    const keeperRole = await owner.client.roles.create.mutate({
      key: "role-keeper",
      name: "Role keeper",
      // What a viewer holds, so the keeper may change viewers (nobody changes a member holding more than they do).
      permissions: [...BUILT_IN_ROLES.viewer.permissions, "roles:manage", "members:manage", "apiKeys:manage"],
    });
    const keeper = await server.member(owner, "viewer", "Keeper");
    await owner.client.members.update.mutate({ id: keeper.membershipId, roleId: keeperRole.id });
    const someone = await server.member(owner, "viewer", "Someone");

    const subset = await keeper.client.roles.create.mutate({ key: "reader-too", name: "Reader", permissions: ["leads:read"] });
    expect(subset.permissions).toEqual(["leads:read"]);
    expect(
      await failure(
        keeper.client.roles.create.mutate({ key: "writer", name: "Writer", permissions: ["leads:read", "leads:write"] }),
      ),
    ).toEqual(forbidden("You cannot grant permissions you do not hold: leads:write"));
    expect(
      await failure(keeper.client.roles.update.mutate({ id: subset.id, permissions: ["leads:read", "leads:delete"] })),
    ).toEqual(forbidden("You cannot grant permissions you do not hold: leads:delete"));
    expect(
      await failure(keeper.client.members.update.mutate({ id: someone.membershipId, roleId: await roleId(owner, "agent") })),
    ).toEqual(forbidden(`You cannot grant permissions you do not hold: ${beyondViewer("agent").join(", ")}`));
    expect(
      await failure(keeper.client.apiKeys.create.mutate({ name: "Escalator", roleId: await roleId(owner, "manager") })),
    ).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/^You cannot grant permissions you do not hold: /) });

    expect(await server.prisma.role.count({ where: { organizationId: owner.orgId, key: "writer" } })).toBe(0);
    expect((await owner.client.roles.byId.query({ id: subset.id })).permissions).toEqual(["leads:read"]);
    expect((await owner.client.members.byId.query({ id: someone.membershipId })).role.key).toBe("viewer");
    expect(await server.prisma.apiKey.count({ where: { organizationId: owner.orgId } })).toBe(0);
  });

  it("built-in roles cannot be changed or deleted, and their keys cannot be reused", async () => {
    const owner = await server.signup("Purist");
    const viewer = await roleId(owner, "viewer");
    expect(await failure(owner.client.roles.update.mutate({ id: viewer, permissions: ["leads:read", "leads:write"] }))).toEqual(
      forbidden("Built-in roles cannot be changed; create a custom role instead"),
    );
    expect(await failure(owner.client.roles.update.mutate({ id: viewer, name: "Watcher" }))).toEqual(
      forbidden("Built-in roles cannot be changed; create a custom role instead"),
    );
    expect(await failure(owner.client.roles.delete.mutate({ id: viewer }))).toEqual(
      forbidden("Built-in roles cannot be deleted"),
    );
    expect(await failure(owner.client.roles.create.mutate({ key: "admin", name: "Admin 2", permissions: [] }))).toEqual(
      conflict('key: "admin" is a built-in role'),
    );
    expect(await owner.client.roles.byId.query({ id: viewer })).toMatchObject({
      key: "viewer",
      name: "Viewer",
      isBuiltIn: true,
      permissions: sortedPermissions("viewer"),
    });
  });

  it("a custom role key is unique in its organization, and permissions must be known ones", async () => {
    const owner = await server.signup("Picky");
    await owner.client.roles.create.mutate({ key: "closer", name: "Closer", permissions: ["leads:read"] });
    const duplicate = await failure(owner.client.roles.create.mutate({ key: "closer", name: "Closer 2", permissions: [] }));
    expect(duplicate).toEqual(conflict("Another record already uses this organizationId, key"));

    const unknown = await failure(
      owner.client.roles.create.mutate({ key: "flyer", name: "Flyer", permissions: ["leads:fly"] as never }),
    );
    expect(unknown).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, message: expect.stringMatching(/^permissions\.0: /) });

    // The same key in another organization is another role.
    const other = await server.signup("Elsewhere");
    expect((await other.client.roles.create.mutate({ key: "closer", name: "Closer", permissions: [] })).key).toBe("closer");
  });

  it("a role still held by a member or an API key cannot be deleted (CONFLICT); once free, it can", async () => {
    const owner = await server.signup("Cleaner");
    const temp = await owner.client.roles.create.mutate({ key: "temp", name: "Temp", permissions: ["leads:read"] });
    const member = await server.member(owner, "viewer");
    await owner.client.members.update.mutate({ id: member.membershipId, roleId: temp.id });

    const held = conflict("This role is still held by members or API keys; reassign them first");
    expect(await failure(owner.client.roles.delete.mutate({ id: temp.id }))).toEqual(held);
    await owner.client.members.update.mutate({ id: member.membershipId, roleId: await roleId(owner, "viewer") });
    expect(await owner.client.roles.delete.mutate({ id: temp.id })).toEqual({ ok: true });
    expect(await failure(owner.client.roles.byId.query({ id: temp.id }))).toEqual(notFound("Role"));

    const keyed = await owner.client.roles.create.mutate({ key: "keyed", name: "Keyed", permissions: ["leads:read"] });
    await owner.client.apiKeys.create.mutate({ name: "Reporter", roleId: keyed.id });
    expect(await failure(owner.client.roles.delete.mutate({ id: keyed.id }))).toEqual(held);
    expect(await server.prisma.role.count({ where: { id: keyed.id } })).toBe(1);
  });

  it("a role whose only API keys are revoked can be deleted; the dead keys go with it", async () => {
    const owner = await server.signup("Revoker");
    const role = await owner.client.roles.create.mutate({ key: "reporting", name: "Reporting", permissions: ["leads:read"] });
    const key = await owner.client.apiKeys.create.mutate({ name: "Old report job", roleId: role.id });
    await owner.client.apiKeys.revoke.mutate({ id: key.id });
    expect(await owner.client.roles.delete.mutate({ id: role.id })).toEqual({ ok: true });
    expect(await server.prisma.apiKey.count({ where: { id: key.id } })).toBe(0);
  });

  it("a member manager cannot change members who hold permissions they lack, such as admins", async () => {
    const owner = await server.signup("Boss");
    const admin = await server.member(owner, "admin");
    const hr = await owner.client.roles.create.mutate({
      key: "people-ops",
      name: "People ops",
      permissions: [...BUILT_IN_ROLES.viewer.permissions, "members:manage"],
    });
    const peopleOps = await server.member(owner, "viewer", "PeopleOps");
    await owner.client.members.update.mutate({ id: peopleOps.membershipId, roleId: hr.id });

    const refused = await failure(peopleOps.client.members.deactivate.mutate({ id: admin.membershipId }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("you cannot change them") });
    expect(await failure(peopleOps.client.members.update.mutate({ id: admin.membershipId, title: "Demoted" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    const viewer = await server.member(owner, "viewer", "Intern");
    expect((await peopleOps.client.members.update.mutate({ id: viewer.membershipId, title: "Intern" })).title).toBe("Intern");
  });
});

describe("users", () => {
  it("list and byId show the organization's users only; anyone else is NOT_FOUND", async () => {
    const owner = await server.signup("Lister");
    const member = await server.member(owner, "agent");
    const outsider = await server.signup("Outsider");

    const listed = await owner.client.users.list.query({ sortOrder: "asc" });
    expect(listed.items.map((u) => u.id)).toEqual([owner.userId, member.userId]);
    expect(await owner.client.users.byId.query({ id: member.userId })).toMatchObject({
      id: member.userId,
      email: member.email,
      isActive: true,
    });
    expect(await failure(owner.client.users.byId.query({ id: outsider.userId }))).toEqual(notFound("User"));
    const overRest = await server.rest("GET", `/users/${outsider.userId}`, { token: owner.token() });
    expect(overRest.status).toBe(404);
    expect(overRest.body).toMatchObject({ code: "NOT_FOUND", message: "User not found" });
  });

  it("a user may rename themselves; renaming someone else needs members:manage", async () => {
    const owner = await server.signup("Namer");
    const member = await server.member(owner, "agent");
    expect((await member.client.users.update.mutate({ id: member.userId, name: "Agent Smith" })).name).toBe("Agent Smith");
    expect(await failure(member.client.users.update.mutate({ id: owner.userId, name: "Pwned" }))).toEqual(
      forbidden("Missing permission members:manage to update another user"),
    );
    expect((await owner.client.users.update.mutate({ id: member.userId, name: "Agent Jones" })).name).toBe("Agent Jones");
    expect((await server.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } })).name).toBe("Namer");
  });

  it("deleting yourself deactivates your account everywhere: every session ends and login is refused", async () => {
    const owner = await server.signup("Host");
    const leaver = await server.member(owner, "agent", "Leaver");
    const ownOrg = (await leaver.client.organizations.listMine.query()).items.find((o) => o.id !== owner.orgId);
    if (!ownOrg) throw new Error("the leaver has their own organization");

    // Nobody may leave an organization without an owner.
    expect(await failure(leaver.client.users.delete.mutate({ id: leaver.userId }))).toEqual(
      conflict(`You are the last owner of organization ${ownOrg.id}; make another member owner first`),
    );
    const home = server.client();
    await home.$session.login({ email: leaver.email, password: PASSWORD, organizationId: ownOrg.id });
    const ownerRole = (await home.roles.list.query()).items.find((r) => r.key === "owner");
    await home.members.add.mutate({ email: owner.email, roleId: ownerRole?.id ?? "" });

    expect(await leaver.client.users.delete.mutate({ id: leaver.userId })).toEqual({ ok: true });

    const revoked = { code: "UNAUTHORIZED", httpStatus: 401, message: "Session has been revoked; log in again" };
    expect(await failure(leaver.client.leads.list.query({}))).toEqual(revoked);
    expect(await failure(home.leads.list.query({}))).toEqual(revoked);
    expect(await failure(server.client().$session.login({ email: leaver.email, password: PASSWORD }))).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message: "Email or password is incorrect",
    });
    expect(await owner.client.users.byId.query({ id: leaver.userId })).toMatchObject({ isActive: false });
    const sessions = await server.prisma.session.findMany({ where: { userId: leaver.userId } });
    expect(sessions.every((s) => s.revokedAt !== null)).toBe(true);
  });

  it("an admin deleting a member deactivates only the membership; the user keeps their account", async () => {
    const owner = await server.signup("Org");
    const admin = await server.member(owner, "admin");
    const agent = await server.member(owner, "agent");
    const target = await server.member(owner, "viewer", "Target");

    expect(await failure(agent.client.users.delete.mutate({ id: target.userId }))).toEqual(
      forbidden("Missing permission members:manage to deactivate another user"),
    );
    expect(await failure(admin.client.users.delete.mutate({ id: owner.userId }))).toEqual(
      forbidden("Only an owner can change another owner"),
    );
    expect(await admin.client.users.delete.mutate({ id: target.userId })).toEqual({ ok: true });

    expect((await owner.client.members.byId.query({ id: target.membershipId })).status).toBe("deactivated");
    expect(await failure(target.client.leads.list.query({}))).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
    expect((await server.prisma.user.findUniqueOrThrow({ where: { id: target.userId } })).isActive).toBe(true);
    const session = await server.client().$session.login({ email: target.email, password: PASSWORD });
    expect(session.organization.id).not.toBe(owner.orgId);
  });

  it("me lists every membership with its role and status, and the permissions of the active organization", async () => {
    const owner = await server.signup("Employer");
    const multi = await server.signup("Multi");
    const membership = await owner.client.members.add.mutate({ email: multi.email, roleId: await roleId(owner, "agent") });

    const atHome = await multi.client.auth.me.query();
    expect(atHome.activeOrganization.id).toBe(multi.orgId);
    expect(atHome.role.key).toBe("owner");
    expect(atHome.permissions).toEqual(sortedPermissions("owner"));
    expect(atHome.memberships.map((m) => [m.id, m.role.key, m.membershipStatus])).toEqual([
      [multi.orgId, "owner", "active"],
      [owner.orgId, "agent", "active"],
    ]);

    await multi.client.$session.switchOrganization(owner.orgId);
    const atWork = await multi.client.auth.me.query();
    expect([atWork.activeOrganization.id, atWork.role.key]).toEqual([owner.orgId, "agent"]);
    expect(atWork.permissions).toEqual(sortedPermissions("agent"));

    await owner.client.members.deactivate.mutate({ id: membership.id });
    const again = server.client();
    await again.$session.login({ email: multi.email, password: PASSWORD });
    expect((await again.auth.me.query()).memberships.map((m) => [m.id, m.membershipStatus])).toEqual([
      [multi.orgId, "active"],
      [owner.orgId, "deactivated"],
    ]);
  });
});
