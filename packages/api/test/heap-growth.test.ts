import { finished } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { type ExportColumn, tableStream } from "../src/exports/table-stream.ts";
import { BULK_WORK_HEAP_GROWING_PERCENT, createHeapGrowthLimit, heapGrowthLimit } from "../src/lib/heap-growth.ts";

describe("createHeapGrowthLimit", () => {
  it("sets the tight growth on the first hold and V8's default after the last release, once each", () => {
    const flags: string[] = [];
    const limit = createHeapGrowthLimit((flag) => flags.push(flag));
    const releaseExport = limit.hold();
    const releaseImport = limit.hold();
    expect(flags).toEqual([`--heap-growing-percent=${BULK_WORK_HEAP_GROWING_PERCENT}`]);
    releaseExport();
    releaseExport();
    expect(limit.holders).toBe(1);
    expect(flags).toHaveLength(1);
    releaseImport();
    expect(limit.holders).toBe(0);
    expect(flags).toEqual([`--heap-growing-percent=${BULK_WORK_HEAP_GROWING_PERCENT}`, "--heap-growing-percent=0"]);
    limit.hold();
    expect(flags).toHaveLength(3);
  });
});

describe("export streams hold the process's limit until they close", () => {
  const columns: ExportColumn<{ n: number }>[] = [{ header: "n", kind: "integer", value: (row) => row.n }];
  async function* pages(count: number) {
    for (let page = 0; page < count; page++) yield Array.from({ length: 1000 }, (_, n) => ({ n: page * 1000 + n }));
  }

  it.each(["csv", "xlsx"] as const)("%s: held while it streams, released once it has been read to the end", async (format) => {
    const before = heapGrowthLimit.holders;
    const stream = tableStream(format, columns, pages(3));
    expect(heapGrowthLimit.holders).toBe(before + 1);
    let bytes = 0;
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
    await new Promise((resolve) => setImmediate(resolve));
    expect(bytes).toBeGreaterThan(10_000);
    expect(heapGrowthLimit.holders).toBe(before);
  });

  it.each(["csv", "xlsx"] as const)("%s: released when its reader goes away mid-file", async (format) => {
    const before = heapGrowthLimit.holders;
    const stream = tableStream(format, columns, pages(1000));
    stream.read();
    stream.destroy();
    await finished(stream).catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(heapGrowthLimit.holders).toBe(before);
  });
});
