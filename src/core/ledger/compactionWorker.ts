/**
 * The ledger worker thread's entry (bundled as dist/compactionWorker.js): does the one job in `workerData` (build a
 * compacted file, or check the current one) and posts the reply (see compaction.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildLedgerFile, checkLedgerFile } from './compaction';
import type { WorkerJob } from './compaction';

if (parentPort) {
  const port = parentPort;
  const job = workerData as WorkerJob;
  const reply = job.kind === 'check' ? checkLedgerFile(job) : buildLedgerFile(job);
  void reply.then((message) => port.postMessage(message));
}
