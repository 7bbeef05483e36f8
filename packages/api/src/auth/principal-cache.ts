import { createHash } from "node:crypto";
import type { Principal } from "./credentials.ts";

/** The routers whose writes can change who a credential stands for; their mutations empty the cache. */
export const IDENTITY_ROUTERS: ReadonlySet<string> = new Set([
  "auth",
  "organizations",
  "members",
  "employees",
  "roles",
  "users",
  "apiKeys",
]);

/**
 * Identity mutations that, when they succeed, only add credentials (a user, a session, an
 * organization) and change none already checked: they leave the cache as it is. A failed refresh
 * may have revoked its session (token reuse), so only success is exempt.
 */
export const ADDS_CREDENTIALS_ONLY: ReadonlySet<string> = new Set([
  "auth.signup",
  "auth.login",
  "auth.refresh",
  "organizations.create",
]);

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Principals resolved from credentials, kept for a few seconds so that a burst of requests with one
 * access token or API key costs one signature check and one session query instead of one each.
 *
 * A mutation of an identity router empties it on this instance (see `IDENTITY_ROUTERS`), so logout,
 * revocation, deactivation and role changes take effect at once here; another instance sees them
 * within `ttlMs`. A `ttlMs` of 0 turns caching off.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every invalidation: a lookup that started before one must not store what it read. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * The cached principal of `credential`, or the one `load` resolves, cached until the earlier of
   * the TTL and the credential's own expiry (`validUntil`, epoch ms).
   */
  async resolve(credential: string, load: () => Promise<{ principal: Principal; validUntil?: number }>): Promise<Principal> {
    if (this.ttlMs <= 0) return (await load()).principal;
    // Keyed by a digest: the cache holds no usable secret.
    const key = createHash("sha256").update(credential).digest("base64url");
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > now) return cached.principal;
    if (cached) this.entries.delete(key);

    const generation = this.generation;
    const { principal, validUntil = Number.POSITIVE_INFINITY } = await load();
    if (generation === this.generation) this.store(key, { principal, expiresAt: Math.min(now + this.ttlMs, validUntil) });
    return principal;
  }

  invalidateAll(): void {
    this.generation++;
    this.entries.clear();
  }

  private store(key: string, entry: Entry): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
  }
}
