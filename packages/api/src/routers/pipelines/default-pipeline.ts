import type { Prisma } from "@crm/db";

/**
 * The pipeline every organization starts with. The sales_core migration gave existing
 * organizations the same stages; a test checks the two agree.
 */
export const DEFAULT_PIPELINE = {
  name: "Sales",
  stages: [
    { name: "Qualified", probability: "0.1", kind: "open", rottingDays: 30 },
    { name: "Meeting scheduled", probability: "0.25", kind: "open", rottingDays: 21 },
    { name: "Proposal sent", probability: "0.5", kind: "open", rottingDays: 14 },
    { name: "Negotiation", probability: "0.75", kind: "open", rottingDays: 14 },
    { name: "Won", probability: "1", kind: "won", rottingDays: null },
    { name: "Lost", probability: "0", kind: "lost", rottingDays: null },
  ],
} as const;

/** Creates the organization's default pipeline and its stages (in the caller's transaction). */
export async function createDefaultPipeline(tx: Prisma.TransactionClient, organizationId: string) {
  const pipeline = await tx.pipeline.create({
    data: { organizationId, name: DEFAULT_PIPELINE.name, isDefault: true },
  });
  await tx.pipelineStage.createMany({
    data: DEFAULT_PIPELINE.stages.map((stage, position) => ({ organizationId, pipelineId: pipeline.id, position, ...stage })),
  });
  return pipeline;
}
