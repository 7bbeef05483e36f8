import { spawn } from "node:child_process";

/** Runs one psql meta-command (e.g. `\copy ...`) against `url`; resolves with psql's output and the wall time. */
export async function psql(url: string, command: string): Promise<{ output: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn("psql", [url, "-X", "-v", "ON_ERROR_STOP=1", "-c", command], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("error", (error) =>
      reject(new Error(`psql could not start (${error.message}); is the PostgreSQL client installed?`)),
    );
    child.once("exit", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ output: output.trim(), seconds });
      else reject(new Error(`psql ${command.slice(0, 80)}... exited ${code}: ${output.trim()}`));
    });
  });
}

/** The literal of a file path inside a psql `\copy` command. */
export function psqlPath(file: string): string {
  return `'${file.replaceAll("'", "''")}'`;
}
