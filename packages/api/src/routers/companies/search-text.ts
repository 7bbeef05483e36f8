/** The text `companies.list` searches (trigram-indexed): name, domain, website and phone, lower-cased. */
export function companySearchText(company: {
  name: string;
  domain?: string | null;
  website?: string | null;
  phone?: string | null;
}): string {
  return [company.name, company.domain, company.website, company.phone]
    .filter((part) => part !== null && part !== undefined && part !== "")
    .join(" ")
    .toLowerCase();
}
