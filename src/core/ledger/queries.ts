/**
 * Read-only questions over the ledger's `requests` and `attempts` tables, for the dashboard, the status bar and the
 * CLI. Every function returns aggregates (or one page of decisions), never the table in bulk.
 *
 * Conventions:
 * - A range is [from, to) in epoch milliseconds, filtered on `started_at` (indexed).
 * - Money and tokens of a request are attributed to the request (its chosen provider and model; '(none)' when no
 *   attempt answered), so every breakdown sums to the same total as the budget's spend.
 * - Calendar days are days in an IANA time zone, cut with {@link PeriodCalendar}; each day is its own index range.
 * - Percentiles are nearest-rank (as in bench/report.ts) over the values of the range.
 */
import type { Database, SqlValue } from 'sql.js';

import { PeriodCalendar } from '../routing/budget';
import type { LedgerAttempt, LedgerRecord, LedgerVerification } from './record';
import { LEDGER_RECORD_VERSION } from './record';
import type { SumsOf, TimeRange } from './rollups';
import { percentileOfSorted, REQUEST_TOTALS, sumRange } from './rollups';
import { schemaVersion } from './schema';
import { forEachRow, sqlNumber, StatementCache } from './sqlite';

export const NANO_PER_USD = 1e9;
/** Key of rows whose provider or model is null (no attempt answered). */
export const NONE_KEY = '(none)';

export type BreakdownDimension = 'provider' | 'agent' | 'model' | 'day';
export const BREAKDOWN_DIMENSIONS: readonly BreakdownDimension[] = ['provider', 'agent', 'model', 'day'];

export interface BreakdownRow {
  /** Provider id, agent id, "provider/model", or "YYYY-MM-DD" in the time zone. */
  readonly key: string;
  readonly requests: number;
  readonly costUsd: number;
  /** Exact cost; costUsd is this / 1e9. */
  readonly costNano: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  /** Answered / requests, 0..1. */
  readonly successRate: number;
}

const num = sqlNumber;
const str = (value: SqlValue | undefined): string => (value === null || value === undefined ? NONE_KEY : String(value));

/** The request sums {@link sumRange} reads over {@link REQUEST_TOTALS}, by column name. */
export type RequestSums = SumsOf<typeof REQUEST_TOTALS>;

/** A breakdown row of `key` from request sums. */
export function breakdownRow(key: string, sums: Readonly<RequestSums>): BreakdownRow {
  const { requests, cost_nano: costNano } = sums;
  return {
    key,
    requests,
    costUsd: costNano / NANO_PER_USD,
    costNano,
    inputTokens: sums.input_tokens,
    outputTokens: sums.output_tokens,
    cacheRead: sums.cache_read_tokens,
    cacheWrite: sums.cache_write_tokens,
    successRate: requests > 0 ? sums.answered / requests : 0,
  };
}

/** A calendar day: "YYYY-MM-DD" in its zone, and its epoch-ms interval [start, end). */
export interface CalendarDay {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/** The calendar days (in `calendar`'s zone) that overlap [from, to), oldest first, each clipped to the range. */
export function daysIn(range: TimeRange, calendar: PeriodCalendar): CalendarDay[] {
  const days: CalendarDay[] = [];
  let at = range.from;
  while (at < range.to) {
    const { end } = calendar.interval('day', at);
    days.push({ key: calendar.key('day', at), start: at, end: Math.min(end, range.to) });
    at = end;
  }
  return days;
}

/** The last `count` whole calendar days (in `calendar`'s zone) ending with the one containing `now`, oldest first. */
export function lastDays(calendar: PeriodCalendar, now: number, count: number): CalendarDay[] {
  const days: CalendarDay[] = [];
  let at = now;
  for (let i = 0; i < count; i += 1) {
    const { start, end } = calendar.interval('day', at);
    days.push({ key: calendar.key('day', at), start, end });
    at = start - 1;
  }
  return days.reverse();
}

/**
 * The breakdown key of a provider, an agent or a model ("provider/model"); {@link NONE_KEY} where the rollup row has
 * '' (none). The dashboard keys its breakdowns with it too.
 */
export function breakdownKey(by: Exclude<BreakdownDimension, 'day'>, keys: Readonly<Partial<Record<'provider' | 'model' | 'agent', string>>>): string {
  const value = by === 'model' ? keys.model : keys[by];
  if (!value) return NONE_KEY;
  return by === 'model' ? `${keys.provider || NONE_KEY}/${value}` : value;
}

/**
 * Requests in [from, to) grouped by provider, agent, model ("provider/model") or day (in `timeZone`, else the
 * system's). Sorted by cost (highest first), then key; days oldest first, days without requests left out. Read
 * through the request rollups ({@link sumRange}): whole UTC days, hours and quarter hours from the tables, only the
 * ragged minutes at the very edges from `requests`. A day in any zone is read exactly: its ends fall in hours (or,
 * at :30 and :45 offsets, in quarter hours) read whole from the finer tables.
 */
export function breakdown(
  db: Database,
  by: BreakdownDimension,
  range: TimeRange,
  timeZone?: string,
): BreakdownRow[] {
  const version = schemaVersion(db);
  const statements = new StatementCache(db);
  try {
    if (by === 'day') {
      const rows: BreakdownRow[] = [];
      for (const day of daysIn(range, new PeriodCalendar(timeZone))) {
        const total = sumRange(statements, REQUEST_TOTALS, { from: day.start, to: day.end }, { by: [], version }).get('');
        if (total) rows.push(breakdownRow(day.key, total.sums));
      }
      return rows;
    }
    const totals = new Map<string, RequestSums>();
    for (const { keys, sums } of sumRange(statements, REQUEST_TOTALS, range, { by: by === 'model' ? ['provider', 'model'] : [by], version }).values()) {
      addSums(totals, breakdownKey(by, keys), sums);
    }
    return sortBreakdown([...totals].map(([key, sums]) => breakdownRow(key, sums)));
  } finally {
    statements.free();
  }
}

/** Adds `sums` to the sums of `key` in `totals`. */
export function addSums<S extends string>(totals: Map<string, Record<S, number>>, key: string, sums: Readonly<Record<S, number>>): void {
  const total = totals.get(key);
  if (!total) {
    totals.set(key, { ...sums });
    return;
  }
  for (const name of Object.keys(sums) as S[]) total[name] += sums[name];
}

/** Breakdown rows by cost, highest first, then by key. */
export function sortBreakdown(rows: BreakdownRow[]): BreakdownRow[] {
  return rows.sort((a, b) => b.costNano - a.costNano || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface ModelStats {
  readonly provider: string;
  readonly model: string;
  /** Attempts sent to this model in the range (first tries, retries and fallbacks alike). */
  readonly attempts: number;
  readonly ok: number;
  /** ok / attempts, 0..1. */
  readonly successRate: number;
  /** Latency of successful attempts (ms), nearest rank; NaN without any. */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  /** Time to first token of successful attempts that reported one (ms); NaN without any. */
  readonly ttftP50Ms: number;
  readonly ttftP95Ms: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  readonly costUsd: number;
  readonly costNano: number;
}

/**
 * Per provider/model, from `attempts` (a request's latency includes its fallbacks, so it says little about one
 * model): attempts, success rate, latency and TTFT p50/p95 of successful attempts, tokens and cost. Sorted by
 * attempts, highest first. Percentiles read one sorted column per model (the values, not the rows).
 */
export function modelStats(db: Database, range: TimeRange): ModelStats[] {
  const params = [range.from, range.to - 1];
  const totals = new Map<string, { provider: string; model: string; row: SqlValue[] }>();
  forEachRow(
    db,
    `SELECT provider, model, COUNT(*), TOTAL(status = 'ok'), TOTAL(input_tokens), TOTAL(output_tokens),
       TOTAL(cache_read_tokens), TOTAL(cache_write_tokens), TOTAL(cost_nano)
     FROM attempts WHERE started_at BETWEEN ? AND ? GROUP BY provider, model`,
    params,
    (row) => totals.set(`${String(row[0])}\u0000${String(row[1])}`, { provider: String(row[0]), model: String(row[1]), row }),
  );
  const latency = new Map<string, number[]>();
  const ttft = new Map<string, number[]>();
  forEachRow(
    db,
    `SELECT provider, model, latency_ms, ttft_ms FROM attempts
     WHERE started_at BETWEEN ? AND ? AND status = 'ok'`,
    params,
    (row) => {
      const key = `${String(row[0])}\u0000${String(row[1])}`;
      let l = latency.get(key);
      if (!l) {
        l = [];
        latency.set(key, l);
        ttft.set(key, []);
      }
      l.push(num(row[2]));
      if (row[3] !== null) ttft.get(key)!.push(num(row[3]));
    },
  );
  const result: ModelStats[] = [];
  for (const [key, { provider, model, row }] of totals) {
    const l = (latency.get(key) ?? []).sort((a, b) => a - b);
    const t = (ttft.get(key) ?? []).sort((a, b) => a - b);
    const attempts = num(row[2]);
    const ok = num(row[3]);
    const costNano = num(row[8]);
    result.push({
      provider,
      model,
      attempts,
      ok,
      successRate: attempts > 0 ? ok / attempts : 0,
      latencyP50Ms: percentileOfSorted(l, 50),
      latencyP95Ms: percentileOfSorted(l, 95),
      ttftP50Ms: percentileOfSorted(t, 50),
      ttftP95Ms: percentileOfSorted(t, 95),
      inputTokens: num(row[4]),
      outputTokens: num(row[5]),
      cacheRead: num(row[6]),
      cacheWrite: num(row[7]),
      costUsd: costNano / NANO_PER_USD,
      costNano,
    });
  }
  return result.sort((a, b) => b.attempts - a.attempts || `${a.provider}/${a.model}`.localeCompare(`${b.provider}/${b.model}`));
}

export const REQUEST_SELECT = `SELECT id, started_at, finished_at, agent, command, task, complexity, reasons,
  requested_tier, tier, escalated, downgraded, forced, strategy, provider, model, outcome, error_kind, error_message,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_nano, estimate_nano, latency_ms, ttft_ms,
  fallbacks, instruction, escalated_by, cascade_kept, cascade_steps, cascade_start_tier, strong_estimate_nano,
  cached_from, saved_nano
  FROM requests`;

export const ATTEMPT_COLUMNS_SQL = `request_id, seq, started_at, provider, model, key_id, status, error_kind,
  http_status, latency_ms, ttft_ms, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_nano,
  usage_estimated, price_unknown, verdict, checks, checks_passed, checks_failed, verify_ms, isolation, verify_failures`;

const nullableNum = (value: SqlValue | undefined): number | null => (value === null || value === undefined ? null : num(value));
const nullableStr = (value: SqlValue | undefined): string | null => (value === null || value === undefined ? null : String(value));

function parseReasons(value: SqlValue | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(String(value ?? '[]'));
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** A `requests` row (columns of {@link REQUEST_SELECT}) as a record, with the given attempts. */
export function requestFromRow(row: readonly SqlValue[], attempts: readonly LedgerAttempt[]): LedgerRecord {
  return {
    v: LEDGER_RECORD_VERSION,
    id: String(row[0]),
    startedAt: num(row[1]),
    finishedAt: num(row[2]),
    agent: String(row[3]),
    command: nullableStr(row[4]),
    task: String(row[5]),
    complexity: nullableNum(row[6]),
    reasons: parseReasons(row[7]),
    requestedTier: String(row[8]),
    tier: String(row[9]),
    escalated: num(row[10]) !== 0,
    downgraded: num(row[11]) !== 0,
    forced: num(row[12]) !== 0,
    strategy: String(row[13]),
    provider: nullableStr(row[14]),
    model: nullableStr(row[15]),
    outcome: String(row[16]),
    errorKind: nullableStr(row[17]),
    errorMessage: nullableStr(row[18]),
    inputTokens: num(row[19]),
    outputTokens: num(row[20]),
    cacheReadTokens: num(row[21]),
    cacheWriteTokens: num(row[22]),
    costNano: num(row[23]),
    estimateNano: nullableNum(row[24]),
    latencyMs: num(row[25]),
    ttftMs: nullableNum(row[26]),
    fallbacks: num(row[27]),
    instruction: nullableStr(row[28]),
    ...(row[29] === 'verification' ? { escalatedBy: 'verification' as const } : {}),
    ...(row[31] !== null && row[31] !== undefined
      ? {
          cascade: {
            kept: nullableStr(row[30]),
            steps: num(row[31]),
            startTier: String(row[32] ?? ''),
            strongEstimateNano: nullableNum(row[33]),
          },
        }
      : {}),
    ...(row[34] !== null && row[34] !== undefined ? { cached: { from: num(row[34]), savedNano: num(row[35]) } } : {}),
    attempts,
  };
}

/** An `attempts` row (columns of {@link ATTEMPT_COLUMNS_SQL}, request_id first) as a ledger attempt. */
export function attemptFromRow(row: readonly SqlValue[]): LedgerAttempt {
  return {
    seq: num(row[1]),
    startedAt: num(row[2]),
    provider: String(row[3]),
    model: String(row[4]),
    keyId: String(row[5]),
    status: row[6] === 'ok' ? 'ok' : 'error',
    errorKind: nullableStr(row[7]),
    httpStatus: nullableNum(row[8]),
    latencyMs: num(row[9]),
    ttftMs: nullableNum(row[10]),
    inputTokens: num(row[11]),
    outputTokens: num(row[12]),
    cacheReadTokens: num(row[13]),
    cacheWriteTokens: num(row[14]),
    costNano: num(row[15]),
    usageEstimated: num(row[16]) !== 0,
    ...(num(row[17]) !== 0 ? { priceUnknown: true as const } : {}),
    ...(row[18] === 'pass' || row[18] === 'fail' || row[18] === 'unknown'
      ? {
          verification: {
            verdict: row[18],
            checks: num(row[19]),
            passed: num(row[20]),
            failed: num(row[21]),
            ms: num(row[22]),
            isolation: nullableStr(row[23]),
            ...(row[24] !== null && row[24] !== undefined ? { failures: parseFailures(row[24]) } : {}),
          },
        }
      : {}),
  };
}

function parseFailures(value: SqlValue): NonNullable<LedgerVerification['failures']> {
  try {
    const parsed: unknown = JSON.parse(String(value));
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null)
      .map((f) => ({
        kind: typeof f.kind === 'string' ? f.kind : '',
        name: typeof f.name === 'string' ? f.name : '',
        ...(typeof f.expected === 'string' ? { expected: f.expected } : {}),
        ...(typeof f.got === 'string' ? { got: f.got } : {}),
        ...(typeof f.detail === 'string' ? { detail: f.detail } : {}),
      }));
  } catch {
    return [];
  }
}

export interface DecisionCursor {
  readonly startedAt: number;
  readonly id: string;
}

/**
 * The `limit` latest decisions (newest first, ties by id descending) with their attempts in order, for the
 * dashboard's table. `before` pages on: pass the last decision of the previous page (a number means "started
 * before this time"). `limit` is clamped to 1..1000.
 */
export function latestDecisions(db: Database, limit: number, before?: number | DecisionCursor): LedgerRecord[] {
  const count = Math.max(1, Math.min(1000, Math.floor(limit)));
  const rows: SqlValue[][] = [];
  if (before === undefined) {
    forEachRow(db, `${REQUEST_SELECT} ORDER BY started_at DESC, id DESC LIMIT ?`, [count], (row) => rows.push(row));
  } else if (typeof before === 'number') {
    forEachRow(db, `${REQUEST_SELECT} WHERE started_at < ? ORDER BY started_at DESC, id DESC LIMIT ?`, [before, count], (row) => rows.push(row));
  } else {
    forEachRow(
      db,
      `${REQUEST_SELECT} WHERE started_at < ? OR (started_at = ? AND id < ?) ORDER BY started_at DESC, id DESC LIMIT ?`,
      [before.startedAt, before.startedAt, before.id, count],
      (row) => rows.push(row),
    );
  }
  if (rows.length === 0) return [];
  const attempts = new Map<string, LedgerAttempt[]>();
  forEachRow(
    db,
    `SELECT ${ATTEMPT_COLUMNS_SQL} FROM attempts WHERE request_id IN (${rows.map(() => '?').join(', ')})
     ORDER BY request_id, seq`,
    rows.map((row) => row[0]!),
    (row) => {
      const id = String(row[0]);
      let list = attempts.get(id);
      if (!list) {
        list = [];
        attempts.set(id, list);
      }
      list.push(attemptFromRow(row));
    },
  );
  return rows.map((row) => requestFromRow(row, attempts.get(String(row[0])) ?? []));
}

export interface DaySpend {
  /** "YYYY-MM-DD" in the time zone. */
  readonly day: string;
  readonly start: number;
  readonly end: number;
  readonly totalUsd: number;
  /** USD per provider ('(none)' for requests nobody answered that still cost something); only providers with rows. */
  readonly byProvider: Readonly<Record<string, number>>;
}

/**
 * Spend of the last `days` calendar days in `timeZone` (today included, oldest first, every day present even when
 * empty), stacked by provider: the dashboard's 30-day chart.
 */
export function spendByDay(db: Database, days: number, timeZone: string | undefined, now: number): DaySpend[] {
  return lastDays(new PeriodCalendar(timeZone), now, Math.max(0, Math.floor(days))).map(({ key, start, end }): DaySpend => {
    const byProvider: Record<string, number> = {};
    let totalNano = 0;
    forEachRow(
      db,
      'SELECT provider, TOTAL(cost_nano) FROM requests WHERE started_at BETWEEN ? AND ? GROUP BY provider',
      [start, end - 1],
      (row) => {
        const nano = num(row[1]);
        totalNano += nano;
        byProvider[str(row[0])] = nano / NANO_PER_USD;
      },
    );
    return { day: key, start, end, totalUsd: totalNano / NANO_PER_USD, byProvider };
  });
}

/**
 * The attempts started in `range`, newest first, at most `limit` (default 5,000), as the performance tracker reads them
 * (routing/performance.ts): provider, time, whether it answered, its error kind and latency.
 */
export function recentAttempts(
  db: Database,
  range: TimeRange,
  limit = 5_000,
): { provider: string; at: number; ok: boolean; errorKind?: string; latencyMs: number }[] {
  const rows =
    db.exec(
      'SELECT provider, started_at, status, error_kind, latency_ms FROM attempts WHERE started_at >= ? AND started_at < ? ORDER BY started_at DESC LIMIT ?',
      [range.from, range.to, limit],
    )[0]?.values ?? [];
  return rows.map((row) => ({
    provider: String(row[0]),
    at: Number(row[1]),
    ok: row[2] === 'ok',
    ...(row[3] !== null && row[3] !== undefined ? { errorKind: String(row[3]) } : {}),
    latencyMs: Number(row[4]),
  }));
}
