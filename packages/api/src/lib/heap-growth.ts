import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Heap growth allowed after a full collection while bulk work runs: 20% (V8's own factor goes up to 4×). */
export const BULK_WORK_HEAP_GROWING_PERCENT = 20;

/**
 * A full collection now. `gc` exists only in contexts made after --expose-gc is set, so the main
 * context stays without it (the way Jest's leak detector reaches it).
 */
function collectGarbage() {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

export interface HeapControls {
  setFlags(flags: string): void;
  collectGarbage(): void;
}

/**
 * After each full collection V8 lets the heap grow to up to 4× what survived before it collects
 * again. An export or import streams rows through garbage in a burst, so that headroom was most of
 * its peak memory: held to 20%, an XLSX export of 1,000,000 leads peaks at about 250 MB instead of
 * 420 MB. Held always, the extra full collections cost list requests ~0.5 ms of server CPU each, so
 * it is held only while at least one export or import runs. V8 applies the factor from the next
 * full collection on, so the first hold runs one at once (tens of ms); otherwise the headroom left
 * by earlier traffic would still be there for the first part of the export.
 */
export function createHeapGrowthLimit(controls: HeapControls = { setFlags: setFlagsFromString, collectGarbage }) {
  let holders = 0;
  return {
    /** Holds growth tight until the returned release is called (once; later calls do nothing). */
    hold(): () => void {
      if (holders++ === 0) {
        controls.setFlags(`--heap-growing-percent=${BULK_WORK_HEAP_GROWING_PERCENT}`);
        controls.collectGarbage();
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // 0 is V8's default: its own dynamic factor.
        if (--holders === 0) controls.setFlags("--heap-growing-percent=0");
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
