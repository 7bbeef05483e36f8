import type { TRPCRouterRecord } from "@trpc/server";
import { mergeInput, mergeOutput } from "../../kit/merge.ts";
import { resourceAction, resourceProcedures, staticRoutesFirst } from "../../kit/procedures.ts";
import { pageOutputSchema } from "../../lib/pagination.ts";
import { timelineProcedure } from "../../timeline/procedure.ts";
import { recordInteractions } from "../interactions/of-record.ts";
import { companiesOfContact, linkContactToCompany, unlinkContactFromCompany } from "./company-links.ts";
import { findDuplicateContacts } from "./duplicates.ts";
import { mergeContacts } from "./merge.ts";
import {
  contactCompanyOutput,
  contactOutput,
  contactPageInput,
  contacts,
  duplicatesInput,
  duplicatesOutput,
  linkCompanyInput,
  linkOutput,
  unlinkCompanyInput,
  unlinkOutput,
} from "./schemas.ts";

const standard = resourceProcedures(contacts);

export const contactsRouter = staticRoutesFirst({
  ...standard,

  merge: resourceAction(contacts, "delete", {
    method: "POST",
    path: "/merge",
    summary: "Merge contacts into one: company links move to the survivor, the others are soft-deleted pointing at it",
    description: "dryRun: true answers what the merge would do and writes nothing.",
  })
    .input(mergeInput)
    .output(mergeOutput(contactOutput))
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => mergeContacts(tx, ctx, input), { timeout: 60_000 }) as never),

  duplicates: resourceAction(contacts, "read", {
    method: "GET",
    path: "/{id}/duplicates",
    summary: "Likely duplicates of a contact: same email or phone, similar name at the same company; scored, best first",
  })
    .input(duplicatesInput)
    .output(duplicatesOutput)
    .query(({ ctx, input }) => findDuplicateContacts(ctx.db, ctx, input) as never),

  companies: resourceAction(contacts, "read", {
    method: "GET",
    path: "/{id}/companies",
    summary: "The companies of a contact (links and primary company), with the contact's role at each",
  })
    .input(contactPageInput)
    .output(pageOutputSchema(contactCompanyOutput))
    .query(({ ctx, input }) => companiesOfContact(ctx.db, ctx, { ...input, contactId: input.id })),

  linkCompany: resourceAction(contacts, "write", {
    method: "POST",
    path: "/{id}/companies/{companyId}",
    summary: "Link a contact to a company, with a role and whether it is the primary company (linking again updates them)",
  })
    .input(linkCompanyInput)
    .output(linkOutput)
    .mutation(({ ctx, input }) => {
      const { id, ...change } = input;
      return ctx.db.$transaction((tx) => linkContactToCompany(tx, ctx, { contactId: id, ...change }));
    }),

  unlinkCompany: resourceAction(contacts, "write", {
    method: "DELETE",
    path: "/{id}/companies/{companyId}",
    summary: "Unlink a contact from a company (it stops being the primary company too)",
  })
    .input(unlinkCompanyInput)
    .output(unlinkOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction((tx) => unlinkContactFromCompany(tx, ctx, { contactId: input.id, companyId: input.companyId })),
    ),

  interactions: recordInteractions(contacts, "contactId"),

  timeline: timelineProcedure(contacts),
} satisfies TRPCRouterRecord);
