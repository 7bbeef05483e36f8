import type { Deal, PipelineStage, Prisma } from "@crm/db";
import type { OrgContext } from "../../trpc.ts";

type StageSummary = Pick<PipelineStage, "name" | "kind" | "probability"> & { pipelineName: string };

/** Every stage of the organization (deleted ones too: a deal's history may name them), by id. */
export async function stagesById(db: Prisma.TransactionClient, ctx: OrgContext): Promise<Map<string, StageSummary>> {
  const stages = await db.pipelineStage.findMany({
    where: { organizationId: ctx.org.id },
    select: { id: true, name: true, kind: true, probability: true, pipeline: { select: { name: true } } },
  });
  return new Map(stages.map(({ id, pipeline, ...stage }) => [id, { ...stage, pipelineName: pipeline.name }]));
}

export function isRotting(deal: Pick<Deal, "status" | "rotsAt">, now: number): boolean {
  return deal.status === "open" && deal.rotsAt !== null && deal.rotsAt.getTime() <= now;
}

/** A deal as the API shows it: its columns less the internal ones, with its stage and rotting state. */
export function presentDeal(deal: Deal, stages: Map<string, StageSummary>, now: number) {
  const { organizationId: _org, searchText: _search, ...shown } = deal;
  const stage = stages.get(deal.stageId);
  return {
    ...shown,
    stageName: stage?.name ?? "",
    stageProbability: stage ? stage.probability.toFixed(4) : "0.0000",
    rotting: isRotting(deal, now),
  };
}
