import { generateOpenApiDocument, type OpenAPIObject, type OpenApiMeta } from "trpc-to-openapi";
import { z } from "zod";
import { DUPLICATE_POLICIES, IMPORT_MODES } from "./imports/options.ts";
import {
  ERROR_COMPONENT,
  errorComponents,
  errorResponseRefs,
  errorStatusesOf,
  type OperationTraits,
  restErrorSchema,
} from "./openapi-errors.ts";
import type { FileResource, ResourceRegistry } from "./resource-registry.ts";
import { RESOURCES } from "./resources.ts";
import { appRouter } from "./root.ts";

export const API_TITLE = "CRM API";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const security = [{ bearer: [] }];
const binary = z.string().meta({ format: "binary" });

/** One tag per router; the record's keys are the router names, so a new router needs its description here. */
const TAGS: Record<keyof typeof appRouter._def.record, string> = {
  auth: "Sign up, log in, refresh and revoke sessions, the caller's own account.",
  organizations: "The organizations the caller belongs to; switching the session's organization.",
  members: "Who belongs to the organization, with which role; adding, deactivating and reactivating members.",
  employees:
    "The staff directory over the memberships: departments, titles, managers, employment status; terminating an employee hands their open records to another member.",
  roles: "Built-in and custom roles and the permissions they grant.",
  users: "The users of the organization.",
  apiKeys: "API keys for services: a role of the organization, a secret shown once.",
  leads: "Leads: search, filters, scoring, bulk tools, notes, calls, history, import and export.",
  companies:
    "Companies (customers, vendors, partners, prospects): search, filters, hierarchy, duplicates, activation, bulk tools, history.",
  customers:
    "Shortcuts over the companies of type customer: the same rows, the companies list's filters, and customer statistics.",
  vendors: "A shortcut over the companies of type vendor: the same rows and filters as the companies list.",
  contacts:
    "Contacts: people the organization deals with; filters, keyword search, company links, duplicates, merge, bulk tools, history.",
  interactions:
    "Interactions: calls, emails, meetings, notes, messages and tasks with a lead, contact, company or deal; filters by kind, direction, link, author, time and keyword.",
  pipelines:
    "Sales pipelines and their ordered stages (win probability, kind, rotting period); the default pipeline; stages at /pipeline-stages/{id}.",
  deals:
    "Deals: amounts per currency, pipeline stages with stage history, won/lost/reopen, rotting, the kanban board, forecast statistics, bulk tools, history.",
  meetings:
    "Meetings: start and end in an IANA time zone, organizer and attendees with responses, links to a lead, contact, company or deal; overlap checks (409), reschedule, cancel, complete (logs an interaction), free-busy, an .ics file.",
  campaigns:
    "Marketing campaigns: type, budget and cost, lifecycle (schedule, activate, pause, complete, cancel), members (leads and contacts, by ids or list filter) with their funnel steps, metrics (rates, cost per lead, ROI).",
  slaPolicies:
    "SLA policies at /sla-policies: first-response and resolution targets per priority, in calendar or business hours (a weekly schedule in a time zone); the default policy new tickets take.",
  tickets:
    "Support tickets T-<n>: workflow of statuses, assignment, a thread of public replies and internal notes, SLA due instants and breach state (breached and atRisk filters), statistics, bulk tools, history.",
  imports:
    "Import jobs started by uploading a file to /{resource}/import (such as /leads/import): progress, results and refused rows.",
};

interface FileRoute {
  /** The operation, as the generator would take it from a procedure, less `responses`' errors. */
  operation: Record<string, unknown> & { operationId: string; responses: Record<string, unknown> };
  traits: OperationTraits;
}

/** "email"; "domain, else name". */
function duplicateKeysText(importable: NonNullable<FileResource["import"]>): string {
  return importable.duplicateKeys.map((key) => key.field).join(", else ");
}

function importOperation(key: string, { label, import: importable }: FileResource & { import: object }): FileRoute {
  const duplicateKey = duplicateKeysText(importable);
  return {
    traits: { method: "POST", type: "mutation", protect: true, addressesRecords: false },
    operation: {
      operationId: `${key}_import`,
      tags: [key],
      summary: `Import ${label} from a .csv or .xlsx file (duplicates by ${duplicateKey}): answers 202 with an import job to follow at /imports/{id}`,
      security,
      requestBody: {
        content: {
          "multipart/form-data": {
            schema: z.object({
              file: binary.meta({ description: "The .csv or .xlsx file; the first row names the columns." }),
              mode: z.enum(IMPORT_MODES).optional().meta({
                description:
                  "dry_run reports only, valid_only writes the valid rows, all_or_nothing writes nothing if any row has an error (default valid_only).",
              }),
              duplicatePolicy: z
                .enum(DUPLICATE_POLICIES)
                .optional()
                .meta({
                  description: `What a row does whose ${duplicateKey} a live ${importable.singular} (or an earlier row) already has: skip it, update that ${importable.singular}, or report an error (default skip).`,
                }),
              mapping: z.string().optional().meta({
                description: 'JSON: { "column header": "field" | null }, merged over the automatic mapping.',
              }),
            }),
          },
        },
      },
      responses: {
        202: {
          description: "The import job, queued",
          content: {
            "application/json": {
              schema: z.object({
                jobId: z.uuid(),
                status: z.string(),
                rowsTotal: z
                  .number()
                  .int()
                  .nullable()
                  .meta({ description: "Data rows in the file when known (CSV), else null." }),
              }),
            },
          },
        },
      },
    },
  };
}

function exportOperation(key: string, { label, export: exportable }: FileResource & { export: object }): FileRoute {
  return {
    traits: { method: "GET", type: "query", protect: true, addressesRecords: false },
    operation: {
      operationId: `${key}_export`,
      tags: [key],
      summary: `Export the ${label} the list filters select, streamed as XLSX or CSV`,
      security,
      requestParams: { query: exportable.input },
      responses: {
        200: { description: "The file", content: { [XLSX]: { schema: binary }, "text/csv": { schema: z.string() } } },
      },
    },
  };
}

/**
 * The file routes are plain Fastify routes (the bridge cannot take multipart or stream a file),
 * so their operations are described here, beside the generated ones: an import and an export per
 * resource of the registry, and the error report of an import job.
 */
function fileRoutesOf(registry: ResourceRegistry): Record<string, Record<string, FileRoute>> {
  const routes: Record<string, Record<string, FileRoute>> = {};
  for (const [key, resource] of Object.entries(registry)) {
    if (resource.import) routes[`/${key}/import`] = { post: importOperation(key, { ...resource, import: resource.import }) };
    if (resource.export) routes[`/${key}/export`] = { get: exportOperation(key, { ...resource, export: resource.export }) };
  }
  routes["/imports/{id}/errors.csv"] = {
    get: {
      traits: { method: "GET", type: "query", protect: true, addressesRecords: true },
      operation: {
        operationId: "imports_errorsCsv",
        tags: ["imports"],
        summary: "The rows an import refused, with row number, field and message, as CSV",
        security,
        requestParams: { path: z.object({ id: z.uuid() }) },
        responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } } },
      },
    },
  };
  routes["/meetings/{id}/ics"] = {
    get: {
      traits: { method: "GET", type: "query", protect: true, addressesRecords: true },
      operation: {
        operationId: "meetings_ics",
        tags: ["meetings"],
        summary: "A meeting as an RFC 5545 calendar file (UID, SEQUENCE, ORGANIZER, ATTENDEE with PARTSTAT, STATUS)",
        security,
        requestParams: { path: z.object({ id: z.uuid() }) },
        responses: { 200: { description: "iCalendar", content: { "text/calendar": { schema: z.string() } } } },
      },
    },
  };
  return routes;
}

const fileRoutes = fileRoutesOf(RESOURCES);

interface ProcedureDef {
  type: "query" | "mutation" | "subscription";
  inputs: z.ZodType[];
  meta?: OpenApiMeta;
}

/**
 * Whether an input names records by id anywhere (`id`, `ids`, `assignedToId`, the ids of bulk
 * rows): an id of no record of the caller's organization is a 404.
 */
function namesRecords(input: z.ZodType | undefined): boolean {
  if (!input) return false;
  const hasUuid = (node: unknown): boolean =>
    typeof node === "object" &&
    node !== null &&
    ((node as { format?: unknown }).format === "uuid" || Object.values(node).some((child) => hasUuid(child)));
  return hasUuid(z.toJSONSchema(input, { io: "input", unrepresentable: "any" }));
}

interface DocumentedOperation {
  route: string;
  method: string;
  operationId: string;
  traits: OperationTraits;
}

/** Each procedure with a REST route: where its operation is, its id, and what decides its errors. */
function procedureOperations(): DocumentedOperation[] {
  return Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>).flatMap(
    ([path, { _def: def }]) => {
      const openapi = def.meta?.openapi;
      if (!openapi || openapi.enabled === false || def.type === "subscription") return [];
      const traits: OperationTraits = {
        method: openapi.method,
        type: def.type,
        protect: openapi.protect ?? true,
        addressesRecords: openapi.path.includes("{") || namesRecords(def.inputs[0]),
        declared: Array.isArray(openapi.errorResponses)
          ? openapi.errorResponses
          : Object.keys(openapi.errorResponses ?? {}).map(Number),
      };
      const operationId = openapi.operationId ?? path.replaceAll(".", "_");
      return [{ route: openapi.path, method: openapi.method.toLowerCase(), operationId, traits }];
    },
  );
}

function fileRouteOperations(): DocumentedOperation[] {
  return Object.entries(fileRoutes).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, { operation, traits }]) => ({
      route,
      method,
      operationId: operation.operationId,
      traits,
    })),
  );
}

type BulkBody = { properties?: Record<string, { items?: { $ref?: string } }> };
type SchemaOrRef = NonNullable<NonNullable<OpenAPIObject["components"]>["schemas"]>[string];

type Operation = {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: SchemaOrRef }> };
  responses: Record<string, unknown>;
};

/** The success responses the generator wrote; its error responses (a body schema that is not ours) are replaced. */
function successResponses(responses: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(responses).filter(([status]) => Number(status) < 400));
}

/**
 * The OpenAPI 3.1 document of the REST API: the procedures' operations as trpc-to-openapi
 * generates them from their meta and zod schemas, with the file routes, each operation's errors
 * derived from its traits (see `errorStatusesOf`), operation ids `router_procedure`, tags described.
 */
export function openApiDocument(baseUrl: string) {
  const fileRoutePaths = Object.fromEntries(
    Object.entries(fileRoutes).map(([path, methods]) => [
      path,
      Object.fromEntries(Object.entries(methods).map(([method, route]) => [method, route.operation])),
    ]),
  );
  const document = generateOpenApiDocument(appRouter, {
    title: API_TITLE,
    description:
      "The CRM's tRPC procedures as REST over JSON: organizations, members, roles, users, API keys, leads, contacts, companies (customers and vendors) and their imports and exports.\n\n" +
      "Authenticate with `Authorization: Bearer <token>`, where the token is an access token from `POST /auth/login` (or `/auth/signup`), " +
      "renewed with `POST /auth/refresh`, or an API key (`crm_...`). Every record belongs to the organization of the credential.\n\n" +
      "Errors are `{ code, message, issues?, requestId }` with the matching HTTP status; `429` and `503` come with `Retry-After`.",
    version: "1.0.0",
    baseUrl,
    docsUrl: "/docs",
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "Access token (JWT) or API key (crm_...)" } },
    defs: { [ERROR_COMPONENT]: restErrorSchema },
    paths: fileRoutePaths as never,
  });
  const operationAt = ({ route, method }: DocumentedOperation) =>
    (document.paths?.[route] as Record<string, Operation> | undefined)?.[method];
  const operations = [...procedureOperations(), ...fileRouteOperations()];
  for (const documented of operations) {
    const operation = operationAt(documented);
    if (!operation) throw new Error(`the generated document has no ${documented.method.toUpperCase()} ${documented.route}`);
    operation.operationId = documented.operationId;
    // Public operations say so: the generator leaves `security` out, which reads as "unspecified".
    if (!documented.traits.protect) operation.security = [];
    operation.responses = { ...successResponses(operation.responses), ...errorResponseRefs(errorStatusesOf(documented.traits)) };
  }
  // Bulk rows point at their resource's create schema (see the kit's bulkRow): the body of `<resource>.create`, named.
  const named: Record<string, SchemaOrRef> = {};
  for (const bulk of operations.filter((operation) => operation.operationId.endsWith("_bulkCreate"))) {
    const router = bulk.operationId.slice(0, -"_bulkCreate".length);
    const rows = (operationAt(bulk)?.requestBody?.content["application/json"]?.schema as BulkBody | undefined)?.properties?.[
      router
    ];
    const ref = rows?.items?.$ref;
    const create = operations.find((operation) => operation.operationId === `${router}_create`);
    const createBody = create && operationAt(create)?.requestBody?.content["application/json"];
    if (!ref || !createBody)
      throw new Error(`the generated document has no ${router}.create body for ${router}.bulkCreate rows to name`);
    named[ref.replace("#/components/schemas/", "")] = createBody.schema as SchemaOrRef;
    createBody.schema = { $ref: ref };
  }
  const components = document.components ?? {};
  const { responses, headers } = errorComponents();
  // The generator's own error schemas (`error.BAD_REQUEST`, ...) are referenced no more.
  const schemas = {
    ...Object.fromEntries(Object.entries(components.schemas ?? {}).filter(([name]) => !name.startsWith("error."))),
    ...named,
  };
  document.components = { ...components, schemas, responses, headers };
  document.tags = Object.entries(TAGS).map(([name, description]) => ({ name, description }));
  return document;
}
