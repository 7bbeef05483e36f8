import { exportableOf, importableOf } from "./kit/files.ts";
import type { AnyResource } from "./kit/resource.ts";
import type { Permission } from "./permissions.ts";
import type { ResourceRegistry } from "./resource-registry.ts";
import { campaignsRouter } from "./routers/campaigns/router.ts";
import { campaigns } from "./routers/campaigns/schemas.ts";
import { companiesRouter } from "./routers/companies/router.ts";
import { companies } from "./routers/companies/schemas.ts";
import { customersRouter, vendorsRouter } from "./routers/companies/shortcuts.ts";
import { contactsRouter } from "./routers/contacts/router.ts";
import { contacts } from "./routers/contacts/schemas.ts";
import { dealExport, dealImport } from "./routers/deals/files.ts";
import { dealsRouter } from "./routers/deals/router.ts";
import { deals } from "./routers/deals/schemas.ts";
import { interactionsRouter } from "./routers/interactions/router.ts";
import { interactions } from "./routers/interactions/schemas.ts";
import { leadExport } from "./routers/leads/export.ts";
import { leadImport } from "./routers/leads/import.ts";
import { leadsRouter } from "./routers/leads/router.ts";
import { leads } from "./routers/leads/schemas.ts";
import { meetingExport, meetingImport } from "./routers/meetings/files.ts";
import { meetingsRouter } from "./routers/meetings/router.ts";
import { meetings } from "./routers/meetings/schemas.ts";
import { pipelinesRouter } from "./routers/pipelines/router.ts";
import { pipelines } from "./routers/pipelines/schemas.ts";
import { slaPoliciesRouter } from "./routers/sla-policies/router.ts";
import { slaPolicies } from "./routers/sla-policies/schemas.ts";
import { ticketsRouter } from "./routers/tickets/router.ts";
import { tickets } from "./routers/tickets/schemas.ts";

/**
 * The composition file: the only module that knows every record resource. The app router takes
 * their routers from here, the registry tests their declarations, the file routes their imports
 * and exports.
 */

/** The routers of the record resources (and the shortcuts over them), as the app router mounts them. */
export const RESOURCE_ROUTERS = {
  leads: leadsRouter,
  contacts: contactsRouter,
  companies: companiesRouter,
  customers: customersRouter,
  vendors: vendorsRouter,
  pipelines: pipelinesRouter,
  deals: dealsRouter,
  interactions: interactionsRouter,
  meetings: meetingsRouter,
  campaigns: campaignsRouter,
  slaPolicies: slaPoliciesRouter,
  tickets: ticketsRouter,
};

/** Every record resource declared with the kit (the tests that enumerate the registry read them). */
export const RECORD_DECLARATIONS: readonly AnyResource[] = [
  leads,
  contacts,
  companies,
  pipelines,
  deals,
  interactions,
  meetings,
  campaigns,
  slaPolicies,
  tickets,
];

/**
 * Every importable and exportable resource, by router key. The file routes, their OpenAPI
 * operations, the typed client's `$files.import/export`, the import jobs' permissions and the
 * runner all follow from it.
 */
export const RESOURCES = {
  leads: { label: "leads", import: leadImport, export: leadExport },
  // Rows matched by email.
  contacts: { label: "contacts", import: importableOf(contacts), export: exportableOf(contacts) },
  companies: {
    label: "companies",
    // Rows matched by domain, else by name (case-insensitively).
    import: importableOf(companies, { keys: [{ field: "domain" }, { field: "name", caseInsensitive: true }] }),
    export: exportableOf(companies),
  },
  // Every row a new deal; pipeline and stage by name.
  deals: { label: "deals", import: dealImport, export: dealExport },
  // Every row a new campaign (in draft: the lifecycle is not imported).
  campaigns: { label: "campaigns", import: importableOf(campaigns), export: exportableOf(campaigns) },
  // Every row a new scheduled meeting, checked for overlaps with the calendar and the file's earlier rows.
  meetings: { label: "meetings", import: meetingImport, export: meetingExport },
  // Every row a new ticket: numbered by the organization's counter, measured by its default SLA policy.
  tickets: { label: "tickets", import: importableOf(tickets), export: exportableOf(tickets) },
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
