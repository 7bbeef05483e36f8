import type { Lead, Prisma } from "@crm/db";
import { recordsWhere } from "../../kit/list.ts";
import { auditable as auditSnapshot, changeRecord, lockRecords, type RecordState } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import type { LeadChanges } from "./derived.ts";
import { type LeadFilterInput, leads } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

export {
  derivedLeadFields,
  type LeadChanges,
  leadChangeData,
  leadChangeRescores,
  newLeadData,
  STATUS_PROBABILITY,
} from "./derived.ts";

/** The leads `ids` of the org, locked until `tx` ends (see lockRows), in any order; missing or foreign ids are left out. */
export function lockLeads(tx: Tx, ctx: OrgContext, ids: readonly string[], state: RecordState = {}): Promise<Lead[]> {
  return lockRecords<Lead>(tx, ctx, leads, ids, state);
}

/** `before` is the lead as lockRecord returned it in this transaction; `action` names a workflow step (qualify). */
export function changeLead(tx: Tx, ctx: OrgContext, before: Lead, changes: LeadChanges, action = "update"): Promise<Lead> {
  return changeRecord<Lead>(tx, ctx, leads, before, changes, { action });
}

/** Audit snapshots leave out what is derived from other fields. */
export function auditable(lead: Lead) {
  return auditSnapshot(leads, lead);
}

/** The lead filters as a where clause (list, stats, export). */
export async function leadsWhere(db: Tx, ctx: OrgContext, filters: LeadFilterInput, threshold: number) {
  return (await recordsWhere(db, ctx, leads, filters, threshold)) as Prisma.LeadWhereInput;
}
