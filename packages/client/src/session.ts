/** Tokens as the API returns them from signup, login, refresh and organization switch. */
export interface SessionTokens {
  accessToken: string;
  refreshToken?: string;
}

type Refresher = (refreshToken: string) => Promise<SessionTokens>;

const EXPIRY_MARGIN_MS = 30_000;

/** The claims of a JWT, decoded with web APIs only (the client runs outside Node too). */
function jwtPayload(token: string): { exp?: unknown; iat?: unknown } {
  const base64 = (token.split(".")[1] ?? "").replaceAll("-", "+").replaceAll("_", "/");
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * When to refresh ahead of expiry: 30 s before, or a tenth of the token's lifetime for short-lived
 * tokens (with a 30 s lifetime a fixed 30 s margin would refresh before every call).
 */
function accessTokenRefreshAt(token: string): number | undefined {
  try {
    const payload = jwtPayload(token);
    if (typeof payload.exp !== "number") return undefined;
    const lifetimeMs = typeof payload.iat === "number" ? (payload.exp - payload.iat) * 1000 : Number.POSITIVE_INFINITY;
    return payload.exp * 1000 - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10);
  } catch {
    return undefined;
  }
}

/**
 * Holds the caller's credential and keeps a user session fresh: an access token about to expire is
 * refreshed before the request, concurrent callers share one refresh, and rotated tokens are
 * handed to `onTokens` so the caller can persist them.
 */
export class ClientSession {
  private tokens: SessionTokens | undefined;
  private refreshing: Promise<void> | undefined;
  private refresher: Refresher | undefined;

  constructor(
    private readonly apiKey: string | undefined,
    tokens: SessionTokens | undefined,
    private readonly onTokens?: (tokens: SessionTokens) => void,
  ) {
    this.tokens = tokens;
  }

  /** Set by the client once its tRPC proxy exists (refreshing goes through the API itself). */
  useRefresher(refresher: Refresher) {
    this.refresher = refresher;
  }

  set(tokens: SessionTokens | undefined) {
    this.tokens = tokens;
    if (tokens) this.onTokens?.(tokens);
  }

  get current(): SessionTokens | undefined {
    return this.tokens;
  }

  canRefresh(): boolean {
    return !this.apiKey && Boolean(this.tokens?.refreshToken && this.refresher);
  }

  async refresh(): Promise<void> {
    if (!this.canRefresh()) throw new Error("No refresh token to refresh the session with");
    this.refreshing ??= (async () => {
      try {
        const refreshToken = this.tokens?.refreshToken as string;
        this.set(await (this.refresher as Refresher)(refreshToken));
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /**
   * The `Authorization` header for the next request. The refresh request itself passes
   * `refreshIfExpiring: false`: waiting there for the refresh it is making would never settle.
   */
  async authorization({ refreshIfExpiring = true } = {}): Promise<string | undefined> {
    if (this.apiKey) return `Bearer ${this.apiKey}`;
    if (!this.tokens) return undefined;
    const refreshAt = accessTokenRefreshAt(this.tokens.accessToken);
    if (refreshIfExpiring && refreshAt !== undefined && Date.now() >= refreshAt && this.canRefresh()) {
      await this.refresh().catch(() => {});
    }
    return `Bearer ${this.tokens.accessToken}`;
  }
}
