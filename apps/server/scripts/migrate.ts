/** pnpm db:migrate — applies pending migrations to the configured database (DATABASE_URL or the embedded one). */
import { openDatabase } from "@crm/db";
import { databaseOptions, loadConfig } from "../src/config.ts";

const database = await openDatabase(databaseOptions(loadConfig()));
try {
  const report = await database.migrate();
  console.log(
    report.applied.length ? `Applied: ${report.applied.join(", ")}` : `Up to date (${report.alreadyApplied} migrations).`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await database.close();
}
