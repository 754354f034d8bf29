import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LEDGER_FILE, LedgerStore } from '../src/core/ledger/store';
import { makeRecord } from '../test/support/ledgerFixtures';
import type { LedgerOpenResult } from './ledgerOpen.child';
import type { Figure } from './report';
import { idleStall, longestStall, median, percentile } from './report';

/**
 * Ledger store at BENCH_LEDGER_ROWS rows (default 100,000; the issue asks 1,000,000: BENCH_LEDGER_ROWS=1000000):
 * in-memory insert rate (batches of 1,000), time until an append is durable (journal fsync, 16 concurrent
 * appenders, group commit), file size; how long a compaction holds the thread (the editor's, in the extension)
 * against idle and against exporting the same database on the thread, and how it delays appends; and, in a fresh
 * process as a new window, how long opening the ledger stalls the thread and the memory it then holds.
 */
const ROWS = Number(process.env.BENCH_LEDGER_ROWS ?? 100_000);
const DURABLE_SAMPLES = 2_000;

/** Runs ledgerOpen.child.ts on `dir` and returns its result. */
function openInChild(dir: string): Promise<LedgerOpenResult> {
  const child = join(__dirname, 'ledgerOpen.child.ts');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '-r', 'tsx/cjs', child, dir], { cwd: join(__dirname, '..'), maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${child} failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as LedgerOpenResult);
    });
  });
}

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
    // The bulk insert left one journal segment of all the rows (the extension compacts every 1,000 records); the
    // next compaction deletes it, so the ones measured below merge what a real one does.
    await store.compact();
    const rows = store.count();
    const bytes = (await stat(join(dir, LEDGER_FILE))).size;
    const gc = (globalThis as { gc?: () => void }).gc;
    // How long a compaction holds this thread: five, each with 1,000 new records to merge, after a full GC (so a pause
    // for garbage of earlier benches is not counted), watched by the event-loop delay monitor (1 ms resolution),
    // each against the longest stall of this thread doing nothing for as long (a VM's scheduler alone gives 3-8 ms).
    const stalls: number[] = [];
    const idleStalls: number[] = [];
    const blocks: number[] = [];
    let compactMs = 0;
    for (let round = 0; round < 5; round += 1) {
      await store.appendMany(Array.from({ length: 1_000 }, (_, i) => makeRecord(`c${round}-${i}`, i)));
      gc?.();
      const c0 = performance.now();
      const stall = await longestStall(() => store.compact());
      compactMs = performance.now() - c0;
      gc?.();
      const idle = await idleStall(compactMs);
      stalls.push(stall);
      idleStalls.push(idle);
      blocks.push(Math.max(0, stall - idle));
    }
    const blockMs = median(blocks);
    const stallMs = median(stalls);
    const inWorker = store.stats().workerCompactions === store.stats().compactions;
    const workerExportMs = store.stats().lastExportMs;
    // Baseline: what the same compaction held the thread for when it exported the in-memory database here.
    gc?.();
    const e0 = performance.now();
    store.db.export();
    const exportHereMs = performance.now() - e0;
    // Appends made while a compaction runs: 16 appenders keep writing until it is done; three compactions.
    const during: number[] = [];
    let m = 0;
    for (let round = 0; round < 3; round += 1) {
      await store.appendMany(Array.from({ length: 1_000 }, (_, i) => makeRecord(`e${round}-${i}`, i)));
      let compacting = true;
      const appender = async (): Promise<void> => {
        while (compacting) {
          const n = m++;
          const a0 = performance.now();
          await store.append(makeRecord(`m-${n}`, n));
          during.push(performance.now() - a0);
        }
      };
      const appenders = Array.from({ length: 16 }, appender);
      await store.compact();
      compacting = false;
      await Promise.all(appenders);
    }
    await store.close();
    const duringP99 = percentile(during, 99);
    // Opening it again in a fresh process, as a new window does (see ledgerOpen.child.ts).
    const opened = await openInChild(dir);
    console.log(
      `# compaction at ${rows} rows (${compactMs.toFixed(0)} ms, ${inWorker ? 'built in a worker' : 'ON THIS THREAD: no worker'}): longest stall of this thread ` +
        `${stalls.map((ms) => ms.toFixed(1)).join(' / ')} ms, idle ${idleStalls.map((ms) => ms.toFixed(1)).join(' / ')} ms; db.export() here ${exportHereMs.toFixed(1)} ms (in the worker ` +
        `${workerExportMs.toFixed(1)} ms); ${during.length} appends during three more, p99 ${duringP99.toFixed(1)} ms` +
        `${gc ? '' : ' (run node with --expose-gc to exclude GC pauses)'}`,
    );
    console.log(
      `# open at ${opened.rows} rows in a fresh process: ${opened.openMs.toFixed(0)} ms, longest stall ${opened.stallMs.toFixed(1)} ms ` +
        `(idle ${opened.idleStallMs.toFixed(1)} ms); RSS ${opened.baseRssMb.toFixed(0)} -> ${opened.rssMb.toFixed(0)} MB; PRAGMA quick_check ` +
        `on this thread would hold it ${opened.checkHereMs.toFixed(0)} ms more (${opened.problem ?? 'ok'})`,
    );
    return [
      { name: 'ledger.insert_per_s', value: Math.round(ROWS / insertSeconds), unit: 'rows/s', op: '>=', target: 10_000 },
      { name: 'ledger.durable_p99_ms', value: percentile(samples, 99), unit: 'ms', op: '<=', target: 50 },
      { name: 'ledger.bytes_per_row', value: Math.round(bytes / rows), unit: 'bytes', op: '<=', target: 1_000 },
      // What holding the ledger costs a process (a window): RSS after open minus before, sql.js loaded both times.
      { name: 'ledger.rss_mb', value: Math.round(opened.rssMb - opened.baseRssMb), unit: 'MB', op: '<=', target: 1_000 },
      // JUDGEMENT: a compaction may stall the extension host's thread no longer than a frame (16 ms) beyond what the
      // thread stalls idle (median of five), so typing and scrolling never stutter for it; exporting on the thread
      // (printed above) took 70-150 ms at 100,000 rows: the ratio says how much of that is left. Appends made while
      // a compaction runs are held to the same durability target (the worker writes the file in fsync'd pieces so
      // their fdatasync does not wait for all of it).
      { name: 'ledger.compaction_block_ms', value: blockMs, unit: 'ms', op: '<=', target: 16 },
      { name: 'ledger.compaction_block_vs_export_ratio', value: stallMs / exportHereMs, unit: 'ratio', op: '<=', target: 0.25 },
      { name: 'ledger.durable_p99_compacting_ms', value: duringP99, unit: 'ms', op: '<=', target: 50 },
      // JUDGEMENT: opening the ledger (first use in a window) may stall the thread 50 ms beyond idle: the file must
      // be loaded into this thread's sql.js, but its integrity check (printed above) runs in a worker.
      { name: 'ledger.open_block_ms', value: Math.max(0, opened.stallMs - opened.idleStallMs), unit: 'ms', op: '<=', target: 50 },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
