import type { Company, Contact, Lead, Prisma } from "@crm/db";
import { z } from "zod";
import { invalidFields } from "../../errors.ts";
import { prepareFor, presentRecord } from "../../kit/list.ts";
import { changeRecord, checkOwner, createRecord, lockRecord, referenceNotFound } from "../../kit/records.ts";
import type { AnyResource, RecordRow } from "../../kit/resource.ts";
import { emailDomain, isFreeMailDomain, normalizeDomain } from "../../lib/domains.ts";
import { idSchema } from "../../lib/schemas.ts";
import type { Permission } from "../../permissions.ts";
import { type OrgContext, requirePermission } from "../../trpc.ts";
import { companies } from "../companies/schemas.ts";
import { linkContactToCompany } from "../contacts/company-links.ts";
import { contacts } from "../contacts/schemas.ts";
import { type ConversionDeal, DEAL_PERMISSIONS, dealInput, dealOutput, dealResource, planDeal } from "./convert-deal.ts";
import { leads } from "./schemas.ts";
import { changeLead } from "./service.ts";

/**
 * leads.convert: a lead becomes a contact (linked to an existing one or new), a company (found by
 * domain or name, or new) and a deal, in one transaction, as Salesforce, HubSpot and Pipedrive
 * convert leads. Linking an existing record only fills its empty fields. The same plan answers a
 * dry run and drives the real one, so a dry run says exactly what the conversion would do.
 */

type Tx = Prisma.TransactionClient;
type Values = Record<string, unknown>;

export const CONVERSION_ACTIONS = ["create", "link", "none"] as const;
type ConversionAction = (typeof CONVERSION_ACTIONS)[number];

/** What the conversion does to one of the records: the row it links (or null) and the values it writes. */
export interface Step<Row> {
  action: ConversionAction;
  record: Row | null;
  /** create: the new record's values; link: the empty fields it fills; none: nothing. */
  values: Values;
}

export const convertLeadInput = z.strictObject({
  id: idSchema,
  contactId: idSchema.optional().meta({
    description:
      "Merge the lead into this contact (only its empty fields are filled). By default: the live contact with the lead's email, else a new contact.",
  }),
  companyId: idSchema.optional().meta({
    description:
      "Link this company (only its empty fields are filled). By default: the company with the domain of the lead's website or (not free mail) email, else one named exactly as the lead's company, else a new one from the lead's company name.",
  }),
  createDeal: z.boolean().default(true).meta({ description: "false: no deal." }),
  deal: dealInput.optional(),
  dryRun: z
    .boolean()
    .default(false)
    .meta({ description: "Only say what would be created or linked and which fields filled; nothing is written." }),
});
export type ConvertLeadInput = z.output<typeof convertLeadInput>;

const stepOutput = z.object({
  action: z.enum(CONVERSION_ACTIONS).meta({ description: "create: a new record; link: an existing one; none: no record." }),
  id: z.uuid().nullable().meta({ description: "The record's id (null for one a dry run would create, or none)." }),
  values: z
    .record(z.string(), z.unknown())
    .meta({ description: "create: the new record's values; link: the empty fields filled from the lead; none: {}." }),
});

export const convertLeadOutput = z.object({
  lead: leads.schemas.output,
  contact: contacts.schemas.output.nullable().meta({ description: "null only in a dry run that would create it." }),
  company: companies.schemas.output.nullable(),
  deal: dealOutput.nullable(),
  created: z.object({ contact: z.boolean(), company: z.boolean(), deal: z.boolean() }),
  actions: z.object({ contact: stepOutput, company: stepOutput, deal: stepOutput }),
  alreadyConverted: z
    .boolean()
    .meta({ description: "The lead was converted before: its links are answered, nothing is written." }),
  dryRun: z.boolean(),
});

// ---------------------------------------------------------------------------------------------
// Filling empty fields

const isEmpty = (value: unknown) =>
  value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);

/** Values without the empty ones (what a lead has to give). */
function given(values: Values): Values {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => !isEmpty(value)));
}

/**
 * The fields of `values` that `record` has empty, as a link fills them. A unique value another
 * live record holds is left out (the link does not take it from that record); an owner must be
 * one the caller may give it to (the kit's owner rule).
 */
async function emptyFieldsFilled(tx: Tx, ctx: OrgContext, resource: AnyResource, record: RecordRow, values: Values) {
  const current = record as unknown as Values;
  const fills = Object.fromEntries(Object.entries(given(values)).filter(([name]) => isEmpty(current[name])));
  for (const { field } of resource.unique ?? []) {
    if (fills[field] === undefined) continue;
    const holder = await resource.model(tx).findFirst({
      where: { organizationId: ctx.org.id, [field]: fills[field], deletedAt: null, id: { not: record.id } },
      select: { id: true },
    });
    if (holder) delete fills[field];
  }
  if (resource.owner && fills[resource.owner.field] !== undefined) {
    await checkOwner(tx, ctx, resource, fills[resource.owner.field]);
  }
  return fills;
}

/** The lead's assignee, as the owner of what it becomes: only while an active member (else nobody). */
async function ownerOf(tx: Tx, ctx: OrgContext, lead: Lead): Promise<string | null> {
  if (!lead.assignedToId) return null;
  const member = await tx.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId: lead.assignedToId } },
    select: { status: true },
  });
  return member?.status === "active" ? lead.assignedToId : null;
}

/** A record named by the caller: live, of the caller's organization, else NOT_FOUND naming the field. */
async function namedRecord<Row extends RecordRow>(tx: Tx, ctx: OrgContext, resource: AnyResource, field: string, id: string) {
  try {
    return await lockRecord<Row>(tx, ctx, resource, id, { deleted: false });
  } catch {
    throw referenceNotFound(field, `${resource.label} not found`);
  }
}

// ---------------------------------------------------------------------------------------------
// The plan

async function planContact(tx: Tx, ctx: OrgContext, lead: Lead, owner: string | null, contactId?: string) {
  const values = given({
    firstName: lead.firstName,
    lastName: lead.lastName,
    email: lead.email,
    phone: lead.phone,
    jobTitle: lead.jobTitle,
    ownerId: owner,
    tags: lead.tags,
    notes: lead.notes,
  });
  let existing: Contact | null = null;
  if (contactId) existing = await namedRecord<Contact>(tx, ctx, contacts, "contactId", contactId);
  else if (lead.email) {
    const match = await tx.contact.findFirst({
      where: { organizationId: ctx.org.id, email: lead.email, deletedAt: null },
      select: { id: true },
    });
    if (match) existing = await lockRecord<Contact>(tx, ctx, contacts, match.id, { deleted: false });
  }
  if (!existing) return { action: "create", record: null, values } satisfies Step<Contact>;
  return {
    action: "link",
    record: existing,
    values: await emptyFieldsFilled(tx, ctx, contacts, existing, values),
  } satisfies Step<Contact>;
}

/** The domains that say which company a lead is at: its website's, then its email's; free mail never. */
export function companyDomainsOf(lead: Pick<Lead, "website" | "email">): string[] {
  const candidates = [lead.website ? normalizeDomain(lead.website) : undefined, emailDomain(lead.email)];
  const domains = candidates.filter((domain): domain is string => domain !== undefined && !isFreeMailDomain(domain));
  return [...new Set(domains)];
}

async function companyOfLead(tx: Tx, ctx: OrgContext, lead: Lead, domains: string[]) {
  const scope = { organizationId: ctx.org.id, deletedAt: null };
  if (domains.length) {
    const byDomain = await tx.company.findMany({
      where: { ...scope, domain: { in: domains } },
      select: { id: true, domain: true },
    });
    const match = domains.map((domain) => byDomain.find((company) => company.domain === domain)).find(Boolean);
    if (match) return match.id;
  }
  if (lead.companyName) {
    const byName = await tx.company.findFirst({
      where: { ...scope, name: { equals: lead.companyName, mode: "insensitive" } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true },
    });
    if (byName) return byName.id;
  }
  return undefined;
}

async function planCompany(tx: Tx, ctx: OrgContext, lead: Lead, owner: string | null, companyId?: string) {
  const domains = companyDomainsOf(lead);
  const values = given({
    name: lead.companyName,
    domain: domains[0],
    website: lead.website,
    industry: lead.vertical,
    ownerId: owner,
  });
  let existing: Company | null = null;
  if (companyId) existing = await namedRecord<Company>(tx, ctx, companies, "companyId", companyId);
  else {
    const found = await companyOfLead(tx, ctx, lead, domains);
    if (found) existing = await lockRecord<Company>(tx, ctx, companies, found, { deleted: false });
  }
  if (existing) {
    const { name: _name, ...fillable } = values;
    return {
      action: "link",
      record: existing,
      values: await emptyFieldsFilled(tx, ctx, companies, existing, fillable),
    } satisfies Step<Company>;
  }
  if (!lead.companyName) return { action: "none", record: null, values: {} } satisfies Step<Company>;
  return { action: "create", record: null, values } satisfies Step<Company>;
}

// ---------------------------------------------------------------------------------------------
// Carrying it out

/** Values as a resource's create takes them (its schema's rules hold for converted values too). */
function validCreate(resource: AnyResource, values: Values, path: string): Values {
  const parsed = resource.schemas.create.safeParse(values);
  if (!parsed.success)
    throw invalidFields(parsed.error.issues.map((issue) => ({ path: [path, ...issue.path], message: issue.message })));
  return parsed.data as Values;
}

/** Carries out a step: the new or filled record, audited as `convert`. */
async function applyStep<Row extends RecordRow>(
  tx: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  step: Step<Row>,
  path: string,
): Promise<Row | null> {
  if (step.action === "create") {
    return createRecord<Row>(tx, ctx, resource, validCreate(resource, step.values, path), { action: "convert" });
  }
  if (step.action === "link" && step.record) {
    if (Object.keys(step.values).length === 0) return step.record;
    return changeRecord<Row>(tx, ctx, resource, step.record, step.values, { action: "convert" });
  }
  return null;
}

/** The contact is linked to the company (its primary one when it has none), unless it already is. */
async function linkContact(tx: Tx, ctx: OrgContext, contact: Contact, company: Company) {
  const makePrimary = contact.primaryCompanyId === null;
  const link = await tx.contactCompany.findUnique({
    where: {
      organizationId_contactId_companyId: { organizationId: ctx.org.id, contactId: contact.id, companyId: company.id },
    },
  });
  if (link && !makePrimary) return contact;
  await linkContactToCompany(tx, ctx, {
    contactId: contact.id,
    companyId: company.id,
    ...(makePrimary ? { isPrimary: true } : {}),
  });
  return lockRecord<Contact>(tx, ctx, contacts, contact.id);
}

function toJson(values: Values): Values {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      value !== null && typeof value === "object" && "toFixed" in value ? String(value) : value,
    ]),
  );
}

const stepAnswer = (step: Step<RecordRow>, row: RecordRow | null) => ({
  action: step.action,
  id: row?.id ?? step.record?.id ?? null,
  values: toJson(step.values),
});

const NONE: Step<RecordRow> = { action: "none", record: null, values: {} };

/** What converting a lead needs of the caller besides leads:write: it writes contacts, companies and (with a deal) deals. */
function requireConversionPermissions(ctx: OrgContext, input: ConvertLeadInput) {
  const needed: Permission[] = ["contacts:write", "companies:write", ...(input.createDeal ? DEAL_PERMISSIONS : [])];
  for (const permission of needed) requirePermission(ctx, permission);
}

async function convertInTransaction(tx: Tx, ctx: OrgContext, input: ConvertLeadInput) {
  const lead = await lockRecord<Lead>(tx, ctx, leads, input.id, { deleted: false });
  if (lead.status === "converted") return alreadyConverted(tx, ctx, lead, input.dryRun);

  const owner = await ownerOf(tx, ctx, lead);
  const companyStep = await planCompany(tx, ctx, lead, owner, input.companyId);
  const contactStep = await planContact(tx, ctx, lead, owner, input.contactId);
  const dealDefaults: ConversionDeal = {
    lead,
    owner,
    companyName: companyStep.record?.name ?? lead.companyName,
    contactId: contactStep.record?.id ?? null,
    companyId: companyStep.record?.id ?? null,
  };
  const dealStepPlanned: Step<RecordRow> = input.createDeal ? await planDeal(tx, ctx, dealDefaults, input.deal) : NONE;

  if (input.dryRun) {
    return {
      lead,
      contact: contactStep.record,
      company: companyStep.record,
      deal: null,
      created: { contact: false, company: false, deal: false },
      actions: {
        contact: stepAnswer(contactStep, null),
        company: stepAnswer(companyStep, null),
        deal: stepAnswer(dealStepPlanned, null),
      },
      alreadyConverted: false,
      dryRun: true,
    };
  }

  const company = await applyStep<Company>(tx, ctx, companies, companyStep, "company");
  let contact = (await applyStep<Contact>(tx, ctx, contacts, contactStep, "contact")) as Contact;
  if (company) contact = await linkContact(tx, ctx, contact, company);
  const dealValues =
    dealStepPlanned.action === "create"
      ? { ...dealStepPlanned.values, contactId: contact.id, companyId: company?.id ?? null }
      : dealStepPlanned.values;
  const deal = await applyStep<RecordRow>(tx, ctx, dealResource, { ...dealStepPlanned, values: dealValues }, "deal");
  const converted = await changeLead(
    tx,
    ctx,
    lead,
    {
      status: "converted",
      convertedAt: new Date(),
      convertedContactId: contact.id,
      convertedCompanyId: company?.id ?? null,
      convertedDealId: deal?.id ?? null,
    },
    "convert",
  );
  return {
    lead: converted,
    contact,
    company,
    deal,
    created: {
      contact: contactStep.action === "create",
      company: companyStep.action === "create",
      deal: dealStepPlanned.action === "create",
    },
    actions: {
      contact: stepAnswer(contactStep, contact),
      company: stepAnswer(companyStep, company),
      deal: stepAnswer({ ...dealStepPlanned, values: dealValues }, deal),
    },
    alreadyConverted: false,
    dryRun: false,
  };
}

/** A converted lead answers what it became, and nothing is written. */
async function alreadyConverted(tx: Tx, ctx: OrgContext, lead: Lead, dryRun: boolean) {
  const find = <Row>(resource: AnyResource, id: string | null) =>
    id ? (resource.model(tx).findFirst({ where: { id, organizationId: ctx.org.id } }) as Promise<Row | null>) : null;
  const [contact, company, deal] = await Promise.all([
    find<Contact>(contacts, lead.convertedContactId),
    find<Company>(companies, lead.convertedCompanyId),
    find<RecordRow>(dealResource, lead.convertedDealId),
  ]);
  const none = (row: RecordRow | null) => ({ action: "none" as const, id: row?.id ?? null, values: {} });
  return {
    lead,
    contact,
    company,
    deal,
    created: { contact: false, company: false, deal: false },
    actions: { contact: none(contact), company: none(company), deal: none(deal) },
    alreadyConverted: true,
    dryRun,
  };
}

/** Converts a lead (see the module's comment); a dry run writes nothing. */
export async function convertLead(ctx: OrgContext, input: ConvertLeadInput) {
  requireConversionPermissions(ctx, input);
  const result = await ctx.db.$transaction((tx) => convertInTransaction(tx, ctx, input), { timeout: 30_000 });
  const present = async (resource: AnyResource, row: RecordRow | null) =>
    row ? presentRecord(resource, row, await prepareFor(ctx.db, ctx, resource)) : null;
  return {
    ...result,
    lead: await present(leads, result.lead),
    contact: await present(contacts, result.contact),
    company: await present(companies, result.company),
    deal: await present(dealResource, result.deal),
  } as never;
}
