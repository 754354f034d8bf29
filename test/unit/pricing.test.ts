import assert from 'node:assert/strict';

import type { ModelPrice, PriceTable } from '../../src/core/pricing/cost';
import { costNanoUsd, costOf, createPriceTable, estimateCost } from '../../src/core/pricing/cost';
import { BUILTIN_PRICES, BUILTIN_TIER_MODELS } from '../../src/core/pricing/prices';
import type { Usage } from '../../src/core/providers/types';

const TODAY = new Date('2026-11-23T12:00:00Z');

function usage(partial: Partial<Usage>): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, ...partial };
}

function table(overrides?: Parameters<typeof createPriceTable>[0], now: Date = TODAY): PriceTable {
  return createPriceTable(overrides, { now });
}

function priceOf(t: PriceTable, provider: string, model: string): ModelPrice {
  const price = t.priceOf(provider, model);
  assert.ok(price, `expected a price for ${provider}/${model}`);
  return price;
}

describe('pricing', () => {
  describe('cost of a usage record', () => {
    it('prices a known model from its published numbers', () => {
      // Claude Sonnet 4.6: $3 / MTok input, $15 / MTok output (no long-context tier).
      // 1,000,000 input x $3 + 500,000 output x $15 = $3 + $7.50 = $10.50
      const price = priceOf(table(), 'anthropic', 'claude-sonnet-4-6');
      assert.equal(costOf(price, usage({ inputTokens: 1_000_000, outputTokens: 500_000 })), 10.5);
      // Claude Sonnet 4.5 has the same base price: 100,000 x $3 + 50,000 x $15 = $0.30 + $0.75 = $1.05
      const sonnet45 = priceOf(table(), 'anthropic', 'claude-sonnet-4-5');
      assert.equal(costOf(sonnet45, usage({ inputTokens: 100_000, outputTokens: 50_000 })), 1.05);
    });

    it('prices cache reads and cache writes at their own rates', () => {
      // Claude Sonnet 4.5: input $3, output $15, cache hit $0.30, 5-minute cache write $3.75 per MTok.
      //   10,000 input      x $3    = $0.03
      //    2,000 output     x $15   = $0.03
      //  100,000 cache read x $0.30 = $0.03
      //   20,000 cache write x $3.75 = $0.075
      //                       total = $0.165
      const price = priceOf(table(), 'anthropic', 'claude-sonnet-4-5');
      const record = usage({ inputTokens: 10_000, outputTokens: 2_000, cacheReadTokens: 100_000, cacheWriteTokens: 20_000 });
      assert.equal(costOf(price, record), 0.165);
      assert.equal(costNanoUsd(price, record), 165_000_000);
    });

    it('prices DeepSeek cache hits at the cache-hit rate (peak rates)', () => {
      // deepseek-flash at peak: cache miss $0.30, cache hit $0.006, output $1.20 per MTok.
      // 1,000,000 miss x $0.30 + 1,000,000 hit x $0.006 + 100,000 out x $1.20 = $0.30 + $0.006 + $0.12 = $0.426
      const price = priceOf(table(), 'deepseek', 'deepseek-flash');
      const record = usage({ inputTokens: 1_000_000, cacheReadTokens: 1_000_000, outputTokens: 100_000 });
      assert.equal(costOf(price, record), 0.426);
    });

    it('bills cached tokens at the input price when a price has no cache rates', () => {
      // input $2, output $8, no cacheRead / cacheWrite: 1,000 + 1,000 + 1,000 prompt tokens x $2 = $0.006
      const price: ModelPrice = { input: 2, output: 8 };
      assert.equal(costOf(price, usage({ inputTokens: 1_000, cacheReadTokens: 1_000, cacheWriteTokens: 1_000 })), 0.006);
    });

    it('is exact to the nano-dollar with prices that are not binary fractions', () => {
      // 1,234 tokens x $0.028 = 34.552 micro-dollars = $0.000034552; 0.1 + 0.2 style drift must not show.
      assert.equal(costOf({ input: 0.028, output: 0 }, usage({ inputTokens: 1_234 })), 0.000034552);
      // 3 x (100,000 x $0.1) + 3 x (100,000 x $0.2) = $0.03 + $0.06 = $0.09 (summed as integers)
      const records = [0.1, 0.2, 0.1, 0.2, 0.1, 0.2].map((input) => costNanoUsd({ input, output: 0 }, usage({ inputTokens: 100_000 })));
      assert.equal(records.reduce((sum, nano) => sum + nano, 0) / 1e9, 0.09);
    });

    it('rejects negative or non-finite token counts', () => {
      const price: ModelPrice = { input: 1, output: 1 };
      assert.throws(() => costOf(price, usage({ outputTokens: -1 })), /outputTokens must be a finite number >= 0, got -1/);
      assert.throws(() => costOf(price, usage({ inputTokens: Number.NaN })), /inputTokens .* got NaN/);
    });

    it('estimates a request from prompt size and expected output at the uncached rate', () => {
      // GPT-6.2 Sol: input $2, output $10 per MTok. 50,000 x $2 + 4,000 x $10 = $0.10 + $0.04 = $0.14
      const price = priceOf(table(), 'openai', 'gpt-6.2-sol');
      assert.equal(estimateCost(price, 50_000, 4_000), 0.14);
    });
  });

  describe('long-context tier', () => {
    it('switches Gemini 2.5 Pro to the long-context price above 200k prompt tokens, exactly at the boundary', () => {
      // Gemini 2.5 Pro: <= 200k prompt tokens: input $1.25, output $10; > 200k: input $2.50, output $15 (per MTok).
      const price = priceOf(table(), 'gemini', 'gemini-2.5-pro');
      // 200,000 x $1.25 + 10,000 x $10 = $0.25 + $0.10 = $0.35 (at the threshold: still the base tier)
      assert.equal(costOf(price, usage({ inputTokens: 200_000, outputTokens: 10_000 })), 0.35);
      // 200,001 x $2.50 + 10,000 x $15 = $0.5000025 + $0.15 = $0.6500025 (one token more: whole request long-context)
      assert.equal(costOf(price, usage({ inputTokens: 200_001, outputTokens: 10_000 })), 0.6500025);
    });

    it('counts cache reads and writes towards the threshold', () => {
      // 150,000 input + 60,000 cache read = 210,000 prompt tokens > 200k: long tier.
      // 150,000 x $2.50 + 60,000 x $0.25 + 1,000 x $15 = $0.375 + $0.015 + $0.015 = $0.405
      const price = priceOf(table(), 'gemini', 'gemini-2.5-pro');
      assert.equal(costOf(price, usage({ inputTokens: 150_000, cacheReadTokens: 60_000, outputTokens: 1_000 })), 0.405);
    });

    it('applies to estimates too', () => {
      // Claude Haiku 5.5: <= 100k prompt: $0.10 / $0.50; > 100k: $0.50 / $2.50.
      const price = priceOf(table(), 'anthropic', 'claude-haiku-5-5');
      // 100,000 x $0.10 + 1,000 x $0.50 = $0.01 + $0.0005 = $0.0105
      assert.equal(estimateCost(price, 100_000, 1_000), 0.0105);
      // 100,001 x $0.50 + 1,000 x $2.50 = $0.0500005 + $0.0025 = $0.0525005
      assert.equal(estimateCost(price, 100_001, 1_000), 0.0525005);
    });

    it('uses the OpenAI 272k rule: exactly 272,000 is short-context', () => {
      const price = priceOf(table(), 'openai', 'gpt-6.2-sol');
      // 272,000 x $2 = $0.544 ; 272,001 x $4 = $1.088004
      assert.equal(estimateCost(price, 272_000, 0), 0.544);
      assert.equal(estimateCost(price, 272_001, 0), 1.088004);
    });
  });

  describe('lookup', () => {
    it('matches dated snapshot ids to their base model', () => {
      const t = table();
      assert.equal(t.lookup('anthropic', 'claude-sonnet-4-5-20250929')?.matchedModel, 'claude-sonnet-4-5');
      assert.equal(t.lookup('anthropic', 'claude-haiku-4-5-20251001')?.matchedModel, 'claude-haiku-4-5');
      assert.equal(t.lookup('openai', 'gpt-4o-mini-2024-07-18')?.matchedModel, 'gpt-4o-mini');
      assert.equal(t.lookup('openai', 'gpt-6.1-sol-2026-09-29')?.matchedModel, 'gpt-6.1-sol');
      assert.equal(t.lookup('gemini', 'models/gemini-2.5-flash-lite')?.matchedModel, 'gemini-2.5-flash-lite');
      assert.equal(priceOf(t, 'openai', 'gpt-4o-mini-2024-07-18').input, 0.15);
    });

    it('does not give gpt-4o the price of gpt-4o-mini, nor the reverse', () => {
      const t = table();
      assert.equal(t.lookup('openai', 'gpt-4o')?.matchedModel, 'gpt-4o');
      assert.equal(priceOf(t, 'openai', 'gpt-4o').input, 2.5);
      assert.equal(priceOf(t, 'openai', 'gpt-4o-2024-08-06').input, 2.5);
      assert.equal(priceOf(t, 'openai', 'gpt-4o-mini').input, 0.15);
    });

    it('only matches whole segments that look like a snapshot, so it never invents a price', () => {
      const t = table({ 'acme/gpt-4o': { input: 1, output: 2 } });
      assert.equal(t.priceOf('acme', 'gpt-4o-2024-08-06')?.input, 1);
      assert.equal(t.priceOf('acme', 'gpt-4omni'), undefined);
      assert.equal(t.priceOf('acme', 'gpt-4o-mini'), undefined);
      assert.equal(t.priceOf('openai', 'gpt-5.1'), undefined);
      assert.equal(t.priceOf('anthropic', 'claude-sonnet-4-5-thinking'), undefined);
    });

    it('keeps prices per provider', () => {
      assert.equal(table().priceOf('deepseek', 'claude-sonnet-4-5'), undefined);
    });

    it('prices the local provider and providers marked free at 0, whatever the model', () => {
      const t = createPriceTable(undefined, { now: TODAY, freeProviders: ['my-lan-box'] });
      const record = usage({ inputTokens: 5_000_000, outputTokens: 1_000_000, cacheReadTokens: 10 });
      for (const [provider, model] of [
        ['local', 'qwen2.5-coder:7b'],
        ['local', 'anything-at-all'],
        ['my-lan-box', 'llama3.1:8b'],
      ] as const) {
        assert.equal(t.isFree(provider), true);
        assert.equal(costOf(priceOf(t, provider, model), record), 0);
        assert.equal(t.lookup(provider, model)?.source, 'free');
      }
      assert.equal(t.isFree('openai'), false);
    });

    it('returns undefined for an unknown model', () => {
      const t = table();
      assert.equal(t.priceOf('openai', 'gpt-99-ultra'), undefined);
      assert.equal(t.lookup('my-proxy', 'some-model'), undefined);
    });

    it('drops retired DeepSeek aliases after their retirement day', () => {
      assert.equal(table(undefined, new Date('2026-07-24T12:00:00Z')).priceOf('deepseek', 'deepseek-chat')?.input, 0.14);
      assert.equal(table().priceOf('deepseek', 'deepseek-chat'), undefined);
    });

    it('applies announced price changes on their day (Gemini 3.8 Flash promotion ends 2027-01-01)', () => {
      assert.equal(table(undefined, new Date('2026-12-31T23:59:59Z')).priceOf('gemini', 'gemini-3.8-flash')?.input, 0.75);
      assert.equal(table(undefined, new Date('2027-01-01T00:00:00Z')).priceOf('gemini', 'gemini-3.8-flash')?.input, 1.5);
    });
  });

  describe('overrides', () => {
    it('replaces a built-in price, keeping the fields it does not set', () => {
      const t = table({ 'anthropic/claude-sonnet-4-5': { input: 2.5 } });
      const price = priceOf(t, 'anthropic', 'claude-sonnet-4-5-20250929');
      assert.equal(price.input, 2.5);
      assert.equal(price.output, 15);
      assert.equal(t.lookup('anthropic', 'claude-sonnet-4-5')?.source, 'override');
      // 100,000 x $2.50 + 50,000 x $15 = $0.25 + $0.75 = $1
      assert.equal(costOf(price, usage({ inputTokens: 100_000, outputTokens: 50_000 })), 1);
    });

    it('applies a model-only key to any provider', () => {
      const t = table({ 'gpt-4o': { output: 9 } });
      assert.equal(priceOf(t, 'openai', 'gpt-4o').output, 9);
      assert.equal(priceOf(t, 'openai', 'gpt-4o').input, 2.5);
      assert.equal(priceOf(t, 'my-azure', 'gpt-4o-2024-08-06').output, 9);
    });

    it('prefers a provider-specific override over a model-only one', () => {
      const t = table({ 'gpt-4o': { input: 1 }, 'openai/gpt-4o': { input: 2 } });
      assert.equal(priceOf(t, 'openai', 'gpt-4o').input, 2);
      assert.equal(priceOf(t, 'other', 'gpt-4o').input, 1);
    });

    it('adds a new model, for a custom provider or with a slash in its id', () => {
      const t = table({
        'openrouter/anthropic/claude-sonnet-4.5': { input: 3.3, output: 16.5 },
        'deepseek/deepseek-v5-preview': { input: 0.5, output: 2, cacheRead: 0.01 },
      });
      assert.equal(priceOf(t, 'openrouter', 'anthropic/claude-sonnet-4.5').input, 3.3);
      assert.equal(priceOf(t, 'deepseek', 'deepseek-v5-preview').cacheRead, 0.01);
      assert.equal(t.priceOf('openai', 'deepseek-v5-preview'), undefined);
    });

    it('can add a long-context tier', () => {
      const t = table({
        'acme/big': { input: 1, output: 2, longContext: { thresholdInputTokens: 1_000, input: 10, output: 20 } },
      });
      // 1,001 x $10 = $0.01001
      assert.equal(estimateCost(priceOf(t, 'acme', 'big'), 1_001, 0), 0.01001);
    });

    it('rejects negative, non-finite or non-numeric prices with a message naming the key and the value', () => {
      assert.throws(
        () => table({ 'openai/gpt-4o': { input: -1 } }),
        (error: unknown) =>
          error instanceof Error &&
          error.message === 'Invalid price override "openai/gpt-4o": input must be a finite number >= 0 (USD per million tokens), got -1',
      );
      assert.throws(() => table({ 'gpt-4o': { output: Number.POSITIVE_INFINITY } }), /"gpt-4o": output .* got Infinity/);
      assert.throws(() => table({ 'gpt-4o': { cacheRead: Number.NaN } }), /"gpt-4o": cacheRead .* got NaN/);
      const fromJson = JSON.parse('{"gpt-4o": {"input": "3"}}') as Record<string, Partial<ModelPrice>>;
      assert.throws(() => table(fromJson), /"gpt-4o": input .* got "3"/);
    });

    it('rejects other malformed overrides with a clear message', () => {
      assert.throws(() => table({ 'acme/new-model': { input: 1 } }), /"acme\/new-model": .*missing: output/);
      const typo = JSON.parse('{"gpt-4o": {"inptu": 3}}') as Record<string, Partial<ModelPrice>>;
      assert.throws(() => table(typo), /"gpt-4o": unknown field "inptu"/);
      assert.throws(
        () => table({ 'acme/x': { input: 1, output: 1, longContext: { thresholdInputTokens: 0, input: 1, output: 1 } } }),
        /"acme\/x": longContext.thresholdInputTokens must be a whole number > 0, got 0/,
      );
      assert.throws(() => table({ 'local/qwen2.5-coder:7b': { input: 1, output: 1 } }), /provider "local" is free/);
      const notObject = JSON.parse('{"gpt-4o": 3}') as Record<string, Partial<ModelPrice>>;
      assert.throws(() => table(notObject), /"gpt-4o": expected an object .* got 3/);
    });
  });

  describe('built-in data', () => {
    const days = ['2026-07-24', '2026-11-23', '2026-11-30', '2026-12-01', '2026-12-31', '2027-01-01', '2028-01-01'];

    it('is valid and has one price per model on any day', () => {
      for (const day of days) {
        assert.doesNotThrow(() => createPriceTable(undefined, { now: new Date(`${day}T00:00:00Z`) }), day);
      }
    });

    it('prices every hosted tier default, now and after the announced changes', () => {
      for (const day of ['2026-11-23', '2027-01-01']) {
        const t = table(undefined, new Date(`${day}T00:00:00Z`));
        for (const [provider, tiers] of Object.entries(BUILTIN_TIER_MODELS)) {
          for (const model of Object.values(tiers) as string[]) {
            assert.ok(t.priceOf(provider, model), `${day}: no price for default ${provider}/${model}`);
          }
        }
      }
    });

    it('keeps cheaper-than-input cache reads and model keys unique across providers', () => {
      const owner = new Map<string, string>();
      for (const entry of BUILTIN_PRICES) {
        assert.ok((entry.price.cacheRead ?? 0) <= entry.price.input, `${entry.model}: cacheRead above input`);
        const previous = owner.get(entry.model);
        assert.ok(previous === undefined || previous === entry.provider, `${entry.model} listed for two providers`);
        owner.set(entry.model, entry.provider);
      }
    });
  });
});

describe('pricing: models without a known price', () => {
  const NOW = new Date('2026-11-23T12:00:00Z');
  const day = NOW.toISOString().slice(0, 10);
  /** The highest rate of each kind among a provider's built-in prices in force (cache rates default to input). */
  function highest(provider: string): { input: number; output: number; cacheRead: number; cacheWrite: number } {
    const prices = BUILTIN_PRICES.filter(
      (entry) =>
        entry.provider === provider &&
        (entry.validFrom === undefined || day >= entry.validFrom) &&
        (entry.validUntil === undefined || day < entry.validUntil),
    ).map((entry) => entry.price);
    assert.ok(prices.length > 1, `${provider} has several built-in prices`);
    return {
      input: Math.max(...prices.map((p) => p.input)),
      output: Math.max(...prices.map((p) => p.output)),
      cacheRead: Math.max(...prices.map((p) => p.cacheRead ?? p.input)),
      cacheWrite: Math.max(...prices.map((p) => p.cacheWrite ?? p.input)),
    };
  }

  it('charges an unknown model of a provider at the highest rates of its known models, and says it is unknown', () => {
    const table = createPriceTable({}, { now: NOW });
    assert.equal(table.priceOf('anthropic', 'claude-opus-9'), undefined);
    const charged = table.charge('anthropic', 'claude-opus-9');
    assert.equal(charged.unknown, true);
    assert.deepEqual(charged.price, highest('anthropic'));
    // Never cheaper than any known model of the provider, for the same request.
    for (const entry of BUILTIN_PRICES.filter((e) => e.provider === 'anthropic')) {
      assert.ok(estimateCost(charged.price, 1000, 1000) >= estimateCost(entry.price, 1000, 1000), entry.model);
    }
    assert.deepEqual(table.charge('openai', 'gpt-99').price, highest('openai'));
  });

  it('charges a known model at its price, and a free provider at 0, neither marked unknown', () => {
    const table = createPriceTable({}, { now: NOW, freeProviders: ['lmstudio'] });
    assert.deepEqual(table.charge('anthropic', 'claude-haiku-5-5'), {
      price: table.priceOf('anthropic', 'claude-haiku-5-5'),
      unknown: false,
    });
    assert.deepEqual(table.charge('local', 'any-model'), { price: table.priceOf('local', 'x'), unknown: false });
    assert.equal(estimateCost(table.charge('lmstudio', 'qwen').price, 1000, 1000), 0);
    assert.equal(table.charge('lmstudio', 'qwen').unknown, false);
  });

  it('uses the configured unknownModelPrice of the provider, and the highest of all known models for a custom provider', () => {
    const table = createPriceTable(
      { 'corp/corp-small': { input: 0.5, output: 1 } },
      { now: NOW, unknownModelPrices: { anthropic: { input: 30, output: 150 } } },
    );
    assert.deepEqual(table.charge('anthropic', 'claude-opus-9'), { price: { input: 30, output: 150 }, unknown: true });
    assert.deepEqual(table.charge('corp', 'corp-large').price, { input: 0.5, output: 1, cacheRead: 0.5, cacheWrite: 0.5 });
    const all = ['anthropic', 'openai', 'gemini', 'deepseek'].map(highest);
    assert.deepEqual(table.charge('gateway', 'whatever').price, {
      input: Math.max(...all.map((p) => p.input)),
      output: Math.max(...all.map((p) => p.output)),
      cacheRead: Math.max(...all.map((p) => p.cacheRead)),
      cacheWrite: Math.max(...all.map((p) => p.cacheWrite)),
    });
    assert.throws(
      () => createPriceTable({}, { unknownModelPrices: { corp: { input: -1, output: 1 } } }),
      /Invalid unknownModelPrice of provider "corp": input must be a finite number >= 0/,
    );
  });
});
