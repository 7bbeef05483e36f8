import type { FastifyInstance, FastifyRequest } from "fastify";
import { HttpError } from "./rest-errors.ts";

/** Deeper than any input of the API; a parser, a validator or a walk over a deeper value may run out of stack. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The nesting depth of JSON text, counted without parsing it, stopping as soon as it passes `limit`. */
function exceedsDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

// Quick tests on the text (as secure-json-parse does) so that only suspect bodies are walked.
const SUSPECT_PROTO =
  /"(?:_|\\u005[Ff]){2}(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff]){2}"\s*:/;
const SUSPECT_CONSTRUCTOR =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

const own = (value: object, key: string) => Object.hasOwn(value, key);

/** The first key that could reach an object's prototype once the value is merged or copied: `__proto__`, `constructor.prototype`. */
function poisoningKey(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (own(value, "__proto__")) return "__proto__";
  const constructorValue = (value as { constructor?: unknown }).constructor;
  if (
    own(value, "constructor") &&
    constructorValue !== null &&
    typeof constructorValue === "object" &&
    own(constructorValue, "prototype")
  ) {
    return "constructor.prototype";
  }
  for (const item of Object.values(value)) {
    const found = poisoningKey(item);
    if (found) return found;
  }
  return undefined;
}

/**
 * JSON text as the API accepts it: at most MAX_JSON_DEPTH levels deep, with no key that could
 * poison a prototype. Anything else is a 400 that says which rule the text broke.
 */
export function parseJsonText(text: string, what = "JSON body"): unknown {
  if (exceedsDepth(text, MAX_JSON_DEPTH)) throw new HttpError(400, `${what} nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new HttpError(400, `Malformed ${what}: ${(error as Error).message}`);
  }
  if (SUSPECT_PROTO.test(text) || SUSPECT_CONSTRUCTOR.test(text)) {
    const key = poisoningKey(value);
    if (key) throw new HttpError(400, `JSON key "${key}" is not allowed`);
  }
  return value;
}

/** What a parsed JSON value is, as a caller would name it: "null", "an array", "a number", ... */
function kindOfJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/**
 * A REST body is the operation's input object (the bridge spreads it into the input, so `null`,
 * `[]` or `42` read as no fields at all, and `"s"` as a field "0"): anything but a JSON object is a
 * 400 before the operation runs.
 */
export function checkJsonObjectBody(body: unknown) {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) return;
  const message = `The JSON body must be an object, not ${kindOfJson(body)}`;
  throw new HttpError(400, message, [{ path: "(input)", message }]);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The charset parameter of a content type, lower-cased; undefined when there is none. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? "");
  return match?.[1]?.toLowerCase();
}

/** Decodes a body sent as UTF-8 (the only charset JSON may be sent in between systems, RFC 8259 §8.1). */
function decodeUtf8Body(request: FastifyRequest, body: Buffer): string {
  const charset = charsetOf(request.headers["content-type"]);
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw new HttpError(415, `Unsupported charset "${charset}": send the body as UTF-8`);
  }
  try {
    return utf8.decode(body);
  } catch {
    throw new HttpError(400, "The body is not valid UTF-8");
  }
}

/**
 * The one body parser of the app: JSON (media type matched case-insensitively by Fastify), in
 * UTF-8, through parseJsonText. Any other media type is a 415 before the body is read (the
 * multipart import route adds its own parser in its scope).
 */
export function registerJsonBodyParser(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, async (request: FastifyRequest, body: Buffer) => {
    if (body.length === 0) throw new HttpError(400, "The body is empty but its content type is application/json");
    return parseJsonText(decodeUtf8Body(request, body));
  });
}
