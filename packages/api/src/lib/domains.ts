import { z } from "zod";

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A company's domain as stored: lower-case, no scheme, no `www.`, no port, path or query
 * ("https://www.Acme.com/about" → "acme.com"). International names are kept in their ASCII
 * (punycode) form, so one domain has one spelling.
 */
export function normalizeDomain(raw: string): string | undefined {
  const value = raw.trim();
  if (value === "" || /[\s\\]/.test(value)) return undefined;
  let host: string;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`);
    if (!["http:", "https:"].includes(url.protocol) || url.username || url.password) return undefined;
    host = url.hostname;
  } catch {
    return undefined;
  }
  const domain = host.replace(/\.$/, "").replace(/^www\./, "");
  const labels = domain.split(".");
  if (domain.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  if (/^\d+$/.test(labels.at(-1) ?? "")) return undefined;
  return domain;
}

export const domainSchema = z
  .string()
  .max(500, { error: "must be at most 500 characters" })
  .meta({ examples: ["acme.com"] })
  .transform((value, ctx) => {
    const domain = normalizeDomain(value);
    if (!domain) {
      ctx.addIssue({ code: "custom", message: "must be a domain name (e.g. acme.com)" });
      return z.NEVER;
    }
    return domain;
  });
