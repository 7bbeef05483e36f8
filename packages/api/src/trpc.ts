import { initTRPC, TRPCError } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import { type Principal, principalPermissions, resolvePrincipal } from "./auth/credentials.ts";
import { ADDS_CREDENTIALS_ONLY, IDENTITY_ROUTERS } from "./auth/principal-cache.ts";
import type { Context } from "./context.ts";
import { errorDetailsOf, invalidFields, summarizeIssues, translateDatabaseError } from "./errors.ts";
import { assertStorableText } from "./lib/storable-text.ts";
import { transformer } from "./lib/transformer.ts";
import type { Permission } from "./permissions.ts";

export type ProcedureMeta = {
  /** The permission a procedure is gated by; read by the role-matrix test and the docs. */
  permission?: Permission;
  /** Or: the permissions any one of which lets a caller through (the import jobs of every importable resource). */
  anyPermission?: readonly Permission[];
  /**
   * The state the records a procedure addresses must be in, when not live (every other procedure
   * answers NOT_FOUND for a soft-deleted record): `deleted` (restore), `any` (purge, which also
   * empties the trash; history, the audit trail of a deleted or merged record). Read by the tests that call every procedure.
   */
  recordState?: "deleted" | "any";
  /**
   * The action of the same router that puts a record in the state this procedure needs (reopen:
   * markWon); read, like recordState, by the tests that call every procedure.
   */
  preparedBy?: string;
  /** Why a mutation of a record resource writes no audit entry (the audit-coverage test holds every other one to it). */
  notAudited?: string;
};

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta<ProcedureMeta>>()
  .create({
    transformer,
    errorFormatter({ shape, error, ctx }) {
      const validation = error.cause instanceof ZodError ? error.cause : undefined;
      const internal = error.code === "INTERNAL_SERVER_ERROR";
      const details = internal ? undefined : errorDetailsOf(error);
      return {
        message: validation ? summarizeIssues(validation.issues) : internal ? "Internal server error" : shape.message,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          requestId: ctx?.requestId,
          /** The fields at fault (every 400 and 409). */
          issues: details?.issues,
          /** A conflict's existing record, when the caller may see it. */
          ...(details?.existingId === undefined ? {} : { existingId: details.existingId }),
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const translateErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const translated = translateDatabaseError(result.error.cause);
    if (translated) throw translated;
  }
  return result;
});

/** See PrincipalCache: whatever a mutation of an identity router changed, no cached principal outlives it. */
const forgetPrincipalsAfterIdentityWrites = t.middleware(async ({ ctx, type, path, next }) => {
  if (type !== "mutation" || !IDENTITY_ROUTERS.has(path.slice(0, path.indexOf(".")))) return next();
  let succeeded = false;
  try {
    const result = await next();
    succeeded = result.ok;
    return result;
  } finally {
    if (!succeeded || !ADDS_CREDENTIALS_ONLY.has(path)) ctx.principalCache.invalidateAll();
  }
});

/**
 * Query parameters a REST operation does not declare are refused by name, like unknown fields of a
 * strict input, and at the same point: after the permission gate (a caller without the permission
 * learns nothing about the input), before the input is validated.
 */
function refuseUndeclaredQueryParameters(ctx: Pick<Context, "undeclaredQueryParameters">) {
  const names = ctx.undeclaredQueryParameters ?? [];
  if (names.length === 0) return;
  throw invalidFields(names.map((name) => ({ path: [name], message: "unknown query parameter" })));
}

/** The raw input, before any schema: no string of it may hold what PostgreSQL cannot store (see storable-text). */
const refuseUnstorableText = t.middleware(async ({ getRawInput, next }) => {
  assertStorableText(await getRawInput());
  return next();
});

export const publicProcedure = t.procedure
  .use(refuseUnstorableText)
  .use(translateErrors)
  .use(forgetPrincipalsAfterIdentityWrites)
  .use(({ ctx, meta, next }) => {
    if (!meta?.permission && !meta?.anyPermission) refuseUndeclaredQueryParameters(ctx);
    return next();
  });

const authenticated = publicProcedure.use(async ({ ctx, next }) => {
  const principal = await resolvePrincipal(ctx);
  return next({ ctx: { principal } });
});

/** A signed-in user (not an API key), whatever the state of their membership in the session's org. */
export const authedProcedure = authenticated.use(async ({ ctx, next }) => {
  if (ctx.principal.kind !== "user") {
    throw new TRPCError({ code: "FORBIDDEN", message: "This operation needs a user session, not an API key" });
  }
  return next({ ctx: { principal: ctx.principal, user: ctx.principal.user, sessionId: ctx.principal.sessionId } });
});

/** What an orgProcedure hands its resolver; services take it to scope, authorise and audit. */
export type OrgContext = Context & {
  principal: Principal;
  org: { id: string };
  actor: { userId: string | null; apiKeyId: string | null };
  permissions: Set<Permission>;
};

/**
 * The caller's organization context: the org comes from the credential, never from input. A user
 * whose membership is deactivated is FORBIDDEN.
 */
export function orgContextOf<C extends Context>(ctx: C, principal: Principal): C & OrgContext {
  if (principal.kind === "user" && !principal.membership.active) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Your membership in this organization is deactivated" });
  }
  return {
    ...ctx,
    principal,
    org: { id: principal.organizationId },
    actor: {
      userId: principal.kind === "user" ? principal.user.id : null,
      apiKeyId: principal.kind === "apiKey" ? principal.apiKeyId : null,
    },
    permissions: principalPermissions(principal),
  };
}

/** FORBIDDEN unless the caller holds `required` (or, given several, one of them). */
export function requirePermission(ctx: Pick<OrgContext, "permissions">, required: Permission | readonly Permission[]): void {
  const wanted = typeof required === "string" ? [required] : required;
  if (!wanted.some((permission) => ctx.permissions.has(permission))) {
    const named = wanted.length === 1 ? wanted[0] : `one of ${wanted.join(", ")}`;
    throw new TRPCError({ code: "FORBIDDEN", message: `Missing permission ${named}` });
  }
}

/**
 * Who is calling, in which organization, allowed to do `required`: the checks of
 * `permission(required)` as a plain function, for routes that are not procedures (file upload and
 * download). Throws the same UNAUTHORIZED / FORBIDDEN errors.
 */
export async function authorize(ctx: Context, required: Permission | readonly Permission[]): Promise<OrgContext> {
  const orgContext = orgContextOf(ctx, await resolvePrincipal(ctx));
  requirePermission(orgContext, required);
  refuseUndeclaredQueryParameters(orgContext);
  return orgContext;
}

/**
 * A caller acting inside one organization: the org comes from the credential, never from input.
 * Every tenant query filters by `ctx.org.id`.
 */
export const orgProcedure = authenticated.use(({ ctx, next }) => next({ ctx: orgContextOf(ctx, ctx.principal) }));

/** orgProcedure gated by any one of several permissions (FORBIDDEN otherwise). */
export function anyPermission(required: readonly Permission[]) {
  return orgProcedure.meta({ anyPermission: required }).use(({ ctx, next }) => {
    requirePermission(ctx, required);
    refuseUndeclaredQueryParameters(ctx);
    return next();
  });
}

/** orgProcedure gated by one named permission (FORBIDDEN otherwise). */
export function permission(required: Permission) {
  return orgProcedure.meta({ permission: required }).use(({ ctx, next }) => {
    requirePermission(ctx, required);
    refuseUndeclaredQueryParameters(ctx);
    return next();
  });
}
