import { z } from "zod";
import { pageInputShape } from "../../lib/pagination.ts";
import { emailSchema, idSchema, text, timestamp } from "../../lib/schemas.ts";

export const memberOutput = z.object({
  id: z.uuid(),
  user: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
  role: z.object({ id: z.uuid(), key: z.string(), name: z.string() }),
  department: z.string().nullable(),
  title: z.string().nullable(),
  status: z.enum(["active", "deactivated"]),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const listMembersInput = z.strictObject({
  ...pageInputShape,
  sortBy: z.enum(["createdAt"]).default("createdAt"),
  search: z.string().trim().max(200).optional(),
  status: z.enum(["active", "deactivated"]).optional(),
  roleId: idSchema.optional(),
});

export const addMemberInput = z.strictObject({
  email: emailSchema,
  roleId: idSchema,
  department: text(120).optional(),
  title: text(120).optional(),
});

export const updateMemberInput = z.strictObject({
  id: idSchema,
  roleId: idSchema.optional(),
  department: text(120).nullable().optional(),
  title: text(120).nullable().optional(),
});
