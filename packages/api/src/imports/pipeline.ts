import { setImmediate } from "node:timers/promises";
import type { ImportJob, Prisma, PrismaClient } from "@crm/db";
import { insertRows } from "../lib/bulk-sql.ts";
import { uuidv7 } from "../lib/ids.ts";
import type { OrgContext } from "../trpc.ts";
import { type ImportField, isEmptyRow, rowValues } from "./columns.ts";
import { FirstRowIndex } from "./first-row-index.ts";
import { readRows } from "./inspect.ts";
import type { ParseOptions, RowIssue } from "./types.ts";

export type ImportMode = ImportJob["mode"];
export type DuplicatePolicy = ImportJob["duplicatePolicy"];

/** A row that passed validation, on its way to be written. */
export interface CandidateRow<Input> {
  rowNumber: number;
  input: Input;
  /** The row's duplicate key (see record-writer's DuplicateKey: a normalized email for leads), when it has one. */
  key?: string;
  /** An earlier row of the file with the same key. */
  earlierRow?: number;
  /** The mapped cells as text, for error reports. */
  raw: Record<string, string>;
}

export type RowOutcome =
  | { rowNumber: number; result: "created" | "updated" | "skipped" }
  | { rowNumber: number; result: "failed"; issues: RowIssue[] };

/** What one kind of record brings to the import pipeline; the pipeline does the rest. */
export interface ImportTarget<Input = unknown> {
  resource: string;
  /** The table the records go to (analysed after a large import). */
  table: string;
  fields: ImportField[];
  /** Alternatives: the header must map every field of at least one set. */
  requiredColumns: string[][];
  /** Loads what reading rows needs (once per run) and returns the row reader/writer. */
  open(db: PrismaClient, ctx: OrgContext): Promise<RowHandler<Input>>;
}

export interface RowHandler<Input> {
  /** Converted cells → the validated input and its duplicate key, or the row's issues. */
  read(
    values: Record<string, unknown>,
    raw: Record<string, string>,
    rowNumber: number,
  ): { input: Input; key?: string } | { issues: RowIssue[] };
  /**
   * Decides what each row does under the duplicate policy and, when `write`, does it and audits
   * it, in `tx`. Returns one outcome per row.
   */
  apply(
    tx: Prisma.TransactionClient,
    rows: CandidateRow<Input>[],
    options: { policy: DuplicatePolicy; write: boolean },
  ): Promise<RowOutcome[]>;
}

export interface ImportRunOptions {
  db: PrismaClient;
  ctx: OrgContext;
  job: ImportJob;
  target: ImportTarget;
  /** The stored upload. */
  file: string;
  batchSize: number;
  /** Per batch (dry_run, valid_only). */
  batchTimeoutMs: number;
  /** The one transaction of an all_or_nothing import. */
  atomicTimeoutMs: number;
  /** Stops between batches (shutdown); the job is left to resume. */
  signal: AbortSignal;
}

export interface ImportResult {
  status: "completed" | "failed";
  errorMessage?: string;
}

interface Batch<Input> {
  candidates: CandidateRow<Input>[];
  failures: RowOutcome[];
  /** The last row the batch covers (empty rows included). */
  lastRowNumber: number;
}

interface Tally {
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
}

function tallyOf(outcomes: RowOutcome[]): Tally {
  const tally: Tally = { processed: outcomes.length, created: 0, updated: 0, skipped: 0, failed: 0 };
  for (const outcome of outcomes) tally[outcome.result]++;
  return tally;
}

/**
 * The rows after `startAfter`, converted and validated, in batches of `batchSize` rows. Rows up
 * to `startAfter` (already committed by an earlier run) are read only to remember their keys, so
 * a resumed import recognises duplicates of them as the first run would have.
 */
async function* batchesOf<Input>(
  run: ImportRunOptions,
  handler: RowHandler<Input>,
  startAfter: number,
): AsyncGenerator<Batch<Input>> {
  const options = run.job.parseOptions as unknown as ParseOptions;
  const kinds = new Map(run.target.fields.map((field) => [field.field, field.kind]));
  const firstRows = new FirstRowIndex(run.job.rowsTotal ?? 1024);
  let batch: Batch<Input> = { candidates: [], failures: [], lastRowNumber: startAfter };
  let size = 0;
  for await (const rows of readRows(run.file, run.job.format, options)) {
    for (const row of rows) {
      if (row.rowNumber <= options.headerRowNumber) continue;
      const resumed = row.rowNumber <= startAfter;
      if (!resumed) batch.lastRowNumber = row.rowNumber;
      if (isEmptyRow(row.cells)) continue;
      const { values, raw, issues } = rowValues(row.cells, options.columns, kinds);
      const read = issues.length ? { issues } : handler.read(values, raw, row.rowNumber);
      if ("issues" in read) {
        if (!resumed) batch.failures.push({ rowNumber: row.rowNumber, result: "failed", issues: read.issues });
      } else {
        const earlierRow = read.key ? firstRows.firstOrAdd(read.key, row.rowNumber) : undefined;
        if (!resumed) batch.candidates.push({ rowNumber: row.rowNumber, input: read.input, key: read.key, earlierRow, raw });
      }
      if (resumed) continue;
      if (++size >= run.batchSize) {
        yield batch;
        batch = { candidates: [], failures: [], lastRowNumber: batch.lastRowNumber };
        size = 0;
      }
    }
  }
  if (size > 0 || batch.lastRowNumber > startAfter) yield batch;
}

/**
 * Asks for the next item as soon as one is handed out, so the file is read and the next batch
 * validated while the database writes the current one.
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      // An error of the read-ahead surfaces when its item is awaited, not as an unhandled rejection.
      next.catch(() => {});
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}

async function outcomesOf<Input>(
  tx: Prisma.TransactionClient,
  handler: RowHandler<Input>,
  batch: Batch<Input>,
  options: { policy: DuplicatePolicy; write: boolean },
): Promise<RowOutcome[]> {
  const applied = batch.candidates.length ? await handler.apply(tx, batch.candidates, options) : [];
  return [...batch.failures, ...applied].sort((a, b) => a.rowNumber - b.rowNumber);
}

const MAX_VALUE_LENGTH = 500;

async function saveRowErrors(tx: Prisma.TransactionClient, jobId: string, outcomes: RowOutcome[]) {
  const now = Date.now();
  const rows = outcomes.flatMap((outcome) =>
    outcome.result === "failed"
      ? outcome.issues.map((issue) => ({
          id: uuidv7(now),
          jobId,
          rowNumber: outcome.rowNumber,
          field: issue.field,
          message: issue.message,
          value: issue.value ? issue.value.slice(0, MAX_VALUE_LENGTH) : null,
        }))
      : [],
  );
  await insertRows(tx, "ImportRowError", rows);
}

function abortIfStopped(signal: AbortSignal) {
  if (signal.aborted) throw new ImportInterrupted();
}

/** The runner is stopping: the job keeps its committed progress and resumes later. */
export class ImportInterrupted extends Error {
  override name = "ImportInterrupted";
  constructor() {
    super("the import was interrupted; it resumes from its last committed row");
  }
}

/** A write lost a race with another writer (a unique key such as a lead's email); the batch is run again. */
export function isUniqueViolation(error: unknown): boolean {
  const text = `${(error as { code?: string })?.code ?? ""} ${(error as Error)?.message ?? ""}`;
  return /P2002|23505|unique constraint/i.test(text);
}

async function withRetryOnConflict<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isUniqueViolation(error)) throw error;
    }
  }
}

/**
 * How a pass through the file counts: `write` (valid_only) writes the rows and counts what it
 * did; `report` (dry_run) writes nothing and counts what would be done; `validate` (the first pass
 * of all_or_nothing) writes nothing and counts only the rows checked and those that failed, so
 * the job never claims a created or updated row before the rows themselves are committed.
 */
type Pass = "write" | "report" | "validate";

/**
 * Batch after batch, each in its own transaction holding the rows' writes (valid_only), their
 * audit entries, their error rows and the job's counters and resume point, so a crash loses at
 * most the batch in flight and a restart continues after the last committed row.
 */
async function runInBatches(run: ImportRunOptions, handler: RowHandler<unknown>, pass: Pass, startAfter: number) {
  const write = pass === "write";
  for await (const batch of readAhead(batchesOf(run, handler, startAfter))) {
    abortIfStopped(run.signal);
    // A turn of the event loop between transactions: on PGlite (one connection) the requests
    // waiting for the database get it here; back-to-back transactions would starve them.
    await setImmediate();
    await withRetryOnConflict(() =>
      run.db.$transaction(
        async (tx) => {
          const outcomes = await outcomesOf(tx, handler, batch, { policy: run.job.duplicatePolicy, write });
          await saveRowErrors(tx, run.job.id, outcomes);
          const tally = tallyOf(outcomes);
          const outcomeCounts =
            pass === "validate"
              ? {}
              : {
                  rowsCreated: { increment: tally.created },
                  rowsUpdated: { increment: tally.updated },
                  rowsSkipped: { increment: tally.skipped },
                };
          await tx.importJob.update({
            where: { id: run.job.id },
            data: {
              rowsProcessed: { increment: tally.processed },
              rowsFailed: { increment: tally.failed },
              ...outcomeCounts,
              lastRowNumber: batch.lastRowNumber,
              heartbeatAt: new Date(),
            },
          });
        },
        { timeout: run.batchTimeoutMs, maxWait: run.batchTimeoutMs },
      ),
    );
  }
}

/** Rows that validated in the first pass of an all_or_nothing import but failed when written. */
class ChangedSinceValidation extends Error {
  constructor(readonly failures: RowOutcome[]) {
    super("rows changed since they were validated");
  }
}

async function resetProgress(db: PrismaClient, job: ImportJob) {
  const options = job.parseOptions as unknown as ParseOptions;
  await db.$transaction([
    db.importRowError.deleteMany({ where: { jobId: job.id } }),
    db.importJob.update({
      where: { id: job.id },
      data: {
        rowsProcessed: 0,
        rowsCreated: 0,
        rowsUpdated: 0,
        rowsSkipped: 0,
        rowsFailed: 0,
        lastRowNumber: options.headerRowNumber,
      },
    }),
  ]);
}

/**
 * all_or_nothing: a first pass validates every row and records the errors (writing no record);
 * with any error the job fails and nothing is imported. Otherwise one transaction writes every
 * row, the audit entries and the job's final counters, so a crash leaves either nothing or all.
 * A crashed run starts over.
 */
async function runAtomically(run: ImportRunOptions, handler: RowHandler<unknown>): Promise<ImportResult> {
  const headerRow = (run.job.parseOptions as unknown as ParseOptions).headerRowNumber;
  await resetProgress(run.db, run.job);
  await runInBatches(run, handler, "validate", headerRow);
  const validated = await run.db.importJob.findUniqueOrThrow({ where: { id: run.job.id } });
  if (validated.rowsFailed > 0) {
    const valid = validated.rowsProcessed - validated.rowsFailed;
    return {
      status: "failed",
      errorMessage: `${validated.rowsFailed} of ${validated.rowsProcessed} rows have errors, so nothing was imported (mode all_or_nothing; ${valid} rows were valid)`,
    };
  }
  try {
    await setImmediate();
    await withRetryOnConflict(() =>
      run.db.$transaction(
        async (tx) => {
          const total: Tally = { processed: 0, created: 0, updated: 0, skipped: 0, failed: 0 };
          let lastRowNumber = headerRow;
          for await (const batch of readAhead(batchesOf(run, handler, headerRow))) {
            abortIfStopped(run.signal);
            const outcomes = await outcomesOf(tx, handler, batch, { policy: run.job.duplicatePolicy, write: true });
            const failures = outcomes.filter((outcome) => outcome.result === "failed");
            if (failures.length) throw new ChangedSinceValidation(failures);
            const tally = tallyOf(outcomes);
            for (const key of Object.keys(total) as (keyof Tally)[]) total[key] += tally[key];
            lastRowNumber = batch.lastRowNumber;
          }
          await tx.importJob.update({
            where: { id: run.job.id },
            data: {
              rowsProcessed: total.processed,
              rowsCreated: total.created,
              rowsUpdated: total.updated,
              rowsSkipped: total.skipped,
              rowsFailed: 0,
              lastRowNumber,
              status: "completed",
              finishedAt: new Date(),
              heartbeatAt: null,
            },
          });
        },
        { timeout: run.atomicTimeoutMs, maxWait: run.batchTimeoutMs },
      ),
    );
  } catch (error) {
    if (!(error instanceof ChangedSinceValidation)) throw error;
    await run.db.$transaction(async (tx) => {
      await saveRowErrors(tx, run.job.id, error.failures);
      await tx.importJob.update({
        where: { id: run.job.id },
        data: { rowsFailed: error.failures.length },
      });
    });
    return {
      status: "failed",
      errorMessage: `${error.failures.length} rows no longer pass (the data changed while the import ran), so nothing was imported (mode all_or_nothing)`,
    };
  }
  return { status: "completed" };
}

/** Runs (or resumes) one import job to its end; the caller records the result. */
export async function runImport(run: ImportRunOptions): Promise<ImportResult> {
  const handler = (await run.target.open(run.db, run.ctx)) as RowHandler<unknown>;
  if (run.job.mode === "all_or_nothing") return runAtomically(run, handler);
  await runInBatches(run, handler, run.job.mode === "valid_only" ? "write" : "report", run.job.lastRowNumber);
  return { status: "completed" };
}
