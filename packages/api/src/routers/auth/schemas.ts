import { z } from "zod";
import { emailField, emailSchema, idSchema, passwordSchema, text, timestamp } from "../../lib/schemas.ts";
import { DEMO_LOGIN } from "../../seed.ts";
import { myOrganizationOutput, organizationOutput } from "../organizations/schemas.ts";

export const userOutput = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  isActive: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const tokenPairOutput = z.object({
  tokenType: z.literal("Bearer"),
  accessToken: z.string(),
  expiresIn: z.number().int(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: timestamp,
});

export const signupInput = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: text(120).meta({ examples: ["Ada Lovelace"] }),
  organizationName: text(120)
    .optional()
    .meta({ examples: ["Analytical Engines"] }),
});

// The examples are the demo user `pnpm start` seeds, so the docs page's "Try it out" logs in as it is.
export const loginInput = z.strictObject({
  email: emailField(DEMO_LOGIN.email),
  password: z
    .string()
    .min(1, { error: "is required" })
    .max(200)
    .meta({ examples: [DEMO_LOGIN.password] }),
  organizationId: idSchema
    .optional()
    .meta({ description: "Which organization the session acts in; defaults to the first active membership." }),
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
