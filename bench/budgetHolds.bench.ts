import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SharedBudgetHolds } from '../src/core/ledger/reservations';
import { PendingSpend } from '../src/core/ledger/spend';
import { BudgetGate } from '../src/core/routing/budget';
import { emptyLedgerDatabase } from '../src/core/ledger/schema';
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
    const time = async (spend: PendingSpend, prefix: string, runs: number): Promise<number[]> => {
      const gate = new BudgetGate(budget, spend);
      const samples: number[] = [];
      for (let n = 0; n < runs; n += 1) {
        const started = performance.now();
        await gate.hold(0.01, 0.02, `${prefix}-${n}`, now);
        await gate.record(0.01, now, `${prefix}-${n}`);
        samples.push(performance.now() - started);
      }
      return samples;
    };
    await time(shared, 'warm', 20);
    await time(local, 'warm', 20);
    const sharedMs = median(await time(shared, 'shared', 200));
    const localMs = median(await time(local, 'local', 200));
    return [{ name: 'budget.shared_hold_overhead_median_ms', value: sharedMs - localMs, unit: 'ms', op: '<=', target: 5 }];
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}
