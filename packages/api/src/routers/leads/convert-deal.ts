import type { Lead, Prisma } from "@crm/db";
import { z } from "zod";
import { badRequest, conflict } from "../../errors.ts";
import { referenceNotFound } from "../../kit/records.ts";
import type { AnyResource, RecordRow } from "../../kit/resource.ts";
import { currencySchema } from "../../lib/codes.ts";
import { decimalInput } from "../../lib/decimal.ts";
import { idSchema, text } from "../../lib/schemas.ts";
import type { Permission } from "../../permissions.ts";
import type { OrgContext } from "../../trpc.ts";
import type { Step } from "./convert.ts";

type Tx = Prisma.TransactionClient;

/** The deal part of leads.convert. */

export const dealInput = z
  .strictObject({
    name: text(200).optional().meta({ description: 'Default: "<company or lead name> deal".' }),
    pipelineId: idSchema.optional().meta({ description: "Default: the organization's default pipeline." }),
    stageId: idSchema.optional().meta({ description: "Default: the pipeline's first open stage." }),
    amount: decimalInput({ digits: 18, scale: 2, min: 0 }).optional(),
    currency: currencySchema.optional(),
  })
  .meta({ description: "The deal the conversion creates (unless createDeal is false)." });

export type DealInput = z.output<typeof dealInput>;

export const dealOutput = z.object({ id: z.uuid() });

/** Not declared yet: the deals resource lands with its own branch. */
export const dealResource: AnyResource | undefined = undefined;
export const DEAL_PERMISSIONS: Permission[] = [];

export interface ConversionDeal {
  lead: Lead;
  owner: string | null;
  companyName: string | null;
  contactId: string | null;
  companyId: string | null;
}

/** The pipeline and stage of the deal: as given (the stage must be of the pipeline), else the default pipeline's first open stage. */
async function pipelineAndStage(tx: Tx, ctx: OrgContext, input: DealInput | undefined) {
  const scope = { organizationId: ctx.org.id, deletedAt: null };
  if (input?.stageId) {
    const stage = await tx.pipelineStage.findFirst({
      where: { ...scope, id: input.stageId, pipeline: { deletedAt: null } },
      select: { id: true, pipelineId: true },
    });
    if (!stage) throw referenceNotFound("deal.stageId", "Pipeline stage not found");
    if (input.pipelineId && stage.pipelineId !== input.pipelineId) {
      throw badRequest("deal.stageId", "is not a stage of deal.pipelineId");
    }
    return { pipelineId: stage.pipelineId, stageId: stage.id };
  }
  const pipeline = await tx.pipeline.findFirst({
    where: input?.pipelineId ? { ...scope, id: input.pipelineId } : { ...scope, isDefault: true },
    select: { id: true },
  });
  if (!pipeline) {
    throw input?.pipelineId
      ? referenceNotFound("deal.pipelineId", "Pipeline not found")
      : conflict("deal.pipelineId", "the organization has no default pipeline: name one");
  }
  const stage = await tx.pipelineStage.findFirst({
    where: { ...scope, pipelineId: pipeline.id, kind: "open" },
    orderBy: [{ position: "asc" }, { id: "asc" }],
    select: { id: true },
  });
  if (!stage) throw conflict("deal.pipelineId", "the pipeline has no open stage");
  return { pipelineId: pipeline.id, stageId: stage.id };
}

const DEAL_NAME_MAX = 200;

/** "<company or lead name> deal". */
export function defaultDealName(lead: Pick<Lead, "firstName" | "lastName">, companyName: string | null): string {
  const who = companyName ?? [lead.firstName, lead.lastName].filter(Boolean).join(" ");
  const suffix = " deal";
  return `${who.slice(0, DEAL_NAME_MAX - suffix.length)}${suffix}`;
}

/** The deal a conversion creates: its values (contact and company are those of the plan; new ones are known once written). */
export async function planDeal(
  tx: Tx,
  ctx: OrgContext,
  defaults: ConversionDeal,
  input: DealInput | undefined,
): Promise<Step<RecordRow>> {
  if (!dealResource) return { action: "none", record: null, values: {} };
  const { pipelineId, stageId } = await pipelineAndStage(tx, ctx, input);
  const values: Record<string, unknown> = {
    name: input?.name ?? defaultDealName(defaults.lead, defaults.companyName),
    pipelineId,
    stageId,
    ...(input?.amount !== undefined ? { amount: input.amount.toFixed(2) } : {}),
    ...(input?.currency !== undefined ? { currency: input.currency } : {}),
    contactId: defaults.contactId,
    companyId: defaults.companyId,
    ownerId: defaults.owner,
    sourceLeadId: defaults.lead.id,
  };
  return { action: "create", record: null, values };
}
