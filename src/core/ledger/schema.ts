/**
 * The ledger's SQLite schema and its forward migrations. Times are epoch milliseconds (UTC); day and month boundaries
 * in the user's time zone are computed at query time. Money is whole nano-dollars (INTEGER), so sums are exact.
 *
 * The rollup tables' rows are built from the catalogue in rollups.ts (the same SQL retention rebuilds them with);
 * rows are written by write.ts.
 */
import type { Database } from 'sql.js';

import { rebuildSql, ROLLUPS, rollUpSql } from './rollups';
import type { SqlJsOptions } from './sqlite';
import { loadSqlJs } from './sqlite';

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
${rebuildSql(ROLLUPS.request_rollup, 2)}
`,
  },
  {
    version: 3,
    description: 'hourly request and attempt rollups, daily latency histogram (the dashboard)',
    sql: `
${requestTotalsTable('request_hourly', 'hour')}
${rollUpSql(ROLLUPS.request_hourly, ROLLUPS.request_rollup)}
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
${rebuildSql(ROLLUPS.attempt_hourly, 3)}
CREATE TABLE latency_daily (
  day INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  latency_bin INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (day, provider, model, latency_bin)
) WITHOUT ROWID;
${rebuildSql(ROLLUPS.latency_daily, 3)}
`,
  },
  {
    version: 4,
    description: 'daily request rollup (breakdowns); rollups the recommendations read',
    sql: `
${requestTotalsTable('request_daily', 'day')}
${rollUpSql(ROLLUPS.request_daily, ROLLUPS.request_hourly)}
CREATE TABLE answered_hourly (
  hour INTEGER NOT NULL,
  ${ANSWERED_COLUMNS},
  PRIMARY KEY (hour, agent, provider, model, complexity)
) WITHOUT ROWID;
${rebuildSql(ROLLUPS.answered_hourly, 4)}
CREATE TABLE answered_daily (
  day INTEGER NOT NULL,
  ${ANSWERED_COLUMNS},
  PRIMARY KEY (day, agent, provider, model, complexity)
) WITHOUT ROWID;
${rollUpSql(ROLLUPS.answered_daily, ROLLUPS.answered_hourly)}
CREATE TABLE first_attempt_hourly (
  hour INTEGER NOT NULL,
  agent TEXT NOT NULL,
  provider TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  failed_latency_ms REAL NOT NULL,
  PRIMARY KEY (hour, agent, provider)
) WITHOUT ROWID;
${rebuildSql(ROLLUPS.first_attempt_hourly, 4)}
CREATE TABLE ttft_hourly (
  hour INTEGER NOT NULL,
  tier TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  samples INTEGER NOT NULL,
  ttfts TEXT NOT NULL,
  UNIQUE (hour, tier, provider, model)
);
${rebuildSql(ROLLUPS.ttft_hourly, 4)}
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
${rebuildSql(ROLLUPS.speed_hourly, 8)}
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

/** An empty in-memory ledger at the current schema (the dashboard's empty state when no ledger can be opened). */
export async function emptyLedgerDatabase(options: SqlJsOptions = {}): Promise<Database> {
  const sql = await loadSqlJs(options);
  const db = new sql.Database();
  migrate(db);
  return db;
}
