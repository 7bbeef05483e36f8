import { Prisma } from "@crm/db";
import { badRequest } from "../errors.ts";
import { isWithinDateRange } from "../lib/dates.ts";
import { idSchema } from "../lib/schemas.ts";
import type { TimelineEntryType } from "./entries.ts";

/**
 * The timeline is a registry of sources: each source is one registration saying which entry types
 * it yields, which records' timelines it applies to, and the SQL that selects its entries of one
 * record, newest first, from a keyset position on. The feed is their UNION ALL under an outer
 * order and limit (see readTimeline in feed.ts); a new source (meetings, tickets) is one more
 * registration in sources.ts, with its entry types' payloads in entries.ts (what callers read).
 */

/** The resources that have a timeline (router keys). */
export type TimelineResourceKey = "leads" | "contacts" | "companies" | "deals";

export interface TimelineRecord {
  organizationId: string;
  resource: TimelineResourceKey;
  /** The audit entity type of the record (`lead`). */
  singular: string;
  id: string;
}

/**
 * The columns every source selects, in this order: "occurredAt" (timestamptz), "type" (text),
 * "id" (uuid), "actorUserId" and "actorApiKeyId" (uuid or null), "via" (jsonb: the record an
 * entry came through, `{ resource, id }`, or null for the record's own) and "data" (jsonb, the
 * entry type's payload).
 */
export const ENTRY_COLUMNS = ["occurredAt", "type", "id", "actorUserId", "actorApiKeyId", "via", "data"] as const;

/** What a source's select is given: the record, and its keyset bound and order/limit as SQL. */
export interface SourceQuery {
  record: TimelineRecord;
  /** The entry types asked for (all of the source's when the caller gave no filter). */
  types: readonly string[];
  /**
   * ` AND ...`: rows after the cursor in (occurredAt, type, id) order, and of the asked-for types,
   * for the given column expressions. Its redundant `occurredAt <= cursor` lets the index range
   * scan start at the cursor rather than at the newest entry.
   */
  after(occurredAt: string, type: string, id: string): Prisma.Sql;
  /** ` ORDER BY ... DESC LIMIT n+1` for the given column expressions. */
  newestFirst(occurredAt: string, type: string, id: string): Prisma.Sql;
}

export interface TimelineSource {
  /** The entry types it yields (their payloads are declared in entries.ts). */
  types: readonly TimelineEntryType[];
  /** The timelines it takes part in. */
  appliesTo: readonly TimelineResourceKey[];
  /** Its entries of `query.record` as ENTRY_COLUMNS; each branch is ordered on an index and limited. */
  select(query: SourceQuery): Prisma.Sql;
}

// ---------------------------------------------------------------------------------------------
// The keyset position: (occurredAt, type, id), newest first

export interface TimelinePosition {
  occurredAt: Date;
  type: string;
  id: string;
}

export function encodeTimelineCursor(position: TimelinePosition): string {
  return Buffer.from(JSON.stringify({ at: position.occurredAt.toISOString(), type: position.type, id: position.id })).toString(
    "base64url",
  );
}

export function decodeTimelineCursor(cursor: string, knownTypes: readonly string[]): TimelinePosition {
  const malformed = () => badRequest("cursor", "malformed cursor; pass back the nextCursor of a previous page");
  let payload: { at?: unknown; type?: unknown; id?: unknown };
  try {
    payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw malformed();
  }
  if (typeof payload !== "object" || payload === null) throw malformed();
  const { at, type, id } = payload;
  if (typeof at !== "string" || typeof type !== "string" || !knownTypes.includes(type)) throw malformed();
  if (!idSchema.safeParse(id).success) throw malformed();
  const occurredAt = new Date(at);
  if (Number.isNaN(occurredAt.getTime()) || !isWithinDateRange(occurredAt)) throw malformed();
  return { occurredAt, type, id: id as string };
}

/** The SQL a source's select is given for one page (see SourceQuery). */
export function sourceQuery(
  record: TimelineRecord,
  types: readonly string[],
  position: TimelinePosition | undefined,
  limit: number,
): SourceQuery {
  return {
    record,
    types,
    after(occurredAt, type, id) {
      const at = Prisma.raw(occurredAt);
      const typed = Prisma.sql` AND ${Prisma.raw(type)} = ANY(${[...types]}::text[])`;
      if (!position) return typed;
      return Prisma.sql`${typed} AND ${at} <= ${position.occurredAt}::timestamptz
        AND (${at}, ${Prisma.raw(type)}, ${Prisma.raw(id)}) < (${position.occurredAt}::timestamptz, ${position.type}::text, ${position.id}::uuid)`;
    },
    newestFirst(occurredAt, type, id) {
      // A source of one type names it as a literal, which PostgreSQL refuses in ORDER BY (and which orders nothing).
      const byType = type.startsWith("'") ? "" : `${type} DESC, `;
      return Prisma.sql` ORDER BY ${Prisma.raw(occurredAt)} DESC, ${Prisma.raw(byType)}${Prisma.raw(id)} DESC LIMIT ${Prisma.raw(String(Math.trunc(limit) + 1))}`;
    },
  };
}
