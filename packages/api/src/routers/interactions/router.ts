import type { TRPCRouterRecord } from "@trpc/server";
import { resourceProcedures, staticRoutesFirst } from "../../kit/procedures.ts";
import { interactions } from "./schemas.ts";

export const interactionsRouter = staticRoutesFirst({
  ...resourceProcedures(interactions, {
    create: "Log an interaction (a call, email, meeting, note...) linked to a lead, contact, company or deal",
  }),
} satisfies TRPCRouterRecord);
