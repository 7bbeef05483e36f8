import { setFlagsFromString } from "node:v8";

/** Heap growth allowed after a full collection while bulk work runs: 20% (V8's own factor goes up to 4×). */
export const BULK_WORK_HEAP_GROWING_PERCENT = 20;

/**
 * After each full collection V8 lets the heap grow to up to 4× what survived before it collects
 * again. An export or import streams rows through garbage in a burst, so that headroom was most of
 * its peak memory: held to 20%, an XLSX export of 1,000,000 leads peaks at about 250 MB instead of
 * 420 MB. Held always, the extra full collections cost list requests ~0.5 ms of server CPU each, so
 * it is held only while at least one export or import runs (V8 reads the flag at every collection).
 */
export function createHeapGrowthLimit(setFlags: (flags: string) => void = setFlagsFromString) {
  let holders = 0;
  return {
    /** Holds growth tight until the returned release is called (once; later calls do nothing). */
    hold(): () => void {
      if (holders++ === 0) setFlags(`--heap-growing-percent=${BULK_WORK_HEAP_GROWING_PERCENT}`);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // 0 is V8's default: its own dynamic factor.
        if (--holders === 0) setFlags("--heap-growing-percent=0");
      };
    },
    /** How many holds are not yet released. */
    get holders() {
      return holders;
    },
  };
}

/** The process's limit, shared by every export stream and import job. */
export const heapGrowthLimit = createHeapGrowthLimit();
