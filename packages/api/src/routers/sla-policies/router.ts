import type { Prisma, SlaPolicy } from "@crm/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { lockRecord, lockRecords, writeRecord } from "../../kit/records.ts";
import { idInput } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";
import { slaPolicies, slaPolicyOutput } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

// Configuration, as pipelines: no bulk tools, no purge (tickets keep naming the policies they were measured by).
const { list, byId, create, update, restore, history } = resourceProcedures(slaPolicies);

const lockLivePolicy = (tx: Tx, ctx: OrgContext, id: string) =>
  lockRecord<SlaPolicy>(tx, ctx, slaPolicies, id, { deleted: false });

/** Makes a policy the default one (the previous default stops being it). */
async function setDefaultPolicy(tx: Tx, ctx: OrgContext, id: string) {
  const target = await lockLivePolicy(tx, ctx, id);
  if (target.isDefault) return target;
  const current = await tx.slaPolicy.findFirst({ where: { organizationId: ctx.org.id, isDefault: true, deletedAt: null } });
  if (current) {
    const [locked] = await lockRecords(tx, ctx, slaPolicies, [current.id]);
    if (locked) await writeRecord(tx, ctx, slaPolicies, locked, { isDefault: false }, "unset-default");
  }
  return writeRecord(tx, ctx, slaPolicies, target, { isDefault: true }, "set-default");
}

/** A deleted policy is no longer the default (new tickets then take none); its tickets keep their due instants. */
async function deletePolicy(tx: Tx, ctx: OrgContext, id: string) {
  const policy = await lockLivePolicy(tx, ctx, id);
  return writeRecord(tx, ctx, slaPolicies, policy, { deletedAt: new Date(), isDefault: false }, "delete");
}

export const slaPoliciesRouter = staticRoutesFirst({
  list,
  byId,
  create,
  update,
  restore,
  history,

  delete: resourceAction(slaPolicies, "delete", {
    method: "DELETE",
    path: "/{id}",
    summary: "Soft-delete an SLA policy (if it was the default, new tickets take none until another is made the default)",
  })
    .input(idInput)
    .output(slaPolicyOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, slaPolicies, (tx) => deletePolicy(tx, ctx, input.id))),

  setDefault: resourceAction(slaPolicies, "write", {
    method: "POST",
    path: "/{id}/set-default",
    summary: "Make an SLA policy the organization's default (new tickets take it)",
  })
    .input(idInput)
    .output(slaPolicyOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, slaPolicies, (tx) => setDefaultPolicy(tx, ctx, input.id))),
} satisfies TRPCRouterRecord);
