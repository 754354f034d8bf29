import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { resolveConfig } from '../../src/core/config/layering';
import type { Config } from '../../src/core/config/types';
import { costOf, createPriceTable, estimateCost } from '../../src/core/pricing/cost';
import { InMemorySpend } from '../../src/core/routing/budget';
import type { Clock } from '../../src/core/routing/clock';
import type { Decision, RouteEvent } from '../../src/core/routing/decision';
import { describeCost, describePlan } from '../../src/core/routing/describe';
import type { RouteRequest } from '../../src/core/routing/router';
import { Router } from '../../src/core/routing/router';
import { formatUsd } from '../../src/core/util/format';
import { createAnthropicFake } from '../fakes/anthropicFake';
import { createGeminiFake } from '../fakes/geminiFake';
import { createOpenAIFake } from '../fakes/openaiFake';

/**
 * The router against the three wire-faithful fakes through the official SDKs. Time is a "jump clock": real HTTP,
 * but every backoff or wait resolves at once and moves the clock forward, so a 30 s Retry-After costs nothing.
 */
class JumpClock implements Clock {
  private offset = 0;
  readonly sleeps: number[] = [];
  /** A timer that fires this many ms before the wall clock says the sleep is over (as Node's may, by ~1 ms). */
  earlyWakeMs = 0;
  constructor(private readonly base = Date.parse('2026-11-23T12:00:00Z')) {}
  now(): number {
    return this.base + this.offset;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new Error('aborted');
    this.sleeps.push(ms);
    this.offset += Math.max(0, ms - this.earlyWakeMs);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

const KEYS: Record<string, string> = {
  'anthropic/default': 'ant-key-0000000000000001',
  'openai/default': 'oai-key-0000000000000001',
  'gemini/default': 'gem-key-0000000000000001',
};

describe('router: routing against the fake providers', function () {
  this.timeout(10_000);
  const anthropic = createAnthropicFake();
  const openai = createOpenAIFake();
  const gemini = createGeminiFake();
  const local = createOpenAIFake();
  let keys: Record<string, string>;
  let clock: JumpClock;

  before(async () => {
    await Promise.all([anthropic.start(), openai.start(), gemini.start(), local.start()]);
  });
  after(() => Promise.all([anthropic.close(), openai.close(), gemini.close(), local.close()]));
  beforeEach(() => {
    for (const fake of [anthropic, openai, gemini, local]) fake.reset();
    keys = { ...KEYS };
    clock = new JumpClock();
  });

  function config(extra = ''): Config {
    const text = `
localFirst: false
retry: { maxAttemptsPerCandidate: 2, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 60000 }
circuit: { consecutiveFailures: 2, failureRate: 0.9, minRequests: 50, windowMs: 60000, cooldownMs: 30000 }
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
  openai: { baseUrl: "${openai.baseURL}" }
  gemini: { baseUrl: "${gemini.baseURL}" }
  local: { baseUrl: "${local.baseURL}" }
agents:
  explainer: { chain: [anthropic, openai, gemini], reasoning: test }
  reviewer: { chain: [openai, anthropic], reasoning: test }
${extra}`;
    const { config: resolved, diagnostics } = resolveConfig({ user: { file: 'test.yaml', text }, workspaceTrusted: true });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    return resolved;
  }

  function router(cfg: Config = config(), spend = new InMemorySpend()): Router {
    return new Router(cfg, {
      keys: { get: (provider, keyId) => keys[`${provider}/${keyId}`] },
      clock,
      random: () => 0.5,
      spend,
    });
  }

  async function run(r: Router, request: Partial<RouteRequest> = {}): Promise<{ text: string; events: RouteEvent[]; decision: Decision }> {
    const events: RouteEvent[] = [];
    let text = '';
    for await (const event of r.route({ task: 'explain', text: 'const x = 1;', ...request })) {
      events.push(event);
      if (event.type === 'text') text += event.text;
    }
    const done = events.at(-1);
    assert.ok(done && done.type === 'done', 'the last event is done');
    return { text, events, decision: done.decision };
  }

  it('answers from the primary and records a complete decision', async () => {
    anthropic.enqueue({ text: 'It declares x.', usage: { input: 50, output: 5 } });
    const { text, events, decision } = await run(router());
    assert.equal(text, 'It declares x.');
    assert.equal(events[0]!.type, 'plan');
    assert.equal(decision.outcome, 'answered');
    assert.equal(decision.agent, 'explainer');
    assert.deepEqual(decision.chosen, { provider: 'anthropic', model: decision.candidates[0]!.model });
    assert.equal(decision.tier, 'light');
    assert.ok(decision.complexity && decision.complexity.score >= 1 && decision.complexity.reasons.length > 0);
    assert.equal(decision.attempts.length, 1);
    const attempt = decision.attempts[0]!;
    assert.equal(attempt.status, 'ok');
    assert.equal(attempt.keyId, 'default');
    assert.deepEqual(attempt.usage, { inputTokens: 50, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.ok(attempt.costUsd > 0, 'a priced model costs something');
    assert.equal(decision.costUsd, attempt.costUsd);
    assert.ok(!JSON.stringify(decision).includes(KEYS['anthropic/default']!), 'the decision holds no key');
  });

  it('falls back to the next provider on 503 without retrying it more than allowed', async () => {
    anthropic.enqueue({ error: 'unavailable' }, { error: 'unavailable' });
    openai.enqueue({ text: 'from openai' });
    const { text, decision, events } = await run(router());
    assert.equal(text, 'from openai');
    assert.equal(decision.chosen?.provider, 'openai');
    assert.deepEqual(
      decision.attempts.map((a) => `${a.provider}:${a.status}:${a.errorKind ?? ''}`),
      ['anthropic:error:overloaded', 'anthropic:error:overloaded', 'openai:ok:'],
    );
    assert.ok(events.some((e) => e.type === 'retry'));
    assert.ok(events.some((e) => e.type === 'fallback' && e.provider === 'openai'));
  });

  it('honours Retry-After on a 429 and then succeeds on the same provider', async () => {
    anthropic.enqueue({ error: 'rate_limit', retryAfterSeconds: 7 }, { text: 'second time lucky' });
    const { text, decision } = await run(router());
    assert.equal(text, 'second time lucky');
    assert.equal(decision.attempts.length, 2);
    assert.ok(clock.sleeps.some((ms) => ms >= 7000), `waited at least the Retry-After: ${clock.sleeps.join(',')}`);
  });

  it('retries after a Retry-After even when the timer wakes a millisecond early (no fallback, no failure)', async () => {
    clock.earlyWakeMs = 1;
    anthropic.enqueue({ error: 'rate_limit', retryAfterSeconds: 2 }, { text: 'on time' });
    const { text, decision } = await run(router());
    assert.equal(text, 'on time');
    assert.equal(decision.chosen?.provider, 'anthropic', 'the planned retry ran on the same provider');
    assert.deepEqual(decision.attempts.map((a) => a.status), ['error', 'ok']);
  });

  it('rotates to another key of the provider on a 429, at once', async () => {
    const text = `
localFirst: false
providers:
  anthropic:
    baseUrl: "${anthropic.baseURL}"
    keys: [{ id: work }, { id: personal, priority: 1 }]
agents:
  explainer: { chain: [anthropic], reasoning: test }
`;
    const resolved = resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true }).config;
    keys['anthropic/work'] = 'ant-work-000000000000001';
    keys['anthropic/personal'] = 'ant-personal-00000000001';
    anthropic.enqueue({ error: 'rate_limit', retryAfterSeconds: 30 }, { text: 'from the other key' });
    const { text: answer, decision } = await run(router(resolved));
    assert.equal(answer, 'from the other key');
    assert.deepEqual(decision.attempts.map((a) => a.keyId), ['work', 'personal']);
    assert.deepEqual(clock.sleeps, [], 'no wait: another key was free');
    assert.equal(anthropic.modelRequests[1]!.headers['authorization'], `Bearer ${keys['anthropic/personal']}`);
  });

  it('opens the circuit after repeated failures, skips the provider, then recovers through one half-open probe', async () => {
    const r = router();
    anthropic.enqueue({ error: 'server' }, { error: 'server' });
    openai.enqueue({ text: 'a' });
    await run(r);
    assert.equal(r.breakers.get('anthropic').snapshot().state, 'open');

    openai.enqueue({ text: 'b' });
    const second = await run(r);
    assert.equal(anthropic.modelRequests.length, 2, 'the open circuit sent nothing to anthropic');
    const skipped = second.decision.candidates.find((c) => c.provider === 'anthropic')!;
    assert.equal(skipped.status, 'skipped');
    assert.match(skipped.reason ?? '', /circuit|open|cool/i);

    clock.advance(31_000);
    anthropic.enqueue({ text: 'recovered' });
    const third = await run(r);
    assert.equal(third.text, 'recovered');
    assert.equal(r.breakers.get('anthropic').snapshot().state, 'healthy');
  });

  it('fails with "all keys exhausted, retry after N s" when every candidate is limited beyond the wait', async () => {
    const text = `
localFirst: false
maxWaitMs: 1000
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}", keys: [{ id: default, limits: { rpm: 1 } }] }
  openai: { baseUrl: "${openai.baseURL}", keys: [{ id: default, limits: { rpm: 1 } }] }
agents:
  explainer: { chain: [anthropic, openai], reasoning: test }
`;
    const r = router(resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true }).config);
    anthropic.enqueue({ text: 'one' });
    openai.enqueue({ text: 'two' });
    assert.equal((await run(r)).text, 'one');
    assert.equal((await run(r)).text, 'two');
    const third = await run(r);
    assert.equal(third.decision.outcome, 'failed');
    assert.equal(third.decision.error?.kind, 'exhausted');
    assert.match(third.decision.error?.message ?? '', /All keys exhausted.*retry after \d+(?:\.\d)? (?:ms|s|min|h)(?: \d+ (?:s|min))?/);
    assert.ok((third.decision.error?.retryAfterMs ?? 0) > 1000);
    assert.equal(anthropic.modelRequests.length + openai.modelRequests.length, 2, 'nothing sent over the limit');
  });

  it('waits for a rate limit that frees up within maxWaitMs', async () => {
    const text = `
localFirst: false
maxWaitMs: 2000
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}", keys: [{ id: default, limits: { minIntervalMs: 1500 } }] }
agents:
  explainer: { chain: [anthropic], reasoning: test }
`;
    const r = router(resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true }).config);
    anthropic.enqueue({ text: 'one' }, { text: 'two' });
    await run(r);
    const second = await run(r);
    assert.equal(second.text, 'two');
    assert.ok(second.events.some((e) => e.type === 'wait'));
  });

  it('blocks over budget with a clear error, and sends nothing', async () => {
    const spend = new InMemorySpend();
    spend.record(5, clock.now());
    const r = router(config('budget: { daily: 5, onExceed: block }'), spend);
    const { decision } = await run(r);
    assert.equal(decision.outcome, 'failed');
    assert.equal(decision.error?.kind, 'budget');
    assert.match(decision.error?.message ?? '', /over budget/);
    assert.equal(anthropic.modelRequests.length + openai.modelRequests.length + gemini.modelRequests.length, 0);
    assert.deepEqual(decision.candidates.map((c) => c.skip), ['over-budget', 'over-budget', 'over-budget'], 'each skip carries its code');
  });

  it('gives every skipped candidate a typed code, and each key its own reason (callers never parse the words)', async () => {
    delete keys['openai/default'];
    const cfg = config();
    const disabled = { ...cfg, providers: { ...cfg.providers, gemini: { ...cfg.providers.gemini!, enabled: false } } };
    anthropic.enqueue({ text: 'again' });
    const second = await run(router(disabled));
    const byProvider = new Map(second.decision.candidates.map((c) => [c.provider, c]));
    assert.equal(byProvider.get('anthropic')!.status, 'planned');
    assert.equal(byProvider.get('openai')!.skip, 'keys');
    assert.deepEqual(byProvider.get('openai')!.keys!.map((k) => [k.keyId, k.reason]), [['default', 'missing']]);
    assert.equal(byProvider.get('gemini')!.skip, 'disabled');
  });

  it('estimates a model without a known price at its provider\'s most expensive model, so a block budget blocks it', async () => {
    const spend = new InMemorySpend();
    spend.record(4.99, clock.now());
    const cfg = config('budget: { daily: 5, onExceed: block }');
    const r = router(cfg, spend);
    const prices = createPriceTable({}, { now: new Date(clock.now()) });
    // A known cheap model still fits the $0.01 left ...
    anthropic.enqueue({ text: 'cheap', usage: { input: 10, output: 2 } });
    const cheap = await run(r, { forced: { provider: 'anthropic', model: 'claude-haiku-5-5' } });
    assert.equal(cheap.decision.outcome, 'answered');
    assert.equal(cheap.decision.candidates[0]!.priceUnknown, undefined);
    // ... a model nobody priced does not: it is estimated as the priciest Anthropic model, not as free.
    const big = 'x'.repeat(40_000);
    const blocked = await run(r, { forced: { provider: 'anthropic', model: 'claude-opus-9' }, text: big });
    const candidate = blocked.decision.candidates[0]!;
    assert.equal(candidate.priceUnknown, true);
    const ceiling = prices.charge('anthropic', 'claude-opus-9');
    assert.equal(ceiling.unknown, true);
    assert.equal(candidate.estimateUsd, estimateCost(ceiling.price, blocked.decision.promptTokens, cfg.routing.expectedOutputTokens[blocked.decision.tier]));
    assert.ok(candidate.estimateUsd > estimateCost(prices.priceOf('anthropic', 'claude-opus-5-5')!, blocked.decision.promptTokens, cfg.routing.expectedOutputTokens[blocked.decision.tier]));
    assert.equal(blocked.decision.error?.kind, 'budget');
    assert.equal(anthropic.modelRequests.length, 1, 'the unpriced request was never sent');
  });

  it('books an answer from a model without a known price at the ceiling, marked price unknown', async () => {
    const spend = new InMemorySpend();
    const r = router(config(), spend);
    anthropic.enqueue({ text: 'new model', usage: { input: 1000, output: 100 } });
    const { decision } = await run(r, { forced: { provider: 'anthropic', model: 'claude-opus-9' } });
    assert.equal(decision.outcome, 'answered');
    const attempt = decision.attempts[0]!;
    assert.equal(attempt.priceUnknown, true);
    const ceiling = createPriceTable({}, { now: new Date(clock.now()) }).charge('anthropic', 'claude-opus-9').price;
    assert.equal(attempt.costUsd, costOf(ceiling, attempt.usage!));
    assert.ok(attempt.costUsd > 0);
    assert.equal(spend.spentUsd('day', clock.now(), 'UTC'), attempt.costUsd, 'the budget counts it');
    // The plan (CLI stderr, the extension's progress) and the cost (CLI usage line, answer footer) say so.
    assert.match(describePlan(decision).parts.join(' · '), /est\. \$[\d.]+ \(price unknown: upper estimate\)/);
    assert.equal(describeCost(decision), `${formatUsd(decision.costUsd)} (price unknown: upper estimate)`);
    anthropic.enqueue({ text: 'known', usage: { input: 1000, output: 100 } });
    const known = await run(r, { forced: { provider: 'anthropic', model: 'claude-haiku-5-5' } });
    assert.doesNotMatch(describePlan(known.decision).parts.join(' · '), /price unknown/);
    assert.equal(describeCost(known.decision), formatUsd(known.decision.costUsd));
  });

  it('downgrades tier by tier when the budget says so, until a cheaper model fits', async () => {
    const spend = new InMemorySpend();
    spend.record(4.999, clock.now());
    const text = `
budget: { daily: 5, onExceed: downgrade }
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
agents:
  reviewer: { chain: [anthropic], reasoning: test }
`;
    const r = router(resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true }).config, spend);
    const big = Array.from({ length: 120 }, (_, i) => `if (a${i}) { for (const b of c${i}) { if (b) { d(b); } } }`).join('\n');
    anthropic.enqueue({ text: 'cheap review' });
    const { decision, text: answer } = await run(r, { task: 'review', text: big });
    assert.equal(answer, 'cheap review');
    assert.notEqual(decision.requestedTier, 'light');
    assert.equal(decision.downgraded, true);
    assert.equal(decision.tier, 'light');
    assert.equal(anthropic.modelRequests[0]!.model, decision.chosen?.model);
    assert.ok((decision.estimateUsd ?? 1) < 0.001, `the estimate fits the $0.001 left: ${decision.estimateUsd}`);
  });

  it('over budget, a free local model in the chain still answers without a downgrade', async () => {
    const spend = new InMemorySpend();
    spend.record(5, clock.now());
    const text = `
budget: { daily: 5, onExceed: downgrade }
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
  local: { baseUrl: "${local.baseURL}" }
agents:
  reviewer: { chain: [anthropic, local], reasoning: test }
`;
    const r = router(resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true }).config, spend);
    local.enqueue({ text: 'local answer' });
    const big = Array.from({ length: 120 }, (_, i) => `if (a${i}) { for (const b of c${i}) { if (b) { d(b); } } }`).join('\n');
    const { decision, text: answer } = await run(r, { task: 'review', text: big });
    assert.equal(answer, 'local answer');
    assert.equal(decision.chosen?.provider, 'local');
    assert.equal(decision.costUsd, 0);
    assert.match(decision.candidates.find((c) => c.provider === 'anthropic')!.reason ?? '', /over budget/);
    assert.equal(anthropic.modelRequests.length, 0);
  });

  it('sends light work to the healthy local provider first, and skips it when its circuit is open', async () => {
    const text = `
localFirst: true
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
  local: { baseUrl: "${local.baseURL}" }
agents:
  explainer: { chain: [anthropic, local], reasoning: test }
  reviewer: { chain: [anthropic], reasoning: no local model for reviews }
`;
    const r = router(resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true }).config);
    anthropic.enqueue({ text: 'reviewed' });
    const review = await run(r, { task: 'review', text: 'x' });
    assert.equal(review.decision.chosen?.provider, 'anthropic', 'an agent without local in its chain never gets it');
    local.enqueue({ text: 'local' });
    const light = await run(r);
    assert.equal(light.decision.tier, 'light');
    assert.equal(light.decision.candidates[0]!.provider, 'local', 'local moves to the front of the chain');
    assert.equal(light.decision.chosen?.provider, 'local');
    assert.equal(light.decision.costUsd, 0);

    local.enqueue({ error: 'server' }, { error: 'server' }, { error: 'server' });
    anthropic.enqueue({ text: 'a' }, { text: 'b' });
    await run(r);
    await run(r);
    assert.equal(r.breakers.get('local').snapshot().state, 'open');
    const afterOutage = await run(r, {});
    assert.equal(afterOutage.decision.chosen?.provider, 'anthropic');
    assert.ok(!afterOutage.decision.attempts.some((a) => a.provider === 'local'), 'an unhealthy local server is not tried');
  });

  it('runs a forced model, and says clearly when it cannot run', async () => {
    const r = router();
    gemini.enqueue({ text: 'forced' });
    const ok = await run(r, { forced: { provider: 'gemini', model: 'gemini-2.5-flash-lite' } });
    assert.equal(ok.text, 'forced');
    assert.equal(ok.decision.complexity, undefined, 'complexity is skipped');
    assert.equal(gemini.modelRequests[0]!.model, 'gemini-2.5-flash-lite');

    delete keys['openai/default'];
    const blocked = await run(r, { forced: { provider: 'openai', model: 'gpt-4.1-mini' } });
    assert.equal(blocked.decision.outcome, 'failed');
    assert.match(blocked.decision.error?.message ?? '', /forced model openai\/gpt-4.1-mini cannot run/);
  });

  it('escalates one tier on request and after repeated failures of a tier', async () => {
    const r = router();
    anthropic.enqueue({ text: 'stronger' });
    const asked = await run(r, { escalate: true });
    assert.equal(asked.decision.requestedTier, 'light');
    assert.equal(asked.decision.tier, 'medium');
    assert.equal(asked.decision.escalated, true);

    // Two failed requests of the explainer at light (every provider down), then the third goes one tier up.
    for (let i = 0; i < 2; i++) {
      for (const fake of [anthropic, openai, gemini]) fake.enqueue({ error: 'bad_request' });
      const failed = await run(r);
      assert.equal(failed.decision.outcome, 'failed');
    }
    anthropic.enqueue({ text: 'escalated' });
    const third = await run(r);
    assert.equal(third.decision.tier, 'medium');
    assert.equal(third.decision.escalated, true);
  });

  it('stops when a stream breaks after output started, says so, and continues on the next candidate when asked', async () => {
    const r = router();
    anthropic.enqueue({ chunks: ['first ', 'half ', 'never'], cutAfterChunks: 2 });
    const broken = await run(r);
    assert.equal(broken.text, 'first half ');
    assert.equal(broken.decision.outcome, 'interrupted');
    assert.equal(broken.decision.interrupted?.provider, 'anthropic');
    assert.equal(openai.modelRequests.length, 0, 'never spliced with another model silently');
    const cont = broken.decision.interrupted.continueWith;
    assert.ok(cont[0]!.startsWith('openai/'));

    openai.enqueue({ text: 'a whole answer' });
    const resumed = await run(r, { exclude: [`anthropic/${broken.decision.interrupted.model}`] });
    assert.equal(resumed.text, 'a whole answer');
    assert.equal(resumed.decision.chosen?.provider, 'openai');
  });

  it('marks a key unusable after an auth error until it changes', async () => {
    const r = router();
    anthropic.expectedKey = 'the-right-key-000000001';
    openai.enqueue({ text: 'openai' });
    const first = await run(r);
    assert.equal(first.decision.attempts[0]!.errorKind, 'auth');
    assert.equal(first.decision.attempts.filter((a) => a.provider === 'anthropic').length, 1, 'auth is never retried');

    openai.enqueue({ text: 'openai again' });
    const second = await run(r);
    assert.equal(anthropic.modelRequests.length, 1, 'the dead key is not tried again');
    assert.match(second.decision.candidates.find((c) => c.provider === 'anthropic')!.reason ?? '', /auth|key/i);

    keys['anthropic/default'] = 'the-right-key-000000001';
    anthropic.enqueue({ text: 'new key works' });
    assert.equal((await run(r)).text, 'new key works');
    anthropic.expectedKey = undefined;
  });

  it('never retries or falls back after the caller aborts', async () => {
    const r = router();
    anthropic.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = run(r, { signal: controller.signal });
    await anthropic.waitForRequest(0, 2000);
    controller.abort();
    const { decision } = await pending;
    assert.equal(decision.outcome, 'aborted');
    assert.equal(openai.modelRequests.length, 0);
    await anthropic.waitForClose(0, 2000);
  });
});

describe('router: a replaced key', () => {
  it('keysChanged() revives a key that failed authentication as soon as its secret changes', async () => {
    const config = resolveConfig({ workspaceTrusted: false }).config;
    let secret = 'sk-old-0000000000';
    const router = new Router(config, { keys: { get: () => secret } });
    const pool = router.pool('anthropic');
    await router.keysChanged();
    // The provider rejected the old secret.
    const print = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
    pool.markAuthFailed('default', print(secret));
    assert.equal(pool.snapshot().find((k) => k.keyId === 'default')?.authFailed, true);
    await router.keysChanged();
    assert.equal(pool.snapshot().find((k) => k.keyId === 'default')?.authFailed, true, 'same secret: still rejected');
    secret = 'sk-new-1111111111';
    await router.keysChanged();
    assert.equal(pool.snapshot().find((k) => k.keyId === 'default')?.authFailed, false, 'a new secret revives the key');
    router.dispose();
  });
});
