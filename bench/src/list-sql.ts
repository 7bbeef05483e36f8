/**
 * The SQL Prisma sends for `leads.list` with a status filter, a keyword and the default sort
 * (captured from Prisma's query log): same columns, casts, where, order and LIMIT/OFFSET, so the
 * baseline gets the same plan and index use as the API.
 */
// biome-ignore format: the column list as Prisma writes it
const COLUMNS = [
  `"id"`, `"organizationId"`, `"firstName"`, `"lastName"`, `"email"`, `"phone"`, `"companyName"`, `"jobTitle"`,
  `"vertical"`, `"website"`, `"interests"`, `"source"::text`, `"status"::text`, `"score"`, `"scoreBreakdown"`,
  `"scoreIsManual"`, `"conversionProbability"`, `"assignedToId"`, `"lastContactedAt"`, `"nextFollowUpAt"`,
  `"callAttempts"`, `"tags"`, `"isActive"`, `"notes"`, `"disqualificationReason"`, `"searchText"`, `"createdById"`,
  `"updatedById"`, `"createdAt"`, `"updatedAt"`, `"deletedAt"`,
]
  .map((column) => `"public"."Lead".${column}`)
  .join(", ");

export function listLeadsSql(organizationId: string, statuses: string[], search: string | undefined, limit: number) {
  const params: unknown[] = [organizationId, ...statuses];
  const where = [`"public"."Lead"."organizationId" = $1`, `"public"."Lead"."deletedAt" IS NULL`];
  if (statuses.length) {
    const list = statuses.map((_, index) => `CAST($${index + 2}::text AS "public"."LeadStatus")`).join(",");
    where.push(`"public"."Lead"."status" IN (${list})`);
  }
  if (search) {
    params.push(search.trim().toLowerCase());
    where.push(`"public"."Lead"."searchText"::text LIKE ('%' || $${params.length} || '%')`);
  }
  params.push(limit + 1, 0);
  const sql =
    `SELECT ${COLUMNS} FROM "public"."Lead" WHERE (${where.join(" AND ")}) ` +
    `ORDER BY "public"."Lead"."createdAt" DESC, "public"."Lead"."id" DESC ` +
    `LIMIT $${params.length - 1} OFFSET $${params.length}`;
  return { sql, params };
}
