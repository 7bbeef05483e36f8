/** pnpm db:seed — adds the demo organization, its users and leads to the configured database. */
import { DEMO_LOGIN, seedDemoData } from "@crm/api";
import { openDatabase } from "@crm/db";
import { databaseOptions, loadConfig } from "../src/config.ts";

const database = await openDatabase(databaseOptions(loadConfig()));
try {
  await database.migrate();
  const seeded = await seedDemoData(database.prisma, { onlyIfEmpty: true });
  console.log(
    seeded ? `Seeded. Log in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}` : "The database already has users: nothing seeded.",
  );
} finally {
  await database.close();
}
