/**
 * The text `leads.list` searches (trigram-indexed). The SQL backfill in the migration
 * `lead_full_model` computes the same thing: keep them in step.
 */
export function leadSearchText(lead: {
  firstName: string;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  companyName?: string | null;
}): string {
  return [lead.firstName, lead.lastName, lead.email, lead.phone, lead.companyName]
    .filter((part) => part !== null && part !== undefined && part !== "")
    .join(" ")
    .toLowerCase();
}

export { normalizeSearchTerm } from "../../lib/search-text.ts";
