import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/**
 * The OpenAPI document as a validator of real responses: each response's status must be declared
 * by its operation, a JSON body must match the declared schema (OpenAPI 3.1 schemas are JSON
 * Schema 2020-12), declared headers must be present and match theirs, and the media type must be
 * one the operation declares.
 */

export const METHODS = ["get", "post", "put", "patch", "delete"] as const;

type Reference = { $ref: string };
interface HeaderObject {
  required?: boolean;
  schema?: { type?: string };
}
interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, { schema?: unknown }>;
}
export interface OperationObject {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, ResponseObject | Reference>;
}
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<(typeof METHODS)[number], OperationObject>>>;
  components: Record<string, Record<string, unknown>>;
}

export interface DocumentOperation {
  method: (typeof METHODS)[number];
  route: string;
  operation: OperationObject;
}

/** `GET /leads/{id}` */
export function operationKey(method: string, route: string): string {
  return `${method.toUpperCase()} ${route}`;
}

export function documentOperations(document: OpenApiDocument): DocumentOperation[] {
  return Object.entries(document.paths).flatMap(([route, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ method, route, operation: item[method] }] : [])),
  );
}

function pointer(...segments: string[]): string {
  return `#/${segments.map((segment) => segment.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}

export interface ObservedResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export function createResponseValidator(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const DOCUMENT_ID = "openapi.json";
  ajv.addSchema(document, DOCUMENT_ID);
  const compiled = new Map<string, ValidateFunction>();

  /** A validator for the schema at `ref` (a pointer into the document). */
  function schemaAt(ref: string): ValidateFunction {
    let validate = compiled.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}${ref}` });
      compiled.set(ref, validate);
    }
    return validate;
  }

  function resolve<T>(value: T | Reference): { value: T; ref?: string } {
    if (value && typeof value === "object" && "$ref" in value) {
      const ref = value.$ref;
      const target = ref
        .slice(2)
        .split("/")
        .reduce<any>((node, key) => node?.[key.replaceAll("~1", "/").replaceAll("~0", "~")], document);
      if (!target) throw new Error(`unresolvable ${ref}`);
      return { value: target as T, ref };
    }
    return { value: value as T };
  }

  function describe(validate: ValidateFunction): string {
    return (validate.errors ?? []).map((error) => `${error.instancePath || "(body)"} ${error.message}`).join("; ");
  }

  /** What is wrong with `response` as an answer of `method route`; empty when the document tells the truth. */
  return function problemsOf(method: string, route: string, response: ObservedResponse): string[] {
    const where = `${operationKey(method, route)} → ${response.status}`;
    const operation = document.paths[route]?.[method.toLowerCase() as (typeof METHODS)[number]];
    if (!operation) return [`${where}: the document has no such operation`];
    const declared = operation.responses[String(response.status)];
    if (!declared) return [`${where}: status not declared (declared: ${Object.keys(operation.responses).join(", ")})`];
    const { value: spec, ref } = resolve<ResponseObject>(declared);
    const problems: string[] = [];
    for (const [name, header] of Object.entries(spec.headers ?? {})) {
      const { value: headerSpec } = resolve<HeaderObject>(header);
      const received = response.headers.get(name);
      if (received === null) {
        if (headerSpec.required) problems.push(`${where}: header ${name} is declared required but missing`);
        continue;
      }
      const value = headerSpec.schema?.type === "integer" || headerSpec.schema?.type === "number" ? Number(received) : received;
      const validate = ajv.compile(headerSpec.schema ?? {});
      if (!validate(value)) problems.push(`${where}: header ${name}: ${received} ${describe(validate)}`);
    }
    const mediaType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    const content = spec.content ?? {};
    if (!mediaType) {
      if (Object.keys(content).length) problems.push(`${where}: no content-type, the document declares ${Object.keys(content)}`);
      return problems;
    }
    if (!(mediaType in content)) {
      problems.push(`${where}: content-type ${mediaType} not declared (declared: ${Object.keys(content).join(", ") || "none"})`);
      return problems;
    }
    if (mediaType === "application/json") {
      const base = ref ? ref : pointer("paths", route, method.toLowerCase(), "responses", String(response.status));
      const validate = schemaAt(`${base}/content/${"application~1json"}/schema`);
      if (!validate(response.body)) problems.push(`${where}: body does not match its schema: ${describe(validate)}`);
    }
    return problems;
  };
}

/**
 * The examples of the document that their own schema refuses: schema `examples`, and the
 * `example` of media types and headers. Empty when every prefilled value of the docs page is valid.
 */
export function invalidExamples(document: OpenApiDocument): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, "openapi.json");
  const problems: string[] = [];
  const validateAt = (path: string[], value: unknown) => {
    const validate = ajv.compile({ $ref: `openapi.json${pointer(...path)}` });
    if (!validate(value)) {
      const errors = (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`).join("; ");
      problems.push(`${pointer(...path)}: example ${JSON.stringify(value)} is invalid: ${errors}`);
    }
  };
  const visit = (node: unknown, path: string[]) => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const [index, child] of node.entries()) visit(child, [...path, String(index)]);
      return;
    }
    const object = node as Record<string, unknown>;
    const isSchemaMap = path.at(-1) === "properties";
    if (!isSchemaMap && "example" in object) {
      if ("schema" in object) validateAt([...path, "schema"], object.example);
      else validateAt(path, object.example);
    }
    if (!isSchemaMap && Array.isArray(object.examples)) for (const example of object.examples) validateAt(path, example);
    for (const [key, child] of Object.entries(object)) {
      // An example is a value, not a part of the document.
      if (isSchemaMap || (key !== "example" && key !== "examples")) visit(child, [...path, key]);
    }
  };
  visit(document.paths, ["paths"]);
  visit(document.components, ["components"]);
  return problems;
}
