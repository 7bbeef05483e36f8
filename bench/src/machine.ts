import { readFileSync } from "node:fs";

/** Busy share of all CPUs over `ms`, from /proc/stat (user + nice + system + irq + softirq + steal over all). */
export async function cpuBusy(ms = 1000): Promise<number> {
  const read = () => {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { idle, total };
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  const total = after.total - before.total;
  return total > 0 ? 1 - (after.idle - before.idle) / total : 0;
}

/**
 * Waits (up to `maxSeconds`) until the machine is quiet, since on a shared 2-core machine other
 * work skews every figure; returns the busy share seen last, for the report.
 */
export async function waitForQuietCpu(log: (message: string) => void, maxSeconds = 180, threshold = 0.15): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await cpuBusy();
  if (busy <= threshold) return busy;
  log(`  the CPUs are ${Math.round(busy * 100)}% busy with other work; waiting up to ${maxSeconds} s for them to settle`);
  while (Date.now() < deadline) {
    busy = await cpuBusy(2000);
    if (busy <= threshold) return busy;
  }
  log(`  still ${Math.round(busy * 100)}% busy; measuring anyway (figures will be pessimistic)`);
  return busy;
}

/** USER_HZ: the unit of /proc/stat and /proc/<pid>/stat times (100 on Linux). */
const TICKS_PER_SECOND = 100;

function systemTicks(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** utime + stime of a process, in the same clock ticks as /proc/stat; 0 once it has gone. */
function processTicks(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export interface CpuUse {
  /** CPU seconds of each group of our processes. */
  seconds: Record<string, number>;
  /** Share of all CPUs that went to other work (other processes, PostgreSQL's background work, interrupts). */
  otherShare: number;
}

/**
 * CPU time of groups of our processes (e.g. the server, its PostgreSQL backends; the bench itself,
 * with its load generator, is always counted as `bench`) and the share of the machine that went to
 * anything else, between the probe's start and `stop()`: on a shared machine, the figure that says
 * whether a measurement can be trusted, and per group, where the time of a request goes.
 */
export function cpuProbe(groups: Record<string, number[]>) {
  const started = new Map<number, number>();
  const all = { bench: [process.pid], ...groups };
  for (const pids of Object.values(all)) for (const pid of pids) started.set(pid, processTicks(pid));
  const system = systemTicks();
  return {
    /** `later`: processes of a group that started during the measurement (e.g. new pool connections). */
    stop(later: Record<string, number[]> = {}): CpuUse {
      const now = systemTicks();
      const seconds: Record<string, number> = {};
      const counted = new Set<number>();
      let ours = 0;
      for (const [group, pids] of Object.entries(all)) {
        let ticks = 0;
        for (const pid of [...pids, ...(later[group] ?? [])]) {
          if (counted.has(pid)) continue;
          counted.add(pid);
          ticks += Math.max(0, processTicks(pid) - (started.get(pid) ?? 0));
        }
        seconds[group] = ticks / TICKS_PER_SECOND;
        ours += ticks;
      }
      const total = now.total - system.total;
      return { seconds, otherShare: total > 0 ? Math.max(0, (now.busy - system.busy - ours) / total) : 0 };
    },
  };
}
