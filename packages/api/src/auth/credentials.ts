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
  return credential.startsWith(API_KEY_PREFIX) ? resolveApiKey(ctx, credential) : resolveAccessToken(ctx, credential);
}

async function resolveAccessToken(ctx: Context, token: string): Promise<UserPrincipal> {
  let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
  try {
    claims = await verifyAccessToken(ctx.auth, token);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthorized(error.message);
    throw error;
  }
  const session = await ctx.db.session.findUnique({
    where: { id: claims.sessionId },
    include: { user: true, membership: { include: { role: true } } },
  });
  if (!session || session.userId !== claims.userId || session.organizationId !== claims.organizationId) {
    throw unauthorized("Session not found; log in again");
  }
  if (session.revokedAt) throw unauthorized("Session has been revoked; log in again");
  if (!session.user.isActive) throw unauthorized("User account is deactivated");
  return {
    kind: "user",
    user: { id: session.user.id, email: session.user.email, name: session.user.name },
    sessionId: session.id,
    organizationId: session.organizationId,
    membership: {
      id: session.membership.id,
      active: session.membership.status === "active",
      role: session.membership.role,
    },
  };
}

async function resolveApiKey(ctx: Context, key: string): Promise<ApiKeyPrincipal> {
  const apiKey = await ctx.db.apiKey.findUnique({ where: { keyHash: hashSecret(key) }, include: { role: true } });
  if (!apiKey) throw unauthorized("API key is not valid");
  if (apiKey.revokedAt) throw unauthorized("API key has been revoked");
  if (apiKey.expiresAt && apiKey.expiresAt <= new Date()) throw unauthorized("API key has expired");
  // Last-use bookkeeping must not slow down or fail the request it describes.
  ctx.db.apiKey.update({ where: { id: apiKey.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  return { kind: "apiKey", apiKeyId: apiKey.id, organizationId: apiKey.organizationId, role: apiKey.role };
}

export function principalPermissions(principal: Principal): Set<Permission> {
  return permissionsOfRole(principal.kind === "user" ? principal.membership.role : principal.role);
}
