import type { Prisma } from "@crm/db";
import { badRequest } from "../errors.ts";
import { containsText } from "../lib/filters.ts";
import { keysetPage } from "../lib/pagination.ts";
import type { OrgContext } from "../trpc.ts";
import type { AnyResource, RecordRow } from "./resource.ts";

type Tx = Prisma.TransactionClient;
type Filters = Record<string, unknown>;
type Condition = Record<string, unknown>;

const capitalize = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`;

/** A range whose lower bound is above its upper one can only be a mistake: refused by name rather than answered with nothing. */
function checkRange(filters: Filters, low: string, high: string, relation: string) {
  const from = filters[low];
  const to = filters[high];
  // Number(): decimal bounds (Prisma.Decimal) compare as numbers, not as their strings.
  if (from !== undefined && to !== undefined && Number(from) > Number(to))
    throw badRequest(low, `must not be ${relation} ${high}`);
}

function rangeCondition(field: string, low: unknown, high: unknown, upperExclusive: boolean): Condition[] {
  if (low === undefined && high === undefined) return [];
  return [{ [field]: { gte: low, [upperExclusive ? "lt" : "lte"]: high } }];
}

/** How many records a keyword may find through related records (see SearchDeclaration.related). */
export const RELATED_SEARCH_LIMIT = 10_000;

/** The keyword search: the resource's search column, or a record the term finds through related ones. */
async function searchCondition(db: Tx, ctx: OrgContext, resource: AnyResource, term: string): Promise<Condition> {
  const search = resource.search as NonNullable<AnyResource["search"]>;
  const normalized = search.normalize(term);
  const own = { [search.column]: containsText(normalized) };
  const related = search.related ? await search.related(db, ctx, normalized, RELATED_SEARCH_LIMIT) : [];
  return related.length ? { OR: [own, { id: { in: related } }] } : own;
}

/** The conditions of the filters every record has: owner, created/updated ranges, deleted. */
function commonConditions(ctx: OrgContext, resource: AnyResource, filters: Filters): Condition[] {
  const and: Condition[] = [];
  if (filters.deleted === "exclude" || filters.deleted === undefined) and.push({ deletedAt: null });
  if (filters.deleted === "only") and.push({ deletedAt: { not: null } });
  const owner = resource.owner;
  const ownerFilter = owner ? filters[owner.filter] : undefined;
  if (owner && ownerFilter === "unassigned") and.push({ [owner.field]: null });
  else if (owner && ownerFilter === "me") {
    if (!ctx.actor.userId) throw badRequest(owner.filter, '"me" needs a user session, not an API key');
    and.push({ [owner.field]: ctx.actor.userId });
  } else if (owner && typeof ownerFilter === "string") and.push({ [owner.field]: ownerFilter });
  checkRange(filters, "createdFrom", "createdTo", "after");
  checkRange(filters, "updatedFrom", "updatedTo", "after");
  and.push(...rangeCondition("createdAt", filters.createdFrom, filters.createdTo, true));
  and.push(...rangeCondition("updatedAt", filters.updatedFrom, filters.updatedTo, true));
  return and;
}

/** The conditions the field table's filters make (see FilterKind). */
function fieldConditions(resource: AnyResource, filters: Filters): Condition[] {
  const and: Condition[] = [];
  for (const [name, field] of Object.entries(resource.fields)) {
    switch (field.filter) {
      case "in": {
        const values = filters[name] as unknown[] | undefined;
        if (!values) break;
        if (field.kind === "list") {
          const items = values.map((value) => String(value).toLowerCase());
          and.push({ [name]: filters[`${name}Match`] === "all" ? { hasEvery: items } : { hasSome: items } });
        } else and.push({ [name]: { in: values } });
        break;
      }
      case "equals": {
        const value = filters[name];
        if (value === undefined) break;
        and.push({ [name]: field.kind === "text" ? { equals: value, mode: "insensitive" } : { equals: value } });
        break;
      }
      case "range": {
        const [low, high] = field.kind === "date" ? ["From", "To"] : ["Min", "Max"];
        checkRange(filters, `${name}${low}`, `${name}${high}`, field.kind === "date" ? "after" : "greater than");
        and.push(...rangeCondition(name, filters[`${name}${low}`], filters[`${name}${high}`], field.kind === "date"));
        break;
      }
      case "has": {
        const has = filters[`has${capitalize(name)}`];
        if (has === undefined) break;
        if (field.kind === "list") and.push({ [name]: { isEmpty: !has } });
        else and.push({ [name]: has ? { not: null } : null });
        break;
      }
    }
  }
  return and;
}

/** The filters as a where clause, scoped to the caller's organization; a filter that cannot be satisfied as given is a BAD_REQUEST naming it. */
export async function recordsWhere(
  db: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  filters: Filters,
  prepared: unknown,
): Promise<Condition> {
  const and = [
    { organizationId: ctx.org.id },
    ...commonConditions(ctx, resource, filters),
    ...fieldConditions(resource, filters),
    ...(resource.hooks?.where?.(ctx, filters, prepared) ?? []),
  ];
  if (typeof filters.search === "string" && resource.search) and.push(await searchCondition(db, ctx, resource, filters.search));
  return { AND: and };
}

/** Whatever the resource's reads need once per request (see ResourceHooks.prepare). */
export function prepareFor(db: Tx, ctx: OrgContext, resource: AnyResource): Promise<unknown> {
  return resource.hooks?.prepare?.(db, ctx) ?? Promise.resolve(undefined);
}

/** A row as the API shows it: the resource's presentation, or its columns less the internal ones. */
export function presentRecord(resource: AnyResource, row: object, prepared: unknown, now = Date.now()): Record<string, unknown> {
  if (resource.hooks?.present) return resource.hooks.present(row as RecordRow, prepared, now);
  const shown: Record<string, unknown> = { ...row };
  delete shown.organizationId;
  for (const column of resource.serverOnly) delete shown[column];
  return shown;
}

export interface ListInput extends Filters {
  limit: number;
  cursor?: string;
  sortOrder: "asc" | "desc";
  sortBy: string;
  withTotal?: boolean;
}

export async function listRecords(db: Tx, ctx: OrgContext, resource: AnyResource, input: ListInput) {
  const prepared = await prepareFor(db, ctx, resource);
  const where = await recordsWhere(db, ctx, resource, input, prepared);
  const sort = (resource.sorts as Record<string, Parameters<typeof keysetPage>[0]>)[input.sortBy];
  if (!sort) throw badRequest("sortBy", `cannot sort by ${input.sortBy}`);
  const page = keysetPage({ ...sort, order: input.sortOrder }, input.limit, input.cursor);
  const model = resource.model(db);
  const [rows, total] = await Promise.all([
    model.findMany({ where: { AND: [where, page.where] }, orderBy: page.orderBy, take: page.take }),
    input.withTotal ? model.count({ where }) : Promise.resolve(undefined),
  ]);
  const now = Date.now();
  const result = page.toPage(rows);
  return { items: result.items.map((row) => presentRecord(resource, row, prepared, now)), nextCursor: result.nextCursor, total };
}
