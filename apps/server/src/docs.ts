import { API_TITLE } from "@crm/api";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

function badge(width: number, label: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40" viewBox="0 0 ${width} 40">` +
      `<rect width="${width}" height="40" rx="8" fill="#1f4e79"/>` +
      `<text x="${width / 2}" y="27" font-family="Helvetica, Arial, sans-serif" font-size="20" font-weight="700" text-anchor="middle" fill="#fff">${label}</text>` +
      "</svg>",
  );
}

/** The document at /api/v1/openapi.json and the interactive docs at /docs (local assets, the product's name). */
export async function registerDocs(app: FastifyInstance, document: object) {
  app.get("/api/v1/openapi.json", async () => document);
  await app.register(swagger, { mode: "static", specification: { document: document as never } });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    logo: { type: "image/svg+xml", content: badge(120, API_TITLE), href: "/docs", target: "_self" },
    theme: {
      title: `${API_TITLE} · REST reference`,
      favicon: [{ filename: "favicon.svg", rel: "icon", sizes: "any", type: "image/svg+xml", content: badge(64, "CRM") }],
    },
    uiConfig: { displayOperationId: true, persistAuthorization: true },
  });
}
