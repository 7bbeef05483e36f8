import { describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { serverForFile, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const manager = await server.member(owner, "manager", "Manager");
  const viewer = await server.member(owner, "viewer", "Viewer");
  return { owner, manager, viewer };
});

function stageNamed(pipeline: { stages: { name: string; id: string }[] }, name: string) {
  const stage = pipeline.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

async function defaultPipeline() {
  const pipeline = (await crm.owner.client.pipelines.list.query({ isDefault: true })).items[0];
  if (!pipeline) throw new Error("no default pipeline");
  return pipeline;
}

describe("pipelines and stages", () => {
  it("every organization starts with the default pipeline; a new pipeline gets the default stages or its own", async () => {
    const pipeline = await defaultPipeline();
    expect(pipeline.name).toBe("Sales");
    expect(pipeline.stages.map((s) => [s.name, s.probability, s.kind, s.position])).toEqual([
      ["Qualified", 0.1, "open", 0],
      ["Meeting scheduled", 0.25, "open", 1],
      ["Proposal sent", 0.5, "open", 2],
      ["Negotiation", 0.75, "open", 3],
      ["Won", 1, "won", 4],
      ["Lost", 0, "lost", 5],
    ]);
    const copied = await crm.owner.client.pipelines.create.mutate({ name: `Copy ${unique()}` });
    expect(copied.isDefault).toBe(false);
    expect(copied.stages).toHaveLength(6);
    const own = await crm.owner.client.pipelines.create.mutate({
      name: `Own ${unique()}`,
      stages: [
        { name: "Talk", probability: "0.3", kind: "open", rottingDays: 7 },
        { name: "Yes", probability: 1, kind: "won" },
        { name: "No", probability: "0", kind: "lost" },
      ],
    });
    expect(own.stages.map((s) => [s.name, s.probability, s.rottingDays])).toEqual([
      ["Talk", 0.3, 7],
      ["Yes", 1, null],
      ["No", 0, null],
    ]);
    const rest = await crm.server.rest("GET", `/pipelines/${own.id}/stages`, { token: crm.owner.token() });
    expect(rest.status).toBe(200);
    expect(rest.body.items.map((s: { name: string }) => s.name)).toEqual(["Talk", "Yes", "No"]);
  });

  it("refuses a pipeline without a won stage (400 stages) and a duplicate name (409 name)", async () => {
    const missing = await failure(
      crm.owner.client.pipelines.create.mutate({
        name: `Bad ${unique()}`,
        stages: [
          { name: "a", probability: "0.1", kind: "open" },
          { name: "b", probability: 0, kind: "lost" },
        ],
      }),
    );
    expect(missing).toMatchObject({ httpStatus: 400 });
    expect(missing.message).toContain("stages");
    const name = `Dup ${unique()}`;
    await crm.owner.client.pipelines.create.mutate({ name });
    const duplicate = await failure(crm.owner.client.pipelines.create.mutate({ name }));
    expect(duplicate).toMatchObject({ httpStatus: 409 });
    expect(duplicate.message).toContain("name");
  });

  it("keeps one open, one won and one lost stage (409)", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({
      name: `Minimal ${unique()}`,
      stages: [
        { name: "Open", probability: "0.5", kind: "open" },
        { name: "Won", probability: "1", kind: "won" },
        { name: "Lost", probability: "0", kind: "lost" },
      ],
    });
    const lastWon = await failure(crm.owner.client.pipelines.deleteStage.mutate({ stageId: stageNamed(pipeline, "Won").id }));
    expect(lastWon).toMatchObject({ httpStatus: 409 });
    const kind = await failure(
      crm.owner.client.pipelines.updateStage.mutate({ stageId: stageNamed(pipeline, "Open").id, kind: "won" }),
    );
    expect(kind).toMatchObject({ httpStatus: 409 });
    expect(kind.message).toContain("kind");
    const rest = await crm.server.rest("DELETE", `/pipeline-stages/${stageNamed(pipeline, "Lost").id}`, {
      token: crm.owner.token(),
    });
    expect(rest.status).toBe(409);
  });

  it("deletes a stage holding deals only with moveDealsTo (same pipeline), recording the move", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Move ${unique()}` });
    const qualified = stageNamed(pipeline, "Qualified");
    const meeting = stageNamed(pipeline, "Meeting scheduled");
    const deal = await crm.owner.client.deals.create.mutate({ name: "held", pipelineId: pipeline.id });
    await crm.owner.client.deals.create.mutate({ name: "held too", pipelineId: pipeline.id });
    const refused = await failure(crm.owner.client.pipelines.deleteStage.mutate({ stageId: qualified.id }));
    expect(refused).toMatchObject({ httpStatus: 409 });
    expect(refused.message).toContain("2 live deal");
    const other = await defaultPipeline();
    const elsewhere = await failure(
      crm.owner.client.pipelines.deleteStage.mutate({ stageId: qualified.id, moveDealsTo: stageNamed(other, "Qualified").id }),
    );
    expect(elsewhere).toMatchObject({ httpStatus: 400 });
    expect(elsewhere.message).toContain("moveDealsTo");
    const done = await crm.owner.client.pipelines.deleteStage.mutate({ stageId: qualified.id, moveDealsTo: meeting.id });
    expect(done).toEqual({ ok: true, movedDeals: 2 });
    const after = await crm.owner.client.deals.byId.query({ id: deal.id });
    expect(after.stageId).toBe(meeting.id);
    const history = await crm.owner.client.deals.stageHistory.query({ id: deal.id });
    expect(history.items.map((s) => s.stageName)).toEqual(["Qualified", "Meeting scheduled"]);
    const shown = await crm.owner.client.pipelines.byId.query({ id: pipeline.id });
    expect(shown.stages.map((s) => [s.name, s.position])).toEqual([
      ["Meeting scheduled", 0],
      ["Proposal sent", 1],
      ["Negotiation", 2],
      ["Won", 3],
      ["Lost", 4],
    ]);
  });

  it("deletes a pipeline only when it is not the default, moving its deals to another pipeline's stage", async () => {
    const main = await defaultPipeline();
    const defaultDelete = await failure(crm.owner.client.pipelines.delete.mutate({ id: main.id }));
    expect(defaultDelete).toMatchObject({ httpStatus: 409 });
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Doomed ${unique()}` });
    const deal = await crm.owner.client.deals.create.mutate({ name: "travels", pipelineId: pipeline.id });
    const refused = await failure(crm.owner.client.pipelines.delete.mutate({ id: pipeline.id }));
    expect(refused).toMatchObject({ httpStatus: 409 });
    expect(refused.message).toContain("1 live deal");
    const same = await failure(
      crm.owner.client.pipelines.delete.mutate({ id: pipeline.id, moveDealsTo: stageNamed(pipeline, "Negotiation").id }),
    );
    expect(same).toMatchObject({ httpStatus: 400 });
    const target = stageNamed(main, "Negotiation");
    const deleted = await crm.owner.client.pipelines.delete.mutate({ id: pipeline.id, moveDealsTo: target.id });
    expect(deleted.deletedAt).not.toBeNull();
    const moved = await crm.owner.client.deals.byId.query({ id: deal.id });
    expect(moved).toMatchObject({ pipelineId: main.id, stageId: target.id });
    const empty = await crm.owner.client.pipelines.create.mutate({ name: `Empty ${unique()}` });
    const rest = await crm.server.rest("DELETE", `/pipelines/${empty.id}`, { token: crm.owner.token() });
    expect(rest.status).toBe(200);
  });

  it("moves the default: exactly one; new deals land in it", async () => {
    const before = await defaultPipeline();
    const next = await crm.owner.client.pipelines.create.mutate({ name: `Next ${unique()}` });
    const made = await crm.owner.client.pipelines.setDefault.mutate({ id: next.id });
    expect(made.isDefault).toBe(true);
    const defaults = await crm.owner.client.pipelines.list.query({ isDefault: true });
    expect(defaults.items.map((p) => p.id)).toEqual([next.id]);
    const deal = await crm.owner.client.deals.create.mutate({ name: "lands" });
    expect(deal.pipelineId).toBe(next.id);
    await crm.owner.client.pipelines.setDefault.mutate({ id: before.id });
  });

  it("reorders stages: exactly the live stages, once each", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Order ${unique()}` });
    const ids = pipeline.stages.map((s) => s.id);
    const reversed = [...ids].reverse();
    const done = await crm.owner.client.pipelines.reorderStages.mutate({ id: pipeline.id, stageIds: reversed });
    expect(done.stages.map((s) => s.id)).toEqual(reversed);
    const other = await crm.owner.client.pipelines.create.mutate({ name: `Other ${unique()}` });
    const foreignStage = other.stages[0]?.id as string;
    for (const stageIds of [ids.slice(1), [...ids, ids[0] as string], [...ids.slice(1), foreignStage]]) {
      const refused = await failure(crm.owner.client.pipelines.reorderStages.mutate({ id: pipeline.id, stageIds }));
      expect(refused).toMatchObject({ httpStatus: 400 });
      expect(refused.message).toContain("stageIds");
    }
    // An id that is no stage of the organization reads as an unknown reference.
    const unknown = await failure(
      crm.owner.client.pipelines.reorderStages.mutate({ id: pipeline.id, stageIds: [...ids.slice(1), pipeline.id] }),
    );
    expect(unknown).toMatchObject({ httpStatus: 404 });
    expect(unknown.message).toContain("stageIds");
    expect((await crm.owner.client.pipelines.byId.query({ id: pipeline.id })).stages.map((s) => s.id)).toEqual(reversed);
  });

  it("a stage's new kind moves its deals' status", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Kind ${unique()}` });
    const negotiation = stageNamed(pipeline, "Negotiation");
    const deal = await crm.owner.client.deals.create.mutate({ name: "k", pipelineId: pipeline.id, stageId: negotiation.id });
    await crm.owner.client.pipelines.updateStage.mutate({ stageId: negotiation.id, kind: "won" });
    const won = await crm.owner.client.deals.byId.query({ id: deal.id });
    expect(won).toMatchObject({ status: "won", rotsAt: null });
    expect(won.closedAt).not.toBeNull();
  });

  it("pipelines are configuration: every role reads them, only admins and owners change them", async () => {
    expect((await crm.viewer.client.pipelines.list.query({})).items.length).toBeGreaterThan(0);
    expect((await failure(crm.manager.client.pipelines.create.mutate({ name: `No ${unique()}` }))).httpStatus).toBe(403);
    expect((await crm.manager.client.deals.create.mutate({ name: "managers sell" })).status).toBe("open");
  });
});
