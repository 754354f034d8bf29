import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { LedgerStoreStats } from '../../src/core/ledger/store';
import { LedgerStore } from '../../src/core/ledger/store';
import { makeRecord } from '../support/ledgerFixtures';

const WRITER = resolve(__dirname, '../ledger/writer.ts');
const ROOT = resolve(__dirname, '../..');

interface Run {
  readonly acked: string[];
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  readonly ready: Promise<void>;
  /** The writer's store statistics, from its `done` line (after close). */
  readonly stats: Promise<LedgerStoreStats>;
  /** Resolves at the first acknowledged record. */
  readonly firstAck: Promise<void>;
  kill(): void;
}

function startWriter(args: readonly string[]): Run {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', WRITER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let buffer = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  let onAck: () => void = () => undefined;
  const firstAck = new Promise<void>((r) => (onAck = r));
  let onStats: (stats: LedgerStoreStats) => void = () => undefined;
  const stats = new Promise<LedgerStoreStats>((r) => (onStats = r));
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') onReady();
      else if (line.startsWith('ack ')) {
        acked.push(line.slice(4));
        onAck();
      } else if (line.startsWith('done ')) onStats(JSON.parse(line.slice(line.indexOf('{'))) as LedgerStoreStats);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((r) =>
    child.on('close', (code, signal) => r({ code, signal, stderr })),
  );
  return { acked, done, ready, stats, firstAck, kill: () => child.kill('SIGKILL') };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ledger: store across processes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-proc-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged record when the writer is killed with SIGKILL, 100 times', async function () {
    this.timeout(180_000);
    const RUNS = Number(process.env.LEDGER_CRASH_RUNS ?? 100);
    const LANES = 4;
    const started = Date.now();
    const acked = new Set<string>();
    let run = 0;
    const lane = async (laneDir: string): Promise<void> => {
      while (run < RUNS) {
        const n = run++;
        // Compaction every 30 ms or 100 records, so kills land during compaction too.
        const writer = startWriter([laneDir, `run${n}`, '0', '8', '30', '100']);
        // Kill at a random moment after the first acknowledged record (on a loaded machine a fixed delay after
        // "ready" could kill every writer before it acknowledged anything, and the test would prove nothing).
        await Promise.race([writer.firstAck, writer.done]);
        await sleep(Math.floor(Math.random() * 131));
        writer.kill();
        const result = await writer.done;
        assert.equal(result.signal, 'SIGKILL', result.stderr);
        assert.doesNotMatch(result.stderr, /notice|Error/, result.stderr);
        for (const id of writer.acked) acked.add(`${laneDir}\t${id}`);
      }
    };
    const laneDirs = Array.from({ length: LANES }, (_, i) => join(dir, `lane${i}`));
    await Promise.all(laneDirs.map(lane));
    let missing = 0;
    let total = 0;
    for (const laneDir of laneDirs) {
      const store = await LedgerStore.open({ dir: laneDir, compactIntervalMs: 0, refreshIntervalMs: 0 });
      const ids = new Set(store.read((db) => db.exec('SELECT id FROM requests')[0]?.values.flat() ?? []).map(String));
      total += ids.size;
      for (const key of acked) {
        const [d, id] = key.split('\t');
        if (d === laneDir && !ids.has(id!)) missing += 1;
      }
      await store.close();
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`      crash test: ${RUNS} SIGKILLs, ${acked.size} acknowledged records, ${total} stored, ${missing} missing, ${seconds.toFixed(1)} s`);
    assert.equal(missing, 0);
    assert.ok(acked.size >= RUNS, 'every writer acknowledged records before being killed');
  });

  it('two processes writing 5,000 records each to one directory: 10,000 rows, no duplicates, exact cost sum', async function () {
    this.timeout(120_000);
    const started = Date.now();
    // One compacts in a worker thread, the other on its own thread: the two kinds of compaction interleave.
    const a = startWriter([dir, 'pa', '5000', '16', '100', '500', 'worker']);
    const b = startWriter([dir, 'pb', '5000', '16', '100', '500', 'inline']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const [sa, sb] = await Promise.all([a.stats, b.stats]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(a.acked.length, 5000);
    assert.equal(b.acked.length, 5000);
    const store = await LedgerStore.open({ dir, compactIntervalMs: 0, refreshIntervalMs: 0 });
    const [rows, distinct, cost, attempts] = store.read((db) => db.exec('SELECT count(*), count(DISTINCT id), sum(cost_nano), (SELECT count(*) FROM attempts) FROM requests')[0]!.values[0]!).map(Number);
    let expected = 0;
    for (let n = 0; n < 5000; n++) expected += 2 * makeRecord('x', n).costNano;
    console.log(
      `      concurrency: 2 × 5,000 records in ${((Date.now() - started) / 1000).toFixed(1)} s; ${rows} rows; ` +
        `worker process ${sa.compactions} compactions (${sa.workerCompactions} in the worker), ${sa.reloads} reloads; ` +
        `inline process ${sb.compactions} compactions, ${sb.reloads} reloads`,
    );
    assert.ok(sa.compactions >= 2, 'the worker process compacted more than on close');
    assert.equal(sa.workerCompactions, sa.compactions);
    assert.equal(sb.workerCompactions, 0);
    assert.equal(rows, 10_000);
    assert.equal(distinct, 10_000);
    assert.equal(attempts, 20_000);
    assert.equal(cost, expected);
    await store.close();
  });
});
