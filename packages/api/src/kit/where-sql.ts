import { Prisma } from "@crm/db";
import type { OrgContext } from "../trpc.ts";
import { prepareFor, recordsWhere } from "./list.ts";
import type { AnyResource } from "./resource.ts";

type Tx = Prisma.TransactionClient;
type Condition = Record<string, unknown>;

/**
 * The kit's where clauses (what recordsWhere builds: Prisma's condition objects) as SQL over one
 * table, so a statement Prisma cannot express (INSERT ... SELECT) selects exactly the rows a list
 * with the same filters shows. It knows the operators the kit's filters use; any other is a
 * programming error, thrown rather than guessed. Parameters are cast to the column's own type
 * (read from the catalog), so enum, uuid and array comparisons use the table's indexes.
 */

/** How a relation a resource's filters name (`companies: { some: ... }`) reads in SQL: the table, and its column pointing at the record. */
export interface SqlRelation {
  table: string;
  foreignKey: string;
}

interface ColumnType {
  /** The type name, quoted (`"LeadStatus"`, `"uuid"`); of an array column, its element's. */
  element: string;
  isArray: boolean;
}

const catalog = new Map<string, Promise<Map<string, ColumnType>>>();

function columnTypes(db: Tx, table: string): Promise<Map<string, ColumnType>> {
  let types = catalog.get(table);
  if (!types) {
    types = db
      .$queryRawUnsafe<{ name: string; element: string; isArray: boolean }[]>(
        `SELECT a.attname AS "name", coalesce(e.typname, t.typname)::text AS "element", (t.typcategory = 'A') AS "isArray"
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON t.typcategory = 'A' AND e.oid = t.typelem
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
        `"${table}"`,
      )
      .then((rows) => new Map(rows.map((row) => [row.name, { element: `"${row.element}"`, isArray: row.isArray }])));
    types.catch(() => catalog.delete(table));
    catalog.set(table, types);
  }
  return types;
}

const OPERATORS = new Set(["AND", "OR", "NOT"]);

function parameter(value: unknown): unknown {
  // Decimal bounds (Prisma.Decimal) travel as their exact text.
  if (value !== null && typeof value === "object" && !(value instanceof Date) && "toFixed" in value) return String(value);
  return value;
}

class Compiler {
  constructor(
    private readonly db: Tx,
    private readonly relations: Record<string, SqlRelation>,
  ) {}

  async condition(table: string, alias: string, where: unknown): Promise<Prisma.Sql> {
    if (where === undefined) return Prisma.sql`TRUE`;
    if (Array.isArray(where)) return this.all(table, alias, where);
    const parts: Prisma.Sql[] = [];
    for (const [key, value] of Object.entries(where as Condition)) {
      if (value === undefined) continue;
      if (key === "AND") parts.push(await this.all(table, alias, Array.isArray(value) ? value : [value]));
      else if (key === "OR") {
        const branches = await Promise.all((value as unknown[]).map((branch) => this.condition(table, alias, branch)));
        parts.push(branches.length ? Prisma.sql`(${Prisma.join(branches, " OR ")})` : Prisma.sql`FALSE`);
      } else if (key === "NOT") {
        const negated = Array.isArray(value) ? value : [value];
        parts.push(Prisma.sql`NOT (${await this.all(table, alias, negated)})`);
      } else if (this.relations[key]) parts.push(await this.relation(alias, key, value as Condition));
      else parts.push(await this.column(table, alias, key, value));
    }
    return parts.length ? Prisma.sql`(${Prisma.join(parts, " AND ")})` : Prisma.sql`TRUE`;
  }

  private async all(table: string, alias: string, conditions: unknown[]): Promise<Prisma.Sql> {
    const parts = await Promise.all(conditions.map((part) => this.condition(table, alias, part)));
    return parts.length ? Prisma.sql`(${Prisma.join(parts, " AND ")})` : Prisma.sql`TRUE`;
  }

  private async relation(alias: string, name: string, filter: Condition): Promise<Prisma.Sql> {
    const relation = this.relations[name] as SqlRelation;
    const keys = Object.keys(filter);
    if (keys.length !== 1 || keys[0] !== "some") throw new Error(`where-sql: relation ${name} supports only { some }`);
    const inner = `${alias}_${name}`;
    const condition = await this.condition(relation.table, inner, filter.some);
    return Prisma.sql`EXISTS (SELECT 1 FROM ${Prisma.raw(`"${relation.table}" ${inner}`)}
      WHERE ${Prisma.raw(`${inner}."${relation.foreignKey}" = ${alias}."id"`)} AND ${condition})`;
  }

  private async column(table: string, alias: string, name: string, filter: unknown): Promise<Prisma.Sql> {
    if (OPERATORS.has(name)) throw new Error(`where-sql: ${name} is handled by condition()`);
    const type = (await columnTypes(this.db, table)).get(name);
    if (!type) throw new Error(`where-sql: ${table} has no column ${name}`);
    const column = Prisma.raw(`${alias}."${name}"`);
    const scalar = Prisma.raw(type.element);
    const array = Prisma.raw(`${type.element}[]`);
    if (filter === null) return Prisma.sql`${column} IS NULL`;
    if (typeof filter !== "object" || filter instanceof Date || "toFixed" in filter) {
      return Prisma.sql`${column} = ${parameter(filter)}::${scalar}`;
    }
    const { mode, ...operators } = filter as Condition;
    const insensitive = mode === "insensitive";
    const parts: Prisma.Sql[] = [];
    for (const [operator, raw] of Object.entries(operators)) {
      if (raw === undefined) continue;
      const value = parameter(raw);
      switch (operator) {
        case "equals":
          parts.push(
            value === null
              ? Prisma.sql`${column} IS NULL`
              : insensitive
                ? Prisma.sql`lower(${column}) = lower(${value}::text)`
                : Prisma.sql`${column} = ${value}::${type.isArray ? array : scalar}`,
          );
          break;
        case "not":
          parts.push(
            value === null ? Prisma.sql`${column} IS NOT NULL` : Prisma.sql`${column} IS DISTINCT FROM ${value}::${scalar}`,
          );
          break;
        case "in":
          parts.push(Prisma.sql`${column} = ANY(${(raw as unknown[]).map(parameter)}::${array})`);
          break;
        case "notIn":
          parts.push(Prisma.sql`NOT (${column} = ANY(${(raw as unknown[]).map(parameter)}::${array}))`);
          break;
        case "gt":
          parts.push(Prisma.sql`${column} > ${value}::${scalar}`);
          break;
        case "gte":
          parts.push(Prisma.sql`${column} >= ${value}::${scalar}`);
          break;
        case "lt":
          parts.push(Prisma.sql`${column} < ${value}::${scalar}`);
          break;
        case "lte":
          parts.push(Prisma.sql`${column} <= ${value}::${scalar}`);
          break;
        case "contains":
          // The term comes escaped for LIKE (containsText); backslash is PostgreSQL's default escape.
          parts.push(Prisma.sql`${column} ${Prisma.raw(insensitive ? "ILIKE" : "LIKE")} ('%' || ${value}::text || '%')`);
          break;
        case "hasSome":
          parts.push(Prisma.sql`${column} && ${value}::${array}`);
          break;
        case "hasEvery":
          parts.push(Prisma.sql`${column} @> ${value}::${array}`);
          break;
        case "isEmpty":
          parts.push(value ? Prisma.sql`cardinality(${column}) = 0` : Prisma.sql`cardinality(${column}) > 0`);
          break;
        default:
          throw new Error(`where-sql: operator ${operator} (on ${table}.${name}) is not supported`);
      }
    }
    return parts.length ? Prisma.sql`(${Prisma.join(parts, " AND ")})` : Prisma.sql`TRUE`;
  }
}

/** `where` (a kit where clause over `table`) as a SQL condition on the rows of `alias`. */
export function whereSql(
  db: Tx,
  table: string,
  alias: string,
  where: object,
  relations: Record<string, SqlRelation> = {},
): Promise<Prisma.Sql> {
  return new Compiler(db, relations).condition(table, alias, where);
}

/** The rows of `resource` a list with `filters` shows, as a SQL condition on `alias` (the same filters, the same rows). */
export async function recordsWhereSql(
  db: Tx,
  ctx: OrgContext,
  resource: AnyResource,
  filters: Record<string, unknown>,
  alias: string,
): Promise<Prisma.Sql> {
  const where = await recordsWhere(db, ctx, resource, filters, await prepareFor(db, ctx, resource));
  return whereSql(db, resource.table, alias, where, resource.sqlRelations);
}
