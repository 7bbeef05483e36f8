import { DEMO_LOGIN, seedDemoData } from "@crm/api";
import { DatabaseUnreachableError, DataDirLockedError, MigrationError, openDatabase, waitForDatabase } from "@crm/db";
import { buildApp } from "./app.ts";
import { ConfigError, databaseOptions, loadConfig } from "./config.ts";
import { createLogOutput, ignoreClosedOutputPipes } from "./log-output.ts";
import { handleShutdown } from "./shutdown.ts";

async function main() {
  ignoreClosedOutputPipes();
  const config = loadConfig();
  const database = await openDatabase(databaseOptions(config));
  await waitForDatabase(database, {
    timeoutMs: config.DATABASE_STARTUP_TIMEOUT_SECONDS * 1000,
    onRetry: (fault, retryInMs) => console.error(`Waiting for the database (${fault.reason}); retrying in ${retryInMs} ms`),
  });
  const migrations = await database.migrate();
  const logOutput = createLogOutput();
  const app = await buildApp({ config, database, logOutput });
  app.log.info({ applied: migrations.applied, database: database.kind }, "database ready");
  if (migrations.modified.length) app.log.warn({ migrations: migrations.modified }, "applied migrations changed since they ran");

  const seeded = config.NODE_ENV !== "production" && (await seedDemoData(database.prisma, { onlyIfEmpty: true }));

  handleShutdown({
    log: app.log,
    logOutput,
    graceSeconds: config.SHUTDOWN_GRACE_SECONDS,
    async close() {
      await app.close();
      await database.close();
    },
    // Under a package manager's script (pnpm start) the supervisor's signal goes to the package
    // manager; if that dies without passing it on, nothing else would stop this process.
    exitWithParent: process.env.npm_lifecycle_event !== undefined,
  });

  const address = await app.listen({ host: config.HOST, port: config.PORT });
  const where = database.kind === "pglite" ? `embedded database in ${config.DATA_DIR}` : "PostgreSQL";
  const lines = [
    `CRM API listening on ${address} (${where})`,
    `  docs:     ${address}/docs`,
    `  openapi:  ${address}/api/v1/openapi.json`,
    `  tRPC:     ${address}/trpc`,
  ];
  if (config.NODE_ENV !== "production") {
    lines.push(`  demo login${seeded ? " (just created)" : ""}: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
  }
  console.log(lines.join("\n"));
}

main().catch((error) => {
  // Start-up failures (bad config, a failed migration, a busy data directory, no database) are the
  // operator's to fix: say what is wrong; the stack only helps when it is our bug.
  const known =
    error instanceof ConfigError ||
    error instanceof MigrationError ||
    error instanceof DataDirLockedError ||
    error instanceof DatabaseUnreachableError;
  console.error(known ? `Cannot start: ${error.message}` : error);
  process.exit(1);
});
