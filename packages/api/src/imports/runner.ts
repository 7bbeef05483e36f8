import { existsSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { ImportJob } from "@crm/db";
import { TRPCError } from "@trpc/server";
import type { ApiServices } from "../context.ts";
import { heapGrowthLimit } from "../lib/heap-growth.ts";
import { importJobContext } from "./job-context.ts";
import { importTargetOf } from "./jobs.ts";
import { ImportInterrupted, type ImportResult, runImport } from "./pipeline.ts";

export interface ImportRunnerSettings {
  /** Where uploads are stored; jobs keep paths relative to it. */
  directory: string;
  /** Rows per batch (and per statement). */
  batchSize: number;
  /** Jobs run at once by this process. */
  concurrency: number;
  /** How often the queue is looked at besides `wake()` (other instances' uploads, stale jobs). */
  pollIntervalMs: number;
  /** A running job whose heartbeat is older than this was abandoned by a crashed runner and is resumed. */
  staleAfterMs: number;
  batchTimeoutMs: number;
  atomicTimeoutMs: number;
  /** Runs of one job before it is failed for good. */
  maxAttempts: number;
  /**
   * This process is the only one that can run jobs (the embedded database allows one process):
   * jobs left `running` are resumed at start-up instead of once their heartbeat is stale.
   */
  soleRunner?: boolean;
}

export const DEFAULT_IMPORT_SETTINGS: Omit<ImportRunnerSettings, "directory"> = {
  batchSize: 2000,
  concurrency: 1,
  pollIntervalMs: 5000,
  staleAfterMs: 60_000,
  batchTimeoutMs: 120_000,
  atomicTimeoutMs: 6 * 3_600_000,
  maxAttempts: 3,
};

/** An upload with no job this old is left over from a crash while it was being received. */
const ABANDONED_UPLOAD_MS = 3_600_000;

/** How long the upload of a job that failed on the server is kept for `imports.retry`. */
const FAILED_UPLOAD_KEPT_MS = 7 * 86_400_000;

/** Rows written by one import above which the table's statistics are refreshed. */
const ANALYZE_AFTER_ROWS = 10_000;

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * Runs queued import jobs in the server process. A job is claimed with `FOR UPDATE SKIP LOCKED`,
 * so several instances share one queue; the runner holding it refreshes its heartbeat, and a
 * `running` job whose heartbeat went stale (its runner died) is claimed again and resumed from
 * its committed progress. `stop()` interrupts between batches and puts the jobs back in the queue.
 */
export class ImportRunner {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private ticking: Promise<void> | undefined;
  private tickAgain = false;

  constructor(
    private readonly services: ApiServices,
    private readonly settings: ImportRunnerSettings,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.settings.soleRunner) {
      // No other process can be running these: they were left by this one when it stopped.
      await this.services.db.importJob.updateMany({
        where: { status: "running" },
        data: { status: "queued", heartbeatAt: null },
      });
    }
    await this.removeAbandonedUploads().catch((error) => this.log.warn({ err: error }, "could not clean the import directory"));
    this.timer = setInterval(() => this.wake(), this.settings.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /**
   * Uploads no job needs any more, after a while: left by a crash between storing the file and
   * queueing its job, or kept for the retry of a job that failed long ago.
   */
  private async removeAbandonedUploads(): Promise<void> {
    const files = await readdir(this.settings.directory);
    if (files.length === 0) return;
    const pending = await this.services.db.importJob.findMany({
      where: {
        storedFile: { in: files },
        OR: [
          { status: { in: ["queued", "running"] } },
          { status: "failed", finishedAt: { gte: new Date(Date.now() - FAILED_UPLOAD_KEPT_MS) } },
        ],
      },
      select: { storedFile: true },
    });
    const kept = new Set(pending.map((job) => job.storedFile));
    const cutoff = Date.now() - ABANDONED_UPLOAD_MS;
    for (const file of files) {
      if (kept.has(file)) continue;
      const full = path.join(this.settings.directory, file);
      const info = await stat(full).catch(() => undefined);
      if (info?.isFile() && info.mtimeMs < cutoff) await rm(full, { force: true });
    }
  }

  /** Looks at the queue now (after an upload). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = this.claimWhileFree()
      .catch((error) => this.log.error({ err: error }, "import runner could not claim a job"))
      .finally(() => {
        this.ticking = undefined;
        if (this.tickAgain) {
          this.tickAgain = false;
          this.wake();
        }
      });
  }

  /** Resolves when every job this runner holds has stopped (finished or put back in the queue). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    for (const { controller } of this.active.values()) controller.abort();
    await Promise.all([...this.active.values()].map((run) => run.done));
  }

  /** Resolves when no job of this runner is running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.ticking || this.active.size) {
      await this.ticking;
      await Promise.all([...this.active.values()].map((run) => run.done));
    }
  }

  private async claimWhileFree(): Promise<void> {
    while (!this.stopped && this.active.size < this.settings.concurrency) {
      const job = await this.claim();
      if (!job) return;
      const controller = new AbortController();
      // A job whose final update fails (the database went away) stays `running` and is resumed
      // once its heartbeat is stale; the failure must not become an unhandled rejection.
      const done = this.process(job, controller.signal)
        .catch((error) => this.log.error({ jobId: job.id, err: error }, "import runner lost track of a job"))
        .finally(() => this.active.delete(job.id));
      this.active.set(job.id, { controller, done });
    }
  }

  private async claim(): Promise<ImportJob | undefined> {
    const { db } = this.services;
    const held = [...this.active.keys()];
    const claimed = await db.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE "ImportJob" SET "status" = 'running', "heartbeatAt" = now(), "startedAt" = COALESCE("startedAt", now()),
              "attempts" = "attempts" + 1, "updatedAt" = now()
       WHERE "id" = (
         SELECT "id" FROM "ImportJob"
         WHERE ("status" = 'queued' OR ("status" = 'running' AND "heartbeatAt" < now() - make_interval(secs => $1)))
           AND NOT ("id" = ANY($2::uuid[]))
         ORDER BY "createdAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING "id"`,
      this.settings.staleAfterMs / 1000,
      held,
    );
    const id = claimed[0]?.id;
    return id ? db.importJob.findUniqueOrThrow({ where: { id } }) : undefined;
  }

  private async process(job: ImportJob, signal: AbortSignal): Promise<void> {
    const { db } = this.services;
    const file = path.join(this.settings.directory, job.storedFile);
    const heartbeat = this.heartbeat(job.id);
    const log = { jobId: job.id, organizationId: job.organizationId, attempt: job.attempts };
    this.log.info(
      { ...log, mode: job.mode, rowsDone: job.rowsProcessed },
      job.attempts > 1 ? "resuming import" : "starting import",
    );
    let result: ImportResult;
    // A failure of the server, not of the file: the upload stays for imports.retry.
    let retryable = false;
    try {
      if (job.attempts > this.settings.maxAttempts) {
        retryable = true;
        result = {
          status: "failed",
          errorMessage: `the import stopped ${job.attempts - 1} times without finishing; gave up; it can be retried`,
        };
      } else if (!existsSync(file)) {
        result = { status: "failed", errorMessage: "the uploaded file is no longer on the server; upload it again" };
      } else {
        const target = importTargetOf(this.services.resources, job);
        if (!target) throw new Error(`no import target for ${job.resource}`);
        const ctx = await importJobContext(this.services, job);
        const releaseHeap = heapGrowthLimit.hold();
        try {
          result = await runImport({ db, ctx, job, target, file, signal, ...this.settings });
        } finally {
          releaseHeap();
        }
      }
    } catch (error) {
      if (error instanceof ImportInterrupted) {
        clearInterval(heartbeat);
        // An orderly stop is not a failed attempt.
        await db.importJob.update({
          where: { id: job.id },
          data: { status: "queued", heartbeatAt: null, attempts: { decrement: 1 } },
        });
        this.log.info(log, "import interrupted; it resumes on the next start");
        return;
      }
      if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") {
        result = { status: "failed", errorMessage: error.message };
      } else if (job.attempts < this.settings.maxAttempts) {
        clearInterval(heartbeat);
        this.log.error({ ...log, err: error }, "import failed; it will be retried");
        await db.importJob.update({ where: { id: job.id }, data: { status: "queued", heartbeatAt: null } });
        return;
      } else {
        this.log.error({ ...log, err: error }, "import failed");
        retryable = true;
        result = {
          status: "failed",
          errorMessage: "the import failed on the server (see the server log); it can be retried",
        };
      }
    } finally {
      clearInterval(heartbeat);
    }
    await db.importJob.update({
      where: { id: job.id },
      data: { status: result.status, errorMessage: result.errorMessage ?? null, finishedAt: new Date(), heartbeatAt: null },
    });
    if (!retryable) await rm(file, { force: true });
    this.log.info({ ...log, status: result.status }, "import finished");
    await this.refreshStatistics(job.id);
  }

  /**
   * After a large import the planner's statistics still describe the table before it: lists and
   * exports would pick poor plans until autovacuum catches up, so the table is analysed now.
   */
  private async refreshStatistics(jobId: string): Promise<void> {
    const job = await this.services.db.importJob.findUnique({ where: { id: jobId } });
    const target = job && importTargetOf(this.services.resources, job);
    if (!job || !target || job.status !== "completed" || job.mode === "dry_run") return;
    if (job.rowsCreated + job.rowsUpdated < ANALYZE_AFTER_ROWS) return;
    await this.services.db
      .$executeRawUnsafe(`ANALYZE "${target.table}"`)
      .catch((error) => this.log.warn({ err: error, jobId }, "could not analyse after the import"));
  }

  /** Keeps the job's heartbeat fresh while it runs (also during one long all_or_nothing transaction). */
  private heartbeat(jobId: string): NodeJS.Timeout {
    let inFlight = false;
    const timer = setInterval(
      () => {
        if (inFlight) return;
        inFlight = true;
        this.services.db.importJob
          .update({ where: { id: jobId }, data: { heartbeatAt: new Date() } })
          .catch((error) => this.log.warn({ err: error, jobId }, "import heartbeat failed"))
          .finally(() => {
            inFlight = false;
          });
      },
      Math.max(1000, this.settings.staleAfterMs / 3),
    );
    timer.unref();
    return timer;
  }
}
