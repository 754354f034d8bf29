/**
 * Budget holds shared by every process using one ledger directory (VS Code windows, CLI runs): before a request is
 * sent, its estimate is held here under a short lock, checked together with what every other process holds; when an
 * attempt ends its actual cost replaces the hold; once the request is in the ledger the entry is marked recorded.
 *
 * `<dir>/budget-holds.json` is rewritten under `<dir>/budget.lock` (held for the read-check-write only, never while
 * a provider answers) and replaced by a rename, so a reader without the lock always sees a whole file.
 *
 * A recorded entry stays for an hour: a process that has not yet read the journal line of that request from the
 * other process still counts it through the entry (the spend source skips entries whose request id its ledger holds,
 * so nothing counts twice). An entry of a process that is gone keeps the cost of its finished attempts (money spent
 * that may never reach the ledger) but not its hold. Entries older than a budget month are dropped.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { processAlive, withLock } from './lock';

export const HOLDS_FILE = 'budget-holds.json';
export const HOLDS_LOCK = 'budget.lock';

const RECORDED_KEPT_MS = 60 * 60 * 1000;
const MAX_AGE_MS = 33 * 86_400_000;
/** The file is small (entries of the last hour or so); anything past this is not ours and is read as empty. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface BudgetHold {
  /** The request (decision id). */
  readonly id: string;
  readonly pid: number;
  /** When the request started: its cost counts in that day and month, as in the ledger. */
  readonly at: number;
  /** USD held for the attempt in flight (0 between attempts). */
  readonly holdUsd: number;
  /** USD of the request's finished attempts. */
  readonly spentUsd: number;
  /** Set once the request is in the ledger. */
  readonly recordedAt?: number;
}

function isHold(value: unknown): value is BudgetHold {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Partial<BudgetHold>;
  const money = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return typeof h.id === 'string' && typeof h.pid === 'number' && typeof h.at === 'number' && money(h.holdUsd) && money(h.spentUsd);
}

export class SharedBudgetHolds {
  private readonly file: string;
  private readonly lock: string;

  constructor(
    private readonly dir: string,
    private readonly options: { readonly lockTimeoutMs?: number; readonly now?: () => number } = {},
  ) {
    this.file = join(dir, HOLDS_FILE);
    this.lock = join(dir, HOLDS_LOCK);
  }

  /** The current entries (a missing or unreadable file holds none). */
  async read(): Promise<BudgetHold[]> {
    let text: string;
    try {
      const bytes = await readFile(this.file);
      if (bytes.length > MAX_FILE_BYTES) return [];
      text = bytes.toString('utf8');
    } catch {
      return [];
    }
    try {
      const value = JSON.parse(text) as { entries?: unknown };
      return Array.isArray(value.entries) ? value.entries.filter(isHold) : [];
    } catch {
      return [];
    }
  }

  /**
   * Under the lock: reads the entries (pruned), passes them to `fn`, and writes what it returns (unless it returns
   * undefined: nothing to change). Returns `fn`'s result.
   */
  async update<T>(fn: (entries: BudgetHold[]) => Promise<{ entries?: BudgetHold[]; result: T }> | { entries?: BudgetHold[]; result: T }): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    return withLock(
      this.lock,
      async () => {
        const before = await this.read();
        const entries = this.prune(before);
        const { entries: after, result } = await fn(entries);
        if (after !== undefined || entries.length !== before.length) await this.write(after ?? entries);
        return result;
      },
      { timeoutMs: this.options.lockTimeoutMs ?? 5_000, staleMs: 10_000 },
    );
  }

  /** Holds `usd` for the request's next attempt (creating its entry). */
  static hold(entries: readonly BudgetHold[], id: string, at: number, usd: number): BudgetHold[] {
    const existing = entries.find((e) => e.id === id);
    const entry: BudgetHold = { id, pid: process.pid, at: existing?.at ?? at, holdUsd: usd, spentUsd: existing?.spentUsd ?? 0 };
    return [...entries.filter((e) => e.id !== id), entry];
  }

  /** An attempt ended and cost `usd`: the hold becomes spend. */
  async settle(id: string, at: number, usd: number): Promise<void> {
    await this.update((entries) => {
      const existing = entries.find((e) => e.id === id);
      const entry: BudgetHold = { id, pid: process.pid, at: existing?.at ?? at, holdUsd: 0, spentUsd: (existing?.spentUsd ?? 0) + Math.max(0, usd) };
      return { entries: [...entries.filter((e) => e.id !== id), entry], result: undefined };
    });
  }

  /** The request is in the ledger (or ended without cost): its entry is marked recorded, its hold released. */
  async recorded(id: string): Promise<void> {
    const now = this.now();
    await this.update((entries) => {
      const existing = entries.find((e) => e.id === id);
      if (!existing) return { result: undefined };
      if (existing.spentUsd === 0) return { entries: entries.filter((e) => e.id !== id), result: undefined };
      return { entries: entries.map((e) => (e.id === id ? { ...e, holdUsd: 0, recordedAt: now } : e)), result: undefined };
    });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private prune(entries: readonly BudgetHold[]): BudgetHold[] {
    const now = this.now();
    const out: BudgetHold[] = [];
    for (const entry of entries) {
      if (now - entry.at > MAX_AGE_MS) continue;
      if (entry.recordedAt !== undefined && now - entry.recordedAt > RECORDED_KEPT_MS) continue;
      if (entry.recordedAt === undefined && entry.pid !== process.pid && !processAlive(entry.pid)) {
        // Its process is gone: what it spent may never reach the ledger, so it still counts; its hold does not.
        if (entry.spentUsd === 0) continue;
        out.push(entry.holdUsd === 0 ? entry : { ...entry, holdUsd: 0 });
        continue;
      }
      out.push(entry);
    }
    return out;
  }

  private async write(entries: readonly BudgetHold[]): Promise<void> {
    const temp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify({ v: 1, entries }));
      await rename(temp, this.file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }
}
