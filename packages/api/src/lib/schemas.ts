import { z } from "zod";

export const idSchema = z.uuid({ error: "must be a UUID" });
export const idInput = z.strictObject({ id: idSchema });

/** An email address, kept in lower case; `example` is what the docs page prefills. */
export function emailField(example = "ada@example.com") {
  return z
    .email({ error: "must be a valid email address" })
    .max(254)
    .meta({ examples: [example] })
    .transform((email) => email.toLowerCase());
}

export const emailSchema = emailField();

export const passwordSchema = z
  .string()
  .min(10, { error: "must be at least 10 characters" })
  .max(200, { error: "must be at most 200 characters" })
  .meta({ examples: ["correct horse battery staple"] });

/** A trimmed, non-empty line of text. */
export function text(max: number) {
  return z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` });
}

/**
 * A point in time in an output: the typed client gets a Date (superjson), REST an ISO 8601 string,
 * which the document declares as `date-time` (zod-openapi renders a bare z.date() as a plain string).
 */
export const timestamp = z.date().meta({ format: "date-time" });

export const okOutput = z.object({ ok: z.literal(true) });
