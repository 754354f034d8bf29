import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { resolveConfig } from '../../src/core/config/layering';
import { setProviderWeightsInYaml } from '../../src/core/config/yamlEdit';
import { recentAttempts } from '../../src/core/ledger/queries';
import { LedgerStore } from '../../src/core/ledger/store';
import type { Decision } from '../../src/core/routing/decision';
import {
  describeWeight,
  effectiveWeight,
  PERFORMANCE_HALF_LIFE_MS,
  performanceMultiplier,
  PerformanceTracker,
} from '../../src/core/routing/performance';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';
import { createOpenAIFake } from '../fakes/openaiFake';
import { makeRecord } from '../support/ledgerFixtures';

/** Load-balance weights by performance: weight × (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s), decayed. */

const T0 = Date.parse('2026-11-23T12:00:00Z');

describe('routing: performance-adjusted weights', () => {
  it('the multiplier is the seed\'s formula', () => {
    assert.equal(performanceMultiplier(0, undefined), 1);
    assert.equal(performanceMultiplier(1, undefined), 0.5);
    assert.equal(performanceMultiplier(0, 10_000), 0.5);
    assert.ok(Math.abs(performanceMultiplier(0.2, 2_500) - 0.9 * 0.8) < 1e-12);
    assert.equal(performanceMultiplier(Number.NaN, -5), 1, 'nonsense counts as nothing');
  });

  it('an unmeasured provider keeps its weight; one failure in four and a 2.5 s median lower it', () => {
    const tracker = new PerformanceTracker();
    assert.equal(effectiveWeight(2, tracker.get('openai', T0)), 2);
    for (let i = 0; i < 3; i++) tracker.record({ provider: 'openai', at: T0, ok: true, latencyMs: 2_500 });
    tracker.record({ provider: 'openai', at: T0, ok: false, errorKind: 'server', latencyMs: 40 });
    const perf = tracker.get('openai', T0);
    assert.equal(perf.errorRate, 0.25);
    assert.equal(perf.p50Ms, 2_500, 'the median is of successful attempts only');
    assert.ok(Math.abs(effectiveWeight(2, perf) - 2 * 0.875 * 0.8) < 1e-12);
    assert.equal(describeWeight(2, perf), 'weight 2 → 1.4 (errors 25%, p50 2.5 s)');
    assert.equal(describeWeight(1, tracker.get('gemini', T0)), 'weight 1 (no recent attempts)');
  });

  it('failures that are not the provider\'s (cancel, bad request, rejected key, content filter) do not count', () => {
    const tracker = new PerformanceTracker();
    tracker.record({ provider: 'a', at: T0, ok: true, latencyMs: 100 });
    for (const errorKind of ['aborted', 'bad_request', 'auth', 'content_filter', 'safety_block', 'context_length']) {
      tracker.record({ provider: 'a', at: T0, ok: false, errorKind, latencyMs: 5 });
    }
    assert.equal(tracker.get('a', T0).errorRate, 0);
  });

  it('decays with a 30-minute half-life: old failures fade, and a provider unused for hours is unmeasured again', () => {
    const tracker = new PerformanceTracker();
    for (let i = 0; i < 4; i++) tracker.record({ provider: 'a', at: T0, ok: false, errorKind: 'overloaded', latencyMs: 10 });
    // An hour later 4 successes: the old failures weigh 4 × 1/4 = 1 against 4.
    for (let i = 0; i < 4; i++) tracker.record({ provider: 'a', at: T0 + 2 * PERFORMANCE_HALF_LIFE_MS, ok: true, latencyMs: 1_000 });
    const later = tracker.get('a', T0 + 2 * PERFORMANCE_HALF_LIFE_MS);
    assert.ok(Math.abs(later.errorRate - 0.2) < 1e-9, `error rate ${later.errorRate}`);
    const muchLater = tracker.get('a', T0 + 20 * PERFORMANCE_HALF_LIFE_MS);
    assert.equal(muchLater.multiplier, 1, 'no evidence left: the configured weight');
  });

  it('a ledger seed in any order gives the same figures as the attempts in time order', () => {
    const attempts = Array.from({ length: 40 }, (_, i) => ({
      provider: 'openai',
      at: T0 + i * 60_000,
      ok: i % 5 !== 0,
      ...(i % 5 === 0 ? { errorKind: 'timeout' } : {}),
      latencyMs: 500 + i * 10,
    }));
    const inOrder = new PerformanceTracker();
    inOrder.seed(attempts);
    const reversed = new PerformanceTracker();
    reversed.seed([...attempts].reverse());
    const now = T0 + 41 * 60_000;
    const a = inOrder.get('openai', now);
    const b = reversed.get('openai', now);
    assert.ok(Math.abs(a.errorRate - b.errorRate) < 1e-9);
    assert.equal(a.p50Ms, b.p50Ms);
    assert.ok(a.errorRate > 0.1 && a.errorRate < 0.3);
  });

  it('the ledger\'s recent attempts feed the tracker (failed and answered attempts of other runs)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'model-router-perf-'));
    try {
      const store = await LedgerStore.open({ dir, compactIntervalMs: 0, refreshIntervalMs: 0 });
      for (let n = 0; n < 10; n++) await store.append(makeRecord(`r${n}`, n));
      const rows = store.read((db) => recentAttempts(db, { from: T0, to: T0 + 3_600_000 }));
      await store.close();
      assert.equal(rows.length, 20);
      const tracker = new PerformanceTracker();
      tracker.seed(rows);
      // Every record: anthropic overloaded (counted), then openai answered in 770 ms.
      assert.equal(tracker.get('anthropic', T0 + 10_000).errorRate, 1);
      assert.equal(tracker.get('openai', T0 + 10_000).errorRate, 0);
      assert.equal(tracker.get('openai', T0 + 10_000).p50Ms, 770);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('"Rebalance..." writes providers.<id>.weight into the YAML, keeping comments; bad input changes nothing', () => {
    const text = '# my config\nproviders:\n  openai: { weight: 1 } # tuned\nstrategy: load-balance\n';
    const edited = setProviderWeightsInYaml('c.yaml', text, { openai: 0.6, anthropic: 2 });
    assert.ok(edited.ok, JSON.stringify(edited.diagnostics));
    assert.match(edited.text, /# my config/);
    const config = resolveConfig({ user: { file: 'c.yaml', text: edited.text }, workspaceTrusted: true }).config;
    assert.equal(config.providers['openai']!.weight, 0.6);
    assert.equal(config.providers['anthropic']!.weight, 2);
    assert.equal(config.routing.strategy, 'load-balance');
    const created = setProviderWeightsInYaml('c.yaml', undefined, { gemini: 3 });
    assert.ok(created.ok);
    assert.equal(resolveConfig({ user: { file: 'c.yaml', text: created.text }, workspaceTrusted: true }).config.providers['gemini']!.weight, 3);
    const unknown = setProviderWeightsInYaml('c.yaml', text, { opnai: 1 });
    assert.equal(unknown.ok, false);
    assert.equal(unknown.text, text);
    assert.match(unknown.diagnostics[0]!.message, /unknown provider "opnai" \(did you mean "openai"\?\)/);
    assert.equal(setProviderWeightsInYaml('c.yaml', text, { openai: -1 }).ok, false);
  });
});

describe('router: load-balance follows observed performance', function () {
  this.timeout(10_000);
  const anthropic = createAnthropicFake();
  const openai = createOpenAIFake();
  before(() => Promise.all([anthropic.start(), openai.start()]));
  after(() => Promise.all([anthropic.close(), openai.close()]));
  beforeEach(() => {
    anthropic.reset();
    openai.reset();
  });

  async function run(r: Router): Promise<Decision> {
    for await (const event of r.route({ task: 'explain', text: 'const a = 1;' })) if (event.type === 'done') return event.decision;
    assert.fail('no decision');
  }

  it('equal YAML weights: a provider whose attempts failed is drawn first less often, and its effective weight shows why', async () => {
    const text = `
localFirst: false
strategy: load-balance
retry: { maxAttemptsPerCandidate: 1, baseDelayMs: 1, maxDelayMs: 2 }
circuit: { consecutiveFailures: 100, failureRate: 1, minRequests: 1000, windowMs: 60000, cooldownMs: 1000 }
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
  openai: { baseUrl: "${openai.baseURL}" }
agents:
  explainer: { chain: [anthropic, openai], reasoning: test }
`;
    const { config } = resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true });
    // The same draw for every candidate: the higher effective weight goes first (u^(1/w) grows with w).
    const r = new Router(config, { keys: { get: (p) => `${p}-key-0000000000000000000000` }, random: () => 0.5 });
    assert.equal((await run(r)).chosen?.provider, 'anthropic', 'equal weights: chain order');
    anthropic.enqueue({ error: 'server' });
    const failed = await run(r);
    assert.deepEqual(failed.attempts.map((a) => [a.provider, a.status]), [['anthropic', 'error'], ['openai', 'ok']]);
    const weights = Object.fromEntries(r.effectiveWeights().map((w) => [w.provider, w]));
    const rate = weights['anthropic']!.performance.errorRate;
    assert.ok(Math.abs(rate - 0.5) < 0.01, `one answer, one server error (a few ms apart, so decayed a hair): ${rate}`);
    assert.ok(weights['anthropic']!.effective < weights['openai']!.effective);
    const before = anthropic.modelRequests.length;
    const next = await run(r);
    assert.equal(next.chosen?.provider, 'openai');
    assert.equal(next.attempts[0]!.provider, 'openai', 'anthropic is no longer drawn first');
    assert.equal(anthropic.modelRequests.length, before);
    r.dispose();
  });
});
