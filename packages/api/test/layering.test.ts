import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Lower layers never import upper ones: shared code (lib/, the resource kit, imports/, exports/)
 * and the procedure builders, errors, permissions and context never import a router, so one
 * composition file is the only place that knows every resource.
 */

const SRC = path.join(import.meta.dirname, "../src");
const ROUTERS = path.join(SRC, "routers");
const SHARED_FOLDERS = ["lib", "kit", "imports", "exports"];
const SHARED_FILES = ["trpc.ts", "errors.ts", "permissions.ts", "context.ts", "openapi-errors.ts"];

/** The modules that know every resource: the composition file, and the router and document above it. */
const COMPOSITION = ["resources.ts", "root.ts", "openapi.ts"];

/** Known violations, `importer -> imported` (paths under src/), each removed by the change its comment names. */
const ALLOWED: Record<string, string> = {};

function sharedFiles(): string[] {
  const inFolders = SHARED_FOLDERS.flatMap((folder) => {
    const directory = path.join(SRC, folder);
    if (!existsSync(directory)) return [];
    return readdirSync(directory, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .map((file) => path.join(folder, file));
  });
  return [...inFolders, ...SHARED_FILES];
}

/** Every module `file` imports or re-exports, statically or dynamically, as paths under src/ (relative specifiers only). */
function importsOf(file: string): string[] {
  const source = readFileSync(path.join(SRC, file), "utf8");
  const { importedFiles } = ts.preProcessFile(source, true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), specifier)));
}

function violations(): string[] {
  return sharedFiles().flatMap((file) =>
    importsOf(file)
      .filter((imported) => path.join(SRC, imported).startsWith(`${ROUTERS}${path.sep}`) || COMPOSITION.includes(imported))
      .map((imported) => `${file} -> ${imported}`),
  );
}

describe("layering", () => {
  it("checks the shared folders and files that exist", () => {
    const files = sharedFiles();
    for (const file of SHARED_FILES) expect(existsSync(path.join(SRC, file)), file).toBe(true);
    expect(files.filter((file) => file.startsWith("lib/")).length).toBeGreaterThan(0);
    expect(files.filter((file) => file.startsWith("imports/")).length).toBeGreaterThan(0);
  });

  it("lib/, kit/, imports/, exports/ and the procedure builders never import from routers/", () => {
    expect(violations().filter((violation) => !(violation in ALLOWED))).toEqual([]);
  });

  it("every allowed violation still occurs (remove the entry once it is fixed)", () => {
    const found = new Set(violations());
    expect(Object.keys(ALLOWED).filter((violation) => !found.has(violation))).toEqual([]);
  });

  it("sees an import from routers/, static, re-exported or dynamic", () => {
    const { importedFiles } = ts.preProcessFile(
      'import type { A } from "../routers/a.ts";\nexport { b } from "../routers/b.ts";\nconst c = await import("../routers/c.ts");',
      true,
      true,
    );
    expect(importedFiles.map((f) => f.fileName)).toEqual(["../routers/a.ts", "../routers/b.ts", "../routers/c.ts"]);
  });
});
