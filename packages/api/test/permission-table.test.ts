import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { permissionTable, TABLE_END, TABLE_START, withPermissionTable } from "../scripts/permission-table.ts";
import { BUILT_IN_ROLES, PERMISSIONS, RECORD_RESOURCES } from "../src/permissions.ts";

const readme = readFileSync(path.join(import.meta.dirname, "../../../README.md"), "utf8");

describe("the README's permission table", () => {
  it("is the table the code grants", () => {
    const stale = "README.md's permission table differs from packages/api/src/permissions.ts: run `pnpm docs:permissions`";
    expect(readme.includes(TABLE_START) && readme.includes(TABLE_END), "README.md lost its permission-table markers").toBe(true);
    expect(withPermissionTable(readme), stale).toBe(readme);
  });

  it("shows every permission a built-in role grants in the row of exactly the roles that grant it", () => {
    const rows = permissionTable()
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .map((line) =>
        line
          .split("|")
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    const roles = Object.keys(BUILT_IN_ROLES) as (keyof typeof BUILT_IN_ROLES)[];
    const shown = new Map<string, string[]>();
    for (const [names = "", ...marks] of rows) {
      const holders = roles.filter((_, i) => marks[i] === "✓");
      for (const name of names.split(", ").map((n) => n.replaceAll("`", ""))) {
        const expanded = name.startsWith("<record>:") ? RECORD_RESOURCES.map((r) => name.replace("<record>", r)) : [name];
        for (const permission of expanded) shown.set(permission, holders);
      }
    }
    for (const permission of PERMISSIONS) {
      const holders = roles.filter((role) => BUILT_IN_ROLES[role].permissions.includes(permission));
      expect(shown.get(permission) ?? [], permission).toEqual(holders);
    }
  });
});
