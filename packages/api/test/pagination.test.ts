import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { keysetPage, type SortSpec } from "../src/lib/pagination.ts";

interface Row {
  id: string;
  createdAt: Date;
  score: number;
  lastName: string | null;
}

/** Time-ordered-looking UUIDs whose text order is their creation order. */
function uuid(n: number): string {
  return `0190f000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;
}

type Where = Record<string, unknown>;
type OrderBy = Record<string, "asc" | "desc" | { sort: "asc" | "desc"; nulls: "last" }>[];

function compare(a: unknown, b: unknown): number {
  const x = a instanceof Date ? a.getTime() : (a as number | string);
  const y = b instanceof Date ? b.getTime() : (b as number | string);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Evaluates the `where` shapes keysetPage produces with Prisma's (SQL's) semantics: comparisons never match NULL. */
function matches(row: Row, where: Where): boolean {
  return Object.entries(where).every(([key, condition]) => {
    if (key === "OR") return (condition as Where[]).some((part) => matches(row, part));
    if (key === "AND") return (condition as Where[]).every((part) => matches(row, part));
    const value = (row as unknown as Record<string, unknown>)[key];
    if (condition === null) return value === null;
    if (condition instanceof Date || typeof condition !== "object") return value !== null && compare(value, condition) === 0;
    const { gt, lt, gte, lte } = condition as { gt?: unknown; lt?: unknown; gte?: unknown; lte?: unknown };
    if (value === null) return false;
    return (
      (gt === undefined || compare(value, gt) > 0) &&
      (lt === undefined || compare(value, lt) < 0) &&
      (gte === undefined || compare(value, gte) >= 0) &&
      (lte === undefined || compare(value, lte) <= 0)
    );
  });
}

function sortRows(rows: Row[], orderBy: OrderBy): Row[] {
  return [...rows].sort((a, b) => {
    for (const entry of orderBy) {
      const [field, spec] = Object.entries(entry)[0] as [keyof Row, OrderBy[number][string]];
      const direction = typeof spec === "string" ? spec : spec.sort;
      const nullsLast = typeof spec === "object";
      const x = a[field];
      const y = b[field];
      if (x === null || y === null) {
        if (x === y) continue;
        if (!nullsLast) throw new Error(`unexpected null in non-nullable ${String(field)}`);
        return x === null ? 1 : -1;
      }
      const result = compare(x, y) * (direction === "asc" ? 1 : -1);
      if (result !== 0) return result;
    }
    return 0;
  });
}

/** What a `findMany({ where, orderBy, take })` would return from `data`. */
function fetchPage(data: Row[], sort: SortSpec, limit: number, cursor: string | undefined) {
  const page = keysetPage(sort, limit, cursor);
  const rows = sortRows(
    data.filter((row) => matches(row, page.where)),
    page.orderBy as OrderBy,
  ).slice(0, page.take);
  return page.toPage(rows);
}

function readAll(data: Row[], sort: SortSpec, limit: number): Row[] {
  const seen: Row[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const { items, nextCursor } = fetchPage(data, sort, limit, cursor);
    seen.push(...items);
    if (!nextCursor) return seen;
    cursor = nextCursor;
  }
  throw new Error("pagination did not terminate");
}

// Ties on every sort field and nulls in the nullable one, so the id tie-breaker and nulls-last matter.
const base = new Date("2026-01-01T00:00:00.000Z").getTime();
const data: Row[] = Array.from({ length: 23 }, (_, i) => ({
  id: uuid(i + 1),
  createdAt: new Date(base + Math.floor(i / 3) * 60_000),
  score: (i * 7) % 5,
  lastName: i % 4 === 0 ? null : (["Ng", "Adams", "Zhou"][i % 3] as string),
}));

function trpcError(run: () => unknown): TRPCError {
  try {
    run();
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected a TRPCError");
}

function encode(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

describe("keysetPage", () => {
  it("without a cursor: no condition, order by the field then id, one extra row to detect a next page", () => {
    const page = keysetPage({ field: "createdAt", order: "desc", type: "date" }, 10, undefined);
    expect(page.where).toEqual({});
    expect(page.orderBy).toEqual([{ createdAt: "desc" }, { id: "desc" }]);
    expect(page.take).toBe(11);

    const nullable = keysetPage({ field: "lastName", order: "asc", type: "string", nullable: true }, 5, undefined);
    expect(nullable.orderBy).toEqual([{ lastName: { sort: "asc", nulls: "last" } }, { id: "asc" }]);
  });

  it("gives a next cursor only when more rows than the limit came back", () => {
    const sort: SortSpec = { field: "score", order: "asc", type: "number" };
    const page = keysetPage(sort, 2, undefined);
    expect(page.toPage(data.slice(0, 2))).toEqual({ items: data.slice(0, 2), nextCursor: null });
    expect(page.toPage([])).toEqual({ items: [], nextCursor: null });
    const full = page.toPage(data.slice(0, 3));
    expect(full.items).toEqual(data.slice(0, 2));
    expect(full.nextCursor).toEqual(expect.any(String));
  });

  it("round-trips a date cursor into a strictly-after condition on (field, id), bounded for an index range scan", () => {
    const sort: SortSpec = { field: "createdAt", order: "desc", type: "date" };
    const rows = sortRows(data, keysetPage(sort, 4, undefined).orderBy as OrderBy).slice(0, 5);
    const { nextCursor } = keysetPage(sort, 4, undefined).toPage(rows);
    const last = rows[3] as Row;

    const next = keysetPage(sort, 4, nextCursor ?? undefined);
    expect(next.where).toEqual({
      createdAt: { lte: last.createdAt },
      OR: [{ createdAt: { lt: last.createdAt } }, { createdAt: last.createdAt, id: { lt: last.id } }],
    });
    // The date comes back as a Date, not the ISO string it travelled as.
    expect((next.where.OR as Where[])[0]?.createdAt).toEqual({ lt: expect.any(Date) });

    const ascending: SortSpec = { field: "score", order: "asc", type: "number" };
    const cursor = keysetPage(ascending, 1, undefined).toPage(data.slice(0, 2)).nextCursor ?? undefined;
    expect(keysetPage(ascending, 1, cursor).where).toEqual({
      score: { gte: data[0]?.score },
      OR: [{ score: { gt: data[0]?.score } }, { score: data[0]?.score, id: { gt: data[0]?.id } }],
    });
  });

  it("on a nullable field: a non-null position also lets the nulls through, a null position pages within the nulls", () => {
    const sort: SortSpec = { field: "lastName", order: "asc", type: "string", nullable: true };
    const named = { id: uuid(900), createdAt: new Date(base), score: 0, lastName: "Adams" };
    const unnamed = { id: uuid(901), createdAt: new Date(base), score: 0, lastName: null };
    const afterNamed = keysetPage(sort, 1, keysetPage(sort, 1, undefined).toPage([named, unnamed]).nextCursor ?? undefined);
    expect(afterNamed.where).toEqual({
      OR: [{ lastName: { gt: "Adams" } }, { lastName: "Adams", id: { gt: named.id } }, { lastName: null }],
    });

    const afterUnnamed = keysetPage(sort, 1, keysetPage(sort, 1, undefined).toPage([unnamed, named]).nextCursor ?? undefined);
    expect(afterUnnamed.where).toEqual({ lastName: null, id: { gt: unnamed.id } });

    const descending: SortSpec = { ...sort, order: "desc" };
    const cursor = keysetPage(descending, 1, undefined).toPage([unnamed, named]).nextCursor ?? undefined;
    expect(keysetPage(descending, 1, cursor).where).toEqual({ lastName: null, id: { lt: unnamed.id } });
  });

  const sorts: SortSpec[] = [
    { field: "createdAt", order: "desc", type: "date" },
    { field: "createdAt", order: "asc", type: "date" },
    { field: "score", order: "asc", type: "number" },
    { field: "score", order: "desc", type: "number" },
    { field: "lastName", order: "asc", type: "string", nullable: true },
    { field: "lastName", order: "desc", type: "string", nullable: true },
  ];
  it.each(sorts)("pages through every row exactly once, in order, sorted by $field $order", (sort) => {
    const expected = sortRows(data, keysetPage(sort, 1, undefined).orderBy as OrderBy).map((row) => row.id);
    for (const limit of [1, 2, 5, 23, 100]) {
      expect(readAll(data, sort, limit).map((row) => row.id)).toEqual(expected);
    }
  });

  it("stays stable when rows are inserted between pages", () => {
    const sort: SortSpec = { field: "score", order: "desc", type: "number" };
    const first = fetchPage(data, sort, 6, undefined);
    const last = first.items.at(-1) as Row;
    // One row that sorts before the cursor (already passed) and one that sorts after it.
    const passed = { id: uuid(500), createdAt: new Date(base), score: last.score + 1, lastName: "New" };
    const ahead = { id: uuid(501), createdAt: new Date(base), score: -1, lastName: "New" };
    const grown = [...data, passed, ahead];

    const rest: Row[] = [];
    let cursor = first.nextCursor ?? undefined;
    while (cursor) {
      const page = fetchPage(grown, sort, 6, cursor);
      rest.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    }
    const ids = [...first.items, ...rest].map((row) => row.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(ahead.id);
    expect(ids).not.toContain(passed.id);
    expect(ids.length).toBe(data.length + 1);
  });

  it("rejects a cursor made for another sortBy or sortOrder with BAD_REQUEST naming the cursor", () => {
    const cursor = keysetPage({ field: "createdAt", order: "desc", type: "date" }, 1, undefined).toPage(data.slice(0, 2))
      .nextCursor as string;

    for (const other of [
      { field: "createdAt", order: "asc", type: "date" },
      { field: "updatedAt", order: "desc", type: "date" },
    ] satisfies SortSpec[]) {
      const error = trpcError(() => keysetPage(other, 1, cursor));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toBe("cursor: this cursor belongs to a different sortBy/sortOrder");
    }
  });

  it.each([
    ["not base64 JSON", "%%%not-a-cursor%%%"],
    ["plain text", Buffer.from("hello").toString("base64url")],
    ["JSON null", encode(null)],
    ["a JSON number", encode(42)],
    ["an array", encode([1, 2])],
    ["no id", encode({ f: "createdAt", o: "desc", v: "2026-01-01T00:00:00.000Z" })],
    ["a numeric id", encode({ f: "createdAt", o: "desc", v: "2026-01-01T00:00:00.000Z", id: 7 })],
  ])("rejects a malformed cursor (%s) with BAD_REQUEST naming the cursor", (_, cursor) => {
    const error = trpcError(() => keysetPage({ field: "createdAt", order: "desc", type: "date" }, 1, cursor));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^cursor: malformed cursor/);
  });
});
