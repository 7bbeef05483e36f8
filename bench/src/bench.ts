/**
 * pnpm bench — seeds its own database and measures, in one run, the lead list/search, the import
 * and export of leads and contacts, the timeline and a mixed load, against baselines measured in the same run
 * (see README, "Performance").
 */
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { type BenchContext, realServer, signup, workDirectory } from "./context.ts";
import { type BenchDatabase, createBenchDatabase, dropBenchDatabase, query, seedLeads } from "./database.ts";
import { waitForQuietCpu } from "./machine.ts";
import { parseOptions, type Section } from "./options.ts";
import { buildServer, ServerProcess } from "./processes.ts";
import { fmt, renderTable } from "./report.ts";
import { BENCH_RESOURCES, type BenchResource, RESOURCE_KEYS } from "./resources.ts";
import { benchExport } from "./sections/export.ts";
import { benchImport } from "./sections/import.ts";
import { benchList } from "./sections/list.ts";
import { benchMixed } from "./sections/mixed.ts";
import { benchTimeline } from "./sections/timeline.ts";

const startedAt = Date.now();
const log = (message: string) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${message}`);

interface Step {
  section: Section;
  /** The step in notes: `list`, `export leads`. */
  label: string;
  title: string;
  run(context: BenchContext): Promise<void>;
}

/**
 * The sections in the order they run; export and import once per resource. A seeded resource
 * (leads) is exported before the imports, while the organization holds exactly its seed; an
 * imported one (contacts) after them, as the records its import created.
 */
function plan(resources: BenchResource[]): Step[] {
  const exportOf = (resource: BenchResource): Step => ({
    section: "export",
    label: `export ${resource.label}`,
    title: `export ${resource.label} to ${resource.export.formats.map((format) => format.toUpperCase()).join(" and ")}`,
    run: (context) => benchExport(context, resource),
  });
  return [
    { section: "list", label: "list", title: "list/search a page of 25", run: benchList },
    ...resources.filter((resource) => resource.export.records === "seeded").map(exportOf),
    ...resources.map((resource) => ({
      section: "import" as const,
      label: `import ${resource.label}`,
      title: `import a CSV of ${resource.label}`,
      run: (context: BenchContext) => benchImport(context, resource),
    })),
    ...resources.filter((resource) => resource.export.records === "imported").map(exportOf),
    // After the exports: its contacts, deals and audit entries would be in what they export and count.
    {
      section: "timeline",
      label: "timeline",
      title: "first page of a deal of 10,000 entries and of a company rolling up 100 contacts",
      run: benchTimeline,
    },
    // Last: its creates and updates change the organization the other sections measure.
    { section: "mixed", label: "mixed", title: "lists, reads, creates and updates at once", run: benchMixed },
  ];
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const workDir = workDirectory();
  const serverNote = options.server === "dist" ? await buildServer(options, log) : "apps/server/src/main.ts through tsx";
  const jwtSecret = randomBytes(48).toString("base64url");
  const [pgVersion] = await query<{ server_version: string }>(
    process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    "SHOW server_version",
  );
  log(
    `machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ` +
      `PostgreSQL ${pgVersion?.server_version}; ${fmt.count(options.rows)} leads` +
      (options.resources.has("contacts") ? `, ${fmt.count(options.contactRows)} contacts to import` : "") +
      `, ${options.connections} connections, ` +
      `pool ${options.pool}; server: ${serverNote}`,
  );

  let database: BenchDatabase | undefined;
  const cleanUp = async () => {
    await ServerProcess.stopAll();
    // The import file and exports (large) go; the servers' data directory stays for the next run.
    for (const file of readdirSync(workDir)) {
      if (/^(import-|export-)/.test(file)) rmSync(path.join(workDir, file), { force: true });
    }
    if (database && !options.keep) await dropBenchDatabase(database).catch(() => {});
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers${options.keep ? "" : " and dropping the database"}`);
      void cleanUp().then(() => process.exit(1));
    });
  }

  try {
    database = await createBenchDatabase();
    log(`database ${database.name} created and migrated`);

    const setup = await ServerProcess.start(realServer({ options, database, jwtSecret, workDir }));
    const owner = await signup(setup.url, {
      email: "owner@bench.example",
      name: "Bench Owner",
      organizationName: "Bench organization",
    });
    await setup.stop();
    log(`organization ${owner.organization.id} and its owner created through auth.signup`);

    log(`seeding ${fmt.count(options.rows)} leads`);
    const seed = await seedLeads(
      database.url,
      { organizationId: owner.organization.id, userId: owner.user.id, rows: options.rows },
      log,
    );
    log(
      `seeded: insert ${fmt.seconds(seed.seconds.insert)}, indexes ${fmt.seconds(seed.seconds.indexes)}, ` +
        `vacuum analyze ${fmt.seconds(seed.seconds.analyze)}`,
    );

    const context: BenchContext = {
      options,
      database,
      workDir,
      jwtSecret,
      organizationId: owner.organization.id,
      userId: owner.user.id,
      accessToken: owner.accessToken,
      newest: seed.newest,
      rows: [],
      notes: [{ section: "setup", text: `server under test: ${serverNote}` }],
      log,
    };
    const resources = RESOURCE_KEYS.filter((key) => options.resources.has(key)).map((key) => BENCH_RESOURCES[key]);
    for (const step of plan(resources)) {
      if (!options.sections.has(step.section)) continue;
      log(`${step.label}: ${step.title}`);
      const busy = await waitForQuietCpu(log);
      context.notes.push({
        section: step.label,
        text: `other work kept the CPUs ${Math.round(busy * 100)}% busy at the start`,
      });
      await step.run(context);
    }

    console.log(`\n${renderTable(context.rows)}\n`);
    for (const note of context.notes) console.log(`${note.section}: ${note.text}`);
    const failed = context.rows.filter((row) => row.pass === false).length;
    const measured = context.rows.filter((row) => row.pass !== undefined).length;
    console.log(
      `\ntargets: ${measured - failed} met, ${failed} missed; total time ${fmt.seconds((Date.now() - startedAt) / 1000)}`,
    );
    if (options.keep) console.log(`database kept: ${database.url}`);
  } finally {
    await cleanUp();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
