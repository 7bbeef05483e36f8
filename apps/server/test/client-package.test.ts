/**
 * The typed client as another service gets it: packed with `pnpm pack`, installed with npm from the
 * tarball into a project outside the workspace, type-checked by strict tsc (module resolution
 * nodenext and bundler, with the DOM lib and with only @types/node), then run by plain node against
 * the real server.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsumerRun } from "./client-consumer/consumer.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const CLIENT_PACKAGE = "@crm-api/client";
const clientDir = fileURLToPath(new URL("../../../packages/client", import.meta.url));
const fixtures = fileURLToPath(new URL("client-consumer", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = promisify(execFile);

/** What a consumer may get installed: the client, its runtime dependencies and theirs. */
const ALLOWED_PACKAGES = [CLIENT_PACKAGE, "@trpc/client", "@trpc/server", "superjson", "copy-anything", "is-what"];

/** The child processes see neither pnpm's npm_config_* settings nor the test's Node options. */
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_config_") && name !== "NODE_OPTIONS"),
);

const COMPILER_OPTIONS = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  target: "ES2022",
  // Every declaration file is checked, the client's and its dependencies'.
  skipLibCheck: false,
};
const LIBS = {
  // tRPC's own declarations use the ES explicit-resource-management types.
  dom: { lib: ["ES2023", "ESNext.Disposable", "DOM", "DOM.Iterable"], types: [] },
  node: { lib: ["ES2023"], types: ["node"] },
};
const FILES = { dom: ["consumer.ts"], node: ["consumer.ts", "request-info.d.ts"] };
const RESOLUTIONS = {
  nodenext: { module: "NodeNext", moduleResolution: "NodeNext" },
  bundler: { module: "ESNext", moduleResolution: "Bundler" },
};

let server: TestServer;
let consumer: string;
let packed: { file: string; files: string[] };

let typechecks: Promise<string[]> | undefined;

/**
 * Strict tsc over the consumer under every resolution and lib, at once; the nodenext + @types/node
 * run also emits consumer.js for node to run. Resolves with the failures.
 */
function typecheckConsumer(): Promise<string[]> {
  typechecks ??= (async () => {
    const configs = Object.entries(RESOLUTIONS).flatMap(([resolution, modules]) =>
      (Object.keys(LIBS) as (keyof typeof LIBS)[]).map((lib) => {
        const emits = resolution === "nodenext" && lib === "node";
        const compilerOptions = {
          ...COMPILER_OPTIONS,
          ...modules,
          ...LIBS[lib],
          ...(emits ? { outDir: "." } : { noEmit: true }),
        };
        const name = `tsconfig.${resolution}-${lib}.json`;
        writeFileSync(path.join(consumer, name), JSON.stringify({ compilerOptions, files: FILES[lib] }));
        return name;
      }),
    );
    const results = await Promise.allSettled(configs.map((name) => sh(process.execPath, [tsc, "-p", name], consumer)));
    return results.flatMap((result, i) => (result.status === "rejected" ? [`${configs[i]}: ${result.reason}`] : []));
  })();
  return typechecks;
}

async function sh(command: string, args: string[], cwd: string) {
  try {
    return await run(command, args, { cwd, env: childEnv, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

/** The packages npm put on disk for the consumer's dependencies (not its own dev tools). */
function installedPackages(): { name: string; bytes: number }[] {
  const lockfile = JSON.parse(readFileSync(path.join(consumer, "node_modules/.package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lockfile.packages)
    .filter(([, entry]) => !entry.dev)
    .map(([location]) => ({
      name: location.slice(location.lastIndexOf("node_modules/") + 13),
      bytes: size(path.join(consumer, location)),
    }));
}

function size(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((total, entry) => total + size(path.join(target, entry)), 0);
}

beforeAll(async () => {
  server = await startTestServer();
  consumer = mkdtempSync(path.join(tmpdir(), "crm-client-consumer-"));
  const { stdout } = await sh("pnpm", ["pack", "--pack-destination", consumer], clientDir);
  const file = readdirSync(consumer).find((name) => name.endsWith(".tgz"));
  if (!file) throw new Error(`pnpm pack wrote no tarball:\n${stdout}`);
  packed = { file, files: stdout.split("\n").filter((line) => /^(dist\/|package\.json)/.test(line.trim())) };

  writeFileSync(
    path.join(consumer, "package.json"),
    JSON.stringify({
      name: "crm-client-consumer",
      private: true,
      type: "module",
      dependencies: { [CLIENT_PACKAGE]: `file:./${file}` },
      devDependencies: { "@types/node": "20.19.43" },
    }),
  );
  for (const name of ["consumer.ts", "request-info.d.ts", "run.mjs"])
    copyFileSync(path.join(fixtures, name), path.join(consumer, name));
  // typescript, a peer of @trpc/client, is the consumer's own tool: here the workspace's tsc.
  await sh("npm", ["install", "--no-audit", "--no-fund", "--omit=peer", "--cache", path.join(consumer, ".npm-cache")], consumer);
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe("the client package installed from its tarball", () => {
  it("ships only the built JavaScript and one declaration file", () => {
    expect(packed.files.map((line) => line.trim()).sort()).toEqual([
      "dist/index.d.ts",
      "dist/index.js",
      "dist/index.js.map",
      "package.json",
    ]);
    const manifest = JSON.parse(readFileSync(path.join(consumer, "node_modules", CLIENT_PACKAGE, "package.json"), "utf8"));
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@trpc/client", "@trpc/server", "superjson"]);
    const declarations = readFileSync(path.join(consumer, "node_modules", CLIENT_PACKAGE, "dist/index.d.ts"), "utf8");
    const imported = [...declarations.matchAll(/\bfrom\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
      (m) => m[1] ?? m[2],
    );
    expect([...new Set(imported)].sort()).toEqual(["@trpc/client", "@trpc/server"]);
  });

  it("installs the tRPC client and superjson, nothing of the server", () => {
    const installed = installedPackages();
    expect(installed.map((p) => p.name).filter((name) => !ALLOWED_PACKAGES.includes(name))).toEqual([]);
    expect(installed.length).toBeLessThanOrEqual(ALLOWED_PACKAGES.length);
    // Today's figure for the README: npm's count and size of the consumer's dependency tree.
    const megabytes = installed.reduce((total, p) => total + p.bytes, 0) / 1024 / 1024;
    console.log(`${CLIENT_PACKAGE}: ${installed.length} packages, ${megabytes.toFixed(1)} MB installed`);
  });

  it("type-checks under strict tsc: nodenext and bundler resolution, with the DOM lib and with only @types/node", async () => {
    expect(await typecheckConsumer()).toEqual([]);
  }, 240_000);

  it("runs under plain node against the live server: signup, create, list, export, import", async () => {
    await typecheckConsumer();
    const { stdout } = await sh(process.execPath, ["run.mjs", server.url], consumer);
    const result = JSON.parse(stdout) as ConsumerRun;

    expect(result.createdLead).toEqual({ id: expect.any(String), email: "grace@example.test", createdAtIsDate: true });
    expect(result.listedEmails).toEqual(["grace@example.test"]);
    expect(result.exportedCsvHasLead).toBe(true);
    expect(result.importJob).toEqual({ status: "completed", rowsCreated: 1 });
    expect(result.emailsAfterImport).toEqual(["grace@example.test", "ada@example.test"]);
    expect(result.refusedUpload.status).toBeGreaterThanOrEqual(400);
    expect(result.refusedUpload.status).toBeLessThan(500);

    const stored = await server.prisma.lead.findMany({
      where: { organizationId: result.organizationId },
      orderBy: { createdAt: "asc" },
    });
    expect(stored.map((lead) => lead.email)).toEqual(["grace@example.test", "ada@example.test"]);
  }, 240_000);

  it("loads with require() from CommonJS", async () => {
    const script = `const client = require(${JSON.stringify(CLIENT_PACKAGE)}); console.log(typeof client.createCrmClient, typeof client.CrmHttpError)`;
    const { stdout } = await sh(process.execPath, ["--input-type=commonjs", "-e", script], consumer);
    expect(stdout.trim()).toBe("function function");
  });
});
