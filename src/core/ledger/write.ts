/**
 * The one way rows are written to the ledger: {@link insertRecords} stores records (requests with their attempts, or
 * feedback events) and keeps every rollup of rollups.ts equal to the rows, and {@link deleteRequestsBefore} is
 * retention, rebuilding the buckets it cuts. The statements of an insert are prepared once per database.
 */
import type { Database, Statement } from 'sql.js';

import type { LedgerRecord } from './record';
import { DAY_MS, HOUR_MS, latencyBinMs, rebuildSql, ROLLUP_BUCKET_MS, ROLLUPS, upsertSql } from './rollups';
import { schemaVersion } from './schema';

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

// The upserts of the rollups; each takes the bucket, the keys and the sums in the catalogue's (the table's) order,
// those written once per record or attempt without the count (it is 1).
const UPSERT_ROLLUP = upsertSql(ROLLUPS.request_rollup, true);
const UPSERT_REQUEST_HOURLY = upsertSql(ROLLUPS.request_hourly, true);
const UPSERT_ATTEMPT_HOURLY = upsertSql(ROLLUPS.attempt_hourly, true);
const UPSERT_LATENCY_DAILY = upsertSql(ROLLUPS.latency_daily, true);
const UPSERT_REQUEST_DAILY = upsertSql(ROLLUPS.request_daily);
const UPSERT_ANSWERED_HOURLY = upsertSql(ROLLUPS.answered_hourly);
const UPSERT_ANSWERED_DAILY = upsertSql(ROLLUPS.answered_daily);
const UPSERT_SPEED = upsertSql(ROLLUPS.speed_hourly);
const UPSERT_FIRST_ATTEMPT = upsertSql(ROLLUPS.first_attempt_hourly);
const UPSERT_TTFT = upsertSql(ROLLUPS.ttft_hourly);

/**
 * The insert's statements (rows and rollup upserts), prepared once per database: a single-record batch (an append)
 * would otherwise prepare a dozen statements each time. sql.js frees a database's statements when it is closed (and
 * keeps them across export()); a freed statement has no SQL left and is prepared again.
 */
const rollupStatements = new WeakMap<Database, Map<string, Statement>>();

function rollupStatement(db: Database, sql: string): Statement {
  let cache = rollupStatements.get(db);
  if (!cache) rollupStatements.set(db, (cache = new Map<string, Statement>()));
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
    db.exec(rebuildSql(ROLLUPS.request_rollup, version, `started_at / ${ROLLUP_BUCKET_MS} = ${edge}`));
  }
  if (version >= 3 && deleted > 0) {
    const hour = Math.floor(cutoff / HOUR_MS);
    db.run('DELETE FROM request_hourly WHERE hour <= ?', [hour]);
    db.exec(rebuildSql(ROLLUPS.request_hourly, version, `started_at >= ${hour * HOUR_MS} AND started_at < ${(hour + 1) * HOUR_MS}`));
    // An attempt is deleted with its request, but may have started after the cutoff (a fallback): rebuild every
    // bucket up to the latest deleted attempt (or the cutoff) from the attempts that remain.
    const latest = Math.max(cutoff, deletedAttemptsEnd);
    const lastHour = Math.floor(latest / HOUR_MS);
    db.run('DELETE FROM attempt_hourly WHERE hour <= ?', [lastHour]);
    db.exec(rebuildSql(ROLLUPS.attempt_hourly, version, `started_at < ${(lastHour + 1) * HOUR_MS}`));
    const lastDay = Math.floor(latest / DAY_MS);
    db.run('DELETE FROM latency_daily WHERE day <= ?', [lastDay]);
    db.exec(rebuildSql(ROLLUPS.latency_daily, version, `started_at < ${(lastDay + 1) * DAY_MS}`));
  }
  if (version >= 4 && deleted > 0) {
    // Request rollups: the hour and the day the cutoff falls in are rebuilt from their remaining requests.
    const hour = Math.floor(cutoff / HOUR_MS);
    const day = Math.floor(cutoff / DAY_MS);
    const inHour = `started_at >= ${hour * HOUR_MS} AND started_at < ${(hour + 1) * HOUR_MS}`;
    const inDay = `started_at >= ${day * DAY_MS} AND started_at < ${(day + 1) * DAY_MS}`;
    db.run('DELETE FROM request_daily WHERE day <= ?', [day]);
    db.exec(rebuildSql(ROLLUPS.request_daily, version, inDay));
    db.run('DELETE FROM answered_hourly WHERE hour <= ?', [hour]);
    db.exec(rebuildSql(ROLLUPS.answered_hourly, version, inHour));
    db.run('DELETE FROM answered_daily WHERE day <= ?', [day]);
    db.exec(rebuildSql(ROLLUPS.answered_daily, version, inDay));
    // Attempt rollups: as attempt_hourly, every hour up to the latest deleted attempt, from the attempts that remain.
    const lastHour = Math.floor(Math.max(cutoff, deletedAttemptsEnd) / HOUR_MS);
    const before = `a.started_at < ${(lastHour + 1) * HOUR_MS}`;
    db.run('DELETE FROM first_attempt_hourly WHERE hour <= ?', [lastHour]);
    db.exec(rebuildSql(ROLLUPS.first_attempt_hourly, version, before));
    db.run('DELETE FROM ttft_hourly WHERE hour <= ?', [lastHour]);
    db.exec(rebuildSql(ROLLUPS.ttft_hourly, version, before));
    if (version >= 8) {
      db.run('DELETE FROM speed_hourly WHERE hour <= ?', [lastHour]);
      db.exec(rebuildSql(ROLLUPS.speed_hourly, version, `started_at < ${(lastHour + 1) * HOUR_MS}`));
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
