/**
 * Child process of the ledger bench: opens the ledger in `argv[2]` as a new VS Code window would (a fresh process)
 * and prints one JSON line: how long open took and stalled this thread (against idle), the memory the open ledger
 * holds (RSS after open minus RSS before, sql.js loaded both times), and what the integrity check would have held
 * the thread for had it run here instead of in the worker.
 *
 * Usage: node --expose-gc -r tsx/cjs bench/ledgerOpen.child.ts <dir>
 */
import { integrityProblem } from '../src/core/ledger/compaction';
import { loadSqlJs } from '../src/core/ledger/sqlite';
import { LedgerStore } from '../src/core/ledger/store';
import { idleStall, longestStall } from './report';

export interface LedgerOpenResult {
  readonly rows: number;
  readonly openMs: number;
  readonly stallMs: number;
  readonly idleStallMs: number;
  readonly baseRssMb: number;
  readonly rssMb: number;
  readonly checkHereMs: number;
  readonly problem: string | undefined;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: ledgerOpen.child.ts <dir>');
  const gc = (globalThis as { gc?: () => void }).gc;
  await loadSqlJs();
  gc?.();
  const baseRssMb = process.memoryUsage().rss / 1_048_576;
  let store: LedgerStore | undefined;
  const started = performance.now();
  const stallMs = await longestStall(async () => {
    store = await LedgerStore.open({ dir, compactIntervalMs: 0, refreshIntervalMs: 0 });
  });
  const openMs = performance.now() - started;
  const idleStallMs = await idleStall(openMs);
  await store!.refresh(); // after the integrity check in the worker
  gc?.();
  const rssMb = process.memoryUsage().rss / 1_048_576;
  const q0 = performance.now();
  const problem = integrityProblem(store!.db);
  const checkHereMs = performance.now() - q0;
  const rows = store!.count();
  await store!.close();
  const result: LedgerOpenResult = { rows, openMs, stallMs, idleStallMs, baseRssMb, rssMb, checkHereMs, problem };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
