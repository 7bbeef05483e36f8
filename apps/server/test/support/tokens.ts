import { createHmac, generateKeyPairSync, sign } from "node:crypto";

/** The claims the server puts in an access token (see packages/api/src/auth/tokens.ts). */
export interface AccessTokenClaims {
  sub?: string;
  sid?: string;
  org?: string;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Reads the payload of a JWT without verifying it. */
export function decodeClaims(token: string): AccessTokenClaims {
  const payload = token.split(".")[1];
  if (!payload) throw new Error("not a JWT");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}

/**
 * Builds a JWT by hand, so tests can present the tokens an attacker or a buggy issuer would:
 * expired, without claims, signed with another algorithm or key, or not signed at all.
 */
export function forgeToken(
  claims: AccessTokenClaims,
  options: { alg: "HS256" | "HS512"; secret: string } | { alg: "RS256" } | { alg: "none" },
): string {
  const signingInput = `${base64url({ alg: options.alg, typ: "JWT" })}.${base64url(claims)}`;
  switch (options.alg) {
    case "none":
      return `${signingInput}.`;
    case "RS256": {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      return `${signingInput}.${sign("sha256", Buffer.from(signingInput), privateKey).toString("base64url")}`;
    }
    default: {
      const hash = options.alg === "HS256" ? "sha256" : "sha512";
      return `${signingInput}.${createHmac(hash, options.secret).update(signingInput).digest("base64url")}`;
    }
  }
}

export const nowInSeconds = () => Math.floor(Date.now() / 1000);
