/**
 * The ledger worker thread's entry (bundled as dist/compactionWorker.js): does the one job in `workerData` (build a
 * compacted file, or check the current one) and posts the reply (see compaction.ts).
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

import type { WorkerJob } from './compaction';
import { buildLedgerFile, checkLedgerFile } from './compaction';

if (parentPort) {
  const port = parentPort;
  const job = workerData as WorkerJob;
  lowerThisThreadsPriority();
  const reply = job.kind === 'check' ? checkLedgerFile(job) : buildLedgerFile(job);
  void reply.then((message) => port.postMessage(message));
}

/**
 * The job is background work: on Linux the nice value belongs to a thread, so this thread alone steps back and the
 * thread that appends (the editor's, in the extension) keeps its core while a compaction merges and exports. Elsewhere
 * (macOS, Windows) the same call would lower the whole process, so it is not made there.
 */
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, 19);
  } catch {
    // Not permitted (a seccomp profile): the job runs at normal priority.
  }
}
