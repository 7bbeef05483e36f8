import { closeSync, createWriteStream, openSync, readSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { authorization, type BenchContext, realServer } from "../context.ts";
import { SEED_SPACING_SECONDS } from "../data.ts";
import { backendPids, query } from "../database.ts";
import { type CpuUse, cpuProbe } from "../machine.ts";
import { ServerProcess } from "../processes.ts";
import { psql, psqlPath } from "../psql.ts";
import { fmt } from "../report.ts";

const RSS_TARGET_MB = 300;
/** "Flat": ten times the rows may cost at most this much more peak memory. */
const FLAT_TARGET = 1.25;
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** The export route answers an XLSX for an empty selection, or the section is skipped with the reason. */
async function exportRouteMissing(context: BenchContext, baseUrl: string): Promise<string | undefined> {
  const future = new Date(Date.now() + 365 * 86_400_000).toISOString();
  const response = await fetch(`${baseUrl}/api/v1/leads/export?format=xlsx&createdFrom=${future}`, {
    headers: authorization(context),
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status === 200 && response.headers.get("content-type")?.startsWith(XLSX_TYPE)) return undefined;
  return `GET /api/v1/leads/export?format=xlsx answered ${response.status} ${response.headers.get("content-type") ?? ""}: ${body
    .toString("utf8")
    .slice(0, 200)}`;
}

/** `createdFrom` selecting exactly the `count` newest seeded leads (less the soft-deleted ones). */
function createdFromFor(context: BenchContext, count: number): Date {
  return new Date(context.newest.getTime() - (count - 1) * SEED_SPACING_SECONDS * 1000);
}

function isZip(file: string): boolean {
  const header = Buffer.alloc(2);
  const fd = openSync(file, "r");
  try {
    readSync(fd, header, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  return header.toString("latin1") === "PK";
}

interface ExportRun {
  rows: number;
  seconds: number;
  bytes: number;
  idleMb: number;
  peakMb: number;
  cpu: CpuUse;
}

/** One export on a fresh server, so VmHWM is the peak of this export alone (and of start-up). */
async function exportOnce(context: BenchContext, count: number): Promise<ExportRun> {
  const createdFrom = createdFromFor(context, count).toISOString();
  const file = path.join(context.workDir, `export-${count}.xlsx`);
  const server = await ServerProcess.start(realServer(context));
  try {
    // One small request first: the idle figure is a server that has served the API.
    await fetch(`${server.url}/api/v1/leads?limit=1`, { headers: authorization(context) }).then((response) => response.text());
    const idleMb = server.memory().rssMb;
    server.resetPeakMemory();
    server.sampleMemory();
    const probe = cpuProbe({ server: [server.pid], database: await backendPids(context.database.url) });
    const started = process.hrtime.bigint();
    const response = await fetch(`${server.url}/api/v1/leads/export?format=xlsx&createdFrom=${createdFrom}`, {
      headers: authorization(context),
    });
    if (response.status !== 200 || !response.body) {
      throw new Error(`export of ${count} leads answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    }
    await pipeline(Readable.fromWeb(response.body as WebReadableStream), createWriteStream(file));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = probe.stop({ database: await backendPids(context.database.url) });
    server.stopSampling();
    const { peakMb } = server.memory();
    const bytes = statSync(file).size;
    if (!isZip(file)) throw new Error(`export of ${count} leads is not an XLSX (no zip header)`);
    return { rows: count, seconds, bytes, idleMb, peakMb: Math.max(peakMb, server.sampledPeakMb), cpu };
  } finally {
    await server.stop();
    rmSync(file, { force: true });
  }
}

/** The same selection copied out by PostgreSQL itself (CSV): the floor for reading the rows. */
async function copyOut(context: BenchContext, count: number): Promise<{ seconds: number; rows: number }> {
  const file = path.join(context.workDir, `export-${count}.csv`);
  const createdFrom = createdFromFor(context, count).toISOString();
  const { output, seconds } = await psql(
    context.database.url,
    `\\copy (SELECT * FROM "Lead" WHERE "organizationId" = '${context.organizationId}' AND "deletedAt" IS NULL ` +
      `AND "createdAt" >= '${createdFrom}' ORDER BY "createdAt" DESC, "id" DESC) TO ${psqlPath(file)} WITH (FORMAT csv, HEADER true)`,
  );
  rmSync(file, { force: true });
  return { seconds, rows: Number(/COPY (\d+)/.exec(output)?.[1] ?? Number.NaN) };
}

/** Exports of a tenth of the seeded leads and of all of them, to XLSX: time and peak RSS of the server. */
export async function benchExport(context: BenchContext): Promise<void> {
  const probe = await ServerProcess.start(realServer(context));
  let missing: string | undefined;
  try {
    missing = await exportRouteMissing(context, probe.url);
  } finally {
    await probe.stop();
  }
  if (missing) {
    context.notes.push({ section: "export", text: `skipped: the export route is not there yet (${missing})` });
    context.log(`  skipped: ${missing}`);
    return;
  }

  const sizes = [Math.round(context.options.rows / 10), context.options.rows];
  const runs: ExportRun[] = [];
  for (const count of sizes) {
    const [live] = await query<{ count: string }>(
      context.database.url,
      `SELECT count(*) FROM "Lead" WHERE "organizationId" = $1 AND "deletedAt" IS NULL AND "createdAt" >= $2`,
      [context.organizationId, createdFromFor(context, count)],
    );
    context.log(`  exporting ${fmt.count(count)} newest leads (${fmt.count(Number(live?.count))} live) to XLSX`);
    const run = await exportOnce(context, count);
    const copy = await copyOut(context, count);
    context.log(
      `  XLSX ${fmt.seconds(run.seconds)}, ${(run.bytes / 1_048_576).toFixed(1)} MiB, peak RSS ${fmt.mb(run.peakMb)} ` +
        `(idle ${fmt.mb(run.idleMb)}), CPU: server ${fmt.seconds(run.cpu.seconds.server ?? 0)}, PostgreSQL ${fmt.seconds(run.cpu.seconds.database ?? 0)}, other work ${fmt.percent(run.cpu.otherShare)}; psql \\copy CSV ${fmt.seconds(copy.seconds)} for ${fmt.count(copy.rows)} rows`,
    );
    const label = `export ${fmt.count(count)} XLSX`;
    context.rows.push(
      {
        metric: `${label}: time`,
        ours: fmt.seconds(run.seconds),
        baseline: `${fmt.seconds(copy.seconds)} (psql \\copy CSV)`,
        ratio: fmt.ratio(run.seconds / copy.seconds),
        target: "",
      },
      {
        metric: `${label}: peak RSS`,
        ours: fmt.mb(run.peakMb),
        baseline: `${fmt.mb(run.idleMb)} (idle server)`,
        ratio: fmt.ratio(run.peakMb / run.idleMb),
        target: `< ${RSS_TARGET_MB} MB`,
        pass: run.peakMb < RSS_TARGET_MB,
      },
    );
    runs.push(run);
    context.notes.push({
      section: "export",
      text:
        `${fmt.count(count)} rows: the server used ${fmt.seconds(run.cpu.seconds.server ?? 0)} of CPU, PostgreSQL ` +
        `${fmt.seconds(run.cpu.seconds.database ?? 0)}; other work took ${fmt.percent(run.cpu.otherShare)} of the CPUs`,
    });
  }
  const [small, large] = runs;
  if (small && large) {
    const growth = large.peakMb / small.peakMb;
    context.rows.push({
      metric: "export XLSX: RSS flat (10× the rows)",
      ours: fmt.mb(large.peakMb),
      baseline: `${fmt.mb(small.peakMb)} (${fmt.count(small.rows)} rows)`,
      ratio: fmt.ratio(growth),
      target: `≤ ${fmt.ratio(FLAT_TARGET)}`,
      pass: growth <= FLAT_TARGET,
    });
  }
}
