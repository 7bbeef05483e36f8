// A service that installed the client package from its tarball (see client-package.test.ts):
// only the package's public surface and web APIs, so it type-checks with or without the DOM lib.
import { CrmHttpError, createCrmClient, type RouterOutputs } from "@crm-api/client";

type ImportJob = RouterOutputs["imports"]["byId"];

export interface ConsumerRun {
  organizationId: string;
  createdLead: { id: string; email: string | null; createdAtIsDate: boolean };
  listedEmails: string[];
  exportedCsvHasLead: boolean;
  importJob: { status: ImportJob["status"]; rowsCreated: number };
  emailsAfterImport: string[];
  refusedUpload: { status: number; code: string };
}

export async function run(url: string): Promise<ConsumerRun> {
  const crm = createCrmClient({ url });
  const session = await crm.$session.signup({
    email: `consumer-${Date.now()}@example.test`,
    password: "correct horse battery staple",
    name: "Consumer",
    organizationName: "Consumer org",
  });

  const lead = await crm.leads.create.mutate({ firstName: "Grace", lastName: "Hopper", email: "grace@example.test" });
  // @ts-expect-error: the procedures are typed, not `any` (firstName is a string)
  await crm.leads.create.mutate({ firstName: 42 }).catch(() => undefined);
  const list = await crm.leads.list.query({ limit: 10 });

  const exported = await crm.$files.exportLeads({ format: "csv" });
  const csv = await exported.text();

  const queued = await crm.$files.importLeads(new TextEncoder().encode("First Name,Email\nAda,ada@example.test\n"), {
    filename: "leads.csv",
    mode: "valid_only",
  });
  let job = await crm.imports.byId.query({ id: queued.jobId });
  while (job.status === "queued" || job.status === "running") {
    await new Promise((resolve) => setTimeout(resolve, 50));
    job = await crm.imports.byId.query({ id: queued.jobId });
  }
  const after = await crm.leads.list.query({ limit: 10, sortBy: "createdAt", sortOrder: "asc" });

  const refused = await crm.$files.importLeads(new Uint8Array(), { filename: "leads.txt" }).then(
    () => ({ status: 0, code: "accepted" }),
    (error: unknown) =>
      error instanceof CrmHttpError ? { status: error.status, code: error.code } : { status: -1, code: String(error) },
  );

  return {
    organizationId: session.organization.id,
    createdLead: { id: lead.id, email: lead.email, createdAtIsDate: lead.createdAt instanceof Date },
    listedEmails: list.items.map((item) => item.email ?? ""),
    exportedCsvHasLead: csv.includes("grace@example.test"),
    importJob: { status: job.status, rowsCreated: job.rowsCreated },
    emailsAfterImport: after.items.map((item) => item.email ?? ""),
    refusedUpload: refused,
  };
}

/** Compiles only while the generic file helpers are typed by the server's registry (never called). */
export function fileHelperTypes(crm: ReturnType<typeof createCrmClient>) {
  void crm.$files.export("leads", { format: "csv", status: ["qualified"], sortOrder: "asc" });
  void crm.$files.import("leads", new Uint8Array(), { filename: "leads.csv", duplicatePolicy: "update" });
  // @ts-expect-error: a resource the registry does not have
  void crm.$files.export("widgets");
  // @ts-expect-error: an export takes its own resource's filters
  void crm.$files.export("leads", { domain: "acme.example" });
}

/** Compiles only while timeline entries are a union told apart by `type`, each with its own data (never called). */
export function timelineTypes(crm: ReturnType<typeof createCrmClient>) {
  void crm.deals.timeline.query({ id: "" }).then((page) => {
    for (const entry of page.items) {
      if (entry.type === "stageChange") void (entry.data.stage.name satisfies string);
      if (entry.type === "interaction")
        void (entry.data.kind satisfies "call" | "email" | "meeting" | "note" | "sms" | "task" | "other");
      // @ts-expect-error: data is typed by the entry's type, not unknown
      void entry.data.nonexistent;
    }
  });
}
