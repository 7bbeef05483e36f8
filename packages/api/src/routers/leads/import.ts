import type { Lead, Prisma } from "@crm/db";
import type { ImportField } from "../../imports/columns.ts";
import type { ImportableResource, PlannedUpdate } from "../../imports/record-writer.ts";
import type { OrgContext } from "../../trpc.ts";
import { type CreateLeadInput, createLeadInput } from "./schemas.ts";
import { auditable, type LeadChanges, leadChangeData, leadChangeRescores, newLeadData } from "./service.ts";

/**
 * The columns a lead file may have, by the names spreadsheets and other CRMs use. `fullName` is
 * not a lead field: a "Name" column is split into first and last name when there is no "First Name".
 */
export const LEAD_IMPORT_FIELDS: ImportField[] = [
  { field: "firstName", kind: "text", aliases: ["First Name", "first_name", "firstname", "Given Name", "Forename", "First"] },
  { field: "lastName", kind: "text", aliases: ["Last Name", "last_name", "Surname", "Family Name", "Last"] },
  { field: "fullName", kind: "text", aliases: ["Name", "Full Name", "Contact Name", "Lead Name", "Contact"] },
  { field: "email", kind: "text", aliases: ["Email", "E-mail", "Email Address", "E-mail Address", "Mail", "Work Email"] },
  {
    field: "phone",
    kind: "text",
    aliases: ["Phone", "Phone Number", "Mobile", "Mobile Phone", "Telephone", "Tel", "Cell", "Work Phone"],
  },
  {
    field: "companyName",
    kind: "text",
    aliases: ["Company Name", "company_name", "Company", "Organization", "Organisation", "Account Name", "Account", "Employer"],
  },
  { field: "jobTitle", kind: "text", aliases: ["Job Title", "job_title", "Title", "Position", "Role", "Designation"] },
  { field: "vertical", kind: "text", aliases: ["Industry", "Vertical", "Sector"] },
  { field: "website", kind: "text", aliases: ["Website", "Web Site", "URL", "Homepage", "Company Website", "Web"] },
  { field: "interests", kind: "list", aliases: ["Interests", "Keywords", "Site Search", "Search Terms"] },
  { field: "source", kind: "enum", aliases: ["Source", "Lead Source", "Channel", "Origin"] },
  { field: "status", kind: "enum", aliases: ["Status", "Lead Status", "Stage"] },
  { field: "tags", kind: "list", aliases: ["Tags", "Tag", "Labels"] },
  { field: "notes", kind: "text", aliases: ["Notes", "Note", "Comments", "Comment", "Description"] },
  { field: "conversionProbability", kind: "number", aliases: ["Conversion Probability", "Probability"] },
  { field: "manualScore", kind: "integer", aliases: ["Manual Score"] },
  {
    field: "assignedToId",
    kind: "text",
    aliases: [
      "Assigned To",
      "Assigned To ID",
      "Assigned To Email",
      "Assignee",
      "Owner",
      "Owner Email",
      "Lead Owner",
      "Sales Rep",
    ],
  },
  {
    field: "lastContactedAt",
    kind: "date",
    aliases: ["Last Contacted", "Last Contacted At", "Last Contact", "Last Contact Date"],
  },
  {
    field: "nextFollowUpAt",
    kind: "date",
    aliases: ["Next Follow-up At", "Next Follow-up", "Next Follow Up", "Follow-up Date", "Follow Up Date", "Follow-up"],
  },
  { field: "isActive", kind: "boolean", aliases: ["Active", "Is Active"] },
];

/** "Ada Lovelace" → Ada / Lovelace; "Lovelace, Ada" → Ada / Lovelace; "Mary Ann Smith" → Mary Ann / Smith. */
export function splitFullName(fullName: string): { firstName: string; lastName?: string } {
  const comma = fullName.indexOf(",");
  if (comma > 0) {
    const last = fullName.slice(0, comma).trim();
    const first = fullName.slice(comma + 1).trim();
    return first ? { firstName: first, lastName: last || undefined } : { firstName: last };
  }
  const parts = fullName.trim().split(/\s+/);
  if (parts.length < 2) return { firstName: fullName.trim() };
  return { firstName: parts.slice(0, -1).join(" "), lastName: parts.at(-1) };
}

/** An update from the rows' cells (without the email they matched on); a manual score replaces the computed one. */
function changesFromRow(input: Partial<CreateLeadInput>): LeadChanges {
  const { manualScore, ...fields } = input;
  const changes: LeadChanges = { ...(fields as LeadChanges) };
  if (manualScore !== undefined && manualScore !== null) {
    Object.assign(changes, { score: manualScore, scoreIsManual: true, scoreBreakdown: [] });
  }
  return changes;
}

/** A "Name" column fills first and last name when the file has no "First Name". */
function splitNameColumn(values: Record<string, unknown>): Record<string, unknown> {
  const fields = { ...values };
  if (typeof fields.fullName === "string") {
    if (fields.firstName === undefined) {
      const { firstName, lastName } = splitFullName(fields.fullName);
      fields.firstName = firstName;
      fields.lastName ??= lastName;
    }
    delete fields.fullName;
  }
  return fields;
}

/** The columns of each update, re-scored (with the lead's note count) where the changes call for it. */
async function leadUpdateRows(tx: Prisma.TransactionClient, ctx: OrgContext, updates: PlannedUpdate<CreateLeadInput, Lead>[]) {
  const planned = updates.map(({ before, changes }) => ({ before, changes: changesFromRow(changes) }));
  const rescored = planned.filter(({ before, changes }) => leadChangeRescores(before, changes)).map(({ before }) => before.id);
  const noteCounts = new Map(
    rescored.length
      ? (await tx.leadNote.groupBy({ by: ["leadId"], where: { leadId: { in: rescored } }, _count: { _all: true } })).map(
          (group) => [group.leadId, group._count._all],
        )
      : [],
  );
  return planned.map(
    ({ before, changes }) =>
      leadChangeData(ctx, before, changes, rescored.includes(before.id) ? (noteCounts.get(before.id) ?? 0) : undefined) as Record<
        string,
        unknown
      >,
  );
}

/** Leads as the shared record writer imports them: matched by email, assigned by `assignedToId`. */
export const leadImport: ImportableResource<CreateLeadInput, Lead> = {
  key: "leads",
  singular: "lead",
  entityType: "lead",
  permission: "leads:import",
  rows: { table: "Lead", model: (tx) => tx.lead },
  fields: LEAD_IMPORT_FIELDS,
  requiredColumns: [["firstName"], ["fullName"]],
  createInput: createLeadInput,
  duplicateKeys: [{ field: "email" }],
  owner: { field: "assignedToId", permission: "leads:assign" },
  prepareRow: splitNameColumn,
  sourceColumns: { firstName: "fullName" },
  newRow: (ctx, input) => newLeadData(ctx, input) as Record<string, unknown>,
  updateRows: leadUpdateRows,
  auditable,
};
