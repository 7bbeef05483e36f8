import type { Company, Prisma } from "@crm/db";
import { conflict } from "../../errors.ts";
import { type MergeInput, type MergeReference, mergeRecords } from "../../kit/merge.ts";
import { lockRecords } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { companies, companyTree } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

/** What points at a company and moves to the survivor of a merge. */
export const COMPANY_REFERENCES: readonly MergeReference[] = [
  { label: "contact links", table: "ContactCompany", column: "companyId", linkKeys: ["contactId"] },
  { label: "contacts' primary company", table: "Contact", column: "primaryCompanyId" },
  { label: "subsidiaries", table: "Company", column: "parentId" },
  { label: "companies merged earlier", table: "Company", column: "mergedIntoId" },
];

/**
 * The values the caller did not choose, chosen so the survivor stays whole: a field of a group
 * that goes together (revenue and its currency) comes from the record the caller chose for its
 * partner, and a parent among the merged companies (which would make the survivor its own
 * parent) is not taken over: the survivor keeps its own.
 */
async function completeChoices(tx: Tx, ctx: OrgContext, input: MergeInput): Promise<MergeInput> {
  const fields = { ...input.fields };
  for (const group of companies.together ?? []) {
    const source = group.map((name) => fields[name]).find(Boolean);
    if (source) for (const name of group) fields[name] ??= source;
  }
  if (!fields.parentId) {
    const rows = await lockRecords<Company>(tx, ctx, companies, [input.primaryId, ...input.mergeIds]);
    const primary = rows.find((row) => row.id === input.primaryId);
    const merging = new Set([input.primaryId, ...input.mergeIds]);
    const inherited = input.mergeIds.map((id) => rows.find((row) => row.id === id)?.parentId).find(Boolean);
    if (primary && !primary.parentId && inherited && merging.has(inherited)) fields.parentId = input.primaryId;
  }
  return { ...input, fields };
}

/**
 * Merges companies into one (see mergeRecords): contact links, contacts' primary company,
 * subsidiaries and earlier merges move to the survivor. The survivor's links are brought back in
 * step with its contacts' primary company, and a merge that would close a loop of parents (the
 * survivor's parent was a subsidiary of a merged company) is refused, writing nothing.
 */
export async function mergeCompanies(tx: Tx, ctx: OrgContext, input: MergeInput) {
  await companyTree.lock(tx, ctx);
  const result = await mergeRecords(tx, ctx, companies, await completeChoices(tx, ctx, input), COMPANY_REFERENCES);
  if (result.dryRun) return result;
  const survivor = result.survivor as { id: string; parentId: string | null };
  if (survivor.parentId && (await companyTree.ancestorsInclude(tx, ctx, survivor.id, survivor.parentId))) {
    throw conflict("parentId", "the merge would make the survivor its own ancestor; change a parent first");
  }
  await tx.$executeRawUnsafe(
    `UPDATE "ContactCompany" l SET "isPrimary" = (c."primaryCompanyId" IS NOT DISTINCT FROM l."companyId")
       FROM "Contact" c
      WHERE l."organizationId" = $1::uuid AND l."companyId" = $2::uuid AND c."organizationId" = $1::uuid AND c."id" = l."contactId"
        AND l."isPrimary" <> (c."primaryCompanyId" IS NOT DISTINCT FROM l."companyId")`,
    ctx.org.id,
    survivor.id,
  );
  return result;
}
