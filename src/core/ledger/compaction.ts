/**
 * Compaction off the caller's thread. sql.js serializes a database only on the thread that holds it (`db.export()`,
 * ~70–150 ms at 100,000 rows), and the extension host's thread is the editor's, so the store does not export its
 * in-memory database. A worker thread builds the same file from what is on disk instead: the current
 * `ledger.sqlite`, plus every journal line, minus what retention drops, written to a temp file and fsync'd. The
 * store (under the directory lock, after the journals it hands over are complete on disk) renames it into place.
 *
 * - {@link buildLedgerFile} is that work (the worker runs it). It runs
 *   `PRAGMA quick_check` on the current file first: a damaged file is reported, never carried into the new one.
 * - {@link checkLedgerFile} is the integrity check alone, which the store runs in a worker after open (~120 ms of
 *   CPU per 100,000 rows that the editor's thread does not spend).
 * - {@link runLedgerWorker} starts a worker for one job and returns its reply; the worker ends with the job, so
 *   its sql.js memory (as large as the file, twice while exporting) is given back at once.
 * - {@link mergeRecords} and {@link expireRecords} are shared with the store's in-memory database.
 *
 * What the worker merged is returned (journal name → bytes of complete lines); the store adds it to a manifest next
 * to the file ({@link MANIFEST_FILE}), so other processes can tell whether the new file holds anything they have
 * not seen (see store.ts `coveredByJournals`) instead of reloading it.
 */
import { existsSync } from 'node:fs';
import { open as openFile, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Database } from 'sql.js';

import { errorMessage } from '../util/errorMessage';
import { readJournal } from './journal';
import type { LedgerRecord } from './record';
import { migrate, MIGRATIONS, schemaVersion } from './schema';
import { loadSqlJsFrom } from './sqlite';
import { deleteRequestsBefore, insertRecords } from './write';

/** The compacted file is written and made durable this much at a time (see buildLedgerFile). */
const SYNC_PIECE_BYTES = 2 * 1024 * 1024;

/** Written beside `ledger.sqlite` by a worker compaction: which journal bytes the file holds. */
export const MANIFEST_FILE = 'ledger.sqlite.manifest.json';

/** What a worker is asked to do: build a compacted file, or only check the current one's integrity. */
export type WorkerJob = ({ readonly kind: 'compact' } & CompactionJob) | ({ readonly kind: 'check' } & IntegrityJob);

export interface IntegrityJob {
  readonly dbPath: string;
  readonly wasmPath: string | undefined;
}

export interface CompactionJob {
  /** `ledger.sqlite` (may not exist yet). */
  readonly dbPath: string;
  /** Journals to merge, whole (idempotent: records already in the file are not stored twice). */
  readonly journals: readonly string[];
  /** Requests started before this (epoch ms) are dropped; undefined: kept forever. */
  readonly cutoff: number | undefined;
  /** Where the new file is written (and fsync'd); the caller renames it. */
  readonly tmpPath: string;
  readonly wasmPath: string | undefined;
}

/** One worker compaction, as recorded in the manifest. */
export interface CompactionManifestEntry {
  /** The built file's identity (`ino:size:mtimeMs`). */
  readonly stamp: string;
  /** The identity of the file it was built from (undefined: there was none). */
  readonly previous: string | undefined;
  /** Journal file name → bytes (complete lines) merged into the file. */
  readonly journals: Readonly<Record<string, number>>;
}

/**
 * The last worker compactions, oldest first, as a chain from file to file. A process that last saw file X and now
 * finds file Y follows the chain back from Y to X; an entry for a file that was never renamed into place (a crash
 * in between) is simply never reached.
 */
export interface CompactionManifest {
  readonly entries: readonly CompactionManifestEntry[];
}

/** Entries kept in the manifest: a process that missed more compactions than this reloads the file. */
export const MANIFEST_ENTRIES = 32;

/** The manifest's entries, or none when the text is not a manifest (missing, torn, older format). */
export function parseManifest(text: string): readonly CompactionManifestEntry[] {
  try {
    const value = JSON.parse(text) as Partial<CompactionManifest>;
    if (!Array.isArray(value.entries)) return [];
    return (value.entries as unknown[]).filter((e): e is CompactionManifestEntry => {
      if (typeof e !== 'object' || e === null) return false;
      const entry = e as Partial<Record<keyof CompactionManifestEntry, unknown>>;
      return typeof entry.stamp === 'string' && typeof entry.journals === 'object' && entry.journals !== null;
    });
  } catch {
    return [];
  }
}

export interface CompactionBuilt {
  readonly ok: true;
  readonly rows: number;
  readonly bytes: number;
  readonly deletedByRetention: number;
  readonly exportMs: number;
  readonly journals: Readonly<Record<string, number>>;
}

export interface CompactionFailed {
  readonly ok: false;
  /** What went wrong, in words (for an unreadable file: what is wrong with it). */
  readonly message: string;
  /** The current file could not be read as a ledger (corrupt, or from a newer schema). */
  readonly unreadable: boolean;
  /** The file is from a newer schema (never moved aside). */
  readonly newer?: boolean;
}

export type CompactionReply = CompactionBuilt | CompactionFailed;

/** A check's answer: `problem` is undefined when the file is sound (or absent). */
export type IntegrityReply = { readonly ok: true; readonly problem: string | undefined } | CompactionFailed;

export interface MergeSkip {
  readonly id: string;
  readonly error: string;
}

/**
 * Inserts records (those started before `cutoff` are left out) in one transaction; when that fails, one by one so
 * a single record the schema rejects costs only itself. Returns the records skipped that way.
 */
export function mergeRecords(db: Database, records: readonly LedgerRecord[], cutoff: number | undefined): MergeSkip[] {
  const kept = cutoff === undefined ? records : records.filter((r) => r.startedAt >= cutoff);
  if (kept.length === 0) return [];
  try {
    insertRecords(db, kept);
    return [];
  } catch {
    const skipped: MergeSkip[] = [];
    for (const record of kept) {
      try {
        insertRecords(db, [record]);
      } catch (error) {
        skipped.push({ id: record.id, error: String(error) });
      }
    }
    return skipped;
  }
}

/**
 * Deletes requests (and their attempts and rollup shares) started before `cutoff`; vacuums when `vacuum` and a
 * large part went, so the exported file shrinks. Returns the number of requests deleted.
 */
export function expireRecords(db: Database, cutoff: number | undefined, vacuum: boolean): number {
  if (cutoff === undefined) return 0;
  db.exec('BEGIN');
  let deleted: number;
  try {
    deleted = deleteRequestsBefore(db, cutoff);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  if (vacuum && deleted > 0) {
    const left = Number(db.exec('SELECT count(*) FROM requests')[0]?.values[0]?.[0] ?? 0);
    if (deleted >= 10_000 || deleted > left / 4) db.exec('VACUUM');
  }
  return deleted;
}

/** `PRAGMA quick_check` in words: undefined when sound, else what is wrong (a check that throws is a problem too). */
export function integrityProblem(db: Database): string | undefined {
  try {
    const result = String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] ?? '');
    return result === 'ok' ? undefined : `integrity check: ${result}`;
  } catch (error) {
    return `integrity check: ${errorMessage(error)}`;
  }
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return undefined;
  }
}

/** Runs `PRAGMA quick_check` on the file (off the editor's thread: ~120 ms at 100,000 rows). Never throws. */
export async function checkLedgerFile(job: IntegrityJob): Promise<IntegrityReply> {
  try {
    const engine = await loadSqlJsFrom(job);
    const bytes = await readIfPresent(job.dbPath);
    if (bytes === undefined) return { ok: true, problem: undefined };
    let db: Database | undefined;
    try {
      db = new engine.Database(bytes);
      return { ok: true, problem: integrityProblem(db) };
    } catch (error) {
      return { ok: true, problem: errorMessage(error) };
    } finally {
      db?.close();
    }
  } catch (error) {
    return { ok: false, unreadable: false, message: String(error) };
  }
}

/** Builds the compacted file at `job.tmpPath` (see the module comment). Never throws: failures are replies. */
export async function buildLedgerFile(job: CompactionJob): Promise<CompactionReply> {
  let db: Database | undefined;
  try {
    const engine = await loadSqlJsFrom(job);
    const bytes = await readIfPresent(job.dbPath);
    try {
      db = new engine.Database(bytes);
      const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
      if (schemaVersion(db) > latest) return { ok: false, unreadable: true, newer: true, message: `schema ${schemaVersion(db)} is newer than ${latest}` };
      // A file damaged since it was opened is not carried into the new one: the store moves it aside instead.
      const problem = bytes === undefined ? undefined : integrityProblem(db);
      if (problem) return { ok: false, unreadable: true, message: problem };
      migrate(db, MIGRATIONS);
    } catch (error) {
      return { ok: false, unreadable: true, message: errorMessage(error) };
    }
    const journals: Record<string, number> = {};
    for (const path of job.journals) {
      for await (const chunk of readJournal(path, 0)) {
        // Merged whole, then expired with the file's own rows, so deletedByRetention counts every request dropped.
        mergeRecords(db, chunk.records, undefined);
        journals[basename(path)] = chunk.nextOffset;
      }
    }
    const deletedByRetention = expireRecords(db, job.cutoff, true);
    const rows = Number(db.exec('SELECT count(*) FROM requests')[0]?.values[0]?.[0] ?? 0);
    const exportStarted = performance.now();
    const out = db.export();
    const exportMs = performance.now() - exportStarted;
    db.close();
    db = undefined;
    const handle = await openFile(job.tmpPath, 'w');
    try {
      // In pieces, each made durable before the next: a single fsync of the whole file would hold every journal
      // append's fdatasync behind it (one file system journal), for as long as the disk needs for all of it.
      for (let at = 0; at < out.length; at += SYNC_PIECE_BYTES) {
        const piece = out.subarray(at, Math.min(out.length, at + SYNC_PIECE_BYTES));
        let written = 0;
        while (written < piece.length) written += (await handle.write(piece, written, piece.length - written, at + written)).bytesWritten;
        await handle.datasync();
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { ok: true, rows, bytes: out.length, deletedByRetention, exportMs, journals };
  } catch (error) {
    return { ok: false, unreadable: false, message: String(error) };
  } finally {
    db?.close();
  }
}

const WORKER_BASENAME = 'compactionWorker';

/**
 * How to start the worker: `script` when given, else the bundled `compactionWorker.js` next to this code (dist/,
 * beside engine.js and cli.js), else, running from source (tests, tsx), the TypeScript entry through tsx's hook.
 */
type WorkerEntry = { readonly script: string; readonly eval: boolean } | undefined;

/** Resolved once per script (the store asks before every compaction, and again to start the worker). */
const workerEntries = new Map<string | undefined, WorkerEntry>();

function workerEntry(script?: string): WorkerEntry {
  if (!workerEntries.has(script)) workerEntries.set(script, resolveWorkerEntry(script));
  return workerEntries.get(script);
}

function resolveWorkerEntry(script: string | undefined): WorkerEntry {
  const candidates = script === undefined ? [join(__dirname, `${WORKER_BASENAME}.js`), join(__dirname, `${WORKER_BASENAME}.ts`)] : [script];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) return undefined;
  if (!found.endsWith('.ts')) return { script: found, eval: false };
  let hook: string;
  try {
    hook = require.resolve('tsx/cjs');
  } catch {
    return undefined;
  }
  return { script: `require(${JSON.stringify(hook)}); require(${JSON.stringify(found)});`, eval: true };
}

/** True when a worker can be started from this installation (or from `script`). */
export function compactionWorkerAvailable(script?: string): boolean {
  return workerEntry(script) !== undefined;
}

/** Runs one job in a new worker thread (`script`: see {@link workerEntry}); failures to run are replies too. */
export function runLedgerWorker(job: WorkerJob & { readonly kind: 'compact' }, script?: string): Promise<CompactionReply>;
export function runLedgerWorker(job: WorkerJob & { readonly kind: 'check' }, script?: string): Promise<IntegrityReply>;
export function runLedgerWorker(job: WorkerJob, script?: string): Promise<CompactionReply | IntegrityReply> {
  const entry = workerEntry(script);
  if (!entry) return Promise.resolve({ ok: false, unreadable: false, message: `the compaction worker script was not found (${script ?? `${WORKER_BASENAME}.js next to the ledger code`})` });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (reply: CompactionReply | IntegrityReply): void => {
      if (settled) return;
      settled = true;
      resolve(reply);
      void worker.terminate();
    };
    const worker = new Worker(entry.script, { eval: entry.eval, workerData: job });
    worker.once('message', (reply: CompactionReply | IntegrityReply) => finish(reply));
    worker.once('error', (error) => finish({ ok: false, unreadable: false, message: `the compaction worker failed: ${String(error)}` }));
    worker.once('exit', (code) => finish({ ok: false, unreadable: false, message: `the compaction worker exited (code ${code}) without a reply` }));
  });
}
