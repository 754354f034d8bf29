import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { CachedAnswer } from '../../src/core/cache/answerCache';
import { ANSWER_CACHE_DIR, AnswerCache, answerCacheKey, describeCached } from '../../src/core/cache/answerCache';
import { resolveConfig } from '../../src/core/config/layering';
import type { Config } from '../../src/core/config/types';
import { toLedgerRecord } from '../../src/core/ledger/record';
import { emptyLedgerDatabase } from '../../src/core/ledger/schema';
import { insertRecords } from '../../src/core/ledger/write';
import type { Clock } from '../../src/core/routing/clock';
import type { Decision } from '../../src/core/routing/decision';
import type { RouteRequest } from '../../src/core/routing/router';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';
import { createOpenAIFake } from '../fakes/openaiFake';

const HOUR = 3_600_000;

function entry(over: Partial<CachedAnswer> = {}): CachedAnswer {
  return {
    provider: 'anthropic',
    model: 'claude-haiku-5-5',
    task: 'explain',
    createdAt: Date.parse('2026-11-23T12:00:00Z'),
    answer: 'It adds one.',
    costUsd: 0.0002,
    usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ...over,
  };
}

const KEY_INPUT = { provider: 'anthropic', model: 'claude-haiku-5-5', task: 'explain' as const, system: 'sys', messages: [{ role: 'user', content: 'x + 1' }] };

describe('answer cache: the store', () => {
  let dir: string;
  let now: number;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'model-router-cache-'));
    now = Date.parse('2026-11-23T12:00:00Z');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const cache = (over: Partial<ConstructorParameters<typeof AnswerCache>[1]> = {}): AnswerCache =>
    new AnswerCache(dir, { ttlMs: 24 * HOUR, scope: 'trusted', now: () => now, ...over });

  it('keys differ for any difference in model, task, instruction or code; the key is a hash, not the text', () => {
    const base = answerCacheKey(KEY_INPUT);
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(answerCacheKey({ ...KEY_INPUT }), base, 'the same request, the same key');
    assert.notEqual(answerCacheKey({ ...KEY_INPUT, model: 'claude-sonnet-5-5' }), base);
    assert.notEqual(answerCacheKey({ ...KEY_INPUT, provider: 'openai' }), base);
    assert.notEqual(answerCacheKey({ ...KEY_INPUT, task: 'review' }), base);
    assert.notEqual(answerCacheKey({ ...KEY_INPUT, messages: [{ role: 'user', content: 'x + 2' }] }), base);
    assert.notEqual(answerCacheKey({ ...KEY_INPUT, system: 'other' }), base);
  });

  it('answers within the TTL, not after it, and removes the expired entry', async () => {
    const key = answerCacheKey(KEY_INPUT);
    await cache().put(key, entry({ createdAt: now }));
    now += 23 * HOUR;
    assert.equal((await cache().get(key))?.answer, 'It adds one.');
    now += HOUR;
    assert.equal(await cache().get(key), undefined);
    assert.deepEqual(await readdir(path.join(dir, ANSWER_CACHE_DIR, 'trusted')), [], 'the expired file is gone');
  });

  it('a shorter TTL applies to entries written under a longer one', async () => {
    const key = answerCacheKey(KEY_INPUT);
    await cache({ ttlMs: 48 * HOUR }).put(key, entry({ createdAt: now }));
    now += 2 * HOUR;
    assert.equal(await cache({ ttlMs: HOUR }).get(key), undefined);
  });

  it('trusted and untrusted workspaces never see each other\'s entries', async () => {
    const key = answerCacheKey(KEY_INPUT);
    await cache({ scope: 'trusted' }).put(key, entry({ createdAt: now }));
    assert.equal(await cache({ scope: 'untrusted' }).get(key), undefined);
    assert.ok(await cache({ scope: 'trusted' }).get(key));
  });

  it('treats a damaged, foreign or future-dated file as a miss and removes it', async () => {
    const key = answerCacheKey(KEY_INPUT);
    const file = path.join(dir, ANSWER_CACHE_DIR, 'trusted', `${key}.json`);
    await cache().put(key, entry({ createdAt: now }));
    await writeFile(file, '{"v":1,"key":"');
    assert.equal(await cache().get(key), undefined);
    await cache().put(key, entry({ createdAt: now }));
    const stored = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...stored, costUsd: -1 }));
    assert.equal(await cache().get(key), undefined, 'a negative cost is not ours');
    await writeFile(file, JSON.stringify({ ...stored, key: 'f'.repeat(64) }));
    assert.equal(await cache().get(key), undefined, 'an entry under another key is not this one');
    await writeFile(file, JSON.stringify({ ...stored, createdAt: now + 10 * HOUR }));
    assert.equal(await cache().get(key), undefined, 'from the future');
    assert.equal(await cache().get('../../etc/passwd'), undefined, 'a key that is no hash reads nothing');
  });

  it('keeps at most maxEntries (the oldest go first) and skips answers over maxEntryChars', async () => {
    const small = cache({ maxEntries: 3, maxEntryChars: 100 });
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      const key = answerCacheKey({ ...KEY_INPUT, messages: [{ role: 'user', content: `q${i}` }] });
      keys.push(key);
      await small.put(key, entry({ createdAt: now, answer: `answer ${i}` }));
      // mtimes one second apart, so "oldest" is well defined.
      const { utimes } = await import('node:fs/promises');
      await utimes(path.join(small.dir, `${key}.json`), (now + i * 1000) / 1000, (now + i * 1000) / 1000);
    }
    await small.prune();
    const left = await Promise.all(keys.map(async (key) => (await small.get(key))?.answer));
    assert.deepEqual(left, [undefined, undefined, 'answer 2', 'answer 3', 'answer 4']);
    const long = answerCacheKey({ ...KEY_INPUT, system: 'long' });
    await small.put(long, entry({ createdAt: now, answer: 'x'.repeat(101) }));
    assert.equal(await small.get(long), undefined, 'a 101-character answer is not kept at 100');
    assert.equal((await small.stats()).entries, 3);
    assert.equal(await small.clear(), 3);
  });

  it('marks a cached answer with the time it was given and what it saved', () => {
    const from = new Date(2026, 10, 23, 9, 5).getTime();
    assert.equal(describeCached({ from, savedUsd: 0.0123 }, new Date(2026, 10, 23, 17, 0).getTime()), 'cached from 09:05 ($0; saved $0.01)');
    assert.equal(describeCached({ from, savedUsd: 0.0123 }, new Date(2026, 10, 24, 8, 0).getTime()), 'cached from 2026-11-23 09:05 ($0; saved $0.01)');
  });
});

class StepClock implements Clock {
  t = Date.parse('2026-11-23T12:00:00Z');
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

describe('answer cache: the router', function () {
  this.timeout(10_000);
  const anthropic = createAnthropicFake();
  const openai = createOpenAIFake();
  let dir: string;
  let clock: StepClock;
  before(() => Promise.all([anthropic.start(), openai.start()]));
  after(() => Promise.all([anthropic.close(), openai.close()]));
  beforeEach(async () => {
    anthropic.reset();
    openai.reset();
    clock = new StepClock();
    dir = await mkdtemp(path.join(os.tmpdir(), 'model-router-cache-router-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  function config(extra = ''): Config {
    const text = `
localFirst: false
retry: { maxAttemptsPerCandidate: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1000 }
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
  openai: { baseUrl: "${openai.baseURL}" }
agents:
  explainer: { chain: [anthropic, openai], reasoning: test }
  refactorer: { chain: [anthropic, openai], reasoning: test }
${extra}`;
    const { config: resolved, diagnostics } = resolveConfig({ user: { file: 'test.yaml', text }, workspaceTrusted: true });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    return resolved;
  }

  const SECRET = 'sk-ant-000000000000000000000001';

  function router(cfg: Config = config(), scope: 'trusted' | 'untrusted' = 'trusted'): Router {
    return new Router(cfg, {
      keys: { get: (provider) => (provider === 'anthropic' ? SECRET : 'oai-key-0000000000000001') },
      clock,
      random: () => 0.5,
      answerCache: {
        store: new AnswerCache(dir, { ttlMs: cfg.cache.ttlHours * HOUR, scope, now: () => clock.now() }),
        scrub: (text) => text.split(SECRET).join('[redacted]'),
      },
    });
  }

  async function run(r: Router, request: Partial<RouteRequest> = {}): Promise<{ text: string; decision: Decision }> {
    let text = '';
    let decision: Decision | undefined;
    for await (const event of r.route({ task: 'explain', text: 'const x = 1;', instruction: 'why?', ...request })) {
      if (event.type === 'text') text += event.text;
      if (event.type === 'done') decision = event.decision;
    }
    assert.ok(decision);
    return { text, decision };
  }

  it('answers an exact repeat from the cache at $0, with nothing sent, in another router (another window)', async () => {
    anthropic.enqueue({ text: 'It declares x.', usage: { input: 1_000, output: 200 } });
    const first = await run(router());
    assert.equal(first.decision.cached, undefined);
    assert.ok(first.decision.costUsd > 0);
    clock.t += 2 * HOUR;
    const second = await run(router());
    assert.equal(anthropic.requests.length, 1, 'the repeat reached no provider');
    assert.equal(second.text, 'It declares x.');
    assert.equal(second.decision.outcome, 'answered');
    assert.equal(second.decision.costUsd, 0);
    assert.deepEqual(second.decision.attempts, []);
    assert.deepEqual(second.decision.chosen, first.decision.chosen);
    assert.deepEqual(second.decision.cached, { from: first.decision.finishedAt, savedUsd: first.decision.costUsd });
  });

  it('asks again for another instruction, other code, another task, after the TTL, or with noCache', async () => {
    anthropic.enqueue({ text: 'a' }, { text: 'b' }, { text: 'c' }, { text: 'd' }, { text: 'e' }, { text: 'f' });
    const r = router(config('cache: { tasks: [explain, review] }'));
    await run(r);
    await run(r, { instruction: 'why not?' });
    await run(r, { text: 'const y = 1;' });
    await run(r, { task: 'review' });
    assert.equal(anthropic.requests.length, 4);
    assert.equal((await run(r, { noCache: true })).text, 'e', 'noCache asks the model');
    assert.equal((await run(r)).text, 'e', 'and its answer replaces the cached one');
    clock.t += 25 * HOUR;
    assert.equal((await run(r)).text, 'f', 'past the TTL the model is asked again');
    assert.equal(anthropic.requests.length, 6);
  });

  it('does not cache tasks left out of cache.tasks (refactor by default), nor when disabled', async () => {
    anthropic.enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' }, { text: 'four' });
    const r = router();
    await run(r, { task: 'refactor' });
    await run(r, { task: 'refactor' });
    const off = router(config('cache: { enabled: false }'));
    await run(off);
    await run(off);
    assert.equal(anthropic.requests.length, 4);
  });

  it('keeps an untrusted workspace\'s entries apart from a trusted one\'s', async () => {
    anthropic.enqueue({ text: 'trusted answer' }, { text: 'untrusted answer' });
    await run(router(config(), 'trusted'));
    assert.equal((await run(router(config(), 'untrusted'))).text, 'untrusted answer');
    assert.equal(anthropic.requests.length, 2);
  });

  it('caches the model that answered (after a fallback) and never a broken-off answer', async () => {
    anthropic.enqueue({ error: 'unavailable' }, { text: 'partial', cutAfterChunks: 1 }, { text: 'partial', cutAfterChunks: 1 });
    openai.enqueue({ text: 'from openai' });
    const first = await run(router());
    assert.equal(first.decision.chosen?.provider, 'openai');
    // The routed model (anthropic) has no entry: the repeat asks it, and it breaks off mid-answer.
    const second = await run(router(), {});
    assert.equal(second.decision.outcome, 'interrupted');
    assert.equal(anthropic.requests.length, 2);
    const third = await run(router());
    assert.equal(third.decision.cached, undefined, 'a broken-off answer is never served');
    assert.equal(anthropic.requests.length, 3);
  });

  it('writes no key into the cache, and only a hash of the request', async () => {
    anthropic.enqueue({ text: `here: ${SECRET}` });
    await run(router(), { instruction: 'a very private instruction' });
    const files = await readdir(path.join(dir, ANSWER_CACHE_DIR, 'trusted'));
    assert.equal(files.length, 1);
    const text = await readFile(path.join(dir, ANSWER_CACHE_DIR, 'trusted', files[0]!), 'utf8');
    assert.ok(!text.includes(SECRET), 'the key is scrubbed');
    assert.ok(!text.includes('a very private instruction'), 'the instruction is not kept');
    assert.ok(!text.includes('const x = 1;'), 'the code is not kept');
  });

  it('is recorded in the ledger as answered from the cache with what it saved, outside the models\' answered rollups', async () => {
    anthropic.enqueue({ text: 'It declares x.', usage: { input: 1_000, output: 200 } });
    const first = await run(router());
    const second = await run(router());
    const db = await emptyLedgerDatabase();
    insertRecords(db, [toLedgerRecord(first.decision), toLedgerRecord(second.decision)]);
    const rows = db.exec('SELECT outcome, cost_nano, cached_from, saved_nano FROM requests ORDER BY started_at, cached_from')[0]!.values;
    assert.deepEqual(rows, [
      ['answered', Math.round(first.decision.costUsd * 1e9), null, null],
      ['answered', 0, first.decision.finishedAt, Math.round(first.decision.costUsd * 1e9)],
    ]);
    const answered = db.exec('SELECT TOTAL(requests) FROM answered_hourly')[0]!.values[0]![0];
    assert.equal(answered, 1, 'only the model\'s own answer counts for the recommendations');
  });
});
