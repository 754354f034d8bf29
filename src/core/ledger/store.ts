/**
 * The ledger store: an in-memory sql.js database kept durable by per-process journals and compacted into
 * `ledger.sqlite`, safe with several processes (VS Code windows, the CLI) writing one directory at once.
 *
 * - `append` puts the record in the in-memory database at once (queries see it) and resolves when its journal line
 *   is fsync'd (group commit, see journal.ts). That is the acknowledgement: it survives SIGKILL.
 * - Compaction (background timer, record threshold, `close()`), under the directory lock: merges what other
 *   processes wrote, applies retention, rotates this process's journal, writes `db.export()` to a temp file,
 *   fsyncs it, renames it over `ledger.sqlite`, fsyncs the directory, then deletes the retired segments of this
 *   process's journal and the journals of processes that are gone. Callers never wait for it.
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
import { mkdir, open as openFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import type { Clock } from '../routing/clock';
import { systemClock } from '../routing/clock';
import { JOURNAL_PATTERN, JournalWriter, fsyncDir, journalPid, readJournalChunk } from './journal';
import { processAlive, withLock } from './lock';
import type { LedgerRecord } from './record';
import { MIGRATIONS, deleteRequestsBefore, insertRecords, migrate, schemaVersion } from './schema';
import type { Migration } from './schema';
import { loadSqlJs } from './sqlite';

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
  /** Compact as soon as this process's journal holds this many records (default 1,000). */
  readonly compactEveryRecords?: number;
  /** Merge what other processes wrote this often (default 2,000 ms; 0: only on `refresh()`/compaction). */
  readonly refreshIntervalMs?: number;
  /** Extra time an append waits for others to share its fsync (default 0: the next turn of the event loop). */
  readonly groupCommitMs?: number;
  /** Lock timing (see lock.ts). */
  readonly lockTimeoutMs?: number;
  readonly lockStaleMs?: number;
  /** Run `PRAGMA quick_check` on the file at open (default true). */
  readonly checkIntegrity?: boolean;
}

export interface LedgerStoreStats {
  readonly appends: number;
  /** Journal flushes (one write + one fdatasync each); appends / flushes is the group-commit factor. */
  readonly journalFlushes: number;
  readonly compactions: number;
  readonly lastCompactionMs: number;
  readonly lastExportMs: number;
}

export interface CompactionResult {
  readonly rows: number;
  readonly bytes: number;
  readonly deletedByRetention: number;
  readonly journalsRemoved: number;
}

interface Loaded {
  readonly db: Database;
  readonly stamp: string | undefined;
}

function stampOf(s: { size: number; mtimeMs: number; ino: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

export class LedgerStore {
  private database: Database;
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
  private lastRefreshAt = 0;
  private deadJournalsSeen = false;
  private compactions = 0;
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
    this.database = new sql.Database();
    this.stamp = undefined;
  }

  static async open(options: LedgerStoreOptions): Promise<LedgerStore> {
    await mkdir(options.dir, { recursive: true });
    const sql = await loadSqlJs(options.wasmPath === undefined ? {} : { wasmPath: options.wasmPath });
    const store = new LedgerStore(sql, options);
    try {
      await store.locked(() => store.reload(true));
    } catch (error) {
      store.database.close();
      throw error;
    }
    store.lastCompactionAt = store.lastRefreshAt = Date.now();
    store.startTimer();
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
      lastCompactionMs: this.lastCompactionMs,
      lastExportMs: this.lastExportMs,
    };
  }

  /** Stores the record (visible to queries at once); resolves when it is durable (journal line fsync'd). */
  append(record: LedgerRecord): Promise<void> {
    return this.appendMany([record]);
  }

  /** Stores several records in one transaction; resolves when all are durable. */
  appendMany(records: readonly LedgerRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The ledger is closed'));
    try {
      insertRecords(this.database, records);
    } catch (error) {
      return Promise.reject(error);
    }
    const durable = Promise.all(records.map((r) => this.writer.append(r))).then(() => undefined);
    if (this.writer.size >= (this.options.compactEveryRecords ?? 1_000)) this.kick();
    return durable;
  }

  /** Merges what other processes wrote since the last look (their journals, a database file they compacted). */
  refresh(): Promise<void> {
    return this.serial(() => this.locked(() => this.catchUp()));
  }

  /** Writes the database file now (see the module comment). */
  compact(): Promise<CompactionResult> {
    return this.serial(() => this.locked(() => this.compactLocked()));
  }

  /** Stops the timers, waits for pending appends, compacts a last time, and frees the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.writer.drain();
    try {
      await this.serial(() => this.locked(() => this.compactLocked()));
    } catch (error) {
      // The journal still holds every record; the next open merges it.
      this.notice(`could not write the ledger file on close (${String(error)}); the journal keeps the records.`);
    }
    await this.writer.close();
    this.database.close();
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

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const lockOptions = {
      ...(this.options.lockTimeoutMs === undefined ? {} : { timeoutMs: this.options.lockTimeoutMs }),
      ...(this.options.lockStaleMs === undefined ? {} : { staleMs: this.options.lockStaleMs }),
    };
    return withLock(join(this.options.dir, LOCK_FILE), fn, lockOptions);
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
    if (compactMs > 0 && dirty && now - this.lastCompactionAt >= compactMs) this.kick();
    else if (refreshMs > 0 && now - this.lastRefreshAt >= refreshMs) {
      this.refresh().catch((error: unknown) => this.backgroundError(error));
    }
  }

  private kick(): void {
    if (this.closed || this.maintaining) return;
    this.compact().catch((error: unknown) => this.backgroundError(error));
  }

  private backgroundError(error: unknown): void {
    if (this.closed) return;
    // A lock held by another window is routine: the next tick tries again; the journal keeps the records.
    if (/Timed out .* ledger lock/.test(String(error))) return;
    this.notice(`background ledger maintenance failed: ${String(error)}`);
  }

  private cutoff(): number | undefined {
    const days = this.options.retentionDays;
    return days === undefined || days <= 0 ? undefined : this.clock.now() - days * DAY_MS;
  }

  /** Inserts merged records (skipping ones past retention); a record the schema rejects is skipped with a notice. */
  private merge(db: Database, records: readonly LedgerRecord[], source: string): void {
    const cutoff = this.cutoff();
    const kept = cutoff === undefined ? records : records.filter((r) => r.startedAt >= cutoff);
    if (kept.length === 0) return;
    try {
      insertRecords(db, kept);
    } catch {
      for (const record of kept) {
        try {
          insertRecords(db, [record]);
        } catch (error) {
          this.noticeOnce(`${source}:${record.id}`, `a record in ${source} could not be stored and was skipped (${String(error)}).`);
        }
      }
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

  /** Under the lock: the database file plus every journal plus this process's unflushed lines, as a new db. */
  private async reload(atOpen: boolean): Promise<void> {
    const loaded = await this.loadFile(atOpen);
    const offsets = new Map<string, number>();
    try {
      for (const name of await this.listDir()) {
        if (!JOURNAL_PATTERN.test(name)) continue;
        const path = join(this.options.dir, name);
        const chunk = await readJournalChunk(path, 0);
        if (!chunk) continue;
        this.reportBadLines(name, 0, chunk.badLines);
        this.merge(loaded.db, chunk.records, name);
        offsets.set(path, chunk.nextOffset);
      }
      // Synchronously up to the swap: every record this process appended so far, whatever its journal state.
      this.merge(loaded.db, this.writer.liveRecords(), 'this window');
    } catch (error) {
      loaded.db.close();
      throw error;
    }
    const old = this.database;
    this.database = loaded.db;
    this.stamp = loaded.stamp;
    this.offsets.clear();
    for (const [path, offset] of offsets) this.offsets.set(path, offset);
    old.close();
  }

  private reportBadLines(name: string, offset: number, badLines: readonly number[]): void {
    if (badLines.length === 0) return;
    this.noticeOnce(
      `${name}@${offset}`,
      `${badLines.length} line(s) of the journal ${name} were not readable records and were skipped.`,
    );
  }

  /** Under the lock: reload if another process rewrote the file, else read what journals gained. */
  private async catchUp(): Promise<void> {
    this.lastRefreshAt = Date.now();
    const current = await stat(this.dbPath).then(stampOf, () => undefined);
    if (current !== this.stamp) {
      await this.reload(false);
      return;
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
      const offset = this.offsets.get(path) ?? 0;
      const chunk = await readJournalChunk(path, offset);
      if (!chunk) continue;
      this.reportBadLines(name, offset, chunk.badLines);
      this.merge(this.database, chunk.records, name);
      this.offsets.set(path, chunk.nextOffset);
    }
    for (const path of [...this.offsets.keys()]) if (!seen.has(path)) this.offsets.delete(path);
    this.deadJournalsSeen = dead;
  }

  private async loadFile(atOpen: boolean): Promise<Loaded> {
    let bytes: Buffer;
    let stamp: string;
    try {
      const handle = await openFile(this.dbPath, 'r');
      try {
        stamp = stampOf(await handle.stat());
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return { db: this.emptyDb(), stamp: undefined };
    }
    let db: Database | undefined;
    let problem: string | undefined;
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
      if (atOpen && this.options.checkIntegrity !== false) {
        const check = String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] ?? '');
        if (check !== 'ok') problem = `integrity check: ${check}`;
      }
      if (!problem) migrate(db, this.migrations);
    } catch (error) {
      if (error instanceof NewerSchemaError) throw error;
      problem = error instanceof Error ? error.message : String(error);
    }
    if (!problem && db) return { db, stamp };
    db?.close();
    const aside = `${this.dbPath}.corrupt-${new Date(this.clock.now()).toISOString().replace(/:/g, '-')}`;
    await rename(this.dbPath, aside);
    await fsyncDir(this.options.dir);
    this.notice(
      `The ledger file was corrupt (${problem}); moved aside to ${aside}; a new ledger was started from the journals. Records only in the old file are not in the new one.`,
    );
    return { db: this.emptyDb(), stamp: undefined };
  }

  private emptyDb(): Database {
    const db = new this.sql.Database();
    migrate(db, this.migrations);
    return db;
  }

  private applyRetention(): number {
    const cutoff = this.cutoff();
    if (cutoff === undefined) return 0;
    const db = this.database;
    db.exec('BEGIN');
    try {
      const deleted = deleteRequestsBefore(db, cutoff);
      db.exec('COMMIT');
      if (deleted >= 10_000 || deleted > this.count() / 4) db.exec('VACUUM');
      return deleted;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  private async compactLocked(): Promise<CompactionResult> {
    const started = Date.now();
    await this.catchUp();
    const deletedByRetention = this.applyRetention();
    const retired = this.writer.rotate();
    const own = new Set(this.writer.paths);
    const dead: string[] = [];
    for (const name of await this.listDir()) {
      const path = join(this.options.dir, name);
      if (JOURNAL_PATTERN.test(name) && !own.has(path) && !processAlive(journalPid(name)!)) dead.push(path);
      const tmp = /^ledger\.sqlite\.tmp-(\d+)-/.exec(name);
      if (tmp && !processAlive(Number(tmp[1]))) await unlink(path).catch(() => undefined);
    }
    for (const path of dead) {
      // Its process may have written its last lines after catchUp read it and before it died.
      const offset = this.offsets.get(path) ?? 0;
      const chunk = await readJournalChunk(path, offset);
      if (chunk) this.merge(this.database, chunk.records, path);
    }
    const exportStarted = Date.now();
    const bytes = this.database.export();
    this.lastExportMs = Date.now() - exportStarted;
    const rows = this.count();
    const tmp = `${this.dbPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
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
    await rename(tmp, this.dbPath);
    await fsyncDir(this.options.dir);
    this.stamp = await stat(this.dbPath).then(stampOf);
    // Now durable in the file: the retired segments and the journals of processes that are gone can go.
    await this.writer.removeRetired(retired);
    for (const path of dead) {
      await unlink(path).catch(() => undefined);
      this.offsets.delete(path);
    }
    this.deadJournalsSeen = false;
    this.compactions += 1;
    this.lastCompactionAt = Date.now();
    this.lastCompactionMs = this.lastCompactionAt - started;
    return { rows, bytes: bytes.length, deletedByRetention, journalsRemoved: retired.length + dead.length };
  }
}

/** Thrown by `LedgerStore.open` for a file written by a newer schema: the file is left as it is. */
export class NewerSchemaError extends Error {
  override readonly name = 'NewerSchemaError';
}
