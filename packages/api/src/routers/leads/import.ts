import type { Lead, Prisma } from "@crm/db";
import { describeIssues } from "../../errors.ts";
import type { ImportField } from "../../imports/columns.ts";
import type { CandidateRow, ImportTarget, RowHandler, RowOutcome } from "../../imports/pipeline.ts";
import type { RowIssue } from "../../imports/types.ts";
import { type AuditEntry, writeAuditMany } from "../../lib/audit.ts";
import { insertRows, updateRowsById } from "../../lib/bulk-sql.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { OrgContext } from "../../trpc.ts";
import { type CreateLeadInput, createLeadInput } from "./schemas.ts";
import { auditable, type LeadChanges, leadChangeData, leadChangeRescores, lockLeads, newLeadData } from "./service.ts";

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

/** Later rows with the same email fill in and override what earlier ones gave. */
function mergeInput(earlier: Partial<CreateLeadInput>, later: Partial<CreateLeadInput>): CreateLeadInput {
  return { ...earlier, ...later } as CreateLeadInput;
}

/** An update from a row: the row's non-empty cells, never its email (the key it matched on). */
function changesFromRow(input: Partial<CreateLeadInput>): LeadChanges {
  const { manualScore, email: _email, ...fields } = input;
  const changes: LeadChanges = { ...(fields as LeadChanges) };
  if (manualScore !== undefined && manualScore !== null) {
    Object.assign(changes, { score: manualScore, scoreIsManual: true, scoreBreakdown: [] });
  }
  return changes;
}

/**
 * The live leads with one of `emails`; with `lock`, locked until the batch commits, so nobody
 * changes them between this read and the batch's write. A lead given one of these emails after
 * the first read is not among them: creating its row then breaks the unique email and the batch
 * runs again.
 */
async function liveLeadsByEmail(db: Prisma.TransactionClient, ctx: OrgContext, emails: string[], options: { lock: boolean }) {
  const where = { organizationId: ctx.org.id, deletedAt: null, email: { in: emails } };
  if (!options.lock) return db.lead.findMany({ where });
  const matching = await db.lead.findMany({ where, select: { id: true } });
  const wanted = new Set(emails);
  const locked = await lockLeads(
    db,
    ctx,
    matching.map((lead) => lead.id),
    { deleted: false },
  );
  return locked.filter((lead) => lead.email !== null && wanted.has(lead.email));
}

async function openLeadRows(db: Prisma.TransactionClient, ctx: OrgContext): Promise<RowHandler<CreateLeadInput>> {
  const members = await db.membership.findMany({
    where: { organizationId: ctx.org.id, status: "active" },
    select: { userId: true, user: { select: { email: true } } },
  });
  const memberIds = new Set(members.map((member) => member.userId));
  const memberByEmail = new Map(members.map((member) => [member.user.email.toLowerCase(), member.userId]));

  /** An assignee given by email or id must be an active member; assigning others needs leads:assign. */
  function assignee(value: unknown): { id?: string; issue?: string } {
    const text = String(value).trim();
    const id = text.includes("@") ? memberByEmail.get(text.toLowerCase()) : memberIds.has(text) ? text : undefined;
    if (!id) return { issue: "is not an active member of this organization (give their email or user id)" };
    if (id !== ctx.actor.userId && !ctx.permissions.has("leads:assign")) {
      return { issue: "missing permission leads:assign to assign a lead to someone else" };
    }
    return { id };
  }

  return {
    read(values, raw) {
      const fields = { ...values };
      if (typeof fields.fullName === "string") {
        if (fields.firstName === undefined) {
          const { firstName, lastName } = splitFullName(fields.fullName);
          fields.firstName = firstName;
          fields.lastName ??= lastName;
        }
        delete fields.fullName;
      }
      const issues: RowIssue[] = [];
      if (fields.assignedToId !== undefined) {
        const resolved = assignee(fields.assignedToId);
        if (resolved.issue) issues.push({ field: "assignedToId", message: resolved.issue, value: raw.assignedToId });
        fields.assignedToId = resolved.id;
      }
      const parsed = createLeadInput.safeParse(fields);
      if (!parsed.success) {
        for (const issue of describeIssues(parsed.error.issues)) {
          const field = issue.path.split(".")[0] ?? issue.path;
          const message = issue.message === "Invalid input: expected string, received undefined" ? "is required" : issue.message;
          issues.push({ field, message, value: raw[field] ?? (field === "firstName" ? raw.fullName : undefined) });
        }
      }
      if (issues.length || !parsed.success) return { issues };
      return { input: parsed.data, key: parsed.data.email ?? undefined };
    },

    async apply(tx, rows, { policy, write }) {
      const emails = [...new Set(rows.map((row) => row.key).filter((key): key is string => Boolean(key)))];
      const existing = emails.length ? await liveLeadsByEmail(tx, ctx, emails, { lock: write }) : [];
      const existingByEmail = new Map(existing.map((lead) => [lead.email as string, lead]));

      const outcomes: RowOutcome[] = [];
      const creates: { input: CreateLeadInput }[] = [];
      const pendingByEmail = new Map<string, { input: CreateLeadInput }>();
      const updates = new Map<string, { before: Lead; input: Partial<CreateLeadInput> }>();
      for (const row of rows as CandidateRow<CreateLeadInput>[]) {
        const email = row.key;
        const current = email ? existingByEmail.get(email) : undefined;
        const pending = email ? pendingByEmail.get(email) : undefined;
        if (!current && !pending && !row.earlierRow) {
          const create = { input: row.input };
          creates.push(create);
          if (email) pendingByEmail.set(email, create);
          outcomes.push({ rowNumber: row.rowNumber, result: "created" });
          continue;
        }
        if (policy === "skip") {
          outcomes.push({ rowNumber: row.rowNumber, result: "skipped" });
          continue;
        }
        if (policy === "error") {
          const message = row.earlierRow
            ? `duplicate: row ${row.earlierRow} has the same email`
            : `duplicate: lead ${current?.id} already has this email`;
          outcomes.push({
            rowNumber: row.rowNumber,
            result: "failed",
            issues: [{ field: "email", message, value: row.raw.email }],
          });
          continue;
        }
        if (pending) pending.input = mergeInput(pending.input, row.input);
        else if (current) {
          const update = updates.get(current.id) ?? { before: current, input: {} };
          update.input = mergeInput(update.input, row.input);
          updates.set(current.id, update);
        }
        // Otherwise the earlier row is not written (a dry run): this row would update its lead.
        outcomes.push({ rowNumber: row.rowNumber, result: "updated" });
      }
      if (!write) return outcomes;

      const now = new Date();
      const audit: AuditEntry[] = [];
      if (creates.length) {
        const created = await insertRows(
          tx,
          "Lead",
          creates.map(({ input }) => ({ id: uuidv7(now.getTime()), ...newLeadData(ctx, input), createdAt: now, updatedAt: now })),
          { returning: true },
        );
        for (const lead of created as Lead[]) {
          audit.push({ action: "create", entityType: "lead", entityId: lead.id, before: null, after: auditable(lead) });
        }
      }
      if (updates.size) {
        const planned = [...updates.values()].map(({ before, input }) => ({ before, changes: changesFromRow(input) }));
        const rescored = planned
          .filter(({ before, changes }) => leadChangeRescores(before, changes))
          .map(({ before }) => before.id);
        const noteCounts = new Map(
          rescored.length
            ? (await tx.leadNote.groupBy({ by: ["leadId"], where: { leadId: { in: rescored } }, _count: { _all: true } })).map(
                (group) => [group.leadId, group._count._all],
              )
            : [],
        );
        const rows = planned.map(({ before, changes }) => ({
          id: before.id,
          ...(leadChangeData(
            ctx,
            before,
            changes,
            rescored.includes(before.id) ? (noteCounts.get(before.id) ?? 0) : undefined,
          ) as Record<string, unknown>),
          updatedAt: now,
        }));
        const updated = new Map(
          ((await updateRowsById(tx, "Lead", ctx.org.id, rows, { returning: true })) as Lead[]).map((lead) => [lead.id, lead]),
        );
        for (const { before } of planned) {
          const after = updated.get(before.id);
          if (after)
            audit.push({
              action: "update",
              entityType: "lead",
              entityId: before.id,
              before: auditable(before),
              after: auditable(after),
            });
        }
      }
      await writeAuditMany(tx, ctx, audit);
      return outcomes;
    },
  };
}

export const leadImportTarget: ImportTarget<CreateLeadInput> = {
  resource: "lead",
  table: "Lead",
  fields: LEAD_IMPORT_FIELDS,
  requiredColumns: [["firstName"], ["fullName"]],
  open: openLeadRows,
};
