import { z } from "zod";
import { badRequest } from "../errors.ts";
import { isWithinDateRange } from "./dates.ts";
import { idSchema } from "./schemas.ts";
import { unstorableTextReason } from "./storable-text.ts";

export const sortOrderSchema = z.enum(["asc", "desc"]).default("desc");

/** The paging fields every list input shares. */
export const pageInputShape = {
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(500).optional(),
  sortOrder: sortOrderSchema,
};

export function pageOutputSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export interface SortSpec {
  field: string;
  order: "asc" | "desc";
  /** Nullable sort fields sort their nulls last in both directions. */
  nullable?: boolean;
  type: "date" | "number" | "string";
}

type CursorValue = string | number | null;

interface CursorPayload {
  f: string;
  o: "asc" | "desc";
  v: CursorValue;
  id: string;
}

function encodeValue(value: unknown): CursorValue {
  if (value instanceof Date) return value.toISOString();
  if (value === null || value === undefined) return null;
  return value as string | number;
}

function decodeValue(value: CursorValue, type: SortSpec["type"]): unknown {
  if (value === null) return null;
  return type === "date" ? new Date(value) : value;
}

/** A cursor comes back from the caller, so its values are checked before they reach a query. */
function isValidCursorValue(value: unknown, sort: SortSpec): value is CursorValue {
  if (value === null) return sort.nullable === true;
  if (sort.type === "date") return typeof value === "string" && isWithinDateRange(new Date(value));
  // Number sorts are Int (int4) columns; a value out of its range would fail the query.
  if (sort.type === "number") return Number.isInteger(value) && Math.abs(value as number) <= 2_147_483_647;
  return typeof value === "string" && unstorableTextReason(value) === undefined;
}

function decodeCursor(cursor: string, sort: SortSpec): CursorPayload {
  const malformed = () => badRequest("cursor", "malformed cursor; pass back the nextCursor of a previous page");
  let payload: CursorPayload;
  try {
    payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw malformed();
  }
  if (
    typeof payload !== "object" ||
    payload === null ||
    typeof payload.id !== "string" ||
    !idSchema.safeParse(payload.id).success
  ) {
    throw malformed();
  }
  if (payload.f !== sort.field || payload.o !== sort.order) {
    throw badRequest("cursor", "this cursor belongs to a different sortBy/sortOrder");
  }
  if (!isValidCursorValue(payload.v, sort)) throw malformed();
  return payload;
}

/**
 * Keyset pagination over (sort field, id): stable under inserts, no OFFSET scans. Returns the
 * `where` to AND with the list's filters, the `orderBy`, the `take`, and a function that turns the
 * fetched rows into `{ items, nextCursor }`.
 */
export function keysetPage(sort: SortSpec, limit: number, cursor: string | undefined) {
  const comparison = sort.order === "asc" ? "gt" : "lt";
  const orderBy = [{ [sort.field]: sort.nullable ? { sort: sort.order, nulls: "last" } : sort.order }, { id: sort.order }];
  let where: Record<string, unknown> = {};
  if (cursor) {
    const position = decodeCursor(cursor, sort);
    const value = decodeValue(position.v, sort.type);
    const afterId = { id: { [comparison]: position.id } };
    if (value === null) {
      where = { [sort.field]: null, ...afterId };
    } else {
      const beyond: Record<string, unknown>[] = [{ [sort.field]: { [comparison]: value } }, { [sort.field]: value, ...afterId }];
      if (sort.nullable) {
        beyond.push({ [sort.field]: null });
        where = { OR: beyond };
      } else {
        // The redundant inclusive bound lets PostgreSQL start an index range scan at the cursor;
        // with the OR alone it walks the index from the top (419 ms vs 1.4 ms at row 900k).
        where = { [sort.field]: { [`${comparison}e`]: value }, OR: beyond };
      }
    }
  }
  return {
    where,
    orderBy,
    take: limit + 1,
    toPage<Row extends { id: string }>(rows: Row[]) {
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      const nextCursor =
        rows.length > limit && last
          ? Buffer.from(
              JSON.stringify({
                f: sort.field,
                o: sort.order,
                v: encodeValue((last as Record<string, unknown>)[sort.field]),
                id: last.id,
              } satisfies CursorPayload),
            ).toString("base64url")
          : null;
      return { items, nextCursor };
    },
  };
}
