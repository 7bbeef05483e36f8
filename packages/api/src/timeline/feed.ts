import { Prisma } from "@crm/db";
import { z } from "zod";
import { actorResolver } from "../kit/history.ts";
import { findRecord } from "../kit/records.ts";
import type { AnyResource } from "../kit/resource.ts";
import { multiValue } from "../lib/filters.ts";
import { idSchema } from "../lib/schemas.ts";
import type { OrgContext } from "../trpc.ts";
import { TIMELINE_TYPES, type TimelineEntry, timelineEntryOutput } from "./entries.ts";
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

// Every entry type is yielded by exactly one registered source: a type without a source, or with two, is a programming error.
const yielded = TIMELINE_SOURCES.flatMap((source) => source.types);
if (yielded.length !== TIMELINE_TYPES.length || TIMELINE_TYPES.some((type) => !yielded.includes(type))) {
  throw new Error(
    `timeline: entry types ${TIMELINE_TYPES.join(", ")} must each have one source; sources yield ${yielded.join(", ")}`,
  );
}

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
    const types = source.types.filter((type) => !options.types || options.types.includes(type));
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
    })) as TimelineEntry[], // each source's SQL builds its types' data; the output schema checks it
    nextCursor:
      rows.length > input.limit && last ? encodeTimelineCursor({ ...last, occurredAt: new Date(last.occurredAt) }) : null,
  };
}
