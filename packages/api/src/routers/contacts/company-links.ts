import type { Contact, Prisma } from "@crm/db";
import { notFound } from "../../errors.ts";
import { presentRecord } from "../../kit/list.ts";
import { auditable, findRecord, lockRecord, referenceNotFound } from "../../kit/records.ts";
import { writeAudit } from "../../lib/audit.ts";
import { keysetPage } from "../../lib/pagination.ts";
import type { OrgContext } from "../../trpc.ts";
import { markPrimaryLink } from "./derived.ts";
import { contacts } from "./schemas.ts";

/**
 * Links between contacts and companies, one service for both sides: `/contacts/{id}/companies/...`
 * and `/companies/{id}/contacts/...` call the same functions. `addressed` says which record the
 * route names by `{id}`: it is NOT_FOUND plainly (`Contact not found`), the other one names its
 * field (`companyId: Company not found`). Both must be live records of the caller's organization.
 * A link is audited on the contact (`link` / `unlink`), with the link as `companies.<companyId>`.
 */

type Tx = Prisma.TransactionClient;

export type LinkSide = "contact" | "company";

export interface LinkKey {
  contactId: string;
  companyId: string;
}

export interface LinkChange extends LinkKey {
  /** undefined keeps the link's role, null clears it. */
  role?: string | null;
  /** true makes the company the contact's primary one (primaryCompanyId); false makes it a plain link. */
  isPrimary?: boolean;
}

const companySummary = { id: true, name: true, domain: true } as const;

async function liveContact(tx: Tx, ctx: OrgContext, contactId: string, addressed: LinkSide) {
  try {
    return await lockRecord<Contact>(tx, ctx, contacts, contactId, { deleted: false });
  } catch (error) {
    if (addressed === "company") throw referenceNotFound("contactId", `${contacts.label} not found`);
    throw error;
  }
}

async function liveCompany(db: Tx, ctx: OrgContext, companyId: string, addressed: LinkSide) {
  const company = await db.company.findFirst({
    where: { id: companyId, organizationId: ctx.org.id, deletedAt: null },
    select: companySummary,
  });
  if (!company) throw addressed === "company" ? notFound("Company") : referenceNotFound("companyId", "Company not found");
  return company;
}

/** Both records of a link, the addressed one first (so a foreign `{id}` is NOT_FOUND whatever the other is). */
async function linkedPair(tx: Tx, ctx: OrgContext, key: LinkKey, addressed: LinkSide) {
  if (addressed === "company") {
    await liveCompany(tx, ctx, key.companyId, addressed);
    return liveContact(tx, ctx, key.contactId, addressed);
  }
  const contact = await liveContact(tx, ctx, key.contactId, addressed);
  await liveCompany(tx, ctx, key.companyId, addressed);
  return contact;
}

const linkWhere = (ctx: OrgContext, key: LinkKey) => ({
  organizationId_contactId_companyId: { organizationId: ctx.org.id, contactId: key.contactId, companyId: key.companyId },
});

/** Writes the contact's new primary company (if it changed) and audits the link as `action`. */
async function recordLinkChange(
  tx: Tx,
  ctx: OrgContext,
  contact: Contact,
  companyId: string,
  primaryCompanyId: string | null,
  link: { before: object | null; after: object | null; action: "link" | "unlink" },
) {
  let after = contact;
  if (primaryCompanyId !== contact.primaryCompanyId) {
    after = await tx.contact.update({ where: { id: contact.id }, data: { primaryCompanyId, updatedById: ctx.actor.userId } });
    await markPrimaryLink(tx, ctx, contact.id, primaryCompanyId);
  }
  const field = `companies.${companyId}`;
  await writeAudit(tx, ctx, {
    action: link.action,
    entityType: contacts.singular,
    entityId: contact.id,
    before: { ...auditable(contacts, contact), [field]: link.before },
    after: { ...auditable(contacts, after), [field]: link.after },
  });
}

/** Links a contact to a company, or changes the role / primary flag of their link. */
export async function linkContactToCompany(tx: Tx, ctx: OrgContext, change: LinkChange, addressed: LinkSide = "contact") {
  const contact = await linkedPair(tx, ctx, change, addressed);
  const existing = await tx.contactCompany.findUnique({ where: linkWhere(ctx, change) });
  const wasPrimary = contact.primaryCompanyId === change.companyId;
  const isPrimary = change.isPrimary ?? wasPrimary;
  const role = change.role === undefined ? (existing?.role ?? null) : change.role;
  const link = existing
    ? await tx.contactCompany.update({ where: linkWhere(ctx, change), data: { role, isPrimary } })
    : await tx.contactCompany.create({
        data: { organizationId: ctx.org.id, ...change, role, isPrimary, createdById: ctx.actor.userId },
      });
  const primaryCompanyId = isPrimary ? change.companyId : wasPrimary ? null : contact.primaryCompanyId;
  await recordLinkChange(tx, ctx, contact, change.companyId, primaryCompanyId, {
    action: "link",
    before: existing ? { role: existing.role, isPrimary: existing.isPrimary } : null,
    after: { role, isPrimary },
  });
  return {
    contactId: link.contactId,
    companyId: link.companyId,
    role: link.role,
    isPrimary: link.isPrimary,
    linkedAt: link.createdAt,
  };
}

/**
 * Unlinks a contact from a company (no longer its primary company either). Unlinking a pair that
 * is not linked changes nothing but is audited all the same: the request was made.
 */
export async function unlinkContactFromCompany(tx: Tx, ctx: OrgContext, key: LinkKey, addressed: LinkSide = "contact") {
  const contact = await linkedPair(tx, ctx, key, addressed);
  const existing = await tx.contactCompany.findUnique({ where: linkWhere(ctx, key) });
  const wasPrimary = contact.primaryCompanyId === key.companyId;
  if (existing) await tx.contactCompany.delete({ where: linkWhere(ctx, key) });
  await recordLinkChange(tx, ctx, contact, key.companyId, wasPrimary ? null : contact.primaryCompanyId, {
    action: "unlink",
    before: existing || wasPrimary ? { role: existing?.role ?? null, isPrimary: wasPrimary } : null,
    after: null,
  });
  return { unlinked: Boolean(existing || wasPrimary) };
}

interface PageRequest {
  limit: number;
  cursor?: string;
  sortOrder: "asc" | "desc";
}

/** The live companies of a contact (its primary company is one of its links), newest first by default. */
export async function companiesOfContact(db: Tx, ctx: OrgContext, input: PageRequest & { contactId: string }) {
  const contact = await findRecord<Contact>(db, ctx, contacts, input.contactId);
  const page = keysetPage({ field: "createdAt", order: input.sortOrder, type: "date" }, input.limit, input.cursor);
  const rows = await db.company.findMany({
    where: {
      AND: [{ organizationId: ctx.org.id, deletedAt: null }, { contacts: { some: { contactId: contact.id } } }, page.where],
    },
    orderBy: page.orderBy as Prisma.CompanyOrderByWithRelationInput[],
    take: page.take,
    select: {
      ...companySummary,
      createdAt: true,
      contacts: { where: { contactId: contact.id }, select: { role: true, createdAt: true } },
    },
  });
  const { items, nextCursor } = page.toPage(rows);
  return {
    items: items.map(({ contacts: [link], createdAt: _createdAt, ...company }) => ({
      company,
      role: link?.role ?? null,
      isPrimary: company.id === contact.primaryCompanyId,
      linkedAt: link?.createdAt ?? null,
    })),
    nextCursor,
  };
}

/** The live contacts of a company (linked to it; a primary company is always a link), newest first by default. */
export async function contactsOfCompany(
  db: Tx,
  ctx: OrgContext,
  input: PageRequest & { companyId: string },
  addressed: LinkSide = "company",
) {
  await liveCompany(db, ctx, input.companyId, addressed);
  const page = keysetPage({ field: "createdAt", order: input.sortOrder, type: "date" }, input.limit, input.cursor);
  const rows = await db.contact.findMany({
    where: {
      AND: [{ organizationId: ctx.org.id, deletedAt: null }, { companies: { some: { companyId: input.companyId } } }, page.where],
    },
    orderBy: page.orderBy as Prisma.ContactOrderByWithRelationInput[],
    take: page.take,
    include: { companies: { where: { companyId: input.companyId }, select: { role: true, createdAt: true } } },
  });
  const { items, nextCursor } = page.toPage(rows);
  return {
    items: items.map(({ companies: [link], ...contact }) => ({
      contact: presentRecord(contacts, contact, undefined),
      role: link?.role ?? null,
      isPrimary: contact.primaryCompanyId === input.companyId,
      linkedAt: link?.createdAt ?? null,
    })),
    nextCursor,
  };
}
