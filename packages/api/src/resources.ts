import type { AnyResource } from "./kit/resource.ts";
import type { Permission } from "./permissions.ts";
import type { ResourceRegistry } from "./resource-registry.ts";
import { companyExport, companyImport } from "./routers/companies/files.ts";
import { companies } from "./routers/companies/schemas.ts";
import { contacts } from "./routers/contacts/schemas.ts";
import { leadExport } from "./routers/leads/export.ts";
import { leadImport } from "./routers/leads/import.ts";
import { leads } from "./routers/leads/schemas.ts";

/** Every record resource declared with the kit (the tests that enumerate the registry read them). */
export const RECORD_DECLARATIONS: readonly AnyResource[] = [leads, contacts, companies];

/**
 * The one place that knows every importable and exportable resource, by router key. The file
 * routes, their OpenAPI operations, the typed client's `$files.import/export`, the import jobs'
 * permissions and the runner all follow from it.
 */
export const RESOURCES = {
  leads: { label: "leads", import: leadImport, export: leadExport },
  companies: { label: "companies", import: companyImport, export: companyExport },
} as const satisfies ResourceRegistry;

type Registry = typeof RESOURCES;
export type ImportableResourceKey = { [K in keyof Registry]: Registry[K] extends { import: object } ? K : never }[keyof Registry];
export type ExportableResourceKey = { [K in keyof Registry]: Registry[K] extends { export: object } ? K : never }[keyof Registry];

/** The router keys of the importable resources (what an import job's `resource` is). */
export const IMPORTABLE_RESOURCE_KEYS = Object.entries(RESOURCES).flatMap(([key, entry]) =>
  "import" in entry ? [key as ImportableResourceKey] : [],
) as [ImportableResourceKey, ...ImportableResourceKey[]];

/** The import permissions of the importable resources: holding any one lets a caller follow import jobs (each job then checks its own). */
export const IMPORT_PERMISSIONS: readonly Permission[] = Object.values(RESOURCES).flatMap((entry) =>
  "import" in entry ? [entry.import.permission] : [],
);
