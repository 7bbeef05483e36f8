import type { Membership, Prisma } from "@crm/db";
import { revokeSessionsWhere } from "../../auth/sessions.ts";
import { conflict, forbidden, notFound, WHOLE_INPUT } from "../../errors.ts";
import { writeAudit } from "../../lib/audit.ts";
import { permissionsOfRole } from "../../permissions.ts";
import type { OrgContext } from "../../trpc.ts";
import { assertCanGrant, callerIsOwner, findRoleInOrg } from "../roles/service.ts";

export const memberInclude = {
  user: { select: { id: true, email: true, name: true } },
  role: { select: { id: true, key: true, name: true, isBuiltIn: true, permissions: true } },
} as const;

export async function findMemberInOrg(tx: Prisma.TransactionClient, ctx: OrgContext, membershipId: string) {
  const member = await tx.membership.findFirst({
    where: { id: membershipId, organizationId: ctx.org.id },
    include: memberInclude,
  });
  if (!member) throw notFound("Member");
  return member;
}

/**
 * Ownership changes are serialised per organization (row lock on the org), so two concurrent
 * demotions can never leave it without an owner.
 */
export async function lockOrganization(tx: Prisma.TransactionClient, organizationId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM "Organization" WHERE id = ${organizationId}::uuid FOR UPDATE`;
}

/** `field`: what the refusal names (the member's id when the caller named them by it). */
export async function assertNotLastOwner(
  tx: Prisma.TransactionClient,
  ctx: OrgContext,
  member: { role: { key: string }; status: string },
  field: string = WHOLE_INPUT,
) {
  if (member.role.key !== "owner" || member.status !== "active") return;
  const owners = await tx.membership.count({
    where: { organizationId: ctx.org.id, status: "active", role: { key: "owner", isBuiltIn: true } },
  });
  if (owners <= 1) throw conflict(field, "The last owner cannot be removed or demoted; make another member owner first");
}

/** Nobody changes a member who holds permissions they do not hold themselves; only owners change owners. */
export function assertMayManage(ctx: OrgContext, member: { role: { key: string; isBuiltIn: boolean; permissions: string[] } }) {
  if (member.role.key === "owner" && member.role.isBuiltIn && !callerIsOwner(ctx)) {
    throw forbidden("Only an owner can change another owner");
  }
  const beyondCaller = [...permissionsOfRole(member.role)].filter((p) => !ctx.permissions.has(p));
  if (beyondCaller.length) {
    throw forbidden(`This member holds permissions you do not (${beyondCaller.join(", ")}); you cannot change them`);
  }
}

export async function addMember(
  db: Prisma.TransactionClient,
  ctx: OrgContext,
  input: { email: string; roleId: string; department?: string; title?: string },
) {
  const role = await findRoleInOrg(db, ctx, input.roleId, "roleId");
  assertCanGrant(ctx, role);
  const user = await db.user.findUnique({ where: { email: input.email } });
  if (!user?.isActive) throw notFound("User with this email");
  const existing = await db.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId: user.id } },
  });
  if (existing)
    throw conflict("email", `${input.email} is already a member of this organization (member ${existing.id})`, {
      existingId: existing.id,
    });
  const member = await db.membership.create({
    data: { organizationId: ctx.org.id, userId: user.id, roleId: role.id, department: input.department, title: input.title },
    include: memberInclude,
  });
  await writeAudit(db, ctx, {
    action: "create",
    entityType: "membership",
    entityId: member.id,
    before: null,
    after: membershipSnapshot(member),
  });
  return member;
}

export async function updateMember(
  tx: Prisma.TransactionClient,
  ctx: OrgContext,
  input: { id: string; roleId?: string; department?: string | null; title?: string | null },
) {
  await lockOrganization(tx, ctx.org.id);
  const before = await findMemberInOrg(tx, ctx, input.id);
  assertMayManage(ctx, before);
  if (input.roleId && input.roleId !== before.role.id) {
    const role = await findRoleInOrg(tx, ctx, input.roleId, "roleId");
    assertCanGrant(ctx, role);
    if (!(role.key === "owner" && role.isBuiltIn)) await assertNotLastOwner(tx, ctx, before);
  }
  const after = await tx.membership.update({
    where: { id: before.id },
    data: { roleId: input.roleId, department: input.department, title: input.title },
    include: memberInclude,
  });
  await auditMembershipChange(tx, ctx, "update", before, after);
  return after;
}

export async function setMemberStatus(
  tx: Prisma.TransactionClient,
  ctx: OrgContext,
  id: string,
  status: "active" | "deactivated",
) {
  await lockOrganization(tx, ctx.org.id);
  const before = await findMemberInOrg(tx, ctx, id);
  assertMayManage(ctx, before);
  if (status === "deactivated") await assertNotLastOwner(tx, ctx, before);
  const after = await tx.membership.update({ where: { id }, data: { status }, include: memberInclude });
  if (status === "deactivated") {
    await revokeSessionsWhere(tx, { userId: after.user.id, organizationId: ctx.org.id }, "membership_deactivated");
  }
  await auditMembershipChange(tx, ctx, "update", before, after);
  return after;
}

/** A membership as its audit entries keep it (members and employees alike). */
/** Audits a change of a membership (`update`, or a named action: `terminate`) with its before and after. */
export function auditMembershipChange(
  tx: Prisma.TransactionClient,
  ctx: OrgContext,
  action: string,
  before: Membership,
  after: Membership,
) {
  return writeAudit(tx, ctx, {
    action,
    entityType: "membership",
    entityId: after.id,
    before: membershipSnapshot(before),
    after: membershipSnapshot(after),
  });
}

export function membershipSnapshot(member: Membership) {
  return {
    userId: member.userId,
    roleId: member.roleId,
    department: member.department,
    title: member.title,
    status: member.status,
    managerId: member.managerId,
    employmentStatus: member.employmentStatus,
    startDate: member.startDate,
    terminatedAt: member.terminatedAt,
  };
}
