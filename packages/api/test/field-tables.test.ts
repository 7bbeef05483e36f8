import { Prisma } from "@crm/db";
import { describe, expect, it } from "vitest";
import { RECORD_COLUMNS } from "../src/kit/resource.ts";
import { RECORD_RESOURCES } from "../src/permissions.ts";
import { RECORD_DECLARATIONS } from "../src/resources.ts";

/**
 * A resource's field table and its Prisma model cannot drift: every column of the table is a
 * field, a server-only column or one every record has, and every field that is a column exists.
 */

function columnsOf(table: string): string[] {
  const scalars = (Prisma as unknown as Record<string, Record<string, string> | undefined>)[`${table}ScalarFieldEnum`];
  if (!scalars) throw new Error(`Prisma has no model ${table}`);
  return Object.values(scalars);
}

describe("field tables", () => {
  it("declares every record resource with the kit, under its permission name", () => {
    expect(RECORD_DECLARATIONS.map((resource) => resource.key).sort()).toEqual([...RECORD_RESOURCES].sort());
  });

  it.each(RECORD_DECLARATIONS.map((resource) => [resource.key, resource] as const))(
    "%s: every column is a field, server-only or common; every field column exists",
    (_key, resource) => {
      const columns = columnsOf(resource.table);
      const fieldColumns = Object.entries(resource.fields)
        .filter(([, field]) => field.column)
        .map(([name]) => name);
      const declared = new Set([...fieldColumns, ...resource.serverOnly, ...RECORD_COLUMNS]);
      expect(columns.filter((column) => !declared.has(column))).toEqual([]);
      expect([...fieldColumns, ...resource.serverOnly].filter((name) => !columns.includes(name))).toEqual([]);
    },
  );
});
