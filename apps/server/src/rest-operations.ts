import type { FastifyRequest } from "fastify";
import { HttpError } from "./rest-errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the REST operation check when the query has parameters the operation does not declare. */
    undeclaredQueryParameters?: string[];
  }
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
}

interface Operations {
  /** `/leads/{id}` */
  template: string;
  pattern: RegExp;
  /** Upper-case method → the query parameters its operation declares. */
  methods: Map<string, Set<string>>;
}

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/** Matches as the OpenAPI bridge does: `{param}` is one segment, case-insensitive, trailing slash ignored. */
function templatePattern(template: string): RegExp {
  const literals = template.split(/\{[^}]+\}/).map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${literals.join("[^/]+")}/?$`, "i");
}

/**
 * Every REST operation of the OpenAPI document (the router's procedures and the file routes),
 * by path and method: what a path allows (405 with `Allow` for the others) and which query
 * parameters an operation takes. New operations follow from the document.
 */
export function restOperations(document: { paths?: object }, basePath: string) {
  const paths = (document.paths ?? {}) as Record<string, Record<string, unknown>>;
  const table: Operations[] = Object.entries(paths).map(([template, item]) => ({
    template,
    pattern: templatePattern(`${basePath}${template}`),
    methods: new Map(
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.has(method))
        .map(([method, operation]) => [
          method.toUpperCase(),
          new Set(((operation as OpenApiOperation).parameters ?? []).filter((p) => p.in === "query").map((p) => p.name)),
        ]),
    ),
  }));
  // A literal segment wins over a parameter (`/leads/export` over `/leads/{id}`), as in the router.
  const parameterCount = (template: string) => template.split("{").length;
  table.sort((a, b) => parameterCount(a.template) - parameterCount(b.template));

  /** The path's most specific template: a literal segment is a resource of its own (`PATCH /leads/export` is a 405, not an id). */
  function lookup(method: string, path: string) {
    const entry = table.find((candidate) => candidate.pattern.test(path));
    if (!entry) return undefined;
    return { allowed: [...entry.methods.keys()], query: entry.methods.get(method === "HEAD" ? "GET" : method) };
  }

  /**
   * onRequest: a method the path does not have is a 405 naming the ones it has (routes of their own
   * for the method, such as CORS preflight or the document itself, are left alone); the query
   * parameters the operation does not declare are noted for the API to refuse after its permission
   * gate (RequestInfo.undeclaredQueryParameters).
   */
  return async function checkRestOperation(request: FastifyRequest) {
    const [path = ""] = (request.raw.url ?? "").split("?");
    if (!path.startsWith(`${basePath}/`)) return;
    const found = lookup(request.method, path);
    if (!found) return;
    if (!found.query) {
      if (!request.is404 && request.routeOptions.url !== `${basePath}/*`) return;
      const allow = found.allowed.join(", ");
      throw new HttpError(405, `${request.method} is not allowed on ${path}; it allows ${allow}`, undefined, { allow });
    }
    const undeclared = Object.keys(request.query as Record<string, unknown>).filter((name) => !found.query?.has(name));
    if (undeclared.length) request.undeclaredQueryParameters = undeclared;
  };
}
