import { breakdown } from '../src/core/ledger/queries';
import { LedgerSpend } from '../src/core/ledger/spend';
import { DAY_MS, largeLedger } from './ledgerFixture';
import type { Figure } from './report';
import { medianTime } from './report';

/**
 * Ledger reads at 1,000,000 requests (about 1.1 attempts each) spread over 90 days, the default retention, ending
 * now: `ledger.breakdown_30d_ms` is a by-provider breakdown of the last 30 days (about 333,000 requests),
 * `ledger.spend_today_ms` one uncached `spentUsd('day')` (the cache would make it ~0), `ledger.spend_today_cached_ms`
 * a repeated one. Median of several runs after a warmup. The build time is printed as a comment.
 */

const TIME_ZONE = 'America/New_York';

export async function ledgerQueriesBench(): Promise<readonly Figure[]> {
  const now = Date.now();
  const db = await largeLedger(now, 'ledger bench');
  try {
    const range = { from: now - 30 * DAY_MS, to: now + 1 };
    const breakdownMs = medianTime(7, () => breakdown(db, 'provider', range, TIME_ZONE));
    const byDayMs = medianTime(5, () => breakdown(db, 'day', range, TIME_ZONE));
    const uncached = new LedgerSpend(() => db);
    const spendMs = medianTime(21, () => {
      uncached.invalidate();
      uncached.spentUsd('day', now, TIME_ZONE);
    });
    const cached = new LedgerSpend(() => db);
    const cachedMs = medianTime(21, () => cached.spentUsd('day', now, TIME_ZONE));
    return [
      { name: 'ledger.breakdown_30d_ms', value: breakdownMs, unit: 'ms', op: '<=', target: 150 },
      { name: 'ledger.breakdown_30d_by_day_ms', value: byDayMs, unit: 'ms', op: '<=', target: 150 },
      { name: 'ledger.spend_today_ms', value: spendMs, unit: 'ms', op: '<=', target: 5 },
      { name: 'ledger.spend_today_cached_ms', value: cachedMs, unit: 'ms', op: '<=', target: 5 },
    ];
  } finally {
    db.close();
  }
}
