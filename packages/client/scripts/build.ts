/**
 * pnpm build — the publishable client in dist/: index.js (ESM, bundled by esbuild) and index.d.ts
 * (one self-contained declaration file, bundled by rollup-plugin-dts with AppRouter's types inlined).
 *
 * The router's type names two server-side types: its context (behind it Prisma, the caches, the
 * settings) and its procedures' metadata (the permission, and trpc-to-openapi's REST routing with
 * zod behind it). A client never uses either, so the declarations take them from server-types.d.ts
 * as opaque types. Whatever else the
 * output imports must be one of this package's runtime dependencies: the build checks that and
 * fails otherwise, so a server type that starts to leak into the client's surface stops here.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Plugin, rollup } from "rollup";
import { dts } from "rollup-plugin-dts";
import ts from "typescript";

const API_PACKAGE = "@crm/api";
/** The module of the API that declares AppRouter, the one type the client takes from it. */
const API_ROUTER = "src/root.d.ts";
/** The modules of the server-side types AppRouter names, replaced by server-types.d.ts. */
const OPAQUE_API_MODULES = ["src/context.d.ts", "src/trpc.d.ts"];
const OPAQUE_PACKAGES = ["trpc-to-openapi"];

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const outdir = path.join(packageDir, "dist");
const serverTypes = fileURLToPath(new URL("server-types.d.ts", import.meta.url));
// packages/api/src/index.ts, by its real path: the API's project directory is its parent's parent.
const apiDir = path.resolve(fileURLToPath(import.meta.resolve(API_PACKAGE)), "../..");

const manifest = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as {
  dependencies?: Record<string, string>;
};
const runtimeDependencies = new Set(Object.keys(manifest.dependencies ?? {}));

const types = mkdtempSync(path.join(tmpdir(), "crm-client-types-"));

/** Stops the build without leaving a package that would not install or typecheck. */
function fail(message: string): never {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(types, { recursive: true, force: true });
  console.error(message);
  process.exit(1);
}

function isBareSpecifier(id: string): boolean {
  return !id.startsWith(".") && !path.isAbsolute(id) && !id.startsWith("\0");
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

function checkImports(file: string, imports: Iterable<string>) {
  const foreign = [...new Set([...imports].map(packageName))].filter((name) => !runtimeDependencies.has(name)).sort();
  if (foreign.length) {
    fail(
      `${file} imports ${foreign.join(", ")}, which a consumer does not install (runtime dependencies: ` +
        `${[...runtimeDependencies].join(", ")}).`,
    );
  }
}

/**
 * The declarations of the client and of the API's router module, from one program under the
 * client's tsconfig (the API is type-checked once), written under `outDir` by package directory.
 */
function emitDeclarations(entries: string[], outDir: string) {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(packageDir, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")),
    },
  );
  const program = ts.createProgram(entries, {
    ...config?.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: path.dirname(packageDir),
    outDir,
  });
  const { diagnostics } = program.emit(undefined, undefined, undefined, true);
  if (diagnostics.length) {
    fail(
      ts.formatDiagnosticsWithColorAndContext(diagnostics, { ...ts.sys, getCanonicalFileName: (f) => f, getNewLine: () => "\n" }),
    );
  }
}

rmSync(outdir, { recursive: true, force: true });
const started = Date.now();

const js = await build({
  entryPoints: [path.join(packageDir, "src/index.ts")],
  outfile: path.join(outdir, "index.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  packages: "external",
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});
checkImports(
  "dist/index.js",
  Object.values(js.metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path)),
);

try {
  emitDeclarations([path.join(packageDir, "src/index.ts"), path.join(apiDir, API_ROUTER.replace(/\.d\.ts$/, ".ts"))], types);
  const apiTypes = path.join(types, path.basename(apiDir));
  const opaqueModules = new Set(OPAQUE_API_MODULES.map((file) => path.join(apiTypes, file)));

  /**
   * `@crm/api` resolves to the declarations of its router module, not to its index: the index
   * re-exports every server module, and the bundler would have to load them all.
   */
  const resolveServerTypes: Plugin = {
    name: "resolve-server-types",
    resolveId(source, importer) {
      if (source === API_PACKAGE) return path.join(apiTypes, API_ROUTER);
      if (OPAQUE_PACKAGES.includes(source)) return serverTypes;
      if (importer?.startsWith(apiTypes) && source.startsWith(".")) {
        const resolved = path.resolve(path.dirname(importer), source).replace(/\.ts$/, ".d.ts");
        return opaqueModules.has(resolved) ? serverTypes : resolved;
      }
      return null;
    },
  };

  const bundle = await rollup({
    input: path.join(types, path.basename(packageDir), "src/index.d.ts"),
    // Every package but the API stays an import, which checkImports then requires to be a runtime dependency.
    external: (id) => isBareSpecifier(id) && id !== API_PACKAGE && !OPAQUE_PACKAGES.includes(id),
    plugins: [resolveServerTypes, dts({ respectExternal: true })],
  });
  const { output } = await bundle.write({ file: path.join(outdir, "index.d.ts"), format: "es" });
  await bundle.close();
  checkImports(
    "dist/index.d.ts",
    output.flatMap((chunk) => (chunk.type === "chunk" ? [...chunk.imports, ...chunk.dynamicImports] : [])),
  );
} finally {
  rmSync(types, { recursive: true, force: true });
}

const size = (name: string) => `${(statSync(path.join(outdir, name)).size / 1024).toFixed(0)} KiB`;
console.log(
  `Built dist/index.js (${size("index.js")}) and dist/index.d.ts (${size("index.d.ts")}) in ${Date.now() - started} ms`,
);
