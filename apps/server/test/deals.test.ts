import { describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { serverForFile, unique } from "./support/server.ts";

const crm = serverForFile(async (server) => {
  const owner = await server.signup("Owner");
  const agent = await server.member(owner, "agent", "Agent");
  const stranger = await server.signup("Stranger");
  return { owner, agent, stranger };
});

const DAY_MS = 86_400_000;

async function defaultPipeline(user = crm.owner) {
  const page = await user.client.pipelines.list.query({ isDefault: true });
  const pipeline = page.items[0];
  if (!pipeline) throw new Error("no default pipeline");
  return pipeline;
}

function stageNamed(pipeline: { stages: { name: string; id: string }[] }, name: string) {
  const stage = pipeline.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

describe("deals", () => {
  it("creates a deal in the default pipeline's first open stage, with its first stay", async () => {
    const pipeline = await defaultPipeline();
    const deal = await crm.owner.client.deals.create.mutate({
      name: "Big one",
      amount: "12500.50",
      currency: "EUR",
      expectedCloseDate: "2027-03-15",
    });
    expect(deal).toMatchObject({
      pipelineId: pipeline.id,
      stageId: stageNamed(pipeline, "Qualified").id,
      stageName: "Qualified",
      status: "open",
      amount: "12500.50",
      currency: "EUR",
      expectedCloseDate: "2027-03-15",
      rotting: false,
      closedAt: null,
    });
    expect(deal.rotsAt?.getTime()).toBe(deal.stageEnteredAt.getTime() + 30 * DAY_MS);
    const history = await crm.owner.client.deals.stageHistory.query({ id: deal.id });
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({ stageId: deal.stageId, fromStageId: null, leftAt: null, status: "open" });

    const rest = await crm.server.rest("GET", `/deals/${deal.id}`, { token: crm.owner.token() });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ amount: "12500.50", expectedCloseDate: "2027-03-15" });
  });

  it("refuses a stage of another pipeline (400 stageId), another organization's stage (404), an amount without currency", async () => {
    const other = await crm.owner.client.pipelines.create.mutate({ name: `Other ${unique()}` });
    const main = await defaultPipeline();
    const wrong = await failure(
      crm.owner.client.deals.create.mutate({ name: "x", pipelineId: main.id, stageId: stageNamed(other, "Won").id }),
    );
    expect(wrong).toMatchObject({ httpStatus: 400 });
    expect(wrong.message).toContain("stageId");
    const foreign = await defaultPipeline(crm.stranger);
    const notFound = await failure(crm.owner.client.deals.create.mutate({ name: "x", stageId: foreign.stages[0]?.id }));
    expect(notFound).toMatchObject({ httpStatus: 404 });
    expect(notFound.message).toContain("stageId");
    const incomplete = await failure(crm.owner.client.deals.create.mutate({ name: "x", amount: "10" }));
    expect(incomplete).toMatchObject({ httpStatus: 400 });
    expect(incomplete.message).toContain("currency");
    const probability = await failure(crm.owner.client.deals.create.mutate({ name: "x", probability: "1.5" }));
    expect(probability).toMatchObject({ httpStatus: 400 });
  });

  it("moves through stages, wins, reopens to where it was, loses with a reason; each refusal is a clear 4xx", async () => {
    const pipeline = await defaultPipeline();
    const deal = await crm.owner.client.deals.create.mutate({ name: `Lifecycle ${unique()}` });
    const proposal = stageNamed(pipeline, "Proposal sent");
    const moved = await crm.owner.client.deals.moveStage.mutate({ id: deal.id, stageId: proposal.id });
    expect(moved).toMatchObject({ stageId: proposal.id, status: "open" });
    expect((await failure(crm.owner.client.deals.moveStage.mutate({ id: deal.id, stageId: proposal.id }))).httpStatus).toBe(409);

    const won = await crm.owner.client.deals.markWon.mutate({ id: deal.id });
    expect(won).toMatchObject({ status: "won", stageName: "Won", rotsAt: null, rotting: false });
    expect(won.closedAt).not.toBeNull();
    const again = await failure(crm.owner.client.deals.markWon.mutate({ id: deal.id }));
    expect(again).toMatchObject({ httpStatus: 409 });
    expect(again.message).toContain("status");

    const reopened = await crm.owner.client.deals.reopen.mutate({ id: deal.id });
    expect(reopened).toMatchObject({ status: "open", stageId: proposal.id, closedAt: null, lostReason: null });
    expect((await failure(crm.owner.client.deals.reopen.mutate({ id: deal.id }))).httpStatus).toBe(409);

    const blank = await failure(crm.owner.client.deals.markLost.mutate({ id: deal.id, reason: "  " }));
    expect(blank).toMatchObject({ httpStatus: 400 });
    expect(blank.message).toContain("reason");
    const lost = await crm.owner.client.deals.markLost.mutate({ id: deal.id, reason: "Too expensive" });
    expect(lost).toMatchObject({ status: "lost", lostReason: "Too expensive", stageName: "Lost" });
    expect((await failure(crm.owner.client.deals.markLost.mutate({ id: deal.id, reason: "again" }))).httpStatus).toBe(409);

    const history = await crm.owner.client.deals.stageHistory.query({ id: deal.id });
    expect(history.items.map((stay) => stay.stageName)).toEqual(["Qualified", "Proposal sent", "Won", "Proposal sent", "Lost"]);
    expect(history.items.slice(0, -1).every((stay) => stay.leftAt !== null)).toBe(true);
    expect(history.items.at(-1)?.leftAt).toBeNull();

    const audit = await crm.server.prisma.auditLog.findMany({ where: { entityId: deal.id }, orderBy: { createdAt: "asc" } });
    expect(audit.map((entry) => entry.action)).toEqual(["create", "move-stage", "mark-won", "reopen", "mark-lost"]);

    const rest = await crm.server.rest("POST", `/deals/${deal.id}/reopen`, { token: crm.owner.token() });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ status: "open", stageId: proposal.id });
  });

  it("a closed deal moves only once reopened; a lost stage needs a reason, by move-stage or not at all by update", async () => {
    const pipeline = await defaultPipeline();
    const [negotiation, won, lost] = ["Negotiation", "Won", "Lost"].map((name) => stageNamed(pipeline, name));
    const deal = await crm.owner.client.deals.create.mutate({ name: `Closing ${unique()}` });

    const noReason = await failure(crm.owner.client.deals.moveStage.mutate({ id: deal.id, stageId: lost?.id as string }));
    expect(noReason).toMatchObject({ httpStatus: 400 });
    expect(noReason.message).toContain("reason");
    const byUpdate = await failure(crm.owner.client.deals.update.mutate({ id: deal.id, stageId: lost?.id }));
    expect(byUpdate).toMatchObject({ httpStatus: 400 });
    expect(byUpdate.message).toContain("mark-lost");
    const lostDeal = await crm.owner.client.deals.moveStage.mutate({
      id: deal.id,
      stageId: lost?.id as string,
      reason: "No budget",
    });
    expect(lostDeal).toMatchObject({ status: "lost", lostReason: "No budget" });

    for (const attempt of [
      crm.owner.client.deals.moveStage.mutate({ id: deal.id, stageId: negotiation?.id as string }),
      crm.owner.client.deals.update.mutate({ id: deal.id, stageId: won?.id }),
    ]) {
      const refused = await failure(attempt);
      expect(refused).toMatchObject({ httpStatus: 409 });
      expect(refused.message).toContain("reopen");
    }
    await crm.owner.client.deals.reopen.mutate({ id: deal.id });
    // An update may win an open deal: the won stage needs nothing more.
    const wonByUpdate = await crm.owner.client.deals.update.mutate({ id: deal.id, stageId: won?.id });
    expect(wonByUpdate).toMatchObject({ status: "won", stageName: "Won" });
    expect(wonByUpdate.closedAt).not.toBeNull();
  });

  it("keeps time in stage from the stays: seconds between entering and leaving", async () => {
    const pipeline = await defaultPipeline();
    const deal = await crm.owner.client.deals.create.mutate({ name: `Timed ${unique()}` });
    // Entered three hours ago (written behind the API's back to control time).
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
    await crm.server.prisma.dealStageChange.updateMany({ where: { dealId: deal.id }, data: { enteredAt: threeHoursAgo } });
    await crm.server.prisma.deal.update({ where: { id: deal.id }, data: { stageEnteredAt: threeHoursAgo } });
    const current = (await crm.owner.client.deals.stageHistory.query({ id: deal.id })).items[0];
    expect(current?.seconds).toBeGreaterThanOrEqual(3 * 3600);
    expect(current?.seconds).toBeLessThan(3 * 3600 + 60);

    await crm.owner.client.deals.moveStage.mutate({ id: deal.id, stageId: stageNamed(pipeline, "Negotiation").id });
    const history = await crm.owner.client.deals.stageHistory.query({ id: deal.id });
    const first = history.items[0];
    expect(first?.seconds).toBeGreaterThanOrEqual(3 * 3600);
    expect(first?.seconds).toBeLessThan(3 * 3600 + 60);
    expect(history.items[1]?.seconds).toBeLessThan(60);
  });

  it("rots in an open stage past its rotting period; the rotting filter finds it; a new rotting period recomputes rotsAt", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Rot ${unique()}` });
    const first = stageNamed(pipeline, "Qualified");
    const fresh = await crm.owner.client.deals.create.mutate({ name: "fresh", pipelineId: pipeline.id });
    const stale = await crm.owner.client.deals.create.mutate({ name: "stale", pipelineId: pipeline.id });
    const entered = new Date(Date.now() - 31 * DAY_MS);
    await crm.server.prisma.deal.update({
      where: { id: stale.id },
      data: { stageEnteredAt: entered, rotsAt: new Date(entered.getTime() + 30 * DAY_MS) },
    });
    const rotting = await crm.owner.client.deals.list.query({ pipelineId: [pipeline.id], rotting: true });
    expect(rotting.items.map((deal) => deal.id)).toEqual([stale.id]);
    expect(rotting.items[0]?.rotting).toBe(true);
    const notRotting = await crm.owner.client.deals.list.query({ pipelineId: [pipeline.id], rotting: false });
    expect(notRotting.items.map((deal) => deal.id)).toEqual([fresh.id]);

    await crm.owner.client.pipelines.updateStage.mutate({ stageId: first.id, rottingDays: 40 });
    const after = await crm.owner.client.deals.byId.query({ id: stale.id });
    expect(after.rotsAt?.getTime()).toBe(entered.getTime() + 40 * DAY_MS);
    expect(after.rotting).toBe(false);
    const rest = await crm.server.rest("GET", `/deals?pipelineId=${pipeline.id}&rotting=true`, { token: crm.owner.token() });
    expect(rest.body.items).toHaveLength(0);
  });

  it("filters by amount range, expected-close range, status and owner", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Filters ${unique()}` });
    const make = (name: string, amount: string, expectedCloseDate: string, user = crm.owner) =>
      user.client.deals.create.mutate({
        name,
        amount,
        currency: "USD",
        expectedCloseDate,
        pipelineId: pipeline.id,
        ownerId: user.userId,
      });
    const small = await make("small", "9", "2027-01-10");
    const medium = await make("medium", "100", "2027-02-10", crm.agent);
    await make("large", "1000", "2027-03-10");
    const byAmount = await crm.owner.client.deals.list.query({
      pipelineId: [pipeline.id],
      amountMin: "9",
      amountMax: "100",
      sortBy: "name",
      sortOrder: "asc",
    });
    expect(byAmount.items.map((deal) => deal.name)).toEqual(["medium", "small"]);
    const byDate = await crm.owner.client.deals.list.query({
      pipelineId: [pipeline.id],
      expectedCloseDateFrom: new Date("2027-01-01"),
      expectedCloseDateTo: new Date("2027-02-01"),
    });
    expect(byDate.items.map((deal) => deal.id)).toEqual([small.id]);
    const byOwner = await crm.owner.client.deals.list.query({ pipelineId: [pipeline.id], owner: crm.agent.userId });
    expect(byOwner.items.map((deal) => deal.id)).toEqual([medium.id]);
    await crm.owner.client.deals.markWon.mutate({ id: small.id });
    const won = await crm.owner.client.deals.list.query({ pipelineId: [pipeline.id], status: ["won"] });
    expect(won.items.map((deal) => deal.id)).toEqual([small.id]);
  });

  it("answers the board: stages in order with counts, per-currency totals and weighted totals, and their first deals", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Board ${unique()}` });
    const qualified = stageNamed(pipeline, "Qualified");
    const proposal = stageNamed(pipeline, "Proposal sent");
    const deal = (name: string, extra: Record<string, unknown> = {}) =>
      crm.owner.client.deals.create.mutate({ name, pipelineId: pipeline.id, ...extra });
    await deal("A", { amount: "1000", currency: "EUR" });
    await deal("B", { amount: "250.50", currency: "EUR", probability: "0.5" });
    await deal("C", { amount: "300", currency: "USD" });
    await deal("D", { amount: "2000", currency: "EUR", stageId: proposal.id });
    await deal("E");

    const board = await crm.owner.client.deals.board.query({ pipelineId: pipeline.id, limit: 2 });
    expect(board.pipeline.id).toBe(pipeline.id);
    expect(board.stages.map((stage) => [stage.name, stage.count])).toEqual([
      ["Qualified", 4],
      ["Meeting scheduled", 0],
      ["Proposal sent", 1],
      ["Negotiation", 0],
      ["Won", 0],
      ["Lost", 0],
    ]);
    const first = board.stages[0];
    // EUR: 1000 + 250.50; weighted 1000 × 0.1 + 250.50 × 0.5 (its override) = 100 + 125.25.
    expect(first?.totals).toEqual([
      { currency: "EUR", count: 2, amount: "1250.50", weighted: "225.25" },
      { currency: "USD", count: 1, amount: "300.00", weighted: "30.00" },
      { currency: null, count: 1, amount: "0.00", weighted: "0.00" },
    ]);
    expect(first?.id).toBe(qualified.id);
    expect(first?.deals.items).toHaveLength(2);
    expect(first?.deals.nextCursor).not.toBeNull();
    expect(board.stages[2]?.totals).toEqual([{ currency: "EUR", count: 1, amount: "2000.00", weighted: "1000.00" }]);

    const rest = await crm.server.rest("GET", `/deals/board?pipelineId=${pipeline.id}&limit=1`, { token: crm.owner.token() });
    expect(rest.status).toBe(200);
    expect(rest.body.stages[0].deals.items).toHaveLength(1);
    const byDefault = await crm.owner.client.deals.board.query({});
    expect(byDefault.pipeline.isDefault).toBe(true);
  });

  it("answers stats over the filtered deals: open value by stage, forecast by month, win rate, won size, cycle, by owner", async () => {
    const pipeline = await crm.owner.client.pipelines.create.mutate({ name: `Stats ${unique()}` });
    const negotiation = stageNamed(pipeline, "Negotiation");
    const deal = (name: string, extra: Record<string, unknown>) =>
      crm.owner.client.deals.create.mutate({ name, pipelineId: pipeline.id, ownerId: crm.owner.userId, ...extra });
    await deal("A", { amount: "1000", currency: "EUR", expectedCloseDate: "2027-01-15" });
    await deal("B", { amount: "500", currency: "EUR", expectedCloseDate: "2027-01-20", stageId: negotiation.id });
    await deal("C", { amount: "200", currency: "USD", expectedCloseDate: "2027-02-01" });
    const won = [
      await deal("W1", { amount: "3000", currency: "EUR" }),
      await deal("W2", { amount: "1000", currency: "EUR" }),
      await deal("W3", { amount: "500", currency: "USD", ownerId: crm.agent.userId }),
    ];
    const lost = await deal("L1", { amount: "100", currency: "USD", ownerId: crm.agent.userId });
    for (const [index, { id }] of won.entries()) {
      const closed = await crm.owner.client.deals.markWon.mutate({ id });
      // Created 10, 20 and 30 days before closing: an average cycle of 20 days.
      const createdAt = new Date((closed.closedAt as Date).getTime() - (index + 1) * 10 * DAY_MS);
      await crm.server.prisma.deal.update({ where: { id }, data: { createdAt } });
    }
    await crm.owner.client.deals.markLost.mutate({ id: lost.id, reason: "budget" });

    const stats = await crm.owner.client.deals.stats.query({ pipelineId: [pipeline.id] });
    expect(stats.count).toBe(7);
    expect(stats.openValueByStage.map(({ stageName, currency, count, amount }) => [stageName, currency, count, amount])).toEqual([
      ["Qualified", "EUR", 1, "1000.00"],
      ["Qualified", "USD", 1, "200.00"],
      ["Negotiation", "EUR", 1, "500.00"],
    ]);
    // 1000 × 0.1 + 500 × 0.75 = 475; 200 × 0.1 = 20.
    expect(stats.forecastByMonth).toEqual([
      { month: "2027-01", currency: "EUR", count: 2, amount: "1500.00", weighted: "475.00" },
      { month: "2027-02", currency: "USD", count: 1, amount: "200.00", weighted: "20.00" },
    ]);
    expect(stats).toMatchObject({ won: 3, lost: 1, winRate: 0.75 });
    expect(stats.averageWonSize).toEqual([
      { currency: "EUR", count: 2, average: "2000.00" },
      { currency: "USD", count: 1, average: "500.00" },
    ]);
    expect(stats.averageSalesCycleDays).toBeCloseTo(20, 5);
    const byOwner = Object.fromEntries(stats.byOwner.map((row) => [row.ownerId, row]));
    expect(byOwner[crm.owner.userId]).toEqual({
      ownerId: crm.owner.userId,
      open: 3,
      won: 2,
      lost: 0,
      winRate: 1,
      wonValue: [{ currency: "EUR", amount: "4000.00" }],
    });
    expect(byOwner[crm.agent.userId]).toEqual({
      ownerId: crm.agent.userId,
      open: 0,
      won: 1,
      lost: 1,
      winRate: 0.5,
      wonValue: [{ currency: "USD", amount: "500.00" }],
    });
    const filtered = await crm.server.rest("GET", `/deals/stats?pipelineId=${pipeline.id}&owner=${crm.agent.userId}`, {
      token: crm.owner.token(),
    });
    expect(filtered.status).toBe(200);
    expect(filtered.body).toMatchObject({ count: 2, won: 1, lost: 1, winRate: 0.5, openValueByStage: [] });
  });
});
