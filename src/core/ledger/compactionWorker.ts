/**
 * The compaction worker thread's entry (bundled as dist/compactionWorker.js): builds one compacted ledger file from
 * the job in `workerData` and posts the reply (see compaction.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildLedgerFile } from './compaction';
import type { CompactionJob } from './compaction';

if (parentPort) {
  const port = parentPort;
  void buildLedgerFile(workerData as CompactionJob).then((reply) => port.postMessage(reply));
}
