import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { withPermissionTable } from "./permission-table.ts";

/** Rewrites the README's permission table from the code (packages/api/src/permissions.ts). */
const readmePath = path.join(import.meta.dirname, "../../../README.md");
writeFileSync(readmePath, withPermissionTable(readFileSync(readmePath, "utf8")));
