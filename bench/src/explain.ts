import { withClient } from "./database.ts";

export interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

export interface Explained {
  /** The plan's nodes depth first, as "node (index)". */
  steps: string[];
  /** Median execution time of the runs after the first (which warms the cache). */
  medianMs: number;
  /** The root node of the last run. */
  plan: PlanNode | undefined;
}

/**
 * What PostgreSQL alone does with `sql`: EXPLAIN ANALYZE (`options`, e.g. "BUFFERS") `runs` times
 * on one connection, as a pooled server has (warm caches, no connection start-up).
 */
export async function explainQuery(
  url: string,
  sql: string,
  params: unknown[],
  options: string[] = [],
  runs = 6,
): Promise<Explained> {
  const times: number[] = [];
  let plan: PlanNode | undefined;
  await withClient(url, async (client) => {
    for (let run = 0; run < runs; run++) {
      const { rows } = await client.query<{ "QUERY PLAN": { Plan: PlanNode; "Execution Time": number }[] }>(
        `EXPLAIN (${["ANALYZE", ...options, "FORMAT JSON"].join(", ")}) ${sql}`,
        params,
      );
      const result = rows[0]?.["QUERY PLAN"][0];
      plan = result?.Plan;
      if (run > 0 && result) times.push(result["Execution Time"]);
    }
  });
  times.sort((a, b) => a - b);
  const steps: string[] = [];
  const walk = (node: PlanNode) => {
    steps.push(node["Index Name"] ? `${node["Node Type"]} (${node["Index Name"]})` : node["Node Type"]);
    for (const child of node.Plans ?? []) walk(child);
  };
  if (plan) walk(plan);
  return { steps, medianMs: times[Math.floor(times.length / 2)] ?? Number.NaN, plan };
}
