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

/** A search term as stored: lower-cased; a phone-looking term loses its spacing and punctuation. */
export function normalizeSearchTerm(term: string): string {
  const trimmed = term.trim().toLowerCase();
  return /^\+?[\d\s().-]{5,}$/.test(trimmed) ? trimmed.replace(/[^\d+]/g, "") : trimmed;
}
