import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openApiDocument } from "@crm/api";

/**
 * Lints the OpenAPI document the server serves with Redocly's recommended rules (redocly.yaml)
 * and fails on any error or warning, so what the README justifies is all that is turned off.
 */

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

const root = path.join(import.meta.dirname, "..");
const directory = mkdtempSync(path.join(tmpdir(), "crm-openapi-"));
try {
  const file = path.join(directory, "openapi.json");
  writeFileSync(file, JSON.stringify(openApiDocument("/api/v1"), null, 2));
  const result = spawnSync(
    path.join(root, "node_modules/.bin/redocly"),
    ["lint", file, "--config", path.join(root, "redocly.yaml"), "--format", "json", "--max-problems", "1000"],
    { encoding: "utf8", env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } },
  );
  const start = result.stdout.indexOf("{");
  if (start < 0) throw new Error(`redocly lint printed no report (exit ${result.status}): ${result.stderr}`);
  const report = JSON.parse(result.stdout.slice(start)) as LintReport;
  for (const problem of report.problems) {
    console.log(`${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`);
  }
  console.log(`redocly lint: ${report.totals.errors} errors, ${report.totals.warnings} warnings`);
  process.exitCode = report.totals.errors + report.totals.warnings > 0 ? 1 : 0;
} finally {
  rmSync(directory, { recursive: true, force: true });
}
