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
import { BUDGET_PERIODS, InMemorySpend, PeriodCalendar, PeriodCalendars } from '../routing/budget';
import type { BudgetPeriod, SpendSource } from '../routing/budget';

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

/**
 * Budget spend while requests run: what the ledger recorded, plus what requests in flight have cost so far and is
 * not recorded yet (the router records each attempt's cost as it ends; the ledger gets the whole request when it
 * ends). So a fallback after a costly attempt, and the 90% / 100% alerts, see the request's own cost too. Costs are
 * kept per request (the decision id), so when one of several concurrent requests is appended to the ledger,
 * {@link PendingSpend.recorded} forgets only that request's costs.
 */
export class PendingSpend implements SpendSource {
  private readonly pending = new Map<string, InMemorySpend>();
  private readonly ledger: LedgerSpend;

  /** `database` returns the ledger's current database, or undefined while none is open. */
  constructor(database: () => Database | undefined) {
    this.ledger = new LedgerSpend(database);
  }

  spentUsd(period: BudgetPeriod, now: number, timeZone?: string): number {
    let total = this.ledger.spentUsd(period, now, timeZone);
    for (const spend of this.pending.values()) total += spend.spentUsd(period, now, timeZone);
    return total;
  }

  record(costUsd: number, at: number, requestId = ''): void {
    let spend = this.pending.get(requestId);
    if (!spend) {
      spend = new InMemorySpend();
      this.pending.set(requestId, spend);
    }
    spend.record(costUsd, at);
  }

  /** The request has been appended to the ledger (or will never be): its costs now count there, not here. */
  recorded(requestId: string): void {
    this.pending.delete(requestId);
  }

  /** Requests with costs not yet in the ledger. */
  get pendingRequests(): number {
    return this.pending.size;
  }
}
