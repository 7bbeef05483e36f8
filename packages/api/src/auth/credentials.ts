import { TRPCError } from "@trpc/server";
import type { Context } from "../context.ts";
import { type Permission, permissionsOfRole } from "../permissions.ts";
import { API_KEY_PREFIX, hashSecret, InvalidTokenError, verifyAccessToken } from "./tokens.ts";

export interface RoleRef {
  id: string;
  key: string;
  name: string;
  isBuiltIn: boolean;
  permissions: string[];
}

export interface UserPrincipal {
  kind: "user";
  user: { id: string; email: string; name: string };
  sessionId: string;
  organizationId: string;
  membership: { id: string; active: boolean; role: RoleRef };
}

export interface ApiKeyPrincipal {
  kind: "apiKey";
  apiKeyId: string;
  organizationId: string;
  role: RoleRef;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

function unauthorized(message: string): TRPCError {
  return new TRPCError({ code: "UNAUTHORIZED", message });
}

/** Reads `Authorization: Bearer <access token | API key>` and returns who is calling, or throws UNAUTHORIZED. */
export async function resolvePrincipal(ctx: Context): Promise<Principal> {
  const header = ctx.authorization?.trim();
  if (!header) throw unauthorized("Missing Authorization header (expected: Bearer <token>)");
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthorized("Authorization header must be: Bearer <token>");
  const credential = match[1];
  return ctx.principalCache.resolve(credential, () =>
    credential.startsWith(API_KEY_PREFIX) ? resolveApiKey(ctx, credential) : resolveAccessToken(ctx, credential),
  );
}

/**
 * A session with its user, membership and role. Every authenticated request reads it, so it is one
 * joined query: Prisma's `include` would make it four round trips.
 */
interface SessionPrincipalRow {
  id: string;
  userId: string;
  organizationId: string;
  revokedAt: Date | null;
  userEmail: string;
  userName: string;
  userIsActive: boolean;
  membershipId: string;
  membershipStatus: string;
  roleId: string;
  roleKey: string;
  roleName: string;
  roleIsBuiltIn: boolean;
  rolePermissions: string[];
}

async function resolveAccessToken(ctx: Context, token: string): Promise<{ principal: UserPrincipal; validUntil: number }> {
  let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
  try {
    claims = await verifyAccessToken(ctx.auth, token);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthorized(error.message);
    throw error;
  }
  const [session] = await ctx.db.$queryRaw<SessionPrincipalRow[]>`
    SELECT s."id", s."userId", s."organizationId", s."revokedAt",
           u."email" AS "userEmail", u."name" AS "userName", u."isActive" AS "userIsActive",
           m."id" AS "membershipId", m."status"::text AS "membershipStatus",
           r."id" AS "roleId", r."key" AS "roleKey", r."name" AS "roleName", r."isBuiltIn" AS "roleIsBuiltIn",
           r."permissions" AS "rolePermissions"
    FROM "Session" s
    JOIN "User" u ON u."id" = s."userId"
    JOIN "Membership" m ON m."organizationId" = s."organizationId" AND m."userId" = s."userId"
    JOIN "Role" r ON r."id" = m."roleId"
    WHERE s."id" = ${claims.sessionId}::uuid`;
  if (!session || session.userId !== claims.userId || session.organizationId !== claims.organizationId) {
    throw unauthorized("Session not found; log in again");
  }
  if (session.revokedAt) throw unauthorized("Session has been revoked; log in again");
  if (!session.userIsActive) throw unauthorized("User account is deactivated");
  const principal: UserPrincipal = {
    kind: "user",
    user: { id: session.userId, email: session.userEmail, name: session.userName },
    sessionId: session.id,
    organizationId: session.organizationId,
    membership: {
      id: session.membershipId,
      active: session.membershipStatus === "active",
      role: {
        id: session.roleId,
        key: session.roleKey,
        name: session.roleName,
        isBuiltIn: session.roleIsBuiltIn,
        permissions: session.rolePermissions,
      },
    },
  };
  return { principal, validUntil: claims.expiresAt };
}

async function resolveApiKey(ctx: Context, key: string): Promise<{ principal: ApiKeyPrincipal; validUntil?: number }> {
  const apiKey = await ctx.db.apiKey.findUnique({ where: { keyHash: hashSecret(key) }, include: { role: true } });
  if (!apiKey) throw unauthorized("API key is not valid");
  if (apiKey.revokedAt) throw unauthorized("API key has been revoked");
  if (apiKey.expiresAt && apiKey.expiresAt <= new Date()) throw unauthorized("API key has expired");
  // Last-use bookkeeping must not slow down or fail the request it describes. It runs when the key
  // is read from the database, so at most once per principal-cache lifetime.
  ctx.db.apiKey.update({ where: { id: apiKey.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  return {
    principal: { kind: "apiKey", apiKeyId: apiKey.id, organizationId: apiKey.organizationId, role: apiKey.role },
    validUntil: apiKey.expiresAt?.getTime(),
  };
}

export function principalPermissions(principal: Principal): Set<Permission> {
  return permissionsOfRole(principal.kind === "user" ? principal.membership.role : principal.role);
}
