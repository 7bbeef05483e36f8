import { createHash, randomBytes, webcrypto } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { idSchema } from "../lib/schemas.ts";

export interface AuthSettings {
  /** HS256 key, at least 32 bytes. */
  jwtSecret: Uint8Array;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
}

const ISSUER = "crm";
const AUDIENCE = "crm-api";
const ALGORITHM = "HS256";

export interface AccessClaims {
  userId: string;
  sessionId: string;
  organizationId: string;
}

const hmacKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();

/**
 * The HS256 secret as a CryptoKey, imported once per secret: given the raw bytes, jose imports
 * the key again on every sign and verify, which is a measurable share of each request.
 */
function hmacKey(secret: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

export async function signAccessToken(settings: AuthSettings, claims: AccessClaims): Promise<string> {
  return new SignJWT({ sid: claims.sessionId, org: claims.organizationId })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${settings.accessTokenTtlSeconds}s`)
    .sign(await hmacKey(settings.jwtSecret));
}

// The ids in a token are looked up in uuid columns; anything else must not reach a query.
const isId = (value: unknown): value is string => idSchema.safeParse(value).success;

export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/** Verifies signature, algorithm (HS256 only: `none` and asymmetric algorithms are refused), issuer, audience and expiry. */
export async function verifyAccessToken(
  settings: AuthSettings,
  token: string,
): Promise<AccessClaims & { /** epoch ms */ expiresAt: number }> {
  try {
    const { payload } = await jwtVerify(token, await hmacKey(settings.jwtSecret), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      // jose checks `exp` only when present; a token without one would never expire.
      requiredClaims: ["exp"],
    });
    if (!isId(payload.sub) || !isId(payload.sid) || !isId(payload.org)) {
      throw new InvalidTokenError("Access token is missing required claims");
    }
    return {
      userId: payload.sub,
      sessionId: payload.sid,
      organizationId: payload.org,
      expiresAt: (payload.exp as number) * 1000,
    };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError("Access token has expired");
    if (error instanceof joseErrors.JOSEAlgNotAllowed) {
      throw new InvalidTokenError("Access token uses an algorithm that is not accepted");
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new InvalidTokenError("Access token signature is invalid");
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw new InvalidTokenError(`Access token claim "${error.claim}" is invalid`);
    }
    throw new InvalidTokenError("Access token is malformed");
  }
}

export const API_KEY_PREFIX = "crm_";

/** 256 random bits, URL-safe. Refresh tokens and API keys are stored only as their sha256. */
export function generateSecret(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
