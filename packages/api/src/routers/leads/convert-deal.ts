import type { Lead, Prisma } from "@crm/db";
import { z } from "zod";
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

export async function planDeal(
  _tx: Tx,
  _ctx: OrgContext,
  _defaults: ConversionDeal,
  _input: z.output<typeof dealInput> | undefined,
): Promise<Step<RecordRow>> {
  return { action: "none", record: null, values: {} };
}
