import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { switchSessionOrganization } from "../../auth/sessions.ts";
import { notFound } from "../../errors.ts";
import { writeAudit } from "../../lib/audit.ts";
import { idInput } from "../../lib/schemas.ts";
import { authedProcedure, permission } from "../../trpc.ts";
import { tokenPairOutput } from "../auth/schemas.ts";
import { forgetHotThreshold } from "../leads/present.ts";
import { createOrganizationInput, myOrganizationOutput, organizationOutput, updateOrganizationInput } from "./schemas.ts";
import { createOrganization } from "./service.ts";

const tags = ["organizations"];

export const organizationsRouter = {
  create: authedProcedure
    .meta({ openapi: { method: "POST", path: "/organizations", tags, summary: "Create an organization you own" } })
    .input(createOrganizationInput)
    .output(organizationOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction((tx) => createOrganization(tx, { name: input.name, ownerUserId: ctx.user.id })),
    ),

  listMine: authedProcedure
    .meta({ openapi: { method: "GET", path: "/organizations", tags, summary: "Organizations you belong to" } })
    .output(z.object({ items: z.array(myOrganizationOutput) }))
    .query(async ({ ctx }) => {
      const memberships = await ctx.db.membership.findMany({
        where: { userId: ctx.user.id },
        include: { organization: true, role: true },
        orderBy: { createdAt: "asc" },
      });
      return { items: memberships.map((m) => ({ ...m.organization, role: m.role, membershipStatus: m.status })) };
    }),

  byId: authedProcedure
    .meta({ openapi: { method: "GET", path: "/organizations/{id}", tags, summary: "One of your organizations" } })
    .input(idInput)
    .output(organizationOutput)
    .query(async ({ ctx, input }) => {
      const organization = await ctx.db.organization.findFirst({
        where: { id: input.id, memberships: { some: { userId: ctx.user.id } } },
      });
      if (!organization) throw notFound("Organization");
      return organization;
    }),

  update: permission("organization:update")
    .meta({
      openapi: { method: "PATCH", path: "/organizations/{id}", tags, summary: "Rename the active organization" },
    })
    .input(updateOrganizationInput)
    .output(organizationOutput)
    .mutation(async ({ ctx, input }) => {
      // Only the organization of the credential can be changed: another id reads as not found.
      if (input.id !== ctx.org.id) throw notFound("Organization");
      const organization = await ctx.db.$transaction(async (tx) => {
        const before = await tx.organization.findUniqueOrThrow({ where: { id: ctx.org.id } });
        const after = await tx.organization.update({
          where: { id: ctx.org.id },
          data: { name: input.name, leadHotThreshold: input.leadHotThreshold },
        });
        await writeAudit(tx, ctx, { action: "update", entityType: "organization", entityId: after.id, before, after });
        return after;
      });
      forgetHotThreshold(ctx.org.id);
      return organization;
    }),

  switch: authedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/organizations/{id}/switch",
        tags,
        summary: "Act in another of your organizations: returns new tokens",
      },
    })
    .input(idInput)
    .output(tokenPairOutput)
    .mutation(async ({ ctx, input }) => {
      const membership = await ctx.db.membership.findUnique({
        where: { organizationId_userId: { organizationId: input.id, userId: ctx.user.id } },
      });
      if (membership?.status !== "active") throw notFound("Organization");
      return switchSessionOrganization(ctx.db, ctx.auth, ctx.sessionId, input.id);
    }),
} satisfies TRPCRouterRecord;
