import type { AppRouter, RouterInputs, RouterOutputs } from "@crm/api";
import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import superjson from "superjson";
import { fileHelpers } from "./files.ts";
import { ClientSession, type SessionTokens } from "./session.ts";

export { CrmHttpError, type ExportLeadsOptions, type FileHelpers, type ImportLeadsOptions, type ImportQueued } from "./files.ts";
export type { AppRouter, RouterInputs, RouterOutputs, SessionTokens };
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

/**
 * The typed client of the CRM API: every procedure of `AppRouter`, with superjson (dates stay
 * Dates). `$session` logs in and out and exposes the current tokens.
 */
export function createCrmClient(options: CrmClientOptions) {
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

  const $session = {
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

  /** File upload and downloads (import, export, error report), with the same credentials. */
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
  }) as typeof trpc & typeof extras;
}

export type CrmClient = ReturnType<typeof createCrmClient>;
