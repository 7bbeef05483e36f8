import type { Prisma } from "@crm/db";
import { recordsWhere } from "../../kit/list.ts";
import type { OrgContext } from "../../trpc.ts";
import { COMPANY_SIZES, COMPANY_TYPES, type CompanyFilterInput, companies } from "./schemas.ts";

type Tx = Prisma.TransactionClient;
type Where = Prisma.CompanyWhereInput;

const NONE = "(none)";
const MONTHS = 12;

/** The companies the filters select, as a where clause (list, stats and the customer and vendor shortcuts). */
export async function companiesWhere(db: Tx, ctx: OrgContext, filters: Partial<CompanyFilterInput>): Promise<Where> {
  return (await recordsWhere(db, ctx, companies, filters, undefined)) as Where;
}

async function countsBy(db: Tx, where: Where, column: "industry" | "size", known: readonly string[] = []) {
  const groups = await db.company.groupBy({ by: [column], where, _count: { _all: true } });
  const counts: Record<string, number> = Object.fromEntries(known.map((value) => [value, 0]));
  for (const group of groups) counts[group[column] ?? NONE] = group._count._all;
  return counts;
}

/** Company statistics over the companies the filters select, all counted by the database. */
export async function companyStats(db: Tx, ctx: OrgContext, filters: CompanyFilterInput) {
  const where = await companiesWhere(db, ctx, filters);
  const [total, active, byType, byIndustry, bySize] = await Promise.all([
    db.company.count({ where }),
    db.company.count({ where: { AND: [where, { isActive: true }] } }),
    Promise.all(COMPANY_TYPES.map((type) => db.company.count({ where: { AND: [where, { types: { has: type } }] } }))),
    countsBy(db, where, "industry"),
    countsBy(db, where, "size", COMPANY_SIZES),
  ]);
  return {
    total,
    active,
    byType: Object.fromEntries(COMPANY_TYPES.map((type, i) => [type, byType[i] ?? 0])),
    byIndustry,
    bySize,
  };
}

/** The first instant of the month holding `date`, UTC. */
function startOfMonth(date: Date, monthsBack = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - monthsBack, 1));
}

/** Seed 003's customer statistics, over the companies of type customer the filters select. */
export async function customerStats(db: Tx, ctx: OrgContext, filters: Partial<CompanyFilterInput>) {
  const where = await companiesWhere(db, ctx, { ...filters, types: ["customer"], typesMatch: "any" as const });
  const now = new Date();
  const months = Array.from({ length: MONTHS }, (_, i) => startOfMonth(now, MONTHS - 1 - i));
  const [total, active, byIndustry, monthly] = await Promise.all([
    db.company.count({ where }),
    db.company.count({ where: { AND: [where, { isActive: true }] } }),
    countsBy(db, where, "industry"),
    Promise.all(
      months.map((monthStart) =>
        db.company.count({
          where: { AND: [where, { createdAt: { gte: monthStart, lt: startOfMonth(monthStart, -1) } }] },
        }),
      ),
    ),
  ]);
  return { total, active, byIndustry, newPerMonth: months.map((monthStart, i) => ({ monthStart, count: monthly[i] ?? 0 })) };
}
