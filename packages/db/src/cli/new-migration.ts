/**
 * Authors the next migration without Prisma's native schema engine (its binary host is
 * unreachable here): the wasm schema engine replays the committed history into a throwaway
 * in-memory PGlite and diffs it against prisma/schema. Usage: pnpm db:migration:new <name>
 * The SQL carries no data-loss warnings: read it before committing.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { btree_gist } from "@electric-sql/pglite/contrib/btree_gist";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as runtime from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { migrationsDir, readMigrations, schemaDir } from "../migrations-dir.ts";

const name = process.argv[2]?.replace(/[^a-z0-9_]+/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: pnpm db:migration:new <snake_case_name>");
  process.exit(2);
}

const require = createRequire(import.meta.url);
const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
// Node 20 cannot import .wasm as an ES module, so the engine's glue is wired up by hand.
interface WasmGlobals {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { __wbindgen_start(): void } };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmGlobals }).WebAssembly;
const instance = new Instance(new Module(readFileSync(wasmPath)), { "./schema_engine_bg.js": runtime });
runtime.__wbg_set_wasm(instance.exports);
instance.exports.__wbindgen_start();

const files = readdirSync(schemaDir)
  .filter((file) => file.endsWith(".prisma"))
  .map((file) => ({ path: path.join(schemaDir, file), content: readFileSync(path.join(schemaDir, file), "utf8") }));

const shadow = await PGlite.create({ extensions: { pg_trgm, btree_gist } });
const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(shadow));
const engine = await runtime.SchemaEngine.new(
  { datamodels: files.map((file) => [file.path, file.content]) },
  (log: string) => process.env.DEBUG && console.error(log),
  adapter,
);
const filters = { externalTables: [], externalEnums: [] };
const history = readMigrations();
await engine.applyMigrations({
  filters,
  migrationsList: {
    baseDir: migrationsDir,
    lockfile: { path: path.join(migrationsDir, "migration_lock.toml"), content: null },
    shadowDbInitScript: "",
    migrationDirectories: history.map((migration) => ({
      path: path.join(migrationsDir, migration.name),
      migrationFile: {
        path: path.join(migrationsDir, migration.name, "migration.sql"),
        content: { tag: "ok", value: migration.sql },
      },
    })),
  },
});
const diff = await engine.diff({
  from: { tag: "schemaDatasource", files, configDir: path.dirname(schemaDir) },
  to: { tag: "schemaDatamodel", files },
  script: true,
  exitCode: true,
  filters,
});
await shadow.close();

if (diff.exitCode === 0 || !diff.stdout?.trim() || diff.stdout.includes("This is an empty migration")) {
  console.log("prisma/schema matches the migrations: nothing to write.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), diff.stdout);
writeFileSync(path.join(migrationsDir, "migration_lock.toml"), 'provider = "postgresql"\n');
console.log(`Wrote ${path.relative(process.cwd(), dir)}/migration.sql. Read it before committing.`);
