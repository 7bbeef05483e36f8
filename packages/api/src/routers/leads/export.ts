import type { Lead, Prisma } from "@crm/db";
import type { z } from "zod";
import { type ExportableResource, exportInputOf, exportRecords } from "../../exports/records.ts";
import type { ExportColumn } from "../../exports/table-stream.ts";
import { keysetPage } from "../../lib/pagination.ts";
import type { OrgContext } from "../../trpc.ts";
import { hotThreshold } from "./present.ts";
import { leadFilterShape } from "./schemas.ts";
import { leadsWhere } from "./service.ts";

/** The list filters of `GET /leads`, the file format and the order (by creation time). */
export const exportLeadsInput = exportInputOf(leadFilterShape);
export type ExportLeadsInput = z.input<typeof exportLeadsInput>;

/** The columns an export reads (not the search text or the score breakdown: a third faster at 100k rows). */
const EXPORTED = {
  id: true,
  firstName: true,
  lastName: true,
  email: true,
  phone: true,
  companyName: true,
  jobTitle: true,
  vertical: true,
  website: true,
  interests: true,
  source: true,
  status: true,
  score: true,
  conversionProbability: true,
  assignedToId: true,
  lastContactedAt: true,
  nextFollowUpAt: true,
  callAttempts: true,
  tags: true,
  isActive: true,
  notes: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.LeadSelect;

type ExportedLead = Pick<Lead, keyof typeof EXPORTED> & { isHot: boolean };

/** Headers are the names the importer recognises, so an export can be edited and imported back. */
export const LEAD_EXPORT_COLUMNS: ExportColumn<ExportedLead>[] = [
  { header: "ID", kind: "text", width: 38, value: (lead) => lead.id },
  { header: "First Name", kind: "text", width: 16, value: (lead) => lead.firstName },
  { header: "Last Name", kind: "text", width: 16, value: (lead) => lead.lastName },
  { header: "Email", kind: "text", width: 28, value: (lead) => lead.email },
  { header: "Phone", kind: "text", width: 16, value: (lead) => lead.phone },
  { header: "Company Name", kind: "text", width: 24, value: (lead) => lead.companyName },
  { header: "Job Title", kind: "text", width: 20, value: (lead) => lead.jobTitle },
  { header: "Industry", kind: "text", width: 16, value: (lead) => lead.vertical },
  { header: "Website", kind: "text", width: 24, value: (lead) => lead.website },
  { header: "Interests", kind: "list", width: 20, value: (lead) => lead.interests },
  { header: "Source", kind: "text", value: (lead) => lead.source },
  { header: "Status", kind: "text", value: (lead) => lead.status },
  { header: "Score", kind: "integer", width: 8, value: (lead) => lead.score },
  { header: "Hot", kind: "boolean", width: 8, value: (lead) => lead.isHot },
  { header: "Conversion Probability", kind: "percent", value: (lead) => lead.conversionProbability },
  { header: "Assigned To ID", kind: "text", width: 38, value: (lead) => lead.assignedToId },
  { header: "Last Contacted At", kind: "date", width: 20, value: (lead) => lead.lastContactedAt },
  { header: "Next Follow-up At", kind: "date", width: 20, value: (lead) => lead.nextFollowUpAt },
  { header: "Call Attempts", kind: "integer", value: (lead) => lead.callAttempts },
  { header: "Tags", kind: "list", width: 20, value: (lead) => lead.tags },
  { header: "Active", kind: "boolean", width: 8, value: (lead) => lead.isActive },
  { header: "Notes", kind: "text", width: 40, value: (lead) => lead.notes },
  { header: "Created At", kind: "date", width: 20, value: (lead) => lead.createdAt },
  { header: "Updated At", kind: "date", width: 20, value: (lead) => lead.updatedAt },
];

const PAGE_SIZE = 2000;

/** The matching leads, a page at a time by (createdAt, id): never all of them in memory. */
async function* leadPages(ctx: OrgContext, input: z.output<typeof exportLeadsInput>): AsyncGenerator<ExportedLead[]> {
  const threshold = await hotThreshold(ctx.db, ctx);
  const where = leadsWhere(ctx, input, threshold);
  let cursor: string | undefined;
  do {
    const page = keysetPage({ field: "createdAt", type: "date", order: input.sortOrder }, PAGE_SIZE, cursor);
    const rows = await ctx.db.lead.findMany({
      select: EXPORTED,
      where: { AND: [where, page.where] },
      orderBy: page.orderBy as Prisma.LeadOrderByWithRelationInput[],
      take: page.take,
    });
    const result = page.toPage(rows);
    yield result.items.map((lead) => ({ ...lead, isHot: lead.score >= threshold }));
    cursor = result.nextCursor ?? undefined;
  } while (cursor);
}

/** Leads as the shared export stream writes them. */
export const leadExport: ExportableResource<typeof exportLeadsInput, ExportedLead> = {
  key: "leads",
  permission: "leads:export",
  sheetName: "Leads",
  input: exportLeadsInput,
  columns: LEAD_EXPORT_COLUMNS,
  pages: leadPages,
};

/** The leads matching the list filters as a CSV or XLSX stream (see exportRecords). */
export function exportLeads(ctx: OrgContext, raw: unknown) {
  return exportRecords(ctx, leadExport, raw);
}
