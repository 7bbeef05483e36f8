import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { authorization, type BenchContext, baselineServer, realServer } from "../context.ts";
import { backendPids, query } from "../database.ts";
import { cpuProbe } from "../machine.ts";
import { ServerProcess } from "../processes.ts";
import { fmt, type Row } from "../report.ts";

type Operation = "list" | "read" | "create" | "update";

/** The mix, in the order each connection sends it: 40% lists, 30% reads, 15% creates, 15% updates. */
const MIX: Operation[] = "LRCLRULRLCRULRLURCLR"
  .split("")
  .map((letter) => ({ L: "list", R: "read", C: "create", U: "update" })[letter] as Operation);

interface Request {
  method: "GET" | "POST" | "PATCH";
  path: string;
  body?: string;
}

/** How one target spells each operation (the same work through REST, tRPC and the baseline). */
type Dialect = (operation: Operation, id: string, email: string) => Request;

const json = (value: unknown) => JSON.stringify(value);
const trpcQuery = (procedure: string, input: unknown) => `/trpc/${procedure}?input=${encodeURIComponent(json({ json: input }))}`;

const DIALECTS: Record<"baseline" | "REST" | "tRPC", Dialect> = {
  baseline: (operation, id, email) =>
    ({
      list: { method: "GET", path: "/leads?status=new,contacted&limit=25" },
      read: { method: "GET", path: `/leads/${id}` },
      create: { method: "POST", path: "/leads", body: json({ firstName: "Mixed", email }) },
      update: { method: "PATCH", path: `/leads/${id}`, body: json({ jobTitle: `Title ${email}` }) },
    })[operation] as Request,
  REST: (operation, id, email) =>
    ({
      list: { method: "GET", path: "/api/v1/leads?status=new,contacted&limit=25" },
      read: { method: "GET", path: `/api/v1/leads/${id}` },
      create: { method: "POST", path: "/api/v1/leads", body: json({ firstName: "Mixed", email }) },
      update: { method: "PATCH", path: `/api/v1/leads/${id}`, body: json({ jobTitle: `Title ${email}` }) },
    })[operation] as Request,
  tRPC: (operation, id, email) =>
    ({
      list: { method: "GET", path: trpcQuery("leads.list", { status: ["new", "contacted"], limit: 25 }) },
      read: { method: "GET", path: trpcQuery("leads.byId", { id }) },
      create: { method: "POST", path: "/trpc/leads.create", body: json({ json: { firstName: "Mixed", email } }) },
      update: { method: "POST", path: "/trpc/leads.update", body: json({ json: { id, jobTitle: `Title ${email}` } }) },
    })[operation] as Request,
};

interface MixedRun {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Answers by HTTP status, plus "errors" (connection errors) and "timeouts". */
  statuses: Record<string, number>;
  cpuPerRequest: { server: number; database: number };
  otherShare: number;
}

async function runMixed(
  context: BenchContext,
  target: { label: keyof typeof DIALECTS; server: ServerProcess; headers: Record<string, string> },
  ids: string[],
  seconds: number,
): Promise<MixedRun> {
  const dialect = DIALECTS[target.label];
  const prefix = `mixed-${target.label.toLowerCase()}-${randomBytes(3).toString("hex")}`;
  let sequence = 0;
  const probe = cpuProbe({ server: [target.server.pid], database: await backendPids(context.database.url) });
  const result = await autocannon({
    url: target.server.url,
    connections: context.options.mixedConnections,
    duration: seconds,
    timeout: 30,
    headers: { ...target.headers, "content-type": "application/json" },
    requests: MIX.map((operation) => ({
      method: "GET",
      setupRequest: (request: autocannon.Request) => {
        const n = sequence++;
        const spelled = dialect(operation, ids[n % ids.length] ?? "", `${prefix}-${n}@bench.example`);
        return { ...request, ...spelled };
      },
    })),
  });
  const cpu = probe.stop({ database: await backendPids(context.database.url) });
  const statuses: Record<string, number> = {};
  for (const [status, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = count;
  if (result.errors) statuses.errors = result.errors;
  if (result.timeouts) statuses.timeouts = result.timeouts;
  const total = result.requests.total || 1;
  const perRequest = (group: string) => ((cpu.seconds[group] ?? 0) * 1000) / total;
  const run: MixedRun = {
    requestsPerSecond: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    statuses,
    cpuPerRequest: { server: perRequest("server"), database: perRequest("database") },
    otherShare: cpu.otherShare,
  };
  context.log(
    `  ${target.label}: ${fmt.rate(run.requestsPerSecond)}, p50 ${fmt.ms(run.p50Ms)}, p99 ${fmt.ms(run.p99Ms)}; ` +
      `statuses ${describeStatuses(statuses)}; CPU per request: server ${fmt.ms(run.cpuPerRequest.server)}, ` +
      `PostgreSQL ${fmt.ms(run.cpuPerRequest.database)}; other work ${fmt.percent(run.otherShare)} of the CPUs`,
  );
  return run;
}

function describeStatuses(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([status, count]) => `${status}: ${fmt.count(count)}`)
    .join(", ");
}

/** No answer outside 2xx: no 500 (and no 503 either, at this load, with the default pool bounds). */
function allSucceeded(statuses: Record<string, number>): boolean {
  return Object.keys(statuses).every((status) => /^2\d\d$/.test(status));
}

function rowsFor(label: string, ours: MixedRun, baseline: MixedRun): Row[] {
  const cpu = (run: MixedRun) => `${fmt.ms(run.cpuPerRequest.server)} + ${fmt.ms(run.cpuPerRequest.database)}`;
  const cpuTotal = (run: MixedRun) => run.cpuPerRequest.server + run.cpuPerRequest.database;
  return [
    {
      metric: `mixed ${label}: throughput`,
      ours: fmt.rate(ours.requestsPerSecond),
      baseline: fmt.rate(baseline.requestsPerSecond),
      ratio: fmt.percent(ours.requestsPerSecond / baseline.requestsPerSecond),
      target: "",
    },
    {
      metric: `mixed ${label}: p50 latency`,
      ours: fmt.ms(ours.p50Ms),
      baseline: fmt.ms(baseline.p50Ms),
      ratio: fmt.ratio(ours.p50Ms / baseline.p50Ms),
      target: "",
    },
    {
      metric: `mixed ${label}: p99 latency`,
      ours: fmt.ms(ours.p99Ms),
      baseline: fmt.ms(baseline.p99Ms),
      ratio: fmt.ratio(ours.p99Ms / baseline.p99Ms),
      target: "",
    },
    {
      metric: `mixed ${label}: CPU per request, server + PostgreSQL`,
      ours: cpu(ours),
      baseline: cpu(baseline),
      ratio: fmt.ratio(cpuTotal(ours) / cpuTotal(baseline)),
      target: "",
    },
    {
      metric: `mixed ${label}: answers by status`,
      ours: describeStatuses(ours.statuses),
      baseline: describeStatuses(baseline.statuses),
      ratio: "",
      target: "no 5xx",
      pass: allSucceeded(ours.statuses),
    },
  ];
}

/**
 * `mixedConnections` clients (200) for `mixedDuration` seconds (60) each sending, in turn, the mix
 * of MIX: a page of 25 new or contacted leads, a lead by id, a new lead (with its audit entry) and a
 * change of one (with its audit entry), over the seeded organization; through REST and tRPC on the
 * real server, and the same work on the bare Fastify + pg baseline. The pool is the same for all.
 */
export async function benchMixed(context: BenchContext): Promise<void> {
  const ids = (
    await query<{ id: string }>(
      context.database.url,
      `SELECT "id" FROM "Lead" WHERE "organizationId" = $1 AND "deletedAt" IS NULL ORDER BY random() LIMIT 5000`,
      [context.organizationId],
    )
  ).map((row) => row.id);
  const { mixedConnections, mixedDuration, warmup } = context.options;
  context.log(
    `  ${mixedConnections} connections, ${mixedDuration} s per target after a ${warmup} s warm-up; ` +
      `mix: 40% lists, 30% reads, 15% creates, 15% updates over ${fmt.count(ids.length)} sampled leads`,
  );
  const baseline = await ServerProcess.start(baselineServer(context));
  let baselineRun: MixedRun;
  try {
    const target = { label: "baseline" as const, server: baseline, headers: {} };
    await runMixed(context, target, ids, warmup);
    baselineRun = await runMixed(context, target, ids, mixedDuration);
  } finally {
    await baseline.stop();
  }
  const server = await ServerProcess.start(realServer(context));
  try {
    for (const label of ["REST", "tRPC"] as const) {
      const target = { label, server, headers: authorization(context) };
      await runMixed(context, target, ids, warmup);
      const run = await runMixed(context, target, ids, mixedDuration);
      context.rows.push(...rowsFor(label, run, baselineRun));
      context.notes.push({
        section: "mixed",
        text: `${label}: other work took ${fmt.percent(run.otherShare)} of the CPUs during the run (baseline: ${fmt.percent(baselineRun.otherShare)})`,
      });
    }
  } finally {
    await server.stop();
  }
}
