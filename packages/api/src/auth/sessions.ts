import type { Prisma, PrismaClient } from "@crm/db";
import { TRPCError } from "@trpc/server";
import { type AuthSettings, generateSecret, hashSecret, signAccessToken } from "./tokens.ts";

export interface TokenPair {
  tokenType: "Bearer";
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

type Db = PrismaClient | Prisma.TransactionClient;

const DAY_MS = 86_400_000;

async function issueRefreshToken(db: Db, settings: AuthSettings, sessionId: string) {
  const refreshToken = generateSecret();
  const expiresAt = new Date(Date.now() + settings.refreshTokenTtlDays * DAY_MS);
  await db.refreshToken.create({ data: { sessionId, tokenHash: hashSecret(refreshToken), expiresAt } });
  return { refreshToken, expiresAt };
}

async function tokenPair(
  db: Db,
  settings: AuthSettings,
  session: { id: string; userId: string; organizationId: string },
): Promise<TokenPair> {
  const [accessToken, refresh] = await Promise.all([
    signAccessToken(settings, { userId: session.userId, sessionId: session.id, organizationId: session.organizationId }),
    issueRefreshToken(db, settings, session.id),
  ]);
  return {
    tokenType: "Bearer",
    accessToken,
    expiresIn: settings.accessTokenTtlSeconds,
    refreshToken: refresh.refreshToken,
    refreshTokenExpiresAt: refresh.expiresAt,
  };
}

export async function startSession(
  db: Db,
  settings: AuthSettings,
  input: { userId: string; organizationId: string; ip?: string; userAgent?: string },
): Promise<TokenPair> {
  const session = await db.session.create({
    data: {
      userId: input.userId,
      organizationId: input.organizationId,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 500),
      expiresAt: new Date(Date.now() + settings.refreshTokenTtlDays * DAY_MS),
    },
  });
  return tokenPair(db, settings, session);
}

function invalidRefresh(message: string): TRPCError {
  return new TRPCError({ code: "UNAUTHORIZED", message });
}

/**
 * Exchanges a refresh token for a new pair. The presented token is marked rotated; presenting a
 * rotated token again means it leaked, so the whole session (the token family) is revoked.
 */
export async function rotateRefreshToken(db: PrismaClient, settings: AuthSettings, presented: string): Promise<TokenPair> {
  const stored = await db.refreshToken.findUnique({
    where: { tokenHash: hashSecret(presented) },
    include: { session: { include: { user: true, membership: true } } },
  });
  if (!stored) throw invalidRefresh("Refresh token is not valid");
  const { session } = stored;
  if (session.revokedAt) throw invalidRefresh("Session has been revoked; log in again");
  if (stored.rotatedAt) {
    await revokeSession(db, session.id, "refresh_token_reuse");
    throw invalidRefresh("Refresh token was already used; the session has been revoked for safety");
  }
  if (stored.expiresAt <= new Date() || session.expiresAt <= new Date()) {
    throw invalidRefresh("Refresh token has expired; log in again");
  }
  if (!session.user.isActive || session.membership.status !== "active") {
    throw invalidRefresh("Account or membership is deactivated");
  }
  return db.$transaction(async (tx) => {
    // Conditional update: of two concurrent refreshes with the same token, only one wins.
    const marked = await tx.refreshToken.updateMany({
      where: { id: stored.id, rotatedAt: null },
      data: { rotatedAt: new Date() },
    });
    if (marked.count !== 1) throw invalidRefresh("Refresh token was already used");
    await tx.session.update({ where: { id: session.id }, data: { lastUsedAt: new Date() } });
    return tokenPair(tx, settings, session);
  });
}

export async function revokeSession(db: Db, sessionId: string, reason: string): Promise<void> {
  await db.session.updateMany({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
}

export async function revokeSessionsWhere(db: Db, where: Prisma.SessionWhereInput, reason: string): Promise<number> {
  const result = await db.session.updateMany({
    where: { ...where, revokedAt: null },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
  return result.count;
}

/** Moves a session to another organization and rotates its tokens (used by organizations.switch). */
export async function switchSessionOrganization(
  db: PrismaClient,
  settings: AuthSettings,
  sessionId: string,
  organizationId: string,
): Promise<TokenPair> {
  return db.$transaction(async (tx) => {
    const session = await tx.session.update({ where: { id: sessionId }, data: { organizationId, lastUsedAt: new Date() } });
    await tx.refreshToken.updateMany({ where: { sessionId, rotatedAt: null }, data: { rotatedAt: new Date() } });
    return tokenPair(tx, settings, session);
  });
}
