import { openAsBlob, rmSync } from "node:fs";
import path from "node:path";
import { authorization, type BenchContext, fetchJson, realServer, signup } from "../context.ts";
import { backendPids, query } from "../database.ts";
import { IMPORT_COLUMNS, writeImportFile } from "../import-file.ts";
import { cpuProbe } from "../machine.ts";
import { ServerProcess } from "../processes.ts";
import { psql, psqlPath } from "../psql.ts";
import { fmt } from "../report.ts";

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
 * Whether POST /api/v1/leads/import exists: a header-only CSV gets a 4xx naming the problem (or a
 * job) from the import route, but 404/405/415 from the router or the REST bridge when it is absent.
 */
async function importRouteMissing(context: BenchContext, baseUrl: string): Promise<string | undefined> {
  const form = new FormData();
  form.append("mode", "dry_run");
  form.append(
    "file",
    new Blob([`${IMPORT_COLUMNS.map((column) => column.header).join(",")}\n`], { type: "text/csv" }),
    "empty.csv",
  );
  const response = await fetch(`${baseUrl}/api/v1/leads/import`, { method: "POST", headers: authorization(context), body: form });
  const body = await response.text();
  if ([404, 405, 415].includes(response.status))
    return `POST /api/v1/leads/import answered ${response.status}: ${body.slice(0, 200)}`;
  return undefined;
}

/**
 * `psql \copy` of the same file into "Lead", in an organization of its own (emails are unique per
 * organization). "Lead" has no database defaults for id, organizationId and updatedAt (Prisma
 * fills them), and searchText is written by the app: for the copy, temporary defaults and a
 * trigger do that work in the database, so the baseline writes the same columns and indexes.
 */
async function copyIn(context: BenchContext, file: string, organizationId: string) {
  const url = context.database.url;
  await query(
    url,
    `ALTER TABLE "Lead" ALTER COLUMN "id" SET DEFAULT gen_random_uuid(),
       ALTER COLUMN "organizationId" SET DEFAULT '${organizationId}',
       ALTER COLUMN "updatedAt" SET DEFAULT now();
     CREATE FUNCTION bench_lead_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       NEW."searchText" := lower(concat_ws(' ', NEW."firstName", NEW."lastName", NEW."email", NEW."phone", NEW."companyName"));
       RETURN NEW;
     END $$;
     CREATE TRIGGER bench_lead_search_text BEFORE INSERT ON "Lead" FOR EACH ROW EXECUTE FUNCTION bench_lead_search_text();`,
  );
  try {
    const columns = IMPORT_COLUMNS.map(({ column }) => `"${column}"`).join(", ");
    const { output, seconds } = await psql(
      url,
      `\\copy "Lead" (${columns}) FROM ${psqlPath(file)} WITH (FORMAT csv, HEADER true)`,
    );
    return { seconds, rows: Number(/COPY (\d+)/.exec(output)?.[1] ?? Number.NaN) };
  } finally {
    await query(
      url,
      `DROP TRIGGER bench_lead_search_text ON "Lead";
       DROP FUNCTION bench_lead_search_text();
       ALTER TABLE "Lead" ALTER COLUMN "id" DROP DEFAULT, ALTER COLUMN "organizationId" DROP DEFAULT,
         ALTER COLUMN "updatedAt" DROP DEFAULT;`,
    );
  }
}

/** Uploads the file, then polls the job until it ends; the time is upload start to job end. */
async function importThroughApi(context: BenchContext, server: ServerProcess, file: string) {
  const form = new FormData();
  form.append("file", await openAsBlob(file, { type: "text/csv" }), path.basename(file));
  const started = process.hrtime.bigint();
  const response = await fetch(`${server.url}/api/v1/leads/import`, {
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

/** A CSV of `rows` leads: through the API's import job, and through `psql \copy` into the same table. */
export async function benchImport(context: BenchContext): Promise<void> {
  const server = await ServerProcess.start(realServer(context));
  try {
    const missing = await importRouteMissing(context, server.url);
    if (missing) {
      context.notes.push({ section: "import", text: `skipped: the import route is not there yet (${missing})` });
      context.log(`  skipped: ${missing}`);
      return;
    }

    const file = path.join(context.workDir, "import.csv");
    const bytes = await writeImportFile(file, context.options.rows);
    context.log(`  wrote ${fmt.count(context.options.rows)} rows, ${(bytes / 1_048_576).toFixed(0)} MiB of CSV`);
    try {
      const other = await signup(server.url, {
        email: "copy-baseline@bench.example",
        name: "Copy Baseline",
        organizationName: "Bench copy baseline",
      });
      const copy = await copyIn(context, file, other.organization.id);
      context.log(`  psql \\copy: ${fmt.count(copy.rows)} rows in ${fmt.seconds(copy.seconds)}`);

      server.resetPeakMemory();
      server.sampleMemory();
      const probe = cpuProbe({ server: [server.pid], database: await backendPids(context.database.url) });
      const { job, seconds } = await importThroughApi(context, server, file);
      const cpu = probe.stop({ database: await backendPids(context.database.url) });
      context.notes.push({
        section: "import",
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
      if (job.status !== "completed" || job.rowsCreated !== context.options.rows) {
        throw new Error(
          `the import did not create every row: ${JSON.stringify(job).slice(0, 500)}` +
            (job.errorMessage ? ` (${job.errorMessage})` : ""),
        );
      }
      const ratio = seconds / copy.seconds;
      context.rows.push(
        {
          metric: `import ${fmt.count(context.options.rows)} CSV: time`,
          ours: fmt.seconds(seconds),
          baseline: `${fmt.seconds(copy.seconds)} (psql \\copy)`,
          ratio: fmt.ratio(ratio),
          target: `≤ ${fmt.ratio(RATIO_TARGET)}`,
          pass: ratio <= RATIO_TARGET,
        },
        {
          metric: "import CSV: throughput",
          ours: fmt.rows(context.options.rows / seconds),
          baseline: fmt.rows(copy.rows / copy.seconds),
          ratio: fmt.percent(copy.seconds / seconds),
          target: "",
        },
        {
          metric: "import CSV: peak RSS of the server",
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
