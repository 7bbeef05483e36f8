import type { BenchContext } from "./context.ts";
import {
  COMPANY_PREFIXES,
  COMPANY_SUFFIXES,
  CONTACT_PLACES,
  CONTACT_STATUSES,
  FIRST_NAMES,
  JOB_TITLES,
  LAST_NAMES,
  phoneOf,
  SEED_SPACING_SECONDS,
  SOURCES,
} from "./data.ts";
import type { BenchOptions } from "./options.ts";

/** A column of a generated import file: its header (a name the importer reads) and the table column `\copy` fills. */
export interface ImportColumn {
  header: string;
  column: string;
}

export type ExportFormat = "csv" | "xlsx";

/** The records one export selects: the newest `count`, i.e. those created at or after `createdFrom` (all when absent). */
export interface ExportSelection {
  count: number;
  createdFrom?: Date;
}

/**
 * What the import and export sections need to know of one resource: its routes, its table, the
 * file they import and how the `psql \copy` baseline fills what the app computes on write.
 */
export interface BenchResource {
  /** The router key: `POST /api/v1/{key}/import`, `GET /api/v1/{key}/export`. */
  key: ResourceKey;
  /** The records' name in the report: `leads`. */
  label: string;
  table: string;
  /** The audit log's entity type of its records. */
  entityType: string;
  /** Rows of the generated import file. */
  importRows(options: BenchOptions): number;
  /** The file's columns, in the order `\copy` maps them onto the table. */
  importColumns: readonly ImportColumn[];
  /** Seed of the file's random values, so every run imports the same rows. */
  importSeed: number;
  /**
   * The cells of row `i` (from 1), in column order, already in their stored form (lower-case
   * email, E.164 phone, enum names), so the API and `\copy` load the very same rows. An empty cell
   * is NULL for `\copy` and absent for the API.
   */
  importRow(i: number, pick: <T>(values: readonly T[]) => T, random: () => number): string[];
  /** The searchText the app writes, as SQL over the row `NEW` (the baseline's trigger computes it). */
  searchTextSql: string;
  export: {
    formats: readonly ExportFormat[];
    /**
     * `seeded`: the organization's records are the bench's seed, exported before anything is
     * imported; `imported`: they are the ones the import section created, exported after it.
     */
    records: "seeded" | "imported";
    selections(context: BenchContext): ExportSelection[];
  };
}

export const RESOURCE_KEYS = ["leads", "contacts"] as const;
export type ResourceKey = (typeof RESOURCE_KEYS)[number];

const LEAD_STATUSES = ["new", "contacted", "qualified"] as const;

export const LEADS: BenchResource = {
  key: "leads",
  label: "leads",
  table: "Lead",
  entityType: "lead",
  importRows: (options) => options.rows,
  importColumns: [
    { header: "First Name", column: "firstName" },
    { header: "Last Name", column: "lastName" },
    { header: "Email", column: "email" },
    { header: "Phone", column: "phone" },
    { header: "Company Name", column: "companyName" },
    { header: "Job Title", column: "jobTitle" },
    { header: "Source", column: "source" },
    { header: "Status", column: "status" },
  ],
  importSeed: 20_261_122,
  importRow: (i, pick, random) => {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const company = `${pick(COMPANY_PREFIXES)} ${pick(COMPANY_SUFFIXES)}`;
    return [
      first,
      random() < 0.05 ? "" : last,
      `${first}.${last}.${i}@import.example`.toLowerCase(),
      random() < 0.2 ? "" : phoneOf(i),
      random() < 0.1 ? "" : company,
      random() < 0.15 ? "" : pick(JOB_TITLES),
      pick(SOURCES),
      pick(LEAD_STATUSES),
    ];
  },
  // As the migration `lead_full_model` backfills it and the API writes it.
  searchTextSql: `lower(concat_ws(' ', NEW."firstName", NEW."lastName", NEW."email", NEW."phone", NEW."companyName"))`,
  export: {
    formats: ["xlsx"],
    records: "seeded",
    // A tenth of the seeded leads and all of them: lead i was created (i - 1) × SEED_SPACING_SECONDS before the newest.
    selections: (context) =>
      [Math.round(context.options.rows / 10), context.options.rows].map((count) => ({
        count,
        createdFrom: new Date(context.newest.getTime() - (count - 1) * SEED_SPACING_SECONDS * 1000),
      })),
  },
};

export const CONTACTS: BenchResource = {
  key: "contacts",
  label: "contacts",
  table: "Contact",
  entityType: "contact",
  importRows: (options) => options.contactRows,
  importColumns: [
    { header: "First Name", column: "firstName" },
    { header: "Last Name", column: "lastName" },
    { header: "Email", column: "email" },
    { header: "Phone", column: "phone" },
    { header: "Job Title", column: "jobTitle" },
    { header: "Status", column: "status" },
    { header: "City", column: "city" },
    { header: "Country", column: "country" },
  ],
  importSeed: 20_261_201,
  importRow: (i, pick, random) => {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const [city, country] = random() < 0.1 ? ["", ""] : pick(CONTACT_PLACES);
    return [
      first,
      random() < 0.05 ? "" : last,
      `${first}.${last}.${i}@contacts.example`.toLowerCase(),
      random() < 0.2 ? "" : phoneOf(i),
      random() < 0.15 ? "" : pick(JOB_TITLES),
      pick(CONTACT_STATUSES),
      city,
      country,
    ];
  },
  // contactSearchText (packages/api/src/routers/contacts/derived.ts): names, emails and phones, the
  // additional ones after each primary one, empty parts left out.
  searchTextSql: `lower(concat_ws(' ', NEW."firstName", NEW."lastName", NEW."email",
    NULLIF(array_to_string(NEW."additionalEmails", ' '), ''), NEW."phone",
    NULLIF(array_to_string(NEW."additionalPhones", ' '), '')))`,
  export: {
    formats: ["csv", "xlsx"],
    records: "imported",
    selections: (context) => [{ count: context.options.contactRows }],
  },
};

export const BENCH_RESOURCES: Record<ResourceKey, BenchResource> = { leads: LEADS, contacts: CONTACTS };
