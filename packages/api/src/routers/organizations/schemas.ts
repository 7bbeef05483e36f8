import { z } from "zod";
import { idSchema, text, timestamp } from "../../lib/schemas.ts";

export const organizationOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  leadHotThreshold: z.number().int().meta({ description: "Leads scoring at or above this are hot." }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const myOrganizationOutput = organizationOutput.extend({
  role: z.object({ id: z.uuid(), key: z.string(), name: z.string() }),
  membershipStatus: z.enum(["active", "deactivated"]),
});

export const createOrganizationInput = z.strictObject({ name: text(120) });
export const updateOrganizationInput = z.strictObject({
  id: idSchema,
  name: text(120).optional(),
  leadHotThreshold: z.number().int().min(1).max(100).optional(),
});
export const switchOrganizationInput = z.strictObject({ organizationId: idSchema });
