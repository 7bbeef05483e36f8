import { searchTextOf } from "../../lib/search-text.ts";

/** The text `companies.list` searches (trigram-indexed): name, domain, website and phone, lower-cased. */
export function companySearchText(company: {
  name: string;
  domain?: string | null;
  website?: string | null;
  phone?: string | null;
}): string {
  return searchTextOf([company.name, company.domain, company.website, company.phone]);
}
