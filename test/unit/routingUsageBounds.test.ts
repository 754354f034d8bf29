import assert from 'node:assert/strict';

import type { Usage } from '../../src/core/providers/types';
import { estimateTokens, TokenCounter } from '../../src/core/routing/tokenEstimate';
import { boundUsage, HIDDEN_OUTPUT_TOKENS, MAX_PROMPT_TOKENS, PROMPT_OVERHEAD_TOKENS } from '../../src/core/routing/usageBounds';

const evidence = { promptChars: 1_000, promptTokens: 250, outputChars: 400, outputTokens: 100 };
const usage = (u: Partial<Usage>): Usage => ({ inputTokens: 200, outputTokens: 90, cacheReadTokens: 0, cacheWriteTokens: 0, ...u });

describe('usage bounds: what a provider reports is believed only when it is plausible', () => {
  it('keeps a plausible report as it is (the same object, no reason)', () => {
    const reported = usage({ cacheReadTokens: 50, cacheWriteTokens: 10 });
    const bounded = boundUsage(reported, evidence);
    assert.equal(bounded.usage, reported);
    assert.equal(bounded.implausible, undefined);
  });

  it('replaces only the implausible side: a bad output keeps the reported prompt', () => {
    const bounded = boundUsage(usage({ outputTokens: -1 }), evidence);
    assert.deepEqual(bounded.usage, usage({ outputTokens: 100 }));
    assert.match(bounded.implausible ?? '', /outputTokens is negative \(-1\)/);
  });

  it('a bad prompt field replaces the whole prompt side (input from the estimate, no cache) and keeps the output', () => {
    const bounded = boundUsage(usage({ cacheWriteTokens: Number.NaN }), evidence);
    assert.deepEqual(bounded.usage, { inputTokens: 250, outputTokens: 90, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.match(bounded.implausible ?? '', /cacheWriteTokens is NaN/);
  });

  it('the prompt ceiling is 3 tokens per character sent plus the overhead, and never above 2,000,000', () => {
    const ceiling = 1_000 * 3 + PROMPT_OVERHEAD_TOKENS;
    assert.equal(boundUsage(usage({ inputTokens: ceiling }), evidence).implausible, undefined);
    assert.match(boundUsage(usage({ inputTokens: ceiling + 1 }), evidence).implausible ?? '', /prompt tokens for 1,000 characters sent/);
    const huge = { ...evidence, promptChars: 10_000_000 };
    assert.equal(boundUsage(usage({ inputTokens: MAX_PROMPT_TOKENS }), huge).implausible, undefined);
    assert.ok(boundUsage(usage({ inputTokens: MAX_PROMPT_TOKENS + 1 }), huge).implausible);
  });

  it('output may exceed the text by the hidden-reasoning allowance, and never the requested cap', () => {
    const ceiling = 400 * 3 + HIDDEN_OUTPUT_TOKENS;
    assert.equal(boundUsage(usage({ outputTokens: ceiling }), evidence).implausible, undefined);
    assert.ok(boundUsage(usage({ outputTokens: ceiling + 1 }), evidence).implausible);
    const capped = { ...evidence, maxOutputTokens: 256 };
    assert.equal(boundUsage(usage({ outputTokens: 256 }), capped).implausible, undefined);
    assert.match(boundUsage(usage({ outputTokens: 257 }), capped).implausible ?? '', /257 output tokens for 400 characters received/);
  });

  it('names a huge count briefly and a non-number by its type', () => {
    assert.match(boundUsage(usage({ outputTokens: 9e20 }), evidence).implausible ?? '', /9\.00e\+20 output tokens/);
    assert.match(boundUsage(usage({ inputTokens: 'lots' as unknown as number }), evidence).implausible ?? '', /inputTokens is string, not a number/);
    assert.match(boundUsage(usage({ outputTokens: null as unknown as number }), evidence).implausible ?? '', /outputTokens is null/);
  });
});

describe('token counter: a streamed answer estimated piece by piece, without keeping it', () => {
  it('gives the same estimate as the whole text, whatever the cuts (words, long identifiers, newlines, non-ASCII)', () => {
    const text = 'function computeTheAnswerQuickly(x) {\n  return x * 42; // réponse 答え\n}\n';
    for (const size of [1, 2, 3, 7, 16, text.length]) {
      const counter = new TokenCounter();
      for (let i = 0; i < text.length; i += size) counter.add(text.slice(i, i + size));
      assert.equal(counter.tokens, estimateTokens(text), `pieces of ${size}`);
    }
  });

  it('is 0 for nothing and at least 1 for any text', () => {
    assert.equal(new TokenCounter().tokens, 0);
    const counter = new TokenCounter();
    counter.add('a');
    assert.equal(counter.tokens, 1);
  });
});
