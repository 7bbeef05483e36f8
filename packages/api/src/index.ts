import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root.ts";

export { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSettings } from "./auth/throttle.ts";
export type { AuthSettings } from "./auth/tokens.ts";
export { type ApiServices, type Context, createContextFactory, type RequestInfo } from "./context.ts";
export { summarizeIssues, ThrottledError } from "./errors.ts";
export { openApiDocument } from "./openapi.ts";
export { BUILT_IN_ROLES, PERMISSIONS, type Permission } from "./permissions.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { DEMO_LOGIN, seedDemoData } from "./seed.ts";
export { createCallerFactory, type ProcedureMeta } from "./trpc.ts";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
