import type { Database } from 'sql.js';
import initSqlJs from 'sql.js';

import type { LedgerRecord } from '../src/core/ledger/record';
import { migrate } from '../src/core/ledger/schema';
import { insertRecords } from '../src/core/ledger/write';
import { generateLedgerRecords } from '../test/support/ledgerFixtures';

/** Rows of the large-ledger benches (LEDGER_BENCH_ROWS, default the 1,000,000). */
export const LEDGER_BENCH_ROWS = Number(process.env.LEDGER_BENCH_ROWS ?? 1_000_000);
export const DAY_MS = 86_400_000;
const BATCH = 20_000;

/** An empty in-memory ledger at the current schema. */
export async function emptyLedger(): Promise<Database> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  migrate(db);
  return db;
}

/**
 * An in-memory ledger of `rows` generated requests spread over the 90 days before `now` (seed 7, so every bench reads
 * the same ledger); prints how long building it took, under `label`.
 */
export async function largeLedger(now: number, label: string, rows = LEDGER_BENCH_ROWS): Promise<Database> {
  const db = await emptyLedger();
  const started = performance.now();
  let batch: LedgerRecord[] = [];
  for (const record of generateLedgerRecords({ count: rows, from: now - 90 * DAY_MS, to: now, seed: 7 })) {
    batch.push(record);
    if (batch.length === BATCH) {
      insertRecords(db, batch);
      batch = [];
    }
  }
  insertRecords(db, batch);
  console.log(`# ${label}: ${rows} requests built and inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return db;
}
