import { describe, expect, it } from "vitest";
import { type ScoreInput, scoreLead } from "./scoring.ts";

const bare: ScoreInput = { source: "other", tags: [], callAttempts: 0, noteCount: 0 };
const now = new Date("2026-06-01T12:00:00Z");

describe("scoreLead", () => {
  it("gives nothing to a lead with no signal", () => {
    expect(scoreLead(bare, now)).toEqual({ score: 0, breakdown: [] });
  });

  it("rates sources: referral above website above cold call", () => {
    const points = (source: string) => scoreLead({ ...bare, source }, now).score;
    expect(points("referral")).toBe(20);
    expect(points("website")).toBe(15);
    expect(points("cold_call")).toBe(5);
  });

  it("rates a business email domain above free mail", () => {
    expect(scoreLead({ ...bare, email: "ada@analytical.co.uk" }, now).breakdown).toEqual([
      { rule: "email", points: 10, reason: "business email domain (analytical.co.uk)" },
    ]);
    expect(scoreLead({ ...bare, email: "ada@gmail.com" }, now).score).toBe(2);
  });

  it("rates job title seniority: executive > director > manager > other", () => {
    const points = (jobTitle: string) => scoreLead({ ...bare, jobTitle }, now).score;
    expect(points("Chief Executive Officer")).toBe(20);
    expect(points("CTO")).toBe(20);
    expect(points("VP Sales")).toBe(15);
    expect(points("Head of Growth")).toBe(15);
    expect(points("Sales Manager")).toBe(8);
    expect(points("Analyst")).toBe(3);
  });

  it("counts engagement with caps: calls 3 each up to 9, notes 2 each up to 6", () => {
    expect(scoreLead({ ...bare, callAttempts: 2 }, now).score).toBe(6);
    expect(scoreLead({ ...bare, callAttempts: 10 }, now).score).toBe(9);
    expect(scoreLead({ ...bare, noteCount: 10 }, now).score).toBe(6);
  });

  it("rewards recent contact: 10 within a week, 5 within a month, nothing after", () => {
    const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
    expect(scoreLead({ ...bare, lastContactedAt: daysAgo(2) }, now).score).toBe(10);
    expect(scoreLead({ ...bare, lastContactedAt: daysAgo(20) }, now).score).toBe(5);
    expect(scoreLead({ ...bare, lastContactedAt: daysAgo(60) }, now).score).toBe(0);
  });

  it("rates high-value tags 5 each up to 15 and ignores the rest", () => {
    expect(scoreLead({ ...bare, tags: ["vip", "newsletter"] }, now).score).toBe(5);
    expect(scoreLead({ ...bare, tags: ["vip", "enterprise", "priority", "hot"] }, now).score).toBe(15);
  });

  it("caps the total at 100 and explains every point", () => {
    const result = scoreLead(
      {
        source: "referral",
        email: "ceo@bigco.com",
        phone: "+14155550100",
        companyName: "BigCo",
        jobTitle: "CEO",
        tags: ["vip", "enterprise", "priority"],
        callAttempts: 5,
        noteCount: 5,
        lastContactedAt: now,
      },
      now,
    );
    expect(result.score).toBe(100);
    expect(result.breakdown.reduce((sum, part) => sum + part.points, 0)).toBe(105);
    expect(result.breakdown.map((part) => part.rule)).toEqual([
      "source",
      "email",
      "phone",
      "company",
      "jobTitle",
      "tags",
      "calls",
      "notes",
      "recency",
    ]);
  });
});
