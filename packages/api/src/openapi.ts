import { generateOpenApiDocument } from "trpc-to-openapi";
import { z } from "zod";
import { appRouter } from "./root.ts";
import { DUPLICATE_POLICIES, IMPORT_MODES } from "./routers/imports/schemas.ts";
import { exportLeadsInput } from "./routers/leads/export.ts";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const security = [{ bearer: [] }];
const binary = z.string().meta({ format: "binary" });
const errorBody = {
  description: "{ code, message, issues?, requestId }",
  content: { "application/json": { schema: z.object({ code: z.string(), message: z.string(), requestId: z.string() }) } },
};

/**
 * The file routes are plain Fastify routes (the bridge cannot take multipart or stream a file),
 * so their operations are described here by hand, beside the generated ones.
 */
const fileRoutes = {
  "/leads/import": {
    post: {
      tags: ["leads"],
      summary: "Import leads from a .csv or .xlsx file: answers 202 with an import job to follow at /imports/{id}",
      security,
      requestBody: {
        content: {
          "multipart/form-data": {
            schema: z.object({
              file: binary,
              mode: z.enum(IMPORT_MODES).optional(),
              duplicatePolicy: z.enum(DUPLICATE_POLICIES).optional(),
              mapping: z.string().optional().meta({ description: 'JSON: { "column header": "field" | null }' }),
            }),
          },
        },
      },
      responses: {
        202: {
          description: "The import job, queued",
          content: {
            "application/json": { schema: z.object({ jobId: z.uuid(), status: z.string(), rowsTotal: z.number().nullable() }) },
          },
        },
        400: errorBody,
        413: errorBody,
        415: errorBody,
      },
    },
  },
  "/leads/export": {
    get: {
      tags: ["leads"],
      summary: "Export the leads the list filters select, streamed as XLSX or CSV",
      security,
      requestParams: { query: exportLeadsInput },
      responses: {
        200: { description: "The file", content: { [XLSX]: { schema: binary }, "text/csv": { schema: z.string() } } },
        400: errorBody,
      },
    },
  },
  "/imports/{id}/errors.csv": {
    get: {
      tags: ["imports"],
      summary: "The rows an import refused, with row number, field and message, as CSV",
      security,
      requestParams: { path: z.object({ id: z.uuid() }) },
      responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, 404: errorBody },
    },
  },
};

export function openApiDocument(baseUrl: string) {
  return generateOpenApiDocument(appRouter, {
    title: "CRM API",
    description:
      "The same procedures as the tRPC API, as REST. Authenticate with `Authorization: Bearer <access token or API key>`. " +
      "Errors are `{ code, message, issues?, requestId }` with the matching HTTP status.",
    version: "1.0.0",
    baseUrl,
    docsUrl: "/docs",
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "Access token (JWT) or API key (crm_...)" } },
    paths: fileRoutes as never,
  });
}
