import type { AppRouter } from "@crm/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type { AppRouter };
/** The input of every procedure, by path: `RouterInputs["leads"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** The output of every procedure, by path: `RouterOutputs["leads"]["byId"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
