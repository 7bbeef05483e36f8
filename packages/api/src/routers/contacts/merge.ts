import type { Prisma } from "@crm/db";
import { type MergeInput, type MergeReference, mergeRecords } from "../../kit/merge.ts";
import type { OrgContext } from "../../trpc.ts";
import { markPrimaryLink } from "./derived.ts";
import { contacts } from "./schemas.ts";

/**
 * What points at a contact and moves to the survivor of a merge. Interactions, deals, tickets,
 * meetings and campaign members join this list as they are built.
 */
export const CONTACT_REFERENCES: readonly MergeReference[] = [
  { label: "company links", table: "ContactCompany", column: "contactId", linkKeys: ["companyId"] },
  { label: "contacts merged earlier", table: "Contact", column: "mergedIntoId" },
  // A campaign both were in keeps the survivor's membership (its steps).
  { label: "campaign memberships", table: "CampaignMember", column: "contactId", linkKeys: ["campaignId"] },
];

/**
 * Merges contacts into one (see mergeRecords); the links moved from the merged contacts may carry
 * their own primary flag, so the survivor's links are brought back in step with its primary company.
 */
export async function mergeContacts(tx: Prisma.TransactionClient, ctx: OrgContext, input: MergeInput) {
  const result = await mergeRecords(tx, ctx, contacts, input, CONTACT_REFERENCES);
  if (!result.dryRun) {
    const survivor = result.survivor as { id: string; primaryCompanyId: string | null };
    await markPrimaryLink(tx, ctx, survivor.id, survivor.primaryCompanyId);
  }
  return result;
}
