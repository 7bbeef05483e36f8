import type { BenchContext } from "./context.ts";
import { backendPids } from "./database.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { type CpuUse, cpuProbe, waitForQuietCpu } from "./machine.ts";
import type { ServerProcess } from "./processes.ts";
import { fmt, type Row } from "./report.ts";

/**
 * HTTP load in rounds, as the list and timeline sections measure: each target (a URL on a running
 * server) warmed up, then measured back to back with the others in every round, and reported
 * against the baseline of its own round.
 */

const P99_TARGET_MS = 50;
const THROUGHPUT_TARGET = 0.5;

/** Most of the CPU other work may take during a measured run before the run is repeated. */
const MAX_OTHER_CPU = 0.1;
const ATTEMPTS = 3;

export type Measured = LoadResult & { cpuPerRequest: { server: number; database: number; load: number }; otherShare: number };

/** One thing to load: a URL on a running server. */
export interface Target {
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

export const median = (values: number[]) => {
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
export async function measureInRounds(context: BenchContext, targets: Target[]) {
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

export function rowsFor(label: string, runs: Measured[], baselineRuns: Measured[]): Row[] {
  const ours = medianOf(runs);
  const baseline = medianOf(baselineRuns);
  const perRound = (pick: (run: Measured) => number) =>
    median(runs.map((run, round) => pick(run) / pick(baselineRuns[round] ?? run)));
  const share = perRound((run) => run.requestsPerSecond);
  const cpu = (measured: ReturnType<typeof medianOf>) =>
    `${fmt.ms(measured.cpuPerRequest.server)} + ${fmt.ms(measured.cpuPerRequest.database)}`;
  return [
    {
      metric: `${label}: throughput`,
      ours: fmt.rate(ours.requestsPerSecond),
      baseline: fmt.rate(baseline.requestsPerSecond),
      ratio: fmt.percent(share),
      target: `≥ ${fmt.percent(THROUGHPUT_TARGET)} of baseline`,
      pass: share >= THROUGHPUT_TARGET,
    },
    {
      metric: `${label}: p50 latency`,
      ours: fmt.ms(ours.p50Ms),
      baseline: fmt.ms(baseline.p50Ms),
      ratio: fmt.ratio(perRound((run) => run.p50Ms)),
      target: "",
    },
    {
      metric: `${label}: p99 latency`,
      ours: fmt.ms(ours.p99Ms),
      baseline: fmt.ms(baseline.p99Ms),
      ratio: fmt.ratio(perRound((run) => run.p99Ms)),
      target: `< ${P99_TARGET_MS} ms`,
      pass: ours.p99Ms < P99_TARGET_MS,
    },
    {
      metric: `${label}: CPU per request, server + PostgreSQL`,
      ours: cpu(ours),
      baseline: cpu(baseline),
      ratio: fmt.ratio(perRound((run) => run.cpuPerRequest.server + run.cpuPerRequest.database)),
      target: "",
    },
  ];
}
