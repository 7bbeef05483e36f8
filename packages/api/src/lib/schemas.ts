import { z } from "zod";

export const idSchema = z.uuid({ error: "must be a UUID" });
export const idInput = z.strictObject({ id: idSchema });

export const emailSchema = z
  .email({ error: "must be a valid email address" })
  .max(254)
  .transform((email) => email.toLowerCase());

export const passwordSchema = z
  .string()
  .min(10, { error: "must be at least 10 characters" })
  .max(200, { error: "must be at most 200 characters" });

/** A trimmed, non-empty line of text. */
export function text(max: number) {
  return z
    .string()
    .trim()
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` });
}

export const okOutput = z.object({ ok: z.literal(true) });
