import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const migrationsDir = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));
export const schemaDir = fileURLToPath(new URL("../../../prisma/schema", import.meta.url));

export interface MigrationSource {
  name: string;
  sql: string;
  /** sha256 hex of the file, as Prisma stores it in `_prisma_migrations.checksum`. */
  checksum: string;
}

/** The committed migrations, in the order Prisma applies them (directory name order). */
export function readMigrations(dir = migrationsDir): MigrationSource[] {
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}
