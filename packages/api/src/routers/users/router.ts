import type { Prisma } from "@crm/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { revokeSessionsWhere } from "../../auth/sessions.ts";
import { conflict, forbidden, notFound, WHOLE_INPUT } from "../../errors.ts";
import { containsText } from "../../lib/filters.ts";
import { keysetPage, pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idInput, idSchema, okOutput, text } from "../../lib/schemas.ts";
import { type OrgContext, permission } from "../../trpc.ts";
import { userOutput } from "../auth/schemas.ts";
import { setMemberStatus } from "../members/service.ts";

const tags = ["users"];

/** Users are visible to an organization only through their membership in it. */
async function findUserInOrg(db: Prisma.TransactionClient, ctx: OrgContext, userId: string) {
  const membership = await db.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId } },
    include: { user: true },
  });
  if (!membership) throw notFound("User");
  return membership;
}

function isSelf(ctx: OrgContext, userId: string) {
  return ctx.actor.userId === userId;
}

export const usersRouter = {
  list: permission("members:read")
    .meta({
      openapi: { method: "GET", path: "/users", tags, summary: "Users who are members of the organization" },
    })
    .input(
      z.strictObject({
        ...pageInputShape,
        sortBy: z.enum(["createdAt"]).default("createdAt"),
        search: z.string().trim().max(200).optional(),
      }),
    )
    .output(pageOutputSchema(userOutput))
    .query(async ({ ctx, input }) => {
      const page = keysetPage({ field: input.sortBy, order: input.sortOrder, type: "date" }, input.limit, input.cursor);
      const where: Prisma.UserWhereInput = {
        memberships: { some: { organizationId: ctx.org.id } },
        ...(input.search
          ? {
              OR: [{ name: containsText(input.search, "insensitive") }, { email: containsText(input.search, "insensitive") }],
            }
          : {}),
      };
      const rows = await ctx.db.user.findMany({ where: { AND: [where, page.where] }, orderBy: page.orderBy, take: page.take });
      return page.toPage(rows);
    }),

  byId: permission("members:read")
    .meta({ openapi: { method: "GET", path: "/users/{id}", tags, summary: "One user of the organization" } })
    .input(idInput)
    .output(userOutput)
    .query(async ({ ctx, input }) => (await findUserInOrg(ctx.db, ctx, input.id)).user),

  update: permission("members:read")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/users/{id}",
        tags,
        summary: "Rename yourself, or a member (members:manage)",
      },
    })
    .input(z.strictObject({ id: idSchema, name: text(120).optional() }))
    .output(userOutput)
    .mutation(async ({ ctx, input }) => {
      await findUserInOrg(ctx.db, ctx, input.id);
      if (!isSelf(ctx, input.id) && !ctx.permissions.has("members:manage")) {
        throw forbidden("Missing permission members:manage to update another user");
      }
      return ctx.db.user.update({ where: { id: input.id }, data: { name: input.name } });
    }),

  delete: permission("members:read")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/users/{id}",
        tags,
        summary: "Deactivate: yourself everywhere, or a member in this organization (members:manage)",
      },
    })
    .input(idInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      const membership = await findUserInOrg(ctx.db, ctx, input.id);
      if (!isSelf(ctx, input.id)) {
        if (!ctx.permissions.has("members:manage"))
          throw forbidden("Missing permission members:manage to deactivate another user");
        await ctx.db.$transaction((tx) => setMemberStatus(tx, ctx, membership.id, "deactivated"));
        return { ok: true as const };
      }
      await ctx.db.$transaction(async (tx) => {
        const soleOwnerships = await tx.membership.findMany({
          where: { userId: input.id, status: "active", role: { key: "owner", isBuiltIn: true } },
          select: { organizationId: true },
        });
        for (const { organizationId } of soleOwnerships) {
          const owners = await tx.membership.count({
            where: { organizationId, status: "active", role: { key: "owner", isBuiltIn: true } },
          });
          if (owners <= 1)
            throw conflict(
              WHOLE_INPUT,
              `You are the last owner of organization ${organizationId}; make another member owner first`,
            );
        }
        await tx.user.update({ where: { id: input.id }, data: { isActive: false } });
        await revokeSessionsWhere(tx, { userId: input.id }, "user_deactivated");
      });
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
