/**
 * How the dashboard writes counts, tokens, shares, days and times. Pure functions (no DOM): the page uses them to draw
 * and the tests use them to compute what the page must show from the ledger's own queries. Money and durations are
 * written by the project's one formatter of each (src/core/util/format.ts: formatUsd, formatMs), as in the CLI and
 * the rest of the extension.
 */
import { formatMs } from '../../src/core/util/format';

const LOCALE = 'en-US';
const grouped = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });

/** A count with thousands separators: 12,345. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? grouped.format(n) : '—';
}

/** Tokens, compact: 980, 12.3k, 4.56M, 1.2B. */
export function formatTokens(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  const scaled = (value: number, suffix: string): string =>
    `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}${suffix}`;
  if (abs < 1000) return grouped.format(n);
  if (abs < 1e6) return scaled(n / 1e3, 'k');
  if (abs < 1e9) return scaled(n / 1e6, 'M');
  return scaled(n / 1e9, 'B');
}

/** A share 0..1 as a percent: 97.3% (one decimal below 100, none at 100 and above), 0%. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const percent = fraction * 100;
  if (percent === 0) return '0%';
  if (percent >= 100) return `${Math.round(percent)}%`;
  return `${(Math.floor(percent * 10) / 10).toFixed(1)}%`;
}

/**
 * The latency histogram's grid (same as `latencyBinMs` in the ledger schema): two significant digits, whole
 * milliseconds below 100 ms.
 */
export function latencyGrid(ms: number): number {
  const v = ms > 0 ? ms : 0;
  const grid = v < 100 ? 1 : v < 1_000 ? 10 : v < 10_000 ? 100 : v < 100_000 ? 1_000 : v < 1_000_000 ? 10_000 : 100_000;
  return Math.floor(v / grid + 0.5) * grid;
}

/** A latency on the histogram's grid, written like every duration: 87 ms, 850 ms, 1.2 s, 16 s, 4 min 10 s. Null (no sample) is a dash. */
export function formatLatency(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return formatMs(latencyGrid(ms));
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
function cachedFormat(timeZone: string, options: Intl.DateTimeFormatOptions, key: string): Intl.DateTimeFormat {
  const id = `${key}|${timeZone}`;
  let format = dayFormats.get(id);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(LOCALE, { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(LOCALE, options);
    }
    dayFormats.set(id, format);
  }
  return format;
}

/** "YYYY-MM-DD" -> "Mar 9" (the calendar day itself; no zone arithmetic). */
export function formatDayKey(key: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!match) return key;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12));
  return cachedFormat('UTC', { month: 'short', day: 'numeric' }, 'day').format(date);
}

/** "YYYY-MM" -> "March 2026". */
export function formatMonthKey(key: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(key);
  if (!match) return key;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 15));
  return cachedFormat('UTC', { month: 'long', year: 'numeric' }, 'month').format(date);
}

/** A decision's time in the zone: "14:32:05" on the day of `now`, else "Mar 9, 14:32". */
export function formatTime(at: number, timeZone: string, now: number): string {
  const day = cachedFormat(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'ymd');
  if (day.format(at) === day.format(now)) {
    return cachedFormat(timeZone, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }, 'hms').format(at);
  }
  return cachedFormat(timeZone, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, 'mdhm').format(at);
}

/** The full date and time, for a tooltip: "2026-03-09 14:32:05 (America/New_York)". */
export function formatTimestamp(at: number, timeZone: string): string {
  const parts = cachedFormat(
    timeZone,
    { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' },
    'full',
  ).formatToParts(at);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} (${timeZone})`;
}

/** "modelRouter.writeTests" -> "writeTests"; a task when there is no command. */
export function commandLabel(command: string | null, task: string): string {
  if (!command) return task;
  return command.startsWith('modelRouter.') ? command.slice('modelRouter.'.length) : command;
}

/** The counts of a verdict, as the ledger keeps them. */
export interface VerdictCounts {
  readonly verdict: 'pass' | 'fail' | 'unknown';
  readonly checks: number;
  readonly passed: number;
  readonly failed: number;
}

/** A verdict in a few characters: "✓ 3/3 checked", "✗ 1 of 3 failed", "· not checked". */
export function formatVerdict(verdict: VerdictCounts): string {
  if (verdict.verdict === 'pass') return `✓ ${formatCount(verdict.passed)}/${formatCount(verdict.checks)} checked`;
  if (verdict.verdict === 'fail') return `✗ ${formatCount(verdict.failed)} of ${formatCount(Math.max(verdict.checks, verdict.failed))} failed`;
  return '· not checked';
}

/** One failed check, as the router describes it: "f(2): expected 4, got 5", "test_add: AssertionError". */
export function formatFailure(failure: { readonly name: string; readonly expected?: string; readonly got?: string; readonly detail?: string }): string {
  if (failure.expected !== undefined || failure.got !== undefined) return `${failure.name}: expected ${failure.expected ?? '?'}, got ${failure.got ?? '?'}`;
  return failure.detail ? `${failure.name}: ${failure.detail}` : failure.name;
}
