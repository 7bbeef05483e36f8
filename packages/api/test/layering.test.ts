import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Lower layers never import upper ones: the shared code (lib/, the resource kit, imports/,
 * exports/) never imports a router, nor the modules that know every resource (resources.ts, the
 * composition file, and root.ts and openapi.ts above it). They reach a resource through the
 * definitions the composition file hands them (ApiServices.resources).
 */

const SOURCE = fileURLToPath(new URL("../src", import.meta.url));
const SHARED = ["lib", "kit", "imports", "exports"];
const UPPER = [/(^|\/)routers\//, /(^|\/)(resources|root|openapi)\.ts$/];

function sourceFiles(directory: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(directory, { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return entries.filter((file) => file.endsWith(".ts")).map((file) => path.join(directory, file));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"/g)].map((match) => match[1] as string);
}

describe("layering", () => {
  it.each(SHARED)("%s/ imports no router and no module that knows every resource", (layer) => {
    const offending = sourceFiles(path.join(SOURCE, layer)).flatMap((file) =>
      importsOf(file)
        .filter((specifier) => UPPER.some((pattern) => pattern.test(specifier)))
        .map((specifier) => `${path.relative(SOURCE, file)} → ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it("reads the imports of the shared layers (the check above is not vacuous)", () => {
    expect(importsOf(path.join(SOURCE, "imports/jobs.ts"))).toContain("../resource-registry.ts");
  });
});
