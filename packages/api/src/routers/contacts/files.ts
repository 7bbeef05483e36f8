import { exportableOf, importableOf } from "../../kit/files.ts";
import { contacts } from "./schemas.ts";

/** Contacts as the shared record writer imports them: matched by email, owned by `ownerId`. */
export const contactImport = importableOf(contacts);

/** Contacts as the shared export stream writes them: the exported fields of the field table. */
export const contactExport = exportableOf(contacts);
