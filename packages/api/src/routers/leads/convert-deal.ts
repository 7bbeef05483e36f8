import type { Lead, Prisma } from "@crm/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { errorDetailsOf, fieldError } from "../../errors.ts";
import type { AnyResource, RecordRow } from "../../kit/resource.ts";
import { currencySchema } from "../../lib/codes.ts";
import { decimalInput } from "../../lib/decimal.ts";
import { idSchema, text } from "../../lib/schemas.ts";
import type { Permission } from "../../permissions.ts";
import type { OrgContext } from "../../trpc.ts";
import { deals } from "../deals/schemas.ts";
import { startingStage } from "../deals/stage-moves.ts";
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

export const dealOutput = deals.schemas.output;
export const dealResource: AnyResource = deals;
export const DEAL_PERMISSIONS: Permission[] = ["deals:write"];

export interface ConversionDeal {
  lead: Lead;
  owner: string | null;
  companyName: string | null;
  contactId: string | null;
  companyId: string | null;
}

/** The deal's starting stage as deals.create picks it, its errors naming the fields under `deal`. */
async function startingStageOfDeal(tx: Tx, ctx: OrgContext, input: DealInput | undefined) {
  try {
    return await startingStage(tx, ctx, input?.pipelineId, input?.stageId);
  } catch (error) {
    const details = error instanceof TRPCError ? errorDetailsOf(error) : undefined;
    if (!details || !(error instanceof TRPCError) || error.code === "INTERNAL_SERVER_ERROR") throw error;
    const issues = details.issues.map((issue) => ({ ...issue, path: `deal.${issue.path}` }));
    throw fieldError(error.code as "BAD_REQUEST" | "CONFLICT" | "NOT_FOUND", `deal.${error.message}`, issues);
  }
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
  const { pipelineId, id: stageId } = await startingStageOfDeal(tx, ctx, input);
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
