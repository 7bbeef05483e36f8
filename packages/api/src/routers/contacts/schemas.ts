import type { Contact } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { type CreateValues, defineResource, recordModel } from "../../kit/resource.ts";
import { phoneSchema } from "../../lib/contact-points.ts";
import { pageInputShape } from "../../lib/pagination.ts";
import { emailField, idSchema, text, timestamp } from "../../lib/schemas.ts";
import { normalizeSearchTerm } from "../../lib/search-text.ts";
import { releaseConvertedLeads } from "../leads/conversion-links.ts";
import { contactChangeColumns, contactsAtCompaniesMatching, linkPrimaryCompanies, newContactRow } from "./derived.ts";

export const CONTACT_STATUSES = ["subscriber", "lead", "prospect", "customer", "churned", "other"] as const;

/** Every field of a contact, once. The table's other columns are server-only (searchText) or common to all records. */
const contactFields = {
  firstName: fields.text(100, {
    required: true,
    sort: true,
    exported: { header: "First Name", width: 16 },
    imported: ["First Name", "first_name", "firstname", "Given Name", "First"],
  }),
  lastName: fields.text(100, {
    sort: true,
    exported: { header: "Last Name", width: 16 },
    imported: ["Last Name", "last_name", "Surname", "Family Name", "Last"],
  }),
  email: fields.email({
    description: "Lower-cased; unique among the organization's live contacts.",
    filter: "has",
    exported: { header: "Email", width: 28 },
    imported: ["Email", "E-mail", "Email Address", "Work Email"],
  }),
  additionalEmails: fields.list({ input: emailField("ada.work@example.com"), output: z.string() }, 10, {
    description: "Other addresses of the contact, lower-cased (duplicates dropped).",
    exported: { header: "Additional Emails", width: 28 },
    imported: ["Additional Emails", "Other Emails"],
  }),
  phone: fields.phone({
    description: "E.164.",
    filter: "has",
    exported: { header: "Phone", width: 16 },
    imported: ["Phone", "Phone Number", "Mobile", "Telephone", "Work Phone"],
  }),
  additionalPhones: fields.list({ input: phoneSchema, output: z.string() }, 10, {
    description: "Other numbers of the contact, E.164 (duplicates dropped).",
    exported: { header: "Additional Phones", width: 20 },
    imported: ["Additional Phones", "Other Phones"],
  }),
  jobTitle: fields.text(200, {
    exported: { header: "Job Title", width: 20 },
    imported: ["Job Title", "Title", "Position"],
  }),
  status: fields.enumWithDefault(CONTACT_STATUSES, {
    description: "Lifecycle status.",
    filter: "in",
    exported: { header: "Status" },
    imported: ["Status", "Lifecycle Status", "Lifecycle Stage"],
  }),
  tags: fields.keywords(50, { filter: "in", exported: { header: "Tags", width: 20 }, imported: ["Tags", "Tag", "Labels"] }),
  ownerId: fields.id({
    description: "The member who owns the contact; null for nobody.",
    exported: { header: "Owner ID", width: 38 },
    imported: ["Owner", "Owner ID", "Contact Owner"],
  }),
  primaryCompanyId: fields.id({
    description: "The contact's main company (linking a company with isPrimary sets it too).",
    references: { table: "Company", label: "Company" },
    // Exported, not imported: the shared record writer does not check references yet (the database's composite key would refuse another organization's company as a failed job, not a refused row).
    exported: { header: "Primary Company ID", width: 38 },
  }),
  street: fields.text(200, { exported: { header: "Street", width: 24 }, imported: ["Street", "Address", "Street Address"] }),
  city: fields.text(100, { exported: { header: "City", width: 16 }, imported: ["City", "Town"] }),
  region: fields.text(100, { exported: { header: "Region", width: 16 }, imported: ["Region", "State", "Province", "County"] }),
  postalCode: fields.text(20, { exported: { header: "Postal Code", width: 12 }, imported: ["Postal Code", "Zip", "Postcode"] }),
  country: fields.countryCode({
    description: "ISO 3166-1 alpha-2 (`GB`), upper-cased.",
    exported: { header: "Country", width: 8 },
    imported: ["Country", "Country Code"],
  }),
  linkedinUrl: fields.profileUrl("linkedin.com", {
    description: "The contact's LinkedIn profile.",
    exported: { header: "LinkedIn", width: 32 },
    imported: ["LinkedIn", "LinkedIn URL", "LinkedIn Profile"],
  }),
  notes: fields.longText(10_000, { exported: { header: "Notes", width: 40 }, imported: ["Notes", "Note", "Comments"] }),
  isActive: fields.boolean({ filter: "equals", exported: { header: "Active", width: 8 }, imported: ["Active", "Is Active"] }),
  lastContactedAt: fields.dateTime({
    exported: { header: "Last Contacted At", width: 20 },
    imported: ["Last Contacted", "Last Contacted At"],
  }),
  mergedIntoId: fields.shown("id", z.uuid(), {
    description: "The contact this one was merged into (it is then soft-deleted); null otherwise.",
  }),
};

export const contacts = defineResource({
  key: "contacts",
  singular: "contact",
  label: "Contact",
  table: "Contact",
  model: recordModel<Contact>((db) => db.contact),
  fields: contactFields,
  serverOnly: ["searchText"],
  owner: { field: "ownerId", filter: "owner" },
  unique: [{ field: "email" }],
  search: { column: "searchText", normalize: normalizeSearchTerm, related: contactsAtCompaniesMatching },
  sorts: { name: { field: "lastName", type: "string", nullable: true } },
  filters: {
    companyId: idSchema.optional().meta({ description: "Contacts of this company: its primary company, or linked to it." }),
  },
  sqlRelations: { companies: { table: "ContactCompany", foreignKey: "contactId" } },
  hooks: {
    newRow: (_ctx, input) => newContactRow(input as CreateContactInput),
    afterCreate: (tx, ctx, rows) => linkPrimaryCompanies(tx, ctx, rows as Contact[]),
    changeColumns: (tx, ctx, before, changes) => contactChangeColumns(tx, ctx, before as Contact, changes),
    where: (_ctx, filters) => (filters.companyId ? [{ companies: { some: { companyId: filters.companyId } } }] : []),
    // Contacts merged into this one keep a pointer to it (NO ACTION): cleared, as the purge leaves them nothing to point at.
    beforePurge: async (tx, ctx, row) => {
      await tx.contact.updateMany({ where: { organizationId: ctx.org.id, mergedIntoId: row.id }, data: { mergedIntoId: null } });
      await releaseConvertedLeads(tx, ctx, "convertedContactId", row.id);
    },
  },
});

export const contactOutput = contacts.schemas.output;

export type CreateContactInput = CreateValues<typeof contactFields>;

export const linkCompanyInput = z.strictObject({
  id: idSchema,
  companyId: idSchema,
  role: text(100).nullable().optional().meta({ description: 'What the contact is at the company, e.g. "decision maker".' }),
  isPrimary: z
    .boolean()
    .optional()
    .meta({ description: "Make it the contact's primary company (sets primaryCompanyId); false leaves it a plain link." }),
});
export const unlinkCompanyInput = z.strictObject({ id: idSchema, companyId: idSchema });
export const unlinkOutput = z.object({ unlinked: z.boolean().meta({ description: "false: they were not linked." }) });
export const contactPageInput = z.strictObject({ id: idSchema, ...pageInputShape });

export const companySummaryOutput = z.object({ id: z.uuid(), name: z.string(), domain: z.string().nullable() });
export const contactCompanyOutput = z.object({
  company: companySummaryOutput,
  role: z.string().nullable(),
  isPrimary: z.boolean().meta({ description: "The contact's primary company." }),
  linkedAt: timestamp.nullable().meta({ description: "When the link was made." }),
});
export const companyContactOutput = z.object({
  contact: contactOutput,
  role: z.string().nullable(),
  isPrimary: z.boolean().meta({ description: "The contact's primary company is this one." }),
  linkedAt: timestamp.nullable(),
});
export const linkOutput = z.object({
  contactId: z.uuid(),
  companyId: z.uuid(),
  role: z.string().nullable(),
  isPrimary: z.boolean(),
  linkedAt: timestamp,
});

export const DUPLICATE_RULES = ["email", "phone", "name_at_company"] as const;
export const duplicatesInput = z.strictObject({
  id: idSchema,
  limit: z.coerce.number().int().min(1).max(50).default(10),
});
export const duplicatesOutput = z.object({
  items: z.array(
    z.object({
      contact: contactOutput,
      score: z.number().meta({ description: "0..1: how likely the two are one person (rules combined)." }),
      rules: z.array(z.enum(DUPLICATE_RULES)).meta({
        description:
          "email: an address in common (primary or additional); phone: a number in common; name_at_company: a similar name at a company they share.",
      }),
      nameSimilarity: z.number().nullable().meta({ description: "Trigram similarity of the names, for name_at_company." }),
    }),
  ),
});
