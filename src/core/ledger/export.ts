/**
 * `model-router costs [--since DATE] [--by provider|agent|model|day] [--csv|--json]`: the ledger as CSV or JSON.
 * Without `by`, one entry per request (JSON: with its attempts; CSV: one line per request, the attempts summed up in
 * an `attempts` column such as "anthropic/claude-sonnet-5-5:error(overloaded) > openai/gpt-6.2-sol:ok"). With `by`,
 * the breakdown rows.
 *
 * CSV follows RFC 4180 (comma, CRLF, fields with a comma, quote, CR or LF quoted, quotes doubled) and is safe to open
 * in a spreadsheet: a text cell starting with = + - @ (or a tab or CR) gets a leading apostrophe so it is not run as a
 * formula. Numbers are written as numbers (a negative number is not text and is left alone).
 */
import type { Database, SqlValue } from 'sql.js';

import { PeriodCalendar } from '../routing/budget';
import type { BreakdownDimension, BreakdownRow } from './queries';
import {
  ATTEMPT_COLUMNS_SQL,
  attemptFromRow,
  breakdown,
  NANO_PER_USD,
  REQUEST_SELECT,
  requestFromRow,
} from './queries';
import type { LedgerAttempt, LedgerRecord } from './record';
import { forEachRow } from './sqlite';

export type CostsFormat = 'csv' | 'json';

export interface CostsReportOptions {
  /** "YYYY-MM-DD": from the start of that day in `timeZone`. Default: the start of the current month there. */
  readonly since?: string;
  readonly by?: BreakdownDimension;
  readonly format: CostsFormat;
  /** IANA zone for `since`, the day breakdown and the local times in the output; undefined: the system's. */
  readonly timeZone?: string;
  readonly now: number;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: numbers as they are, text made formula-safe and quoted when needed (RFC 4180). */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** Parses a `--since` date ("YYYY-MM-DD") into the first instant of that day in `timeZone`. */
export function startOfDate(date: string, timeZone?: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const noon = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12) : Number.NaN;
  if (!match || Number.isNaN(noon) || new Date(noon).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`--since expects a date as YYYY-MM-DD, got "${date}"`);
  }
  const calendar = new PeriodCalendar(timeZone);
  // Noon UTC is on that calendar date in zones from UTC-11 to UTC+11; step half a day for the others.
  let at = noon;
  const key = calendar.key('day', at);
  if (key > date) at -= 12 * 3_600_000;
  else if (key < date) at += 12 * 3_600_000;
  return calendar.interval('day', at).start;
}

const BREAKDOWN_HEADER = [
  'key', 'requests', 'cost_usd', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'success_rate',
] as const;

function breakdownCsv(rows: readonly BreakdownRow[]): string {
  let text = csvLine(BREAKDOWN_HEADER);
  for (const r of rows) {
    text += csvLine([r.key, r.requests, r.costUsd, r.inputTokens, r.outputTokens, r.cacheRead, r.cacheWrite, r.successRate]);
  }
  return text;
}

const REQUEST_HEADER = [
  'id', 'started_at', 'finished_at', 'agent', 'command', 'task', 'complexity', 'requested_tier', 'tier', 'strategy',
  'provider', 'model', 'outcome', 'error_kind', 'input_tokens', 'output_tokens', 'cache_read_tokens',
  'cache_write_tokens', 'cost_usd', 'latency_ms', 'ttft_ms', 'fallbacks', 'attempts', 'cached_from', 'saved_usd',
] as const;

function attemptSummary(attempts: readonly LedgerAttempt[]): string {
  return attempts
    .map((a) => `${a.provider}/${a.model}:${a.status}${a.errorKind ? `(${a.errorKind})` : ''}${a.priceUnknown === true ? '(price unknown)' : ''}`)
    .join(' > ');
}

function requestCsv(r: LedgerRecord): string {
  return csvLine([
    r.id, new Date(r.startedAt).toISOString(), new Date(r.finishedAt).toISOString(), r.agent, r.command, r.task,
    r.complexity, r.requestedTier, r.tier, r.strategy, r.provider, r.model, r.outcome, r.errorKind, r.inputTokens,
    r.outputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.costNano / NANO_PER_USD, r.latencyMs, r.ttftMs,
    r.fallbacks, attemptSummary(r.attempts), r.cached ? new Date(r.cached.from).toISOString() : null,
    r.cached ? r.cached.savedNano / NANO_PER_USD : null,
  ]);
}

/** JSON shape of one exported request: the record with ISO times and USD next to the nano-dollars. */
export interface ExportedRequest extends LedgerRecord {
  readonly startedAtIso: string;
  readonly costUsd: number;
}

/**
 * Every request started in [from, to) with its attempts, oldest first, streamed: requests and attempts are read by
 * two ordered statements merged on the request id, so memory holds one request at a time (plus the output text).
 */
export function forEachRequest(db: Database, from: number, to: number, each: (record: LedgerRecord) => void): void {
  const attempts = db.prepare(
    `SELECT ${ATTEMPT_COLUMNS_SQL.split(',').map((c) => `a.${c.trim()}`).join(', ')}
     FROM attempts a JOIN requests r ON r.id = a.request_id
     WHERE r.started_at BETWEEN ? AND ? ORDER BY r.started_at, r.id, a.seq`,
  );
  try {
    attempts.bind([from, to - 1]);
    let pending: SqlValue[] | undefined = attempts.step() ? attempts.get() : undefined;
    forEachRow(db, `${REQUEST_SELECT} WHERE started_at BETWEEN ? AND ? ORDER BY started_at, id`, [from, to - 1], (row) => {
      const id = row[0];
      const list: LedgerAttempt[] = [];
      while (pending && pending[0] === id) {
        list.push(attemptFromRow(pending));
        pending = attempts.step() ? attempts.get() : undefined;
      }
      each(requestFromRow(row, list));
    });
  } finally {
    attempts.free();
  }
}

/** The text of `model-router costs`: CSV (with a header line) or JSON (an object with the range and the rows). */
export function costsReport(db: Database, options: CostsReportOptions): string {
  const calendar = new PeriodCalendar(options.timeZone);
  const from = options.since === undefined
    ? calendar.interval('month', options.now).start
    : startOfDate(options.since, options.timeZone);
  const to = options.now + 1;
  if (options.by !== undefined) {
    const rows = breakdown(db, options.by, { from, to }, options.timeZone);
    if (options.format === 'csv') return breakdownCsv(rows);
    return `${JSON.stringify(
      { from: new Date(from).toISOString(), to: new Date(options.now).toISOString(), timeZone: calendar.timeZone, by: options.by, rows },
      null,
      2,
    )}\n`;
  }
  if (options.format === 'csv') {
    let text = csvLine(REQUEST_HEADER);
    forEachRequest(db, from, to, (record) => {
      text += requestCsv(record);
    });
    return text;
  }
  const parts: string[] = [];
  forEachRequest(db, from, to, (record) => {
    const exported: ExportedRequest = {
      ...record,
      startedAtIso: new Date(record.startedAt).toISOString(),
      costUsd: record.costNano / NANO_PER_USD,
    };
    parts.push(JSON.stringify(exported));
  });
  const head = JSON.stringify({ from: new Date(from).toISOString(), to: new Date(options.now).toISOString(), timeZone: calendar.timeZone });
  return `${head.slice(0, -1)},"requests":[${parts.length > 0 ? `\n${parts.join(',\n')}\n` : ''}]}\n`;
}
