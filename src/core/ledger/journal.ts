/**
 * Per-process append-only journals: `journal-<pid>-<random>.jsonl`, one JSON {@link LedgerRecord} per line.
 *
 * Writing ({@link JournalWriter}): appends queue up; one flush writes every queued line with a single write and
 * one `fdatasync`, then resolves all of them (group commit: appends that arrive while a flush is on disk share the
 * next one). A new file's directory entry is fsync'd once before its first line is acknowledged. `rotate()` starts
 * a new segment, so a compaction can delete the old ones once their records are in the database file.
 *
 * Reading ({@link readJournalChunk}): whole lines only. An unterminated last line is left for later (the writer may
 * be mid-write) or, for a dead writer, ignored (a torn write); a complete line that does not parse is skipped and
 * reported.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { LedgerRecord } from './record';
import { LEDGER_RECORD_VERSION } from './record';

export const JOURNAL_PATTERN = /^journal-(\d+)-([0-9a-f]+)\.jsonl$/;

export function journalName(pid: number): string {
  return `journal-${pid}-${randomBytes(6).toString('hex')}.jsonl`;
}

/** The pid in a journal's file name, or undefined when the name is not a journal's. */
export function journalPid(name: string): number | undefined {
  const match = JOURNAL_PATTERN.exec(basename(name));
  return match ? Number(match[1]) : undefined;
}

export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Windows cannot open a directory for fsync; there a rename is durable on its own (NTFS journals metadata).
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES') throw error;
  } finally {
    await handle?.close();
  }
}

interface Pending {
  readonly record: LedgerRecord;
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Segment {
  readonly path: string;
  handle: FileHandle | undefined;
  lines: number;
  /**
   * The records written to this segment, kept until a database file holds them (a reload re-applies them, so a
   * line written while the reload read this file is not missed).
   */
  records: LedgerRecord[];
  /** Resolves when the flush writing to this segment (if any) is done. */
  busy: Promise<void>;
}

export interface JournalStats {
  readonly appends: number;
  readonly flushes: number;
}

export class JournalWriter {
  private pending: Pending[] = [];
  private inflight: Pending[] = [];
  private segment: Segment;
  private readonly retired: Segment[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private appends = 0;
  private flushes = 0;

  constructor(
    private readonly dir: string,
    private readonly groupCommitMs = 0,
  ) {
    this.segment = this.newSegment();
  }

  /** The segment being written and the retired ones not yet removed. */
  get paths(): readonly string[] {
    return [this.segment.path, ...this.retired.map((s) => s.path)];
  }

  /** Lines in the current segment, including queued ones. */
  get size(): number {
    return this.segment.lines + this.pending.length;
  }

  get stats(): JournalStats {
    return { appends: this.appends, flushes: this.flushes };
  }

  /** Resolves when the record's line is on disk (written and fdatasync'd). */
  append(record: LedgerRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The ledger journal is closed'));
    const line = `${JSON.stringify(record)}\n`;
    this.appends += 1;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ record, line, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Every record of this writer not yet removed: in its segments, being written, or queued. A reload re-applies
   * them to the fresh database just before swapping it in, so nothing this process appended goes missing.
   */
  liveRecords(): LedgerRecord[] {
    const out: LedgerRecord[] = [];
    for (const segment of [...this.retired, this.segment]) out.push(...segment.records);
    for (const p of this.inflight) out.push(p.record);
    for (const p of this.pending) out.push(p.record);
    return out;
  }

  /**
   * Starts a new segment for the lines queued from now on; returns the retired segments' paths. Their lines are in
   * memory already; once a database file holding them is durable, {@link removeRetired} deletes them.
   */
  rotate(): readonly string[] {
    if (this.segment.lines > 0 || this.segment.handle) {
      this.retired.push(this.segment);
      this.segment = this.newSegment();
    }
    return this.retired.map((s) => s.path);
  }

  /** Drops the in-memory records of the retired segments in `paths`: a durable database file holds them now. */
  forget(paths: readonly string[]): void {
    for (const segment of this.retired) if (paths.includes(segment.path)) segment.records = [];
  }

  /** Resolves when no flush is writing to the retired segments in `paths` any more (their lines are final). */
  async settle(paths: readonly string[]): Promise<void> {
    for (const segment of this.retired) if (paths.includes(segment.path)) await segment.busy;
  }

  /** Closes and deletes retired segments in `paths` (after their last flush). */
  async removeRetired(paths: readonly string[]): Promise<void> {
    for (const segment of [...this.retired]) {
      if (!paths.includes(segment.path)) continue;
      await segment.busy;
      await segment.handle?.close();
      segment.handle = undefined;
      await unlink(segment.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      this.retired.splice(this.retired.indexOf(segment), 1);
    }
  }

  /** Waits for every queued line to be durable. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    for (const segment of [this.segment, ...this.retired]) {
      await segment.busy;
      await segment.handle?.close();
      segment.handle = undefined;
    }
  }

  private newSegment(): Segment {
    return { path: join(this.dir, journalName(process.pid)), handle: undefined, lines: 0, records: [], busy: Promise.resolve() };
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.groupCommitMs > 0) setTimeout(run, this.groupCommitMs);
    else setImmediate(run);
  }

  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.pending;
    if (batch.length === 0) return Promise.resolve();
    this.pending = [];
    this.inflight = batch;
    const segment = this.segment;
    const work = (async (): Promise<void> => {
      try {
        if (!segment.handle) {
          segment.handle = await open(segment.path, 'a');
          await fsyncDir(dirname(segment.path));
        }
        await segment.handle.write(batch.map((p) => p.line).join(''));
        await segment.handle.datasync();
        segment.lines += batch.length;
        for (const p of batch) segment.records.push(p.record);
        this.flushes += 1;
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    })();
    segment.busy = work;
    this.flushing = work.finally(() => {
      this.flushing = undefined;
      this.inflight = [];
      if (this.pending.length > 0) this.schedule();
    });
    return this.flushing;
  }
}

export interface JournalChunk {
  readonly records: readonly LedgerRecord[];
  /** Where the next read starts: just after the last complete line. */
  readonly nextOffset: number;
  /** Bytes after the last newline (an unfinished or torn line). */
  readonly tailBytes: number;
  /** 1-based line numbers (within this chunk) of complete lines that were not records. */
  readonly badLines: readonly number[];
}

export function isLedgerRecord(value: unknown): value is LedgerRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<LedgerRecord>;
  return r.v === LEDGER_RECORD_VERSION && typeof r.id === 'string' && r.id.length > 0 && Array.isArray(r.attempts);
}

/** Parses the complete lines of `bytes` (read from `offset`). */
export function parseJournalChunk(bytes: Buffer, offset: number): JournalChunk {
  const lastNewline = bytes.lastIndexOf(0x0a);
  const complete = lastNewline < 0 ? '' : bytes.subarray(0, lastNewline).toString('utf8');
  const records: LedgerRecord[] = [];
  const badLines: number[] = [];
  if (lastNewline >= 0) {
    const lines = complete.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.length === 0) continue;
      try {
        const value: unknown = JSON.parse(line);
        if (isLedgerRecord(value)) records.push(value);
        else badLines.push(i + 1);
      } catch {
        badLines.push(i + 1);
      }
    }
  }
  return { records, nextOffset: offset + lastNewline + 1, tailBytes: bytes.length - (lastNewline + 1), badLines };
}

/** Bytes read at a time by {@link readJournal} (a longer line is read whole). */
export const JOURNAL_PIECE_BYTES = 8 * 1024 * 1024;

/**
 * Reads `path` from `offset` to its current end in pieces of whole lines (about `pieceBytes` each, so a journal of
 * any size is read in bounded memory and never becomes one string); yields nothing when the file is gone, and one
 * empty piece when there is nothing new. Each piece's `nextOffset` is where the following one starts.
 */
export async function* readJournal(path: string, offset: number, pieceBytes = JOURNAL_PIECE_BYTES): AsyncGenerator<JournalChunk> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    let position = offset;
    let buffer = Buffer.alloc(0);
    let yielded = false;
    while (position < size) {
      const piece = Buffer.alloc(Math.min(pieceBytes, size - position));
      const { bytesRead } = await handle.read(piece, 0, piece.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      buffer = buffer.length === 0 ? piece.subarray(0, bytesRead) : Buffer.concat([buffer, piece.subarray(0, bytesRead)]);
      const lastNewline = buffer.lastIndexOf(0x0a);
      if (lastNewline < 0 && position < size) continue; // a line longer than a piece: read on
      const start = position - buffer.length;
      const chunk = parseJournalChunk(position < size ? buffer.subarray(0, lastNewline + 1) : buffer, start);
      buffer = position < size ? buffer.subarray(lastNewline + 1) : Buffer.alloc(0);
      yielded = true;
      yield chunk;
    }
    if (!yielded) yield { records: [], nextOffset: offset, tailBytes: 0, badLines: [] };
  } finally {
    await handle.close();
  }
}
