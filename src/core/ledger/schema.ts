/**
 * The ledger's SQLite schema, its forward migrations, and the one way rows are written. Times are epoch
 * milliseconds (UTC); day and month boundaries in the user's time zone are computed at query time. Money is whole
 * nano-dollars (INTEGER), so sums are exact.
 */
import type { Database } from 'sql.js';
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

/** Rebuilds `request_hourly` rows from `requests` matching `where`. */
function requestHourlySelect(where: string): string {
  return `INSERT INTO request_hourly
SELECT CAST(started_at / ${HOUR_MS} AS INTEGER), COALESCE(provider, ''), COALESCE(model, ''), agent, COUNT(*),
  TOTAL(outcome = 'answered'), TOTAL(cost_nano), TOTAL(input_tokens), TOTAL(output_tokens), TOTAL(cache_read_tokens),
  TOTAL(cache_write_tokens)
FROM requests ${where ? `WHERE ${where}` : ''}
GROUP BY 1, 2, 3, 4;`;
}

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
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
CREATE TABLE request_rollup (
  bucket INTEGER NOT NULL,
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
  PRIMARY KEY (bucket, provider, model, agent)
) WITHOUT ROWID;
${rollupSelect('')}
`,
  },
  {
    version: 3,
    description: 'hourly request and attempt rollups, daily latency histogram (the dashboard)',
    sql: `
CREATE TABLE request_hourly (
  hour INTEGER NOT NULL,
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
  PRIMARY KEY (hour, provider, model, agent)
) WITHOUT ROWID;
INSERT INTO request_hourly
SELECT bucket / 4, provider, model, agent, TOTAL(requests), TOTAL(answered), TOTAL(cost_nano), TOTAL(input_tokens),
  TOTAL(output_tokens), TOTAL(cache_read_tokens), TOTAL(cache_write_tokens)
FROM request_rollup GROUP BY 1, 2, 3, 4;
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
  'latency_ms', 'ttft_ms', 'fallbacks', 'instruction',
] as const;

const ATTEMPT_COLUMNS = [
  'request_id', 'seq', 'started_at', 'provider', 'model', 'key_id', 'status', 'error_kind', 'http_status',
  'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_nano',
  'usage_estimated',
] as const;

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
  return deleted;
}

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

// ON CONFLICT DO NOTHING skips only a record already stored; OR IGNORE would also drop a row that breaks a
// NOT NULL constraint without a word, and a lost record is worse than a failed write.
const INSERT_REQUEST = `INSERT INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${placeholders(REQUEST_COLUMNS.length)}) ON CONFLICT (id) DO NOTHING`;
const INSERT_ATTEMPT = `INSERT INTO attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${placeholders(ATTEMPT_COLUMNS.length)}) ON CONFLICT (request_id, seq) DO NOTHING`;

/**
 * Writes records idempotently (a record id seen before is ignored, attempts included), in one transaction.
 * Returns how many were new.
 */
export function insertRecords(db: Database, records: Iterable<LedgerRecord>): number {
  const request = db.prepare(INSERT_REQUEST);
  const attempt = db.prepare(INSERT_ATTEMPT);
  // A database at an older schema (only during a test of migrations) has no rollup to keep.
  const version = schemaVersion(db);
  const rollup = version >= 2 ? db.prepare(UPSERT_ROLLUP) : undefined;
  const requestHourly = version >= 3 ? db.prepare(UPSERT_REQUEST_HOURLY) : undefined;
  const attemptHourly = version >= 3 ? db.prepare(UPSERT_ATTEMPT_HOURLY) : undefined;
  const latencyDaily = version >= 3 ? db.prepare(UPSERT_LATENCY_DAILY) : undefined;
  let inserted = 0;
  db.exec('BEGIN');
  try {
    for (const r of records) {
      request.run([
        r.id, r.startedAt, r.finishedAt, r.agent, r.command, r.task, r.complexity, JSON.stringify(r.reasons),
        r.requestedTier, r.tier, r.escalated ? 1 : 0, r.downgraded ? 1 : 0, r.forced ? 1 : 0, r.strategy,
        r.provider, r.model, r.outcome, r.errorKind, r.errorMessage, r.inputTokens, r.outputTokens,
        r.cacheReadTokens, r.cacheWriteTokens, r.costNano, r.estimateNano, r.latencyMs, r.ttftMs, r.fallbacks,
        r.instruction,
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
          a.usageEstimated ? 1 : 0,
        ]);
        // A record's attempts share its id, so a replayed record (skipped above) never reaches here twice.
        attemptHourly?.run([
          Math.floor(a.startedAt / HOUR_MS), a.provider, a.model, a.status === 'ok' ? 1 : 0, a.inputTokens,
          a.outputTokens, a.cacheReadTokens, a.cacheWriteTokens, a.costNano,
        ]);
        if (a.status === 'ok') latencyDaily?.run([Math.floor(a.startedAt / DAY_MS), a.provider, a.model, latencyBinMs(a.latencyMs)]);
      }
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  } finally {
    request.free();
    attempt.free();
    rollup?.free();
    requestHourly?.free();
    attemptHourly?.free();
    latencyDaily?.free();
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
