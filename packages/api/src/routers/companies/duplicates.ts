import type { Company, Prisma } from "@crm/db";
import { presentRecord } from "../../kit/list.ts";
import { findRecord } from "../../kit/records.ts";
import { normalizeDomain } from "../../lib/domains.ts";
import type { OrgContext } from "../../trpc.ts";
import { companies } from "./schemas.ts";

/** The host of a stored website (`https://www.acme.com/about` → `acme.com`), in SQL. */
const WEBSITE_HOST = `lower(substring("website" from '^https?://(?:www\\.)?([^/:?#]+)'))`;

interface Candidate {
  id: string;
  nameScore: number;
  similarName: boolean;
  sameDomain: boolean;
}

/**
 * The organization's live companies most likely to be the same as `id`, best first: the same
 * domain (its domain or its website's, against theirs) scores 1; otherwise the trigram similarity
 * of the names (`lower("name") %`, which Company_name_trgm_idx serves; the domain rule reads the
 * trigram-indexed searchText, which holds domains and websites, before comparing exactly).
 */
export async function companyDuplicates(db: Prisma.TransactionClient, ctx: OrgContext, input: { id: string; limit: number }) {
  const company = await findRecord<Company>(db, ctx, companies, input.id);
  const domain = company.domain ?? (company.website ? normalizeDomain(company.website) : undefined) ?? null;
  const candidates = await db.$queryRawUnsafe<Candidate[]>(
    `SELECT "id", similarity(lower("name"), lower($2))::float8 AS "nameScore",
            lower("name") % lower($2) AS "similarName",
            coalesce("domain" = $3::text OR ${WEBSITE_HOST} = $3::text, false) AS "sameDomain"
       FROM "Company"
      WHERE "organizationId" = $1::uuid AND "deletedAt" IS NULL AND "id" <> $4::uuid
        AND (lower("name") % lower($2)
             OR ("searchText" LIKE '%' || $3::text || '%' AND ("domain" = $3::text OR ${WEBSITE_HOST} = $3::text)))
      ORDER BY "sameDomain" DESC, "nameScore" DESC, "id"
      LIMIT $5`,
    ctx.org.id,
    company.name,
    domain,
    company.id,
    input.limit,
  );
  const rows = new Map(
    (await db.company.findMany({ where: { organizationId: ctx.org.id, id: { in: candidates.map((c) => c.id) } } })).map((row) => [
      row.id,
      row,
    ]),
  );
  return {
    items: candidates.flatMap((candidate) => {
      const row = rows.get(candidate.id);
      if (!row) return [];
      return [
        {
          company: presentRecord(companies, row, undefined) as never,
          score: candidate.sameDomain ? 1 : Math.round(candidate.nameScore * 1000) / 1000,
          rules: [...(candidate.sameDomain ? ["domain" as const] : []), ...(candidate.similarName ? ["name" as const] : [])],
        },
      ];
    }),
  };
}
