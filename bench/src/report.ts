/** One line of the result table. `pass` undefined means the line has no target (information). */
export interface Row {
  metric: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  pass?: boolean;
}

export interface Note {
  section: string;
  text: string;
}

export const fmt = {
  rate: (value: number) => `${Math.round(value).toLocaleString("en-US")} req/s`,
  ms: (value: number) => `${value.toFixed(1)} ms`,
  seconds: (value: number) => `${value.toFixed(1)} s`,
  mb: (value: number) => `${Math.round(value)} MB`,
  ratio: (value: number) => `${value.toFixed(2)}×`,
  percent: (value: number) => `${Math.round(value * 100)}%`,
  rows: (value: number) => `${Math.round(value).toLocaleString("en-US")} rows/s`,
  count: (value: number) => value.toLocaleString("en-US"),
};

function passText(pass: boolean | undefined): string {
  return pass === undefined ? "" : pass ? "pass" : "FAIL";
}

/** A plain-text table, also valid Markdown, so the README can take it as printed. */
export function renderTable(rows: Row[]): string {
  const header = ["metric", "ours", "baseline", "ratio", "target", "result"];
  const cells = rows.map((row) => [row.metric, row.ours, row.baseline, row.ratio, row.target, passText(row.pass)]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => (line[column] ?? "").length)));
  const line = (values: string[]) => `| ${values.map((value, column) => value.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...cells.map(line)].join("\n");
}
