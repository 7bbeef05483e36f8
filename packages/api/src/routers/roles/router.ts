import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { conflict, forbidden, WHOLE_INPUT } from "../../errors.ts";
import { writeAudit } from "../../lib/audit.ts";
import { idInput, okOutput } from "../../lib/schemas.ts";
import { BUILT_IN_ROLE_KEYS, BUILT_IN_ROLES, isBuiltInRoleKey, PERMISSIONS, permissionsOfRole } from "../../permissions.ts";
import { orgProcedure, permission } from "../../trpc.ts";
import { createRoleInput, permissionsOutput, roleOutput, updateRoleInput } from "./schemas.ts";
import { assertCanGrant, findRoleInOrg } from "./service.ts";

const tags = ["roles"];

/** Built-in roles report the permissions the code gives them, not what their row once stored. */
function present<T extends { key: string; isBuiltIn: boolean; permissions: string[] }>(role: T): T {
  return { ...role, permissions: [...permissionsOfRole(role)].sort() };
}

export const rolesRouter = {
  permissions: orgProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/roles/permissions",
        tags,
        summary: "Every permission and the built-in role matrix",
      },
    })
    .output(permissionsOutput)
    .query(() => ({
      permissions: [...PERMISSIONS],
      builtInRoles: BUILT_IN_ROLE_KEYS.map((key) => ({ key, ...BUILT_IN_ROLES[key] })),
    })),

  list: permission("members:read")
    .meta({ openapi: { method: "GET", path: "/roles", tags, summary: "Roles of the organization" } })
    .output(z.object({ items: z.array(roleOutput) }))
    .query(async ({ ctx }) => {
      const roles = await ctx.db.role.findMany({
        where: { organizationId: ctx.org.id },
        orderBy: [{ isBuiltIn: "desc" }, { createdAt: "asc" }],
      });
      return { items: roles.map(present) };
    }),

  byId: permission("members:read")
    .meta({ openapi: { method: "GET", path: "/roles/{id}", tags, summary: "One role" } })
    .input(idInput)
    .output(roleOutput)
    .query(async ({ ctx, input }) => present(await findRoleInOrg(ctx.db, ctx, input.id))),

  create: permission("roles:manage")
    .meta({ openapi: { method: "POST", path: "/roles", tags, summary: "Create a custom role" } })
    .input(createRoleInput)
    .output(roleOutput)
    .mutation(async ({ ctx, input }) => {
      if (isBuiltInRoleKey(input.key)) throw conflict("key", `"${input.key}" is a built-in role`);
      assertCanGrant(ctx, { key: input.key, isBuiltIn: false, permissions: input.permissions });
      return ctx.db.$transaction(async (tx) => {
        const role = await tx.role.create({ data: { ...input, organizationId: ctx.org.id, isBuiltIn: false } });
        await writeAudit(tx, ctx, { action: "create", entityType: "role", entityId: role.id, before: null, after: role });
        return role;
      });
    }),

  update: permission("roles:manage")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/roles/{id}",
        tags,
        summary: "Rename a custom role or change its permissions",
      },
    })
    .input(updateRoleInput)
    .output(roleOutput)
    .mutation(async ({ ctx, input }) => {
      const { id, ...changes } = input;
      return ctx.db.$transaction(async (tx) => {
        const before = await findRoleInOrg(tx, ctx, id);
        if (before.isBuiltIn) throw forbidden("Built-in roles cannot be changed; create a custom role instead");
        if (changes.permissions) assertCanGrant(ctx, { ...before, permissions: changes.permissions });
        const after = await tx.role.update({ where: { id }, data: changes });
        await writeAudit(tx, ctx, { action: "update", entityType: "role", entityId: id, before, after });
        return after;
      });
    }),

  delete: permission("roles:manage")
    .meta({ openapi: { method: "DELETE", path: "/roles/{id}", tags, summary: "Delete an unused custom role" } })
    .input(idInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction(async (tx) => {
        const role = await findRoleInOrg(tx, ctx, input.id);
        if (role.isBuiltIn) throw forbidden("Built-in roles cannot be deleted");
        const [members, liveKeys] = await Promise.all([
          tx.membership.count({ where: { roleId: role.id } }),
          tx.apiKey.count({ where: { roleId: role.id, revokedAt: null } }),
        ]);
        if (members + liveKeys > 0)
          throw conflict(WHOLE_INPUT, "This role is still held by members or API keys; reassign them first");
        // Revoked keys are dead credentials; their creation and revocation stay in the audit log.
        await tx.apiKey.deleteMany({ where: { roleId: role.id, revokedAt: { not: null } } });
        await tx.role.delete({ where: { id: role.id } });
        await writeAudit(tx, ctx, { action: "delete", entityType: "role", entityId: role.id, before: role, after: null });
      });
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
