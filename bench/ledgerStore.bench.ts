import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEDGER_FILE, LedgerStore } from '../src/core/ledger/store';
import { makeRecord } from '../test/ledger/records';
import { percentile } from './report';
import type { Figure } from './report';

/**
 * Ledger store: in-memory insert rate (batches of 1,000), time until an append is durable (journal fsync, 16
 * concurrent appenders, group commit), and file size and RSS after compaction at BENCH_LEDGER_ROWS rows (default
 * 100,000; the issue asks 1,000,000: set BENCH_LEDGER_ROWS=1000000), and how long a compaction blocks the thread.
 */
const ROWS = Number(process.env.BENCH_LEDGER_ROWS ?? 100_000);
const DURABLE_SAMPLES = 2_000;

export async function ledgerStoreBench(): Promise<readonly Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-bench-'));
  try {
    const store = await LedgerStore.open({ dir, compactIntervalMs: 0, refreshIntervalMs: 0, compactEveryRecords: Number.MAX_SAFE_INTEGER });
    // Warm up (JIT, prepared statements, the journal file) so the samples measure steady-state appends, not the
    // first ones of the process or the garbage an earlier bench left behind.
    for (let i = 0; i < 200; i += 1) await store.append(makeRecord(`w-${i}`, i));
    (globalThis as { gc?: () => void }).gc?.();
    const samples: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < DURABLE_SAMPLES) {
        const n = next++;
        const t0 = performance.now();
        await store.append(makeRecord(`d-${n}`, n));
        samples.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await store.compact();
    const t0 = performance.now();
    for (let start = 0; start < ROWS; start += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, ROWS - start) }, (_, i) => makeRecord(`r-${start + i}`, start + i));
      await store.appendMany(batch);
    }
    const insertSeconds = (performance.now() - t0) / 1000;
    await store.compact();
    const rows = store.count();
    const bytes = (await stat(join(dir, LEDGER_FILE))).size;
    const rssMb = process.memoryUsage().rss / 1_048_576;
    // The one synchronous step of a compaction (sql.js serializes the in-memory database); the rest is async I/O.
    const exportMs = store.stats().lastExportMs;
    await store.close();
    return [
      { name: 'ledger.insert_per_s', value: Math.round(ROWS / insertSeconds), unit: 'rows/s', op: '>=', target: 10_000 },
      { name: 'ledger.durable_p99_ms', value: percentile(samples, 99), unit: 'ms', op: '<=', target: 50 },
      { name: 'ledger.bytes_per_row', value: Math.round(bytes / rows), unit: 'bytes', op: '<=', target: 1_000 },
      { name: 'ledger.rss_mb', value: Math.round(rssMb), unit: 'MB', op: '<=', target: 1_000 },
      // JUDGEMENT: a compaction may hold the extension host's thread for at most 100 ms at the default 100,000 rows
      // (90 days of heavy use); the extension compacts at most once a minute, so it is rarely felt.
      { name: 'ledger.compaction_block_ms', value: exportMs, unit: 'ms', op: '<=', target: 100 },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
