import { openAsBlob, rmSync } from "node:fs";
import path from "node:path";
import { authorization, type BenchContext, fetchJson, realServer, signup } from "../context.ts";
import { copyIn } from "../copy-in.ts";
import { backendPids, query } from "../database.ts";
import { importHeader, writeImportFile } from "../import-file.ts";
import { cpuProbe } from "../machine.ts";
import { ServerProcess } from "../processes.ts";
import { fmt } from "../report.ts";
import type { BenchResource } from "../resources.ts";

const RATIO_TARGET = 3;
const POLL_MS = 500;

interface ImportJob {
  id: string;
  status: string;
  rowsTotal: number | null;
  rowsProcessed: number;
  rowsCreated: number;
  rowsUpdated: number;
  rowsSkipped: number;
  rowsFailed: number;
  errorMessage?: string | null;
}

/**
 * Whether POST /api/v1/{resource}/import exists: a header-only CSV gets a 4xx naming the problem (or
 * a job) from the import route, but 404/405/415 from the router or the REST bridge when it is absent.
 */
async function importRouteMissing(context: BenchContext, resource: BenchResource, baseUrl: string): Promise<string | undefined> {
  const form = new FormData();
  form.append("mode", "dry_run");
  form.append("file", new Blob([importHeader(resource)], { type: "text/csv" }), "empty.csv");
  const route = `/api/v1/${resource.key}/import`;
  const response = await fetch(`${baseUrl}${route}`, { method: "POST", headers: authorization(context), body: form });
  const body = await response.text();
  if ([404, 405, 415].includes(response.status)) return `POST ${route} answered ${response.status}: ${body.slice(0, 200)}`;
  return undefined;
}

/** Uploads the file, then polls the job until it ends; the time is upload start to job end. */
async function importThroughApi(context: BenchContext, resource: BenchResource, server: ServerProcess, file: string) {
  const form = new FormData();
  form.append("file", await openAsBlob(file, { type: "text/csv" }), path.basename(file));
  const started = process.hrtime.bigint();
  const response = await fetch(`${server.url}/api/v1/${resource.key}/import`, {
    method: "POST",
    headers: authorization(context),
    body: form,
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`import upload answered ${response.status}: ${text.slice(0, 500)}`);
  const accepted = JSON.parse(text) as Partial<ImportJob> & { jobId?: string; job?: { id: string } };
  const id = accepted.id ?? accepted.jobId ?? accepted.job?.id;
  if (!id) throw new Error(`import upload answered no job id: ${text.slice(0, 500)}`);
  const uploadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  context.log(`  upload accepted in ${fmt.seconds(uploadSeconds)}: job ${id}`);

  let lastLog = Date.now();
  for (;;) {
    const job = await fetchJson<ImportJob>(`${server.url}/api/v1/imports/${id}`, { headers: authorization(context) });
    if (job.status === "completed" || job.status === "failed") {
      return { job, uploadSeconds, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    }
    if (Date.now() - lastLog > 15_000) {
      context.log(`  ${job.status}: ${fmt.count(job.rowsProcessed)} rows processed, RSS ${fmt.mb(server.memory().rssMb)}`);
      lastLog = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The live records the import created and the audit entries it wrote, both counted in the database. */
async function writtenSince(context: BenchContext, resource: BenchResource, since: Date) {
  const [records] = await query<{ count: string }>(
    context.database.url,
    `SELECT count(*) FROM "${resource.table}" WHERE "organizationId" = $1 AND "deletedAt" IS NULL AND "createdAt" >= $2`,
    [context.organizationId, since],
  );
  const [audit] = await query<{ count: string }>(
    context.database.url,
    `SELECT count(*) FROM "AuditLog" WHERE "organizationId" = $1 AND "entityType" = $2 AND "action" = 'create' AND "createdAt" >= $3`,
    [context.organizationId, resource.entityType, since],
  );
  return { records: Number(records?.count), audit: Number(audit?.count) };
}

/** A CSV of the resource's records: through the API's import job, and through `psql \copy` into the same table. */
export async function benchImport(context: BenchContext, resource: BenchResource): Promise<void> {
  const section = `import ${resource.label}`;
  const rows = resource.importRows(context.options);
  const server = await ServerProcess.start(realServer(context));
  try {
    const missing = await importRouteMissing(context, resource, server.url);
    if (missing) {
      context.notes.push({ section, text: `skipped: the import route is not there yet (${missing})` });
      context.log(`  skipped: ${missing}`);
      return;
    }

    const file = path.join(context.workDir, `import-${resource.key}.csv`);
    const bytes = await writeImportFile(file, resource, rows);
    context.log(`  wrote ${fmt.count(rows)} ${resource.label}, ${(bytes / 1_048_576).toFixed(0)} MiB of CSV`);
    try {
      // Emails are unique per organization: the copy goes into an organization of its own.
      const other = await signup(server.url, {
        email: `copy-baseline-${resource.key}@bench.example`,
        name: "Copy Baseline",
        organizationName: `Bench copy baseline (${resource.label})`,
      });
      const copy = await copyIn(context.database.url, resource, file, other.organization.id);
      context.log(`  psql \\copy: ${fmt.count(copy.rows)} rows in ${fmt.seconds(copy.seconds)}`);

      // The database's clock, which stamps the records and audit entries the import writes.
      const [{ now: startedAt } = { now: new Date() }] = await query<{ now: Date }>(context.database.url, "SELECT now()");
      server.resetPeakMemory();
      server.sampleMemory();
      const probe = cpuProbe({ server: [server.pid], database: await backendPids(context.database.url) });
      const { job, seconds } = await importThroughApi(context, resource, server, file);
      const cpu = probe.stop({ database: await backendPids(context.database.url) });
      context.notes.push({
        section,
        text:
          `the API import used ${fmt.seconds(cpu.seconds.server ?? 0)} of server CPU and ` +
          `${fmt.seconds(cpu.seconds.database ?? 0)} of PostgreSQL CPU; other work took ${fmt.percent(cpu.otherShare)} of the CPUs`,
      });
      server.stopSampling();
      const peakMb = Math.max(server.memory().peakMb, server.sampledPeakMb);
      context.log(
        `  API import ${job.status} in ${fmt.seconds(seconds)}: created ${fmt.count(job.rowsCreated)}, ` +
          `updated ${job.rowsUpdated}, skipped ${job.rowsSkipped}, failed ${job.rowsFailed}; peak RSS ${fmt.mb(peakMb)}`,
      );
      if (job.status !== "completed" || job.rowsCreated !== rows) {
        throw new Error(
          `the import did not create every row: ${JSON.stringify(job).slice(0, 500)}` +
            (job.errorMessage ? ` (${job.errorMessage})` : ""),
        );
      }
      const written = await writtenSince(context, resource, startedAt);
      context.log(
        `  in the database: ${fmt.count(written.records)} new ${resource.label}, ${fmt.count(written.audit)} create audit entries`,
      );
      const ratio = seconds / copy.seconds;
      context.rows.push(
        {
          metric: `import ${fmt.count(rows)} ${resource.label} CSV: time`,
          ours: fmt.seconds(seconds),
          baseline: `${fmt.seconds(copy.seconds)} (psql \\copy)`,
          ratio: fmt.ratio(ratio),
          target: `≤ ${fmt.ratio(RATIO_TARGET)}`,
          pass: ratio <= RATIO_TARGET,
        },
        {
          metric: `import ${resource.label} CSV: throughput`,
          ours: fmt.rows(rows / seconds),
          baseline: fmt.rows(copy.rows / copy.seconds),
          ratio: fmt.percent(copy.seconds / seconds),
          target: "",
        },
        {
          metric: `import ${resource.label} CSV: rows in the table, audit entries`,
          ours: `${fmt.count(written.records)}, ${fmt.count(written.audit)}`,
          baseline: `${fmt.count(copy.rows)} (psql \\copy)`,
          ratio: "",
          target: `${fmt.count(rows)} each`,
          pass: written.records === rows && written.audit === rows,
        },
        {
          metric: `import ${resource.label} CSV: peak RSS of the server`,
          ours: fmt.mb(peakMb),
          baseline: "",
          ratio: "",
          target: "",
        },
      );
    } finally {
      rmSync(file, { force: true });
    }
  } finally {
    await server.stop();
  }
}
