/**
 * The ledger's SQLite schema, its forward migrations, and the one way rows are written. Times are epoch
 * milliseconds (UTC); day and month boundaries in the user's time zone are computed at query time. Money is whole
 * nano-dollars (INTEGER), so sums are exact.
 */
import type { Database, Statement } from 'sql.js';
import type { LedgerRecord } from './record';
import { loadSqlJs } from './sqlite';
import type { SqlJsOptions } from './sqlite';

/**
 * Rollup bucket width: 15 minutes. Every time zone's offset is a multiple of 15 minutes, so a day or month in any
 * zone is a whole number of buckets, and long-range breakdowns read buckets instead of every request.
 */
export const ROLLUP_BUCKET_MS = 15 * 60 * 1000;

/** Rebuilds rollup rows from `requests`, optionally only for the requests matching `where` (a SQL condition). */
function rollupSelect(where: string): string {
  return `INSERT INTO request_rollup
SELECT started_at / ${ROLLUP_BUCKET_MS}, COALESCE(provider, ''), COALESCE(model, ''), agent, COUNT(*),
  TOTAL(outcome = 'answered'), TOTAL(cost_nano), TOTAL(input_tokens), TOTAL(output_tokens), TOTAL(cache_read_tokens),
  TOTAL(cache_write_tokens)
FROM requests ${where ? `WHERE ${where}` : ''}
GROUP BY 1, 2, 3, 4;`;
}

/** Width of the coarser rollups of migration 3: an hour (every whole-hour time zone cuts its days on these). */
export const HOUR_MS = 60 * 60 * 1000;
/** Width of the latency histogram's buckets: a UTC day (finer buckets would hold about one value per bin). */
export const DAY_MS = 24 * HOUR_MS;

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

/** Rebuilds `attempt_hourly` rows from `attempts` matching `where`. */
function attemptHourlySelect(where: string): string {
  return `INSERT INTO attempt_hourly
SELECT CAST(started_at / ${HOUR_MS} AS INTEGER), provider, model, COUNT(*), TOTAL(status = 'ok'), TOTAL(input_tokens),
  TOTAL(output_tokens), TOTAL(cache_read_tokens), TOTAL(cache_write_tokens), TOTAL(cost_nano)
FROM attempts ${where ? `WHERE ${where}` : ''}
GROUP BY 1, 2, 3;`;
}

/** Rebuilds `latency_daily` rows from the successful `attempts` matching `where`. */
function latencyDailySelect(where: string): string {
  return `INSERT INTO latency_daily
SELECT CAST(started_at / ${DAY_MS} AS INTEGER), provider, model, ${latencyBinSql('latency_ms')}, COUNT(*)
FROM attempts WHERE status = 'ok'${where ? ` AND (${where})` : ''}
GROUP BY 1, 2, 3, 4;`;
}

/**
 * Migration 8's generation-speed rollup: output tokens and the time after the first token (the whole attempt without a
 * TTFT) of successful attempts with output, per hour, provider and model; tokens per second = tokens / gen_ms.
 */
export const SPEED_ATTEMPTS_WHERE = `status = 'ok' AND output_tokens > 0`;
export const SPEED_GEN_MS_SQL = `MAX(latency_ms - COALESCE(ttft_ms, 0), 0)`;

/** Rebuilds `speed_hourly` rows from the attempts matching `where`. */
function speedHourlySelect(where: string): string {
  return `INSERT INTO speed_hourly
SELECT CAST(started_at / ${HOUR_MS} AS INTEGER), provider, model, TOTAL(output_tokens), TOTAL(${SPEED_GEN_MS_SQL})
FROM attempts WHERE ${SPEED_ATTEMPTS_WHERE}${where ? ` AND (${where})` : ''}
GROUP BY 1, 2, 3;`;
}

/** Rebuilds `request_hourly` rows from `requests` matching `where`. */
function requestHourlySelect(where: string): string {
  return `INSERT INTO request_hourly
SELECT CAST(started_at / ${HOUR_MS} AS INTEGER), COALESCE(provider, ''), COALESCE(model, ''), agent, COUNT(*),
  TOTAL(outcome = 'answered'), TOTAL(cost_nano), TOTAL(input_tokens), TOTAL(output_tokens), TOTAL(cache_read_tokens),
  TOTAL(cache_write_tokens)
FROM requests ${where ? `WHERE ${where}` : ''}
GROUP BY 1, 2, 3, 4;`;
}

// Migration 4: rollups for long ranges. `request_daily` is `request_hourly` per UTC day (a breakdown reads whole
// days from it, the hours and quarter hours at the ends from the finer tables, so a day in any zone stays exact).
// The others hold what the recommendations read, keyed as they group: `answered_hourly` / `answered_daily` (answered,
// scored requests per agent, provider, model and complexity, so any light threshold can be applied when reading),
// `first_attempt_hourly` (first attempts per agent and provider, with the latency of the failed ones), and
// `ttft_hourly` (every TTFT of successful attempts per request tier, provider and model, as comma-separated
// shortest round-trip text, so a median read from it is the exact value, not a binned one). Request tables are
// keyed by the request's start, attempt tables by the attempt's, as the queries over the rows filter them.

/** Sum columns of `request_hourly` / `request_daily`, in table order. */
const REQUEST_SUM_COLUMNS = [
  'requests', 'answered', 'cost_nano', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens',
] as const;

/** Rebuilds `request_daily` rows (UTC days) from `requests` matching `where`. */
function requestDailySelect(where: string): string {
  return `INSERT INTO request_daily
SELECT CAST(started_at / ${DAY_MS} AS INTEGER), COALESCE(provider, ''), COALESCE(model, ''), agent, COUNT(*),
  TOTAL(outcome = 'answered'), TOTAL(cost_nano), TOTAL(input_tokens), TOTAL(output_tokens), TOTAL(cache_read_tokens),
  TOTAL(cache_write_tokens)
FROM requests ${where ? `WHERE ${where}` : ''}
GROUP BY 1, 2, 3, 4;`;
}

/**
 * The requests `answered_hourly` / `answered_daily` count (those the cheaper-tier recommendation reads): answered,
 * scored (complexity known), with a model.
 */
const ANSWERED_WHERE = `outcome = 'answered' AND complexity IS NOT NULL AND model IS NOT NULL`;

/** Rebuilds `table` (answered_hourly or answered_daily, buckets of `unitMs`) from `requests` matching `where`. */
function answeredSelect(table: string, unitMs: number, where: string): string {
  return `INSERT INTO ${table}
SELECT CAST(started_at / ${unitMs} AS INTEGER), agent, COALESCE(provider, ''), model, complexity, COUNT(*),
  TOTAL(input_tokens), TOTAL(output_tokens), TOTAL(cache_read_tokens), TOTAL(cache_write_tokens), TOTAL(cost_nano)
FROM requests WHERE ${ANSWERED_WHERE}${where ? ` AND (${where})` : ''}
GROUP BY 1, 2, 3, 4, 5;`;
}

/** Rebuilds `first_attempt_hourly` rows from the first attempts (seq 0) matching `where` (over `a`, the attempts). */
function firstAttemptSelect(where: string): string {
  return `INSERT INTO first_attempt_hourly
SELECT CAST(a.started_at / ${HOUR_MS} AS INTEGER), r.agent, a.provider, COUNT(*), TOTAL(a.status = 'error'),
  TOTAL(CASE WHEN a.status = 'error' THEN a.latency_ms ELSE 0 END)
FROM attempts a JOIN requests r ON r.id = a.request_id WHERE a.seq = 0${where ? ` AND (${where})` : ''}
GROUP BY 1, 2, 3;`;
}

/** Rebuilds `ttft_hourly` rows from the successful attempts with a TTFT matching `where` (over `a`). */
function ttftSelect(where: string): string {
  return `INSERT INTO ttft_hourly (hour, tier, provider, model, samples, ttfts)
SELECT CAST(a.started_at / ${HOUR_MS} AS INTEGER), r.tier, a.provider, a.model, COUNT(*), group_concat(a.ttft_ms, ',')
FROM attempts a JOIN requests r ON r.id = a.request_id
WHERE a.status = 'ok' AND a.ttft_ms IS NOT NULL${where ? ` AND (${where})` : ''}
GROUP BY 1, 2, 3, 4;`;
}

/** Columns of answered_hourly / answered_daily after the bucket. */
const ANSWERED_COLUMNS = `agent TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  complexity INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_nano INTEGER NOT NULL`;

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * A table of request totals per time unit (`bucket` = 15 minutes, `hour`, `day`), provider, model and agent: the
 * same columns at every granularity, so breakdowns can read the coarsest that fits a range.
 */
function requestTotalsTable(name: string, unit: string): string {
  return `CREATE TABLE ${name} (
  ${unit} INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  agent TEXT NOT NULL,
  requests INTEGER NOT NULL,
  answered INTEGER NOT NULL,
  cost_nano INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  PRIMARY KEY (${unit}, provider, model, agent)
) WITHOUT ROWID;`;
}

/** Fills a coarser totals table from a finer one; `unit` turns the finer unit into the coarser (`hour / 24`). */
function requestTotalsFrom(target: string, source: string, unit: string): string {
  return `INSERT INTO ${target}
SELECT ${unit}, provider, model, agent, TOTAL(requests), TOTAL(answered), TOTAL(cost_nano), TOTAL(input_tokens),
  TOTAL(output_tokens), TOTAL(cache_read_tokens), TOTAL(cache_write_tokens)
FROM ${source} GROUP BY 1, 2, 3, 4;`;
}

/** Forward only; each runs once, in a transaction, and bumps `user_version`. Never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'requests and attempts',
    sql: `
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  agent TEXT NOT NULL,
  command TEXT,
  task TEXT NOT NULL,
  complexity INTEGER,
  reasons TEXT NOT NULL,
  requested_tier TEXT NOT NULL,
  tier TEXT NOT NULL,
  escalated INTEGER NOT NULL,
  downgraded INTEGER NOT NULL,
  forced INTEGER NOT NULL,
  strategy TEXT NOT NULL,
  provider TEXT,
  model TEXT,
  outcome TEXT NOT NULL,
  error_kind TEXT,
  error_message TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_nano INTEGER NOT NULL,
  estimate_nano INTEGER,
  latency_ms REAL NOT NULL,
  ttft_ms REAL,
  fallbacks INTEGER NOT NULL,
  instruction TEXT
);
CREATE INDEX requests_started ON requests (started_at);
CREATE TABLE attempts (
  request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  key_id TEXT NOT NULL,
  status TEXT NOT NULL,
  error_kind TEXT,
  http_status INTEGER,
  latency_ms REAL NOT NULL,
  ttft_ms REAL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_nano INTEGER NOT NULL,
  usage_estimated INTEGER NOT NULL,
  PRIMARY KEY (request_id, seq)
);
CREATE INDEX attempts_started ON attempts (started_at);
`,
  },
  {
    version: 2,
    description: 'request_rollup: per 15-minute bucket, provider, model and agent',
    sql: `
${requestTotalsTable('request_rollup', 'bucket')}
${rollupSelect('')}
`,
  },
  {
    version: 3,
    description: 'hourly request and attempt rollups, daily latency histogram (the dashboard)',
    sql: `
${requestTotalsTable('request_hourly', 'hour')}
${requestTotalsFrom('request_hourly', 'request_rollup', 'bucket / 4')}
CREATE TABLE attempt_hourly (
  hour INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_nano INTEGER NOT NULL,
  PRIMARY KEY (hour, provider, model)
) WITHOUT ROWID;
${attemptHourlySelect('')}
CREATE TABLE latency_daily (
  day INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  latency_bin INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, provider, model, latency_bin)
) WITHOUT ROWID;
${latencyDailySelect('')}
`,
  },
  {
    version: 4,
    description: 'daily request rollup (breakdowns); rollups the recommendations read',
    sql: `
${requestTotalsTable('request_daily', 'day')}
${requestTotalsFrom('request_daily', 'request_hourly', 'hour / 24')}
CREATE TABLE answered_hourly (
  hour INTEGER NOT NULL,
  ${ANSWERED_COLUMNS},
  PRIMARY KEY (hour, agent, provider, model, complexity)
) WITHOUT ROWID;
${answeredSelect('answered_hourly', HOUR_MS, '')}
CREATE TABLE answered_daily (
  day INTEGER NOT NULL,
  ${ANSWERED_COLUMNS},
  PRIMARY KEY (day, agent, provider, model, complexity)
) WITHOUT ROWID;
INSERT INTO answered_daily
SELECT hour / 24, agent, provider, model, complexity, TOTAL(requests), TOTAL(input_tokens), TOTAL(output_tokens),
  TOTAL(cache_read_tokens), TOTAL(cache_write_tokens), TOTAL(cost_nano)
FROM answered_hourly GROUP BY 1, 2, 3, 4, 5;
CREATE TABLE first_attempt_hourly (
  hour INTEGER NOT NULL,
  agent TEXT NOT NULL,
  provider TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  failed_latency_ms REAL NOT NULL,
  PRIMARY KEY (hour, agent, provider)
) WITHOUT ROWID;
${firstAttemptSelect('')}
CREATE TABLE ttft_hourly (
  hour INTEGER NOT NULL,
  tier TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  samples INTEGER NOT NULL,
  ttfts TEXT NOT NULL,
  UNIQUE (hour, tier, provider, model)
);
${ttftSelect('')}
`,
  },
  {
    version: 5,
    description: 'attempts.price_unknown: the cost of a model without a known price is an upper estimate',
    sql: `
ALTER TABLE attempts ADD COLUMN price_unknown INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 6,
    description: 'verify-then-escalate: the cascade of a request and the verdict of each checked attempt',
    sql: `
ALTER TABLE requests ADD COLUMN escalated_by TEXT;
ALTER TABLE requests ADD COLUMN cascade_kept TEXT;
ALTER TABLE requests ADD COLUMN cascade_steps INTEGER;
ALTER TABLE requests ADD COLUMN cascade_start_tier TEXT;
ALTER TABLE requests ADD COLUMN strong_estimate_nano INTEGER;
ALTER TABLE attempts ADD COLUMN verdict TEXT;
ALTER TABLE attempts ADD COLUMN checks INTEGER;
ALTER TABLE attempts ADD COLUMN checks_passed INTEGER;
ALTER TABLE attempts ADD COLUMN checks_failed INTEGER;
ALTER TABLE attempts ADD COLUMN verify_ms REAL;
ALTER TABLE attempts ADD COLUMN isolation TEXT;
ALTER TABLE attempts ADD COLUMN verify_failures TEXT;
`,
  },
  {
    version: 7,
    description: 'answer cache: requests answered from the cache (when the cached answer was given, what it saved)',
    sql: `
ALTER TABLE requests ADD COLUMN cached_from INTEGER;
ALTER TABLE requests ADD COLUMN saved_nano INTEGER;
`,
  },
  {
    version: 8,
    description: 'feedback: what the user did with an answer (accepted, rejected, undone, retried stronger, comparison picks)',
    sql: `
CREATE TABLE feedback (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  agent TEXT NOT NULL,
  task TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  comparison TEXT
);
CREATE INDEX feedback_at ON feedback (at);
CREATE TABLE speed_hourly (
  hour INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  gen_ms REAL NOT NULL,
  PRIMARY KEY (hour, provider, model)
) WITHOUT ROWID;
${speedHourlySelect('')}
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database): number {
  const result = db.exec('PRAGMA user_version');
  return Number(result[0]?.values[0]?.[0] ?? 0);
}

/**
 * Brings the database to {@link SCHEMA_VERSION}. A database newer than this code is refused (a newer extension
 * wrote it; downgrading would lose data), with a message that says so.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = schemaVersion(db);
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `The ledger was written by a newer Model Router (schema ${current}, this version knows ${latest}); update the extension or CLI.`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.exec('BEGIN');
    try {
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw new Error(`Ledger migration ${migration.version} (${migration.description}) failed: ${String(error)}`);
    }
  }
  return schemaVersion(db);
}

const REQUEST_COLUMNS = [
  'id', 'started_at', 'finished_at', 'agent', 'command', 'task', 'complexity', 'reasons', 'requested_tier', 'tier',
  'escalated', 'downgraded', 'forced', 'strategy', 'provider', 'model', 'outcome', 'error_kind', 'error_message',
  'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_nano', 'estimate_nano',
  'latency_ms', 'ttft_ms', 'fallbacks', 'instruction', 'escalated_by', 'cascade_kept', 'cascade_steps',
  'cascade_start_tier', 'strong_estimate_nano', 'cached_from', 'saved_nano',
] as const;

/** Columns that came with schema 6 (verify-then-escalate). */
const VERIFY_REQUEST_COLUMNS: ReadonlySet<string> = new Set(['escalated_by', 'cascade_kept', 'cascade_steps', 'cascade_start_tier', 'strong_estimate_nano']);
const VERIFY_ATTEMPT_COLUMNS: ReadonlySet<string> = new Set(['verdict', 'checks', 'checks_passed', 'checks_failed', 'verify_ms', 'isolation', 'verify_failures']);

/** Columns that came with schema 7 (the answer cache). */
const CACHE_REQUEST_COLUMNS: ReadonlySet<string> = new Set(['cached_from', 'saved_nano']);

function requestColumns(version: number): readonly string[] {
  return REQUEST_COLUMNS.filter((column) => (!VERIFY_REQUEST_COLUMNS.has(column) || version >= 6) && (!CACHE_REQUEST_COLUMNS.has(column) || version >= 7));
}

const ATTEMPT_COLUMNS = [
  'request_id', 'seq', 'started_at', 'provider', 'model', 'key_id', 'status', 'error_kind', 'http_status',
  'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_nano',
  'usage_estimated', 'price_unknown', 'verdict', 'checks', 'checks_passed', 'checks_failed', 'verify_ms', 'isolation',
  'verify_failures',
] as const;

/** The attempt columns a database at `version` has (price_unknown came with version 5, the verdict with 6). */
function attemptColumns(version: number): readonly string[] {
  return ATTEMPT_COLUMNS.filter((column) => (column !== 'price_unknown' || version >= 5) && (!VERIFY_ATTEMPT_COLUMNS.has(column) || version >= 6));
}

const UPSERT_ROLLUP = `INSERT INTO request_rollup VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bucket, provider, model, agent) DO UPDATE SET
  requests = requests + 1, answered = answered + excluded.answered, cost_nano = cost_nano + excluded.cost_nano,
  input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
  cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
  cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens`;

const UPSERT_REQUEST_HOURLY = UPSERT_ROLLUP.replace('request_rollup', 'request_hourly').replace('(bucket,', '(hour,');

const UPSERT_ATTEMPT_HOURLY = `INSERT INTO attempt_hourly VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
ON CONFLICT (hour, provider, model) DO UPDATE SET
  attempts = attempts + 1, ok = ok + excluded.ok, input_tokens = input_tokens + excluded.input_tokens,
  output_tokens = output_tokens + excluded.output_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
  cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, cost_nano = cost_nano + excluded.cost_nano`;

const UPSERT_LATENCY_DAILY = `INSERT INTO latency_daily VALUES (?, ?, ?, ?, 1)
ON CONFLICT (day, provider, model, latency_bin) DO UPDATE SET count = count + 1`;

/** `INSERT ... ON CONFLICT DO UPDATE` adding `sums` to the row of `keys` (the table's columns in order). */
function addingUpsert(table: string, keys: readonly string[], sums: readonly string[]): string {
  return `INSERT INTO ${table} (${[...keys, ...sums].join(', ')}) VALUES (${[...keys, ...sums].map(() => '?').join(', ')})
ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${sums.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
}

const ANSWERED_SUMS = ['requests', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_nano'];
const UPSERT_REQUEST_DAILY = addingUpsert('request_daily', ['day', 'provider', 'model', 'agent'], REQUEST_SUM_COLUMNS);
const UPSERT_ANSWERED_HOURLY = addingUpsert('answered_hourly', ['hour', 'agent', 'provider', 'model', 'complexity'], ANSWERED_SUMS);
const UPSERT_ANSWERED_DAILY = addingUpsert('answered_daily', ['day', 'agent', 'provider', 'model', 'complexity'], ANSWERED_SUMS);
const UPSERT_SPEED = addingUpsert('speed_hourly', ['hour', 'provider', 'model'], ['tokens', 'gen_ms']);
const UPSERT_FIRST_ATTEMPT = addingUpsert('first_attempt_hourly', ['hour', 'agent', 'provider'], ['attempts', 'failures', 'failed_latency_ms']);
const UPSERT_TTFT = `INSERT INTO ttft_hourly (hour, tier, provider, model, samples, ttfts) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (hour, tier, provider, model) DO UPDATE SET samples = samples + excluded.samples,
  ttfts = ttfts || ',' || excluded.ttfts`;

/**
 * The upserts of migration 4's rollups, prepared once per database: a single-record batch (an append) would
 * otherwise prepare five more statements each time. sql.js frees a database's statements when it is closed (and
 * keeps them across export()); a freed statement has no SQL left and is prepared again.
 */
const rollupStatements = new WeakMap<Database, Map<string, Statement>>();

function rollupStatement(db: Database, sql: string): Statement {
  let cache = rollupStatements.get(db);
  if (!cache) rollupStatements.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement || statement.getSQL() === '') {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** Sums per key, added up in memory during a batch and written with one upsert per key when it ends. */
class BatchSums {
  private readonly rows = new Map<string, { keys: readonly (string | number)[]; sums: number[] }>();

  /** Adds `sums` to the row of `keys`; `id` identifies the keys (they joined with a separator no name holds). */
  add(id: string, keys: readonly (string | number)[], sums: readonly number[]): void {
    const row = this.rows.get(id);
    if (!row) {
      this.rows.set(id, { keys, sums: [...sums] });
      return;
    }
    for (let i = 0; i < sums.length; i += 1) row.sums[i]! += sums[i]!;
  }

  flush(db: Database, sql: string): void {
    if (this.rows.size === 0) return;
    const statement = rollupStatement(db, sql);
    try {
      for (const { keys, sums } of this.rows.values()) statement.run([...keys, ...sums]);
    } finally {
      this.rows.clear();
    }
  }
}

/**
 * The rollups of migration 4 for one batch of new records. A batch (a journal merge, an `appendMany`) spans a few
 * hours at most, so it touches few of their rows: they are summed in memory and written once per row at the end,
 * which keeps bulk inserts nearly as fast as without them.
 */
class BatchRollups {
  private readonly requestDaily = new BatchSums();
  private readonly answeredHourly = new BatchSums();
  private readonly answeredDaily = new BatchSums();
  private readonly firstAttempts = new BatchSums();
  private readonly speeds = new BatchSums();

  constructor(private readonly speed: boolean) {}
  private readonly ttfts = new Map<string, { keys: readonly (string | number)[]; values: number[] }>();

  /** Counts a record that was just stored (not one skipped as already stored). */
  add(r: LedgerRecord): void {
    const day = Math.floor(r.startedAt / DAY_MS);
    const provider = r.provider ?? '';
    const model = r.model ?? '';
    this.requestDaily.add(
      `${day}\u0000${provider}\u0000${model}\u0000${r.agent}`,
      [day, provider, model, r.agent],
      [1, r.outcome === 'answered' ? 1 : 0, r.costNano, r.inputTokens, r.outputTokens, r.cacheReadTokens, r.cacheWriteTokens],
    );
    // A cached answer cost nothing and took no model time: it would pull the per-request cost the recommendations
    // compare down, so it is not counted as a model's answer there.
    if (r.outcome === 'answered' && r.complexity !== null && r.model !== null && r.cached === undefined) {
      const usage = [1, r.inputTokens, r.outputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.costNano];
      const hour = Math.floor(r.startedAt / HOUR_MS);
      const id = `${r.agent}\u0000${provider}\u0000${model}\u0000${r.complexity}`;
      this.answeredHourly.add(`${hour}\u0000${id}`, [hour, r.agent, provider, model, r.complexity], usage);
      this.answeredDaily.add(`${day}\u0000${id}`, [day, r.agent, provider, model, r.complexity], usage);
    }
    for (const a of r.attempts) {
      const hour = Math.floor(a.startedAt / HOUR_MS);
      if (a.seq === 0) {
        const failed = a.status === 'error';
        this.firstAttempts.add(
          `${hour}\u0000${r.agent}\u0000${a.provider}`,
          [hour, r.agent, a.provider],
          [1, failed ? 1 : 0, failed ? a.latencyMs : 0],
        );
      }
      if (this.speed && a.status === 'ok' && a.outputTokens > 0) {
        this.speeds.add(`${hour}\u0000${a.provider}\u0000${a.model}`, [hour, a.provider, a.model], [a.outputTokens, Math.max(a.latencyMs - (a.ttftMs ?? 0), 0)]);
      }
      if (a.status === 'ok' && a.ttftMs !== null) {
        const id = `${hour}\u0000${r.tier}\u0000${a.provider}\u0000${a.model}`;
        let row = this.ttfts.get(id);
        if (!row) this.ttfts.set(id, (row = { keys: [hour, r.tier, a.provider, a.model], values: [] }));
        row.values.push(a.ttftMs);
      }
    }
  }

  /** Writes the batch's sums (inside the batch's transaction). */
  flush(db: Database): void {
    this.requestDaily.flush(db, UPSERT_REQUEST_DAILY);
    this.answeredHourly.flush(db, UPSERT_ANSWERED_HOURLY);
    this.answeredDaily.flush(db, UPSERT_ANSWERED_DAILY);
    this.firstAttempts.flush(db, UPSERT_FIRST_ATTEMPT);
    if (this.speed) this.speeds.flush(db, UPSERT_SPEED);
    if (this.ttfts.size === 0) return;
    const statement = rollupStatement(db, UPSERT_TTFT);
    try {
      // String(number) is the shortest text that parses back to the same double: the values stay exact.
      for (const { keys, values } of this.ttfts.values()) statement.run([...keys, values.length, values.map(String).join(',')]);
    } finally {
      this.ttfts.clear();
    }
  }
}

/**
 * Deletes requests (and their attempts) older than `cutoff` and keeps the rollup equal to what remains: whole
 * buckets before the cutoff go, the bucket it falls in is rebuilt from its remaining requests. Returns how many
 * requests were deleted. Call inside a transaction.
 */
export function deleteRequestsBefore(db: Database, cutoff: number): number {
  const deletedAttemptsEnd = Number(
    db.exec('SELECT MAX(started_at) FROM attempts WHERE request_id IN (SELECT id FROM requests WHERE started_at < ?)', [cutoff])[0]
      ?.values[0]?.[0] ?? 0,
  );
  db.run('DELETE FROM attempts WHERE request_id IN (SELECT id FROM requests WHERE started_at < ?)', [cutoff]);
  db.run('DELETE FROM requests WHERE started_at < ?', [cutoff]);
  const deleted = db.getRowsModified();
  const version = schemaVersion(db);
  if (version >= 8) db.run('DELETE FROM feedback WHERE at < ?', [cutoff]);
  if (version >= 2) {
    const edge = Math.floor(cutoff / ROLLUP_BUCKET_MS);
    db.run('DELETE FROM request_rollup WHERE bucket <= ?', [edge]);
    db.exec(rollupSelect(`started_at / ${ROLLUP_BUCKET_MS} = ${edge}`));
  }
  if (version >= 3 && deleted > 0) {
    const hour = Math.floor(cutoff / HOUR_MS);
    db.run('DELETE FROM request_hourly WHERE hour <= ?', [hour]);
    db.exec(requestHourlySelect(`started_at >= ${hour * HOUR_MS} AND started_at < ${(hour + 1) * HOUR_MS}`));
    // An attempt is deleted with its request, but may have started after the cutoff (a fallback): rebuild every
    // bucket up to the latest deleted attempt (or the cutoff) from the attempts that remain.
    const latest = Math.max(cutoff, deletedAttemptsEnd);
    const lastHour = Math.floor(latest / HOUR_MS);
    db.run('DELETE FROM attempt_hourly WHERE hour <= ?', [lastHour]);
    db.exec(attemptHourlySelect(`started_at < ${(lastHour + 1) * HOUR_MS}`));
    const lastDay = Math.floor(latest / DAY_MS);
    db.run('DELETE FROM latency_daily WHERE day <= ?', [lastDay]);
    db.exec(latencyDailySelect(`started_at < ${(lastDay + 1) * DAY_MS}`));
  }
  if (version >= 4 && deleted > 0) {
    // Request rollups: the hour and the day the cutoff falls in are rebuilt from their remaining requests.
    const hour = Math.floor(cutoff / HOUR_MS);
    const day = Math.floor(cutoff / DAY_MS);
    const inHour = `started_at >= ${hour * HOUR_MS} AND started_at < ${(hour + 1) * HOUR_MS}`;
    const inDay = `started_at >= ${day * DAY_MS} AND started_at < ${(day + 1) * DAY_MS}`;
    db.run('DELETE FROM request_daily WHERE day <= ?', [day]);
    db.exec(requestDailySelect(inDay));
    const notCached = version >= 7 ? ' AND cached_from IS NULL' : '';
    db.run('DELETE FROM answered_hourly WHERE hour <= ?', [hour]);
    db.exec(answeredSelect('answered_hourly', HOUR_MS, inHour + notCached));
    db.run('DELETE FROM answered_daily WHERE day <= ?', [day]);
    db.exec(answeredSelect('answered_daily', DAY_MS, inDay + notCached));
    // Attempt rollups: as attempt_hourly, every hour up to the latest deleted attempt, from the attempts that remain.
    const lastHour = Math.floor(Math.max(cutoff, deletedAttemptsEnd) / HOUR_MS);
    const before = `a.started_at < ${(lastHour + 1) * HOUR_MS}`;
    db.run('DELETE FROM first_attempt_hourly WHERE hour <= ?', [lastHour]);
    db.exec(firstAttemptSelect(before));
    db.run('DELETE FROM ttft_hourly WHERE hour <= ?', [lastHour]);
    db.exec(ttftSelect(before));
    if (version >= 8) {
      db.run('DELETE FROM speed_hourly WHERE hour <= ?', [lastHour]);
      db.exec(speedHourlySelect(`started_at < ${(lastHour + 1) * HOUR_MS}`));
    }
  }
  return deleted;
}

function verificationColumns(a: LedgerRecord['attempts'][number]): (string | number | null)[] {
  const v = a.verification;
  if (!v) return [null, null, null, null, null, null, null];
  return [v.verdict, v.checks, v.passed, v.failed, v.ms, v.isolation, v.failures ? JSON.stringify(v.failures) : null];
}

const INSERT_FEEDBACK = `INSERT INTO feedback (id, request_id, at, kind, agent, task, provider, model, comparison)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

// ON CONFLICT DO NOTHING skips only a record already stored; OR IGNORE would also drop a row that breaks a
// NOT NULL constraint without a word, and a lost record is worse than a failed write.
function insertRequestSql(version: number): string {
  const columns = requestColumns(version);
  return `INSERT INTO requests (${columns.join(', ')}) VALUES (${placeholders(columns.length)}) ON CONFLICT (id) DO NOTHING`;
}
function insertAttemptSql(version: number): string {
  const columns = attemptColumns(version);
  return `INSERT INTO attempts (${columns.join(', ')}) VALUES (${placeholders(columns.length)}) ON CONFLICT (request_id, seq) DO NOTHING`;
}

/**
 * Writes records idempotently (a record id seen before is ignored, attempts included), in one transaction.
 * Returns how many were new.
 */
export function insertRecords(db: Database, records: Iterable<LedgerRecord>): number {
  // A database at an older schema (only during a test of migrations) has no rollup to keep.
  const version = schemaVersion(db);
  const request = rollupStatement(db, insertRequestSql(version));
  const attempt = rollupStatement(db, insertAttemptSql(version));
  const rollup = version >= 2 ? rollupStatement(db, UPSERT_ROLLUP) : undefined;
  const requestHourly = version >= 3 ? rollupStatement(db, UPSERT_REQUEST_HOURLY) : undefined;
  const attemptHourly = version >= 3 ? rollupStatement(db, UPSERT_ATTEMPT_HOURLY) : undefined;
  const latencyDaily = version >= 3 ? rollupStatement(db, UPSERT_LATENCY_DAILY) : undefined;
  const batch = version >= 4 ? new BatchRollups(version >= 8) : undefined;
  const feedback = version >= 8 ? rollupStatement(db, INSERT_FEEDBACK) : undefined;
  let inserted = 0;
  db.exec('BEGIN');
  try {
    for (const r of records) {
      if (r.feedback !== undefined) {
        // A feedback line is no request: its own table only (a ledger before schema 8 has none and skips it).
        if (!feedback) continue;
        const f = r.feedback;
        feedback.run([r.id, f.requestId, r.startedAt, f.kind, f.agent, f.task, f.provider, f.model, f.comparison ?? null]);
        if (db.getRowsModified() > 0) inserted += 1;
        continue;
      }
      request.run([
        r.id, r.startedAt, r.finishedAt, r.agent, r.command, r.task, r.complexity, JSON.stringify(r.reasons),
        r.requestedTier, r.tier, r.escalated ? 1 : 0, r.downgraded ? 1 : 0, r.forced ? 1 : 0, r.strategy,
        r.provider, r.model, r.outcome, r.errorKind, r.errorMessage, r.inputTokens, r.outputTokens,
        r.cacheReadTokens, r.cacheWriteTokens, r.costNano, r.estimateNano, r.latencyMs, r.ttftMs, r.fallbacks,
        r.instruction,
        ...(version >= 6
          ? [r.escalatedBy ?? null, r.cascade?.kept ?? null, r.cascade?.steps ?? null, r.cascade?.startTier ?? null, r.cascade?.strongEstimateNano ?? null]
          : []),
        ...(version >= 7 ? [r.cached?.from ?? null, r.cached?.savedNano ?? null] : []),
      ]);
      if (db.getRowsModified() === 0) continue;
      inserted += 1;
      const sums = [
        r.outcome === 'answered' ? 1 : 0, r.costNano, r.inputTokens, r.outputTokens, r.cacheReadTokens,
        r.cacheWriteTokens,
      ];
      rollup?.run([Math.floor(r.startedAt / ROLLUP_BUCKET_MS), r.provider ?? '', r.model ?? '', r.agent, ...sums]);
      requestHourly?.run([Math.floor(r.startedAt / HOUR_MS), r.provider ?? '', r.model ?? '', r.agent, ...sums]);
      for (const a of r.attempts) {
        attempt.run([
          r.id, a.seq, a.startedAt, a.provider, a.model, a.keyId, a.status, a.errorKind, a.httpStatus, a.latencyMs,
          a.ttftMs, a.inputTokens, a.outputTokens, a.cacheReadTokens, a.cacheWriteTokens, a.costNano,
          a.usageEstimated ? 1 : 0, ...(version >= 5 ? [a.priceUnknown === true ? 1 : 0] : []),
          ...(version >= 6 ? verificationColumns(a) : []),
        ]);
        // A record's attempts share its id, so a replayed record (skipped above) never reaches here twice.
        attemptHourly?.run([
          Math.floor(a.startedAt / HOUR_MS), a.provider, a.model, a.status === 'ok' ? 1 : 0, a.inputTokens,
          a.outputTokens, a.cacheReadTokens, a.cacheWriteTokens, a.costNano,
        ]);
        if (a.status === 'ok') latencyDaily?.run([Math.floor(a.startedAt / DAY_MS), a.provider, a.model, latencyBinMs(a.latencyMs)]);
      }
      batch?.add(r);
    }
    batch?.flush(db);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  return inserted;
}

/** An empty in-memory ledger at the current schema (the dashboard's empty state when no ledger can be opened). */
export async function emptyLedgerDatabase(options: SqlJsOptions = {}): Promise<Database> {
  const sql = await loadSqlJs(options);
  const db = new sql.Database();
  migrate(db);
  return db;
}
