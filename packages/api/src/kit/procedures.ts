import type { Prisma } from "@crm/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { pageInputShape, pageOutputSchema } from "../lib/pagination.ts";
import { idInput, idSchema, okOutput } from "../lib/schemas.ts";
import type { Permission, RecordVerb } from "../permissions.ts";
import { type OrgContext, permission } from "../trpc.ts";
import {
  bulkAssignRecords,
  bulkCreateRecords,
  bulkDeleteRecords,
  bulkRestoreRecords,
  bulkUpdateRecords,
  pluralLabel,
} from "./bulk.ts";
import { historyOutput, recordHistory } from "./history.ts";
import { listRecords, prepareFor, presentRecord } from "./list.ts";
import { type MergeReference, mergeInput, mergeOutput, mergeRecords } from "./merge.ts";
import { createRecord, findRecord, purgeRecord, restoreRecord, softDeleteRecord, updateRecord } from "./records.ts";
import type { AnyResource, RecordRow } from "./resource.ts";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

const BULK_TIMEOUT_MS = 60_000;

/**
 * Runs a write of one record of `resource` in one transaction and answers the record as the API
 * shows it (the standard writes and a resource's own actions alike). Its type is the procedure's
 * output schema's to give.
 */
export async function writeAndPresent(
  ctx: OrgContext,
  resource: AnyResource,
  write: (tx: Prisma.TransactionClient) => Promise<RecordRow>,
): Promise<never> {
  const row = await ctx.db.$transaction(write);
  return presentRecord(resource, row, await prepareFor(ctx.db, ctx, resource)) as never;
}

/**
 * A procedure of `resource` gated by `<resource>:<verb>`, with its REST route (relative to the
 * resource's base path: `/{id}/qualify`), summary and tag: a bespoke action is one call, then
 * `.input().output().mutation()` as for any procedure.
 */
export function resourceAction(
  resource: Pick<AnyResource, "key" | "basePath">,
  verb: RecordVerb,
  route: { method: Method; path: "" | `/${string}`; summary: string; description?: string },
) {
  const { path, ...rest } = route;
  return permission(`${resource.key}:${verb}` as Permission).meta({
    openapi: { ...rest, path: `${resource.basePath}${path}`, tags: [resource.key] },
  });
}

/** The name under which the document declares a resource's create input, so bulk rows can point at it. */
export function inputComponentName(resource: Pick<AnyResource, "label">): string {
  return `${resource.label.replace(/\s+/g, "")}Input`;
}

/**
 * A bulk row is taken as any object and validated on its own, like create (an invalid row is
 * reported, not fatal); the document shows it as the create schema it is checked against.
 */
function bulkRow(resource: AnyResource) {
  return z.record(z.string(), z.unknown()).meta({
    description: `A ${resource.singular}, as ${resource.key}.create takes it. Each row is validated on its own: an invalid row is reported, not fatal.`,
    override: ({ jsonSchema }) => {
      const { description } = jsonSchema;
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key as keyof typeof jsonSchema];
      Object.assign(jsonSchema, { $ref: `#/components/schemas/${inputComponentName(resource)}`, description });
    },
  });
}

/** The ids a bulk call lists, as sent (so a refusal can name `ids.<index>`); lockAllForBulk takes a repeated one once. */
export function bulkIdsSchema(limit: number) {
  return z
    .array(idSchema)
    .min(1, { error: "must list at least one id" })
    .max(limit, { error: `at most ${limit} ids per call` });
}

export const bulkCountOutput = z.object({ count: z.number().int() });

const fieldIssue = z.object({ path: z.string(), message: z.string() });

export const bulkCreateOutput = z.object({
  created: z.number().int(),
  duplicates: z.number().int(),
  invalid: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      status: z.enum(["created", "duplicate", "invalid"]),
      id: z.uuid().optional(),
      existingId: z
        .uuid()
        .optional()
        .meta({ description: "For duplicates: the live record that already has this unique value." }),
      errors: z.array(fieldIssue).optional(),
    }),
  ),
});

/** The standard procedures of a resource (a router spreads them, leaving out any it does not offer). */
export type KitProcedure = keyof ReturnType<typeof resourceProcedures>;

/**
 * Every standard procedure of `resource`, from its declaration: list, byId, create, update,
 * delete (soft), restore, purge, history and the bulk tools. `summaries` overrides the default
 * summary of any of them.
 */
type OwnerFieldOf<R> = R extends { owner?: { field: infer Field extends string } } ? Field : "ownerId";

export function resourceProcedures<
  R extends AnyResource,
  Key extends string = R["key"],
  OwnerField extends string = OwnerFieldOf<R>,
>(resource: R, summaries: Partial<Record<string, string>> = {}) {
  const plural = resource.key;
  const one = resource.singular;
  const limit = resource.bulkLimit ?? 1000;
  const route = (verb: RecordVerb, method: Method, path: "" | `/${string}`, name: string, summary: string) =>
    resourceAction(resource, verb, { method, path, summary: summaries[name] ?? summary });

  // Resolvers return what the output schema parses; its inferred type is opaque to generic code.
  async function present(ctx: OrgContext, row: RecordRow): Promise<never> {
    return presentRecord(resource, row, await prepareFor(ctx.db, ctx, resource)) as never;
  }
  const write = (ctx: OrgContext, change: (tx: Prisma.TransactionClient) => Promise<RecordRow>) =>
    writeAndPresent(ctx, resource, change);
  const output = resource.schemas.output as R["schemas"]["output"];
  const bulkIds = bulkIdsSchema(limit);
  const patchRow = z.strictObject({ id: idSchema, ...resource.schemas.patchShape }) as unknown as R["schemas"]["update"];

  return {
    list: route("read", "GET", "", "list", `List ${plural}: filters, keyword search, sort, cursor pages`)
      .input(resource.schemas.list as R["schemas"]["list"])
      .output(pageOutputSchema(output).extend({ total: z.number().int().optional() }))
      .query(({ ctx, input }) => listRecords(ctx.db, ctx, resource, input as never) as never),

    byId: route("read", "GET", "/{id}", "byId", `One ${one}`)
      .input(
        z.strictObject({
          id: idSchema,
          includeDeleted: z
            .preprocess((v) => v === "true" || v === true, z.boolean())
            .optional()
            .meta({ description: `Also find a soft-deleted ${one}.` }),
        }),
      )
      .output(output)
      .query(async ({ ctx, input }) =>
        present(ctx, await findRecord(ctx.db, ctx, resource, input.id, input.includeDeleted ? {} : undefined)),
      ),

    create: route("write", "POST", "", "create", `Create a ${one}`)
      .input(resource.schemas.create as R["schemas"]["create"])
      .output(output)
      .mutation(({ ctx, input }) => write(ctx, (tx) => createRecord(tx, ctx, resource, input as Record<string, unknown>))),

    update: route("write", "PATCH", "/{id}", "update", `Change some fields of a ${one}`)
      .input(resource.schemas.update as R["schemas"]["update"])
      .output(output)
      .mutation(({ ctx, input }) => {
        const { id, ...patch } = input as { id: string } & Record<string, unknown>;
        return write(ctx, (tx) => updateRecord(tx, ctx, resource, id, patch));
      }),

    delete: route("delete", "DELETE", "/{id}", "delete", `Soft-delete a ${one} (restore brings it back)`)
      .input(idInput)
      .output(output)
      .mutation(({ ctx, input }) => write(ctx, (tx) => softDeleteRecord(tx, ctx, resource, input.id))),

    restore: route("delete", "POST", "/{id}/restore", "restore", `Restore a soft-deleted ${one}`)
      .meta({ recordState: "deleted" })
      .input(idInput)
      .output(output)
      .mutation(({ ctx, input }) => write(ctx, (tx) => restoreRecord(tx, ctx, resource, input.id))),

    purge: route("purge", "DELETE", "/{id}/permanent", "purge", `Delete a ${one} permanently (audited)`)
      .meta({ recordState: "any" })
      .input(idInput)
      .output(okOutput)
      .mutation(async ({ ctx, input }) => {
        await ctx.db.$transaction((tx) => purgeRecord(tx, ctx, resource, input.id));
        return { ok: true as const };
      }),

    history: route("read", "GET", "/{id}/history", "history", `Audit trail of a ${one}, field by field (also once soft-deleted)`)
      .meta({ recordState: "any" })
      .input(z.strictObject({ id: idSchema, limit: pageInputShape.limit, cursor: pageInputShape.cursor }))
      .output(historyOutput)
      .query(({ ctx, input }) => recordHistory(ctx.db, ctx, resource, input)),

    bulkCreate: route(
      "write",
      "POST",
      "/bulk",
      "bulkCreate",
      `Create up to ${limit} ${plural}; each row reported created, duplicate or invalid`,
    )
      .input(
        z.strictObject({
          [plural]: z
            .array(bulkRow(resource))
            .min(1)
            .max(limit, { error: `at most ${limit} ${plural} per call` }),
        } as { [K in Key]: z.ZodArray<z.ZodRecord<z.ZodString, z.ZodUnknown>> }),
      )
      .output(bulkCreateOutput)
      .mutation(({ ctx, input }) =>
        ctx.db.$transaction(
          (tx) => bulkCreateRecords(tx, ctx, resource, (input as Record<string, Record<string, unknown>[]>)[plural] ?? []),
          { timeout: BULK_TIMEOUT_MS },
        ),
      ),

    bulkUpdate: route("write", "PATCH", "/bulk", "bulkUpdate", `Change up to ${limit} ${plural}, a patch each (all or nothing)`)
      .input(
        z.strictObject({
          [plural]: z
            .array(patchRow)
            .min(1)
            .max(limit, { error: `at most ${limit} ${plural} per call` }),
        } as { [K in Key]: z.ZodArray<R["schemas"]["update"]> }),
      )
      .output(z.object({ count: z.number().int(), items: z.array(output) }))
      .mutation(async ({ ctx, input }) => {
        const patches = (input as Record<string, ({ id: string } & Record<string, unknown>)[]>)[plural] ?? [];
        const rows = await ctx.db.$transaction((tx) => bulkUpdateRecords(tx, ctx, resource, patches), {
          timeout: BULK_TIMEOUT_MS,
        });
        const prepared = await prepareFor(ctx.db, ctx, resource);
        return { count: rows.length, items: rows.map((row) => presentRecord(resource, row, prepared)) } as never;
      }),

    bulkDelete: route("delete", "POST", "/bulk/delete", "bulkDelete", `Soft-delete up to ${limit} ${plural} (all or nothing)`)
      .input(z.strictObject({ ids: bulkIds }))
      .output(bulkCountOutput)
      .mutation(({ ctx, input }) =>
        ctx.db.$transaction((tx) => bulkDeleteRecords(tx, ctx, resource, input.ids), { timeout: BULK_TIMEOUT_MS }),
      ),

    bulkRestore: route(
      "delete",
      "POST",
      "/bulk/restore",
      "bulkRestore",
      `Restore up to ${limit} soft-deleted ${plural} (all or nothing)`,
    )
      .meta({ recordState: "deleted" })
      .input(z.strictObject({ ids: bulkIds }))
      .output(bulkCountOutput)
      .mutation(({ ctx, input }) =>
        ctx.db.$transaction((tx) => bulkRestoreRecords(tx, ctx, resource, input.ids), { timeout: BULK_TIMEOUT_MS }),
      ),

    bulkAssign: route("assign", "POST", "/bulk/assign", "bulkAssign", `Assign up to ${limit} ${plural} (all or nothing)`)
      .input(
        z.strictObject({
          ids: bulkIds,
          [resource.owner?.field ?? "ownerId"]: idSchema.nullable().meta({ description: "The member; null for nobody." }),
        } as { ids: typeof bulkIds } & { [K in OwnerField]: z.ZodNullable<typeof idSchema> }),
      )
      .output(bulkCountOutput)
      .mutation(({ ctx, input }) => {
        const { ids, ...rest } = input as unknown as { ids: string[] } & Record<string, string | null>;
        const ownerId = rest[resource.owner?.field ?? "ownerId"] ?? null;
        return ctx.db.$transaction((tx) => bulkAssignRecords(tx, ctx, resource, ids, ownerId), {
          timeout: BULK_TIMEOUT_MS,
        });
      }),
  };
}

interface RoutedProcedure {
  _def?: { meta?: { openapi?: { path?: string } } };
}

/**
 * The REST bridge takes the first route that matches a request, so `/leads/stats` must come
 * before `/leads/{id}`: a router's procedures with fixed paths are put first (same types, same
 * names; only the order changes). `pluralLabel` names the resource in messages.
 */
export function staticRoutesFirst<T extends TRPCRouterRecord>(record: T): T {
  const hasParameter = (procedure: unknown) => ((procedure as RoutedProcedure)._def?.meta?.openapi?.path ?? "").includes("{");
  const entries = Object.entries(record);
  return Object.fromEntries([
    ...entries.filter(([, procedure]) => !hasParameter(procedure)),
    ...entries.filter(([, procedure]) => hasParameter(procedure)),
  ]) as T;
}

export { pluralLabel };

/**
 * `POST /<resource>/merge`: merges records into one (see mergeRecords). Gated by
 * `<resource>:delete`, since the merged records are deleted.
 */
export function resourceMerge<R extends AnyResource>(resource: R, references: readonly MergeReference[]) {
  return resourceAction(resource, "delete", {
    method: "POST",
    path: "/merge",
    summary: `Merge ${resource.key} into one: links move to the survivor, the others are soft-deleted pointing at it (dryRun: only say what would happen)`,
  })
    .input(mergeInput)
    .output(mergeOutput(resource.schemas.output as R["schemas"]["output"]))
    .mutation(
      ({ ctx, input }) =>
        ctx.db.$transaction((tx) => mergeRecords(tx, ctx, resource, input, references), { timeout: BULK_TIMEOUT_MS }) as never,
    );
}
