import assert from 'node:assert/strict';

import type { Database } from 'sql.js';
import initSqlJs from 'sql.js';

import { latestDecisions } from '../../src/core/ledger/queries';
import { toLedgerRecord } from '../../src/core/ledger/record';
import { migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersion } from '../../src/core/ledger/schema';
import { insertRecords } from '../../src/core/ledger/write';
import { routeDecision as decision } from '../support/ledgerFixtures';

async function freshDb(): Promise<Database> {
  const SQL = await initSqlJs();
  return new SQL.Database();
}

describe('ledger: schema and records', () => {
  it('keeps what the ledger needs of a decision, in exact nano-dollars, and the instruction only when allowed', () => {
    const record = toLedgerRecord(decision('d1'), { instruction: 'explain the locking', storeInstruction: false });
    assert.equal(record.provider, 'openai');
    assert.equal(record.costNano, 701_000);
    assert.equal(record.fallbacks, 1);
    assert.equal(record.ttftMs, 120);
    assert.equal(record.instruction, null);
    assert.deepEqual(record.attempts.map((a) => [a.keyId, a.status, a.errorKind, a.httpStatus]), [
      ['work', 'error', 'overloaded', 529],
      ['default', 'ok', null, null],
    ]);
    assert.equal(toLedgerRecord(decision('d1'), { instruction: 'explain the locking', storeInstruction: true }).instruction, 'explain the locking');
    assert.ok(record.attempts.every((a) => a.priceUnknown === undefined), 'known prices carry no flag');
  });

  it('keeps the "price unknown" flag of an attempt through the database (schema 5)', async () => {
    const unpriced = decision('d2');
    unpriced.attempts[1]!.priceUnknown = true;
    const record = toLedgerRecord(unpriced);
    assert.deepEqual(record.attempts.map((a) => a.priceUnknown), [undefined, true]);
    const db = await freshDb();
    migrate(db);
    insertRecords(db, [record]);
    const rows = db.exec('SELECT seq, price_unknown FROM attempts ORDER BY seq')[0]!.values;
    assert.deepEqual(rows, [[0, 0], [1, 1]]);
  });

  it('keeps a cascade and each checked attempt\'s verdict through the database (schema 6); failing excerpts only when instructions may be stored', async () => {
    const cascaded = decision('d3', {
      task: 'implement',
      escalatedBy: 'verification',
      cascade: { planned: 2, startTier: 'light', steps: 2, kept: 'pass', strongEstimateUsd: 0.02 },
    });
    cascaded.attempts[0] = { ...cascaded.attempts[1]!, status: 'ok', verification: { verdict: 'fail', checks: 2, passed: 1, failed: 1, kinds: ['example'], failures: [{ kind: 'example', name: 'add(2, 3)', expected: '5', got: '6' }], ms: 41, isolation: 'full' } };
    cascaded.attempts[1]!.verification = { verdict: 'pass', checks: 2, passed: 2, failed: 0, kinds: ['example'], failures: [], ms: 38, isolation: 'full' };
    const db = await freshDb();
    migrate(db);
    insertRecords(db, [toLedgerRecord(cascaded), toLedgerRecord({ ...cascaded, id: 'd4' }, { storeInstruction: true })]);
    const [stored, withExcerpts] = latestDecisions(db, 10).sort((a, b) => a.id.localeCompare(b.id));
    assert.equal(stored!.escalatedBy, 'verification');
    assert.deepEqual(stored!.cascade, { kept: 'pass', steps: 2, startTier: 'light', strongEstimateNano: 20_000_000 });
    assert.deepEqual(stored!.attempts.map((a) => a.verification), [
      { verdict: 'fail', checks: 2, passed: 1, failed: 1, ms: 41, isolation: 'full' },
      { verdict: 'pass', checks: 2, passed: 2, failed: 0, ms: 38, isolation: 'full' },
    ]);
    assert.deepEqual(withExcerpts!.attempts[0]!.verification?.failures, [{ kind: 'example', name: 'add(2, 3)', expected: '5', got: '6' }]);
  });

  it('opens a schema-5 ledger written before verification: old rows read back without a verdict, new rows get one', async () => {
    const db = await freshDb();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 5));
    insertRecords(db, [toLedgerRecord(decision('before'))]);
    assert.equal(migrate(db), SCHEMA_VERSION);
    insertRecords(db, [toLedgerRecord(decision('after', { cascade: { planned: 1, startTier: 'light', steps: 1, kept: 'pass' } }))]);
    const byId = new Map(latestDecisions(db, 10).map((r) => [r.id, r]));
    assert.equal(byId.get('before')!.cascade, undefined);
    assert.ok(byId.get('before')!.attempts.every((a) => a.verification === undefined));
    assert.deepEqual(byId.get('after')!.cascade, { kept: 'pass', steps: 1, startTier: 'light', strongEstimateNano: null });
  });

  it('migrates an empty database to the current version and refuses one from a newer version', async () => {
    const db = await freshDb();
    assert.equal(schemaVersion(db), 0);
    assert.equal(migrate(db), SCHEMA_VERSION);
    assert.equal(migrate(db), SCHEMA_VERSION, 'running again changes nothing');
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    assert.throws(() => migrate(db), /written by a newer Model Router .*update the extension or CLI/);
  });

  it('migrates forward from the first schema keeping every row', async () => {
    const db = await freshDb();
    migrate(db, MIGRATIONS.slice(0, 1));
    insertRecords(db, [toLedgerRecord(decision('old'))]);
    const next = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'test: a new column', sql: 'ALTER TABLE requests ADD COLUMN note TEXT' }];
    assert.equal(migrate(db, next), SCHEMA_VERSION + 1);
    assert.equal(db.exec("SELECT count(*), max(note IS NULL) FROM requests WHERE id = 'old'")[0]!.values[0]!.join(','), '1,1');
  });

  it('stores a record once however often it is written (idempotent ids), attempts included', async () => {
    const db = await freshDb();
    migrate(db);
    const records = [toLedgerRecord(decision('a')), toLedgerRecord(decision('b'))];
    assert.equal(insertRecords(db, [...records, records[0]!]), 2);
    assert.equal(insertRecords(db, records), 0);
    assert.equal(db.exec('SELECT count(*) FROM requests')[0]!.values[0]![0], 2);
    assert.equal(db.exec('SELECT count(*), sum(cost_nano) FROM attempts')[0]!.values[0]!.join(','), '4,1402000');
  });

  it('rolls back a failed batch so nothing is half-written', async () => {
    const db = await freshDb();
    migrate(db);
    const broken = { ...toLedgerRecord(decision('c')), agent: null as unknown as string };
    assert.throws(() => insertRecords(db, [toLedgerRecord(decision('ok-before')), broken]));
    assert.equal(db.exec('SELECT count(*) FROM requests')[0]!.values[0]![0], 0);
  });
});
