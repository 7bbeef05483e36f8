import type { Prisma } from "@crm/db";
import { z } from "zod";
import { listRecords } from "../../kit/list.ts";
import { referenceNotFound } from "../../kit/records.ts";
import { idSchema } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";
import { deals } from "./schemas.ts";
import { defaultPipelineId, stagesOf } from "./stage-moves.ts";

type Tx = Prisma.TransactionClient;

export const dealBoardInput = z.strictObject({
  pipelineId: idSchema.optional().meta({ description: "The pipeline; the default pipeline when left out." }),
  limit: z.coerce.number().int().min(1).max(100).default(25).meta({ description: "Deals shown per stage (the first page)." }),
});

export const currencyTotal = z.object({
  currency: z.string().nullable().meta({ description: "ISO 4217; null for deals without an amount." }),
  count: z.number().int(),
  amount: z.string().meta({ description: "Sum of the amounts, exact (2 decimals)." }),
  weighted: z
    .string()
    .meta({ description: "Sum of amount × probability (the deal's override, else its stage's), exact (2 decimals)." }),
});

export const dealBoardOutput = z.object({
  pipeline: z.object({ id: z.uuid(), name: z.string(), isDefault: z.boolean() }),
  stages: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      kind: z.enum(["open", "won", "lost"]),
      position: z.number().int(),
      probability: z.number(),
      rottingDays: z.number().int().nullable(),
      count: z.number().int(),
      totals: z.array(currencyTotal),
      deals: z.object({ items: z.array(deals.schemas.output), nextCursor: z.string().nullable() }),
    }),
  ),
});

interface TotalRow {
  stageId: string;
  currency: string | null;
  count: number;
  amount: string;
  weighted: string;
}

/** Count and sums per stage and currency, computed in SQL numeric. */
export function stageTotals(db: Tx, ctx: OrgContext, pipelineId: string): Promise<TotalRow[]> {
  return db.$queryRaw<TotalRow[]>`
    SELECT d."stageId"::text AS "stageId", d."currency"::text AS "currency", count(*)::int AS "count",
           coalesce(sum(d."amount"), 0)::numeric(20, 2)::text AS "amount",
           coalesce(sum(round(d."amount" * coalesce(d."probability", s."probability"), 2)), 0)::numeric(20, 2)::text AS "weighted"
    FROM "Deal" d JOIN "PipelineStage" s ON s."id" = d."stageId"
    WHERE d."organizationId" = ${ctx.org.id}::uuid AND d."pipelineId" = ${pipelineId}::uuid AND d."deletedAt" IS NULL
    GROUP BY d."stageId", d."currency"
    ORDER BY d."currency" NULLS LAST`;
}

/** `GET /deals/board`: the pipeline's stages in order with their counts, totals and first page of deals. */
export async function dealBoard(db: Tx, ctx: OrgContext, input: z.output<typeof dealBoardInput>) {
  const pipelineId = input.pipelineId ?? (await defaultPipelineId(db, ctx));
  const pipeline = await db.pipeline.findFirst({ where: { id: pipelineId, organizationId: ctx.org.id, deletedAt: null } });
  if (!pipeline) throw referenceNotFound("pipelineId", "Pipeline not found");
  const [stages, totals] = await Promise.all([stagesOf(db, ctx, pipelineId), stageTotals(db, ctx, pipelineId)]);
  return {
    pipeline: { id: pipeline.id, name: pipeline.name, isDefault: pipeline.isDefault },
    stages: await Promise.all(
      stages.map(async (stage) => {
        const own = totals.filter((row) => row.stageId === stage.id);
        const page = await listRecords(db, ctx, deals, {
          stageId: [stage.id],
          deleted: "exclude",
          limit: input.limit,
          sortBy: "createdAt",
          sortOrder: "desc",
        });
        return {
          id: stage.id,
          name: stage.name,
          kind: stage.kind,
          position: stage.position,
          probability: stage.probability.toNumber(),
          rottingDays: stage.rottingDays,
          count: own.reduce((sum, row) => sum + row.count, 0),
          totals: own.map(({ stageId: _stage, ...total }) => total),
          deals: { items: page.items, nextCursor: page.nextCursor },
        };
      }),
    ),
  };
}
