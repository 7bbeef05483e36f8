import type { Contact } from "@crm/db";
import { Prisma } from "@crm/db";
import { presentRecord } from "../../kit/list.ts";
import { findRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { contacts, type DUPLICATE_RULES } from "./schemas.ts";

type Tx = Prisma.TransactionClient;
type Rule = (typeof DUPLICATE_RULES)[number];

/** How much each rule says two contacts are one person; several rules combine as independent evidence. */
const RULE_WEIGHT: Record<Rule, number> = { email: 0.9, phone: 0.7, name_at_company: 0.8 };
/** Candidates each rule reads at most: every query below is an index lookup bounded by this. */
const CANDIDATES_PER_RULE = 50;

interface Candidate {
  id: string;
  rule: Rule;
  similarity: number | null;
}

/**
 * The contact's likely duplicates in its organization, best first: an email in common (primary or
 * additional, either way), a phone in common, or a similar name (pg_trgm similarity above its
 * threshold, 0.3 by default) at a company they share. The name expression is exactly the one
 * Contact_name_trgm_idx is built on, so the `%` condition is an index scan.
 */
export async function findDuplicateContacts(db: Tx, ctx: OrgContext, input: { id: string; limit: number }) {
  const contact = await findRecord<Contact>(db, ctx, contacts, input.id);
  const org = ctx.org.id;
  const emails = [contact.email, ...contact.additionalEmails].filter((email): email is string => Boolean(email));
  const phones = [contact.phone, ...contact.additionalPhones].filter((phone): phone is string => Boolean(phone));
  const live = Prisma.sql`c."organizationId" = ${org}::uuid AND c."deletedAt" IS NULL AND c."id" <> ${contact.id}::uuid`;
  const queries: Prisma.Sql[] = [];
  if (emails.length) {
    queries.push(
      Prisma.sql`(SELECT c."id", 'email' AS "rule", NULL::float8 AS "similarity" FROM "Contact" c
        WHERE ${live} AND c."email" = ANY(${emails}::text[]) LIMIT ${CANDIDATES_PER_RULE})`,
      Prisma.sql`(SELECT c."id", 'email' AS "rule", NULL::float8 AS "similarity" FROM "Contact" c
        WHERE ${live} AND c."additionalEmails" && ${emails}::text[] LIMIT ${CANDIDATES_PER_RULE})`,
    );
  }
  if (phones.length) {
    queries.push(
      Prisma.sql`(SELECT c."id", 'phone' AS "rule", NULL::float8 AS "similarity" FROM "Contact" c
        WHERE ${live} AND c."phone" = ANY(${phones}::text[]) LIMIT ${CANDIDATES_PER_RULE})`,
      Prisma.sql`(SELECT c."id", 'phone' AS "rule", NULL::float8 AS "similarity" FROM "Contact" c
        WHERE ${live} AND c."additionalPhones" && ${phones}::text[] LIMIT ${CANDIDATES_PER_RULE})`,
    );
  }
  const companyIds = await companiesOf(db, ctx, contact);
  if (companyIds.length) {
    const name = Prisma.sql`lower(${contact.firstName}::text || ' ' || coalesce(${contact.lastName}::text, ''))`;
    const nameOf = Prisma.sql`lower(c."firstName" || ' ' || coalesce(c."lastName", ''))`;
    queries.push(
      Prisma.sql`(SELECT c."id", 'name_at_company' AS "rule", similarity(${nameOf}, ${name})::float8 AS "similarity"
        FROM "Contact" c
        WHERE ${live} AND ${nameOf} % ${name}
          AND (c."primaryCompanyId" = ANY(${companyIds}::uuid[]) OR EXISTS (
            SELECT 1 FROM "ContactCompany" cc
            WHERE cc."organizationId" = ${org}::uuid AND cc."contactId" = c."id" AND cc."companyId" = ANY(${companyIds}::uuid[])))
        ORDER BY "similarity" DESC LIMIT ${CANDIDATES_PER_RULE})`,
    );
  }
  if (queries.length === 0) return { items: [] };
  const candidates = await db.$queryRaw<Candidate[]>(Prisma.join(queries, " UNION ALL "));
  const ranked = rank(candidates).slice(0, input.limit);
  const rows = await db.contact.findMany({ where: { organizationId: org, id: { in: ranked.map((match) => match.id) } } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return {
    items: ranked.flatMap((match) => {
      const row = byId.get(match.id);
      if (!row) return [];
      const { id: _id, ...evidence } = match;
      return [{ contact: presentRecord(contacts, row, undefined), ...evidence }];
    }),
  };
}

/** The companies a contact is at: its primary company and its links. */
async function companiesOf(db: Tx, ctx: OrgContext, contact: Contact): Promise<string[]> {
  const links = await db.contactCompany.findMany({
    where: { organizationId: ctx.org.id, contactId: contact.id },
    select: { companyId: true },
  });
  return [...new Set([contact.primaryCompanyId, ...links.map((link) => link.companyId)].filter((id): id is string => !!id))];
}

/** One entry per contact: the rules it matched, their combined score (1 - Π(1 - weight)), best first. */
function rank(candidates: Candidate[]) {
  const byContact = new Map<string, { rules: Set<Rule>; similarity: number | null }>();
  for (const candidate of candidates) {
    const entry = byContact.get(candidate.id) ?? { rules: new Set<Rule>(), similarity: null };
    entry.rules.add(candidate.rule);
    if (candidate.similarity !== null) entry.similarity = Math.max(entry.similarity ?? 0, Number(candidate.similarity));
    byContact.set(candidate.id, entry);
  }
  return [...byContact.entries()]
    .map(([id, { rules, similarity }]) => {
      const ordered = (Object.keys(RULE_WEIGHT) as Rule[]).filter((rule) => rules.has(rule));
      const doubt = ordered.reduce(
        (product, rule) => product * (1 - RULE_WEIGHT[rule] * (rule === "name_at_company" ? (similarity ?? 0) : 1)),
        1,
      );
      return {
        id,
        score: Math.round((1 - doubt) * 1000) / 1000,
        rules: ordered,
        nameSimilarity: similarity === null ? null : Math.round(similarity * 1000) / 1000,
      };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}
