import assert from 'node:assert/strict';
import type { Database } from 'sql.js';
import { insertRecords } from '../../src/core/ledger/schema';
import { PendingSpend } from '../../src/core/ledger/spend';
import { dbWith, ledgerRecord } from '../support/ledgerFixtures';

const NOON = Date.UTC(2026, 10, 23, 12);

describe('PendingSpend: ledger spend plus the costs of requests still running', () => {
  let db: Database;
  beforeEach(async () => {
    db = await dbWith([ledgerRecord({ id: 'old', startedAt: NOON - 3_600_000, costNano: 1_000_000_000 })]);
  });
  afterEach(() => db.close());

  it('adds in-flight costs to what the ledger holds', () => {
    const spend = new PendingSpend(() => db);
    assert.equal(spend.spentUsd('day', NOON, 'UTC'), 1);
    spend.record(0.25, NOON, 'a');
    spend.record(0.5, NOON, 'b');
    assert.equal(spend.spentUsd('day', NOON, 'UTC'), 1.75);
  });

  it('forgets only the recorded request when several run at once, so nothing is counted twice or lost', () => {
    const spend = new PendingSpend(() => db);
    spend.record(0.25, NOON, 'a');
    spend.record(0.5, NOON, 'b');
    insertRecords(db, [ledgerRecord({ id: 'a', startedAt: NOON, costNano: 250_000_000 })]);
    spend.recorded('a');
    assert.equal(spend.spentUsd('day', NOON, 'UTC'), 1.75, 'b is still pending and a now counts in the ledger');
    assert.equal(spend.pendingRequests, 1);
  });

  it('counts nothing pending while no ledger is open', () => {
    const spend = new PendingSpend(() => undefined);
    spend.record(0.1, NOON, 'a');
    assert.equal(spend.spentUsd('month', NOON, 'UTC'), 0.1);
  });
});
