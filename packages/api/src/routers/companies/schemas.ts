import type { Company } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { defineResource, recordModel } from "../../kit/resource.ts";
import { parentTree } from "../../kit/tree.ts";
import { pageInputShape } from "../../lib/pagination.ts";
import { idSchema, text, timestamp } from "../../lib/schemas.ts";
import { normalizeSearchTerm, searchTextOf } from "../../lib/search-text.ts";
import { clearReferencesTo } from "./purge.ts";

export const COMPANY_TYPES = ["prospect", "customer", "partner", "vendor", "other"] as const;
export const COMPANY_SIZES = ["s1_10", "s11_50", "s51_200", "s201_500", "s501_1000", "s1001_5000", "s5001_plus"] as const;

/** Every field of a company, once. The table's other columns are server-only (searchText) or common to all records. */
const companyFields = {
  name: fields.text(200, {
    required: true,
    sort: true,
    exported: { header: "Name", width: 24 },
    imported: ["Name", "Company", "Company Name", "Account", "Account Name", "Organization", "Organisation"],
  }),
  domain: fields.domain({
    exported: { header: "Domain", width: 20 },
    imported: ["Domain", "Domain Name", "Company Domain"],
    description:
      'Lower-cased, without scheme, `www.` or path ("https://www.Acme.com/about" is stored as "acme.com"); unique among the organization\'s live companies.',
  }),
  industry: fields.text(100, {
    filter: "equals",
    exported: { header: "Industry", width: 16 },
    imported: ["Industry", "Vertical", "Sector"],
  }),
  size: fields.enum(COMPANY_SIZES, {
    filter: "in",
    exported: { header: "Size" },
    imported: ["Size", "Company Size", "Size Band"],
    description: "Employee band: s1_10 = 1–10, s11_50 = 11–50, ..., s5001_plus = more than 5,000.",
  }),
  employeeCount: fields.integer(
    { min: 0, max: 10_000_000 },
    {
      filter: "range",
      exported: { header: "Employees" },
      imported: ["Employees", "Employee Count", "Number of Employees", "Headcount"],
    },
  ),
  annualRevenue: fields.decimal(
    { digits: 18, scale: 2, min: 0 },
    {
      exported: { header: "Annual Revenue", width: 18 },
      imported: ["Annual Revenue", "Revenue"],
      description:
        'Exact amount in revenueCurrency (a decimal string, e.g. "12500000.00"); given with revenueCurrency or not at all.',
    },
  ),
  revenueCurrency: fields.currency({
    exported: { header: "Revenue Currency" },
    imported: ["Revenue Currency", "Currency"],
    description: "ISO 4217 code of annualRevenue; given with annualRevenue or not at all.",
  }),
  types: fields.enumSet(COMPANY_TYPES, {
    filter: "in",
    exported: { header: "Types", width: 20 },
    imported: ["Types", "Type", "Company Type", "Relationship"],
    description: "What the company is to the organization; several at once (a customer and a vendor).",
  }),
  website: fields.website({ exported: { header: "Website", width: 24 }, imported: ["Website", "Web Site", "URL", "Homepage"] }),
  phone: fields.phone({ exported: { header: "Phone", width: 16 }, imported: ["Phone", "Phone Number", "Telephone", "Tel"] }),
  street: fields.text(200, { exported: { header: "Street", width: 24 }, imported: ["Street", "Address", "Street Address"] }),
  city: fields.text(100, { exported: { header: "City" }, imported: ["City", "Town"] }),
  region: fields.text(100, { exported: { header: "Region" }, imported: ["Region", "State", "Province", "County"] }),
  postalCode: fields.text(20, { exported: { header: "Postal Code" }, imported: ["Postal Code", "Postcode", "ZIP", "Zip Code"] }),
  country: fields.countryCode({ exported: { header: "Country" }, imported: ["Country", "Country Code"] }),
  tags: fields.keywords(50, { filter: "in", exported: { header: "Tags", width: 20 }, imported: ["Tags", "Tag", "Labels"] }),
  ownerId: fields.id({
    description: "The member who owns the company; null for nobody.",
    exported: { header: "Owner ID", width: 38 },
    imported: ["Owner", "Owner ID", "Owner Email", "Account Owner"],
  }),
  parentId: fields.id({
    description: "The parent company (a company cannot be its own ancestor).",
    references: { table: "Company", label: "Parent company" },
  }),
  isActive: fields.boolean({ filter: "equals", exported: { header: "Active", width: 8 }, imported: ["Active", "Is Active"] }),
  lastContactedAt: fields.dateTime({
    description: "The latest interaction with the company (raised by interactions linked to it).",
    exported: { header: "Last Contacted At", width: 20 },
    imported: ["Last Contacted", "Last Contacted At"],
  }),
  mergedIntoId: fields.shown("id", z.uuid(), { description: "The company this one was merged into (then soft-deleted)." }),
};

/** The text `companies.list` searches (trigram-indexed): name, domain, website and phone, lower-cased. */
export function companySearchText(company: {
  name: string;
  domain?: string | null;
  website?: string | null;
  phone?: string | null;
}): string {
  return searchTextOf([company.name, company.domain, company.website, company.phone]);
}

/** Companies and their subsidiaries. */
export const companyTree = parentTree("Company", "company");

export const companies = defineResource({
  key: "companies",
  singular: "company",
  label: "Company",
  table: "Company",
  model: recordModel<Company>((db) => db.company),
  fields: companyFields,
  serverOnly: ["searchText"],
  owner: { field: "ownerId", filter: "owner" },
  unique: [{ field: "domain" }],
  together: [["annualRevenue", "revenueCurrency"]],
  search: { column: "searchText", normalize: normalizeSearchTerm },
  hooks: {
    newRow: (_ctx, input) => {
      const values = input as Partial<Company> & { name: string };
      return { ...values, searchText: companySearchText(values) };
    },
    changeColumns: async (tx, ctx, before, changes) => {
      const company = before as Company;
      if (typeof changes.parentId === "string" && changes.parentId !== company.parentId) {
        await companyTree.checkParent(tx, ctx, company.id, changes.parentId);
      }
      return { ...changes, searchText: companySearchText({ ...company, ...changes }) };
    },
    beforePurge: (tx, ctx, row) => clearReferencesTo(tx, ctx, row.id),
  },
});

export const companyOutput = companies.schemas.output;
export const companyFilterInput = companies.schemas.filters;

const counts = z.record(z.string(), z.number().int());

export const companyStatsOutput = z.object({
  total: z.number().int(),
  active: z.number().int(),
  byType: counts.meta({ description: "Companies of each type; a company of several types counts in each." }),
  byIndustry: counts.meta({ description: "Companies per industry; those without one under `(none)`." }),
  bySize: counts.meta({ description: "Companies per size band; those without one under `(none)`." }),
});

export const companyPageInput = z.strictObject({ id: idSchema, ...pageInputShape });
export const linkContactInput = z.strictObject({
  id: idSchema,
  contactId: idSchema,
  role: text(100).nullable().optional().meta({ description: 'What the contact is at the company, e.g. "decision maker".' }),
  isPrimary: z
    .boolean()
    .optional()
    .meta({ description: "Make the company the contact's primary company; false leaves it a plain link." }),
});
export const unlinkContactInput = z.strictObject({ id: idSchema, contactId: idSchema });

export const companyDuplicatesInput = z.strictObject({
  id: idSchema,
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

const DUPLICATE_RULES = ["domain", "name"] as const;

export const companyDuplicatesOutput = z.object({
  items: z.array(
    z.object({
      company: companyOutput,
      score: z.number().meta({ description: "0..1: 1 for the same domain, else the names' trigram similarity." }),
      rules: z.array(z.enum(DUPLICATE_RULES)).meta({ description: "Which rules matched: same domain, similar name." }),
    }),
  ),
});

export const customerStatsOutput = z.object({
  total: z.number().int(),
  active: z.number().int(),
  byIndustry: counts.meta({ description: "Customers per industry; those without one under `(none)`." }),
  newPerMonth: z
    .array(z.object({ monthStart: timestamp, count: z.number().int() }))
    .meta({ description: "Customers created in each of the last 12 months (UTC), oldest first." }),
});

export type CompanyFilterInput = z.infer<typeof companyFilterInput>;
