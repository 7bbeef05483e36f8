import { z } from "zod";
import { idSchema, text, timestamp } from "../../lib/schemas.ts";
import { PERMISSIONS } from "../../permissions.ts";

export const roleOutput = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  isBuiltIn: z.boolean(),
  permissions: z.array(z.string()),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const permissionList = z
  .array(z.enum(PERMISSIONS, { error: `must be one of: ${PERMISSIONS.join(", ")}` }))
  .max(PERMISSIONS.length)
  .transform((list) => [...new Set(list)].sort());

const roleKey = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{1,39}$/, { error: "must be 2-40 lower-case letters, digits, - or _, starting with a letter" });

export const createRoleInput = z.strictObject({
  key: roleKey,
  name: text(80),
  description: text(500).optional(),
  permissions: permissionList,
});

export const updateRoleInput = z.strictObject({
  id: idSchema,
  name: text(80).optional(),
  description: text(500).nullable().optional(),
  permissions: permissionList.optional(),
});

export const permissionsOutput = z.object({
  permissions: z.array(z.string()),
  builtInRoles: z.array(
    z.object({ key: z.string(), name: z.string(), description: z.string(), permissions: z.array(z.string()) }),
  ),
});
