import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/** The embedded database directory is held by another process (or already open in this one). */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
}

// Lock files this process holds: a pid file naming our own pid is otherwise taken for a stale one
// (pids are recycled, e.g. every container starts its server as the same pid).
const heldByThisProcess = new Set<string>();

/**
 * PGlite has no locking between processes: a second process opening the same directory loses
 * its writes silently. We hold a pid file for as long as the database is open and refuse to
 * open a directory whose pid file names a live process, or that this process already has open.
 */
export function lockDataDir(dir: string): () => void {
  const lockPath = path.resolve(dir, "crm.pid");
  if (heldByThisProcess.has(lockPath)) {
    throw new DataDirLockedError(`The embedded database in ${dir} is already open in this process; close it first.`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldByThisProcess.add(lockPath);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldByThisProcess.delete(lockPath);
        rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(
          `The embedded database in ${dir} is in use by process ${holder}. ` +
            "Stop that process, or point DATA_DIR at another directory.",
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock the embedded database directory ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
