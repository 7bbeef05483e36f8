import type { Prisma } from "@crm/db";
import { forbidden, notFound } from "../../errors.ts";
import { referenceNotFound } from "../../kit/records.ts";
import { permissionsOfRole } from "../../permissions.ts";
import type { OrgContext } from "../../trpc.ts";

/**
 * The organization's role `roleId`, or NOT_FOUND: naming `field` when the role is referenced by
 * another input (the `roleId` a member or an API key is given).
 */
export async function findRoleInOrg(db: Prisma.TransactionClient, ctx: OrgContext, roleId: string, field?: string) {
  const role = await db.role.findFirst({ where: { id: roleId, organizationId: ctx.org.id } });
  if (!role) throw field ? referenceNotFound(field, "Role not found") : notFound("Role");
  return role;
}

function callerRoleKey(ctx: OrgContext): string {
  return ctx.principal.kind === "user" ? ctx.principal.membership.role.key : ctx.principal.role.key;
}

export function callerIsOwner(ctx: OrgContext): boolean {
  return callerRoleKey(ctx) === "owner";
}

/**
 * No privilege escalation: a caller may hand out (to a member, a custom role or an API key) only
 * permissions they hold themselves, and only an owner may make someone an owner.
 */
export function assertCanGrant(ctx: OrgContext, role: { key: string; isBuiltIn: boolean; permissions: string[] }): void {
  if (role.isBuiltIn && role.key === "owner" && !callerIsOwner(ctx)) {
    throw forbidden("Only an owner can grant the owner role");
  }
  const missing = [...permissionsOfRole(role)].filter((p) => !ctx.permissions.has(p));
  if (missing.length) throw forbidden(`You cannot grant permissions you do not hold: ${missing.join(", ")}`);
}
