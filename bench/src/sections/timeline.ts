import { type TimelineRecord, type TimelineResourceKey, timelineSql } from "@crm/api";
import { authorization, type BenchContext, baselineServer as baselineServerSpec, fetchJson, realServer } from "../context.ts";
import { withClient } from "../database.ts";
import { explainQuery, type PlanNode } from "../explain.ts";
import { ServerProcess } from "../processes.ts";
import { fmt, type Row } from "../report.ts";
import { measureInRounds, rowsFor, type Target } from "../rounds.ts";
import {
  DEAL_FIELD_CHANGES,
  DEAL_INTERACTIONS,
  DEAL_STAGE_MOVES,
  INTERACTIONS_PER_CONTACT,
  ROLLUP_CONTACTS,
  seedTimeline,
} from "../timeline-seed.ts";

const LIMIT = 25;
/** "A few milliseconds of database time" for the first page, whatever the record holds. */
const DATABASE_TIME_TARGET_MS = 5;

interface Page {
  items: { id: string }[];
  nextCursor: string | null;
}

interface MeasuredRecord {
  label: string;
  resource: TimelineResourceKey;
  singular: string;
  id: string;
}

/** "Node (index) rows×loops", depth first, indented by depth: the plan as the notes print it. */
function planLines(node: PlanNode, depth = 0): string[] {
  const name = node["Index Name"]
    ? `${node["Node Type"]} (${node["Index Name"]})`
    : node["Relation Name"]
      ? `${node["Node Type"]} on ${node["Relation Name"]}`
      : node["Node Type"];
  const loops = node["Actual Loops"] ?? 1;
  const rows = `${fmt.count(node["Actual Rows"] ?? 0)} rows${loops > 1 ? ` × ${fmt.count(loops)} loops` : ""}`;
  return [`${"  ".repeat(depth)}${name}: ${rows}`, ...(node.Plans ?? []).flatMap((child) => planLines(child, depth + 1))];
}

/** The nodes a first page should not have: sequential scans, and sorts of more rows than the branches' n+1 each. */
function slowSteps(node: PlanNode, sortBound: number): string[] {
  const rows = (node["Actual Rows"] ?? 0) * (node["Actual Loops"] ?? 1);
  const here =
    node["Node Type"] === "Seq Scan"
      ? [`Seq Scan on ${node["Relation Name"]} (${fmt.count(rows)} rows)`]
      : node["Node Type"].endsWith("Sort") && rows > sortBound
        ? [`${node["Node Type"]} of ${fmt.count(rows)} rows`]
        : [];
  return [...here, ...(node.Plans ?? []).flatMap((child) => slowSteps(child, sortBound))];
}

async function entryCount(context: BenchContext, record: TimelineRecord) {
  // The whole feed: the first page's SQL with a limit past any record's entries.
  const sql = timelineSql(record, { limit: 1_000_000 });
  if (!sql) return 0;
  return withClient(context.database.url, async (client) => {
    const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM (${sql.text}) page`, sql.values);
    return Number(rows[0]?.count);
  });
}

/**
 * The first page (25) of two timelines: a deal of 10,000 entries (interactions, field changes,
 * stage moves) and a company rolling up its 100 contacts' interactions (and its deals' and its
 * own). PostgreSQL alone (EXPLAIN ANALYZE of the SQL the API runs), then HTTP load through REST and
 * tRPC on the real server against the same SQL on the bare Fastify + `pg` baseline.
 */
export async function benchTimeline(context: BenchContext): Promise<void> {
  const seed = await seedTimeline(
    context.database.url,
    { organizationId: context.organizationId, userId: context.userId },
    context.log,
  );
  context.log(`  seeded in ${fmt.seconds(seed.seconds)} (vacuum analyze included)`);
  const records: MeasuredRecord[] = [
    { label: "deal", resource: "deals", singular: "deal", id: seed.dealId },
    { label: "company", resource: "companies", singular: "company", id: seed.companyId },
  ];
  context.notes.push({
    section: "timeline",
    text:
      `seeded in ${fmt.seconds(seed.seconds)}: ${Object.entries(seed.counts)
        .map(([label, count]) => `${fmt.count(count)} ${label}`)
        .join(", ")}; the deal holds ${fmt.count(DEAL_INTERACTIONS)} interactions, ${fmt.count(DEAL_FIELD_CHANGES)} field ` +
      `changes and ${fmt.count(DEAL_STAGE_MOVES)} stage moves; the company ${fmt.count(ROLLUP_CONTACTS)} contacts of ` +
      `${fmt.count(INTERACTIONS_PER_CONTACT)} interactions each, plus its own and its deals'`,
  });

  for (const record of records) {
    const timelineRecord: TimelineRecord = { organizationId: context.organizationId, ...record };
    const sql = timelineSql(timelineRecord, { limit: LIMIT });
    if (!sql) throw new Error(`no timeline SQL for ${record.resource}`);
    const entries = await entryCount(context, timelineRecord);
    const explained = await explainQuery(context.database.url, sql.text, sql.values, ["BUFFERS"], 12);
    const plan = explained.plan;
    const buffers = plan ? (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0) : 0;
    // Each branch stops at n+1; a rollup's union before its cut holds n+1 per related record.
    const slow = plan ? slowSteps(plan, (LIMIT + 1) * (ROLLUP_CONTACTS + 10)) : [];
    const lines = plan ? planLines(plan) : [];
    context.log(`  ${record.label}: ${fmt.count(entries)} entries; PostgreSQL alone ${fmt.ms(explained.medianMs)} (median)`);
    for (const line of lines) context.log(`    ${line}`);
    context.notes.push({
      section: "timeline",
      text:
        `the ${record.label}'s timeline holds ${fmt.count(entries)} entries; PostgreSQL alone runs its first page in ` +
        `${fmt.ms(explained.medianMs)} (median of 11 EXPLAIN ANALYZE runs), ${fmt.count(buffers)} buffers; ` +
        (slow.length ? `slow steps: ${slow.join(", ")}` : "no sequential scan, no sort beyond the branches' n+1 rows") +
        `; plan:\n${lines.map((line) => `    ${line}`).join("\n")}`,
    });
    context.rows.push({
      metric: `timeline ${record.label} (${fmt.count(entries)} entries): first page, database time`,
      ours: fmt.ms(explained.medianMs),
      baseline: "",
      ratio: "",
      target: `< ${DATABASE_TIME_TARGET_MS} ms`,
      pass: explained.medianMs < DATABASE_TIME_TARGET_MS,
    });
  }

  const baselineServer = await ServerProcess.start(baselineServerSpec(context));
  try {
    const server = await ServerProcess.start(realServer(context));
    try {
      const headers = authorization(context);
      for (const record of records) {
        const trpcInput = encodeURIComponent(JSON.stringify({ json: { id: record.id, limit: LIMIT } }));
        const baseline: Target = {
          label: `${record.label} baseline`,
          server: baselineServer,
          url: `${baselineServer.url}/timeline/${record.resource}/${record.id}?limit=${LIMIT}`,
          headers: {},
        };
        const rest: Target = {
          label: `${record.label} REST`,
          server,
          url: `${server.url}/api/v1/${record.resource}/${record.id}/timeline?limit=${LIMIT}`,
          headers,
        };
        const trpc: Target = {
          label: `${record.label} tRPC`,
          server,
          url: `${server.url}/trpc/${record.resource}.timeline?input=${trpcInput}`,
          headers,
        };
        const baselinePage = await fetchJson<Page>(baseline.url);
        const restPage = await fetchJson<Page>(rest.url, { headers });
        const trpcPage = (await fetchJson<{ result: { data: { json: Page } } }>(trpc.url, { headers })).result.data.json;
        const ids = (page: Page) => page.items.map((item) => item.id).join(",");
        if (baselinePage.items.length !== LIMIT || !baselinePage.nextCursor) {
          throw new Error(
            `the ${record.label}'s first page holds ${baselinePage.items.length} entries, expected ${LIMIT} and a next page`,
          );
        }
        if (ids(restPage) !== ids(baselinePage) || ids(trpcPage) !== ids(baselinePage)) {
          throw new Error(`REST, tRPC and the baseline answered different first pages of the ${record.label}'s timeline`);
        }
        const [baselineRuns = [], restRuns = [], trpcRuns = []] = await measureInRounds(context, [baseline, rest, trpc]);
        const rows: Row[] = [
          ...rowsFor(`timeline ${record.label} REST`, restRuns, baselineRuns),
          ...rowsFor(`timeline ${record.label} tRPC`, trpcRuns, baselineRuns),
        ];
        context.rows.push(...rows);
        const otherShares = [...baselineRuns, ...restRuns, ...trpcRuns].map((run) => run.otherShare);
        context.notes.push({
          section: "timeline",
          text:
            `${record.label}: ${context.options.rounds} rounds of ${context.options.duration} s per target at ` +
            `${context.options.connections} connections; other work took ${fmt.percent(Math.min(...otherShares))}–` +
            `${fmt.percent(Math.max(...otherShares))} of the CPUs during the runs`,
        });
      }
      context.notes.push({
        section: "timeline",
        text:
          "the baseline runs only the page's SQL; the API also reads the record (NOT_FOUND, as its byId) and names " +
          "the entries' actors (one more query), on top of auth and validation",
      });
    } finally {
      await server.stop();
    }
  } finally {
    await baselineServer.stop();
  }
}
