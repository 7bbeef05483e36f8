import type { Prisma } from "@crm/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { containsText } from "../../lib/filters.ts";
import { keysetPage, pageOutputSchema } from "../../lib/pagination.ts";
import { idInput } from "../../lib/schemas.ts";
import { permission } from "../../trpc.ts";
import { addMemberInput, listMembersInput, memberOutput, updateMemberInput } from "./schemas.ts";
import { addMember, findMemberInOrg, memberInclude, setMemberStatus, updateMember } from "./service.ts";

const tags = ["members"];

export const membersRouter = {
  list: permission("members:read")
    .meta({ openapi: { method: "GET", path: "/members", tags, summary: "Members of the organization" } })
    .input(listMembersInput)
    .output(pageOutputSchema(memberOutput))
    .query(async ({ ctx, input }) => {
      const page = keysetPage({ field: input.sortBy, order: input.sortOrder, type: "date" }, input.limit, input.cursor);
      const where: Prisma.MembershipWhereInput = {
        organizationId: ctx.org.id,
        status: input.status,
        roleId: input.roleId,
        ...(input.search
          ? {
              user: {
                OR: [{ name: containsText(input.search, "insensitive") }, { email: containsText(input.search, "insensitive") }],
              },
            }
          : {}),
      };
      const rows = await ctx.db.membership.findMany({
        where: { AND: [where, page.where] },
        orderBy: page.orderBy,
        take: page.take,
        include: memberInclude,
      });
      return page.toPage(rows);
    }),

  byId: permission("members:read")
    .meta({ openapi: { method: "GET", path: "/members/{id}", tags, summary: "One member" } })
    .input(idInput)
    .output(memberOutput)
    .query(({ ctx, input }) => findMemberInOrg(ctx.db, ctx, input.id)),

  add: permission("members:manage")
    .meta({
      openapi: {
        method: "POST",
        path: "/members",
        tags,
        // No user with this email, or no such role.
        errorResponses: [404],
        summary: "Add an existing user by email with a role",
      },
    })
    .input(addMemberInput)
    .output(memberOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => addMember(tx, ctx, input))),

  update: permission("members:manage")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/members/{id}",
        tags,
        summary: "Change a member's role, department or title",
      },
    })
    .input(updateMemberInput)
    .output(memberOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => updateMember(tx, ctx, input))),

  deactivate: permission("members:manage")
    .meta({
      openapi: {
        method: "POST",
        path: "/members/{id}/deactivate",
        tags,
        summary: "Deactivate a member and end their sessions here",
      },
    })
    .input(idInput)
    .output(memberOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => setMemberStatus(tx, ctx, input.id, "deactivated"))),

  reactivate: permission("members:manage")
    .meta({
      openapi: {
        method: "POST",
        path: "/members/{id}/reactivate",
        tags,
        summary: "Reactivate a deactivated member",
      },
    })
    .input(idInput)
    .output(memberOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => setMemberStatus(tx, ctx, input.id, "active"))),
} satisfies TRPCRouterRecord;
