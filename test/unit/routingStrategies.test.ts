import assert from 'node:assert/strict';

import type { StrategyCandidate } from '../../src/core/routing/strategies';
import { orderCandidates } from '../../src/core/routing/strategies';

function candidate(provider: string, chainIndex: number, extra: Partial<StrategyCandidate> = {}): StrategyCandidate {
  return { provider, model: `${provider}-m`, chainIndex, estimateUsd: undefined, capability: 0.5, weight: 1, p50Ms: undefined, ...extra };
}

const ids = (list: readonly StrategyCandidate[]): string[] => list.map((c) => c.provider);
const context = { task: 'review' as const, random: Math.random };

describe('routing strategies', () => {
  const chain = [
    candidate('anthropic', 0, { estimateUsd: 0.02, capability: 0.95, p50Ms: 900 }),
    candidate('openai', 1, { estimateUsd: 0.01, capability: 0.9, p50Ms: 400 }),
    candidate('gemini', 2, { estimateUsd: 0.005, capability: 0.8 }),
    candidate('local', 3, { estimateUsd: 0, capability: 0.35, p50Ms: 150 }),
  ];

  it('fallback keeps the chain order', () => {
    assert.deepEqual(ids(orderCandidates([...chain].reverse(), 'fallback', context)), ['anthropic', 'openai', 'gemini', 'local']);
  });

  it('cost puts the cheapest estimate first and unknown prices last', () => {
    const withUnknown = [...chain, candidate('custom', 4)];
    assert.deepEqual(ids(orderCandidates(withUnknown, 'cost', context)), ['local', 'gemini', 'openai', 'anthropic', 'custom']);
  });

  it('capability puts the best fit for the task first, ties in chain order', () => {
    const tie = [candidate('b', 1, { capability: 0.9 }), candidate('a', 0, { capability: 0.9 }), candidate('c', 2, { capability: 0.2 })];
    assert.deepEqual(ids(orderCandidates(tie, 'capability', context)), ['a', 'b', 'c']);
    assert.deepEqual(ids(orderCandidates(chain, 'capability', context)), ['anthropic', 'openai', 'gemini', 'local']);
  });

  it('latency puts the fastest observed p50 first and the unmeasured after', () => {
    assert.deepEqual(ids(orderCandidates(chain, 'latency', context)), ['local', 'openai', 'anthropic', 'gemini']);
  });

  it('load-balance spreads first picks in proportion to the weights', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const weighted = [candidate('heavy', 0, { weight: 3 }), candidate('light', 1, { weight: 1 })];
    let heavyFirst = 0;
    const draws = 4000;
    for (let i = 0; i < draws; i++) {
      if (orderCandidates(weighted, 'load-balance', { task: 'review', random })[0]!.provider === 'heavy') heavyFirst++;
    }
    const share = heavyFirst / draws;
    assert.ok(share > 0.72 && share < 0.78, `weight 3 of 4 should lead about 75% of the time, got ${share}`);
  });
});
