import { TRPCError } from "@trpc/server";
import { ZodRealError } from "zod";

/**
 * PostgreSQL refuses a NUL character in text and jsonb (22021, 22P05) and a lone UTF-16 surrogate
 * has no UTF-8 encoding, so a string holding either can never be stored, searched for or compared
 * with a column. Checked once on the raw input of every procedure (and of the file routes), before
 * any schema runs, so no field can forget it.
 */

const NUL_MESSAGE = "must not contain a NUL character (U+0000)";
const LONE_SURROGATE_MESSAGE = "must not contain a lone UTF-16 surrogate (not valid Unicode)";
const KEY_PREFIX = "field names ";
/** With the `u` flag a well-formed surrogate pair is one code point, so only a lone half matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** The first few offending strings are enough to name the problem. */
const MAX_ISSUES = 10;

export interface TextIssue {
  path: PropertyKey[];
  message: string;
}

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableTextReason(text: string): string | undefined {
  if (text.includes("\u0000")) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return LONE_SURROGATE_MESSAGE;
  return undefined;
}

/** Arrays and objects of any prototype (a parsed query string has its own), not Dates and the like. */
function isWalkable(value: unknown): value is Record<string, unknown> | unknown[] {
  return Array.isArray(value) || Object.prototype.toString.call(value) === "[object Object]";
}

/**
 * Every string of `value` (values and object keys, at any depth) that cannot be stored, with its
 * path. Walks without recursion, so a deeply nested body cannot overflow the stack.
 */
export function unstorableTextIssues(value: unknown): TextIssue[] {
  const issues: TextIssue[] = [];
  const pending: { value: unknown; path: PropertyKey[] }[] = [{ value, path: [] }];
  while (pending.length && issues.length < MAX_ISSUES) {
    const item = pending.pop() as { value: unknown; path: PropertyKey[] };
    if (typeof item.value === "string") {
      const reason = unstorableTextReason(item.value);
      if (reason) issues.push({ path: item.path, message: reason });
      continue;
    }
    if (!isWalkable(item.value)) continue;
    const entries = Object.entries(item.value);
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index] as [string, unknown];
      const keyReason = Array.isArray(item.value) ? undefined : unstorableTextReason(key);
      if (keyReason) {
        issues.push({ path: item.path, message: KEY_PREFIX + keyReason });
        continue;
      }
      pending.push({ value: child, path: [...item.path, Array.isArray(item.value) ? index : key] });
    }
  }
  return issues;
}

/**
 * A BAD_REQUEST whose cause is a ZodError (ZodRealError: the Error subclass, which tRPC keeps as a
 * cause), so tRPC's error formatter and the REST bridge report its issues as they report a schema's.
 */
export function unstorableTextError(issues: TextIssue[]): TRPCError {
  const cause = new ZodRealError(
    issues.map((issue) => ({ code: "custom" as const, path: issue.path, message: issue.message, input: undefined })),
  );
  return new TRPCError({ code: "BAD_REQUEST", message: "Input contains text that cannot be stored", cause });
}

/** Throws unstorableTextError when any string of `value` cannot be stored. */
export function assertStorableText(value: unknown): void {
  const issues = unstorableTextIssues(value);
  if (issues.length) throw unstorableTextError(issues);
}
