/** The text a record's keyword search reads: its parts, lower-cased, space-separated (empty parts left out). */
export function searchTextOf(parts: readonly (string | null | undefined)[]): string {
  return parts
    .filter((part) => part !== null && part !== undefined && part !== "")
    .join(" ")
    .toLowerCase();
}

/** A search term as stored: lower-cased; a phone-looking term loses its spacing and punctuation. */
export function normalizeSearchTerm(term: string): string {
  const trimmed = term.trim().toLowerCase();
  return /^\+?[\d\s().-]{5,}$/.test(trimmed) ? trimmed.replace(/[^\d+]/g, "") : trimmed;
}
