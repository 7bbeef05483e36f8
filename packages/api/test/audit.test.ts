import { Prisma } from "@crm/db";
import { describe, expect, it } from "vitest";
import { diffSnapshots } from "../src/lib/audit.ts";

describe("diffSnapshots", () => {
  const lead = {
    id: "0190f000-0000-7000-8000-000000000001",
    firstName: "Ada",
    tags: ["vip", "eu"],
    score: 40,
    createdAt: new Date("2026-01-01T10:00:00.000Z"),
    updatedAt: new Date("2026-01-01T10:00:00.000Z"),
    updatedById: "0190f000-0000-7000-8000-0000000000aa",
    organizationId: "0190f000-0000-7000-8000-0000000000bb",
    custom: { size: 3, region: "eu" },
    assignedToId: null,
  };

  it("is empty when nothing changed, even for equal dates, arrays and objects held in new instances", () => {
    expect(diffSnapshots(lead, structuredClone(lead))).toEqual({});
    expect(diffSnapshots(lead, lead)).toEqual({});
  });

  it("leaves out the bookkeeping fields that change on every write", () => {
    const after = {
      ...lead,
      updatedAt: new Date("2026-02-02T00:00:00.000Z"),
      updatedById: "0190f000-0000-7000-8000-0000000000cc",
      organizationId: "0190f000-0000-7000-8000-0000000000dd",
    };
    expect(diffSnapshots(lead, after)).toEqual({});
  });

  it("records changed dates as ISO strings", () => {
    const after = { ...lead, createdAt: new Date("2026-03-04T05:06:07.089Z") };
    expect(diffSnapshots(lead, after)).toEqual({
      createdAt: { before: "2026-01-01T10:00:00.000Z", after: "2026-03-04T05:06:07.089Z" },
    });
    expect(diffSnapshots({ dueAt: null }, { dueAt: new Date("2026-01-01T00:00:00.000Z") })).toEqual({
      dueAt: { before: null, after: "2026-01-01T00:00:00.000Z" },
    });
  });

  it("compares arrays by content and order", () => {
    expect(diffSnapshots(lead, { ...lead, tags: ["vip", "eu"] })).toEqual({});
    expect(diffSnapshots(lead, { ...lead, tags: ["vip", "eu", "hot"] })).toEqual({
      tags: { before: ["vip", "eu"], after: ["vip", "eu", "hot"] },
    });
    expect(diffSnapshots(lead, { ...lead, tags: ["eu", "vip"] })).toEqual({
      tags: { before: ["vip", "eu"], after: ["eu", "vip"] },
    });
  });

  it("records only the fields that changed, with before and after", () => {
    const after = { ...lead, firstName: "Grace", score: 55, assignedToId: "0190f000-0000-7000-8000-0000000000ee" };
    expect(diffSnapshots(lead, after)).toEqual({
      firstName: { before: "Ada", after: "Grace" },
      score: { before: 40, after: 55 },
      assignedToId: { before: null, after: "0190f000-0000-7000-8000-0000000000ee" },
    });
  });

  it("writes decimals and bigints as strings and treats undefined as null", () => {
    expect(diffSnapshots({ amount: new Prisma.Decimal("10.50") }, { amount: new Prisma.Decimal("10.5") })).toEqual({});
    expect(diffSnapshots({ amount: new Prisma.Decimal("10.50") }, { amount: new Prisma.Decimal("12") })).toEqual({
      amount: { before: "10.5", after: "12" },
    });
    expect(diffSnapshots({ big: 1n }, { big: 2n })).toEqual({ big: { before: "1", after: "2" } });
    expect(diffSnapshots({ note: undefined }, { note: null })).toEqual({});
  });

  it("records a whole record on create and on delete", () => {
    const created = diffSnapshots(null, { id: lead.id, firstName: "Ada", updatedAt: lead.updatedAt });
    expect(created).toEqual({ id: { before: null, after: lead.id }, firstName: { before: null, after: "Ada" } });
    const deleted = diffSnapshots({ id: lead.id, firstName: "Ada" }, null);
    expect(deleted).toEqual({ id: { before: lead.id, after: null }, firstName: { before: "Ada", after: null } });
    expect(diffSnapshots(null, null)).toEqual({});
  });
});
