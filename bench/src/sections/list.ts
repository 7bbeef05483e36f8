import { authorization, type BenchContext, baselineServer as baselineServerSpec, fetchJson, realServer } from "../context.ts";
import { COMMON_TRIGRAM_TERM, SEARCH_TERM } from "../data.ts";
import { backendPids, query, withClient } from "../database.ts";
import { listLeadsSql } from "../list-sql.ts";
import { type LoadResult, runLoad } from "../load.ts";
import { type CpuUse, cpuProbe, waitForQuietCpu } from "../machine.ts";
import { ServerProcess } from "../processes.ts";
import { fmt, type Row } from "../report.ts";

const STATUSES = ["new", "contacted"];
const P99_TARGET_MS = 50;
const THROUGHPUT_TARGET = 0.5;

interface Page {
  items: { id: string }[];
  nextCursor: string | null;
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/**
 * What PostgreSQL alone does with the list query for `term`: its plan as "node (index)" steps,
 * and the median execution time of a few runs (EXPLAIN ANALYZE, after one to warm the cache).
 */
async function explainList(context: BenchContext, term: string) {
  const { sql, params } = listLeadsSql(context.organizationId, STATUSES, term, 25);
  const times: number[] = [];
  let plan: PlanNode | undefined;
  // One connection for every run, as a pooled server has: warm caches, no connection start-up.
  await withClient(context.database.url, async (client) => {
    for (let run = 0; run < 6; run++) {
      const { rows } = await client.query<{ "QUERY PLAN": { Plan: PlanNode; "Execution Time": number }[] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
        params,
      );
      const result = rows[0]?.["QUERY PLAN"][0];
      plan = result?.Plan;
      if (run > 0 && result) times.push(result["Execution Time"]);
    }
  });
  times.sort((a, b) => a - b);
  const steps: string[] = [];
  const walk = (node: PlanNode) => {
    steps.push(node["Index Name"] ? `${node["Node Type"]} (${node["Index Name"]})` : node["Node Type"]);
    for (const child of node.Plans ?? []) walk(child);
  };
  if (plan) walk(plan);
  return { plan: steps.join(" → "), medianMs: times[Math.floor(times.length / 2)] ?? Number.NaN };
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

/** Most of the CPU other work may take during a measured run before the run is repeated. */
const MAX_OTHER_CPU = 0.1;
const ATTEMPTS = 3;

type Measured = LoadResult & { cpuPerRequest: { server: number; database: number; load: number }; otherShare: number };

/** One thing to load: a URL on a running server. */
interface Target {
  label: string;
  server: ServerProcess;
  url: string;
  headers: Record<string, string>;
}

/**
 * One measured run of `target`. On this shared machine a run during which other work took more
 * than MAX_OTHER_CPU of the CPUs is repeated (up to ATTEMPTS runs), once the machine is quiet again.
 */
async function measureOnce(context: BenchContext, target: Target, round: number): Promise<Measured> {
  const { connections, duration } = context.options;
  const { label, server, url, headers } = target;
  let result: LoadResult | undefined;
  let cpu: CpuUse | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (attempt > 1) await waitForQuietCpu(context.log, 120);
    const probe = cpuProbe({ server: [server.pid], database: await backendPids(context.database.url) });
    result = await runLoad({ url, headers, connections, seconds: duration });
    cpu = probe.stop({ database: await backendPids(context.database.url) });
    if (cpu.otherShare <= MAX_OTHER_CPU) break;
    context.log(
      `  ${label}: other work took ${fmt.percent(cpu.otherShare)} of the CPUs during the run` +
        (attempt < ATTEMPTS ? "; measuring again" : "; keeping this run"),
    );
  }
  if (!result || !cpu) throw new Error(`${label}: no measurement`);
  const perRequest = (group: string) => ((cpu?.seconds[group] ?? 0) * 1000) / (result?.requests || 1);
  const cpuPerRequest = { server: perRequest("server"), database: perRequest("database"), load: perRequest("bench") };
  context.log(
    `  round ${round}, ${label}: ${fmt.rate(result.requestsPerSecond)}, p50 ${fmt.ms(result.p50Ms)}, p99 ${fmt.ms(result.p99Ms)}; ` +
      `CPU per request: server ${fmt.ms(cpuPerRequest.server)}, PostgreSQL ${fmt.ms(cpuPerRequest.database)}, ` +
      `load generator ${fmt.ms(cpuPerRequest.load)}; other work ${fmt.percent(cpu.otherShare)} of the CPUs` +
      (result.failures ? `; ${result.failures} FAILED requests` : ""),
  );
  if (result.failures) throw new Error(`${label}: ${result.failures} of ${result.requests} requests failed`);
  return { ...result, cpuPerRequest, otherShare: cpu.otherShare };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** The median of each reported figure over the rounds of one target. */
function medianOf(runs: Measured[]) {
  const of = (pick: (run: Measured) => number) => median(runs.map(pick));
  return {
    requestsPerSecond: of((run) => run.requestsPerSecond),
    p50Ms: of((run) => run.p50Ms),
    p99Ms: of((run) => run.p99Ms),
    cpuPerRequest: { server: of((run) => run.cpuPerRequest.server), database: of((run) => run.cpuPerRequest.database) },
  };
}

/**
 * Every target warmed up, then `rounds` rounds that each measure every target once, in turn. This
 * machine's speed drifts by tens of percent over minutes; measuring the targets back to back in
 * every round, and comparing each with the baseline of its own round, keeps that drift out of the
 * ratios.
 */
async function measureInRounds(context: BenchContext, targets: Target[]) {
  const { connections, warmup, duration, rounds } = context.options;
  context.log(
    `  ${targets.map((target) => target.label).join(", ")}: warm-up ${warmup} s each, then ${rounds} rounds of ` +
      `${duration} s each at ${connections} connections`,
  );
  for (const { url, headers } of targets) await runLoad({ url, headers, connections, seconds: warmup });
  const runs = targets.map(() => [] as Measured[]);
  for (let round = 1; round <= rounds; round++) {
    for (const [index, target] of targets.entries()) runs[index]?.push(await measureOnce(context, target, round));
  }
  return runs;
}

function rowsFor(label: string, runs: Measured[], baselineRuns: Measured[]): Row[] {
  const ours = medianOf(runs);
  const baseline = medianOf(baselineRuns);
  const perRound = (pick: (run: Measured) => number) =>
    median(runs.map((run, round) => pick(run) / pick(baselineRuns[round] ?? run)));
  const share = perRound((run) => run.requestsPerSecond);
  const cpu = (measured: ReturnType<typeof medianOf>) =>
    `${fmt.ms(measured.cpuPerRequest.server)} + ${fmt.ms(measured.cpuPerRequest.database)}`;
  return [
    {
      metric: `list ${label}: throughput`,
      ours: fmt.rate(ours.requestsPerSecond),
      baseline: fmt.rate(baseline.requestsPerSecond),
      ratio: fmt.percent(share),
      target: `≥ ${fmt.percent(THROUGHPUT_TARGET)} of baseline`,
      pass: share >= THROUGHPUT_TARGET,
    },
    {
      metric: `list ${label}: p50 latency`,
      ours: fmt.ms(ours.p50Ms),
      baseline: fmt.ms(baseline.p50Ms),
      ratio: fmt.ratio(perRound((run) => run.p50Ms)),
      target: "",
    },
    {
      metric: `list ${label}: p99 latency`,
      ours: fmt.ms(ours.p99Ms),
      baseline: fmt.ms(baseline.p99Ms),
      ratio: fmt.ratio(perRound((run) => run.p99Ms)),
      target: `< ${P99_TARGET_MS} ms`,
      pass: ours.p99Ms < P99_TARGET_MS,
    },
    {
      metric: `list ${label}: CPU per request, server + PostgreSQL`,
      ours: cpu(ours),
      baseline: cpu(baseline),
      ratio: fmt.ratio(perRound((run) => run.cpuPerRequest.server + run.cpuPerRequest.database)),
      target: "",
    },
  ];
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
      context.rows.push(...rowsFor("REST", restRuns, baselineRuns), ...rowsFor("tRPC", trpcRuns, baselineRuns));
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
