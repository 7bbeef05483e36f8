/**
 * The vocabulary of the seeded and imported leads. Company names are a made-up word and a suffix
 * (1,000 × 25 = 25,000 companies): like real company names, the words are a long tail of
 * distinct trigrams, so a company's name is a selective ("trigram-friendly") search term.
 */
export const FIRST_NAMES = [
  "Ada",
  "Alan",
  "Amara",
  "Anika",
  "Arjun",
  "Beatriz",
  "Bjorn",
  "Carmen",
  "Chen",
  "Chloe",
  "Dario",
  "Divya",
  "Elena",
  "Emeka",
  "Farah",
  "Felix",
  "Grace",
  "Hana",
  "Hugo",
  "Ines",
  "Ivan",
  "Jamal",
  "Jonas",
  "Kai",
  "Keiko",
  "Lars",
  "Leila",
  "Liam",
  "Lucia",
  "Malik",
  "Marta",
  "Mateo",
  "Mei",
  "Mira",
  "Nadia",
  "Niko",
  "Noor",
  "Olga",
  "Omar",
  "Paolo",
  "Priya",
  "Quinn",
  "Rafael",
  "Rosa",
  "Sami",
  "Sofia",
  "Tariq",
  "Tomas",
  "Uma",
  "Valentina",
  "Wei",
  "Xavier",
  "Yara",
  "Yusuf",
  "Zara",
  "Zoltan",
  "Aiko",
  "Bruno",
  "Dana",
  "Erik",
] as const;

export const LAST_NAMES = [
  "Abbott",
  "Adeyemi",
  "Alvarez",
  "Andersen",
  "Bianchi",
  "Brennan",
  "Castillo",
  "Chowdhury",
  "Costa",
  "Dubois",
  "Eriksson",
  "Fernandes",
  "Fischer",
  "Garcia",
  "Gonzalez",
  "Haddad",
  "Hansen",
  "Hoffmann",
  "Ivanova",
  "Jensen",
  "Kaur",
  "Kim",
  "Kowalski",
  "Kruger",
  "Larsen",
  "Lopez",
  "Mahmoud",
  "Martin",
  "Meyer",
  "Moreau",
  "Nakamura",
  "Nguyen",
  "Novak",
  "Okafor",
  "Olsen",
  "Park",
  "Patel",
  "Pereira",
  "Petrov",
  "Quintero",
  "Rahman",
  "Reyes",
  "Rossi",
  "Santos",
  "Schmidt",
  "Silva",
  "Singh",
  "Sokolov",
  "Suzuki",
  "Tanaka",
  "Torres",
  "Varga",
  "Vogel",
  "Wagner",
  "Walsh",
  "Weber",
  "Wojcik",
  "Yamamoto",
  "Yilmaz",
  "Zhang",
] as const;

/** A small deterministic generator (mulberry32), so every run seeds and imports the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function companyWords(count: number): string[] {
  const onsets = [
    "b",
    "br",
    "c",
    "ch",
    "d",
    "dr",
    "f",
    "fl",
    "g",
    "gr",
    "h",
    "j",
    "k",
    "kl",
    "l",
    "m",
    "n",
    "p",
    "pr",
    "qu",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "w",
    "z",
  ];
  const vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"];
  const codas = ["", "", "", "n", "r", "s", "x", "l", "m", "th", "nd", "ck"];
  const next = seededRandom(1000);
  const pick = (values: string[]) => values[Math.floor(next() * values.length)] ?? "";
  const words = new Set<string>();
  while (words.size < count) {
    const syllables = 2 + Math.floor(next() * 2);
    let word = "";
    for (let i = 0; i < syllables; i++) word += pick(onsets) + pick(vowels) + (i === syllables - 1 ? pick(codas) : "");
    words.add(word.charAt(0).toUpperCase() + word.slice(1));
  }
  return [...words];
}

export const COMPANY_PREFIXES = companyWords(1000);

export const COMPANY_SUFFIXES = [
  "Analytics",
  "Biotech",
  "Capital",
  "Consulting",
  "Dynamics",
  "Energy",
  "Foods",
  "Freight",
  "Health",
  "Holdings",
  "Industries",
  "Labs",
  "Logistics",
  "Media",
  "Motors",
  "Networks",
  "Partners",
  "Pharma",
  "Robotics",
  "Software",
  "Studios",
  "Systems",
  "Textiles",
  "Ventures",
  "Works",
] as const;

/**
 * The keyword of the list benchmark: the distinctive word of a company name, as a user types it.
 * It matches about one lead in a thousand.
 */
export const SEARCH_TERM = (COMPANY_PREFIXES[0] ?? "").toLowerCase();

/** A keyword made of common trigrams ("logistics" is in 4% of the company names): a harder case, reported for the database alone. */
export const COMMON_TRIGRAM_TERM = `${(COMPANY_PREFIXES[1] ?? "").toLowerCase()} logistics`;

export const JOB_TITLES = [
  "CEO",
  "CTO",
  "VP Sales",
  "Head of Marketing",
  "Sales Manager",
  "Procurement Lead",
  "Operations Director",
  "Account Executive",
  "Engineer",
  "Analyst",
  "Office Manager",
  "Founder",
  "Product Manager",
  "Buyer",
  "Consultant",
] as const;

export const VERTICALS = [
  "software",
  "healthcare",
  "finance",
  "retail",
  "manufacturing",
  "logistics",
  "education",
  "media",
  "energy",
  "hospitality",
] as const;

export const TAGS = [
  "enterprise",
  "smb",
  "inbound",
  "outbound",
  "trial",
  "webinar",
  "partner",
  "priority",
  "renewal",
  "emea",
] as const;

export const INTERESTS = [
  "pricing",
  "integrations",
  "api",
  "security",
  "analytics",
  "mobile",
  "onboarding",
  "reporting",
] as const;

export const SOURCES = ["website", "referral", "social", "email_campaign", "event", "cold_call", "partner", "other"] as const;

/** Status by percentile: 15% new and 15% contacted, so the list filter keeps ~30% of the keyword's matches. */
export const STATUS_BANDS: [upTo: number, status: string][] = [
  [15, "new"],
  [30, "contacted"],
  [45, "qualified"],
  [55, "proposal"],
  [65, "negotiation"],
  [75, "won"],
  [85, "lost"],
  [100, "unqualified"],
];

/** Seconds between the creation times of consecutive seeded leads (a million leads span ~11 months). */
export const SEED_SPACING_SECONDS = 30;

/**
 * Phone numbers libphonenumber accepts as valid: the UK's drama range +44 20 7946 0xxx and
 * Australia's +61 491 570 xxx fictional mobiles.
 */
export function phoneOf(n: number): string {
  return n % 2 === 0 ? `+44207946${String(n % 1000).padStart(4, "0")}` : `+61491570${String(n % 1000).padStart(3, "0")}`;
}

/** The contacts' lifecycle statuses (the ContactStatus enum). */
export const CONTACT_STATUSES = ["subscriber", "lead", "prospect", "customer", "churned", "other"] as const;

/** City and ISO 3166-1 alpha-2 country of an imported contact's address. */
export const CONTACT_PLACES: readonly (readonly [city: string, country: string])[] = [
  ["London", "GB"],
  ["Manchester", "GB"],
  ["Sydney", "AU"],
  ["Melbourne", "AU"],
  ["Berlin", "DE"],
  ["Munich", "DE"],
  ["Paris", "FR"],
  ["Lyon", "FR"],
  ["Madrid", "ES"],
  ["Lisbon", "PT"],
  ["Milan", "IT"],
  ["Amsterdam", "NL"],
  ["Stockholm", "SE"],
  ["Warsaw", "PL"],
  ["New York", "US"],
  ["Austin", "US"],
  ["Toronto", "CA"],
  ["Cape Town", "ZA"],
  ["Lagos", "NG"],
  ["Nairobi", "KE"],
  ["Mumbai", "IN"],
  ["Bengaluru", "IN"],
  ["Singapore", "SG"],
  ["Tokyo", "JP"],
  ["Seoul", "KR"],
];
