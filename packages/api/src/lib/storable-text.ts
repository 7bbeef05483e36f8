import { invalidFields } from "../errors.ts";

/**
 * PostgreSQL refuses a NUL character in text and jsonb (22021, 22P05) and a lone UTF-16 surrogate
 * has no UTF-8 encoding, so a string holding either can never be stored, searched for or compared
 * with a column. Checked once on the raw input of every procedure (and of the file routes), before
 * any schema runs, so no field can forget it.
 */

const NUL_MESSAGE = "must not contain a NUL character (U+0000)";
const LONE_SURROGATE_MESSAGE = "must not contain a lone UTF-16 surrogate (not valid Unicode)";
const KEY_PREFIX = "field names ";

/** The first few offending strings are enough to name the problem. */
const MAX_ISSUES = 10;

export interface TextIssue {
  path: PropertyKey[];
  message: string;
}

/** With the `u` flag a well-formed surrogate pair is one code point, so only a lone half matches. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it looks for.
const UNSTORABLE = /\u0000|\p{Surrogate}/u;

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableTextReason(text: string): string | undefined {
  if (!UNSTORABLE.test(text)) return undefined;
  return text.includes("\u0000") ? NUL_MESSAGE : LONE_SURROGATE_MESSAGE;
}

/** Arrays and objects of any prototype (a parsed query string has its own), not Dates and the like. */
function isWalkable(value: unknown): value is Record<string, unknown> | unknown[] {
  return Array.isArray(value) || Object.prototype.toString.call(value) === "[object Object]";
}

/** A value met during the walk; its path is rebuilt from the parents only when it has an issue. */
interface Visit {
  value: unknown;
  key?: PropertyKey;
  parent?: Visit;
}

function pathOf(visit: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) path.unshift(at.key as PropertyKey);
  return path;
}

/**
 * Every string of `value` (values and object keys, at any depth) that cannot be stored, with its
 * path, in input order. Walks without recursion, so a deeply nested body cannot overflow the stack.
 */
export function unstorableTextIssues(value: unknown): TextIssue[] {
  const issues: TextIssue[] = [];
  const pending: Visit[] = [{ value }];
  while (pending.length && issues.length < MAX_ISSUES) {
    const visit = pending.pop() as Visit;
    if (typeof visit.value === "string") {
      const reason = unstorableTextReason(visit.value);
      if (reason) issues.push({ path: pathOf(visit), message: reason });
      continue;
    }
    if (!isWalkable(visit.value)) continue;
    const isArray = Array.isArray(visit.value);
    const keys = Object.keys(visit.value);
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index] as string;
      const keyReason = isArray ? undefined : unstorableTextReason(key);
      if (keyReason) issues.push({ path: pathOf(visit), message: KEY_PREFIX + keyReason });
      else pending.push({ value: (visit.value as Record<string, unknown>)[key], key: isArray ? index : key, parent: visit });
    }
  }
  return issues;
}

/** Throws a BAD_REQUEST naming the fields when any string of `value` cannot be stored. */
export function assertStorableText(value: unknown): void {
  const issues = unstorableTextIssues(value);
  if (issues.length) throw invalidFields(issues);
}
