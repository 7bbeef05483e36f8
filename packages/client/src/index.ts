import { createTRPCClient, httpBatchLink, type TRPCClient, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import superjson from "superjson";
import { type FileHelpers, fileHelpers } from "./files.ts";
import type { AppRouter, RouterInputs, RouterOutputs } from "./router.ts";
import { ClientSession, type SessionTokens } from "./session.ts";

export {
  CrmHttpError,
  type ExportLeadsOptions,
  type ExportOptions,
  type FileHelpers,
  type FileResource,
  type ImportFileOptions,
  type ImportLeadsOptions,
  type ImportQueued,
} from "./files.ts";
export type { AppRouter, RouterInputs, RouterOutputs } from "./router.ts";
export type { SessionTokens };
export { TRPCClientError };

export interface CrmClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** A service credential (`crm_...`), scoped to one organization and role. */
  apiKey?: string;
  /** A user's access token; with `refreshToken` the client refreshes it on its own. */
  token?: string;
  refreshToken?: string;
  /** Act in this organization: the session is switched to it before the first call. */
  orgId?: string;
  /** Called with every new token pair (login, refresh, switch) so the caller can persist it. */
  onTokens?: (tokens: SessionTokens) => void;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "UNAUTHORIZED";
}

/** Retries a call once after refreshing the session when the server says the token is no good. */
function refreshOnUnauthorized(session: ClientSession): TRPCLink<AppRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) => {
        let retried = false;
        let subscription: { unsubscribe(): void } | undefined;
        const attempt = () => {
          subscription = next(op).subscribe({
            next: (value) => observer.next(value),
            complete: () => observer.complete(),
            error: (error) => {
              if (!retried && isUnauthorized(error) && !op.path.startsWith("auth.") && session.canRefresh()) {
                retried = true;
                session.refresh().then(attempt, () => observer.error(error));
              } else {
                observer.error(error);
              }
            },
          });
        };
        attempt();
        return () => subscription?.unsubscribe();
      });
}

/** Holds back calls until `prepare` resolved (used to switch to `orgId` before the first call). */
function prepareFirst(prepare: (path: string) => Promise<void>): TRPCLink<AppRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) => {
        let subscription: { unsubscribe(): void } | undefined;
        prepare(op.path).then(
          () => {
            subscription = next(op).subscribe(observer);
          },
          (error) => observer.error(error),
        );
        return () => subscription?.unsubscribe();
      });
}

/** Logs in and out, and holds the current tokens. */
export interface CrmSession {
  /** The current token pair (after signup, login, refresh or switch), if any. */
  readonly tokens: SessionTokens | undefined;
  signup(input: RouterInputs["auth"]["signup"]): Promise<RouterOutputs["auth"]["signup"]>;
  login(input: RouterInputs["auth"]["login"]): Promise<RouterOutputs["auth"]["login"]>;
  /** Switches the active organization; later calls act in it. */
  switchOrganization(organizationId: string): Promise<void>;
  logout(): Promise<void>;
}

/**
 * Every procedure of `AppRouter` (`crm.leads.list.query(...)`), plus the session (`$session`), the
 * file routes (`$files`) and the server's base URL (`$baseUrl`).
 */
export type CrmClient = TRPCClient<AppRouter> & {
  $session: CrmSession;
  /** File upload and downloads (import, export, error report), with the same credentials. */
  $files: FileHelpers;
  $baseUrl: string;
};

/**
 * The typed client of the CRM API: every procedure of `AppRouter`, with superjson (dates stay
 * Dates). `$session` logs in and out and exposes the current tokens.
 */
export function createCrmClient(options: CrmClientOptions): CrmClient {
  const session = new ClientSession(
    options.apiKey,
    options.token ? { accessToken: options.token, refreshToken: options.refreshToken } : undefined,
    options.onTokens,
  );
  const baseUrl = options.url.replace(/\/+$/, "");
  let pendingOrg = options.orgId;
  let switching: Promise<void> | undefined;
  const switchToRequestedOrg = (path: string): Promise<void> => {
    if (!pendingOrg || options.apiKey || !session.current || path.startsWith("auth.") || path === "organizations.switch") {
      return Promise.resolve();
    }
    const organizationId = pendingOrg;
    switching ??= $session.switchOrganization(organizationId).then(() => {
      pendingOrg = undefined;
    });
    return switching;
  };

  const trpc = createTRPCClient<AppRouter>({
    links: [
      prepareFirst(switchToRequestedOrg),
      refreshOnUnauthorized(session),
      httpBatchLink({
        url: `${baseUrl}/trpc`,
        transformer: superjson,
        fetch: options.fetch,
        async headers({ opList }) {
          const refreshing = opList.some((op) => op.path === "auth.refresh");
          const authorization = await session.authorization({ refreshIfExpiring: !refreshing });
          return { ...options.headers, ...(authorization ? { authorization } : {}) };
        },
      }),
    ],
  });
  session.useRefresher((refreshToken) => trpc.auth.refresh.mutate({ refreshToken }));

  const $session: CrmSession = {
    get tokens() {
      return session.current;
    },
    async signup(input: RouterInputs["auth"]["signup"]) {
      const result = await trpc.auth.signup.mutate(input);
      session.set(result);
      return result;
    },
    async login(input: RouterInputs["auth"]["login"]) {
      const result = await trpc.auth.login.mutate(input);
      session.set(result);
      return result;
    },
    /** Switches the active organization; later calls act in it. */
    async switchOrganization(organizationId: string) {
      const tokens = await trpc.auth.me
        .query()
        .then((me) =>
          me.activeOrganization.id === organizationId ? undefined : trpc.organizations.switch.mutate({ id: organizationId }),
        );
      if (tokens) session.set(tokens);
    },
    async logout() {
      await trpc.auth.logout.mutate();
      session.set(undefined);
    },
  };

  const $files = fileHelpers({
    baseUrl,
    fetch: options.fetch,
    headers: options.headers,
    authorization: () => session.authorization(),
    prepare: () => switchToRequestedOrg(""),
    refresh: () => (session.canRefresh() ? session.refresh().then(() => true) : Promise.resolve(false)),
  });

  const extras = { $session, $files, $baseUrl: baseUrl };
  // The tRPC client is a proxy that turns every property into a procedure path, so the extras
  // are served by a second proxy in front of it.
  return new Proxy(trpc, {
    get: (target, property) =>
      Object.hasOwn(extras, property) ? extras[property as keyof typeof extras] : Reflect.get(target, property),
  }) as CrmClient;
}
