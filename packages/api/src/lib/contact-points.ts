import { parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";

/**
 * Phone numbers are stored in E.164. Numbers without a country code are read as
 * `defaultCountry` (US unless the caller says otherwise).
 */
export function toE164(raw: string, defaultCountry: "US" | (string & {}) = "US"): string | undefined {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry as never);
  return parsed?.isValid() ? parsed.number : undefined;
}

export const phoneSchema = z
  .string()
  .trim()
  .max(40, { error: "must be at most 40 characters" })
  .meta({ examples: ["+44 20 7946 0958"] })
  .transform((value, ctx) => {
    const e164 = toE164(value);
    if (!e164) {
      ctx.addIssue({ code: "custom", message: "must be a valid phone number (international format, e.g. +44 20 7946 0000)" });
      return z.NEVER;
    }
    return e164;
  });

export const websiteSchema = z
  .string()
  .trim()
  .max(500, { error: "must be at most 500 characters" })
  .meta({ examples: ["https://example.com"] })
  .transform((value, ctx) => {
    const withScheme = /^https?:\/\//i.test(value) ? value : `https://${value}`;
    try {
      const url = new URL(withScheme);
      if (!url.hostname.includes(".")) throw new Error("no domain");
      return url.toString().replace(/\/$/, "");
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a website address (e.g. example.com)" });
      return z.NEVER;
    }
  });

/**
 * A profile page on `host` (or one of its subdomains, e.g. `uk.linkedin.com`), stored as an
 * https URL without query, fragment or trailing slash, so two spellings of one profile compare equal.
 */
export function profileUrlSchema(host: string) {
  return z
    .string()
    .trim()
    .max(500, { error: "must be at most 500 characters" })
    .meta({ examples: [`https://www.${host}/in/ada-lovelace`] })
    .transform((value, ctx) => {
      const withScheme = /^https?:\/\//i.test(value) ? value : `https://${value}`;
      let url: URL | undefined;
      try {
        url = new URL(withScheme);
      } catch {
        url = undefined;
      }
      const hostname = url?.hostname.toLowerCase();
      const path = url?.pathname.replace(/\/+$/, "") ?? "";
      if (!url || !hostname || !(hostname === host || hostname.endsWith(`.${host}`)) || path === "") {
        ctx.addIssue({ code: "custom", message: `must be a profile address on ${host} (e.g. ${host}/in/ada-lovelace)` });
        return z.NEVER;
      }
      return `https://${hostname}${path}`;
    });
}
