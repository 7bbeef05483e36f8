import type { Prisma } from "@crm/db";

/**
 * Thousands of rows in one statement: the rows travel as one JSON parameter and
 * `json_to_recordset` turns them into typed columns (arrays, enums, jsonb, timestamptz). Prisma's
 * createMany binds every value as its own parameter and measured about ten times slower here.
 * The column types come from the catalog, so a column added by a later migration needs no change.
 */

interface Column {
  name: string;
  type: string;
  /** The column's default, applied when a row gives no value (or null) for a NOT NULL column. */
  notNullDefault?: string;
}

const tableColumns = new Map<string, Promise<Map<string, Column>>>();

function columnsOf(db: Prisma.TransactionClient, table: string): Promise<Map<string, Column>> {
  let columns = tableColumns.get(table);
  if (!columns) {
    columns = db
      .$queryRawUnsafe<{ name: string; type: string; notNull: boolean; default: string | null }[]>(
        `SELECT a.attname AS "name", format_type(a.atttypid, a.atttypmod) AS "type", a.attnotnull AS "notNull",
                pg_get_expr(d.adbin, d.adrelid) AS "default"
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
        `"${table}"`,
      )
      .then(
        (rows) =>
          new Map(
            rows.map((row) => [
              row.name,
              { name: row.name, type: row.type, notNullDefault: row.notNull && row.default ? row.default : undefined },
            ]),
          ),
      );
    columns.catch(() => tableColumns.delete(table));
    tableColumns.set(table, columns);
  }
  return columns;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The JSON key under which an updated row lists the columns it sets (see updateRowsById). */
const SETS = "__sets";

async function recordset(db: Prisma.TransactionClient, table: string, rows: Record<string, unknown>[], extra = "") {
  const known = await columnsOf(db, table);
  const names = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((name) => name !== SETS);
  const columns = names.map((name) => {
    const column = known.get(name);
    if (!column) throw new Error(`${table} has no column ${name}`);
    return column;
  });
  const definition = [...columns.map((column) => `${quote(column.name)} ${column.type}`), ...(extra ? [extra] : [])].join(", ");
  return { columns, source: `json_to_recordset($1::json) AS r(${definition})` };
}

type Returned<Options> = Options extends { returning: true } ? Record<string, unknown>[] : number;

/**
 * Inserts `rows` (objects keyed by column name) into `table`. Returns the number inserted, or
 * with `returning` the inserted rows as the database holds them.
 */
export async function insertRows<Options extends { returning?: boolean }>(
  db: Prisma.TransactionClient,
  table: string,
  rows: Record<string, unknown>[],
  options?: Options,
): Promise<Returned<Options>> {
  if (rows.length === 0) return (options?.returning ? [] : 0) as Returned<Options>;
  const { columns, source } = await recordset(db, table, rows);
  const values = columns.map((column) =>
    column.notNullDefault ? `COALESCE(r.${quote(column.name)}, ${column.notNullDefault})` : `r.${quote(column.name)}`,
  );
  const sql = `INSERT INTO ${quote(table)} (${columns.map((column) => quote(column.name)).join(", ")}) SELECT ${values.join(", ")} FROM ${source}`;
  return (
    options?.returning
      ? db.$queryRawUnsafe(`${sql} RETURNING *`, JSON.stringify(rows))
      : db.$executeRawUnsafe(sql, JSON.stringify(rows))
  ) as Promise<Returned<Options>>;
}

/**
 * Updates rows of `table` matched by `id` (and by `organizationId`, the tenant), setting every
 * other column the rows carry. Returns the number updated.
 */
export async function updateRowsById<Options extends { returning?: boolean }>(
  db: Prisma.TransactionClient,
  table: string,
  organizationId: string,
  rows: ({ id: string } & Record<string, unknown>)[],
  options?: Options,
): Promise<Returned<Options>> {
  if (rows.length === 0) return (options?.returning ? [] : 0) as Returned<Options>;
  // A column only some rows set keeps its value in the others (in JSON, a missing key reads as null).
  const { columns, source } = await recordset(db, table, rows, `${quote(SETS)} text[]`);
  const setByAll = (name: string) => rows.every((row) => name in row);
  const assignments = columns
    .filter((column) => column.name !== "id" && column.name !== "organizationId")
    .map((column) => {
      const name = quote(column.name);
      if (setByAll(column.name)) return `${name} = r.${name}`;
      return `${name} = CASE WHEN '${column.name.replaceAll("'", "''")}' = ANY(r.${quote(SETS)}) THEN r.${name} ELSE t.${name} END`;
    });
  const payload = JSON.stringify(rows.map((row) => ({ ...row, [SETS]: Object.keys(row) })));
  const sql = `UPDATE ${quote(table)} AS t SET ${assignments.join(", ")} FROM ${source}
     WHERE t."id" = r."id" AND t."organizationId" = $2::uuid`;
  return (
    options?.returning
      ? db.$queryRawUnsafe(`${sql} RETURNING t.*`, payload, organizationId)
      : db.$executeRawUnsafe(sql, payload, organizationId)
  ) as Promise<Returned<Options>>;
}
