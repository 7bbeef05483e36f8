import { finished } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { type ExportColumn, tableStream } from "../src/exports/table-stream.ts";
import { BULK_WORK_HEAP_GROWING_PERCENT, createHeapGrowthLimit, heapGrowthLimit } from "../src/lib/heap-growth.ts";

describe("createHeapGrowthLimit", () => {
  it("sets the tight growth and collects on the first hold, and V8's default after the last release, once each", () => {
    const flags: string[] = [];
    let collections = 0;
    const limit = createHeapGrowthLimit({ setFlags: (flag) => flags.push(flag), collectGarbage: () => collections++ });
    const releaseExport = limit.hold();
    const releaseImport = limit.hold();
    expect(flags).toEqual([`--heap-growing-percent=${BULK_WORK_HEAP_GROWING_PERCENT}`]);
    expect(collections).toBe(1);
    releaseExport();
    releaseExport();
    expect(limit.holders).toBe(1);
    expect(flags).toHaveLength(1);
    releaseImport();
    expect(limit.holders).toBe(0);
    expect(flags).toEqual([`--heap-growing-percent=${BULK_WORK_HEAP_GROWING_PERCENT}`, "--heap-growing-percent=0"]);
    limit.hold();
    expect(flags).toHaveLength(3);
    expect(collections).toBe(2);
  });

  it("the process's limit really collects: an unreachable object is gone after the first hold", async () => {
    expect(heapGrowthLimit.holders).toBe(0);
    let target: object | null = { payload: new Array(1000).fill(0) };
    let finalized!: () => void;
    const collected = new Promise<void>((resolve) => {
      finalized = resolve;
    });
    const registry = new FinalizationRegistry<void>(() => finalized());
    registry.register(target, undefined);
    const ref = new WeakRef(target);
    target = null;
    // A new task first: V8 keeps objects a WeakRef was made of alive until the current task ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const release = heapGrowthLimit.hold();
    release();
    expect(ref.deref()).toBeUndefined();
    await collected;
  });
});

describe("export streams hold the process's limit until they close", () => {
  const columns: ExportColumn<{ n: number }>[] = [{ header: "n", kind: "integer", value: (row) => row.n }];
  async function* pages(count: number) {
    for (let page = 0; page < count; page++) yield Array.from({ length: 1000 }, (_, n) => ({ n: page * 1000 + n }));
  }

  it.each(["csv", "xlsx"] as const)("%s: held while it streams, released once it has been read to the end", async (format) => {
    const before = heapGrowthLimit.holders;
    const stream = await tableStream(format, columns, pages(3));
    expect(heapGrowthLimit.holders).toBe(before + 1);
    let bytes = 0;
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
    await new Promise((resolve) => setImmediate(resolve));
    expect(bytes).toBeGreaterThan(10_000);
    expect(heapGrowthLimit.holders).toBe(before);
  });

  it.each(["csv", "xlsx"] as const)("%s: released when its reader goes away mid-file", async (format) => {
    const before = heapGrowthLimit.holders;
    const stream = await tableStream(format, columns, pages(1000));
    stream.read();
    stream.destroy();
    await finished(stream).catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(heapGrowthLimit.holders).toBe(before);
  });
});
