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

/** Mail providers anyone can sign up with, by their registrable name: any country's `yahoo.*` is free mail. */
const FREE_MAIL_PROVIDERS = new Set([
  "gmail",
  "googlemail",
  "yahoo",
  "ymail",
  "rocketmail",
  "hotmail",
  "outlook",
  "live",
  "msn",
  "windowslive",
  "icloud",
  "me",
  "mac",
  "aol",
  "aim",
  "proton",
  "protonmail",
  "pm",
  "tutanota",
  "tuta",
  "gmx",
  "web",
  "mail",
  "yandex",
  "ya",
  "zoho",
  "zohomail",
  "fastmail",
  "hey",
  "inbox",
  "rambler",
  "qq",
  "163",
  "126",
  "yeah",
  "sina",
  "sohu",
  "naver",
  "daum",
  "hanmail",
  "rediffmail",
  "libero",
  "laposte",
  "wanadoo",
  "free",
  "t-online",
  "freenet",
  "seznam",
  "wp",
  "o2",
  "interia",
  "bigpond",
  "sbcglobal",
  "btinternet",
]);

/** Country-code and generic endings free mail providers sit under (`yahoo.co.uk`, `mail.ru`, `fastmail.fm`). */
const FREE_MAIL_SUFFIX =
  /^(com|net|org|me|fm|io|de|fr|it|es|ru|ua|by|kz|cz|pl|kr|cn|jp|in|ca|au|br|nl|be|at|ch|se|no|dk|fi|ie|uk|co\.uk|com\.au|com\.br|co\.jp|co\.in|co\.kr|com\.cn|com\.mx|com\.ar|co\.nz)$/;

/**
 * Whether `domain` (normalized) is a free mail provider's (gmail.com, yahoo.co.uk, mail.ru,
 * qq.com, proton.me, ...): the domain of such an address says nothing about the company.
 */
export function isFreeMailDomain(domain: string): boolean {
  const [provider, ...rest] = domain.toLowerCase().split(".");
  return provider !== undefined && FREE_MAIL_PROVIDERS.has(provider) && FREE_MAIL_SUFFIX.test(rest.join("."));
}

/** The domain of an email address, normalized; undefined when it has none. */
export function emailDomain(email: string | null | undefined): string | undefined {
  const at = email?.lastIndexOf("@") ?? -1;
  return email && at >= 0 ? normalizeDomain(email.slice(at + 1)) : undefined;
}
