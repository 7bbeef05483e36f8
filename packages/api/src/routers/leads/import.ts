import type { Lead, Prisma } from "@crm/db";
import type { ImportField } from "../../imports/columns.ts";
import type { ImportableResource, PlannedUpdate } from "../../imports/record-writer.ts";
import { importableOf, importFieldsOf } from "../../kit/files.ts";
import type { OrgContext } from "../../trpc.ts";
import { type CreateLeadInput, leads } from "./schemas.ts";
import { type LeadChanges, leadChangeData, leadChangeRescores } from "./service.ts";

/**
 * The columns a lead file may have, by the names spreadsheets and other CRMs use (from the field
 * table). `fullName` is not a lead field: a "Name" column is split into first and last name when
 * there is no "First Name".
 */
const FULL_NAME_COLUMN: ImportField = {
  field: "fullName",
  kind: "text",
  aliases: ["Name", "Full Name", "Contact Name", "Lead Name", "Contact"],
};
export const LEAD_IMPORT_FIELDS: ImportField[] = importFieldsOf(leads, [FULL_NAME_COLUMN]);

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
  // A converted lead keeps its status whatever the file says (see refuseUnconverting).
  const planned = updates.map(({ before, changes: { status, ...changes } }) => ({
    before,
    changes: changesFromRow(status === undefined || before.status === "converted" ? changes : { ...changes, status }),
  }));
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
export const leadImport = importableOf(leads, {
  extraFields: [FULL_NAME_COLUMN],
  requiredColumns: [["firstName"], ["fullName"]],
  prepareRow: splitNameColumn,
  sourceColumns: { firstName: "fullName" },
  updateRows: leadUpdateRows as ImportableResource["updateRows"],
});
