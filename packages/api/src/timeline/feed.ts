import { Prisma } from "@crm/db";
import { z } from "zod";
import { actorOutput, actorResolver } from "../kit/history.ts";
import { findRecord } from "../kit/records.ts";
import type { AnyResource } from "../kit/resource.ts";
import { multiValue } from "../lib/filters.ts";
import { idSchema, timestamp } from "../lib/schemas.ts";
import type { OrgContext } from "../trpc.ts";
import {
  decodeTimelineCursor,
  encodeTimelineCursor,
  sourceQuery,
  type TimelineRecord,
  type TimelineResourceKey,
  type TimelineSource,
} from "./registry.ts";
import { TIMELINE_SOURCES } from "./sources.ts";

type Db = Prisma.TransactionClient;

/** Every entry type of the registered sources. */
export const TIMELINE_TYPES = TIMELINE_SOURCES.flatMap((source) => Object.keys(source.types)) as [string, ...string[]];

const viaOutput = z
  .object({ resource: z.string(), id: z.uuid() })
  .meta({ description: "The related record the entry came through (a company's contact or deal, a contact's converted lead)." });

/** One entry per type, told apart by `type` (the document shows the union). */
export const timelineEntryOutput = z.discriminatedUnion(
  "type",
  TIMELINE_SOURCES.flatMap((source) =>
    Object.entries(source.types).map(([type, data]) =>
      z.object({
        type: z.literal(type),
        occurredAt: timestamp.meta({ description: "When it happened; the feed is newest first by it." }),
        id: z.uuid().meta({ description: "The id of the interaction, audit entry, note or stage move." }),
        actor: actorOutput,
        via: viaOutput.optional(),
        data,
      }),
    ),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

export const timelineInput = z.strictObject({
  id: idSchema,
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(500).optional(),
  types: multiValue(z.enum(TIMELINE_TYPES))
    .optional()
    .meta({ description: `Only entries of these types (${TIMELINE_TYPES.join(", ")}).` }),
});

export const timelineOutput = z.object({ items: z.array(timelineEntryOutput), nextCursor: z.string().nullable() });

interface EntryRow {
  occurredAt: Date;
  type: string;
  id: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  via: { resource: string; id: string } | null;
  data: Record<string, unknown>;
}

/** The SQL of one page of a record's timeline: each applicable source's branch, UNION ALL, newest first, n+1 rows. */
export function timelineSql(
  record: TimelineRecord,
  options: { limit: number; cursor?: string; types?: readonly string[] },
  sources: readonly TimelineSource[] = TIMELINE_SOURCES,
): Prisma.Sql | null {
  const position = options.cursor ? decodeTimelineCursor(options.cursor, TIMELINE_TYPES) : undefined;
  const branches: Prisma.Sql[] = [];
  for (const source of sources) {
    if (!source.appliesTo.includes(record.resource)) continue;
    const types = Object.keys(source.types).filter((type) => !options.types || options.types.includes(type));
    if (types.length === 0) continue;
    branches.push(Prisma.sql`(${source.select(sourceQuery(record, types, position, options.limit))})`);
  }
  if (branches.length === 0) return null;
  return Prisma.sql`SELECT e."occurredAt", e."type", e."id", e."actorUserId", e."actorApiKeyId", e."via", e."data"
    FROM (${Prisma.join(branches, " UNION ALL ")}) e
    ORDER BY e."occurredAt" DESC, e."type" DESC, e."id" DESC LIMIT ${Prisma.raw(String(Math.trunc(options.limit) + 1))}`;
}

/** One page of the timeline of `id`, a record of `resource` (NOT_FOUND as its byId). */
export async function readTimeline(
  db: Db,
  ctx: OrgContext,
  resource: AnyResource & { key: TimelineResourceKey },
  input: z.output<typeof timelineInput>,
) {
  await findRecord(db, ctx, resource, input.id);
  const record: TimelineRecord = {
    organizationId: ctx.org.id,
    resource: resource.key,
    singular: resource.singular,
    id: input.id,
  };
  const sql = timelineSql(record, input);
  const rows = sql ? await db.$queryRaw<EntryRow[]>(sql) : [];
  const items = rows.slice(0, input.limit);
  const actorOf = await actorResolver(db, ctx, items);
  const last = items.at(-1);
  return {
    items: items.map((row) => ({
      type: row.type,
      occurredAt: new Date(row.occurredAt),
      id: row.id,
      actor: actorOf(row),
      ...(row.via ? { via: row.via } : {}),
      data: row.data,
    })),
    nextCursor:
      rows.length > input.limit && last ? encodeTimelineCursor({ ...last, occurredAt: new Date(last.occurredAt) }) : null,
  };
}
