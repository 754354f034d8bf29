/**
 * The ledger store: an in-memory sql.js database kept durable by per-process journals and compacted into
 * `ledger.sqlite`, safe with several processes (VS Code windows, the CLI) writing one directory at once.
 *
 * - `append` resolves when its journal line is fsync'd (group commit, see journal.ts). That is the acknowledgement: it
 *   survives SIGKILL. Queries see the record at once: the records appended in one turn of the event loop are put in
 *   the in-memory database together, in one transaction, right after that turn, or sooner when anything reads the
 *   database (every read goes through {@link LedgerStore.db}, which puts them in first). One at a time they cost
 *   the thread ~0.6 ms each at 100,000 rows (a request row, its attempts and six rollups), together a fraction.
 * - Compaction (background timer, record threshold, `close()`), under the directory lock: merges what other
 *   processes wrote, applies retention, rotates this process's journal, builds the new file in a worker thread
 *   from what is on disk (the current file plus every journal; see compaction.ts: the in-memory database is never
 *   serialized on this thread), renames it over `ledger.sqlite`, fsyncs the directory, then deletes the segments of
 *   this process's journal retired by the compaction before (one compaction later than needed, so other processes,
 *   which refresh far more often than anyone compacts, have read them and need not reload the file) — all of them
 *   on `close()` — and the journals of processes that are gone. Callers never wait for it.
 *   Without a worker (option off, custom migrations, or the worker failed) the in-memory database is exported here.
 * - Another process's compaction does not make this one reload the file when the manifest written with it shows
 *   that every journal it merged and then deleted had been read here already (the usual case): reading the rest of
 *   the journals incrementally is enough. Otherwise (or with no manifest) the file is reloaded.
 * - Invariant: every acknowledged record is in `ledger.sqlite` or in a journal file still on disk. A journal is
 *   deleted only after a database file holding its records is durable, and only by its owner (or once its owner's
 *   process is gone); compaction merges the current file first, so no compaction drops another's rows.
 * - Merging is idempotent (record ids): replaying a journal already compacted stores nothing twice.
 * - A corrupt `ledger.sqlite` is moved aside to `ledger.sqlite.corrupt-<timestamp>` and rebuilt from the journals,
 *   with a notice; a file written by a newer schema is refused (open throws), never moved or overwritten.
 *
 * sql.js is loaded lazily by `open` (see sqlite.ts for `wasmPath` when bundled).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open as openFile, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import type { Database, SqlJsStatic } from 'sql.js';

import type { Clock } from '../routing/clock';
import { systemClock } from '../routing/clock';
import { errorMessage } from '../util/errorMessage';
import type { CompactionManifestEntry } from './compaction';
import {
  compactionWorkerAvailable,
  expireRecords,
  integrityProblem,
  MANIFEST_ENTRIES,
  MANIFEST_FILE,
  mergeRecords,
  parseManifest,
  runLedgerWorker,
} from './compaction';
import { fsyncDir, JOURNAL_PATTERN, journalPid, JournalWriter, readJournal } from './journal';
import { LockTimeoutError, processAlive, withLock } from './lock';
import type { LedgerRecord } from './record';
import { isCorruption, salvageRecords } from './salvage';
import type { Migration } from './schema';
import { migrate, MIGRATIONS, schemaVersion } from './schema';
import { loadSqlJsFrom } from './sqlite';
import { insertRecords } from './write';

export const LEDGER_FILE = 'ledger.sqlite';
export const LOCK_FILE = 'ledger.lock';
const DAY_MS = 86_400_000;

export interface LedgerStoreOptions {
  /** The ledger directory (the extension's global storage folder, the CLI's `--data-dir`); created if missing. */
  readonly dir: string;
  /** Time for retention and for the name of a corrupt file moved aside. */
  readonly clock?: Clock;
  /** Told, in a sentence for the user, when something was repaired (corrupt file moved aside, bad journal line). */
  readonly onNotice?: (message: string) => void;
  /** Path of `sql-wasm.wasm` when bundled (see sqlite.ts). */
  readonly wasmPath?: string;
  /** Requests (and their attempts) older than this many days are deleted at compaction. Unset: kept forever. */
  readonly retentionDays?: number;
  /** Schema migrations (tests pass a synthetic list); default {@link MIGRATIONS}. */
  readonly migrations?: readonly Migration[];
  /** Background compaction when this process wrote something and this long passed (default 2,000 ms; 0: none). */
  readonly compactIntervalMs?: number;
  /**
   * Each background compaction rewrites the whole file, so a large ledger waits longer between them: at least
   * file size / this many bytes per second (default: no limit). The records are durable in the journal meanwhile.
   */
  readonly compactBytesPerSecond?: number;
  /** Compact as soon as this process's journal holds this many records (default 1,000). */
  readonly compactEveryRecords?: number;
  /** Merge what other processes wrote this often (default 2,000 ms; 0: only on `refresh()`/compaction). */
  readonly refreshIntervalMs?: number;
  /** Extra time an append waits for others to share its fsync (default 0: the next turn of the event loop). */
  readonly groupCommitMs?: number;
  /** Lock timing (see lock.ts). */
  readonly lockTimeoutMs?: number;
  /**
   * How long `close()` waits for the lock to compact a last time (default 250 ms). When another process holds it
   * (compacting), this one leaves its journal, durable already, for the next compaction to merge.
   */
  readonly closeLockWaitMs?: number;
  readonly lockStaleMs?: number;
  /** Run `PRAGMA quick_check` on the file at open (default true; in a worker thread, after open, when one can run). */
  readonly checkIntegrity?: boolean;
  /**
   * Build the compacted file in a worker thread (default true), so compaction never holds this thread for the
   * export. Custom `migrations` always compact in-thread (a worker knows only the built-in ones).
   */
  readonly compactInWorker?: boolean;
  /** The worker's script (default: `compactionWorker.js` beside the ledger code; see compaction.ts). */
  readonly compactionWorkerScript?: string;
}

export interface LedgerStoreStats {
  readonly appends: number;
  /** Journal flushes (one write + one fdatasync each); appends / flushes is the group-commit factor. */
  readonly journalFlushes: number;
  readonly compactions: number;
  /** Compactions whose file a worker thread built. */
  readonly workerCompactions: number;
  /** Whole-file reloads after open (another process rewrote the file with records not seen here). */
  readonly reloads: number;
  readonly lastCompactionMs: number;
  /** How long the last `db.export()` took, on whichever thread ran it. */
  readonly lastExportMs: number;
}

export interface CompactionResult {
  readonly rows: number;
  readonly bytes: number;
  readonly deletedByRetention: number;
  readonly journalsRemoved: number;
}

/** A database file known to be damaged: its stamp when it was found so, and what is wrong. */
interface Damage {
  readonly stamp: string;
  readonly problem: string;
}

interface Loaded {
  readonly db: Database;
  readonly stamp: string | undefined;
}

function stampOf(s: { size: number; mtimeMs: number; ino: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

export class LedgerStore {
  /** The in-memory database as loaded; read it through {@link database}, which puts {@link unapplied} in first. */
  private current: Database;
  /** Records appended but not yet in {@link current} (see the module comment). */
  private unapplied: LedgerRecord[] = [];
  private applyScheduled = false;
  private stamp: string | undefined;
  private readonly offsets = new Map<string, number>();
  private readonly reported = new Set<string>();
  private readonly writer: JournalWriter;
  private readonly clock: Clock;
  private readonly notice: (message: string) => void;
  private readonly migrations: readonly Migration[];
  private maintenance: Promise<unknown> = Promise.resolve();
  private maintaining = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastCompactionAt = 0;
  /** Size of the file the last compaction wrote (bytes), for `compactBytesPerSecond`. */
  private lastFileBytes = 0;
  /** Segments retired by the last compaction: in the file already, deleted at the next one (see the module comment). */
  private retiredEarlier: readonly string[] = [];
  private lastRefreshAt = 0;
  private deadJournalsSeen = false;
  private compactions = 0;
  private workerCompactions = 0;
  private reloads = 0;
  private workerFailed = false;
  private holdingLock = false;
  private recovering: Promise<void> | undefined;
  private lastCompactionMs = 0;
  private lastExportMs = 0;

  private constructor(
    private readonly sql: SqlJsStatic,
    private readonly options: LedgerStoreOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.notice = options.onNotice ?? ((message: string): void => console.warn(`Model Router ledger: ${message}`));
    this.migrations = options.migrations ?? MIGRATIONS;
    this.writer = new JournalWriter(options.dir, options.groupCommitMs ?? 0);
    this.current = new sql.Database();
    this.stamp = undefined;
  }

  static async open(options: LedgerStoreOptions): Promise<LedgerStore> {
    await mkdir(options.dir, { recursive: true });
    const sql = await loadSqlJsFrom(options);
    const store = new LedgerStore(sql, options);
    try {
      await store.loadConsistent(true);
    } catch (error) {
      store.current.close();
      throw error;
    }
    store.lastCompactionAt = store.lastRefreshAt = Date.now();
    store.lastFileBytes = await stat(store.dbPath).then((s) => s.size, () => 0);
    store.startTimer();
    if (store.checkOffThread && store.stamp !== undefined) {
      // The integrity check of the file just loaded runs in a worker; the next refresh or compaction waits for it.
      const checked = store.stamp;
      store.serial(() => store.checkInWorker(checked)).catch((error: unknown) => store.backgroundError(error));
    }
    return store;
  }

  /** The in-memory database, for queries. Do not write to it; do not keep it across `await` (a refresh swaps it). */
  get db(): Database {
    return this.database;
  }

  read<T>(fn: (db: Database) => T): T {
    return fn(this.database);
  }

  count(): number {
    return Number(this.database.exec('SELECT count(*) FROM requests')[0]?.values[0]?.[0] ?? 0);
  }

  get dir(): string {
    return this.options.dir;
  }

  stats(): LedgerStoreStats {
    const journal = this.writer.stats;
    return {
      appends: journal.appends,
      journalFlushes: journal.flushes,
      compactions: this.compactions,
      workerCompactions: this.workerCompactions,
      reloads: this.reloads,
      lastCompactionMs: this.lastCompactionMs,
      lastExportMs: this.lastExportMs,
    };
  }

  /** Stores the record (visible to queries at once); resolves when it is durable (journal line fsync'd). */
  append(record: LedgerRecord): Promise<void> {
    return this.appendMany([record]);
  }

  /**
   * Stores several records; resolves when all are durable. The journal line comes first: it is the record, and it
   * never waits for the lock. The in-memory database (what queries see) follows; when that insert fails the record
   * is still kept: a damaged database is rebuilt (see {@link recover}, which re-applies this process's records), any
   * other failure is told once and the record reaches the file at the next compaction's merge.
   */
  appendMany(records: readonly LedgerRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The ledger is closed'));
    const durable = Promise.all(records.map((r) => this.writer.append(r))).then(() => undefined);
    this.unapplied.push(...records);
    if (!this.applyScheduled) {
      this.applyScheduled = true;
      setImmediate(() => this.applyUnapplied());
    }
    if (this.writer.size >= (this.options.compactEveryRecords ?? 1_000)) this.kick();
    return durable;
  }

  /** The in-memory database with every record appended so far in it. */
  private get database(): Database {
    this.applyUnapplied();
    return this.current;
  }

  /** Puts the records appended since the last time into the in-memory database, in one transaction. */
  private applyUnapplied(): void {
    this.applyScheduled = false;
    if (this.unapplied.length === 0) return;
    const records = this.unapplied;
    this.unapplied = [];
    try {
      insertRecords(this.current, records);
    } catch (error) {
      if (isCorruption(error)) this.recover(error).catch((e: unknown) => this.backgroundError(e));
      else this.noticeOnce(`insert:${errorMessage(error)}`, `a request could not be added to the open ledger (${errorMessage(error)}); it is kept in the journal.`);
    }
  }

  /**
   * Runs a query on the database; when it fails because the database is damaged ("database disk image is
   * malformed"), the damaged file is moved aside, the ledger rebuilt from what is durable (every journal, and the
   * requests still readable in the damaged file) and the query run again on the new one.
   */
  async query<T>(fn: (db: Database) => T): Promise<T> {
    try {
      return fn(this.database);
    } catch (error) {
      if (!isCorruption(error)) throw error;
      await this.recover(error);
      return fn(this.database);
    }
  }

  /**
   * Rebuilds the in-memory ledger after `error` showed it damaged: moves the file it came from aside (unless
   * another process replaced it meanwhile), keeps the requests still readable, and reloads the journals.
   * Concurrent callers share one rebuild.
   */
  recover(error: unknown): Promise<void> {
    this.recovering ??= this.serial(async () => {
      const salvaged = salvageRecords(this.database);
      const damaged = this.stamp === undefined ? undefined : { stamp: this.stamp, problem: errorMessage(error) };
      await this.loadConsistent(false, damaged, salvaged);
    }).finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  /**
   * Merges what other processes wrote since the last look (their journals, a database file they compacted). Takes no
   * lock: journals only grow, and a file replaced while it is read is noticed and read again (see loadConsistent).
   */
  refresh(): Promise<void> {
    return this.serial(() => this.catchUp());
  }

  /** Writes the database file now (see the module comment). */
  compact(): Promise<CompactionResult> {
    return this.serial(() => this.locked(() => this.compactLocked()));
  }

  /**
   * Stops the timers, waits for pending appends, compacts a last time if no other process holds the lock (else the
   * journal, durable already, is merged by the next process that compacts), and frees the database.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.writer.drain();
    try {
      await this.serial(() => this.locked(() => this.compactLocked(), this.options.closeLockWaitMs ?? 250));
    } catch (error) {
      // The journal holds every record this process appended (each append was acknowledged once its line was on
      // disk); the next process that compacts merges it.
      if (!(error instanceof LockTimeoutError)) {
        this.notice(`could not write the ledger file on close (${errorMessage(error)}); the journal keeps the records.`);
      }
    }
    await this.writer.close();
    this.unapplied = [];
    this.current.close();
  }

  // --- internals -----------------------------------------------------------------------------------------------

  private get dbPath(): string {
    return join(this.options.dir, LEDGER_FILE);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(async () => {
      this.maintaining = true;
      try {
        return await fn();
      } finally {
        this.maintaining = false;
      }
    });
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /** Runs `fn` holding the directory lock, waiting at most `timeoutMs` (default: the store's lock timeout). */
  private locked<T>(fn: () => Promise<T>, timeoutMs = this.options.lockTimeoutMs): Promise<T> {
    const lockOptions = {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(this.options.lockStaleMs === undefined ? {} : { staleMs: this.options.lockStaleMs }),
    };
    return withLock(join(this.options.dir, LOCK_FILE), async () => {
      this.holdingLock = true;
      try {
        return await fn();
      } finally {
        this.holdingLock = false;
      }
    }, lockOptions);
  }

  private startTimer(): void {
    const compactMs = this.options.compactIntervalMs ?? 2_000;
    const refreshMs = this.options.refreshIntervalMs ?? 2_000;
    const tick = Math.min(...[compactMs, refreshMs].filter((ms) => ms > 0));
    if (!Number.isFinite(tick)) return;
    this.timer = setInterval(() => this.onTick(compactMs, refreshMs), Math.max(10, Math.floor(tick / 2)));
    this.timer.unref();
  }

  private onTick(compactMs: number, refreshMs: number): void {
    if (this.closed || this.maintaining) return;
    const now = Date.now();
    const dirty = this.writer.size > 0 || this.deadJournalsSeen;
    if (compactMs > 0 && dirty && now - this.lastCompactionAt >= this.compactionSpacingMs(compactMs)) this.kick();
    else if (refreshMs > 0 && now - this.lastRefreshAt >= refreshMs) {
      this.refresh().catch((error: unknown) => this.backgroundError(error));
    }
  }

  /** How long background compactions wait after the last one: `compactMs`, more for a large file. */
  private compactionSpacingMs(compactMs: number): number {
    const budget = this.options.compactBytesPerSecond;
    return budget === undefined || budget <= 0 ? compactMs : Math.max(compactMs, (this.lastFileBytes / budget) * 1000);
  }

  private kick(): void {
    if (this.closed || this.maintaining) return;
    this.compact().catch((error: unknown) => this.backgroundError(error));
  }

  private backgroundError(error: unknown): void {
    if (this.closed) return;
    // A lock held by another window is routine: the next tick tries again; the journal keeps the records.
    if (error instanceof LockTimeoutError) return;
    this.notice(`background ledger maintenance failed: ${errorMessage(error)}`);
  }

  private cutoff(): number | undefined {
    const days = this.options.retentionDays;
    return days === undefined || days <= 0 ? undefined : this.clock.now() - days * DAY_MS;
  }

  /** Inserts merged records (skipping ones past retention); a record the schema rejects is skipped with a notice. */
  private merge(db: Database, records: readonly LedgerRecord[], source: string): void {
    for (const skip of mergeRecords(db, records, this.cutoff())) {
      this.noticeOnce(`${source}:${skip.id}`, `a record in ${source} could not be stored and was skipped (${skip.error}).`);
    }
  }

  private noticeOnce(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.notice(message);
  }

  private async listDir(): Promise<string[]> {
    return readdir(this.options.dir);
  }

  /**
   * Loads the database file, every journal and this process's records as a new database, without the lock: the file
   * is only ever replaced by a rename, and a journal is deleted only after a file holding its records was renamed in.
   * So when the file is the same after the journals were read as before, nothing was missed; otherwise everything is
   * read again (a few times, then holding the lock). `damaged`: the file with that stamp is known to be damaged and is
   * moved aside rather than loaded; `salvaged`: records read from it that are merged too.
   */
  private async loadConsistent(atOpen: boolean, damaged?: Damage, salvaged: readonly LedgerRecord[] = []): Promise<void> {
    for (let attempt = 0; attempt < 4; attempt += 1) {
      if (await this.reload(atOpen, damaged, salvaged, true)) return;
    }
    await this.locked(() => this.reload(atOpen, damaged, salvaged, false));
  }

  /**
   * One load (see loadConsistent). With `verify`, returns false without swapping anything in when the file changed
   * while the journals were read.
   */
  private async reload(atOpen: boolean, damaged: Damage | undefined, salvaged: readonly LedgerRecord[], verify: boolean): Promise<boolean> {
    const loaded = await this.loadFile(atOpen, damaged, salvaged);
    const offsets = new Map<string, number>();
    try {
      for (const name of await this.listDir()) {
        if (!JOURNAL_PATTERN.test(name)) continue;
        await this.mergeJournal(loaded.db, join(this.options.dir, name), offsets);
      }
      if (verify && (await stat(this.dbPath).then(stampOf, () => undefined)) !== loaded.stamp) {
        loaded.db.close();
        return false;
      }
      // Synchronously up to the swap: every record this process appended so far, whatever its journal state.
      this.merge(loaded.db, this.writer.liveRecords(), 'this window');
    } catch (error) {
      loaded.db.close();
      throw error;
    }
    if (!atOpen) this.reloads += 1;
    const old = this.current;
    // liveRecords() above holds every record not yet applied too.
    this.unapplied = [];
    this.current = loaded.db;
    this.stamp = loaded.stamp;
    this.offsets.clear();
    for (const [path, offset] of offsets) this.offsets.set(path, offset);
    if (old !== loaded.db) old.close();
    return true;
  }

  /** Merges `path` into `db` from where `offsets` says it was read up to, and moves that offset on. */
  private async mergeJournal(db: Database, path: string, offsets: Map<string, number>): Promise<void> {
    const name = basename(path);
    for await (const chunk of readJournal(path, offsets.get(path) ?? 0)) {
      this.reportBadLines(name, offsets.get(path) ?? 0, chunk.badLines);
      this.merge(db, chunk.records, name);
      offsets.set(path, chunk.nextOffset);
    }
  }

  private reportBadLines(name: string, offset: number, badLines: readonly number[]): void {
    if (badLines.length === 0) return;
    this.noticeOnce(
      `${name}@${offset}`,
      `${badLines.length} line(s) of the journal ${name} were not readable records and were skipped.`,
    );
  }

  /**
   * Under the lock: reload if another process rewrote the file with records this process cannot read elsewhere,
   * then read what journals gained.
   */
  private async catchUp(): Promise<void> {
    this.lastRefreshAt = Date.now();
    const current = await stat(this.dbPath).then(stampOf, () => undefined);
    if (current !== this.stamp) {
      if (current === undefined || !(await this.coveredByJournals(current))) {
        await this.loadConsistent(false);
        return;
      }
      // Everything the new file holds is here already or in journals still on disk (read below).
      this.stamp = current;
      expireRecords(this.database, this.cutoff(), false);
    }
    const own = new Set(this.writer.paths);
    const seen = new Set<string>();
    let dead = false;
    for (const name of await this.listDir()) {
      if (!JOURNAL_PATTERN.test(name)) continue;
      const path = join(this.options.dir, name);
      seen.add(path);
      if (own.has(path)) continue;
      if (!processAlive(journalPid(name)!)) dead = true;
      await this.mergeJournal(this.database, path, this.offsets);
    }
    for (const path of [...this.offsets.keys()]) if (!seen.has(path)) this.offsets.delete(path);
    this.deadJournalsSeen = dead;
  }

  private get manifestPath(): string {
    return join(this.options.dir, MANIFEST_FILE);
  }

  private async readManifest(): Promise<readonly CompactionManifestEntry[]> {
    return parseManifest(await readFile(this.manifestPath, 'utf8').catch(() => ''));
  }

  /**
   * True when the file with stamp `current` holds nothing this process lacks and cannot still read. The manifest's
   * chain must lead from `current` back to the file this process last had, through worker compactions only; each
   * journal they merged must be either still on disk (catchUp reads it from where it left off) or read here up to
   * at least the bytes merged. Then every record of the new file was in the old one or in one of those journals.
   */
  private async coveredByJournals(current: string): Promise<boolean> {
    const entries = new Map((await this.readManifest()).map((entry) => [entry.stamp, entry]));
    const onDisk = new Set((await this.listDir()).filter((name) => JOURNAL_PATTERN.test(name)));
    const own = new Set(this.writer.paths);
    let stamp: string | undefined = current;
    for (let hops = 0; stamp !== this.stamp; hops += 1) {
      const entry: CompactionManifestEntry | undefined = stamp === undefined ? undefined : entries.get(stamp);
      if (!entry || hops > MANIFEST_ENTRIES) return false;
      for (const [name, bytes] of Object.entries(entry.journals)) {
        const path = join(this.options.dir, name);
        if (own.has(path) || onDisk.has(name)) continue;
        if ((this.offsets.get(path) ?? 0) < bytes) return false;
      }
      stamp = entry.previous;
    }
    return true;
  }

  /** Whether the integrity check at open runs in a worker (off this thread) rather than in `loadFile`. */
  private get checkOffThread(): boolean {
    return this.options.checkIntegrity !== false && this.useWorker;
  }

  private async loadFile(atOpen: boolean, damaged: Damage | undefined, salvaged: readonly LedgerRecord[]): Promise<Loaded> {
    let bytes: Buffer;
    let stamp: string;
    try {
      const handle = await openFile(this.dbPath, 'r');
      try {
        stamp = stampOf(await handle.stat());
        bytes = stamp === damaged?.stamp ? Buffer.alloc(0) : await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return { db: this.emptyDb(salvaged), stamp: undefined };
    }
    let db: Database | undefined;
    let problem: string | undefined = stamp === damaged?.stamp ? damaged.problem : undefined;
    if (!problem) {
      try {
        db = new this.sql.Database(bytes);
        const version = schemaVersion(db);
        const latest = this.migrations[this.migrations.length - 1]?.version ?? 0;
        if (version > latest) {
          db.close();
          throw new NewerSchemaError(
            `The ledger was written by a newer Model Router (schema ${version}, this version knows ${latest}); update the extension or CLI.`,
          );
        }
        // PRAGMA quick_check holds the thread ~120 ms per 100,000 rows: with a worker it runs there (checkInWorker).
        problem = atOpen && this.options.checkIntegrity !== false && !this.useWorker ? integrityProblem(db) : undefined;
        if (!problem) migrate(db, this.migrations);
      } catch (error) {
        if (error instanceof NewerSchemaError) throw error;
        problem = errorMessage(error);
      }
    }
    if (!problem && db) {
      if (salvaged.length > 0) this.merge(db, salvaged, 'the damaged ledger file');
      return { db, stamp };
    }
    let rescued = salvaged;
    if (db && salvaged.length === 0) rescued = salvageRecords(db);
    db?.close();
    const moved = await this.moveAside(stamp, problem ?? 'unreadable', rescued.length);
    // The requests read from the damaged file become durable again in this process's journal (before anything
    // else is appended), so the next compaction, which builds the file from disk, keeps them.
    if (moved && rescued.length > 0) await Promise.all(rescued.map((record) => this.writer.append(record)));
    // Not moved (another process holds the lock): this process goes on from the journals and the next compaction,
    // which checks the file it starts from, moves it aside.
    return { db: this.emptyDb(rescued), stamp: moved ? undefined : stamp };
  }

  /**
   * Moves the damaged `ledger.sqlite` (if it is still the file with `stamp`) aside with a timestamp and tells the
   * user; holds the lock to do it, so it never moves a file another process has just written. False when the lock
   * was busy (nothing moved).
   */
  private async moveAside(stamp: string, problem: string, rescued: number): Promise<boolean> {
    const move = async (): Promise<boolean> => {
      if ((await stat(this.dbPath).then(stampOf, () => undefined)) !== stamp) return true;
      const aside = `${this.dbPath}.corrupt-${new Date(this.clock.now()).toISOString().replace(/:/g, '-')}`;
      await rename(this.dbPath, aside);
      await fsyncDir(this.options.dir);
      this.notice(
        `The ledger file was corrupt (${problem}); moved aside to ${aside}. The ledger was rebuilt from the journals` +
          (rescued > 0 ? ` and the ${rescued} request(s) still readable in the damaged file.` : '; nothing in the damaged file could be read.'),
      );
      return true;
    };
    if (this.holdingLock) return move();
    try {
      return await this.locked(move);
    } catch (error) {
      if (error instanceof LockTimeoutError) return false;
      throw error;
    }
  }

  /**
   * After open: checks the file loaded with stamp `checked` in a worker; a damaged one is moved aside and the ledger
   * rebuilt from the journals (and what is readable in it). Skipped when the file was replaced since (a worker
   * compaction checks the file it builds from).
   */
  private async checkInWorker(checked: string): Promise<void> {
    if (this.stamp !== checked || this.closed) return;
    const reply = await runLedgerWorker({ kind: 'check', dbPath: this.dbPath, wasmPath: this.options.wasmPath }, this.options.compactionWorkerScript);
    let problem: string | undefined;
    if (reply.ok) problem = reply.problem;
    else {
      this.workerFailed = true;
      this.notice(`checking the ledger in the background failed (${reply.message}); the ledger is checked and compacted on the editor's thread from now on.`);
      problem = integrityProblem(this.database);
    }
    if (problem) await this.loadConsistent(false, { stamp: checked, problem }, salvageRecords(this.database));
  }

  /** A new database at the current schema holding `records` (salvaged from a damaged file). */
  private emptyDb(records: readonly LedgerRecord[] = []): Database {
    const db = new this.sql.Database();
    migrate(db, this.migrations);
    if (records.length > 0) this.merge(db, records, 'the damaged ledger file');
    return db;
  }

  private get useWorker(): boolean {
    return this.options.compactInWorker !== false && this.options.migrations === undefined && !this.workerFailed && compactionWorkerAvailable(this.options.compactionWorkerScript);
  }

  private async compactLocked(): Promise<CompactionResult> {
    const started = Date.now();
    await this.catchUp();
    const inWorker = this.useWorker;
    const cutoff = this.cutoff();
    // In memory without VACUUM when a worker builds the file (VACUUM would hold this thread like an export).
    const deletedInMemory = expireRecords(this.database, cutoff, !inWorker);
    const retired = this.writer.rotate();
    const own = new Set(this.writer.paths);
    const journals: string[] = [];
    const dead: string[] = [];
    for (const name of await this.listDir()) {
      const path = join(this.options.dir, name);
      if (JOURNAL_PATTERN.test(name)) {
        journals.push(path);
        if (!own.has(path) && !processAlive(journalPid(name)!)) dead.push(path);
      }
      const tmp = /^ledger\.sqlite\.tmp-(\d+)-/.exec(name);
      if (tmp && !processAlive(Number(tmp[1]))) await unlink(path).catch(() => undefined);
    }
    for (const path of dead) {
      // Its process may have written its last lines after catchUp read it and before it died.
      await this.mergeJournal(this.database, path, this.offsets);
    }
    const tmp = `${this.dbPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    let written: { readonly rows: number; readonly bytes: number; readonly deletedByRetention: number } | undefined;
    if (inWorker) {
      // The worker reads the retired segments from disk: wait for the flush that may still be writing to them.
      await this.writer.settle(retired);
      written = await this.buildInWorker(tmp, journals, cutoff);
    }
    written ??= await this.exportInThread(tmp, deletedInMemory);
    await rename(tmp, this.dbPath);
    await fsyncDir(this.options.dir);
    this.stamp = await stat(this.dbPath).then(stampOf);
    // Durable in the file now: the segments retired earlier (or all, when closing) and the journals of processes
    // that are gone can go.
    const removable = this.closed ? retired : this.retiredEarlier;
    this.writer.forget(retired);
    await this.writer.removeRetired(removable);
    this.retiredEarlier = retired.filter((path) => !removable.includes(path));
    for (const path of dead) {
      await unlink(path).catch(() => undefined);
      this.offsets.delete(path);
    }
    this.deadJournalsSeen = false;
    this.compactions += 1;
    this.lastCompactionAt = Date.now();
    this.lastCompactionMs = this.lastCompactionAt - started;
    this.lastFileBytes = written.bytes;
    return { ...written, journalsRemoved: removable.length + dead.length };
  }

  /**
   * Has a worker build the file at `tmp` and writes its manifest; undefined when the worker failed (the caller
   * exports in-thread instead). A file the worker could not read is reloaded here first, which moves a corrupt
   * one aside with a notice rather than overwriting it.
   */
  private async buildInWorker(
    tmp: string,
    journals: readonly string[],
    cutoff: number | undefined,
  ): Promise<{ rows: number; bytes: number; deletedByRetention: number } | undefined> {
    const reply = await runLedgerWorker(
      { kind: 'compact', dbPath: this.dbPath, journals, cutoff, tmpPath: tmp, wasmPath: this.options.wasmPath },
      this.options.compactionWorkerScript,
    );
    if (!reply.ok) {
      await unlink(tmp).catch(() => undefined);
      if (reply.unreadable) {
        // Damaged (moved aside with a notice) or from a newer version (reload refuses it, leaving it as it is).
        // The file was sound when this process loaded it, so what it held is here in memory: kept in the rebuild.
        const current = await stat(this.dbPath).then(stampOf, () => undefined);
        const damaged = current === undefined || reply.newer ? undefined : { stamp: current, problem: reply.message };
        await this.reload(false, damaged, damaged ? salvageRecords(this.database) : [], false);
      } else {
        this.workerFailed = true;
        this.notice(`compacting in the background failed (${reply.message}); the ledger is compacted on the editor's thread from now on.`);
      }
      return undefined;
    }
    const entry: CompactionManifestEntry = { stamp: await stat(tmp).then(stampOf), previous: this.stamp, journals: reply.journals };
    const manifest = { entries: [...(await this.readManifest()), entry].slice(-MANIFEST_ENTRIES) };
    // Not fsync'd: a manifest lost or torn in a crash only makes other processes reload the file.
    const manifestTmp = `${this.dbPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}.manifest`;
    await writeFile(manifestTmp, JSON.stringify(manifest));
    await rename(manifestTmp, this.manifestPath);
    this.workerCompactions += 1;
    this.lastExportMs = reply.exportMs;
    return { rows: reply.rows, bytes: reply.bytes, deletedByRetention: reply.deletedByRetention };
  }

  /** Exports the in-memory database to `tmp` on this thread and fsyncs it. */
  private async exportInThread(tmp: string, deletedByRetention: number): Promise<{ rows: number; bytes: number; deletedByRetention: number }> {
    const exportStarted = performance.now();
    const bytes = this.database.export();
    this.lastExportMs = performance.now() - exportStarted;
    const handle = await openFile(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    return { rows: this.count(), bytes: bytes.length, deletedByRetention };
  }
}

/** Thrown by `LedgerStore.open` for a file written by a newer schema: the file is left as it is. */
export class NewerSchemaError extends Error {
  override readonly name = 'NewerSchemaError';
}
