/**
 * The ledger's SQLite schema, its forward migrations, and the one way rows are written. Times are epoch
 * milliseconds (UTC); day and month boundaries in the user's time zone are computed at query time. Money is whole
 * nano-dollars (INTEGER), so sums are exact.
 */
import type { Database } from 'sql.js';
import type { LedgerRecord } from './record';

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

/**
 * Deletes requests (and their attempts) older than `cutoff` and keeps the rollup equal to what remains: whole
 * buckets before the cutoff go, the bucket it falls in is rebuilt from its remaining requests. Returns how many
 * requests were deleted. Call inside a transaction.
 */
export function deleteRequestsBefore(db: Database, cutoff: number): number {
  db.run('DELETE FROM attempts WHERE request_id IN (SELECT id FROM requests WHERE started_at < ?)', [cutoff]);
  db.run('DELETE FROM requests WHERE started_at < ?', [cutoff]);
  const deleted = db.getRowsModified();
  if (schemaVersion(db) >= 2) {
    const edge = Math.floor(cutoff / ROLLUP_BUCKET_MS);
    db.run('DELETE FROM request_rollup WHERE bucket <= ?', [edge]);
    db.exec(rollupSelect(`started_at / ${ROLLUP_BUCKET_MS} = ${edge}`));
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
  const rollup = schemaVersion(db) >= 2 ? db.prepare(UPSERT_ROLLUP) : undefined;
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
      rollup?.run([
        Math.floor(r.startedAt / ROLLUP_BUCKET_MS), r.provider ?? '', r.model ?? '', r.agent,
        r.outcome === 'answered' ? 1 : 0, r.costNano, r.inputTokens, r.outputTokens, r.cacheReadTokens,
        r.cacheWriteTokens,
      ]);
      for (const a of r.attempts) {
        attempt.run([
          r.id, a.seq, a.startedAt, a.provider, a.model, a.keyId, a.status, a.errorKind, a.httpStatus, a.latencyMs,
          a.ttftMs, a.inputTokens, a.outputTokens, a.cacheReadTokens, a.cacheWriteTokens, a.costNano,
          a.usageEstimated ? 1 : 0,
        ]);
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
  }
  return inserted;
}
