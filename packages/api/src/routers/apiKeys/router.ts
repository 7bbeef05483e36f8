import type { Prisma } from "@crm/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { API_KEY_PREFIX, generateSecret, hashSecret } from "../../auth/tokens.ts";
import { badRequest, notFound } from "../../errors.ts";
import { writeAudit } from "../../lib/audit.ts";
import { dateTimeInput } from "../../lib/dates.ts";
import { idInput, idSchema, text, timestamp } from "../../lib/schemas.ts";
import { type OrgContext, permission } from "../../trpc.ts";
import { assertCanGrant, findRoleInOrg } from "../roles/service.ts";

const tags = ["apiKeys"];

const apiKeyOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  role: z.object({ id: z.uuid(), key: z.string(), name: z.string() }),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});

const include = { role: { select: { id: true, key: true, name: true } } } as const;

async function findApiKeyInOrg(db: Prisma.TransactionClient, ctx: OrgContext, id: string) {
  const apiKey = await db.apiKey.findFirst({ where: { id, organizationId: ctx.org.id }, include });
  if (!apiKey) throw notFound("API key");
  return apiKey;
}

export const apiKeysRouter = {
  list: permission("apiKeys:manage")
    .meta({
      openapi: {
        method: "GET",
        path: "/api-keys",
        tags,
        summary: "API keys of the organization (secrets are never shown again)",
      },
    })
    .output(z.object({ items: z.array(apiKeyOutput) }))
    .query(async ({ ctx }) => ({
      items: await ctx.db.apiKey.findMany({ where: { organizationId: ctx.org.id }, include, orderBy: { createdAt: "desc" } }),
    })),

  byId: permission("apiKeys:manage")
    .meta({ openapi: { method: "GET", path: "/api-keys/{id}", tags, summary: "One API key" } })
    .input(idInput)
    .output(apiKeyOutput)
    .query(({ ctx, input }) => findApiKeyInOrg(ctx.db, ctx, input.id)),

  create: permission("apiKeys:manage")
    .meta({
      openapi: {
        method: "POST",
        path: "/api-keys",
        tags,
        // No such role.
        errorResponses: [404],
        summary: "Create an API key; the secret is in this response only",
      },
    })
    .input(z.strictObject({ name: text(120), roleId: idSchema, expiresAt: dateTimeInput.optional() }))
    .output(apiKeyOutput.extend({ secret: z.string() }))
    .mutation(async ({ ctx, input }) => {
      if (input.expiresAt && input.expiresAt <= new Date()) throw badRequest("expiresAt", "must be in the future");
      const role = await findRoleInOrg(ctx.db, ctx, input.roleId, "roleId");
      assertCanGrant(ctx, role);
      const secret = generateSecret(API_KEY_PREFIX);
      return ctx.db.$transaction(async (tx) => {
        const apiKey = await tx.apiKey.create({
          data: {
            organizationId: ctx.org.id,
            roleId: role.id,
            name: input.name,
            prefix: secret.slice(0, API_KEY_PREFIX.length + 6),
            keyHash: hashSecret(secret),
            createdById: ctx.actor.userId,
            expiresAt: input.expiresAt,
          },
          include,
        });
        const { keyHash: _hash, ...visible } = apiKey;
        await writeAudit(tx, ctx, { action: "create", entityType: "apiKey", entityId: apiKey.id, before: null, after: visible });
        return { ...apiKey, secret };
      });
    }),

  revoke: permission("apiKeys:manage")
    .meta({
      openapi: { method: "POST", path: "/api-keys/{id}/revoke", tags, summary: "Revoke an API key at once" },
    })
    .input(idInput)
    .output(apiKeyOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction(async (tx) => {
        const before = await findApiKeyInOrg(tx, ctx, input.id);
        if (before.revokedAt) return before;
        const after = await tx.apiKey.update({ where: { id: before.id }, data: { revokedAt: new Date() }, include });
        await writeAudit(tx, ctx, {
          action: "update",
          entityType: "apiKey",
          entityId: after.id,
          before: { revokedAt: null },
          after: { revokedAt: after.revokedAt },
        });
        return after;
      }),
    ),
} satisfies TRPCRouterRecord;
