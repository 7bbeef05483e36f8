import { z } from "zod";

/**
 * A multi-value filter. tRPC callers pass an array; REST query strings pass `a,b,c` (the OpenAPI
 * bridge only takes flat query values), which is split here.
 */
export function multiValue<T extends z.ZodType>(item: T, max = 20) {
  return z.preprocess(
    (value) =>
      typeof value === "string"
        ? value
            .split(",")
            .map((part) => part.trim())
            .filter(Boolean)
        : value,
    z.array(item).min(1).max(max),
  );
}

/** A boolean filter: `true`/`false` from tRPC, or the strings "true"/"false" from a REST query. */
export const booleanFilter = z.preprocess(
  (value) => (value === "true" ? true : value === "false" ? false : value),
  z.boolean({ error: "must be true or false" }),
);

/**
 * A `contains` condition that matches `term` as literal text. Prisma hands `contains` to
 * LIKE/ILIKE as it is, so a `%` or `_` in a search term would be a wildcard ("0_" matching "01");
 * they and LIKE's escape character are escaped here.
 */
export function containsText(term: string, mode?: "insensitive") {
  return { contains: term.replace(/[\\%_]/g, "\\$&"), ...(mode ? { mode } : {}) };
}
