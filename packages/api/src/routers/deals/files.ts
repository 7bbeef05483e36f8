import type { PrismaClient } from "@crm/db";
import type { ImportField } from "../../imports/columns.ts";
import type { RowLookup } from "../../imports/record-writer.ts";
import { exportableOf, importableOf } from "../../kit/files.ts";
import type { OrgContext } from "../../trpc.ts";
import type { stagesById } from "./present.ts";
import { deals } from "./schemas.ts";

/**
 * Deals in files name their pipeline and stage as people do, by name (an id is read too): the
 * export writes the names, the import finds them among the organization's live pipelines and
 * stages, case-insensitively. A row without a pipeline goes to the default one; without a stage,
 * to its pipeline's first open stage.
 */

type Stages = Awaited<ReturnType<typeof stagesById>>;

const PIPELINE_COLUMN: ImportField = { field: "pipeline", kind: "text", aliases: ["Pipeline", "Pipeline Name", "Deal Pipeline"] };
const STAGE_COLUMN: ImportField = { field: "stage", kind: "text", aliases: ["Stage", "Stage Name", "Deal Stage"] };

interface Named {
  id: string;
  name: string;
}

/** By id and by lower-cased name (ids are lower-case too); among equal names the first (oldest) one. */
function indexByName<T extends Named>(items: T[]): Map<string, T> {
  const index = new Map<string, T>();
  for (const item of items) {
    index.set(item.id, item);
    const name = item.name.trim().toLowerCase();
    if (!index.has(name)) index.set(name, item);
  }
  return index;
}

function listed(items: Named[]): string {
  return items.map((item) => `"${item.name}"`).join(", ");
}

async function openPipelineLookup(db: PrismaClient, ctx: OrgContext): Promise<RowLookup> {
  const pipelines = await db.pipeline.findMany({
    where: { organizationId: ctx.org.id, deletedAt: null },
    select: { id: true, name: true, isDefault: true },
    orderBy: { id: "asc" },
  });
  const stages = await db.pipelineStage.findMany({
    where: { organizationId: ctx.org.id, deletedAt: null },
    select: { id: true, name: true, pipelineId: true },
    orderBy: [{ position: "asc" }, { id: "asc" }],
  });
  const pipelineByName = indexByName(pipelines);
  const stagesOfPipeline = new Map(pipelines.map((p) => [p.id, stages.filter((stage) => stage.pipelineId === p.id)]));
  const stageIndex = new Map([...stagesOfPipeline].map(([id, list]) => [id, indexByName(list)]));
  const defaultPipeline = pipelines.find((p) => p.isDefault);

  return ({ pipeline, stage, ...fields }) => {
    const issues: { field: string; message: string }[] = [];
    let target = defaultPipeline;
    if (typeof pipeline === "string" && pipeline !== "") {
      target = pipelineByName.get(pipeline.trim().toLowerCase());
      if (target) fields.pipelineId = target.id;
      else
        issues.push({
          field: "pipeline",
          message: `no pipeline of this organization is named so; pipelines: ${listed(pipelines)}`,
        });
    }
    if (typeof stage === "string" && stage !== "" && target) {
      const found = stageIndex.get(target.id)?.get(stage.trim().toLowerCase());
      if (found) fields.stageId = found.id;
      else {
        const names = listed(stagesOfPipeline.get(target.id) ?? []);
        issues.push({ field: "stage", message: `is not a stage of pipeline "${target.name}"; its stages: ${names}` });
      }
    }
    return { fields, issues };
  };
}

/** Deals as the shared record writer imports them: every row a new deal (a deal has no natural key). */
export const dealImport = importableOf(deals, {
  extraFields: [PIPELINE_COLUMN, STAGE_COLUMN],
  openLookup: openPipelineLookup,
});

/** Deals as the shared export stream writes them, pipeline and stage by name (what the import reads back). */
export const dealExport = exportableOf(deals, [
  {
    after: "pipelineId",
    header: "Pipeline",
    kind: "text",
    width: 20,
    needs: ["stageId"],
    value: (deal, stages) => (stages as Stages).get(deal.stageId as string)?.pipelineName ?? "",
  },
  {
    after: "stageId",
    header: "Stage",
    kind: "text",
    width: 20,
    needs: ["stageId"],
    value: (deal, stages) => (stages as Stages).get(deal.stageId as string)?.name ?? "",
  },
]);
