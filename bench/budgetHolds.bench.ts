import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SharedBudgetHolds } from '../src/core/ledger/reservations';
import { emptyLedgerDatabase } from '../src/core/ledger/schema';
import { PendingSpend } from '../src/core/ledger/spend';
import { BudgetGate } from '../src/core/routing/budget';
import type { Figure } from './report';
import { median } from './report';

/**
 * What holding a budget across processes adds to each attempt: a hold and its settlement (read-check-write of the
 * shared holds file under its lock, twice) against the same in this process's memory only, with 200 other requests'
 * entries in the file (a busy hour). The difference is the time a request waits before it is sent, and after.
 */
export async function budgetHoldsBench(): Promise<readonly Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-holds-'));
  const db = await emptyLedgerDatabase();
  try {
    const budget = { dailyUsd: 1_000_000, onExceed: 'block' as const, timeZone: 'UTC' };
    const shared = new PendingSpend({ db: () => db, holds: new SharedBudgetHolds(dir) });
    const local = new PendingSpend({ db: () => db });
    const now = Date.now();
    for (let n = 0; n < 200; n += 1) await new BudgetGate(budget, shared).hold(0.01, 0.02, `other-${n}`, now);
    const time = async (spend: PendingSpend, prefix: string, runs: number): Promise<{ hold: number; both: number }> => {
      const gate = new BudgetGate(budget, spend);
      const hold: number[] = [];
      const both: number[] = [];
      for (let n = 0; n < runs; n += 1) {
        const started = performance.now();
        await gate.hold(0.01, 0.02, `${prefix}-${n}`, now);
        hold.push(performance.now() - started);
        await gate.record(0.01, now, `${prefix}-${n}`);
        both.push(performance.now() - started);
      }
      return { hold: median(hold), both: median(both) };
    };
    await time(shared, 'warm', 20);
    await time(local, 'warm', 20);
    const sharedMs = await time(shared, 'shared', 200);
    const localMs = await time(local, 'local', 200);
    return [
      // Added to the time to first token of a request with a budget (the hold is taken just before sending).
      { name: 'budget.shared_hold_before_send_median_ms', value: sharedMs.hold - localMs.hold, unit: 'ms', op: '<=', target: 5 },
      // Hold and settlement together (the settlement runs after the attempt, not before its answer).
      { name: 'budget.shared_hold_and_settle_median_ms', value: sharedMs.both - localMs.both, unit: 'ms', op: '<=', target: 10 },
    ];
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}
