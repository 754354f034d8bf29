import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Database } from 'sql.js';

import { SharedBudgetHolds } from '../../src/core/ledger/reservations';
import { PendingSpend } from '../../src/core/ledger/spend';
import { insertRecords } from '../../src/core/ledger/write';
import { BudgetGate } from '../../src/core/routing/budget';
import { FakeClock } from '../../src/core/routing/clock';
import { dbWith, ledgerRecord } from '../support/ledgerFixtures';

const NOON = Date.UTC(2026, 10, 23, 12);

describe('PendingSpend: ledger spend plus the costs of requests still running', () => {
  let db: Database;
  beforeEach(async () => {
    db = await dbWith([ledgerRecord({ id: 'old', startedAt: NOON - 3_600_000, costNano: 1_000_000_000 })]);
  });
  afterEach(() => db.close());

  it('adds in-flight costs to what the ledger holds', async () => {
    const spend = new PendingSpend(() => db);
    assert.equal(await spend.spentUsd('day', NOON, 'UTC'), 1);
    await spend.record(0.25, NOON, 'a');
    await spend.record(0.5, NOON, 'b');
    assert.equal(await spend.spentUsd('day', NOON, 'UTC'), 1.75);
  });

  it('forgets only the recorded request when several run at once, so nothing is counted twice or lost', async () => {
    const spend = new PendingSpend(() => db);
    await spend.record(0.25, NOON, 'a');
    await spend.record(0.5, NOON, 'b');
    insertRecords(db, [ledgerRecord({ id: 'a', startedAt: NOON, costNano: 250_000_000 })]);
    await spend.recorded('a');
    assert.equal(await spend.spentUsd('day', NOON, 'UTC'), 1.75, 'b is still pending and a now counts in the ledger');
    assert.equal(spend.pendingRequests, 1);
  });

  it('counts nothing pending while no ledger is open', async () => {
    const spend = new PendingSpend(() => undefined);
    await spend.record(0.1, NOON, 'a');
    assert.equal(await spend.spentUsd('month', NOON, 'UTC'), 0.1);
  });

  describe('with holds shared through the ledger directory (two processes)', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'holds-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const gateOver = (spend: PendingSpend, dailyUsd: number): BudgetGate =>
      new BudgetGate({ dailyUsd, onExceed: 'block', timeZone: 'UTC' }, spend, { clock: new FakeClock(NOON) });

    it('twenty concurrent holds of $0.08 against $0.20 (and $1 already spent) from two sources: exactly two pass', async () => {
      const dbB = await dbWith([ledgerRecord({ id: 'old', startedAt: NOON - 3_600_000, costNano: 1_000_000_000 })]);
      const a = new PendingSpend({ db: () => db, holds: new SharedBudgetHolds(dir) });
      const b = new PendingSpend({ db: () => dbB, holds: new SharedBudgetHolds(dir) });
      const verdicts = await Promise.all(
        Array.from({ length: 20 }, (_, n) => gateOver(n % 2 ? a : b, 1.2).hold(0.08, 0.08, `r${n}`, NOON, NOON)),
      );
      assert.equal(verdicts.filter((v) => v.action === 'allow').length, 2);
      const blocked = verdicts.find((v) => v.action === 'block');
      assert.ok(blocked && blocked.action === 'block');
      assert.match(blocked.message, /\$1\.20 budget would be exceeded \(\$1\.00 used \+ \$0\.16 held by requests in progress \+ \$0\.08 estimated\)/);
      dbB.close();
    });

    it('an attempt\'s cost replaces its hold; once recorded in one ledger the other counts it until it reads the record, never twice', async () => {
      const dbB = await dbWith([ledgerRecord({ id: 'old', startedAt: NOON - 3_600_000, costNano: 1_000_000_000 })]);
      const a = new PendingSpend({ db: () => db, holds: new SharedBudgetHolds(dir) });
      const b = new PendingSpend({ db: () => dbB, holds: new SharedBudgetHolds(dir) });
      assert.equal((await gateOver(a, 5).hold(0.4, 0.4, 'x', NOON, NOON)).action, 'allow');
      assert.deepEqual([await b.spentUsd('day', NOON, 'UTC'), await b.heldUsd('day', NOON, 'UTC')], [1, 0.4], 'b sees a\'s hold');
      await a.record(0.1, NOON, 'x');
      assert.deepEqual([await b.spentUsd('day', NOON, 'UTC'), await b.heldUsd('day', NOON, 'UTC')], [1.1, 0], 'the cost replaced the hold');
      insertRecords(db, [ledgerRecord({ id: 'x', startedAt: NOON, costNano: 100_000_000 })]);
      await a.recorded('x');
      assert.equal(await a.spentUsd('day', NOON, 'UTC'), 1.1, 'a: in its ledger, not counted twice');
      assert.equal(await b.spentUsd('day', NOON, 'UTC'), 1.1, 'b: not in its ledger yet, still counted through the entry');
      insertRecords(dbB, [ledgerRecord({ id: 'x', startedAt: NOON, costNano: 100_000_000 })]);
      assert.equal(await b.spentUsd('day', NOON, 'UTC'), 1.1, 'b read the record: counted once');
      dbB.close();
    });
  });
});
