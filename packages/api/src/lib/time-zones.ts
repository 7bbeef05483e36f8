import { z } from "zod";

/** Whether `name` is an IANA time zone this runtime knows ("Europe/Berlin", "UTC"). */
export function isTimeZone(name: string): boolean {
  try {
    // Throws a RangeError for a name that is no time zone; accepts every IANA name and alias.
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name, as written (aliases such as "US/Eastern" included). */
export const timeZoneSchema = z
  .string()
  .trim()
  .min(1, { error: "must not be empty" })
  .max(64, { error: "must be at most 64 characters" })
  .refine(isTimeZone, { error: 'must be an IANA time zone, e.g. "Europe/Berlin"' })
  .meta({ examples: ["Europe/Berlin"] });
