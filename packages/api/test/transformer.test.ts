import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { serialize } from "../src/lib/transformer.ts";

const date = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);

const lead = {
  id: "0190f000-0000-7000-8000-000000000001",
  firstName: "Ada",
  lastName: null,
  score: 42,
  conversionProbability: 0.25,
  isActive: true,
  tags: ["vip", "q3"],
  scoreBreakdown: [{ rule: "source", points: 10, reason: "source: referral" }],
  lastContactedAt: null,
  nextFollowUpAt: date(3),
  createdAt: date(1),
  updatedAt: date(2),
};

class Money {
  constructor(readonly amount: string) {}
}

const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { at: date(9), n: 1 });

/** Values the fast path writes itself: its output must be byte for byte superjson's. */
const plain: Record<string, unknown> = {
  "a page of leads": { items: [lead, { ...structuredClone(lead), id: "2", createdAt: date(5) }], nextCursor: "abc" },
  "an empty page": { items: [], nextCursor: null },
  "nested arrays": [[date(1), [date(2), 3]], []],
  "undefined in an object and an array": { kept: 1, missing: undefined, list: [1, undefined, 3] },
  "keys with dots and backslashes": { "a.b": date(1), "c\\d": { "e.f\\g": date(2) }, plain: date(3) },
  "an empty key": { "": { x: date(1) }, y: { "": date(2) } },
  "a null-prototype object": { inner: nullPrototype },
  "null at the root": null,
  "a string at the root": "text",
  "a number at the root": 12.5,
  "a boolean at the root": false,
  "an object without dates": { a: 1, b: "two", c: [true, null], d: {} },
};

/** Values the fast path hands to superjson: the output must be superjson's, since it is superjson's. */
const delegated: Record<string, unknown> = {
  "a Date at the root": date(1),
  "undefined at the root": undefined,
  "NaN, Infinity and -0": { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: -0 },
  "a BigInt": { big: 10n },
  "a Map and a Set": { map: new Map([["k", date(1)]]), set: new Set([1, 2]) },
  "an invalid Date": { when: new Date("not a date") },
  "a class instance": { price: new Money("9.99") },
  "a RegExp": { pattern: /ab+c/i },
};

describe("the fast superjson serialize", () => {
  it.each(Object.entries(plain))("writes %s exactly as superjson does", (_, value) => {
    expect(JSON.stringify(serialize(value))).toBe(JSON.stringify(superjson.serialize(value)));
    expect(superjson.deserialize(serialize(value))).toEqual(value);
  });

  it.each(Object.entries(delegated))("leaves %s to superjson", (_, value) => {
    expect(serialize(value)).toEqual(superjson.serialize(value));
  });

  it("leaves a cycle to superjson (which writes it as null) instead of recursing forever", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    expect(serialize(cyclic)).toEqual(superjson.serialize(cyclic));
  });

  it("refuses a prototype-polluting key exactly as superjson does", () => {
    const polluted = JSON.parse('{"__proto__": {"admin": true}}');
    expect(() => serialize(polluted)).toThrow(/prototype pollution/);
  });

  it("writes a shared object twice; it deserializes to equal values", () => {
    const shared = { at: date(1) };
    const value = { first: shared, second: shared };
    const result = superjson.deserialize<typeof value>(serialize(value));
    expect(result).toEqual({ first: { at: date(1) }, second: { at: date(1) } });
    expect(result.first.at).toBeInstanceOf(Date);
  });
});
