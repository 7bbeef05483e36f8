import type { TRPCRouterRecord } from "@trpc/server";
import { TRPCError } from "@trpc/server";
import { decoyPasswordHash, hashPassword, verifyPassword } from "../../auth/passwords.ts";
import { revokeSession, revokeSessionsWhere, rotateRefreshToken, startSession } from "../../auth/sessions.ts";
import { badRequest, conflict } from "../../errors.ts";
import { okOutput } from "../../lib/schemas.ts";
import { permissionsOfRole } from "../../permissions.ts";
import { authedProcedure, publicProcedure } from "../../trpc.ts";
import { createOrganization } from "../organizations/service.ts";
import {
  changePasswordInput,
  loginInput,
  meOutput,
  refreshInput,
  sessionOutput,
  signupInput,
  tokenPairOutput,
} from "./schemas.ts";

const tags = ["auth"];

export const authRouter = {
  signup: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/signup",
        tags,
        protect: false,
        // A spent sign-up budget of the client's IP.
        errorResponses: [429],
        summary: "Create a user and their organization",
      },
    })
    .input(signupInput)
    .output(sessionOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.loginThrottle.beforeSignup(ctx.ip);
      const existing = await ctx.db.user.findUnique({ where: { email: input.email } });
      if (existing) throw conflict("email", "an account with this email already exists");
      const passwordHash = await hashPassword(input.password);
      return ctx.db.$transaction(async (tx) => {
        const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } });
        const organization = await createOrganization(tx, {
          name: input.organizationName ?? `${input.name}'s organization`,
          ownerUserId: user.id,
        });
        const tokens = await startSession(tx, ctx.auth, {
          userId: user.id,
          organizationId: organization.id,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
        });
        return { ...tokens, user, organization };
      });
    }),

  login: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/login",
        tags,
        protect: false,
        // A wrong password, no active membership, a spent failure budget.
        errorResponses: [401, 403, 429],
        summary: "Exchange email and password for tokens",
      },
    })
    .input(loginInput)
    .output(sessionOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.loginThrottle.beforeAttempt(input.email, ctx.ip);
      const user = await ctx.db.user.findUnique({
        where: { email: input.email },
        include: {
          memberships: {
            where: { status: "active", ...(input.organizationId ? { organizationId: input.organizationId } : {}) },
            include: { organization: true },
            orderBy: { createdAt: "asc" },
            take: 1,
          },
        },
      });
      const valid = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), input.password);
      if (!user || !valid || !user.isActive) {
        // The failure was counted when the attempt was reserved.
        throw new TRPCError({ code: "UNAUTHORIZED", message: "Email or password is incorrect" });
      }
      await ctx.loginThrottle.recordSuccess(input.email);
      const membership = user.memberships[0];
      if (!membership) {
        throw new TRPCError({
          code: "FORBIDDEN",
          message: input.organizationId
            ? "organizationId: you are not an active member of this organization"
            : "You are not an active member of any organization",
        });
      }
      const tokens = await startSession(ctx.db, ctx.auth, {
        userId: user.id,
        organizationId: membership.organizationId,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      });
      return { ...tokens, user, organization: membership.organization };
    }),

  refresh: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/refresh",
        tags,
        protect: false,
        errorResponses: [401],
        summary: "Rotate a refresh token",
      },
    })
    .input(refreshInput)
    .output(tokenPairOutput)
    .mutation(({ ctx, input }) => rotateRefreshToken(ctx.db, ctx.auth, input.refreshToken)),

  logout: authedProcedure
    .meta({ openapi: { method: "POST", path: "/auth/logout", tags, summary: "Revoke the current session" } })
    .input(refreshInput.partial().optional())
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      await revokeSession(ctx.db, ctx.sessionId, "logout");
      return { ok: true as const };
    }),

  me: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/auth/me",
        tags,
        summary: "The caller, the active organization and their memberships",
      },
    })
    .output(meOutput)
    .query(async ({ ctx }) => {
      const user = await ctx.db.user.findUniqueOrThrow({
        where: { id: ctx.user.id },
        include: { memberships: { include: { organization: true, role: true }, orderBy: { createdAt: "asc" } } },
      });
      const active = user.memberships.find((m) => m.organizationId === ctx.principal.organizationId);
      if (!active) throw new TRPCError({ code: "UNAUTHORIZED", message: "Session organization not found" });
      return {
        user,
        activeOrganization: active.organization,
        role: active.role,
        permissions: [...permissionsOfRole(active.role)].sort(),
        memberships: user.memberships.map((m) => ({ ...m.organization, role: m.role, membershipStatus: m.status })),
      };
    }),

  changePassword: authedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/auth/change-password",
        tags,
        summary: "Change password; signs out every other session",
      },
    })
    .input(changePasswordInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.user.id } });
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
        throw badRequest("currentPassword", "is incorrect");
      }
      const passwordHash = await hashPassword(input.newPassword);
      await ctx.db.$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { passwordHash, passwordChangedAt: new Date() } });
        await revokeSessionsWhere(tx, { userId: user.id, id: { not: ctx.sessionId } }, "password_changed");
      });
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
