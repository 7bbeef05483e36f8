import type { JsonSchema, ProcedureInfo } from "./procedures.ts";

/**
 * Hostile values for each field of a procedure's input, derived from the field's JSON Schema: what
 * an attacker or a schema-driven fuzzer sends. Deterministic for a seed (FUZZ_SEED), so a failing
 * case reproduces; each case says which field it aims at and whether the server must refuse it.
 */

export interface HostileCase {
  /** The top-level input field the case changes (or `(input)` for key-level cases). */
  field: string;
  /** What the case is, for the failure report: `NUL in a string`. */
  label: string;
  /** The value given to `field` (unused for key-level cases, which replace the whole input). */
  value: unknown;
  /** The whole input, for cases that are not one field's value (unknown keys). */
  input?: (base: Record<string, unknown>) => Record<string, unknown>;
  /** No server may accept it: a 400 naming the field is the only right answer. */
  mustRefuse: boolean;
  /** Cannot be written into a URL (a lone surrogate has no UTF-8, so no percent-encoding). */
  notInUrl?: boolean;
  /** Only the superjson transport carries it (Infinity, NaN, Dates). */
  trpcOnly?: boolean;
}

/** A small seeded PRNG (mulberry32): the same seed picks the same cases. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(items: T[], count: number, random: () => number): T[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
  }
  return shuffled.slice(0, count);
}

type Variant = Omit<HostileCase, "field">;

const refuse = (label: string, value: unknown, extra: Partial<Variant> = {}): Variant => ({
  label,
  value,
  mustRefuse: true,
  ...extra,
});
const probe = (label: string, value: unknown, extra: Partial<Variant> = {}): Variant => ({
  label,
  value,
  mustRefuse: false,
  ...extra,
});

/** The branches of a schema other than `null`, and whether null is one of them. */
function branchesOf(schema: JsonSchema): { branches: JsonSchema[]; nullable: boolean } {
  if (!schema.anyOf) return { branches: [schema], nullable: schema.type === "null" };
  const branches = schema.anyOf.flatMap((branch) => branchesOf(branch).branches).filter((b) => b.type !== "null");
  return { branches, nullable: schema.anyOf.some((branch) => branch.type === "null") };
}

function stringVariants(schema: JsonSchema): Variant[] {
  const tooLong = (schema.maxLength ?? 10_000) + 1;
  const variants = [
    refuse("NUL in a string", "a\u0000b"),
    refuse("a lone high surrogate", "x\ud800", { notInUrl: true }),
    refuse("a lone low surrogate", "\udfffx", { notInUrl: true }),
    probe(`a string of ${tooLong} characters`, "x".repeat(tooLong)),
    probe("regex and LIKE metacharacters", "%_\\'\"*?[](){}^$|.+;-- "),
    probe("invisible and astral characters", "\u200b\ufeff🚀\u0301"),
    probe("a number instead of a string", 42),
    probe("an array instead of a string", ["x"]),
    probe("an object instead of a string", { x: "y" }),
  ];
  if (schema.format === "date-time" || schema.format === "date") {
    variants.push(
      refuse("year 0", "0000-01-01T00:00:00Z"),
      refuse("a negative year", "-000001-01-01T00:00:00Z"),
      refuse("an extended year", "+275760-09-13T00:00:00Z"),
      refuse("an impossible day", "2026-02-30T10:00:00Z"),
      refuse("an impossible day (date only)", "2026-02-30"),
      refuse("a boolean date", true),
      refuse("a numeric date", 0),
      refuse("an array date", [1]),
      refuse("a Date beyond 9999", new Date("+010000-01-01T00:00:00Z"), { trpcOnly: true }),
      refuse("a Date in year 0", new Date("0000-06-01T00:00:00Z"), { trpcOnly: true }),
    );
  }
  if (schema.format === "uuid")
    variants.push(probe("not a uuid", "not-a-uuid"), probe("the nil uuid", "00000000-0000-0000-0000-000000000000"));
  if (schema.format === "email") variants.push(probe("not an email", "no-at-sign"));
  return variants;
}

function numberVariants(schema: JsonSchema): Variant[] {
  return [
    probe("a number beyond int4", 2_147_483_648),
    probe("1e308", 1e308),
    probe("-1e308", -1e308),
    probe("an unsafe integer", Number.MAX_SAFE_INTEGER + 2),
    probe("a fraction", 1.5),
    probe("below the minimum", (schema.minimum ?? 0) - 1),
    probe("above the maximum", (schema.maximum ?? 2 ** 31) + 1),
    probe("Infinity", Number.POSITIVE_INFINITY, { trpcOnly: true }),
    probe("NaN", Number.NaN, { trpcOnly: true }),
    probe("the string NaN", "NaN"),
    probe("the string 1e400", "1e400"),
    probe("a numeric string with junk", "12abc"),
    probe("a boolean instead of a number", true),
  ];
}

const badItems = [refuse("NUL in an array item", ["ok", "a\u0000"]), probe("an array of null", [null])];

function variantsOf(schema: JsonSchema): Variant[] {
  const { branches, nullable } = branchesOf(schema);
  const variants: Variant[] = nullable ? [] : [probe("null where the field is not nullable", null)];
  if (branches.some((b) => b.enum || b.const !== undefined))
    variants.push(probe("a value outside the enum", "not-a-value"), probe("an empty string", ""));
  for (const branch of branches) {
    switch (branch.type) {
      case "string":
        variants.push(...stringVariants(branch));
        break;
      case "integer":
      case "number":
        variants.push(...numberVariants(branch));
        break;
      case "boolean":
        variants.push(probe("the string yes", "yes"), probe("a number instead of a boolean", 0));
        break;
      case "array":
        variants.push(
          probe("a scalar instead of an array", "x"),
          ...badItems,
          probe(
            "10,001 items",
            Array.from({ length: 10_001 }, (_, i) => `x${i}`),
          ),
          ...variantsOf(branch.items ?? {}).map((item) => ({ ...item, label: `an item: ${item.label}`, value: [item.value] })),
        );
        break;
      case "object":
        variants.push(refuse("NUL in a key", { "a\u0000b": "x" }), probe("an array instead of an object", []));
        break;
    }
  }
  return variants;
}

/** At most this many cases per field (the suite's time), of which at most half the server must refuse. */
export const MAX_CASES_PER_FIELD = 8;

/** The cases of one field: NUL always (every string can carry one), the rest picked by the seed. */
function selectVariants(variants: Variant[], random: () => number): Variant[] {
  const [nul, ...mustRest] = variants.filter((v) => v.mustRefuse);
  const must = nul ? [nul, ...pick(mustRest, MAX_CASES_PER_FIELD / 2 - 1, random)] : [];
  const others = variants.filter((v) => !v.mustRefuse);
  return [...must, ...pick(others, MAX_CASES_PER_FIELD - must.length, random)];
}

/** A cursor that decodes to JSON whose value cannot be used in a query. */
function hostileCursors(schema: JsonSchema): Variant[] {
  const sortBy = (schema.properties?.sortBy as { default?: string } | undefined)?.default ?? "createdAt";
  const encode = (v: unknown) =>
    Buffer.from(JSON.stringify({ f: sortBy, o: "desc", v, id: "0190a000-0000-7000-8000-000000000000" })).toString("base64url");
  return [
    probe("a cursor holding a NUL", encode("a\u0000")),
    probe("a cursor holding year -271821", encode("-271821-04-20T00:00:00.000Z")),
    probe("a cursor holding 1e308", encode(1e308)),
    probe("a cursor holding an object", encode({ $gt: "" })),
    probe("a cursor that is not base64 JSON", "!!!"),
  ];
}

/** The hostile cases of `info`, deterministic for `seed`. */
export function hostileCases(info: ProcedureInfo, seed: number): HostileCase[] {
  const schema = info.schema;
  if (!schema) return [];
  const random = seededRandom(seed ^ hashOf(info.path));
  const cases: HostileCase[] = [];
  for (const [field, property] of Object.entries(schema.properties ?? {})) {
    const variants = [...variantsOf(property), ...(field === "cursor" ? hostileCursors(schema) : [])];
    for (const variant of selectVariants(variants, random)) cases.push({ field, ...variant });
  }
  cases.push(
    {
      field: "(input)",
      label: "an unknown field",
      value: undefined,
      input: (base) => ({ ...base, zzUnknownField: 1 }),
      mustRefuse: true,
    },
    {
      field: "(input)",
      label: "NUL in an unknown field's name",
      value: undefined,
      input: (base) => ({ ...base, "zz\u0000": 1 }),
      mustRefuse: true,
    },
  );
  // Refused cases change nothing, so they run before the probes that may (auth.logout ends the session).
  return [...cases.filter((c) => c.mustRefuse), ...cases.filter((c) => !c.mustRefuse)];
}

function hashOf(text: string): number {
  let hash = 2_166_136_261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16_777_619);
  return hash >>> 0;
}
