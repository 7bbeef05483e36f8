/**
 * pnpm build — bundles the server into dist/main.mjs (run it with `node dist/main.mjs`).
 *
 * Our workspace packages (@crm/*, including the Prisma client generated as TypeScript under
 * packages/db/src/generated) are bundled: Node 20 cannot run their .ts sources. Third-party
 * packages stay external and load from node_modules at run time: argon2 is a native addon,
 * PGlite loads its wasm and extension files relative to its own package, and pino transports
 * (pino-pretty, thread-stream) need real files to start their workers. pnpm only lets
 * dist/main.mjs see this app's own dependencies, so every external must be one of them; the
 * build checks that and fails otherwise.
 */
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const outdir = path.join(appDir, "dist");
const outfile = path.join(outdir, "main.mjs");

const WORKSPACE_SCOPE = "@crm/";
const builtins = new Set(builtinModules);

/** Stops the build without leaving a bundle that would not run. */
function fail(message: string): never {
  rmSync(outdir, { recursive: true, force: true });
  console.error(message);
  process.exit(1);
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

/** Bare imports stay external unless they are one of our workspace packages. */
const externalThirdParty: Plugin = {
  name: "external-third-party",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith(WORKSPACE_SCOPE)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Where Node would find `name` when dist/main.mjs imports it (nearest node_modules upwards). */
function resolvesFromDist(name: string): boolean {
  for (let dir = outdir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "node_modules", name, "package.json"))) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

// The Prisma client is generated (and gitignored): `pnpm install` generates it in its postinstall.
const generatedClient = fileURLToPath(new URL("../../../packages/db/src/generated/prisma/client.ts", import.meta.url));
if (!existsSync(generatedClient)) {
  fail("The Prisma client has not been generated yet: run `pnpm db:generate` (pnpm install runs it too).");
}

rmSync(outdir, { recursive: true, force: true });
const started = Date.now();
const result = await build({
  entryPoints: [path.join(appDir, "src/main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  plugins: [externalThirdParty],
  metafile: true,
  logLevel: "warning",
});

const externals = new Set<string>();
for (const output of Object.values(result.metafile.outputs)) {
  for (const imported of output.imports) {
    if (!imported.external) continue;
    const specifier = imported.path.replace(/^node:/, "");
    if (builtins.has(specifier) || builtins.has(packageName(specifier))) continue;
    externals.add(packageName(specifier));
  }
}
// Externals must be runtime dependencies of this app: a devDependency resolves here but is missing
// from a production install (`pnpm install --prod`, `pnpm deploy`).
const manifest = JSON.parse(readFileSync(path.join(appDir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
const undeclared = [...externals].filter((name) => !manifest.dependencies?.[name]).sort();
if (undeclared.length) {
  fail(
    "dist/main.mjs imports packages that are not runtime dependencies of @crm/server (pnpm only exposes a " +
      `package's own dependencies):\n  ${undeclared.join(", ")}\nAdd them to "dependencies" in apps/server/package.json and run pnpm install.`,
  );
}
const unresolvable = [...externals].filter((name) => !resolvesFromDist(name)).sort();
if (unresolvable.length) {
  fail(`dist/main.mjs cannot load ${unresolvable.join(", ")} from ${outdir}: run pnpm install.`);
}

// packages/db finds prisma/migrations relative to its own module URL ("../../../prisma/migrations"),
// which the bundle keeps: from apps/server/dist that is the same repository directory.
const migrations = fileURLToPath(new URL("../../../prisma/migrations", pathToFileURL(outfile)));
if (!existsSync(migrations) || !statSync(migrations).isDirectory()) {
  fail(`The bundle would look for migrations in ${migrations}, which does not exist.`);
}

const size = (statSync(outfile).size / 1024).toFixed(0);
console.log(
  `Built ${path.relative(process.cwd(), outfile)} (${size} KiB) in ${Date.now() - started} ms; ` +
    `external: ${[...externals].sort().join(", ")}`,
);
