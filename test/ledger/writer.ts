/**
 * Child process for the crash and concurrency tests: opens the store in `dir` and appends records `<prefix>-<n>`,
 * `concurrency` at a time, printing `ack <id>` only after `append` resolved (durable). Prints `ready` once open and
 * `done <count> …` with its store's statistics after `close()` when `count` records were written (count 0: write
 * until killed). `compaction` is `worker` (default) or `inline` (the store's `compactInWorker`).
 *
 * Usage: node -r tsx/cjs test/ledger/writer.ts <dir> <prefix> <count> <concurrency> <compactIntervalMs> <compactEveryRecords> [worker|inline]
 */
import { LedgerStore } from '../../src/core/ledger/store';
import { makeRecord } from '../support/ledgerFixtures';

async function main(): Promise<void> {
  const [dir, prefix, countText = '0', concurrencyText = '8', intervalText = '50', everyText = '200', compaction = 'worker'] = process.argv.slice(2);
  if (!dir || !prefix || !['worker', 'inline'].includes(compaction)) {
    throw new Error('usage: writer.ts <dir> <prefix> [count] [concurrency] [compactIntervalMs] [compactEveryRecords] [worker|inline]');
  }
  const count = Number(countText);
  const concurrency = Number(concurrencyText);
  const store = await LedgerStore.open({
    dir,
    compactIntervalMs: Number(intervalText),
    compactEveryRecords: Number(everyText),
    refreshIntervalMs: Number(intervalText),
    compactInWorker: compaction === 'worker',
    onNotice: (message) => process.stderr.write(`notice ${message}\n`),
  });
  process.stdout.write('ready\n');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (count === 0 || next < count) {
      const n = next++;
      const id = `${prefix}-${n}`;
      await store.append(makeRecord(id, n));
      process.stdout.write(`ack ${id}\n`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await store.close();
  const stats = store.stats();
  process.stdout.write(`done ${count} ${JSON.stringify(stats)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
