import type { ImportOptionsInput } from "@crm/api";
import type { RouterInputs, RouterOutputs } from "./router.ts";

/** An error answer of the file routes, in the REST error shape. */
export class CrmHttpError extends Error {
  override name = "CrmHttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: { path: string; message: string }[],
    readonly requestId?: string,
  ) {
    super(message);
  }
}

type ImportJob = RouterOutputs["imports"]["byId"];

/**
 * The resources files can be imported to and exported from (`leads`): the server's registry, as
 * the router's import jobs name them. Every exportable resource of the registry is importable.
 */
export type FileResource = ImportJob["resource"];

export interface ImportFileOptions {
  /** The file's name; its extension (.csv or .xlsx) says how it is read. */
  filename: string;
  /**
   * `valid_only` (default) writes the valid rows, `all_or_nothing` writes nothing if any row has an
   * error, `dry_run` only reports.
   */
  mode?: ImportJob["mode"];
  /**
   * A row whose duplicate key (leads: email) a live record already has: `skip` it (default),
   * `update` that record, or report an `error`.
   */
  duplicatePolicy?: ImportJob["duplicatePolicy"];
  /** `{ "column header": "field" }`, or null to ignore a column; merged over the automatic mapping. */
  mapping?: Record<string, string | null>;
}

export type ImportLeadsOptions = ImportFileOptions;

/** An export's query: the list filters of the resource (`RouterInputs[resource]["list"]`), its order and the file format. */
export type ExportOptions<Resource extends FileResource> = Omit<
  RouterInputs[Resource]["list"],
  "limit" | "cursor" | "sortBy" | "withTotal"
> & { format?: "csv" | "xlsx" };
export type ExportLeadsOptions = ExportOptions<"leads">;

export interface ImportQueued {
  jobId: string;
  status: ImportJob["status"];
  /** Data rows counted at upload (CSV), else null. */
  rowsTotal: number | null;
}

type FileBody = Blob | Uint8Array | ArrayBuffer;

/**
 * The routes the tRPC client cannot call: import (multipart upload) and export of each file
 * resource, and the import error report (downloads). Same credentials, organization and refresh
 * as the procedures; an error answer throws CrmHttpError.
 */
export interface FileHelpers {
  /**
   * Uploads a .csv or .xlsx file of `resource` (`POST /api/v1/{resource}/import`); resolves with
   * the import job's id as soon as the file is accepted (follow it with `imports.byId`). A file
   * that cannot be imported rejects with a 4xx CrmHttpError and nothing is written.
   */
  import(resource: FileResource, file: FileBody, options: ImportFileOptions): Promise<ImportQueued>;
  /**
   * The records of `resource` matching its list filters as a file (`GET /api/v1/{resource}/export`;
   * `format` xlsx by default, or csv): a streaming Response.
   */
  export<Resource extends FileResource>(resource: Resource, options?: ExportOptions<Resource>): Promise<Response>;
  /** `import("leads", file, options)`. */
  importLeads(file: FileBody, options: ImportLeadsOptions): Promise<ImportQueued>;
  /** `export("leads", options)`. */
  exportLeads(options?: ExportLeadsOptions): Promise<Response>;
  /** The row errors of an import job as CSV (row, field, error, value): a streaming Response. */
  importErrorsCsv(jobId: string): Promise<Response>;
}

export interface FileTransport {
  baseUrl: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  authorization(): Promise<string | undefined>;
  /** Runs before each call (e.g. switching to the requested organization). */
  prepare(): Promise<void>;
  /** Refreshes the session after a 401; false when it cannot. */
  refresh(): Promise<boolean>;
}

async function httpError(response: Response): Promise<CrmHttpError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as {
      code?: string;
      message?: string;
      issues?: { path: string; message: string }[];
      requestId?: string;
    };
    return new CrmHttpError(response.status, body.code ?? "ERROR", body.message ?? text, body.issues, body.requestId);
  } catch {
    return new CrmHttpError(response.status, "ERROR", text || response.statusText);
  }
}

function queryString(options: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(",") : value instanceof Date ? value.toISOString() : String(value);
    query.set(key, text);
  }
  const encoded = query.toString();
  return encoded ? `?${encoded}` : "";
}

export function fileHelpers(transport: FileTransport): FileHelpers {
  const send = transport.fetch ?? fetch;

  async function call(path: string, init: { method: string; body?: () => FormData }): Promise<Response> {
    await transport.prepare();
    for (let attempt = 0; ; attempt++) {
      const authorization = await transport.authorization();
      const response = await send(`${transport.baseUrl}${path}`, {
        method: init.method,
        headers: { ...transport.headers, ...(authorization ? { authorization } : {}) },
        body: init.body?.(),
      });
      if (response.ok) return response;
      if (response.status === 401 && attempt === 0 && (await transport.refresh())) {
        await response.body?.cancel();
        continue;
      }
      throw await httpError(response);
    }
  }

  const helpers: FileHelpers = {
    async import(resource, file, { filename, ...options }) {
      // Typed as the server's form schema, so a field it renames or narrows fails to compile here.
      const fields: ImportOptionsInput = options;
      const response = await call(`/api/v1/${encodeURIComponent(resource)}/import`, {
        method: "POST",
        body: () => {
          const form = new FormData();
          for (const [name, value] of Object.entries(fields)) {
            if (value !== undefined) form.append(name, typeof value === "string" ? value : JSON.stringify(value));
          }
          form.append(
            "file",
            file instanceof Blob ? file : new Blob([file instanceof ArrayBuffer ? new Uint8Array(file) : file]),
            filename,
          );
          return form;
        },
      });
      return (await response.json()) as ImportQueued;
    },

    export(resource, options) {
      return call(`/api/v1/${encodeURIComponent(resource)}/export${queryString(options ?? {})}`, { method: "GET" });
    },

    importLeads: (file, options) => helpers.import("leads", file, options),

    exportLeads: (options) => helpers.export("leads", options),

    importErrorsCsv(jobId) {
      return call(`/api/v1/imports/${encodeURIComponent(jobId)}/errors.csv`, { method: "GET" });
    },
  };
  return helpers;
}
