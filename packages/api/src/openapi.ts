import { generateOpenApiDocument } from "trpc-to-openapi";
import { appRouter } from "./root.ts";

export function openApiDocument(baseUrl: string) {
  return generateOpenApiDocument(appRouter, {
    title: "CRM API",
    description:
      "The same procedures as the tRPC API, as REST. Authenticate with `Authorization: Bearer <access token or API key>`. " +
      "Errors are `{ code, message, issues? }` with the matching HTTP status.",
    version: "1.0.0",
    baseUrl,
    docsUrl: "/docs",
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "Access token (JWT) or API key (crm_...)" } },
  });
}
