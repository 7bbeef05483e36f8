import { authorization, type BenchContext, baselineServer as baselineServerSpec, fetchJson, realServer } from "../context.ts";
import { COMMON_TRIGRAM_TERM, SEARCH_TERM } from "../data.ts";
import { query } from "../database.ts";
import { explainQuery } from "../explain.ts";
import { listLeadsSql } from "../list-sql.ts";
import { ServerProcess } from "../processes.ts";
import { fmt } from "../report.ts";
import { measureInRounds, rowsFor } from "../rounds.ts";

const STATUSES = ["new", "contacted"];

interface Page {
  items: { id: string }[];
  nextCursor: string | null;
}

/**
 * What PostgreSQL alone does with the list query for `term`: its plan as "node (index)" steps,
 * and the median execution time of a few runs (EXPLAIN ANALYZE, after one to warm the cache).
 */
async function explainList(context: BenchContext, term: string) {
  const { sql, params } = listLeadsSql(context.organizationId, STATUSES, term, 25);
  const explained = await explainQuery(context.database.url, sql, params);
  return { plan: explained.steps.join(" → "), medianMs: explained.medianMs };
}

async function keywordCounts(context: BenchContext, term: string) {
  const [counts] = await query<{ keyword: string; filtered: string }>(
    context.database.url,
    `SELECT count(*) AS keyword, count(*) FILTER (WHERE "status" IN ('new', 'contacted')) AS filtered
     FROM "Lead" WHERE "organizationId" = $1 AND "deletedAt" IS NULL AND "searchText" LIKE ('%' || $2 || '%')`,
    [context.organizationId, term],
  );
  return { keyword: Number(counts?.keyword), filtered: Number(counts?.filtered) };
}

/**
 * A page of 25 leads, status new or contacted, keyword SEARCH_TERM, newest first: through REST
 * and tRPC on the real server, and through the bare Fastify + pg baseline, one server at a time.
 */
export async function benchList(context: BenchContext): Promise<void> {
  const counts = await keywordCounts(context, SEARCH_TERM);
  const explained = await explainList(context, SEARCH_TERM);
  context.notes.push({
    section: "list",
    text:
      `keyword "${SEARCH_TERM}" matches ${fmt.count(counts.keyword)} live leads, ${fmt.count(counts.filtered)} of them new or ` +
      `contacted; PostgreSQL alone runs the page query in ${fmt.ms(explained.medianMs)} (median), plan: ${explained.plan}`,
  });
  context.log(`  keyword "${SEARCH_TERM}": ${counts.keyword} matches, ${counts.filtered} after the status filter`);
  context.log(`  PostgreSQL alone: ${fmt.ms(explained.medianMs)}; plan: ${explained.plan}`);
  if (counts.filtered === 0) throw new Error(`the keyword "${SEARCH_TERM}" matches no new or contacted lead`);

  const hard = await keywordCounts(context, COMMON_TRIGRAM_TERM);
  const hardExplained = await explainList(context, COMMON_TRIGRAM_TERM);
  context.notes.push({
    section: "list",
    text:
      `a keyword of common trigrams, "${COMMON_TRIGRAM_TERM}" (${fmt.count(hard.keyword)} matches, ${fmt.count(hard.filtered)} ` +
      `new or contacted), costs PostgreSQL alone ${fmt.ms(hardExplained.medianMs)} per page (plan: ${hardExplained.plan}); ` +
      "not load-tested",
  });

  const restQuery = new URLSearchParams({
    status: STATUSES.join(","),
    search: SEARCH_TERM,
    sortBy: "createdAt",
    sortOrder: "desc",
    limit: "25",
  });
  const trpcInput = encodeURIComponent(
    JSON.stringify({ json: { status: STATUSES, search: SEARCH_TERM, sortBy: "createdAt", sortOrder: "desc", limit: 25 } }),
  );

  const baselineServer = await ServerProcess.start(baselineServerSpec(context));
  try {
    // Both servers stay up for the whole section; only the one under load does any work.
    const server = await ServerProcess.start(realServer(context));
    try {
      const headers = authorization(context);
      const baseline = {
        label: "baseline",
        server: baselineServer,
        url: `${baselineServer.url}/leads?${restQuery}`,
        headers: {},
      };
      const rest = { label: "REST", server, url: `${server.url}/api/v1/leads?${restQuery}`, headers };
      const trpc = { label: "tRPC", server, url: `${server.url}/trpc/leads.list?input=${trpcInput}`, headers };
      // The three must answer the same page, or the comparison means nothing.
      const baselinePage = await fetchJson<Page>(baseline.url);
      const restPage = await fetchJson<Page>(rest.url, { headers });
      const trpcPage = (await fetchJson<{ result: { data: { json: Page } } }>(trpc.url, { headers })).result.data.json;
      const ids = (page: Page) => page.items.map((item) => item.id).join(",");
      if (ids(restPage) !== ids(baselinePage) || ids(trpcPage) !== ids(baselinePage)) {
        throw new Error("REST, tRPC and the baseline answered different pages for the same query");
      }

      const [baselineRuns = [], restRuns = [], trpcRuns = []] = await measureInRounds(context, [baseline, rest, trpc]);
      context.rows.push(...rowsFor("list REST", restRuns, baselineRuns), ...rowsFor("list tRPC", trpcRuns, baselineRuns));
      const otherShares = [...baselineRuns, ...restRuns, ...trpcRuns].map((run) => run.otherShare);
      context.notes.push({
        section: "list",
        text:
          `${context.options.rounds} rounds of ${context.options.duration} s per target; figures are medians over the rounds, ` +
          "ratios the median of each round's ratio to the baseline of the same round; other work took " +
          `${fmt.percent(Math.min(...otherShares))}–${fmt.percent(Math.max(...otherShares))} of the CPUs during the runs`,
      });
    } finally {
      await server.stop();
    }
  } finally {
    await baselineServer.stop();
  }
}
