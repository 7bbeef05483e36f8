import { exportableOf, importableOf } from "../../kit/files.ts";
import { companies } from "./schemas.ts";

/** Companies as the shared record writer imports them: matched by domain, else by name (case-insensitively). */
export const companyImport = importableOf(companies, {
  keys: [{ field: "domain" }, { field: "name", caseInsensitive: true }],
});

/** Companies as the shared export stream writes them: the exported fields, under the headers the import reads. */
export const companyExport = exportableOf(companies);
