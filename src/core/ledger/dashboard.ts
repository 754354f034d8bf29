/**
 * The cost dashboard's data: one aggregate snapshot of the ledger ({@link dashboardSnapshot}), the recommendations
 * with what applying each would change ({@link dashboardRecommendations}), and the export of the shown range
 * ({@link dashboardExport}). Everything here is aggregates (plus one page of decisions): the webview never receives
 * raw rows in bulk.
 *
 * Numbers equal the ledger's queries (test/unit/dashboardData.test.ts checks it): budgets as `budgetUsage`, the daily
 * chart as `spendByDay`, breakdowns as `breakdown`, per-model statistics as `modelStats` (latency percentiles on the
 * histogram's grid: `latencyBinMs(exact)`, two significant digits), decisions as `latestDecisions`.
 *
 * Speed (1,000,000 requests over 90 days, 30-day view: see bench/dashboard.bench.ts). Every sum is read through
 * rollups.ts `sumRange`, from the coarsest table that covers a piece of the range exactly: request totals from
 * `request_daily` / `request_hourly` / `request_rollup` (whole UTC days, hours, quarter hours), attempt totals and
 * speeds from `attempt_hourly` / `speed_hourly`, latency percentiles from the daily histogram `latency_daily`, and
 * only the ragged edges from `requests` / `attempts`. Calendar days are cut in the budget's time zone (every zone's
 * offset is a multiple of 15 minutes, so a day is whole quarter hours; whole hours in most zones).
 */
import type { Database } from 'sql.js';

import type { BudgetConfig, Config } from '../config/types';
import { PeriodCalendar } from '../routing/budget';
import type { CostsFormat } from './export';
import { costsReport } from './export';
import type { FeedbackSummary } from './feedback';
import { feedbackSummaries } from './feedback';
import type { BreakdownRow, DecisionCursor, RequestSums } from './queries';
import { addSums, breakdownKey, breakdownRow, lastDays, latestDecisions, NANO_PER_USD, sortBreakdown } from './queries';
import type { Recommendation, RecommendationAction, RecommendationOptions } from './recommendations';
import { applyRecommendationAction, recommendations } from './recommendations';
import type { LedgerAttempt, LedgerRecord, LedgerVerification } from './record';
import type { RangeSums } from './rollups';
import { ATTEMPT_TOTALS, histogramPercentile, LATENCY_HISTOGRAM, REQUEST_TOTALS, SPEEDS, sumRange } from './rollups';
import { schemaVersion } from './schema';
import { sqlNumber, StatementCache } from './sqlite';

export const DASHBOARD_RANGES = [7, 30, 90] as const;
export type DashboardRange = (typeof DASHBOARD_RANGES)[number];
/** Decisions in the first page of the table; more are loaded with {@link dashboardDecisions}. */
export const DASHBOARD_DECISIONS = 25;
/** Share of a budget at which the dashboard warns (the budget gate alerts at the same point). */
export const BUDGET_WARNING_SHARE = 0.9;

export function isDashboardRange(value: unknown): value is DashboardRange {
  return (DASHBOARD_RANGES as readonly unknown[]).includes(value);
}

export interface DashboardBudget {
  readonly period: 'day' | 'month';
  /** "2026-03-09" or "2026-03" in the budget's time zone. */
  readonly periodKey: string;
  readonly usedUsd: number;
  /** Null when the period has no limit. */
  readonly limitUsd: number | null;
  /** used / limit × 100, finite; null without a limit or with a limit of 0. */
  readonly percent: number | null;
  /** none: no limit; warning: at or above 90%; over: at or above 100% (or any spend against a 0 limit). */
  readonly status: 'none' | 'ok' | 'warning' | 'over';
}

export interface DashboardSpend {
  /** "YYYY-MM-DD" of each day, oldest first; today last. */
  readonly days: readonly string[];
  /** Providers with any spend in the range, most expensive first ('(none)' for unanswered requests that cost). */
  readonly providers: readonly string[];
  /** usdByProvider[i][d]: USD of providers[i] on days[d]. */
  readonly usdByProvider: readonly (readonly number[])[];
  /** USD per day, every provider. */
  readonly totalUsd: readonly number[];
}

export interface DashboardTotals {
  readonly requests: number;
  readonly answered: number;
  /** answered / requests, 0..1 (0 without requests). */
  readonly successRate: number;
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export interface DashboardModel {
  readonly provider: string;
  readonly model: string;
  /** Requests sent to this model: every attempt (first tries, retries and fallbacks alike), as `modelStats`. */
  readonly requests: number;
  readonly ok: number;
  /** ok / requests, 0..1. */
  readonly successRate: number;
  /** Latency of successful attempts, nearest rank, on the histogram's grid (`latencyBinMs`); null without any. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  readonly costUsd: number;
  /**
   * Output tokens per second of generation (after the first token) over the successful attempts that reported
   * output; null without any.
   */
  readonly tokensPerSecond: number | null;
}

/** One attempt as the decisions table shows it: the ledger's attempt with its cost in USD. */
export interface DashboardAttempt
  extends Pick<
    LedgerAttempt,
    | 'seq'
    | 'startedAt'
    | 'provider'
    | 'model'
    | 'keyId'
    | 'status'
    | 'errorKind'
    | 'httpStatus'
    | 'latencyMs'
    | 'ttftMs'
    | 'inputTokens'
    | 'outputTokens'
    | 'priceUnknown'
    | 'verification'
  > {
  readonly costUsd: number;
}

/** What a cascade (verify-then-escalate) did for one request, as the decisions table shows it. */
export interface DashboardCascade {
  /** Which answer was shown: one that passed, one nothing could check, the best of those that failed; null: none. */
  readonly kept: 'pass' | 'unknown' | 'best-failing' | null;
  /** Answers checked. */
  readonly steps: number;
  /** The tier the first answer came from. */
  readonly startTier: string;
}

/** The verdict on the answer a cascade showed (its model's last checked attempt), failures only when stored. */
export type DashboardVerdict = Pick<LedgerVerification, 'verdict' | 'checks' | 'passed' | 'failed' | 'failures'>;

/**
 * One routed request as the decisions table shows it: the ledger's record with its cost in USD, never the instruction
 * text (nor, as anywhere, the code). {@link decisionOf} copies exactly these fields.
 */
export interface DashboardDecision
  extends Pick<
    LedgerRecord,
    | 'id'
    | 'startedAt'
    | 'agent'
    | 'command'
    | 'task'
    | 'complexity'
    | 'reasons'
    | 'requestedTier'
    | 'tier'
    | 'escalated'
    | 'downgraded'
    | 'forced'
    | 'strategy'
    | 'provider'
    | 'model'
    | 'outcome'
    | 'errorKind'
    | 'errorMessage'
    | 'fallbacks'
    | 'inputTokens'
    | 'outputTokens'
    | 'latencyMs'
    | 'ttftMs'
    | 'escalatedBy'
  > {
  readonly costUsd: number;
  readonly attempts: readonly DashboardAttempt[];
  /** Set when the request was routed as a cascade (absent otherwise, and for rows written before schema 6). */
  readonly cascade?: DashboardCascade;
  /** The shown answer's verdict; absent outside a cascade and when the cascade ended without a checked answer. */
  readonly verdict?: DashboardVerdict;
  /** Set when the answer came from the answer cache: when it was given, and what it saved. */
  readonly cached?: { readonly from: number; readonly savedUsd: number };
}

export interface DashboardDecisionPage {
  readonly decisions: readonly DashboardDecision[];
  /** True when older decisions exist (ask with the last one as the cursor). */
  readonly more: boolean;
}

/** The whole dashboard but its recommendations (those are slower; see {@link dashboardRecommendations}). */
export interface DashboardData {
  readonly generatedAt: number;
  /** The IANA zone days and months are cut in (the budget's, else the system's). */
  readonly timeZone: string;
  readonly rangeDays: DashboardRange;
  /** The range's calendar days: [start of the first day, end of today). */
  readonly from: number;
  readonly to: number;
  /** True when the ledger holds no request at all (the dashboard then explains how to make the first one). */
  readonly empty: boolean;
  readonly budgets: { readonly day: DashboardBudget; readonly month: DashboardBudget };
  readonly totals: DashboardTotals;
  readonly spend: DashboardSpend;
  /** Same rows, order and numbers as `breakdown(db, dimension, { from, to }, timeZone)`. */
  readonly byProvider: readonly BreakdownRow[];
  readonly byAgent: readonly BreakdownRow[];
  readonly byModel: readonly BreakdownRow[];
  readonly models: readonly DashboardModel[];
  readonly decisions: DashboardDecisionPage;
  /** Answers served from the answer cache in the range, and what they saved. */
  readonly cached: { readonly requests: number; readonly savedUsd: number };
  /** What users did with the answers, per agent and model (accepted, rejected, undone, comparison picks). */
  readonly feedback: readonly FeedbackSummary[];
  /** Load-balance weight per enabled provider, as the window's router sees it now (absent before it is built). */
  readonly weights?: readonly DashboardWeight[];
}

/** A provider's configured and effective load-balance weight (routing/performance.ts) and the figures behind it. */
export interface DashboardWeight {
  readonly provider: string;
  readonly weight: number;
  readonly effective: number;
  /** Decayed share of failed attempts (0..1); 0 when unmeasured. */
  readonly errorRate: number;
  /** Decayed median time of successful attempts; null when unknown. */
  readonly p50Ms: number | null;
  /** False while the provider has no recent attempts (its weight is the configured one). */
  readonly measured: boolean;
}

/**
 * Verify-then-escalate over the range: requests routed as a cascade and what became of them, and what the cascade
 * saved against sending each of them to the strongest tier. Counts may overlap (a request escalated by a failed check
 * can still be shown failing); every one is a subset of `requests`.
 */
export interface DashboardVerified {
  /** Requests routed as a cascade. */
  readonly requests: number;
  /** Answered on the tier they started on (the cheap one), by an answer that passed its checks or could not be checked. */
  readonly keptFirst: number;
  /** Of those, the ones whose answer passed its checks. */
  readonly keptFirstPassed: number;
  /** Sent one tier up (or more) because an answer failed its checks. */
  readonly escalated: number;
  /** Shown although their answer failed its checks (no stronger tier did better, or none could take it). */
  readonly bestFailing: number;
  /** Kept without a check (nothing in the request could be run). */
  readonly notChecked: number;
  /** Ended without any answer. */
  readonly unanswered: number;
  /** Requests with a strongest-tier estimate: the ones `savedNano` is over (older or unpriced ones have none). */
  readonly estimated: number;
  /** What those cost, in nano-dollars (exact). */
  readonly costNano: number;
  /** What those would have cost on the strongest tier (prompt + expected output), in nano-dollars. */
  readonly strongNano: number;
  /** strongNano - costNano: negative when the cascade cost more than the strongest tier would have. */
  readonly savedNano: number;
  /** How this window runs checks, once it has found out (the first request that carried checks); the host adds it. */
  readonly isolation?: { readonly level: 'full' | 'network' | 'none'; readonly method: string; readonly description: string };
}

export interface DashboardOptions {
  readonly now: number;
  readonly rangeDays: DashboardRange;
  /** Decisions in the first page (default {@link DASHBOARD_DECISIONS}). */
  readonly decisions?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// The snapshot
// ---------------------------------------------------------------------------------------------------------------

function requireSchema(db: Database): void {
  const version = schemaVersion(db);
  if (version < 3) throw new Error(`The dashboard needs ledger schema 3 or later (this ledger is at ${version}); open it through LedgerStore to migrate it.`);
}

function budgetOf(period: 'day' | 'month', periodKey: string, usedNano: number, limit: number | undefined): DashboardBudget {
  const usedUsd = usedNano / NANO_PER_USD;
  if (limit === undefined) return { period, periodKey, usedUsd, limitUsd: null, percent: null, status: 'none' };
  const percent = limit > 0 ? (usedUsd / limit) * 100 : null;
  const status =
    percent === null
      ? usedUsd > 0 ? 'over' : 'ok'
      : percent >= 100 ? 'over' : percent >= BUDGET_WARNING_SHARE * 100 ? 'warning' : 'ok';
  return { period, periodKey, usedUsd, limitUsd: limit, percent, status };
}

const num = sqlNumber;

function cachedOf(db: Database, from: number, to: number): DashboardData['cached'] {
  if (schemaVersion(db) < 7) return { requests: 0, savedUsd: 0 };
  const row = db.exec('SELECT COUNT(*), TOTAL(saved_nano) FROM requests WHERE cached_from IS NOT NULL AND started_at >= ? AND started_at < ?', [from, to])[0]?.values[0];
  return { requests: num(row?.[0] ?? 0), savedUsd: num(row?.[1] ?? 0) / NANO_PER_USD };
}

/**
 * Output tokens per second of generation per model (`provider/model`) over the successful attempts started in
 * [from, to) that reported output (the time after the first token; the whole attempt without a TTFT).
 */
export function modelSpeeds(db: Database, from: number, to: number): Map<string, number> {
  const statements = new StatementCache(db);
  try {
    const out = new Map<string, number>();
    for (const { keys, sums } of speedSums(statements, schemaVersion(db), from, to).values()) {
      const perSecond = tokensPerSecond(sums);
      if (perSecond !== null) out.set(`${keys.provider}/${keys.model}`, perSecond);
    }
    return out;
  } finally {
    statements.free();
  }
}

/**
 * Output tokens and generation ms per provider and model over [from, to): whole hours from `speed_hourly` (schema 8),
 * the ragged ends (or everything, on an older ledger) from the attempts.
 */
function speedSums(statements: StatementCache, version: number, from: number, to: number): Map<string, RangeSums<'provider' | 'model', 'tokens' | 'gen_ms'>> {
  return sumRange(statements, SPEEDS, { from, to }, { by: ['provider', 'model'], version });
}

/** Output tokens per second of generation; null without output or time. */
export function tokensPerSecond(speed: { readonly tokens: number; readonly gen_ms: number } | undefined): number | null {
  return speed && speed.tokens > 0 && speed.gen_ms > 0 ? speed.tokens / (speed.gen_ms / 1000) : null;
}

function modelsOf(statements: StatementCache, from: number, to: number, version: number): DashboardModel[] {
  const range = { from, to };
  const byModel = { by: ['provider', 'model'] as const, version };
  // Latency histogram: whole UTC days from latency_daily, the partial days at both ends from the attempts.
  const histograms = new Map<string, [number, number][]>();
  for (const { keys, sums } of sumRange(statements, LATENCY_HISTOGRAM, range, { by: ['provider', 'model', 'latency_bin'], version }).values()) {
    const key = `${keys.provider}\u0000${keys.model}`;
    let bins = histograms.get(key);
    if (!bins) histograms.set(key, (bins = []));
    bins.push([Number(keys.latency_bin), sums.count]);
  }
  // Generation speed: output tokens over the time after the first token, of successful attempts with output.
  const speed = speedSums(statements, version, from, to);
  const models: DashboardModel[] = [];
  for (const [key, { keys: { provider, model }, sums: s }] of sumRange(statements, ATTEMPT_TOTALS, range, byModel)) {
    const bins = (histograms.get(key) ?? []).sort((a, b) => a[0] - b[0]);
    models.push({
      provider,
      model,
      requests: s.attempts,
      ok: s.ok,
      successRate: s.attempts > 0 ? s.ok / s.attempts : 0,
      latencyP50Ms: histogramPercentile(bins, 50),
      latencyP95Ms: histogramPercentile(bins, 95),
      inputTokens: s.input_tokens,
      outputTokens: s.output_tokens,
      cacheRead: s.cache_read_tokens,
      cacheWrite: s.cache_write_tokens,
      costUsd: s.cost_nano / NANO_PER_USD,
      tokensPerSecond: tokensPerSecond(speed.get(key)?.sums),
    });
  }
  return models.sort(
    (a, b) => b.requests - a.requests || `${a.provider}/${a.model}`.localeCompare(`${b.provider}/${b.model}`),
  );
}

const VERIFIED_SQL = `SELECT COUNT(*),
  TOTAL(cascade_steps = 1 AND cascade_kept IN ('pass', 'unknown')),
  TOTAL(cascade_steps = 1 AND cascade_kept = 'pass'),
  TOTAL(escalated_by = 'verification'),
  TOTAL(cascade_kept = 'best-failing'),
  TOTAL(cascade_kept = 'unknown'),
  TOTAL(cascade_kept IS NULL),
  TOTAL(strong_estimate_nano IS NOT NULL),
  TOTAL(CASE WHEN strong_estimate_nano IS NOT NULL THEN cost_nano END),
  TOTAL(strong_estimate_nano)
FROM requests WHERE started_at >= ? AND started_at < ? AND cascade_steps IS NOT NULL`;

const NO_CASCADES: DashboardVerified = {
  requests: 0, keptFirst: 0, keptFirstPassed: 0, escalated: 0, bestFailing: 0, notChecked: 0, unanswered: 0,
  estimated: 0, costNano: 0, strongNano: 0, savedNano: 0,
};

/**
 * The cascades of the dashboard's range (schema 6 columns; zeros on an older ledger). It is one range-bounded pass
 * over the raw requests (no rollup holds the cascade columns), so it is not part of the snapshot: the panel asks for
 * it after the first paint, as for the recommendations (bench/dashboard.bench.ts measures both).
 */
export function dashboardVerified(db: Database, budget: BudgetConfig, options: Pick<DashboardOptions, 'now' | 'rangeDays'>): DashboardVerified {
  const days = lastDays(new PeriodCalendar(budget.timeZone), options.now, options.rangeDays);
  return verifiedBetween(db, days[0]!.start, days[days.length - 1]!.end);
}

/** The cascades started in [from, to). */
export function verifiedBetween(db: Database, from: number, to: number): DashboardVerified {
  if (schemaVersion(db) < 6 || to <= from) return NO_CASCADES;
  const statements = new StatementCache(db);
  let result = NO_CASCADES;
  try {
    statements.each(VERIFIED_SQL, [from, to], (row) => {
      const [requests, keptFirst, keptFirstPassed, escalated, bestFailing, notChecked, unanswered, estimated, costNano, strongNano] = row.map(num);
      if (!requests) return;
      result = {
        requests,
        keptFirst: keptFirst!,
        keptFirstPassed: keptFirstPassed!,
        escalated: escalated!,
        bestFailing: bestFailing!,
        notChecked: notChecked!,
        unanswered: unanswered!,
        estimated: estimated!,
        costNano: costNano!,
        strongNano: strongNano!,
        savedNano: strongNano! - costNano!,
      };
    });
  } finally {
    statements.free();
  }
  return result;
}

function decisionOf(record: LedgerRecord): DashboardDecision {
  return {
    id: record.id,
    startedAt: record.startedAt,
    agent: record.agent,
    command: record.command,
    task: record.task,
    complexity: record.complexity,
    reasons: record.reasons,
    requestedTier: record.requestedTier,
    tier: record.tier,
    escalated: record.escalated,
    downgraded: record.downgraded,
    forced: record.forced,
    strategy: record.strategy,
    provider: record.provider,
    model: record.model,
    outcome: record.outcome,
    errorKind: record.errorKind,
    errorMessage: record.errorMessage,
    fallbacks: record.fallbacks,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    costUsd: record.costNano / NANO_PER_USD,
    latencyMs: record.latencyMs,
    ttftMs: record.ttftMs,
    ...(record.escalatedBy === 'verification' ? { escalatedBy: 'verification' as const } : {}),
    ...cascadeOf(record),
    ...(record.cached ? { cached: { from: record.cached.from, savedUsd: record.cached.savedNano / NANO_PER_USD } } : {}),
    attempts: record.attempts.map((a) => ({
      seq: a.seq,
      startedAt: a.startedAt,
      provider: a.provider,
      model: a.model,
      keyId: a.keyId,
      status: a.status,
      errorKind: a.errorKind,
      httpStatus: a.httpStatus,
      latencyMs: a.latencyMs,
      ttftMs: a.ttftMs,
      inputTokens: a.inputTokens,
      outputTokens: a.outputTokens,
      costUsd: a.costNano / NANO_PER_USD,
      ...(a.priceUnknown === true ? { priceUnknown: true as const } : {}),
      ...(a.verification ? { verification: a.verification } : {}),
    })),
  };
}

const KEPT: ReadonlySet<string> = new Set(['pass', 'unknown', 'best-failing']);

/**
 * A cascade's fields of a decision: what it kept and the verdict on the shown answer, which is the last checked
 * attempt of the model the request names (as the router's `shownVerdict`); nothing for a request that was no cascade.
 */
function cascadeOf(record: LedgerRecord): Pick<DashboardDecision, 'cascade' | 'verdict'> {
  const cascade = record.cascade;
  if (!cascade) return {};
  const kept = cascade.kept !== null && KEPT.has(cascade.kept) ? (cascade.kept as DashboardCascade['kept']) : null;
  let shown: LedgerVerification | undefined;
  if (kept !== null) {
    for (let i = record.attempts.length - 1; i >= 0 && !shown; i -= 1) {
      const attempt = record.attempts[i]!;
      if (attempt.verification && attempt.provider === record.provider && attempt.model === record.model) shown = attempt.verification;
    }
  }
  return {
    cascade: { kept, steps: cascade.steps, startTier: cascade.startTier },
    ...(shown
      ? {
          verdict: {
            verdict: shown.verdict,
            checks: shown.checks,
            passed: shown.passed,
            failed: shown.failed,
            ...(shown.failures ? { failures: shown.failures } : {}),
          },
        }
      : {}),
  };
}

/** One page of decisions, newest first, older than `before` when given (as `latestDecisions`). */
export function dashboardDecisions(db: Database, limit: number, before?: DecisionCursor): DashboardDecisionPage {
  const count = Math.max(1, Math.min(200, Math.floor(limit)));
  const records = latestDecisions(db, count + 1, before);
  return { decisions: records.slice(0, count).map(decisionOf), more: records.length > count };
}

/**
 * Everything the dashboard shows but the recommendations, for the last `rangeDays` calendar days (today included)
 * in the budget's time zone, at `now`. Needs ledger schema 3 (LedgerStore migrates on open).
 */
export function dashboardSnapshot(db: Database, budget: BudgetConfig, options: DashboardOptions): DashboardData {
  requireSchema(db);
  const { now, rangeDays } = options;
  const calendar = new PeriodCalendar(budget.timeZone);
  const statements = new StatementCache(db);
  try {
    const version = schemaVersion(db);
    const total = (from: number, to: number): number =>
      sumRange(statements, REQUEST_TOTALS, { from, to }, { by: [], version }).get('')?.sums.cost_nano ?? 0;
    const today = calendar.interval('day', now);
    const month = calendar.interval('month', now);
    const budgets = {
      day: budgetOf('day', calendar.key('day', now), total(today.start, today.end), budget.dailyUsd),
      month: budgetOf('month', calendar.key('month', now), total(month.start, month.end), budget.monthlyUsd),
    };

    const days = lastDays(calendar, now, rangeDays);
    const from = days[0]!.start;
    const to = days[days.length - 1]!.end;
    // One query per day grouped by provider, model and agent (a small sort each; one sort over the whole range is
    // several times slower in sql.js) gives both the chart's stacks and the range's breakdowns.
    const byProvider = new Map<string, RequestSums>();
    const byModel = new Map<string, RequestSums>();
    const byAgent = new Map<string, RequestSums>();
    const all = new Map<string, RequestSums>();
    const perDay = days.map(({ start, end }) => {
      const dayByProvider = new Map<string, number>();
      const rows = sumRange(statements, REQUEST_TOTALS, { from: start, to: end }, { by: ['provider', 'model', 'agent'], version });
      for (const { keys, sums } of rows.values()) {
        const providerKey = breakdownKey('provider', keys);
        dayByProvider.set(providerKey, (dayByProvider.get(providerKey) ?? 0) + sums.cost_nano);
        addSums(byProvider, providerKey, sums);
        addSums(byModel, breakdownKey('model', keys), sums);
        addSums(byAgent, breakdownKey('agent', keys), sums);
        addSums(all, '', sums);
      }
      return dayByProvider;
    });
    const totals = all.get('') ?? { requests: 0, answered: 0, cost_nano: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 };
    const rows = (map: Map<string, RequestSums>): BreakdownRow[] =>
      sortBreakdown([...map].map(([key, sums]) => breakdownRow(key, sums)));
    const providerRows = rows(byProvider);

    const chartProviders = [...new Set(perDay.flatMap((map) => [...map.keys()]))].sort((a, b) => {
      const cost = (p: string): number => perDay.reduce((sum, map) => sum + (map.get(p) ?? 0), 0);
      return cost(b) - cost(a) || (a < b ? -1 : a > b ? 1 : 0);
    });
    const spend: DashboardSpend = {
      days: days.map((d) => d.key),
      providers: chartProviders,
      usdByProvider: chartProviders.map((p) => perDay.map((map) => (map.get(p) ?? 0) / NANO_PER_USD)),
      totalUsd: perDay.map((map) => [...map.values()].reduce((sum, nano) => sum + nano, 0) / NANO_PER_USD),
    };

    const empty = db.exec('SELECT EXISTS (SELECT 1 FROM requests)')[0]?.values[0]?.[0] !== 1;
    return {
      generatedAt: now,
      timeZone: calendar.timeZone,
      rangeDays,
      from,
      to,
      empty,
      budgets,
      totals: {
        requests: totals.requests,
        answered: totals.answered,
        successRate: totals.requests > 0 ? totals.answered / totals.requests : 0,
        costUsd: totals.cost_nano / NANO_PER_USD,
        inputTokens: totals.input_tokens,
        outputTokens: totals.output_tokens,
        cacheRead: totals.cache_read_tokens,
        cacheWrite: totals.cache_write_tokens,
      },
      spend,
      byProvider: providerRows,
      byAgent: rows(byAgent),
      byModel: rows(byModel),
      models: modelsOf(statements, from, to, version),
      decisions: dashboardDecisions(db, options.decisions ?? DASHBOARD_DECISIONS),
      cached: cachedOf(db, from, to),
      feedback: feedbackSummaries(db, { from, to }),
    };
  } finally {
    statements.free();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Recommendations and export
// ---------------------------------------------------------------------------------------------------------------

/** A recommendation as the dashboard lists it, with the settings applying it would write. */
export interface DashboardRecommendation {
  /** Stable for the same advice ("cheaper-tier:reviewer:openai"): the webview names a recommendation by it. */
  readonly id: string;
  readonly kind: Recommendation['kind'];
  readonly title: string;
  readonly detail: string;
  /** USD saved over a window like the range (0 for time recommendations). */
  readonly savingsUsd: number;
  /** Waiting saved over a window like the range, in ms (0 for money recommendations). */
  readonly savedMs: number;
  readonly action: RecommendationAction;
  /** The agents' new chains: what applying writes (agent id → provider ids in order). Never empty. */
  readonly changes: Readonly<Record<string, readonly string[]>>;
}

export function recommendationId(recommendation: Recommendation): string {
  switch (recommendation.kind) {
    case 'cheaper-tier':
      return `cheaper-tier:${recommendation.agent}:${recommendation.target.provider}`;
    case 'failing-head':
      return `failing-head:${recommendation.agent}:${recommendation.provider}`;
    case 'slow-model':
      return `slow-model:${recommendation.tier}:${recommendation.provider}/${recommendation.model}`;
    case 'rejected-head':
    case 'accepted-cheaper':
      return `${recommendation.kind}:${recommendation.agent}:${recommendation.provider}`;
  }
}

/**
 * The ledger's recommendations over the dashboard's range, each with the chains it would write; those that would
 * change nothing are left out. It reads the rollups of schema 4 (raw rows only at the range's ragged ends), yet
 * is still slower than the snapshot on a large ledger (it reads every TTFT of the range for exact medians): the
 * panel asks for it after the first paint.
 */
export function dashboardRecommendations(
  db: Database,
  config: Config,
  options: DashboardOptions & { readonly recommendations?: RecommendationOptions },
): DashboardRecommendation[] {
  const days = lastDays(new PeriodCalendar(config.budget.timeZone), options.now, options.rangeDays);
  const range = { from: days[0]!.start, to: days[days.length - 1]!.end };
  const seen = new Set<string>();
  const result: DashboardRecommendation[] = [];
  for (const recommendation of recommendations(db, config, range, options.recommendations)) {
    const changes = applyRecommendationAction(config.agents, recommendation.action);
    const id = recommendationId(recommendation);
    if (Object.keys(changes).length === 0 || seen.has(id)) continue;
    seen.add(id);
    result.push({
      id,
      kind: recommendation.kind,
      title: recommendation.title,
      detail: recommendation.detail,
      savingsUsd: recommendation.savingsUsd,
      savedMs: recommendation.savedMs,
      action: recommendation.action,
      changes,
    });
  }
  return result;
}

export interface DashboardExport {
  /** A file name to offer in the save dialog: "model-router-costs-2026-02-19-to-2026-03-20.csv". */
  readonly fileName: string;
  readonly content: string;
}

/**
 * Every request of the dashboard's range (its first day to now) as CSV or JSON, in the format of `model-router
 * costs` (export.ts: formula-safe CSV, one line per request with its attempts summed up).
 */
export function dashboardExport(
  db: Database,
  budget: BudgetConfig,
  options: { readonly now: number; readonly rangeDays: DashboardRange; readonly format: CostsFormat },
): DashboardExport {
  const calendar = new PeriodCalendar(budget.timeZone);
  const days = lastDays(calendar, options.now, options.rangeDays);
  const first = days[0]!.key;
  const last = days[days.length - 1]!.key;
  const content = costsReport(db, {
    format: options.format,
    since: first,
    now: options.now,
    timeZone: budget.timeZone,
  });
  return { fileName: `model-router-costs-${first}-to-${last}.${options.format}`, content };
}
