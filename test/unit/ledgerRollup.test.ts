import assert from 'node:assert/strict';
import initSqlJs from 'sql.js';
import type { Database } from 'sql.js';
import { breakdown } from '../../src/core/ledger/queries';
import type { BreakdownDimension } from '../../src/core/ledger/queries';
import { deleteRequestsBefore, insertRecords, migrate } from '../../src/core/ledger/schema';
import { generateLedgerRecords } from '../support/ledgerFixtures';

/**
 * The rollup (15-minute buckets) must give exactly the answers the raw rows give, for ranges whose edges fall
 * inside buckets, in time zones with :30 and :45 offsets, and after retention cut a bucket in half.
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

const DIMENSIONS: readonly BreakdownDimension[] = ['provider', 'agent', 'model', 'day'];
const RANGE = { from: Date.parse('2026-10-03T07:13:21Z'), to: Date.parse('2026-11-02T19:52:08Z') };

describe('ledger: rollup', () => {
  it('gives the same breakdowns as the raw rows, with ragged range edges and odd time zones', async () => {
    const { rolled, raw } = await twoDatabases();
    for (const timeZone of ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York']) {
      for (const by of DIMENSIONS) {
        assert.deepEqual(breakdown(rolled, by, RANGE, timeZone), breakdown(raw, by, RANGE, timeZone), `${by} in ${timeZone}`);
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

  it('counts a record written twice once in the rollup too', async () => {
    const { rolled } = await twoDatabases();
    const before = breakdown(rolled, 'provider', { from: FROM, to: TO });
    insertRecords(rolled, generateLedgerRecords({ count: 4000, from: FROM, to: TO, seed: 7 }));
    assert.deepEqual(breakdown(rolled, 'provider', { from: FROM, to: TO }), before);
  });
});
