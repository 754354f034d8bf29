/**
 * Spend from the ledger: implements the budget gate's {@link SpendSource} over the `requests` table, and the budget
 * usage the status bar and dashboard show. Day and month boundaries come from {@link PeriodCalendar} (the budget's
 * IANA time zone), and the sum is an index range on `requests_started` (`started_at BETWEEN start AND end - 1`).
 *
 * A request's whole cost (every attempt) counts in the period its request started in. The period is the whole
 * calendar day or month containing `now`, so a record stamped a little in the future (clock skew between windows)
 * still counts.
 *
 * Caching: the last sum per (period, zone, interval) is kept together with SQLite's `total_changes()` of the
 * connection, so any insert or delete through this database (the store's merge, retention) invalidates it without
 * the store having to call anything; {@link LedgerSpend.invalidate} drops it explicitly (e.g. after the store swaps in
 * a new database object).
 */
import type { Database } from 'sql.js';

import type { BudgetConfig } from '../config/types';
import type { BudgetPeriod, SpendSource } from '../routing/budget';
import { BUDGET_PERIODS, PeriodCalendar, PeriodCalendars } from '../routing/budget';
import type { BudgetHold } from './reservations';
import { SharedBudgetHolds } from './reservations';
import { isCorruption } from './salvage';

const NANO_PER_USD = 1e9;

/** Cost in whole nano-dollars of requests started in [start, end). */
export function spentNanoBetween(db: Database, start: number, end: number): number {
  const statement = db.prepare('SELECT TOTAL(cost_nano) FROM requests WHERE started_at BETWEEN ? AND ?');
  try {
    statement.bind([start, end - 1]);
    statement.step();
    return Number(statement.get()[0] ?? 0);
  } finally {
    statement.free();
  }
}

function totalChanges(db: Database): number {
  const result = db.exec('SELECT total_changes()');
  return Number(result[0]?.values[0]?.[0] ?? 0);
}

interface CachedSum {
  readonly db: Database;
  readonly start: number;
  readonly end: number;
  readonly changes: number;
  readonly nano: number;
}

export class LedgerSpend implements SpendSource {
  private readonly calendars = new PeriodCalendars();
  private readonly cache = new Map<string, CachedSum>();

  /** `database` returns the store's current database, or undefined while none is open (spend is then 0). */
  constructor(private readonly database: () => Database | undefined) {}

  spentUsd(period: BudgetPeriod, now: number, timeZone?: string): number {
    return this.spentNano(period, now, timeZone) / NANO_PER_USD;
  }

  /** Exact spend in nano-dollars of the day or month containing `now` in `timeZone` (else the system's). */
  spentNano(period: BudgetPeriod, now: number, timeZone?: string): number {
    const db = this.database();
    if (!db) return 0;
    const calendar = this.calendars.get(timeZone);
    const { start, end } = calendar.interval(period, now);
    const key = `${period}:${calendar.timeZone}`;
    const changes = totalChanges(db);
    const cached = this.cache.get(key);
    if (cached && cached.db === db && cached.start === start && cached.end === end && cached.changes === changes) {
      return cached.nano;
    }
    const nano = spentNanoBetween(db, start, end);
    this.cache.set(key, { db, start, end, changes, nano });
    return nano;
  }

  /** Forgets cached sums. Not needed after writes through the same database (they are detected). */
  invalidate(): void {
    this.cache.clear();
  }

}

export interface PeriodUsage {
  readonly period: BudgetPeriod;
  /** The calendar period: "2026-03-09" or "2026-03". */
  readonly periodKey: string;
  readonly start: number;
  readonly end: number;
  readonly usedUsd: number;
  /** Undefined when the period has no limit. */
  readonly limitUsd: number | undefined;
  /** used / limit × 100 (not rounded); undefined without a limit; Infinity for spend against a 0 limit. */
  readonly percent: number | undefined;
}

/**
 * Spend of today and this month (in the budget's time zone) against the configured limits, 'day' first. Alerts are
 * not raised here: the {@link BudgetGate} fed by {@link LedgerSpend} raises them once per period.
 */
export function budgetUsage(db: Database, config: BudgetConfig, now: number): readonly PeriodUsage[] {
  const calendar = new PeriodCalendar(config.timeZone);
  return BUDGET_PERIODS.map((period): PeriodUsage => {
    const { start, end } = calendar.interval(period, now);
    const usedUsd = spentNanoBetween(db, start, end) / NANO_PER_USD;
    const limitUsd = period === 'day' ? config.dailyUsd : config.monthlyUsd;
    const percent =
      limitUsd === undefined
        ? undefined
        : limitUsd > 0
          ? (usedUsd / limitUsd) * 100
          : usedUsd > 0
            ? Number.POSITIVE_INFINITY
            : 0;
    return { period, periodKey: calendar.key(period, now), start, end, usedUsd, limitUsd, percent };
  });
}

/** Where {@link PendingSpend} reads the ledger: its current database, and how to rebuild it when it is damaged. */
export interface SpendLedger {
  /** The current database, or undefined while none is open (the ledger's spend is then 0). */
  readonly db: () => Database | undefined;
  /** Rebuilds a damaged database (LedgerStore.recover); the sum is then read again. */
  readonly recover?: (error: unknown) => Promise<void>;
  /** Holds shared with every process using the same ledger directory (see reservations.ts). */
  readonly holds?: SharedBudgetHolds;
}

/**
 * Budget spend while requests run: what the ledger recorded, plus what requests in flight have cost or hold and is not
 * recorded yet (the router holds each attempt's maximum cost before sending it and records its cost when it ends; the
 * ledger gets the whole request when it ends). So a fallback after a costly attempt, the 90% / 100% alerts, and
 * concurrent requests see each other.
 *
 * With `holds` (the extension and the CLI: the ledger's directory), requests in flight are kept in a file every
 * process and window sharing the ledger reads, and {@link reserve} checks and holds under its lock, so concurrent
 * requests anywhere cannot together pass a limit that each alone would. Without it, in this process's memory.
 * Entries are per request (the decision id), so when one of several concurrent requests is appended to the ledger,
 * {@link recorded} forgets only that request's costs; an entry whose request the ledger already holds is not counted.
 */
export class PendingSpend implements SpendSource {
  private readonly pending = new Map<string, { readonly at: number; holdUsd: number; spentUsd: number }>();
  private readonly calendars = new PeriodCalendars();
  private readonly ledger: LedgerSpend;
  private readonly source: SpendLedger;
  /** The shared entries read under the lock, while {@link reserve} decides. */
  private snapshot: readonly BudgetHold[] | undefined;
  private known: { readonly db: Database; readonly changes: number; readonly answers: Map<string, boolean> } | undefined;

  /** `ledger`: the database getter alone, or with recovery and shared holds. */
  constructor(ledger: (() => Database | undefined) | SpendLedger) {
    this.source = typeof ledger === 'function' ? { db: ledger } : ledger;
    this.ledger = new LedgerSpend(this.source.db);
  }

  /** Recorded spend plus the cost of finished attempts of requests not in the ledger yet. */
  async spentUsd(period: BudgetPeriod, now: number, timeZone?: string): Promise<number> {
    return (await this.recordedUsd(period, now, timeZone)) + this.unrecorded(await this.entries(), period, now, timeZone, 'spentUsd');
  }

  /** What requests in flight hold for their attempts (see {@link reserve}). */
  async heldUsd(period: BudgetPeriod, now: number, timeZone?: string): Promise<number> {
    return this.unrecorded(await this.entries(), period, now, timeZone, 'holdUsd');
  }

  /** This process's entries, and the shared ones (read under the lock while {@link reserve} decides). */
  private async entries(): Promise<readonly BudgetHold[]> {
    const local = this.localEntries();
    if (!this.source.holds) return local;
    // The shared entries, and this process's costs that never needed a shared entry (nothing was held for them).
    const shared = this.snapshot ?? (await this.source.holds.read());
    const ids = new Set(shared.map((entry) => entry.id));
    return [...shared, ...local.filter((entry) => !ids.has(entry.id))];
  }

  /** A finished attempt's cost: it replaces the attempt's hold. */
  async record(costUsd: number, at: number, requestId = ''): Promise<void> {
    const entry = this.pending.get(requestId);
    const spent = Math.max(0, costUsd);
    if (entry) {
      entry.holdUsd = 0;
      entry.spentUsd += spent;
      // Only a request that held part of a budget has a shared entry to settle (no limit: no file written).
      await this.source.holds?.settle(requestId, at, spent);
    } else if (spent > 0) this.pending.set(requestId, { at, holdUsd: 0, spentUsd: spent });
  }

  /**
   * Runs `decide` on the spend including every hold (of every process sharing the ledger, read under its lock) and,
   * when it returns true, holds `holdUsd` for the request's next attempt before anyone else can decide.
   */
  async reserve(requestId: string, holdUsd: number, at: number, decide: () => Promise<boolean>): Promise<boolean> {
    const local = (): void => {
      const entry = this.pending.get(requestId);
      if (entry) entry.holdUsd = holdUsd;
      else this.pending.set(requestId, { at, holdUsd, spentUsd: 0 });
    };
    const holds = this.source.holds;
    if (!holds) {
      if (!(await decide())) return false;
      local();
      return true;
    }
    return holds.update(async (entries) => {
      this.snapshot = entries;
      let ok: boolean;
      try {
        ok = await decide();
      } finally {
        this.snapshot = undefined;
      }
      if (!ok) return { result: false };
      local();
      return { entries: SharedBudgetHolds.hold(entries, requestId, at, holdUsd), result: true };
    });
  }

  /** The request has been appended to the ledger (or will never be): its costs now count there, not here. */
  async recorded(requestId: string): Promise<void> {
    const entry = this.pending.get(requestId);
    this.pending.delete(requestId);
    // Settled entries stay in the shared file for a while, counted until this process's record reaches the others.
    if (entry) await this.source.holds?.recorded(requestId);
  }

  /** Requests with costs or holds not yet in the ledger (this process's). */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /**
   * Which of `ids` the ledger holds; answers are kept while the database and its change count stay the same (a
   * budget check asks for the same entries' ids several times: spend and holds, day and month).
   */
  private inLedger(ids: readonly string[]): ReadonlySet<string> {
    const db = this.source.db();
    if (!db || ids.length === 0) return new Set();
    const changes = totalChanges(db);
    if (this.known?.db !== db || this.known.changes !== changes) this.known = { db, changes, answers: new Map() };
    const answers = this.known.answers;
    const unknown = ids.filter((id) => !answers.has(id));
    if (unknown.length > 0) {
      const found = idsInLedger(db, unknown);
      for (const id of unknown) answers.set(id, found.has(id));
    }
    return new Set(ids.filter((id) => answers.get(id)));
  }

  private localEntries(): BudgetHold[] {
    return [...this.pending].map(([id, e]) => ({ id, pid: process.pid, at: e.at, holdUsd: e.holdUsd, spentUsd: e.spentUsd }));
  }

  private async recordedUsd(period: BudgetPeriod, now: number, timeZone?: string): Promise<number> {
    try {
      return this.ledger.spentUsd(period, now, timeZone);
    } catch (error) {
      if (!this.source.recover || !isCorruption(error)) throw error;
      await this.source.recover(error);
      this.ledger.invalidate();
      return this.ledger.spentUsd(period, now, timeZone);
    }
  }

  /** Held or spent amounts of requests in `period` that the ledger does not hold yet. */
  private unrecorded(entries: readonly BudgetHold[], period: BudgetPeriod, now: number, timeZone: string | undefined, part: 'holdUsd' | 'spentUsd'): number {
    if (entries.length === 0) return 0;
    const { start, end } = this.calendars.get(timeZone).interval(period, now);
    const inPeriod = entries.filter((entry) => entry.at >= start && entry.at < end);
    const inLedger = this.inLedger(inPeriod.map((entry) => entry.id));
    let total = 0;
    for (const entry of inPeriod) if (!inLedger.has(entry.id)) total += entry[part];
    return total;
  }
}

/** Which of `ids` the ledger's requests table holds (by its primary key, 500 at a time). */
function idsInLedger(db: Database, ids: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const rows = db.exec(`SELECT id FROM requests WHERE id IN (${part.map(() => '?').join(',')})`, part)[0]?.values ?? [];
    for (const row of rows) found.add(String(row[0]));
  }
  return found;
}
