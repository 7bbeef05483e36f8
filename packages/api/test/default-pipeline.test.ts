import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_PIPELINE } from "../src/routers/pipelines/default-pipeline.ts";

/** The sales_core migration gave existing organizations the default pipeline as SQL: it must be the one new organizations get. */
const migration = readFileSync(
  fileURLToPath(new URL("../../../prisma/migrations/20261201224545_sales_core/migration.sql", import.meta.url)),
  "utf8",
);

describe("the default pipeline", () => {
  it("has the same name and stages in the migration that backfilled existing organizations", () => {
    expect(migration).toContain(`SELECT gen_random_uuid(), "id", '${DEFAULT_PIPELINE.name}', true`);
    const rows = [...migration.matchAll(/\('([^']+)', (\d+), ([\d.]+), '(open|won|lost)', (\d+|NULL)\)/g)].map(
      ([, name, position, probability, kind, rottingDays]) => ({
        name,
        position: Number(position),
        probability: Number(probability),
        kind,
        rottingDays: rottingDays === "NULL" ? null : Number(rottingDays),
      }),
    );
    expect(rows).toEqual(
      DEFAULT_PIPELINE.stages.map((stage, position) => ({ ...stage, position, probability: Number(stage.probability) })),
    );
  });
});
