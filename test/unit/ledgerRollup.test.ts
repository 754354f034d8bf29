import assert from 'node:assert/strict';

import type { Database } from 'sql.js';
import initSqlJs from 'sql.js';

import type { BreakdownDimension } from '../../src/core/ledger/queries';
import { breakdown } from '../../src/core/ledger/queries';
import type { Rollup } from '../../src/core/ledger/rollups';
import { ANSWERED, ATTEMPT_TOTALS, FIRST_ATTEMPTS, LATENCY_HISTOGRAM, REQUEST_TOTALS, ROLLUPS, SPEEDS, sumRange, TTFTS } from '../../src/core/ledger/rollups';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../src/core/ledger/schema';
import { StatementCache } from '../../src/core/ledger/sqlite';
import { deleteRequestsBefore, insertRecords } from '../../src/core/ledger/write';
import { generateLedgerRecords } from '../support/ledgerFixtures';

/**
 * The rollups (UTC days, hours, 15-minute buckets) must give exactly the answers the raw rows give, for ranges whose
 * edges fall inside buckets, in time zones with :30 and :45 offsets, and after retention cut a bucket in half; the
 * tables of schema 4 must equal what the migration builds from the rows.
 */
const FROM = Date.parse('2026-10-01T00:00:00Z');
const TO = Date.parse('2026-11-20T00:00:00Z');

async function twoDatabases(): Promise<{ rolled: Database; raw: Database }> {
  const SQL = await initSqlJs();
  const records = [...generateLedgerRecords({ count: 4000, from: FROM, to: TO, seed: 7 })];
  const rolled = new SQL.Database();
  migrate(rolled);
  insertRecords(rolled, records);
  const raw = new SQL.Database();
  migrate(raw);
  insertRecords(raw, records);
  // The same rows without a rollup: breakdowns fall back to reading every request.
  raw.exec('DROP TABLE request_rollup; PRAGMA user_version = 1;');
  return { rolled, raw };
}

/** The tables of migration 4, comparable: TTFT lists as their values in ascending order (the text may differ). */
function schema4Tables(db: Database): Record<string, unknown> {
  const rows = (sql: string): unknown[] => db.exec(sql)[0]?.values ?? [];
  return {
    request_daily: rows('SELECT * FROM request_daily ORDER BY 1, 2, 3, 4'),
    answered_hourly: rows('SELECT * FROM answered_hourly ORDER BY 1, 2, 3, 4, 5'),
    answered_daily: rows('SELECT * FROM answered_daily ORDER BY 1, 2, 3, 4, 5'),
    first_attempt_hourly: rows('SELECT * FROM first_attempt_hourly ORDER BY 1, 2, 3'),
    ttft_hourly: rows('SELECT hour, tier, provider, model, samples, ttfts FROM ttft_hourly ORDER BY 1, 2, 3, 4').map((row) => {
      const values = row as unknown[];
      return [...values.slice(0, 5), String(values[5]).split(',').map(Number).sort((a, b) => a - b)];
    }),
  };
}

/** A copy of `db` whose schema-4 tables are built by the migration from the rows it holds. */
async function rebuilt(db: Database): Promise<Database> {
  const SQL = await initSqlJs();
  const copy = new SQL.Database(db.export());
  copy.exec(`DROP TABLE request_daily; DROP TABLE answered_hourly; DROP TABLE answered_daily;
    DROP TABLE first_attempt_hourly; DROP TABLE ttft_hourly; PRAGMA user_version = 3;`);
  // Migration 4 again (the later ones changed other tables, which stay as they are).
  migrate(copy, MIGRATIONS.filter((migration) => migration.version <= 4));
  return copy;
}

const DIMENSIONS: readonly BreakdownDimension[] = ['provider', 'agent', 'model', 'day'];
const RANGE = { from: Date.parse('2026-10-03T07:13:21Z'), to: Date.parse('2026-11-02T19:52:08Z') };
/** Shorter ranges: under two days (no whole UTC day in the middle), under an hour, under a quarter hour. */
const SHORT_RANGES = [
  { from: Date.parse('2026-10-20T21:40:00Z'), to: Date.parse('2026-10-22T03:20:00Z') },
  { from: Date.parse('2026-10-21T10:05:00Z'), to: Date.parse('2026-10-21T10:55:00Z') },
  { from: Date.parse('2026-10-21T10:16:00Z'), to: Date.parse('2026-10-21T10:29:00Z') },
];

describe('ledger: rollup', function () {
  this.timeout(30_000);
  it('gives the same breakdowns as the raw rows, with ragged range edges and odd time zones', async () => {
    const { rolled, raw } = await twoDatabases();
    // :30, :45 (Kathmandu, Eucla, Chatham with daylight saving), -3:30 with daylight saving (St John's).
    const zones = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York', 'Australia/Eucla', 'Pacific/Chatham', 'America/St_Johns'];
    for (const timeZone of zones) {
      for (const by of DIMENSIONS) {
        assert.deepEqual(breakdown(rolled, by, RANGE, timeZone), breakdown(raw, by, RANGE, timeZone), `${by} in ${timeZone}`);
        for (const range of SHORT_RANGES) {
          assert.deepEqual(breakdown(rolled, by, range, timeZone), breakdown(raw, by, range, timeZone), `${by} in ${timeZone}, ${JSON.stringify(range)}`);
        }
      }
    }
  });

  it('stays equal to the raw rows after retention cuts a bucket in half', async () => {
    const { rolled, raw } = await twoDatabases();
    const cutoff = Date.parse('2026-10-15T10:07:00Z');
    const deleted = deleteRequestsBefore(rolled, cutoff);
    assert.equal(deleteRequestsBefore(raw, cutoff), deleted);
    assert.ok(deleted > 0);
    const all = { from: FROM, to: TO };
    for (const by of DIMENSIONS) assert.deepEqual(breakdown(rolled, by, all, 'UTC'), breakdown(raw, by, all, 'UTC'), by);
  });

  it('keeps the schema-4 rollups equal to a rebuild from the rows: after inserts, retention and a replay', async () => {
    const { rolled } = await twoDatabases();
    assert.deepEqual(schema4Tables(rolled), schema4Tables(await rebuilt(rolled)), 'inserted');
    // The cutoff falls inside an hour and a day; a fallback of a request before it starts after it.
    const cutoff = Date.parse('2026-10-15T10:07:00Z');
    const straddles = [...generateLedgerRecords({ count: 1, from: cutoff - 60_000, to: cutoff - 59_000, seed: 3, idPrefix: 'straddles' })][0]!;
    insertRecords(rolled, [{ ...straddles, attempts: straddles.attempts.map((a, seq) => ({ ...a, seq, startedAt: cutoff + seq * 5_400_000 })) }]);
    assert.ok(deleteRequestsBefore(rolled, cutoff) > 0);
    assert.deepEqual(schema4Tables(rolled), schema4Tables(await rebuilt(rolled)), 'after retention');
    insertRecords(rolled, generateLedgerRecords({ count: 4000, from: FROM, to: TO, seed: 7 }));
    assert.deepEqual(schema4Tables(rolled), schema4Tables(await rebuilt(rolled)), 'after a replay (older records come back)');
  });

  it('counts a record written twice once in the rollup too', async () => {
    const { rolled } = await twoDatabases();
    const before = breakdown(rolled, 'provider', { from: FROM, to: TO });
    insertRecords(rolled, generateLedgerRecords({ count: 4000, from: FROM, to: TO, seed: 7 }));
    assert.deepEqual(breakdown(rolled, 'provider', { from: FROM, to: TO }), before);
  });

  it('the catalogue names every rollup table, with its columns in table order, from the schema version that made it', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    migrate(db);
    const names = (d: Database): string[] =>
      (d.exec(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)[0]?.values ?? []).map((row) => String(row[0]));
    assert.deepEqual(names(db), ['attempts', 'feedback', 'requests', ...Object.keys(ROLLUPS)].sort(), 'every table but the rows is a rollup');
    for (const table of Object.values(ROLLUPS)) {
      const columns = db.exec(`PRAGMA table_info(${table.name})`)[0]!.values.map((row) => row[1]);
      assert.deepEqual(columns, [table.unit, ...table.keys, ...table.sums, ...(table.list ? [table.list.column] : [])], table.name);
      const before = new SQL.Database();
      migrate(before, MIGRATIONS.filter((m) => m.version < table.since));
      assert.ok(!names(before).includes(table.name), `${table.name} is not there before schema ${table.since}`);
      migrate(before, MIGRATIONS.filter((m) => m.version <= table.since));
      assert.ok(names(before).includes(table.name), `${table.name} comes with schema ${table.since}`);
    }
  });

  it('reads every rollup over a ragged range exactly as the raw rows add up, per every key', async () => {
    const { rolled } = await twoDatabases();
    const statements = new StatementCache(rolled);
    try {
      const check = <K extends string, S extends string>(name: string, rollup: Rollup<K, S>): void => {
        const by = Object.keys(rollup.raw.keys) as K[];
        for (const range of [RANGE, ...SHORT_RANGES]) {
          const sums = sumRange(statements, rollup, range, { by, version: SCHEMA_VERSION });
          const raw = sumRange(statements, rollup, range, { by, version: SCHEMA_VERSION, rawOnly: true });
          assert.ok(raw.size > 0, `${name}: the range holds rows`);
          assert.deepEqual(new Map([...sums].sort()), new Map([...raw].sort()), `${name}, ${JSON.stringify(range)}`);
        }
      };
      check('request totals', REQUEST_TOTALS);
      check('attempt totals', ATTEMPT_TOTALS);
      check('latency histogram', LATENCY_HISTOGRAM);
      check('answered', ANSWERED);
      check('first attempts', FIRST_ATTEMPTS);
      check('TTFT samples', TTFTS);
      check('speeds', SPEEDS);
      // Named fields, and the total without keys.
      const total = sumRange(statements, REQUEST_TOTALS, RANGE, { by: [], version: SCHEMA_VERSION }).get('')!;
      const count = rolled.exec('SELECT COUNT(*), TOTAL(cost_nano) FROM requests WHERE started_at >= ? AND started_at < ?', [RANGE.from, RANGE.to])[0]!.values[0]!;
      assert.deepEqual([total.sums.requests, total.sums.cost_nano], count);
    } finally {
      statements.free();
    }
  });
});
