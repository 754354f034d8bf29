import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { acquireLock } from '../../src/core/ledger/lock';
import { LedgerStore, LOCK_FILE } from '../../src/core/ledger/store';
import { costOf } from '../../src/core/pricing/cost';
import { fakeProviderEnv, useCliSandbox } from '../support/cliHarness';
import { makeRecord } from '../support/ledgerFixtures';

/**
 * Several `model-router` processes (the bundled dist/cli.js, each its own OS process) and an in-process store on one
 * data directory, against the simulated providers: every answered request is recorded, and a daily budget holds
 * across them.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runProcess(args: readonly string[], env: Record<string, string | undefined>, cwd: string): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('cli: several processes on one data directory', function () {
  this.timeout(240_000);
  const sb = useCliSandbox('model-router-cli-procs-', { chunkIntervalMs: 2 });

  before(async function () {
    this.timeout(120_000);
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['esbuild.js'], { cwd: ROOT, timeout: 110_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`node esbuild.js failed: ${stderr || error.message}`)) : resolve(),
      ),
    );
  });

  async function config(extra = ''): Promise<string> {
    const file = path.join(sb.tmp, 'config.yaml');
    await writeFile(
      file,
      `localFirst: false
retry: { maxAttemptsPerCandidate: 1, baseDelayMs: 5, maxDelayMs: 10 }
agents:
  explainer:
    chain: [anthropic]
    reasoning: one provider, so every answer has the same price
${extra}`,
    );
    return file;
  }

  function ask(configFile: string, prompt: string): Promise<Exit> {
    return runProcess(['--config', configFile, '--data-dir', sb.dataDir, 'ask', '--task', 'explain', '--prompt', prompt, '-q'], fakeProviderEnv(sb.tmp, sb.fakes), sb.tmp);
  }

  it('three CLI processes asking in a loop while a store in this process appends and compacts and the lock is held for 6 s at a time: answered == recorded', async () => {
    const file = await config();
    const PER_PROCESS = 8;
    // The in-process store compacts every 20 ms (under the lock, rewriting the file) the whole time.
    const store = await LedgerStore.open({ dir: sb.dataDir, compactIntervalMs: 20, refreshIntervalMs: 20, onNotice: () => undefined });
    let appending = true;
    const own: string[] = [];
    const writer = (async (): Promise<void> => {
      for (let n = 0; appending; n += 1) {
        await store.append(makeRecord(`own-${n}`, n));
        own.push(`own-${n}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Another process compacting a large ledger keeps the lock longer than any lock timeout (5 s), again and again.
    let holding = true;
    const holder = (async (): Promise<void> => {
      while (holding) {
        const lock = await acquireLock(path.join(sb.dataDir, LOCK_FILE), { timeoutMs: 60_000 });
        await new Promise((r) => setTimeout(r, 6_000));
        await lock.release();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const exits: Exit[] = [];
    await Promise.all(
      [0, 1, 2].map(async (p) => {
        for (let n = 0; n < PER_PROCESS; n += 1) exits.push(await ask(file, `process ${p} question ${n}`));
      }),
    );
    appending = false;
    holding = false;
    await Promise.all([writer, holder]);
    await store.close();
    for (const exit of exits) {
      assert.equal(exit.code, 0, exit.stderr);
      assert.doesNotMatch(exit.stderr, /NOT recorded|could not be recorded|Timed out/, exit.stderr);
    }
    const check = await LedgerStore.open({ dir: sb.dataDir, compactIntervalMs: 0, refreshIntervalMs: 0 });
    const [asked] = check.read((db) => db.exec("SELECT count(*) FROM requests WHERE command = 'cli.ask' AND outcome = 'answered'")[0]!.values[0]!).map(Number);
    const ownStored = check.read((db) => db.exec("SELECT count(*) FROM requests WHERE id LIKE 'own-%'")[0]!.values[0]![0]);
    await check.close();
    console.log(`      3 × ${PER_PROCESS} asks answered, ${asked} recorded; ${own.length} appended in-process, ${String(ownStored)} stored`);
    assert.equal(asked, 3 * PER_PROCESS, 'every answered request is in the ledger');
    assert.equal(Number(ownStored), own.length, 'every record acknowledged in-process is in the ledger');
    assert.equal(sb.fakes.anthropic.modelRequests.length, 3 * PER_PROCESS);
  });

  it('twelve concurrent asks against a $0.20 daily block budget at $0.08 each: spend stays within one request\'s maximum cost of the limit', async () => {
    // $1 / $20 per million tokens on the light model; 4,000 output tokens of text = $0.0801 an answer.
    const price = { input: 1, output: 20 };
    const file = await config(`budget: { daily: 0.20, onExceed: block }
pricing:
  anthropic/claude-haiku-5-5: { input: ${price.input}, output: ${price.output} }`);
    sb.fakes.anthropic.defaultStep = { text: 'word '.repeat(4_000), usage: { input: 100, output: 4_000 } };
    const exits = await Promise.all(Array.from({ length: 12 }, (_, n) => ask(file, `concurrent question ${n}`)));
    const answered = exits.filter((e) => e.code === 0).length;
    const blocked = exits.filter((e) => e.code === 4);
    assert.equal(answered + blocked.length, 12, exits.map((e) => e.stderr).join('\n'));
    for (const exit of blocked) assert.match(exit.stderr, /budget would be exceeded/);
    const check = await LedgerStore.open({ dir: sb.dataDir, compactIntervalMs: 0, refreshIntervalMs: 0 });
    const [rows, spentNano] = check.read((db) => db.exec('SELECT count(*), TOTAL(cost_nano) FROM requests')[0]!.values[0]!).map(Number);
    await check.close();
    const spent = spentNano! / 1e9;
    // The most one attempt can cost: its prompt (a few dozen tokens, well under 1,000) and 4,096 output tokens.
    const maxCost = costOf({ ...price, cacheRead: 0, cacheWrite: 0 }, { inputTokens: 1_000, outputTokens: 4_096, cacheReadTokens: 0, cacheWriteTokens: 0 });
    console.log(`      12 concurrent asks: ${answered} answered, ${blocked.length} blocked; spent $${spent.toFixed(4)} of $0.20 (one request at most $${maxCost.toFixed(4)})`);
    assert.equal(rows, 12, 'blocked requests are recorded too');
    assert.equal(sb.fakes.anthropic.modelRequests.length, answered, 'a blocked request sends nothing');
    assert.ok(answered >= 2, 'the budget has room for two answers and they are given');
    assert.ok(spent <= 0.2 + maxCost, `spent $${spent} > $0.20 + one request's maximum $${maxCost}`);
    assert.deepEqual((await readdir(sb.dataDir)).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
  });

  it('six concurrent asks against a key with rpd 3: exactly three are sent, the others refused with the quota and its wait', async () => {
    const file = await config(`providers:
  anthropic: { keys: [{ id: default, limits: { rpd: 3 } }] }`);
    const exits = await Promise.all(Array.from({ length: 6 }, (_, n) => ask(file, `quota question ${n}`)));
    const answered = exits.filter((e) => e.code === 0).length;
    const refused = exits.filter((e) => e.code === 4);
    console.log(`      6 concurrent asks on rpd 3: ${answered} answered, ${refused.length} refused`);
    assert.equal(answered, 3, exits.map((e) => e.stderr).join('\n'));
    assert.equal(refused.length, 3, exits.map((e) => e.stderr).join('\n'));
    for (const exit of refused) assert.match(exit.stderr, /daily quota used up[^\n]*retry after \d+(?:\.\d)? (?:ms|s|min|h)(?: \d+ (?:s|min))?|retry after \d+(?:\.\d)? (?:ms|s|min|h)(?: \d+ (?:s|min))?[^\n]*daily quota used up/);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 3, 'nothing sent over the quota');
  });
});
