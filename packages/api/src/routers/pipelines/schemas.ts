import type { Pipeline, PipelineStage, Prisma } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { defineResource, recordModel } from "../../kit/resource.ts";
import { decimalInput } from "../../lib/decimal.ts";
import { idSchema, text, timestamp } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";

export const STAGE_KINDS = ["open", "won", "lost"] as const;

export const stageOutput = z.object({
  id: z.uuid(),
  pipelineId: z.uuid(),
  name: z.string(),
  position: z.number().int().meta({ description: "Order among the pipeline's live stages, from 0." }),
  probability: z.number().meta({ description: "Win probability of a deal in this stage, 0..1." }),
  kind: z.enum(STAGE_KINDS),
  rottingDays: z.number().int().nullable().meta({ description: "A deal rots after this many days in the stage; null: never." }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export function presentStage(stage: PipelineStage) {
  const { organizationId: _org, deletedAt: _deleted, probability, ...shown } = stage;
  return { ...shown, probability: probability.toNumber() };
}

/** Live stages of the organization's pipelines, in order, by pipeline (pipelines are few: one read per request). */
async function stagesByPipeline(db: Prisma.TransactionClient, ctx: OrgContext) {
  const stages = await db.pipelineStage.findMany({
    where: { organizationId: ctx.org.id, deletedAt: null },
    orderBy: [{ position: "asc" }, { id: "asc" }],
  });
  const byPipeline = new Map<string, ReturnType<typeof presentStage>[]>();
  for (const stage of stages)
    byPipeline.set(stage.pipelineId, [...(byPipeline.get(stage.pipelineId) ?? []), presentStage(stage)]);
  return byPipeline;
}

export const pipelines = defineResource({
  key: "pipelines",
  singular: "pipeline",
  label: "Pipeline",
  table: "Pipeline",
  model: recordModel<Pipeline>((db) => db.pipeline),
  fields: {
    name: fields.text(100, { required: true, sort: true }),
    description: fields.longText(2000),
    isDefault: fields.shown("boolean", z.boolean(), {
      filter: "equals",
      description: "The organization's default pipeline (exactly one; set-default moves it).",
    }),
  },
  serverOnly: [],
  unique: [{ field: "name" }],
  computed: { stages: z.array(stageOutput).meta({ description: "The live stages, in order." }) },
  hooks: {
    prepare: stagesByPipeline,
    present: (row, prepared) => {
      const { organizationId: _org, ...shown } = row as Pipeline;
      return { ...shown, stages: (prepared as Awaited<ReturnType<typeof stagesByPipeline>>).get(row.id) ?? [] };
    },
  },
});

export const pipelineOutput = pipelines.schemas.output;

export const stageInput = z.strictObject({
  name: text(100),
  probability: decimalInput({ digits: 5, scale: 4, min: 0, max: 1 }).meta({ description: "Win probability, 0..1." }),
  kind: z.enum(STAGE_KINDS).default("open"),
  rottingDays: z.number().int().min(1).max(3650).nullable().optional(),
});

/** A valid list of stages (it keeps one of each kind), as the document shows it. */
const exampleStages = [
  { name: "Qualified", probability: "0.2500", kind: "open" },
  { name: "Won", probability: "1.0000", kind: "won" },
  { name: "Lost", probability: "0.0000", kind: "lost" },
];

export const createPipelineInput = z.strictObject({
  name: text(100),
  description: z.string().max(2000).nullable().optional(),
  stages: z
    .array(stageInput)
    .min(1)
    .max(50)
    .optional()
    .meta({
      description: "The stages in order; the default pipeline's stages when left out.",
      // zod leaves examples out of the input side of a schema that transforms (probabilities are parsed): set on the document.
      override: ({ jsonSchema }) => {
        jsonSchema.examples = [exampleStages];
      },
    }),
});

export const createStageInput = stageInput.extend({
  id: idSchema.meta({ description: "The pipeline." }),
  position: z.number().int().min(0).optional().meta({ description: "Where the stage goes (0: first); last when left out." }),
});

export const updateStageInput = z.strictObject({
  stageId: idSchema,
  name: text(100).optional(),
  probability: decimalInput({ digits: 5, scale: 4, min: 0, max: 1 }).optional(),
  kind: z.enum(STAGE_KINDS).optional(),
  rottingDays: z.number().int().min(1).max(3650).nullable().optional(),
});

const moveDealsTo = idSchema.optional().meta({
  description: "A stage the live deals move to first (deleting is refused while it holds deals otherwise).",
  "x-references": "stageId",
});

export const deletePipelineInput = z.strictObject({ id: idSchema, moveDealsTo });
export const deleteStageInput = z.strictObject({ stageId: idSchema, moveDealsTo });

export const reorderStagesInput = z.strictObject({
  id: idSchema,
  stageIds: z.array(idSchema).min(1).max(50).meta({ description: "Every live stage of the pipeline, in the new order." }),
});
