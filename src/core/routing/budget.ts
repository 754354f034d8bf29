/**
 * The budget gate: daily and monthly limits in USD, checked with an estimate before a request is sent, and alerts at
 * 90% and 100% of each period, raised once per period.
 *
 * Spend comes through {@link SpendSource}; the ledger implements it later, {@link InMemorySpend} serves until then
 * and in tests. Days and months are calendar periods in the configured IANA time zone (the system's when none),
 * computed with `Intl.DateTimeFormat`, so "today" for a user in New York ends at midnight New York time.
 */
import type { BudgetConfig } from '../config/types';
import type { Listen } from '../util/emitter';
import { Emitter } from '../util/emitter';
import { errorMessage } from '../util/errorMessage';
import { formatUsd } from '../util/format';
import type { Clock } from './clock';
import { systemClock } from './clock';

export type BudgetPeriod = 'day' | 'month';

/** Longer than any calendar month in any zone (31 days, plus offset changes, plus margin). */
const MONTH_SPAN_MS = 33 * 86_400_000;
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['day', 'month'];

export interface SpendSource {
  /** USD spent in the day or month (in `timeZone`, else the system's) that contains `now`. */
  spentUsd(period: BudgetPeriod, now: number, timeZone?: string): Promise<number> | number;
  /**
   * Records a cost of the request `requestId` (the decision id); sources fed elsewhere (the ledger stores decision
   * records itself) may leave it out.
   */
  record?(costUsd: number, at: number, requestId?: string): Promise<void> | void;
  /**
   * Runs `decide` while no other request (in any process sharing the source) can decide, on the spend including
   * every request's hold; when it returns true, holds `holdUsd` for `requestId` until {@link record} replaces it
   * with the attempt's cost. Without it, the gate holds nothing (a source that is not shared, such as a test's).
   */
  reserve?(requestId: string, holdUsd: number, at: number, decide: () => Promise<boolean>): Promise<boolean>;
  /** USD held by requests in flight in the period (not spent yet: never in alerts, but no one may spend it). */
  heldUsd?(period: BudgetPeriod, now: number, timeZone?: string): Promise<number> | number;
}

/** Calendar keys of instants in one time zone: "2026-03-09" for a day, "2026-03" for a month. */
export class PeriodCalendar {
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly intervals = new Map<BudgetPeriod, { readonly start: number; readonly end: number }>();

  /** Throws a RangeError naming the zone when it is not a valid IANA time zone. */
  constructor(timeZone?: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}"`);
    }
    this.timeZone = this.format.resolvedOptions().timeZone;
  }

  key(period: BudgetPeriod, at: number): string {
    let year = '';
    let month = '';
    let day = '';
    for (const part of this.format.formatToParts(at)) {
      if (part.type === 'year') year = part.value;
      else if (part.type === 'month') month = part.value;
      else if (part.type === 'day') day = part.value;
    }
    return period === 'day' ? `${year}-${month}-${day}` : `${year}-${month}`;
  }

  /**
   * The period containing `at` as [start, end) in epoch milliseconds. Found by binary search on the (monotonic)
   * calendar key, so daylight-saving days of 23 or 25 hours come out right; the last interval per period is kept.
   */
  interval(period: BudgetPeriod, at: number): { readonly start: number; readonly end: number } {
    const cached = this.intervals.get(period);
    if (cached && at >= cached.start && at < cached.end) return cached;
    const key = this.key(period, at);
    // First instant whose key is not before `key`, and first instant whose key is after it.
    let low = at - MONTH_SPAN_MS;
    let high = at;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (this.key(period, mid) < key) low = mid;
      else high = mid;
    }
    const start = high;
    low = at;
    high = at + MONTH_SPAN_MS;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (this.key(period, mid) > key) high = mid;
      else low = mid;
    }
    const interval = { start, end: high };
    this.intervals.set(period, interval);
    return interval;
  }
}

/** {@link PeriodCalendar.key} without keeping a calendar. */
export function periodKey(period: BudgetPeriod, at: number, timeZone?: string): string {
  return new PeriodCalendar(timeZone).key(period, at);
}

/** One {@link PeriodCalendar} per time zone, built on first use (spend sources are asked for several zones). */
export class PeriodCalendars {
  private readonly byZone = new Map<string, PeriodCalendar>();

  get(timeZone: string | undefined): PeriodCalendar {
    const id = timeZone ?? '';
    let calendar = this.byZone.get(id);
    if (!calendar) {
      calendar = new PeriodCalendar(timeZone);
      this.byZone.set(id, calendar);
    }
    return calendar;
  }
}

/** Costs with their times, in memory. Keeps about a month: enough for any day or month query at a recent `now`. */
export class InMemorySpend implements SpendSource {
  private entries: { readonly at: number; readonly usd: number }[] = [];
  private readonly calendars = new PeriodCalendars();
  private readonly holds = new Map<string, { readonly at: number; readonly usd: number }>();
  private turn: Promise<unknown> = Promise.resolve();

  /** One decision at a time, as the shared source does across processes; the hold counts until the cost is recorded. */
  reserve(requestId: string, holdUsd: number, at: number, decide: () => Promise<boolean>): Promise<boolean> {
    const run = this.turn.then(async () => {
      if (!(await decide())) return false;
      this.holds.set(requestId, { at, usd: holdUsd });
      return true;
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  record(costUsd: number, at: number, requestId?: string): void {
    if (requestId !== undefined) this.holds.delete(requestId);
    if (!(costUsd > 0)) return;
    this.entries.push({ at, usd: costUsd });
    const horizon = at - MONTH_SPAN_MS;
    if (this.entries.length > 0 && this.entries[0]!.at < horizon) {
      this.entries = this.entries.filter((entry) => entry.at >= horizon);
    }
  }

  spentUsd(period: BudgetPeriod, now: number, timeZone?: string): number {
    const { start } = this.calendars.get(timeZone).interval(period, now);
    let total = 0;
    for (const entry of this.entries) if (entry.at >= start && entry.at <= now) total += entry.usd;
    return total;
  }

  heldUsd(period: BudgetPeriod, now: number, timeZone?: string): number {
    const { start } = this.calendars.get(timeZone).interval(period, now);
    let total = 0;
    for (const hold of this.holds.values()) if (hold.at >= start && hold.at <= now) total += hold.usd;
    return total;
  }

}

export type BudgetDecision =
  | { readonly action: 'allow' }
  | {
      readonly action: 'block' | 'downgrade' | 'warn';
      readonly period: BudgetPeriod;
      readonly usedUsd: number;
      readonly limitUsd: number;
      readonly message: string;
    };

export type AlertThreshold = 0.9 | 1;
export const ALERT_THRESHOLDS: readonly AlertThreshold[] = [0.9, 1];

export interface BudgetAlert {
  readonly period: BudgetPeriod;
  readonly threshold: AlertThreshold;
  /** The calendar period it belongs to ("2026-03-09", "2026-03"). */
  readonly periodKey: string;
  readonly usedUsd: number;
  readonly limitUsd: number;
  readonly at: number;
  /** "Model Router: 91% of today's $5.00 budget used ($4.55)". */
  readonly message: string;
}

export interface BudgetStatus {
  readonly period: BudgetPeriod;
  readonly usedUsd: number;
  readonly limitUsd: number;
  /** usedUsd / limitUsd. */
  readonly fraction: number;
}

/**
 * Which alerts were raised: per `period:threshold`, the calendar key of the period it was last raised in. The default
 * lives in memory (once per period per process); the extension keeps it in its global state, so a window reload or a
 * second window does not raise the same alert again.
 */
export interface AlertMemory {
  get(slot: string): string | undefined;
  set(slot: string, periodKey: string): void;
}

export interface BudgetGateOptions {
  readonly clock?: Clock;
  readonly onListenerError?: (error: unknown) => void;
  readonly alertMemory?: AlertMemory;
}

/** Float sums of cents ($4.55 = 4.549999...) must not land just under a threshold or just over a limit. */
const EPSILON = 1e-9;


function periodName(period: BudgetPeriod): string {
  return period === 'day' ? "today's" : "this month's";
}

function limitOf(config: BudgetConfig, period: BudgetPeriod): number | undefined {
  return period === 'day' ? config.dailyUsd : config.monthlyUsd;
}

const ACTION_TAILS: Readonly<Record<'block' | 'downgrade' | 'warn', string>> = {
  block: 'request blocked',
  downgrade: 'trying a lighter tier',
  warn: 'sending anyway (budget action: warn)',
};

export class BudgetGate {
  private config: BudgetConfig;
  private calendar: PeriodCalendar;
  private readonly clock: Clock;
  /** Per period and threshold: the calendar key of the period it was last raised in. */
  private readonly raised: AlertMemory;
  private readonly alerts: Emitter<BudgetAlert>;
  /** Fires at most once per period and threshold; the next day or month re-arms it. */
  readonly onAlert: Listen<BudgetAlert>;

  constructor(
    config: BudgetConfig,
    private readonly spend: SpendSource,
    options: BudgetGateOptions = {},
  ) {
    this.config = config;
    this.calendar = new PeriodCalendar(config.timeZone);
    this.clock = options.clock ?? systemClock;
    this.raised = options.alertMemory ?? new Map<string, string>();
    this.alerts = new Emitter<BudgetAlert>(options.onListenerError);
    this.onAlert = this.alerts.event;
  }

  setConfig(config: BudgetConfig): void {
    this.calendar = new PeriodCalendar(config.timeZone);
    this.config = config;
  }

  /**
   * Whether a request estimated at `estimateUsd` may go. Exceeding means used + estimate > limit; a free request
   * (estimate 0) always passes, so a downgrade can end on a local model. When both periods would be exceeded the
   * month is reported: waiting for tomorrow would not help. Also raises due alerts.
   */
  async check(estimateUsd: number, now: number = this.clock.now()): Promise<BudgetDecision> {
    const statuses = await this.status(now);
    this.raiseAlerts(statuses, now);
    if (!(estimateUsd > 0)) return { action: 'allow' };
    // Requests in flight (here and in other windows and processes sharing the ledger) hold their maximum cost.
    const committed = await Promise.all(
      statuses.map(async (status) => ({ ...status, heldUsd: (await this.spend.heldUsd?.(status.period, now, this.calendar.timeZone)) ?? 0 })),
    );
    const exceeded = committed.reverse().find((status) => status.usedUsd + status.heldUsd + estimateUsd > status.limitUsd + EPSILON);
    if (!exceeded) return { action: 'allow' };
    const action = this.config.onExceed;
    const { period, limitUsd, heldUsd } = exceeded;
    const usedUsd = exceeded.usedUsd + heldUsd;
    const held = heldUsd > 0 ? ` + ${formatUsd(heldUsd)} held by requests in progress` : '';
    return {
      action,
      period,
      usedUsd,
      limitUsd,
      message:
        `Model Router: ${periodName(period)} ${formatUsd(limitUsd)} budget would be exceeded ` +
        `(${formatUsd(exceeded.usedUsd)} used${held} + ${formatUsd(estimateUsd)} estimated); ${ACTION_TAILS[action]}`,
    };
  }

  /**
   * Decides whether the request's next attempt may go, on its estimate, and if so holds its maximum cost (`maxUsd`:
   * the prompt and the most output the attempt can bring) until its actual cost is recorded, in one step, so that
   * concurrent requests (in this process, and with a shared source in every process and window using the same
   * ledger) see each other: each is admitted only if the spend, every other request's hold and its own estimate fit,
   * so together they can pass a limit by at most one request's maximum cost. `block` and `downgrade` refuse (the plan
   * already downgraded what it could; a request that lost the race to another is skipped, never sent over budget);
   * `warn` holds and returns the warning. Without a limit, or for a free attempt, nothing is held.
   */
  async hold(estimateUsd: number, maxUsd: number, requestId: string, at: number, now: number = this.clock.now()): Promise<BudgetDecision> {
    if (!(estimateUsd > 0) || (this.config.dailyUsd === undefined && this.config.monthlyUsd === undefined) || !this.spend.reserve) {
      return { action: 'allow' };
    }
    let verdict: BudgetDecision = { action: 'allow' };
    try {
      await this.spend.reserve(requestId, Math.max(estimateUsd, maxUsd), at, async () => {
        verdict = await this.check(estimateUsd, now);
        return verdict.action === 'allow' || verdict.action === 'warn';
      });
    } catch (error) {
      // The holds could not be read or written (another process kept their lock for seconds, a full disk): the
      // spend of other requests is unknown, so only `warn` sends.
      const action = this.config.onExceed;
      const why = errorMessage(error);
      return {
        action,
        period: 'day',
        usedUsd: 0,
        limitUsd: this.config.dailyUsd ?? this.config.monthlyUsd ?? 0,
        message: `Model Router: the budget could not be checked against other windows and processes (${why}); ${ACTION_TAILS[action]}`,
      };
    }
    return verdict;
  }

  /** Records a cost through the source (when it records) and raises due alerts. */
  async record(costUsd: number, at: number = this.clock.now(), requestId?: string): Promise<void> {
    await this.spend.record?.(costUsd, at, requestId);
    this.raiseAlerts(await this.status(at), at);
  }

  /** Spend against each configured limit ('day' before 'month'); periods without a limit are left out. */
  async status(now: number = this.clock.now()): Promise<readonly BudgetStatus[]> {
    const result: BudgetStatus[] = [];
    for (const period of BUDGET_PERIODS) {
      const limitUsd = limitOf(this.config, period);
      if (limitUsd === undefined) continue;
      const usedUsd = await this.spend.spentUsd(period, now, this.calendar.timeZone);
      const fraction = limitUsd > 0 ? usedUsd / limitUsd : usedUsd > 0 ? Number.POSITIVE_INFINITY : 0;
      result.push({ period, usedUsd, limitUsd, fraction });
    }
    return result;
  }

  dispose(): void {
    this.alerts.dispose();
  }

  /**
   * Raises the highest threshold crossed in each period unless it was already raised this period; crossing 100% at
   * once also counts as having raised 90% (one notification, not two).
   */
  private raiseAlerts(statuses: readonly BudgetStatus[], now: number): void {
    for (const status of statuses) {
      const key = this.calendar.key(status.period, now);
      const crossed = ALERT_THRESHOLDS.filter((threshold) => status.fraction + EPSILON >= threshold);
      const highest = crossed[crossed.length - 1];
      if (highest === undefined || this.raised.get(`${status.period}:${highest}`) === key) continue;
      for (const threshold of crossed) this.raised.set(`${status.period}:${threshold}`, key);
      const percent = Number.isFinite(status.fraction) ? Math.floor(status.fraction * 100 + EPSILON) : 100;
      this.alerts.fire({
        period: status.period,
        threshold: highest,
        periodKey: key,
        usedUsd: status.usedUsd,
        limitUsd: status.limitUsd,
        at: now,
        message:
          `Model Router: ${percent}% of ${periodName(status.period)} ${formatUsd(status.limitUsd)} budget used ` +
          `(${formatUsd(status.usedUsd)})`,
      });
    }
  }
}
