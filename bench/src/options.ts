import { RESOURCE_KEYS, type ResourceKey } from "./resources.ts";

/** Command-line flags of `pnpm bench`. */
export interface BenchOptions {
  /** Leads seeded in the benchmark organization (and rows in the lead import file). */
  rows: number;
  /** Rows of the contact import file (the contacts the export section then exports). */
  contactRows: number;
  /** The resources the import and export sections measure. */
  resources: Set<ResourceKey>;
  /** Keep the benchmark database instead of dropping it at the end. */
  keep: boolean;
  /** Seconds of measured load per list and timeline target in each round (after the warm-up). */
  duration: number;
  /** Rounds of the list and timeline sections, each measuring every target once. */
  rounds: number;
  /** Seconds of unmeasured warm-up load per list and timeline target. */
  warmup: number;
  connections: number;
  /** Database connections of the real server and of the baseline alike. */
  pool: number;
  /** Seconds of measured load per target of the mixed section. */
  mixedDuration: number;
  /** Concurrent clients of the mixed section. */
  mixedConnections: number;
  /** Which sections to run. */
  sections: Set<Section>;
  /**
   * `dist`: build apps/server (`pnpm build`: its esbuild bundle) and run `node dist/main.mjs`, as in
   * production, falling back to `src` when the build fails; `src`: apps/server/src/main.ts through tsx.
   */
  server: "src" | "dist";
  /** LOG_LEVEL of the server under test. */
  logLevel: string;
}

export const SECTIONS = ["list", "export", "import", "timeline", "mixed"] as const;
export type Section = (typeof SECTIONS)[number];

const USAGE = `pnpm bench [-- flags]
  --rows=N          leads to seed, and leads to import (default 1000000)
  --contact-rows=N  contacts to import, then export (default rows/10)
  --resources=a,b   resources of the import and export sections: leads, contacts (default both)
  --duration=S      seconds of measured load per list/timeline target and round (default 10)
  --rounds=N        list/timeline rounds, each measuring baseline, REST and tRPC in turn (default 3)
  --warmup=S        seconds of warm-up load per list/timeline target (default 5)
  --connections=N   concurrent connections (default 32)
  --pool=N          database pool size of both servers (default 10)
  --mixed-duration=S     seconds of measured mixed load per target (default 60)
  --mixed-connections=N  concurrent clients of the mixed section (default 200)
  --only=a,b        sections to run: list, export, import, timeline, mixed (default all)
  --server=dist|src build the server and run node dist/main.mjs (default), or src/main.ts through tsx
  --log-level=L     LOG_LEVEL of the server under test (default warn)
  --keep            keep the benchmark database`;

function positiveInteger(name: string, value: string): number {
  const parsed = Number(value.replaceAll("_", ""));
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return parsed;
}

export function parseOptions(argv: string[]): BenchOptions {
  let contactRows: number | undefined;
  const options: BenchOptions = {
    rows: 1_000_000,
    contactRows: 0,
    resources: new Set(RESOURCE_KEYS),
    keep: false,
    duration: 10,
    rounds: 3,
    warmup: 5,
    connections: 32,
    pool: 10,
    mixedDuration: 60,
    mixedConnections: 200,
    sections: new Set(SECTIONS),
    server: "dist",
    logLevel: "warn",
  };
  for (const arg of argv) {
    // pnpm forwards the `--` that separates its own flags from the script's.
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`Unknown argument "${arg}"\n${USAGE}`);
    const [, name = "", value] = match;
    const need = () => {
      if (value === undefined || value === "") throw new Error(`--${name} needs a value (--${name}=...)`);
      return value;
    };
    switch (name) {
      case "rows":
        options.rows = positiveInteger(name, need());
        break;
      case "contact-rows":
        contactRows = positiveInteger(name, need());
        break;
      case "resources": {
        const wanted = need().split(",");
        const unknown = wanted.filter((resource) => !RESOURCE_KEYS.includes(resource as ResourceKey));
        if (unknown.length) {
          throw new Error(`--resources: unknown resource ${unknown.join(", ")} (known: ${RESOURCE_KEYS.join(", ")})`);
        }
        options.resources = new Set(wanted as ResourceKey[]);
        break;
      }
      case "duration":
        options.duration = positiveInteger(name, need());
        break;
      case "rounds":
        options.rounds = positiveInteger(name, need());
        break;
      case "warmup":
        options.warmup = positiveInteger(name, need());
        break;
      case "connections":
        options.connections = positiveInteger(name, need());
        break;
      case "pool":
        options.pool = positiveInteger(name, need());
        break;
      case "mixed-duration":
        options.mixedDuration = positiveInteger(name, need());
        break;
      case "mixed-connections":
        options.mixedConnections = positiveInteger(name, need());
        break;
      case "only": {
        const wanted = need().split(",");
        const unknown = wanted.filter((section) => !SECTIONS.includes(section as Section));
        if (unknown.length) throw new Error(`--only: unknown section ${unknown.join(", ")} (known: ${SECTIONS.join(", ")})`);
        options.sections = new Set(wanted as Section[]);
        break;
      }
      case "server": {
        const server = need();
        if (server !== "src" && server !== "dist") throw new Error(`--server must be src or dist, got "${server}"`);
        options.server = server;
        break;
      }
      case "log-level":
        options.logLevel = need();
        break;
      case "keep":
        options.keep = true;
        break;
      default:
        throw new Error(`Unknown flag --${name}\n${USAGE}`);
    }
  }
  if (options.rows < 1000) throw new Error("--rows must be at least 1000");
  options.contactRows = contactRows ?? Math.round(options.rows / 10);
  return options;
}
