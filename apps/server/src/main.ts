import { DEMO_LOGIN, seedDemoData } from "@crm/api";
import { DataDirLockedError, MigrationError, openDatabase } from "@crm/db";
import { buildApp } from "./app.ts";
import { ConfigError, databaseOptions, loadConfig } from "./config.ts";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(databaseOptions(config));
  const migrations = await database.migrate();
  const app = await buildApp({ config, database });
  app.log.info({ applied: migrations.applied, database: database.kind }, "database ready");
  if (migrations.modified.length) app.log.warn({ migrations: migrations.modified }, "applied migrations changed since they ran");

  const seeded = config.NODE_ENV !== "production" && (await seedDemoData(database.prisma, { onlyIfEmpty: true }));

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests");
    const deadline = setTimeout(() => {
      app.log.error("shutdown grace period elapsed; exiting with requests still open");
      process.exit(1);
    }, config.SHUTDOWN_GRACE_SECONDS * 1000);
    deadline.unref();
    try {
      await app.close();
      await database.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, "error during shutdown");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));

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
  // Start-up failures (bad config, a failed migration, a busy data directory) are the operator's
  // to fix: say what is wrong; the stack only helps when it is our bug.
  const known = error instanceof ConfigError || error instanceof MigrationError || error instanceof DataDirLockedError;
  console.error(known ? `Cannot start: ${error.message}` : error);
  process.exit(1);
});
