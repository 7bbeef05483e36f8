import { query } from "./database.ts";
import { psql, psqlPath } from "./psql.ts";
import type { BenchResource } from "./resources.ts";

/**
 * `psql \copy` of an import file into the resource's table, in `organizationId`. The record tables
 * have no database defaults for id, organizationId and updatedAt (Prisma fills them), and
 * searchText is written by the app: for the copy, temporary defaults and a trigger do that work in
 * the database, so the copy writes the same columns and indexes as the API's import.
 */
export async function copyIn(url: string, resource: BenchResource, file: string, organizationId: string) {
  const table = `"${resource.table}"`;
  const trigger = `bench_${resource.entityType}_search_text`;
  await query(
    url,
    `ALTER TABLE ${table} ALTER COLUMN "id" SET DEFAULT gen_random_uuid(),
       ALTER COLUMN "organizationId" SET DEFAULT '${organizationId}',
       ALTER COLUMN "updatedAt" SET DEFAULT now();
     CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       NEW."searchText" := ${resource.searchTextSql};
       RETURN NEW;
     END $$;
     CREATE TRIGGER ${trigger} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${trigger}();`,
  );
  try {
    const columns = resource.importColumns.map(({ column }) => `"${column}"`).join(", ");
    const { output, seconds } = await psql(
      url,
      `\\copy ${table} (${columns}) FROM ${psqlPath(file)} WITH (FORMAT csv, HEADER true)`,
    );
    return { seconds, rows: Number(/COPY (\d+)/.exec(output)?.[1] ?? Number.NaN) };
  } finally {
    await query(
      url,
      `DROP TRIGGER ${trigger} ON ${table};
       DROP FUNCTION ${trigger}();
       ALTER TABLE ${table} ALTER COLUMN "id" DROP DEFAULT, ALTER COLUMN "organizationId" DROP DEFAULT,
         ALTER COLUMN "updatedAt" DROP DEFAULT;`,
    );
  }
}
