import initSqlJs from 'sql.js';
import type { Database } from 'sql.js';
import { insertRecords, migrate } from '../src/core/ledger/schema';
import { breakdown } from '../src/core/ledger/queries';
import { LedgerSpend } from '../src/core/ledger/spend';
import type { LedgerRecord } from '../src/core/ledger/record';
import { generateLedgerRecords } from '../test/support/ledgerFixtures';
import type { Figure } from './report';

/**
 * Ledger reads at 1,000,000 requests (about 1.1 attempts each) spread over 90 days, the default retention, ending
 * now: `ledger.breakdown_30d_ms` is a by-provider breakdown of the last 30 days (about 333,000 requests),
 * `ledger.spend_today_ms` one uncached `spentUsd('day')` (the cache would make it ~0), `ledger.spend_today_cached_ms`
 * a repeated one. Median of several runs after a warmup. The build time is printed as a comment.
 */

const ROWS = Number(process.env.LEDGER_BENCH_ROWS ?? 1_000_000);
const DAY_MS = 86_400_000;
const BATCH = 20_000;
const TIME_ZONE = 'America/New_York';

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(runs: number, run: () => void): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function build(now: number): Promise<Database> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  migrate(db);
  const started = performance.now();
  let batch: LedgerRecord[] = [];
  for (const record of generateLedgerRecords({ count: ROWS, from: now - 90 * DAY_MS, to: now, seed: 7 })) {
    batch.push(record);
    if (batch.length === BATCH) {
      insertRecords(db, batch);
      batch = [];
    }
  }
  insertRecords(db, batch);
  console.log(`# ledger bench: ${ROWS} requests built and inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return db;
}

export async function ledgerQueriesBench(): Promise<readonly Figure[]> {
  const now = Date.now();
  const db = await build(now);
  try {
    const range = { from: now - 30 * DAY_MS, to: now + 1 };
    const breakdownMs = time(7, () => breakdown(db, 'provider', range, TIME_ZONE));
    const byDayMs = time(5, () => breakdown(db, 'day', range, TIME_ZONE));
    const uncached = new LedgerSpend(() => db);
    const spendMs = time(21, () => {
      uncached.invalidate();
      uncached.spentUsd('day', now, TIME_ZONE);
    });
    const cached = new LedgerSpend(() => db);
    const cachedMs = time(21, () => cached.spentUsd('day', now, TIME_ZONE));
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
