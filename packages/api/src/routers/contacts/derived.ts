import type { Contact, Prisma } from "@crm/db";
import { searchTextOf } from "../../lib/search-text.ts";
import type { OrgContext } from "../../trpc.ts";
import type { CreateContactInput } from "./schemas.ts";

type Tx = Prisma.TransactionClient;
type ContactPoints = Pick<Contact, "firstName" | "lastName" | "email" | "additionalEmails" | "phone" | "additionalPhones">;

/**
 * The text `contacts.list` searches (trigram-indexed): names, emails and phones. Company names are
 * not copied in (a rename would rewrite every contact of the company): a keyword finds the
 * contacts of the companies it matches through contactsAtCompaniesMatching.
 */
export function contactSearchText(contact: Partial<ContactPoints> & { firstName: string }): string {
  return searchTextOf([
    contact.firstName,
    contact.lastName,
    contact.email,
    ...(contact.additionalEmails ?? []),
    contact.phone,
    ...(contact.additionalPhones ?? []),
  ]);
}

const distinct = (values: string[] | undefined, besides: string | null | undefined) =>
  values === undefined ? undefined : [...new Set(values)].filter((value) => value !== besides);

/** Every column of a new contact from validated create input; shared by create, bulk create and import. */
export function newContactRow(input: CreateContactInput): Record<string, unknown> {
  const row = {
    ...input,
    additionalEmails: distinct(input.additionalEmails, input.email) ?? [],
    additionalPhones: distinct(input.additionalPhones, input.phone) ?? [],
  };
  return { ...row, searchText: contactSearchText(row) };
}

/**
 * The columns an update writes: the changes, the lists without repeats, the search text that
 * follows. A new primary company becomes one of the contact's links, flagged isPrimary, in the
 * same transaction: so a company's contacts are one indexed lookup of the links.
 */
export async function contactChangeColumns(tx: Tx, ctx: OrgContext, before: Contact, changes: Record<string, unknown>) {
  const merged = { ...before, ...changes } as Contact;
  const data: Record<string, unknown> = { ...changes };
  if ("additionalEmails" in changes) data.additionalEmails = distinct(merged.additionalEmails, merged.email);
  if ("additionalPhones" in changes) data.additionalPhones = distinct(merged.additionalPhones, merged.phone);
  data.searchText = contactSearchText({ ...merged, ...data });
  if ("primaryCompanyId" in changes && changes.primaryCompanyId !== before.primaryCompanyId) {
    await linkPrimaryCompanies(tx, ctx, [merged]);
    await markPrimaryLink(tx, ctx, before.id, merged.primaryCompanyId);
  }
  return data;
}

/** New contacts' primary companies become links (the kit's afterCreate; updates: contactChangeColumns). */
export async function linkPrimaryCompanies(tx: Tx, ctx: OrgContext, rows: Pick<Contact, "id" | "primaryCompanyId">[]) {
  const data = rows.flatMap((row) =>
    row.primaryCompanyId
      ? [
          {
            organizationId: ctx.org.id,
            contactId: row.id,
            companyId: row.primaryCompanyId,
            isPrimary: true,
            createdById: ctx.actor.userId,
          },
        ]
      : [],
  );
  if (data.length) await tx.contactCompany.createMany({ data, skipDuplicates: true });
}

/** The contact's links say which one is its primary company (`isPrimary` mirrors Contact.primaryCompanyId). */
export async function markPrimaryLink(tx: Tx, ctx: OrgContext, contactId: string, primaryCompanyId: string | null) {
  const scope = { organizationId: ctx.org.id, contactId };
  await tx.contactCompany.updateMany({
    where: { ...scope, isPrimary: true, ...(primaryCompanyId ? { companyId: { not: primaryCompanyId } } : {}) },
    data: { isPrimary: false },
  });
  if (primaryCompanyId) {
    await tx.contactCompany.updateMany({ where: { ...scope, companyId: primaryCompanyId }, data: { isPrimary: true } });
  }
}

/**
 * The contacts linked to a live company whose search text (name, domain, website, phone) holds
 * `term`, at most `limit`: both lookups use an index (the companies' trigram index, then the links
 * by company).
 */
export async function contactsAtCompaniesMatching(db: Tx, ctx: OrgContext, term: string, limit: number): Promise<string[]> {
  const pattern = `%${term.replace(/[\\%_]/g, "\\$&")}%`;
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT link."contactId" AS "id"
    FROM "Company" company
    JOIN "ContactCompany" link ON link."organizationId" = company."organizationId" AND link."companyId" = company."id"
    WHERE company."organizationId" = ${ctx.org.id}::uuid AND company."deletedAt" IS NULL
      AND company."searchText" LIKE ${pattern}
    LIMIT ${limit}`;
  return rows.map((row) => row.id);
}
