import { closeSync, createReadStream, createWriteStream, openSync, readSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { authorization, type BenchContext, realServer } from "../context.ts";
import { copyIn } from "../copy-in.ts";
import { backendPids, query } from "../database.ts";
import { writeImportFile } from "../import-file.ts";
import { type CpuUse, cpuProbe } from "../machine.ts";
import { ServerProcess } from "../processes.ts";
import { psql, psqlPath } from "../psql.ts";
import { fmt } from "../report.ts";
import type { BenchResource, ExportFormat, ExportSelection } from "../resources.ts";

const RSS_TARGET_MB = 300;
/** "Flat": ten times the rows may cost at most this much more peak memory. */
const FLAT_TARGET = 1.25;
const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/** The query of an export: the format and the selection. */
function exportQuery(format: ExportFormat, selection: { createdFrom?: Date }): string {
  return `format=${format}${selection.createdFrom ? `&createdFrom=${selection.createdFrom.toISOString()}` : ""}`;
}

/** The export route answers a file for an empty selection, or the section is skipped with the reason. */
async function exportRouteMissing(
  context: BenchContext,
  resource: BenchResource,
  format: ExportFormat,
  baseUrl: string,
): Promise<string | undefined> {
  const route = `/api/v1/${resource.key}/export?${exportQuery(format, { createdFrom: new Date(Date.now() + 365 * 86_400_000) })}`;
  const response = await fetch(`${baseUrl}${route}`, { headers: authorization(context) });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status === 200 && response.headers.get("content-type")?.startsWith(CONTENT_TYPES[format])) return undefined;
  return `GET ${route} answered ${response.status} ${response.headers.get("content-type") ?? ""}: ${body.toString("utf8").slice(0, 200)}`;
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

/** Lines of a file (the generated records hold no line breaks, so a CSV's records are its lines less the header). */
async function lineCount(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

/** Whether the file is what the format says: a zip for XLSX, a header and one line per record for CSV. */
async function checkFile(file: string, format: ExportFormat, live: number): Promise<string | undefined> {
  if (format === "xlsx") return isZip(file) ? undefined : "not an XLSX (no zip header)";
  const records = (await lineCount(file)) - 1;
  return records === live ? undefined : `a CSV of ${records} records, expected ${live}`;
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
async function exportOnce(
  context: BenchContext,
  resource: BenchResource,
  format: ExportFormat,
  selection: ExportSelection,
  live: number,
): Promise<ExportRun> {
  const file = path.join(context.workDir, `export-${resource.key}-${selection.count}.${format}`);
  const server = await ServerProcess.start(realServer(context));
  try {
    // One small request first: the idle figure is a server that has served the API.
    await fetch(`${server.url}/api/v1/${resource.key}?limit=1`, { headers: authorization(context) }).then((response) =>
      response.text(),
    );
    const idleMb = server.memory().rssMb;
    server.resetPeakMemory();
    server.sampleMemory();
    const probe = cpuProbe({ server: [server.pid], database: await backendPids(context.database.url) });
    const started = process.hrtime.bigint();
    const response = await fetch(`${server.url}/api/v1/${resource.key}/export?${exportQuery(format, selection)}`, {
      headers: authorization(context),
    });
    if (response.status !== 200 || !response.body) {
      throw new Error(
        `export of ${selection.count} ${resource.label} answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    }
    await pipeline(Readable.fromWeb(response.body as WebReadableStream), createWriteStream(file));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = probe.stop({ database: await backendPids(context.database.url) });
    server.stopSampling();
    const { peakMb } = server.memory();
    const bytes = statSync(file).size;
    const wrong = await checkFile(file, format, live);
    if (wrong) throw new Error(`export of ${selection.count} ${resource.label} is ${wrong}`);
    return { rows: selection.count, seconds, bytes, idleMb, peakMb: Math.max(peakMb, server.sampledPeakMb), cpu };
  } finally {
    await server.stop();
    rmSync(file, { force: true });
  }
}

/** The live records of the selection, as the export route and the baseline select them. */
function selectionWhere(context: BenchContext, selection: Pick<ExportSelection, "createdFrom">): string {
  return (
    `"organizationId" = '${context.organizationId}' AND "deletedAt" IS NULL` +
    (selection.createdFrom ? ` AND "createdAt" >= '${selection.createdFrom.toISOString()}'` : "")
  );
}

/** The same selection copied out by PostgreSQL itself (CSV): the floor for reading the rows. */
async function copyOut(context: BenchContext, resource: BenchResource, selection: ExportSelection) {
  const file = path.join(context.workDir, `export-${resource.key}-${selection.count}.csv`);
  const { output, seconds } = await psql(
    context.database.url,
    `\\copy (SELECT * FROM "${resource.table}" WHERE ${selectionWhere(context, selection)} ` +
      `ORDER BY "createdAt" DESC, "id" DESC) TO ${psqlPath(file)} WITH (FORMAT csv, HEADER true)`,
  );
  rmSync(file, { force: true });
  return { seconds, rows: Number(/COPY (\d+)/.exec(output)?.[1] ?? Number.NaN) };
}

async function liveCount(context: BenchContext, resource: BenchResource, selection: Pick<ExportSelection, "createdFrom">) {
  const [live] = await query<{ count: string }>(
    context.database.url,
    `SELECT count(*) FROM "${resource.table}" WHERE ${selectionWhere(context, selection)}`,
  );
  return Number(live?.count);
}

/**
 * Records of an `imported` resource when the import section did not run (`--only=export`): the
 * import file loaded by `psql \copy` into the bench organization, so there is something to export.
 */
async function loadWithoutImport(context: BenchContext, resource: BenchResource, section: string) {
  const file = path.join(context.workDir, `import-${resource.key}.csv`);
  try {
    await writeImportFile(file, resource, resource.importRows(context.options));
    const copy = await copyIn(context.database.url, resource, file, context.organizationId);
    await query(context.database.url, `VACUUM ANALYZE "${resource.table}"`);
    const text = `no ${resource.label} imported in this run: ${fmt.count(copy.rows)} loaded by psql \\copy to export`;
    context.log(`  ${text}`);
    context.notes.push({ section, text });
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Exports of the resource's selections (leads: a tenth of the seeded ones and all of them), in each
 * of its formats: time and peak RSS of the server, against `psql \copy ... TO` of the same rows.
 */
export async function benchExport(context: BenchContext, resource: BenchResource): Promise<void> {
  const section = `export ${resource.label}`;
  const probe = await ServerProcess.start(realServer(context));
  let missing: string | undefined;
  try {
    for (const format of resource.export.formats) missing ??= await exportRouteMissing(context, resource, format, probe.url);
  } finally {
    await probe.stop();
  }
  if (missing) {
    context.notes.push({ section, text: `skipped: the export route is not there yet (${missing})` });
    context.log(`  skipped: ${missing}`);
    return;
  }

  const selections = resource.export.selections(context);
  if (resource.export.records === "imported" && (await liveCount(context, resource, {})) === 0) {
    await loadWithoutImport(context, resource, section);
  }
  const runs = new Map<ExportFormat, ExportRun[]>();
  for (const selection of selections) {
    const live = await liveCount(context, resource, selection);
    for (const format of resource.export.formats) {
      const kind = format.toUpperCase();
      context.log(`  exporting ${fmt.count(selection.count)} newest ${resource.label} (${fmt.count(live)} live) to ${kind}`);
      const run = await exportOnce(context, resource, format, selection, live);
      context.log(
        `  ${kind} ${fmt.seconds(run.seconds)}, ${(run.bytes / 1_048_576).toFixed(1)} MiB, peak RSS ${fmt.mb(run.peakMb)} ` +
          `(idle ${fmt.mb(run.idleMb)}), CPU: server ${fmt.seconds(run.cpu.seconds.server ?? 0)}, PostgreSQL ${fmt.seconds(run.cpu.seconds.database ?? 0)}, other work ${fmt.percent(run.cpu.otherShare)}`,
      );
      runs.set(format, [...(runs.get(format) ?? []), run]);
      context.notes.push({
        section,
        text:
          `${fmt.count(selection.count)} rows to ${kind}: the server used ${fmt.seconds(run.cpu.seconds.server ?? 0)} of CPU, PostgreSQL ` +
          `${fmt.seconds(run.cpu.seconds.database ?? 0)}; other work took ${fmt.percent(run.cpu.otherShare)} of the CPUs`,
      });
    }
    const copy = await copyOut(context, resource, selection);
    context.log(`  psql \\copy CSV ${fmt.seconds(copy.seconds)} for ${fmt.count(copy.rows)} rows`);
    for (const format of resource.export.formats) {
      const run = runs.get(format)?.at(-1);
      if (!run) continue;
      const label = `export ${fmt.count(selection.count)} ${resource.label} ${format.toUpperCase()}`;
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
    }
  }
  for (const [format, [small, large]] of runs) {
    if (!small || !large) continue;
    const growth = large.peakMb / small.peakMb;
    context.rows.push({
      metric: `export ${resource.label} ${format.toUpperCase()}: RSS flat (${fmt.count(large.rows / small.rows)}× the rows)`,
      ours: fmt.mb(large.peakMb),
      baseline: `${fmt.mb(small.peakMb)} (${fmt.count(small.rows)} rows)`,
      ratio: fmt.ratio(growth),
      target: `≤ ${fmt.ratio(FLAT_TARGET)}`,
      pass: growth <= FLAT_TARGET,
    });
  }
}
