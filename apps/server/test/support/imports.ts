import type { ImportLeadsOptions, RouterOutputs } from "@crm-api/client";
import type { TestUser } from "./server.ts";

export type ImportJob = RouterOutputs["imports"]["byId"];

/** A CSV document from rows of cells (quoted where needed), lines joined by `newline`. */
export function csvOf(rows: (string | number)[][], newline = "\n"): string {
  const cell = (value: string | number) => {
    const text = String(value);
    return /[",;\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${rows.map((row) => row.map(cell).join(",")).join(newline)}${newline}`;
}

/** Polls imports.byId until the job is completed or failed. */
export async function waitForImport(user: TestUser, jobId: string, timeoutMs = 60_000): Promise<ImportJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await user.client.imports.byId.query({ id: jobId });
    if (job.status === "completed" || job.status === "failed") return job;
    if (Date.now() > deadline) throw new Error(`import ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Uploads `content` through the typed client and waits for the job to end. */
export async function importLeads(
  user: TestUser,
  content: string | Uint8Array,
  options: Partial<ImportLeadsOptions> = {},
): Promise<ImportJob> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const queued = await user.client.$files.importLeads(bytes, { filename: "leads.csv", ...options });
  return waitForImport(user, queued.jobId);
}
