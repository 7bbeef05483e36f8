import { query, withClient } from "./database.ts";

/**
 * The timeline section's records, seeded in SQL (generate_series) into the bench organization:
 *
 * - the deal: DEAL_INTERACTIONS interactions, DEAL_FIELD_CHANGES audit field changes and
 *   DEAL_STAGE_MOVES stage moves through the open stages of the organization's default pipeline;
 * - the company: ROLLUP_CONTACTS contacts (most with it as primary company, the rest linked to it
 *   only through ContactCompany), each with INTERACTIONS_PER_CONTACT interactions (one in ten also
 *   linked to the company itself), plus interactions of its own and of its own deals;
 * - background rows of other records (companies, contacts, deals, their interactions, audit
 *   entries and stage moves, the seeded leads' interactions and audit entries), so the timeline's
 *   indexes hold other records' entries around the measured ones.
 *
 * Ids are md5 of (organization, kind, number) shaped as version 4 uuids, so statements reference each other's
 * rows without lookups; times spread over two years before `now` from the row number, so a run is
 * reproducible. Every row respects the CHECKs and foreign keys of prisma/migrations.
 */
export const DEAL_INTERACTIONS = 7_000;
export const DEAL_FIELD_CHANGES = 2_000;
export const DEAL_STAGE_MOVES = 1_000;
export const ROLLUP_CONTACTS = 100;
export const INTERACTIONS_PER_CONTACT = 100;
const ROLLUP_CONTACTS_LINKED_ONLY = 20;
const COMPANY_OWN_INTERACTIONS = 500;
const COMPANY_DEALS = 3;
const INTERACTIONS_PER_COMPANY_DEAL = 50;

const BACKGROUND_COMPANIES = 2_000;
const BACKGROUND_CONTACTS = 20_000;
const BACKGROUND_DEALS = 2_000;
const BACKGROUND_INTERACTIONS = 100_000;
const BACKGROUND_AUDIT = 50_000;
const MOVES_PER_BACKGROUND_DEAL = 5;

/** Contact and deal numbers: background ones first, then the company's. */
const FIRST_ROLLUP_CONTACT = BACKGROUND_CONTACTS + 1;
const FIRST_COMPANY_DEAL = BACKGROUND_DEALS + 1;
const TWO_YEARS_SECONDS = 2 * 365 * 86_400;

/** The uuid of row `number` (an SQL expression) of `kind`: md5 with the version (4) and variant bits the API's ids check. */
const idOf = (kind: string, number: string) =>
  `overlay(overlay(md5($1::text || ':${kind}:' || (${number})::text) placing '4' from 13) placing '8' from 17)::uuid`;
/** A time before $3 (now) spread over two years by `number`, with milliseconds. */
const timeOf = (number: string, salt = 0) =>
  `($3::timestamptz - ((((${number}) + ${salt}) * 7919) % ${TWO_YEARS_SECONDS}) * interval '1 second' - ((${number}) % 1000) * interval '1 millisecond')`;

const KINDS = `(ARRAY['call','email','meeting','note','sms','task','other'])[1 + i % 7]::"InteractionKind"`;
const DIRECTION = `CASE WHEN i % 7 = 3 THEN NULL WHEN i % 2 = 0 THEN 'outbound' ELSE 'inbound' END::"InteractionDirection"`;

/**
 * INSERT of interactions numbered from..to (their ids and times come from the number), each
 * linked as `links` says (SQL expressions of i, NULL for none).
 */
function interactions(from: number, to: number, links: { lead?: string; contact?: string; company?: string; deal?: string }) {
  return `INSERT INTO "Interaction" ("id", "organizationId", "kind", "direction", "subject", "body", "occurredAt", "durationMinutes",
      "outcome", "authorId", "leadId", "contactId", "companyId", "dealId", "searchText", "createdById", "updatedById", "createdAt", "updatedAt")
    SELECT ${idOf("interaction", "i")}, $1, ${KINDS}, ${DIRECTION}, 'Follow-up ' || i, 'Discussed the proposal, next steps agreed (' || i || ').',
      ${timeOf("i")}, CASE WHEN i % 7 IN (0, 2) THEN 5 + i % 55 END, CASE WHEN i % 5 = 0 THEN 'positive' END, $2,
      ${links.lead ?? "NULL"}, ${links.contact ?? "NULL"}, ${links.company ?? "NULL"}, ${links.deal ?? "NULL"},
      'follow-up ' || i || ' discussed the proposal, next steps agreed (' || i || ').', $2, $2, ${timeOf("i")}, ${timeOf("i")}
    FROM generate_series(${from}, ${to}) AS i`;
}

export interface TimelineSeed {
  dealId: string;
  companyId: string;
  seconds: number;
  /** Rows of each table the seed wrote. */
  counts: Record<string, number>;
}

export async function seedTimeline(
  url: string,
  target: { organizationId: string; userId: string },
  log: (message: string) => void,
): Promise<TimelineSeed> {
  const started = Date.now();
  const [pipeline] = await query<{ id: string; open: string[] }>(
    url,
    `SELECT p."id", array_agg(s."id" ORDER BY s."position") FILTER (WHERE s."kind" = 'open') AS "open"
     FROM "Pipeline" p JOIN "PipelineStage" s ON s."pipelineId" = p."id" AND s."deletedAt" IS NULL
     WHERE p."organizationId" = $1 AND p."isDefault" AND p."deletedAt" IS NULL GROUP BY p."id"`,
    [target.organizationId],
  );
  if (!pipeline || pipeline.open.length < 2) throw new Error("the bench organization has no default pipeline with open stages");
  const stages = pipeline.open.length;
  const stageOf = (number: string) => `($5::uuid[])[1 + (${number}) % ${stages}]`;
  const [ids] = await query<{ deal: string; company: string }>(
    url,
    `SELECT ${idOf("deal", "0")} AS "deal", ${idOf("company", "0")} AS "company"`,
    [target.organizationId],
  );
  if (!ids) throw new Error("no ids");
  const { deal: dealId, company: companyId } = ids;

  const contactCompanyOf = `${idOf("company", `1 + i % ${BACKGROUND_COMPANIES}`)}`;
  const lastRollupContact = FIRST_ROLLUP_CONTACT + ROLLUP_CONTACTS - 1;
  const firstLinkedOnly = lastRollupContact - ROLLUP_CONTACTS_LINKED_ONLY + 1;
  const lastCompanyDeal = FIRST_COMPANY_DEAL + COMPANY_DEALS - 1;
  let interactionNumber = 0;
  const nextInteractions = (count: number) => {
    const range = [interactionNumber + 1, interactionNumber + count] as const;
    interactionNumber += count;
    return range;
  };
  const dealRange = nextInteractions(DEAL_INTERACTIONS);
  const rollupRange = nextInteractions(ROLLUP_CONTACTS * INTERACTIONS_PER_CONTACT);
  const ownRange = nextInteractions(COMPANY_OWN_INTERACTIONS);
  const companyDealsRange = nextInteractions(COMPANY_DEALS * INTERACTIONS_PER_COMPANY_DEAL);
  const backgroundRange = nextInteractions(BACKGROUND_INTERACTIONS);
  const rollupFirst = rollupRange[0];
  const background = backgroundRange[0];

  const statements: [string, string][] = [
    [
      "companies",
      `INSERT INTO "Company" ("id", "organizationId", "name", "searchText", "createdById", "updatedById", "createdAt", "updatedAt")
       SELECT ${idOf("company", "i")}, $1, CASE WHEN i = 0 THEN 'Rollup Industries' ELSE 'Company ' || i END,
         CASE WHEN i = 0 THEN 'rollup industries' ELSE 'company ' || i END, $2, $2, ${timeOf("i", 1)}, ${timeOf("i", 1)}
       FROM generate_series(0, ${BACKGROUND_COMPANIES}) AS i`,
    ],
    [
      "contacts",
      // Background contacts work at the background companies; the rollup ones at company 0 (primary),
      // but for the last few, whose primary company is a background one and company 0 a second link.
      `INSERT INTO "Contact" ("id", "organizationId", "firstName", "lastName", "email", "primaryCompanyId", "searchText",
         "createdById", "updatedById", "createdAt", "updatedAt")
       SELECT ${idOf("contact", "i")}, $1, 'Contact', 'Number ' || i, 'contact.' || i || '@timeline.bench',
         CASE WHEN i BETWEEN ${FIRST_ROLLUP_CONTACT} AND ${firstLinkedOnly - 1} THEN ${idOf("company", "0")} ELSE ${contactCompanyOf} END,
         'contact number ' || i || ' contact.' || i || '@timeline.bench', $2, $2, ${timeOf("i", 2)}, ${timeOf("i", 2)}
       FROM generate_series(1, ${lastRollupContact}) AS i`,
    ],
    [
      "contact-company links",
      `INSERT INTO "ContactCompany" ("organizationId", "contactId", "companyId", "isPrimary", "createdById")
       SELECT $1, c."id", c."primaryCompanyId", true, $2 FROM "Contact" c
         WHERE c."organizationId" = $1 AND c."primaryCompanyId" IS NOT NULL AND c."email" LIKE '%@timeline.bench'
       UNION ALL
       SELECT $1, ${idOf("contact", "i")}, ${idOf("company", "0")}, false, $2 FROM generate_series(${firstLinkedOnly}, ${lastRollupContact}) AS i`,
    ],
    [
      "deals",
      // Deal 0 is the deal of 10,000 entries (no company, in the stage of its last move); the
      // company's deals come after the background ones.
      `INSERT INTO "Deal" ("id", "organizationId", "name", "amount", "currency", "pipelineId", "stageId", "status", "contactId",
         "companyId", "ownerId", "searchText", "createdById", "updatedById", "stageEnteredAt", "createdAt", "updatedAt")
       SELECT ${idOf("deal", "i")}, $1, 'Deal ' || i, 1000 + i, 'EUR', $4, ${stageOf(`CASE WHEN i = 0 THEN ${DEAL_STAGE_MOVES - 1} ELSE ${MOVES_PER_BACKGROUND_DEAL - 1} END`)}, 'open',
         CASE WHEN i BETWEEN 1 AND ${BACKGROUND_DEALS} THEN ${idOf("contact", `1 + i % ${BACKGROUND_CONTACTS}`)} END,
         CASE WHEN i = 0 THEN NULL WHEN i > ${BACKGROUND_DEALS} THEN ${idOf("company", "0")} ELSE ${contactCompanyOf} END,
         $2, 'deal ' || i, $2, $2, $3, ${timeOf("i", 3)}, ${timeOf("i", 3)}
       FROM generate_series(0, ${lastCompanyDeal}) AS i`,
    ],
    [
      "the deal's interactions",
      interactions(...dealRange, {
        deal: idOf("deal", "0"),
        contact: `CASE WHEN i % 3 = 0 THEN ${idOf("contact", `1 + i % ${BACKGROUND_CONTACTS}`)} END`,
      }),
    ],
    [
      "the company's contacts' interactions",
      interactions(...rollupRange, {
        contact: idOf("contact", `${FIRST_ROLLUP_CONTACT} + (i - ${rollupFirst}) / ${INTERACTIONS_PER_CONTACT}`),
        company: `CASE WHEN i % 10 = 0 THEN ${idOf("company", "0")} END`,
      }),
    ],
    ["the company's own interactions", interactions(...ownRange, { company: idOf("company", "0") })],
    [
      "the company's deals' interactions",
      interactions(...companyDealsRange, { deal: idOf("deal", `${FIRST_COMPANY_DEAL} + i % ${COMPANY_DEALS}`) }),
    ],
    [
      "background interactions",
      // A quarter each on leads (the first 5,000 seeded), contacts, companies and deals.
      `WITH leads AS (SELECT array_agg("id") AS ids FROM (SELECT "id" FROM "Lead" WHERE "organizationId" = $1 ORDER BY "id" LIMIT 5000) l)
       ${interactions(...backgroundRange, {
         lead: `CASE WHEN i % 4 = 0 THEN (SELECT ids[1 + i % cardinality(ids)] FROM leads) END`,
         contact: `CASE WHEN i % 4 = 1 THEN ${idOf("contact", `1 + (i - ${background}) % ${BACKGROUND_CONTACTS}`)} END`,
         company: `CASE WHEN i % 4 = 2 THEN ${idOf("company", `1 + (i - ${background}) % ${BACKGROUND_COMPANIES}`)} END`,
         deal: `CASE WHEN i % 4 = 3 THEN ${idOf("deal", `1 + (i - ${background}) % ${BACKGROUND_DEALS}`)} END`,
       })}`,
    ],
    [
      "audit entries",
      // The deal's field changes, then background ones: half on leads, the rest on deals, contacts and companies.
      `WITH leads AS (SELECT array_agg("id") AS ids FROM (SELECT "id" FROM "Lead" WHERE "organizationId" = $1 ORDER BY "id" LIMIT 5000) l)
       INSERT INTO "AuditLog" ("id", "organizationId", "actorUserId", "action", "entityType", "entityId", "changes", "createdAt")
       SELECT ${idOf("audit", "i")}, $1, $2, 'update', t.entity, t.id,
         CASE WHEN i % 2 = 0
           THEN jsonb_build_object('amount', jsonb_build_object('before', (1000 + i)::text, 'after', (1010 + i)::text))
           ELSE jsonb_build_object('name', jsonb_build_object('before', 'Name ' || i, 'after', 'Name ' || (i + 1)),
             'tags', jsonb_build_object('before', '[]'::jsonb, 'after', '["renewal"]'::jsonb)) END,
         ${timeOf("i", 4)}
       FROM generate_series(1, ${DEAL_FIELD_CHANGES + BACKGROUND_AUDIT}) AS i
       CROSS JOIN LATERAL (SELECT
         CASE WHEN i <= ${DEAL_FIELD_CHANGES} THEN 'deal' WHEN i % 2 = 0 THEN 'lead' WHEN i % 3 = 0 THEN 'deal'
           WHEN i % 3 = 1 THEN 'contact' ELSE 'company' END AS entity,
         CASE WHEN i <= ${DEAL_FIELD_CHANGES} THEN ${idOf("deal", "0")}
           WHEN i % 2 = 0 THEN (SELECT ids[1 + i % cardinality(ids)] FROM leads)
           WHEN i % 3 = 0 THEN ${idOf("deal", `1 + i % ${BACKGROUND_DEALS}`)}
           WHEN i % 3 = 1 THEN ${idOf("contact", `1 + i % ${BACKGROUND_CONTACTS}`)}
           ELSE ${idOf("company", `1 + i % ${BACKGROUND_COMPANIES}`)} END AS id) t`,
    ],
    [
      "stage moves",
      // Deal d's move k enters open stage k (cycling), from the stage of move k - 1, every 6 hours up to now.
      `INSERT INTO "DealStageChange" ("id", "organizationId", "dealId", "pipelineId", "fromStageId", "stageId", "status",
         "enteredAt", "leftAt", "actorUserId")
       SELECT ${idOf("stage-move", "d * 100000 + k")}, $1, ${idOf("deal", "d")}, $4,
         CASE WHEN k > 0 THEN ${stageOf("k - 1")} END, ${stageOf("k")}, 'open',
         $3::timestamptz - (m.moves - k) * interval '6 hours' - d * interval '1 minute',
         CASE WHEN k < m.moves - 1 THEN $3::timestamptz - (m.moves - k - 1) * interval '6 hours' - d * interval '1 minute' END, $2
       FROM generate_series(0, ${BACKGROUND_DEALS}) AS d
       CROSS JOIN LATERAL (SELECT CASE WHEN d = 0 THEN ${DEAL_STAGE_MOVES} ELSE ${MOVES_PER_BACKGROUND_DEAL} END AS moves) m
       CROSS JOIN LATERAL generate_series(0, m.moves - 1) AS k`,
    ],
  ];

  // The statements name the same five values ($1...$5) but not all of them each, which a prepared
  // statement refuses (an unused parameter has no type): they go in as literals, all ids and a time we made.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const values: Record<string, string> = {
    $1: `'${target.organizationId}'::uuid`,
    $2: `'${target.userId}'::uuid`,
    $3: `'${now}'::timestamptz`,
    $4: `'${pipeline.id}'::uuid`,
    $5: `ARRAY[${pipeline.open.map((id) => `'${id}'`).join(",")}]`,
  };
  const counts: Record<string, number> = {};
  await withClient(url, async (client) => {
    for (const [label, sql] of statements) {
      const result = await client.query(sql.replace(/\$[1-5]\b/g, (name) => values[name] ?? name));
      counts[label] = result.rowCount ?? 0;
      log(`  timeline seed: ${(result.rowCount ?? 0).toLocaleString("en-US")} ${label}`);
    }
    await client.query(
      'VACUUM ANALYZE "Company", "Contact", "ContactCompany", "Deal", "Interaction", "AuditLog", "DealStageChange"',
    );
  });
  return { dealId, companyId, seconds: (Date.now() - started) / 1000, counts };
}
