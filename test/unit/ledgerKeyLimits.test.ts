import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { LIMITS_FILE, SharedKeyLimits } from '../../src/core/ledger/keyLimits';
import { FakeClock } from '../../src/core/routing/clock';
import { KeyPool } from '../../src/core/routing/keyPool';
import type { CliRunResult } from '../support/cliHarness';
import { fakeProviderEnv, runCli, useCliSandbox, writeRoutingConfig } from '../support/cliHarness';

/**
 * Key limits shared through the ledger folder's key-limits.json: two pools (two windows, two CLI runs) count one
 * quota, and `ask` runs one after another share a requests-per-day limit.
 */

describe('shared key limits (key-limits.json)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'model-router-limits-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** What the router does to take a request: under the lock, import, check the key, take, write. */
  async function take(store: SharedKeyLimits, pool: KeyPool, now: number): Promise<boolean> {
    return store.update('openai', now, (states) => {
      pool.importStates(states, now);
      if (pool.recheck('default', 'light', 10, now)) return { result: false };
      pool.take('default', 10, now);
      return { states: pool.exportStates(now), result: true };
    });
  }

  it('two pools on one folder share an RPD of 2: the third request anywhere is refused, and it frees up by the clock', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new SharedKeyLimits(dir);
    const windowA = new KeyPool('openai', [{ id: 'default', limits: { rpd: 2 } }], { clock });
    const windowB = new KeyPool('openai', [{ id: 'default', limits: { rpd: 2 } }], { clock });
    assert.equal(await take(store, windowA, clock.now()), true);
    assert.equal(await take(store, windowB, clock.now()), true);
    assert.equal(await take(store, windowA, clock.now()), false, 'A saw B\'s request');
    // A process that only reads (planning) sees the quota too, with the wait.
    const fresh = new KeyPool('openai', [{ id: 'default', limits: { rpd: 2 } }], { clock });
    fresh.importStates(await store.read('openai'), clock.now());
    const pick = fresh.pick('light', 10);
    assert.ok(!pick.ok);
    assert.match(pick.message, /daily quota used up \(requests per day\), usable in 12 h/);
    assert.equal(pick.waitMs, 43_200_000, 'one request back after half a day (2 a day, refilled continuously)');
    clock.advance(43_200_000);
    assert.equal(await take(store, windowB, clock.now()), true);
  });

  it('the provider\'s minIntervalMs is shared too: another process\'s call on another key makes this one wait', async () => {
    const clock = new FakeClock(0);
    const store = new SharedKeyLimits(dir);
    const windowA = new KeyPool('gemini', [{ id: 'a' }], { clock, minIntervalMs: 4_000 });
    const windowB = new KeyPool('gemini', [{ id: 'b' }], { clock, minIntervalMs: 4_000 });
    const takeOn = (pool: KeyPool, keyId: string): Promise<boolean> =>
      store.update('gemini', clock.now(), (states) => {
        pool.importStates(states, clock.now());
        if (pool.recheck(keyId, 'light', 10, clock.now())) return { result: false };
        pool.take(keyId, 10, clock.now());
        return { states: pool.exportStates(clock.now()), result: true };
      });
    assert.equal(await takeOn(windowA, 'a'), true);
    clock.advance(1_000);
    assert.equal(await takeOn(windowB, 'b'), false, 'B saw A\'s call 1 s ago');
    const pick = windowB.pick('light', 10);
    assert.ok(!pick.ok);
    assert.equal(pick.waitMs, 3_000);
    clock.advance(3_000);
    assert.equal(await takeOn(windowB, 'b'), true);
  });

  it('a 429 penalty rests the key in every process; limits changed in the config keep what was used', async () => {
    const clock = new FakeClock(0);
    const store = new SharedKeyLimits(dir);
    const a = new KeyPool('openai', [{ id: 'default', limits: { rpm: 10 } }], { clock });
    await store.update('openai', 0, (states) => {
      a.importStates(states, 0);
      a.penalize('default', 30_000, 0);
      return { states: a.exportStates(0), result: undefined };
    });
    const b = new KeyPool('openai', [{ id: 'default', limits: { rpm: 20 } }], { clock });
    b.importStates(await store.read('openai'), 0);
    const pick = b.pick('light', 10);
    assert.ok(!pick.ok);
    assert.match(pick.message, /rate limited by the provider \(429\), usable in 30 s/);
    // rpm 10 with 4 used, read by a process whose rpm is 20: 16 left there.
    for (let i = 0; i < 4; i++) a.take('default', 1, 0);
    await store.update('openai', 0, () => ({ states: a.exportStates(0), result: undefined }));
    b.importStates(await store.read('openai'), 0);
    assert.equal(b.snapshot(0)[0]?.limits.remaining.rpm, 16);
  });

  it('a hostile or broken file limits nothing and is replaced; idle entries are not written', async () => {
    const file = path.join(dir, LIMITS_FILE);
    const store = new SharedKeyLimits(dir);
    await writeFile(file, '{"providers":{"openai":{"default":{"buckets":{"rpd":{"level":1e308,"at":0,"capacity":2,"windowMs":"x"}}}}}}');
    assert.deepEqual(await store.read('openai'), { default: { buckets: {} } }, 'the malformed bucket is dropped');
    await writeFile(file, 'x'.repeat(1024 * 1024 + 1));
    assert.deepEqual(await store.read('openai'), {});
    await writeFile(file, 'not json');
    const clock = new FakeClock(0);
    const pool = new KeyPool('openai', [{ id: 'default', limits: { rpm: 1 } }, { id: 'spare', limits: { rpm: 1 } }], { clock });
    assert.equal(await take(store, pool, 0), true);
    const written = JSON.parse(await readFile(file, 'utf8')) as { providers: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(written.providers['openai']!), ['default'], 'the unused key is not written');
    // A minute later the bucket is full again: the next write drops it.
    await store.update('openai', 60_000, (states) => ({ states, result: undefined }));
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { v: 1, providers: {} });
  });
});

describe('cli: a daily quota holds across ask runs', function () {
  this.timeout(30_000);
  const sb = useCliSandbox('model-router-cli-quota-');

  async function ask(configFile: string, prompt: string): Promise<CliRunResult> {
    return runCli(['--config', configFile, 'ask', '--task', 'explain', '--prompt', prompt], { env: fakeProviderEnv(sb.tmp, sb.fakes), cwd: sb.tmp });
  }

  it('rpd 2: the third run is refused with "quota ... retry after N s" (exit 4) and sends nothing', async () => {
    const file = await writeRoutingConfig(
      path.join(sb.tmp, 'config.yaml'),
      1,
      `providers:
  anthropic: { keys: [{ id: default, limits: { rpd: 2 } }] }
  openai: { enabled: false }`,
    );
    const first = await ask(file, 'one');
    const second = await ask(file, 'two');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const third = await ask(file, 'three');
    assert.equal(third.code, 4, third.stderr);
    assert.match(third.stderr, /All keys exhausted[^\n]*retry after \d+(?:\.\d)? (?:ms|s|min|h)(?: \d+ (?:s|min))?/);
    assert.match(third.stderr, /daily quota used up \(requests per day\), usable in \d+(?:\.\d)? (?:ms|s|min|h)(?: \d+ (?:s|min))?/);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 2, 'nothing sent over the quota');
  });
});
