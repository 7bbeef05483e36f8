import { z } from "zod";
import { emailSchema, idSchema, passwordSchema, text } from "../../lib/schemas.ts";
import { myOrganizationOutput, organizationOutput } from "../organizations/schemas.ts";

export const userOutput = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  isActive: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const tokenPairOutput = z.object({
  tokenType: z.literal("Bearer"),
  accessToken: z.string(),
  expiresIn: z.number().int(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.date(),
});

export const signupInput = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: text(120),
  organizationName: text(120).optional(),
});

export const loginInput = z.strictObject({
  email: emailSchema,
  password: z.string().min(1, { error: "is required" }).max(200),
  /** Which organization the session acts in; defaults to the first active membership. */
  organizationId: idSchema.optional(),
});

export const sessionOutput = tokenPairOutput.extend({ user: userOutput, organization: organizationOutput });

export const refreshInput = z.strictObject({ refreshToken: z.string().min(1).max(200) });

export const changePasswordInput = z.strictObject({
  currentPassword: z.string().min(1, { error: "is required" }).max(200),
  newPassword: passwordSchema,
});

export const meOutput = z.object({
  user: userOutput,
  activeOrganization: organizationOutput,
  role: z.object({ id: z.uuid(), key: z.string(), name: z.string() }),
  permissions: z.array(z.string()),
  memberships: z.array(myOrganizationOutput),
});
