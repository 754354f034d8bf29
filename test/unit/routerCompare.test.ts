import assert from 'node:assert/strict';

import { resolveConfig } from '../../src/core/config/layering';
import type { Config } from '../../src/core/config/types';
import { compareModels, comparisonFeedback, usableModels } from '../../src/core/routing/compare';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';
import { createGeminiFake } from '../fakes/geminiFake';
import { createOpenAIFake } from '../fakes/openaiFake';

describe('compare models: which two, and what a pick records', function () {
  this.timeout(10_000);
  const anthropic = createAnthropicFake();
  const openai = createOpenAIFake();
  const gemini = createGeminiFake();
  before(() => Promise.all([anthropic.start(), openai.start(), gemini.start()]));
  after(() => Promise.all([anthropic.close(), openai.close(), gemini.close()]));
  beforeEach(() => {
    for (const fake of [anthropic, openai, gemini]) fake.reset();
  });

  function config(chain = '[anthropic, openai, gemini]'): Config {
    const text = `
localFirst: false
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
  openai: { baseUrl: "${openai.baseURL}" }
  gemini: { baseUrl: "${gemini.baseURL}" }
agents:
  explainer: { chain: ${chain}, reasoning: test }
`;
    const { config: resolved, diagnostics } = resolveConfig({ user: { file: 'test.yaml', text }, workspaceTrusted: true });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    return resolved;
  }

  const keys = { anthropic: 'ant-key-0000000000000001', openai: 'oai-key-0000000000000001', gemini: 'gem-key-0000000000000001' } as Record<string, string>;
  const router = (cfg: Config, without: string[] = []): Router =>
    new Router(cfg, { keys: { get: (provider) => (without.includes(provider) ? undefined : keys[provider]) } });

  it('previews the plan without sending anything, and takes the two cheapest usable models', async () => {
    const r = router(config());
    const preview = await r.preview({ task: 'explain', text: 'const x = 1;' });
    assert.equal(anthropic.requests.length + openai.requests.length + gemini.requests.length, 0, 'nothing was sent');
    const usable = usableModels(preview);
    assert.deepEqual(usable.map((m) => m.provider), ['anthropic', 'openai', 'gemini'], 'in the router\'s order');
    const pair = compareModels(preview);
    assert.ok(!('reason' in pair));
    const byCost = [...usable].sort((x, y) => x.estimateUsd! - y.estimateUsd!);
    assert.deepEqual([pair.a, pair.b], byCost.slice(0, 2));
    r.dispose();
  });

  it('compares the routed model with the one picked; picking the routed one pairs it with the next', async () => {
    const r = router(config());
    const preview = await r.preview({ task: 'explain', text: 'const x = 1;' });
    const routed = usableModels(preview)[0]!;
    const withGemini = compareModels(preview, { provider: 'gemini', model: 'some-gemini-model' });
    assert.ok(!('reason' in withGemini));
    assert.deepEqual([withGemini.a.provider, withGemini.b.provider, withGemini.b.model], ['anthropic', 'gemini', 'some-gemini-model']);
    const same = compareModels(preview, { provider: routed.provider, model: routed.model });
    assert.ok(!('reason' in same));
    assert.equal(same.a.provider, 'openai');
    assert.equal(same.b.provider, 'anthropic');
    r.dispose();
  });

  it('says why when fewer than two models can take the request (keys missing)', async () => {
    const r = router(config(), ['openai', 'gemini']);
    const pair = compareModels(await r.preview({ task: 'explain', text: 'x' }));
    assert.ok('reason' in pair);
    assert.match(pair.reason, /fewer than two models .*openai.*gemini/);
    r.dispose();
  });

  it('records a pick on both answers', () => {
    assert.deepEqual(comparisonFeedback('a'), ['compare-win', 'compare-loss']);
    assert.deepEqual(comparisonFeedback('b'), ['compare-loss', 'compare-win']);
    assert.deepEqual(comparisonFeedback('both'), ['compare-both', 'compare-both']);
    assert.deepEqual(comparisonFeedback('neither'), ['compare-neither', 'compare-neither']);
  });
});
