import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../src/database.ts";
import { lockDataDir } from "../src/pglite-lock.ts";

let dir: string;
let lockFile: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "crm-lock-"));
  lockFile = path.join(dir, "crm.pid");
});

afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("lockDataDir", () => {
  it("creates a pid file holding our pid and removes it on release", () => {
    const release = lockDataDir(dir);
    expect(readFileSync(lockFile, "utf8")).toBe(String(process.pid));
    release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it("refuses a directory whose pid file names another live process, naming it", async () => {
    child = spawn("sleep", ["5"], { stdio: "ignore" });
    const pid = child.pid;
    if (!pid) throw new Error("sleep did not start");
    writeFileSync(lockFile, String(pid));

    expect(() => lockDataDir(dir)).toThrow(new RegExp(`${dir}.* in use by process ${pid}\\b`));
    // The holder's lock is left alone.
    expect(readFileSync(lockFile, "utf8")).toBe(String(pid));
  });

  it("takes over a stale pid file whose process is gone", () => {
    const { pid, status } = spawnSync("true");
    expect(status).toBe(0);
    writeFileSync(lockFile, String(pid));

    const release = lockDataDir(dir);
    expect(readFileSync(lockFile, "utf8")).toBe(String(process.pid));
    release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it("takes over a pid file holding our own pid (a previous process with a recycled pid) or garbage", () => {
    for (const content of [String(process.pid), "", "not a pid"]) {
      writeFileSync(lockFile, content);
      const release = lockDataDir(dir);
      expect(readFileSync(lockFile, "utf8")).toBe(String(process.pid));
      release();
    }
  });

  it("refuses a second lock on the same directory within this process until the first is released", () => {
    const release = lockDataDir(dir);
    expect(() => lockDataDir(path.join(dir, "."))).toThrow(/already open in this process/);
    release();
    lockDataDir(dir)();
  });
});

describe("openDatabase with an embedded data directory", () => {
  it("cannot open a DATA_DIR twice at once, and can after closing", async () => {
    const first = await openDatabase({ kind: "pglite", dataDir: dir });
    try {
      await expect(openDatabase({ kind: "pglite", dataDir: dir })).rejects.toThrow(/already open in this process/);
      await first.ping();
    } finally {
      await first.close();
    }
    const again = await openDatabase({ kind: "pglite", dataDir: dir });
    await again.ping();
    await again.close();
    expect(existsSync(path.join(dir, "pglite", "crm.pid"))).toBe(false);
  });

  it("refuses a DATA_DIR held by another live process", async () => {
    child = spawn("sleep", ["5"], { stdio: "ignore" });
    const pid = child.pid;
    if (!pid) throw new Error("sleep did not start");
    mkdirSync(path.join(dir, "pglite"), { recursive: true });
    writeFileSync(path.join(dir, "pglite", "crm.pid"), String(pid));

    await expect(openDatabase({ kind: "pglite", dataDir: dir })).rejects.toThrow(`in use by process ${pid}`);
  });
});
