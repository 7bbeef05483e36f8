import { randomBytes, randomUUID } from "node:crypto";
import { appRouter, type Permission, RECORD_RESOURCES } from "@crm/api";
import { type CrmClient, TRPCClientError } from "@crm-api/client";
import { z } from "zod";
import { csvOf, importLeads } from "./imports.ts";
import type { TestServer, TestUser } from "./server.ts";

/**
 * The router seen as data: every procedure of `appRouter` with its input schema, meta and REST
 * route, and generic ways to build a valid input for it, call it through the real server (tRPC and
 * REST), and make a record of each resource. Tests that enumerate procedures (tenant isolation,
 * role matrix) use it so a new router is covered without editing them.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  /** Valid values the schema declares (an array's first example is used as it is: a list that keeps its own rules). */
  examples?: unknown[];
  /** A uuid field named otherwise than the records it references: resolved as a field of this name would be. */
  "x-references"?: string;
  /**
   * A uuid field naming a record made inside the record that the input field of this name
   * addresses (`attendeeId` of the meeting `id`): resolved by making one there (see nestedCreateOf).
   */
  "x-within"?: string;
};

export interface ProcedureInfo {
  /** `leads.byId` */
  path: string;
  router: string;
  name: string;
  type: "query" | "mutation" | "subscription";
  permission?: Permission;
  /** Or the permissions any one of which opens it (see ProcedureMeta). */
  anyPermission?: readonly Permission[];
  openapi?: { method: string; path: string };
  /** The zod input schema (undefined when the procedure takes no input). */
  input?: z.ZodType;
  /** Its JSON Schema (input side), an object schema or undefined. */
  schema?: JsonSchema;
  /**
   * How the procedure addresses records of its router: `id` (one record), `ids` (a list of
   * uuids, the bulk procedures) or `rows` (a list of objects each with its `id`, under the
   * router's name: `{ leads: [{ id, ...patch }] }`); undefined when it addresses none.
   */
  idField?: "id" | "ids" | "rows";
  takesId: boolean;
  /** See ProcedureMeta: the state its records must be in, and why it writes no audit entry. */
  recordState?: "deleted" | "any";
  /** See ProcedureMeta: the action of its router that puts a record in the state it needs (reopen: markWon). */
  preparedBy?: string;
  notAudited?: string;
}

interface ProcedureDef {
  type: ProcedureInfo["type"];
  inputs: z.ZodType[];
  meta?: {
    permission?: Permission;
    anyPermission?: readonly Permission[];
    openapi?: { method: string; path: string };
    recordState?: "deleted" | "any";
    preparedBy?: string;
    notAudited?: string;
  };
}

function objectSchema(input: z.ZodType | undefined): JsonSchema | undefined {
  if (!input) return undefined;
  // A schema's own `override` meta (as the OpenAPI generator applies it: bulk rows become a $ref to their create input).
  const override: NonNullable<Parameters<typeof z.toJSONSchema>[1]>["override"] = (context) => {
    const own = (z.globalRegistry.get(context.zodSchema as unknown as z.ZodType) as { override?: typeof override } | undefined)
      ?.override;
    own?.(context);
  };
  const schema = z.toJSONSchema(input, { io: "input", unrepresentable: "any", override }) as JsonSchema;
  return schema.type === "object" ? schema : undefined;
}

/** Every procedure of the app router, in declaration order. */
export function listProcedures(): ProcedureInfo[] {
  return Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>).map(
    ([path, procedure]) => {
      const def = procedure._def;
      if (def.inputs.length > 1) throw new Error(`${path}: chained .input() is not supported by the procedure enumerator`);
      const input = def.inputs[0];
      const schema = objectSchema(input);
      const [router = "", name = ""] = path.split(".");
      const ids = schema?.properties?.ids;
      const rows = schema?.properties?.[router];
      const idField = schema?.properties?.id
        ? "id"
        : ids?.type === "array" && ids.items?.format === "uuid"
          ? "ids"
          : rows?.type === "array" && rows.items?.properties?.id?.format === "uuid"
            ? "rows"
            : undefined;
      return {
        path,
        router,
        name,
        type: def.type,
        permission: def.meta?.permission,
        anyPermission: def.meta?.anyPermission,
        openapi: def.meta?.openapi ? { method: def.meta.openapi.method, path: def.meta.openapi.path } : undefined,
        input,
        schema,
        idField,
        takesId: idField !== undefined,
        recordState: def.meta?.recordState,
        preparedBy: def.meta?.preparedBy,
        notAudited: def.meta?.notAudited,
      };
    },
  );
}

export const procedures = listProcedures();

/** The permissions that open a procedure: its one permission, or any one of several; empty when it is not gated by one. */
export function gateOf(info: ProcedureInfo): readonly Permission[] {
  return info.permission ? [info.permission] : (info.anyPermission ?? []);
}

export function routerNames(): string[] {
  return [...new Set(procedures.map((p) => p.router))];
}

/**
 * The resource (router or record resource) a reference field names: `contactId` → contacts,
 * `companyIds[0]` → companies, `primaryCompanyId` → companies (by its last word); undefined for
 * a field that names none (`primaryId`, `mergeIds[0]`).
 */
export function resourceOfField(field: string): string | undefined {
  const stem = /^(\w+?)Ids?(?:\[\d+\])?$/.exec(field)?.[1];
  if (!stem) return undefined;
  const known = new Set<string>([...RECORD_RESOURCES, ...routerNames()]);
  const lastWord = stem.replace(/^.*(?=[A-Z])/, "").toLowerCase();
  for (const word of new Set([stem, lastWord])) {
    const name = [word, `${word}s`, word.replace(/y$/, "ies")].find((candidate) => known.has(candidate));
    if (name) return name;
  }
  return undefined;
}

/**
 * The procedure that makes the records a field names when no router does (`stageId` →
 * pipelines.createStage, by the field's last word): `<router>.create<Stem>`, taking the `id` of
 * the router's record they are made in.
 */
export function nestedCreateOf(field: string): ProcedureInfo | undefined {
  const stem = /^(\w+?)Ids?(?:\[\d+\])?$/.exec(field)?.[1];
  if (!stem || resourceOfField(field)) return undefined;
  const lastWord = stem.replace(/^.*(?=[A-Z])/, "");
  const name = `create${lastWord[0]?.toUpperCase()}${lastWord.slice(1)}`;
  return procedures.find((p) => p.name === name && p.schema?.properties?.id?.format === "uuid");
}

/** The output property listing the records a list field names: `stageIds` → `stages`. */
function pluralOfChildren(field: string): string {
  const stem = (/^(\w+?)Ids$/.exec(field)?.[1] ?? field).replace(/^.*(?=[A-Z])/, "");
  return `${stem[0]?.toLowerCase()}${stem.slice(1)}s`.replace(/ys$/, "ies");
}

/** Whether a router makes records inside its own (pipelines.createStage). */
export function hasNestedCreates(router: string): boolean {
  return procedures.some((p) => p.router === router && /^create[A-Z]/.test(p.name) && p.schema?.properties?.id);
}

/**
 * The procedure that puts a record in the state `info` needs before it is called on it: its
 * router's `delete` for one on soft-deleted records (restore), or the action its meta names
 * (`preparedBy`: reopen needs a closed deal, made by markWon); undefined when any record will do.
 */
export function preparationOf(info: ProcedureInfo): ProcedureInfo | undefined {
  const name = info.recordState === "deleted" ? "delete" : info.preparedBy;
  if (!name) return undefined;
  const preparation = procedures.find((p) => p.path === `${info.router}.${name}`);
  if (!preparation) throw new Error(`${info.path} needs its records prepared by ${info.router}.${name}, which does not exist`);
  return preparation;
}

/**
 * Every preparation `info` needs, in the order to run them: a preparation's own first (pause needs
 * an active campaign, made by activate, which needs a scheduled one, made by schedule).
 */
export function preparationsOf(info: ProcedureInfo): ProcedureInfo[] {
  const preparation = preparationOf(info);
  return preparation ? [...preparationsOf(preparation), preparation] : [];
}

/**
 * Runs the preparations of `info` on the record `id` through `call`, and answers the values of
 * their inputs that `info` takes too (the leads an addMembers added are those removeMembers removes).
 */
export async function prepareRecord(
  info: ProcedureInfo,
  id: string,
  reference: ReferenceResolver,
  call: (preparation: ProcedureInfo, input: Record<string, unknown> | undefined) => Promise<void>,
): Promise<Record<string, unknown>> {
  const carried: Record<string, unknown> = {};
  for (const preparation of preparationsOf(info)) {
    const input = await generateInput(preparation, { values: { id }, reference });
    await call(preparation, input);
    for (const [key, value] of Object.entries(input ?? {})) {
      if (key !== "id" && info.schema?.properties?.[key]) carried[key] = value;
    }
  }
  return carried;
}

/** The input fields that point `info` at records of its router: `{ id }`, `{ ids }` or `{ <router>: [{ id }] }`. */
export function addressing(info: ProcedureInfo, ids: string[]): Record<string, unknown> {
  if (info.idField === "ids") return { ids };
  if (info.idField === "rows") return { [info.router]: ids.map((id) => ({ id })) };
  if (info.idField === "id" && ids.length === 1) return { id: ids[0] };
  throw new Error(`${info.path} addresses ${info.idField ?? "no records"}; cannot point it at ${ids.length} ids`);
}

// ---------------------------------------------------------------------------------------------
// Input generation

export function uniqueSuffix(): string {
  return randomBytes(4).toString("hex");
}

/**
 * Resolves a uuid field other than `id` (e.g. `roleId`) to a real id in the caller's organization;
 * given `within` (the record the input addresses), a list field of records made inside it
 * (`stageIds` of a pipeline) to all of them.
 */
export type ReferenceResolver = (field: string, within?: string) => Promise<string | string[] | undefined>;

export interface GenerateOptions {
  /** Values used as they are (e.g. `id` of the target record). */
  values?: Record<string, unknown>;
  /**
   * `first` (default): enums take their first value, booleans true. `last`: enums their last value,
   * booleans false, so a write of an existing record usually changes it (new records start at the
   * first values and true).
   */
  choose?: "first" | "last";
  /** A valid value of what a `$ref` names (bulk rows refer to their resource's create input). */
  refValue?: (ref: string) => Promise<unknown>;
  /** The router of the procedure the input is for: a uuid naming no resource (`primaryId`) is one of its records. */
  ownRouter?: string;
  /** `omit`: only required fields (minimal input). `include`: also every optional field that can be generated. */
  optional?: "omit" | "include";
  reference: ReferenceResolver;
}

class CannotGenerate extends Error {}

/** The caller's role may not make a record of that router. */
class RefusedRecord extends Error {}

let dateTimesGenerated = 0;

/**
 * A future instant, an hour later than the one generated before: a pair generated in order (start,
 * end; from, to) is a valid interval, and the intervals of different inputs do not overlap.
 */
function nextDateTime(): string {
  dateTimesGenerated += 1;
  return new Date(Date.now() + 86_400_000 + dateTimesGenerated * 3_600_000).toISOString();
}

function stringCandidates(schema: JsonSchema): string[] {
  const unique = uniqueSuffix();
  if (schema.format === "email") return [`x-${unique}@example.com`];
  if (schema.format === "date-time") return [nextDateTime()];
  return [`x${unique}`, "x", "xx", "12345", `${unique}`];
}

function fitLength(value: string, schema: JsonSchema): string {
  let fitted = value;
  if (schema.maxLength !== undefined) fitted = fitted.slice(0, schema.maxLength);
  while (schema.minLength !== undefined && fitted.length < schema.minLength) fitted += "x";
  return fitted;
}

async function generateValue(field: string, schema: JsonSchema, options: GenerateOptions): Promise<unknown> {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return options.choose === "last" ? schema.enum.at(-1) : schema.enum[0];
  if (schema.$ref) {
    if (!options.refValue) throw new CannotGenerate(`${field}: cannot resolve ${schema.$ref}`);
    return options.refValue(schema.$ref);
  }
  if (schema.anyOf) {
    for (const branch of schema.anyOf.filter((b) => b.type !== "null")) {
      try {
        return await generateValue(field, branch, options);
      } catch (error) {
        if (!(error instanceof CannotGenerate)) throw error;
      }
    }
    throw new CannotGenerate(`${field}: no branch of anyOf can be generated`);
  }
  switch (schema.type) {
    case "string": {
      if (schema.format === "uuid") {
        // `moveDealsTo` (meta x-references: stageId) is resolved as a `stageId` would be.
        const named = schema["x-references"] ?? field;
        // `attendeeId` (meta x-within: id): a record made inside the one the input's `id` addresses.
        const within = schema["x-within"] ? options.values?.[schema["x-within"]] : undefined;
        let id = await options.reference(named, typeof within === "string" ? within : undefined);
        // `primaryId`, `mergeIds`: a uuid that names no resource is a record of the procedure's own router.
        if (!id && options.ownRouter && !resourceOfField(named)) id = await options.reference(`${options.ownRouter}Id`);
        if (typeof id !== "string") throw new CannotGenerate(`${field}: no fixture says which record this uuid references`);
        return id;
      }
      const pattern = schema.pattern ? new RegExp(schema.pattern) : undefined;
      const value = stringCandidates(schema)
        .map((candidate) => fitLength(candidate, schema))
        .find((candidate) => !pattern || pattern.test(candidate));
      if (value === undefined) throw new CannotGenerate(`${field}: no candidate matches /${schema.pattern}/`);
      return value;
    }
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return options.choose !== "last";
    case "array": {
      if (schema.examples?.length) return structuredClone(schema.examples[0]);
      // Convention: `stageIds` of a procedure addressing a pipeline (whose router makes stages inside
      // its records: pipelines.createStage) lists that pipeline's stages, all of them.
      const within = options.values?.id;
      const nested = nestedCreateOf(field);
      if (nested && nested.router === options.ownRouter && typeof within === "string") {
        const all = await options.reference(field, within);
        if (Array.isArray(all)) return all;
      }
      const count = schema.minItems ?? 0;
      const items: unknown[] = [];
      for (let i = 0; i < count; i++) items.push(await generateValue(`${field}[${i}]`, schema.items ?? {}, options));
      return items;
    }
    case "object":
      return generateObject(field, schema, options);
    default:
      throw new CannotGenerate(`${field}: cannot generate a value for ${JSON.stringify(schema)}`);
  }
}

/**
 * The fields an object needs: its `required`, and for each "at least one of" (an `anyOf` of
 * branches that only say `required`, as the kit documents `atLeastOne`) the first branch's.
 */
function requiredFields(schema: JsonSchema, given: readonly string[] = []): Set<string> {
  const required = new Set(schema.required ?? []);
  const groups = [schema.anyOf, ...(schema.allOf ?? []).map((part) => part.anyOf)];
  for (const group of groups) {
    if (!group?.every((branch) => branch.required && !branch.type && !branch.properties)) continue;
    // A branch the given values already satisfy (an attendee's contactId) stands for the group.
    if (group.some((branch) => branch.required?.every((name) => given.includes(name)))) continue;
    for (const name of group[0]?.required ?? []) required.add(name);
  }
  return required;
}

async function generateObject(prefix: string, schema: JsonSchema, options: GenerateOptions) {
  const result: Record<string, unknown> = {};
  const required = requiredFields(schema, prefix ? [] : Object.keys(options.values ?? {}));
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const field = prefix ? `${prefix}.${key}` : key;
    if (!prefix && options.values && key in options.values) {
      result[key] = options.values[key];
    } else if (required.has(key)) {
      result[key] = await generateValue(field, property, options);
    } else if (options.optional === "include") {
      try {
        result[key] = await generateValue(field, property, options);
      } catch (error) {
        if (!(error instanceof CannotGenerate)) throw error;
      }
    }
  }
  return result;
}

/**
 * A valid input for `info` built from its zod schema: enums take their first value, strings a
 * short text that fits length and pattern, emails are valid, uuids come from `values` or the
 * reference resolver. Throws (loudly) when no valid input can be built; the procedure then needs a
 * fixture in the test that enumerates it.
 */
export async function generateInput(info: ProcedureInfo, options: GenerateOptions): Promise<Record<string, unknown> | undefined> {
  if (!info.input) return undefined;
  if (!info.schema) throw new Error(`${info.path}: its input is not an object; the generator needs a fixture for it`);
  let input: Record<string, unknown>;
  // A bulk row names its resource's create input (see the kit's bulkRow): it is generated as that procedure's input.
  const create = procedures.find((p) => p.path === `${info.router}.create`);
  const refValue =
    options.refValue ??
    (async (ref: string) => {
      if (!create || create === info || !ref.endsWith("Input")) throw new CannotGenerate(`cannot resolve ${ref}`);
      return generateInput(create, { ...options, values: undefined });
    });
  try {
    input = await generateObject("", info.schema, { ...options, refValue, ownRouter: info.router });
  } catch (error) {
    if (error instanceof CannotGenerate) throw new Error(`${info.path}: cannot generate an input (${error.message})`);
    throw error;
  }
  const given = Object.keys(options.values ?? {});
  // Optional values the JSON Schema cannot tell are invalid (a phone number's digits) are dropped
  // first, by the fields the schema names; values valid alone may still be refused together (or
  // by a refinement): those are dropped one by one until the schema accepts the input.
  const result = info.input.safeParse(input);
  const refused = result.success ? [] : result.error.issues.map((issue) => String(issue.path[0]));
  for (const key of refused) {
    if (!requiredFields(info.schema, given).has(key) && !(options.values && key in options.values)) delete input[key];
  }
  for (const key of Object.keys(input)) {
    if (info.input.safeParse(input).success) break;
    if (options.values && key in options.values) continue;
    if (!requiredFields(info.schema, given).has(key)) delete input[key];
  }
  const parsed = info.input.safeParse(input);
  if (!parsed.success) {
    throw new Error(`${info.path}: generated input ${JSON.stringify(input)} is invalid: ${parsed.error.message}`);
  }
  return input;
}

// ---------------------------------------------------------------------------------------------
// Calling a procedure through the real server

export interface Outcome {
  /** `OK`, or the tRPC error code (`NOT_FOUND`, `FORBIDDEN`, ...). */
  code: string;
  message?: string;
  data?: unknown;
  /** Of an error: its HTTP status and, for a validation error, the fields it names. */
  httpStatus?: number;
  issues?: { path: string; message: string }[];
}

/** Calls `info` with the typed client over HTTP (`/trpc`), as whoever `client` is logged in as. */
export async function callTrpc(client: CrmClient, info: ProcedureInfo, input: unknown): Promise<Outcome> {
  const node = info.path.split(".").reduce<any>((target, key) => target[key], client);
  try {
    const data = info.type === "query" ? await node.query(input) : await node.mutate(input);
    return { code: "OK", data };
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as Pick<Outcome, "code" | "httpStatus" | "issues"> | undefined;
      return { code: data?.code ?? "UNKNOWN", message: error.message, httpStatus: data?.httpStatus, issues: data?.issues };
    }
    throw error;
  }
}

export interface RestOutcome {
  status: number;
  code?: string;
  message?: string;
  body: unknown;
  headers: Headers;
}

/**
 * Calls `info` through the REST bridge: path parameters (`{id}`) are substituted from the input,
 * the rest of the input goes into the query string for GET/DELETE and into a JSON body otherwise;
 * `rawBody`, when given, is sent as the JSON body instead (text a JSON body may not be).
 */
export async function callRest(
  server: TestServer,
  token: string,
  info: ProcedureInfo,
  input: Record<string, unknown> | undefined,
  { rawBody }: { rawBody?: string } = {},
): Promise<RestOutcome> {
  if (!info.openapi) throw new Error(`${info.path} has no REST route`);
  const rest = { ...input };
  const path = info.openapi.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = rest[name];
    if (value === undefined) throw new Error(`${info.path}: no value for path parameter ${name}`);
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  const method = info.openapi.method.toUpperCase();
  let url = path;
  let body: unknown;
  if (method === "GET" || method === "DELETE") {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(rest)) {
      for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
    }
    if ([...query].length) url += `?${query}`;
  } else {
    body = rest;
  }
  const response = await server.rest(
    method,
    url,
    rawBody === undefined ? { token, body } : { token, rawBody, headers: { "content-type": "application/json" } },
  );
  const errorBody = response.body as { code?: string; message?: string } | undefined;
  return {
    status: response.status,
    code: response.status >= 400 ? errorBody?.code : undefined,
    message: response.status >= 400 ? errorBody?.message : undefined,
    body: response.body,
    headers: response.headers,
  };
}

/** Whether any of `ids` occurs anywhere in `value` (deep: keys and string values). */
export function containsAny(value: unknown, ids: Iterable<string>): string[] {
  const text = JSON.stringify(value) ?? "";
  return [...ids].filter((id) => text.includes(id));
}

// ---------------------------------------------------------------------------------------------
// Records of each resource

export interface Fixtures {
  /**
   * A uuid field other than `id` resolved to a real record of `caller`'s organization; a field that
   * names no resource (`primaryId`, `mergeIds`) is a record of `ownRouter`, the procedure's router.
   */
  reference(caller: TestUser, field: string, ownRouter?: string): Promise<string | undefined>;
  /**
   * `reference`, and for a list field of records made inside `within` (`stageIds` of a pipeline:
   * see nestedCreateOf) all of them, in order, as the record's byId shows them (its `stages`).
   */
  resolver(caller: TestUser): ReferenceResolver;
  /** Makes a new record of `router` in `owner`'s organization (as `owner`) and returns its id. */
  record(router: string, owner: TestUser): Promise<string>;
  /** Whether `record` knows how to make a record of `router`. */
  canMake(router: string): boolean;
  /** An active user who is no member of any organization yet. */
  freshUser(): Promise<{ id: string; email: string }>;
}

/**
 * Records are made through the public API as the organization's owner: by the router's own
 * `create` with a generated input, except for the routers listed in `specialRecords`.
 */
export function createFixtures(server: TestServer): Fixtures {
  async function freshUser() {
    // Only their email matters (members.add looks users up by email), so no password hashing.
    const email = `fixture-${uniqueSuffix()}@test.dev`;
    const user = await server.prisma.user.create({ data: { email, name: "Fixture", passwordHash: "not-a-hash" } });
    return { id: user.id, email };
  }

  async function builtInRole(orgId: string, key: string): Promise<string> {
    const role = await server.prisma.role.findFirstOrThrow({ where: { organizationId: orgId, key, isBuiltIn: true } });
    return role.id;
  }

  /**
   * Routers whose record is not made by a conventional `create`: the organization is the tenant
   * itself, a user is a record only through membership, a member is added (`add`), not created.
   */
  async function newMember(owner: TestUser) {
    const user = await freshUser();
    return owner.client.members.add.mutate({ email: user.email, roleId: await builtInRole(owner.orgId, "agent") });
  }

  const specialRecords: Record<string, (owner: TestUser) => Promise<string>> = {
    organizations: async (owner) => owner.orgId,
    users: async (owner) => owner.userId,
    members: async (owner) => (await newMember(owner)).id,
    // An employee is a membership addressed by its user id.
    employees: async (owner) => (await newMember(owner)).user.id,
    // An import job is made by uploading a file, and read back once it has finished.
    imports: async (owner) =>
      (
        await importLeads(
          owner,
          csvOf([
            ["First Name", "Email"],
            ["Fixture", `f-${uniqueSuffix()}@example.com`],
          ]),
        )
      ).id,
  };

  function resolver(caller: TestUser): ReferenceResolver {
    return async (field, within) => {
      const nested = within === undefined ? undefined : nestedCreateOf(field);
      if (nested && within !== undefined && !/Ids$/.test(field)) return nestedRecordIn(nested, caller, within);
      if (!nested || !/Ids$/.test(field)) return reference(caller, field);
      const byId = procedures.find((p) => p.path === `${nested.router}.byId`);
      if (!byId) return undefined;
      const outcome = await callTrpc(caller.client, byId, { id: within });
      if (outcome.code !== "OK") return [randomUUID()];
      const children = (outcome.data as Record<string, unknown>)[pluralOfChildren(field)];
      return Array.isArray(children) ? children.map((child) => (child as { id: string }).id) : undefined;
    };
  }

  async function reference(caller: TestUser, field: string, ownRouter?: string): Promise<string | undefined> {
    switch (field) {
      case "roleId":
        // The least-privileged built-in role: any caller allowed to grant a role may grant it.
        return builtInRole(caller.orgId, "viewer");
      // Members, named by their user id: the caller is one.
      case "assignedToId":
      case "authorId":
      case "ownerId":
      case "userId":
      case "managerId":
      case "reassignTo":
      case "assigneeId":
        return caller.userId;
      case "organizationId":
        return caller.orgId;
    }
    // Convention: `stageId` names a record that `<router>.create<Stem>` (pipelines.createStage) makes inside a record of its router.
    const nested = nestedCreateOf(field);
    if (nested) return nestedRecord(nested, caller);
    // Convention: `contactId` references a record of the `contacts` router (see resourceOfField).
    const router = resourceOfField(field) ?? ownRouter;
    if (!router || !canMake(router)) return undefined;
    try {
      return await (hasNestedCreates(router) ? sharedRecord(router, caller) : record(router, caller));
    } catch (error) {
      // A caller whose role may not make the record: its call is refused at the gate before any lookup.
      if (error instanceof RefusedRecord) return randomUUID();
      throw error;
    }
  }

  /**
   * Record resources whose router is not built yet though other routers reference their records
   * (contacts link companies): a bare row, used only while `<router>.create` does not exist.
   */
  const bareRecords: Record<string, (owner: TestUser) => Promise<string>> = {
    companies: async (owner) =>
      (await server.prisma.company.create({ data: { organizationId: owner.orgId, name: `Fixture ${uniqueSuffix()}` } })).id,
  };

  /**
   * The record of a router that references into it share per caller, for routers that make
   * records inside theirs (pipelines make stages): a deal's `pipelineId` and `stageId` then agree.
   */
  const shared = new Map<string, Promise<string>>();
  function sharedRecord(router: string, caller: TestUser): Promise<string> {
    const key = `${router}\u0000${caller.userId}\u0000${caller.orgId}`;
    let id = shared.get(key);
    if (!id) {
      id = record(router, caller);
      id.catch(() => shared.delete(key));
      shared.set(key, id);
    }
    return id;
  }

  /** A record made by `create` inside `within` (an attendee of a meeting); an id of none when the caller may not make it there. */
  async function nestedRecordIn(create: ProcedureInfo, caller: TestUser, within: string): Promise<string> {
    const input = await generateInput(create, { values: { id: within }, reference: resolver(caller) });
    const outcome = await callTrpc(caller.client, create, input);
    const id = (outcome.data as { id?: unknown } | undefined)?.id;
    return outcome.code === "OK" && typeof id === "string" ? id : randomUUID();
  }

  async function nestedRecord(create: ProcedureInfo, caller: TestUser): Promise<string> {
    let parent: string;
    try {
      parent = await sharedRecord(create.router, caller);
    } catch (error) {
      // A caller whose role may not make the record: its call is refused at the gate before any lookup.
      if (error instanceof RefusedRecord) return randomUUID();
      throw error;
    }
    const input = await generateInput(create, { values: { id: parent }, reference: resolver(caller) });
    const outcome = await callTrpc(caller.client, create, input);
    if (outcome.code === "FORBIDDEN") return randomUUID();
    const id = (outcome.data as { id?: unknown } | undefined)?.id;
    if (outcome.code !== "OK" || typeof id !== "string") {
      throw new Error(`${create.path} with ${JSON.stringify(input)} did not make a record: ${outcome.code} ${outcome.message}`);
    }
    return id;
  }

  function canMake(router: string): boolean {
    return router in specialRecords || procedures.some((p) => p.path === `${router}.create`) || router in bareRecords;
  }

  async function record(router: string, owner: TestUser): Promise<string> {
    const special = specialRecords[router];
    if (special) return special(owner);
    const create = procedures.find((p) => p.path === `${router}.create`);
    const bare = bareRecords[router];
    if (!create && bare) return bare(owner);
    if (!create) throw new Error(`no fixture makes a ${router} record: add one to specialRecords in test/support/procedures.ts`);
    // Fields pointing into a router that makes records inside its own (a deal's pipelineId and
    // stageId) take the shared record, so that the record and what later refers into it agree.
    const values: Record<string, unknown> = {};
    for (const key of Object.keys(create.schema?.properties ?? {})) {
      const target = resourceOfField(key);
      if (nestedCreateOf(key) || (target && hasNestedCreates(target))) values[key] = await reference(owner, key);
    }
    const input = await generateInput(create, { values, reference: resolver(owner) });
    const outcome = await callTrpc(owner.client, create, input);
    if (outcome.code === "FORBIDDEN") throw new RefusedRecord(`${create.path}: ${outcome.message}`);
    const id = (outcome.data as { id?: unknown } | undefined)?.id;
    if (outcome.code !== "OK" || typeof id !== "string") {
      throw new Error(`${create.path} with ${JSON.stringify(input)} did not make a record: ${outcome.code} ${outcome.message}`);
    }
    return id;
  }

  return { reference, resolver, record, canMake, freshUser };
}
