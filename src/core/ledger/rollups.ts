/**
 * The ledger's rollups: tables of sums per time bucket (a quarter hour, an hour or a UTC day) that long ranges are
 * read from instead of every row. This module is the one place that knows them:
 *
 * - {@link ROLLUPS}, the catalogue: per table its name, time unit, the schema version that made it, its key columns
 *   and its summed columns in table order, and the raw rows it sums (as SQL). The migrations build the tables from
 *   it ({@link rebuildSql}, {@link rollUpSql}), the write path keeps them current with it ({@link upsertSql}, and
 *   retention rebuilds with {@link rebuildSql}), and the readers read them through it.
 * - {@link sumRange}, the one way to read sums over a range: whole buckets of the coarsest table that covers a piece of
 *   the range exactly ({@link rangePieces}), raw rows only for the ragged minutes at its ends, or on a ledger older
 *   than the table. Sums come back with named fields (the table's column names).
 * - The percentiles read from what the rollups keep (a latency histogram, lists of TTFTs): nearest rank, and a median.
 *
 * Every time zone's offset is a multiple of 15 minutes, so a day or a month in any zone is whole quarter hours (whole
 * hours in most zones) and reads exactly from these tables. Request tables are keyed by the request's start,
 * attempt tables by the attempt's, as the queries over the rows filter them.
 *
 * Not rollups (so not in the catalogue): `feedback` (schema 8) holds one row per event and is read as it is; the
 * answer cache (schema 7) adds columns to `requests`, and its one bearing on the rollups is that a cached answer is
 * no model's answer ({@link ANSWERED}'s rows leave it out).
 */
import type { SqlValue } from 'sql.js';

import type { StatementCache } from './sqlite';
import { sqlNumber } from './sqlite';

/** Width of the finest rollup's buckets: 15 minutes. */
export const ROLLUP_BUCKET_MS = 15 * 60 * 1000;
export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/** A range of epoch milliseconds, [from, to). */
export interface TimeRange {
  /** Inclusive, epoch ms. */
  readonly from: number;
  /** Exclusive, epoch ms. */
  readonly to: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Latency bins (the histogram `latency_daily` keeps)
// ---------------------------------------------------------------------------------------------------------------

/**
 * The latency histogram's bin of a latency: the value rounded half up to two significant digits (to the whole
 * millisecond below 100 ms): 87.4 -> 87, 1234 -> 1200, 1250 -> 1300, 15_600 -> 16_000. Rounding is monotonic, so
 * the nearest-rank percentile of the binned values is the binned nearest-rank percentile of the raw values: a
 * percentile read from the histogram equals `latencyBinMs(exact percentile)`, exactly. Same arithmetic as
 * {@link latencyBinSql} (IEEE doubles in both), so a bin computed in JS on insert equals one computed in SQL.
 */
export function latencyBinMs(latencyMs: number): number {
  const v = latencyMs > 0 ? latencyMs : 0;
  const grid = v < 100 ? 1 : v < 1_000 ? 10 : v < 10_000 ? 100 : v < 100_000 ? 1_000 : v < 1_000_000 ? 10_000 : 100_000;
  return Math.floor(v / grid + 0.5) * grid;
}

/** {@link latencyBinMs} as a SQL expression over `column`. */
export function latencyBinSql(column: string): string {
  const v = `MAX(${column}, 0)`;
  const bin = (grid: number): string => `CAST(${v} / ${grid}.0 + 0.5 AS INTEGER) * ${grid}`;
  return `CASE WHEN ${v} < 100 THEN ${bin(1)} WHEN ${v} < 1000 THEN ${bin(10)} WHEN ${v} < 10000 THEN ${bin(100)}
    WHEN ${v} < 100000 THEN ${bin(1000)} WHEN ${v} < 1000000 THEN ${bin(10000)} ELSE ${bin(100000)} END`;
}

// ---------------------------------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------------------------------

/** The raw rows a rollup sums, as SQL. */
export interface RawRows<K extends string, S extends string> {
  /** The FROM clause (a join names its tables `a` and `r`). */
  readonly from: string;
  /** The rows' time, epoch ms. */
  readonly time: string;
  /** Which rows count at schema `version` (a SQL condition; '' for all). */
  readonly where: (version: number) => string;
  /** Each key column as an expression over the rows, in table order (the catalogue's column order is this one). */
  readonly keys: Readonly<Record<K, string>>;
  /** Each summed column as an aggregate over the rows, in table order. */
  readonly sums: Readonly<Record<S, string>>;
}

export interface RollupTable<K extends string = string, S extends string = string> {
  readonly name: string;
  /** The time column: the bucket number, `floor(time / unitMs)`. */
  readonly unit: 'bucket' | 'hour' | 'day';
  readonly unitMs: number;
  /** The schema version that created the table (a ledger below it has none). */
  readonly since: number;
  /** Key columns after the time column, in table order. */
  readonly keys: readonly K[];
  /** Summed columns after the keys, in table order. */
  readonly sums: readonly S[];
  /** A column after the sums that concatenates values (comma-separated text) instead of adding them. */
  readonly list?: { readonly column: string; readonly raw: string };
  readonly raw: RawRows<K, S>;
  /** The bucket of a raw row, when not `CAST(time / unitMs AS INTEGER)` (as migration 2 wrote it). */
  readonly bucketSql?: string;
}

/** One kind of sums kept at several widths: the same keys, sums and raw rows in every table. */
export interface Rollup<K extends string, S extends string> {
  /** Coarsest first; each width a multiple of the next. */
  readonly tables: readonly RollupTable<K, S>[];
  readonly raw: RawRows<K, S>;
  /**
   * 'sql': each piece is grouped in SQL (few rows per bucket). 'here': rollup rows are added up here in table order (a
   * GROUP BY over tens of thousands of rollup rows is slower in sql.js than summing them here).
   */
  readonly group: 'sql' | 'here';
}

function rollup<K extends string, S extends string>(
  raw: RawRows<K, S>,
  group: 'sql' | 'here',
  tables: readonly Omit<RollupTable<K, S>, 'raw' | 'keys' | 'sums'>[],
): Rollup<K, S> {
  const keys = Object.keys(raw.keys) as K[];
  const sums = Object.keys(raw.sums) as S[];
  return { raw, group, tables: tables.map((table) => ({ ...table, keys, sums, raw })) };
}

const TOKEN_SUMS = {
  input_tokens: 'TOTAL(input_tokens)',
  output_tokens: 'TOTAL(output_tokens)',
  cache_read_tokens: 'TOTAL(cache_read_tokens)',
  cache_write_tokens: 'TOTAL(cache_write_tokens)',
} as const;

/**
 * Request totals per provider, model ('' when no attempt answered) and agent: every request, with its money and
 * tokens (schema 2, 3, 4). The breakdowns, budgets and the dashboard's totals read these.
 */
export const REQUEST_TOTALS = rollup(
  {
    from: 'requests',
    time: 'started_at',
    where: () => '',
    keys: { provider: `COALESCE(provider, '')`, model: `COALESCE(model, '')`, agent: 'agent' },
    sums: { requests: 'COUNT(*)', answered: `TOTAL(outcome = 'answered')`, cost_nano: 'TOTAL(cost_nano)', ...TOKEN_SUMS },
  },
  'sql',
  [
    { name: 'request_daily', unit: 'day', unitMs: DAY_MS, since: 4 },
    { name: 'request_hourly', unit: 'hour', unitMs: HOUR_MS, since: 3 },
    { name: 'request_rollup', unit: 'bucket', unitMs: ROLLUP_BUCKET_MS, since: 2, bucketSql: `started_at / ${ROLLUP_BUCKET_MS}` },
  ],
);

/** Attempt totals per provider and model (schema 3): every attempt, first tries, retries and fallbacks alike. */
export const ATTEMPT_TOTALS = rollup(
  {
    from: 'attempts',
    time: 'started_at',
    where: () => '',
    keys: { provider: 'provider', model: 'model' },
    sums: { attempts: 'COUNT(*)', ok: `TOTAL(status = 'ok')`, ...TOKEN_SUMS, cost_nano: 'TOTAL(cost_nano)' },
  },
  'sql',
  [{ name: 'attempt_hourly', unit: 'hour', unitMs: HOUR_MS, since: 3 }],
);

/** The latency histogram (schema 3): successful attempts per provider, model and {@link latencyBinMs} bin. */
export const LATENCY_HISTOGRAM = rollup(
  {
    from: 'attempts',
    time: 'started_at',
    where: () => `status = 'ok'`,
    keys: { provider: 'provider', model: 'model', latency_bin: latencyBinSql('latency_ms') },
    sums: { count: 'COUNT(*)' },
  },
  'sql',
  [{ name: 'latency_daily', unit: 'day', unitMs: DAY_MS, since: 3 }],
);

const ANSWERED_WHERE = `outcome = 'answered' AND complexity IS NOT NULL AND model IS NOT NULL`;

/**
 * Answered, scored requests with a model per agent, provider, model and complexity (schema 4; the cheaper-tier
 * recommendation reads them with any light threshold). From schema 7 a cached answer is left out: it cost nothing
 * and took no model time, and would pull the per-request cost the recommendations compare down.
 */
export const ANSWERED = rollup(
  {
    from: 'requests',
    time: 'started_at',
    where: (version) => (version >= 7 ? `${ANSWERED_WHERE} AND cached_from IS NULL` : ANSWERED_WHERE),
    keys: { agent: 'agent', provider: `COALESCE(provider, '')`, model: 'model', complexity: 'complexity' },
    sums: { requests: 'COUNT(*)', ...TOKEN_SUMS, cost_nano: 'TOTAL(cost_nano)' },
  },
  'here',
  [
    { name: 'answered_daily', unit: 'day', unitMs: DAY_MS, since: 4 },
    { name: 'answered_hourly', unit: 'hour', unitMs: HOUR_MS, since: 4 },
  ],
);

const ATTEMPTS_OF_REQUESTS = 'attempts a JOIN requests r ON r.id = a.request_id';

/** First attempts (seq 0) per agent and provider, with the latency of the failed ones (schema 4; failing-head). */
export const FIRST_ATTEMPTS = rollup(
  {
    from: ATTEMPTS_OF_REQUESTS,
    time: 'a.started_at',
    where: () => 'a.seq = 0',
    keys: { agent: 'r.agent', provider: 'a.provider' },
    sums: {
      attempts: 'COUNT(*)',
      failures: `TOTAL(a.status = 'error')`,
      failed_latency_ms: `TOTAL(CASE WHEN a.status = 'error' THEN a.latency_ms ELSE 0 END)`,
    },
  },
  'here',
  [{ name: 'first_attempt_hourly', unit: 'hour', unitMs: HOUR_MS, since: 4 }],
);

/**
 * Every TTFT of successful attempts per request tier, provider and model (schema 4; slow-model): `samples` counts
 * them, `ttfts` lists them as comma-separated shortest round-trip text, so a median read from it is exact.
 */
export const TTFTS = rollup(
  {
    from: ATTEMPTS_OF_REQUESTS,
    time: 'a.started_at',
    where: () => `a.status = 'ok' AND a.ttft_ms IS NOT NULL`,
    keys: { tier: 'r.tier', provider: 'a.provider', model: 'a.model' },
    sums: { samples: 'COUNT(*)' },
  },
  'here',
  [{ name: 'ttft_hourly', unit: 'hour', unitMs: HOUR_MS, since: 4, list: { column: 'ttfts', raw: `group_concat(a.ttft_ms, ',')` } }],
);

/** The generation time of an attempt: after the first token (the whole attempt without a TTFT). */
export const SPEED_GEN_MS_SQL = `MAX(latency_ms - COALESCE(ttft_ms, 0), 0)`;

/**
 * Generation speed per provider and model (schema 8): output tokens and generation ms of successful attempts with
 * output; tokens per second = tokens / gen_ms.
 */
export const SPEEDS = rollup(
  {
    from: 'attempts',
    time: 'started_at',
    where: () => `status = 'ok' AND output_tokens > 0`,
    keys: { provider: 'provider', model: 'model' },
    sums: { tokens: 'TOTAL(output_tokens)', gen_ms: `TOTAL(${SPEED_GEN_MS_SQL})` },
  },
  'sql',
  [{ name: 'speed_hourly', unit: 'hour', unitMs: HOUR_MS, since: 8 }],
);

const [REQUEST_DAILY, REQUEST_HOURLY, REQUEST_ROLLUP] = REQUEST_TOTALS.tables as [RollupTable, RollupTable, RollupTable];
const [ANSWERED_DAILY, ANSWERED_HOURLY] = ANSWERED.tables as [RollupTable, RollupTable];

/** Every rollup table by name. */
export const ROLLUPS = {
  request_rollup: REQUEST_ROLLUP,
  request_hourly: REQUEST_HOURLY,
  request_daily: REQUEST_DAILY,
  attempt_hourly: ATTEMPT_TOTALS.tables[0]!,
  latency_daily: LATENCY_HISTOGRAM.tables[0]!,
  answered_hourly: ANSWERED_HOURLY,
  answered_daily: ANSWERED_DAILY,
  first_attempt_hourly: FIRST_ATTEMPTS.tables[0]!,
  ttft_hourly: TTFTS.tables[0]!,
  speed_hourly: SPEEDS.tables[0]!,
} as const satisfies Readonly<Record<string, RollupTable>>;

export type RollupName = keyof typeof ROLLUPS;

function whereSql(...conditions: string[]): string {
  const present = conditions.filter((c) => c !== '');
  return present.length === 0 ? '' : `WHERE ${present.join(' AND ')}`;
}

/**
 * Rebuilds `table`'s rows from the raw rows at schema `version`, optionally only from those matching `where` (a SQL
 * condition over the raw rows). The migrations build a table with it; retention rebuilds the buckets it cut.
 */
export function rebuildSql(table: RollupTable, version: number, where = ''): string {
  const { raw } = table;
  const bucket = table.bucketSql ?? `CAST(${raw.time} / ${table.unitMs} AS INTEGER)`;
  const columns = [table.unit, ...table.keys, ...table.sums, ...(table.list ? [table.list.column] : [])];
  const values = [
    bucket,
    ...table.keys.map((k) => raw.keys[k]),
    ...table.sums.map((s) => raw.sums[s]),
    ...(table.list ? [table.list.raw] : []),
  ];
  return `INSERT INTO ${table.name} (${columns.join(', ')})
SELECT ${values.join(', ')}
FROM ${raw.from} ${whereSql(raw.where(version), where ? `(${where})` : '')}
GROUP BY ${table.keys.map((_, i) => i + 1).concat(table.keys.length + 1).join(', ')};`;
}

/** Fills the coarser `target` from the finer `source` (the same rollup at another width). */
export function rollUpSql(target: RollupTable, source: RollupTable): string {
  return `INSERT INTO ${target.name} (${[target.unit, ...target.keys, ...target.sums].join(', ')})
SELECT ${source.unit} / ${target.unitMs / source.unitMs}, ${target.keys.join(', ')}, ${target.sums.map((s) => `TOTAL(${s})`).join(', ')}
FROM ${source.name} GROUP BY ${[target.unit, ...target.keys].map((_, i) => i + 1).join(', ')};`;
}

/**
 * `INSERT ... ON CONFLICT DO UPDATE` adding the sums (and appending to the list) of one row of `table`. Parameters: the
 * bucket, the keys and the sums in table order (then the list's text). With `oneRow`, for a single raw row, the first
 * sum (the count) is not a parameter but 1 (a few per cent faster on the insert path, which runs four per record).
 */
export function upsertSql(table: RollupTable, oneRow = false): string {
  const key = [table.unit, ...table.keys];
  const columns = [...key, ...table.sums, ...(table.list ? [table.list.column] : [])];
  const values = columns.map((_, i) => (oneRow && i === key.length ? '1' : '?'));
  const updates = table.sums.map((c, i) => (oneRow && i === 0 ? `${c} = ${c} + 1` : `${c} = ${c} + excluded.${c}`));
  if (table.list) updates.push(`${table.list.column} = ${table.list.column} || ',' || excluded.${table.list.column}`);
  return `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${values.join(', ')})
ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a range
// ---------------------------------------------------------------------------------------------------------------

/**
 * Cuts [from, to) into whole buckets of the coarsest unit that fits and finer pieces at the edges: `units` are
 * bucket widths in ms, coarsest first, each a multiple of the next. `piece(level, lo, hi)` receives the buckets
 * [lo, hi) of `units[level]` (bucket n covers [n × unit, (n + 1) × unit)), or, with level -1, the epoch-ms range
 * [lo, hi) that no bucket covers whole (to read from raw rows). Pieces come oldest first and never overlap.
 */
export function rangePieces(
  from: number,
  to: number,
  units: readonly number[],
  piece: (level: number, lo: number, hi: number) => void,
  level = 0,
): void {
  if (to <= from) return;
  if (level >= units.length) {
    piece(-1, from, to);
    return;
  }
  const unit = units[level]!;
  const first = Math.ceil(from / unit);
  const last = Math.floor(to / unit);
  if (first >= last) {
    rangePieces(from, to, units, piece, level + 1);
    return;
  }
  rangePieces(from, first * unit, units, piece, level + 1);
  piece(level, first, last);
  rangePieces(last * unit, to, units, piece, level + 1);
}

/** A piece of a range: buckets [lo, hi) of `table`, or, without a table, the raw rows of epoch ms [lo, hi). */
export interface RangePiece<K extends string, S extends string> {
  readonly table: RollupTable<K, S> | undefined;
  readonly lo: number;
  readonly hi: number;
}

/** How to read a range: the ledger's schema version, and whether to read the raw rows only. */
export interface ReadOptions {
  /** The ledger's schema version: tables it lacks are not read, and the raw rows are filtered as at it. */
  readonly version: number;
  /** Read every raw row instead (the definition the rollups must match; slow on a large ledger). */
  readonly rawOnly?: boolean;
}

/**
 * The pieces `range` is read in from `rollup`, oldest first: whole buckets of the coarsest table that covers each, raw
 * rows for the rest.
 */
export function rollupPieces<K extends string, S extends string>(rollup: Rollup<K, S>, range: TimeRange, options: ReadOptions): RangePiece<K, S>[] {
  const tables = options.rawOnly ? [] : rollup.tables.filter((t) => options.version >= t.since);
  const pieces: RangePiece<K, S>[] = [];
  rangePieces(range.from, range.to, tables.map((t) => t.unitMs), (level, lo, hi) => pieces.push({ table: tables[level], lo, hi }));
  return pieces;
}

/** The sums of a rollup by column name, as {@link sumRange} returns them. */
export type SumsOf<R> = R extends Rollup<string, infer S> ? Record<S, number> : never;

/** One row of a {@link sumRange}: the values of the keys grouped by ('' for NULL) and the sums, by column name. */
export interface RangeSums<K extends string, S extends string> {
  readonly keys: Readonly<Record<K, string>>;
  readonly sums: Record<S, number>;
}

/**
 * Sums of `rollup` over `range`, per value of the `by` keys (one row, or none when nothing counted, without keys),
 * read as {@link rollupPieces} cuts it; a row whose first sum (its count) is 0 adds nothing. The map's key is the
 * values joined with NUL. Sums of integers (counts, tokens, nano-dollars) are exact; sums of milliseconds are added in
 * the order the pieces come.
 */
export function sumRange<K extends string, S extends string, B extends K = K>(
  statements: StatementCache,
  rollup: Rollup<K, S>,
  range: TimeRange,
  options: ReadOptions & { readonly by: readonly B[] },
): Map<string, RangeSums<B, S>> {
  const { by, version } = options;
  const sumNames = Object.keys(rollup.raw.sums) as S[];
  const result = new Map<string, RangeSums<B, S>>();
  const add = (row: readonly SqlValue[]): void => {
    if (sqlNumber(row[by.length]) === 0) return;
    const values = by.map((_, i) => String(row[i] ?? ''));
    const id = values.join('\u0000');
    let entry = result.get(id);
    if (!entry) {
      const keys = {} as Record<B, string>;
      by.forEach((k, i) => (keys[k] = values[i]!));
      const sums = {} as Record<S, number>;
      for (const s of sumNames) sums[s] = 0;
      result.set(id, (entry = { keys, sums }));
    }
    for (let i = 0; i < sumNames.length; i += 1) entry.sums[sumNames[i]!] += sqlNumber(row[by.length + i]);
  };
  const grouped = (keys: readonly string[]): string => (keys.length > 0 ? ` GROUP BY ${keys.map((_, i) => i + 1).join(', ')}` : '');
  for (const { table, lo, hi } of rollupPieces(rollup, range, options)) {
    if (!table) {
      const { raw } = rollup;
      const keys = by.map((k) => raw.keys[k]);
      statements.each(
        `SELECT ${[...keys, ...sumNames.map((s) => raw.sums[s])].join(', ')} FROM ${raw.from}
         ${whereSql(`${raw.time} >= ? AND ${raw.time} < ?`, raw.where(version))}${grouped(keys)}`,
        [lo, hi],
        add,
      );
    } else if (rollup.group === 'sql') {
      statements.each(
        `SELECT ${[...by, ...sumNames.map((s) => `TOTAL(${s})`)].join(', ')} FROM ${table.name}
         WHERE ${table.unit} >= ? AND ${table.unit} < ?${grouped(by)}`,
        [lo, hi],
        add,
      );
    } else {
      statements.each(
        `SELECT ${[...by, ...sumNames].join(', ')} FROM ${table.name} WHERE ${table.unit} >= ? AND ${table.unit} < ?`,
        [lo, hi],
        add,
      );
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Percentiles of what the rollups keep
// ---------------------------------------------------------------------------------------------------------------

/** The 0-based nearest rank of percentile `p` (0..100) among `count` values (count > 0). */
function nearestRank(count: number, p: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1));
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100); NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[nearestRank(sorted.length, p)]!;
}

/** Nearest-rank percentile (p in 0..100) of a histogram given as ascending [bin, count] pairs; null when empty. */
export function histogramPercentile(bins: readonly (readonly [number, number])[], p: number): number | null {
  const total = bins.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = nearestRank(total, p);
  let seen = 0;
  for (const [bin, count] of bins) {
    seen += count;
    if (seen > rank) return bin;
  }
  return bins[bins.length - 1]![0];
}

/** The median of `values` (not empty): the middle value, or the mean of the middle two of an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
