import assert from 'node:assert/strict';
import type { LedgerRecord } from '../../src/core/ledger/record';
import { applyRecommendationAction, recommendations } from '../../src/core/ledger/recommendations';
import type { Recommendation } from '../../src/core/ledger/recommendations';
import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { Config } from '../../src/core/config/types';
import type { ModelPrice, PriceTable } from '../../src/core/pricing/cost';
import { dbWith, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';


const T0 = Date.parse('2026-03-09T12:00:00Z');
const RANGE = { from: T0 - 86_400_000, to: T0 + 86_400_000 };

/** Round prices so the savings can be computed by hand. */
const PRICES: Readonly<Record<string, ModelPrice>> = {
  'anthropic/claude-haiku-5-5': { input: 1, output: 5 },
  'openai/gpt-6-luna': { input: 0.25, output: 2 },
};
const priceTable: PriceTable = {
  priceOf: (provider, model) => PRICES[`${provider}/${model}`],
  lookup: () => undefined,
  isFree: (provider) => provider === 'local',
};

const config: Config = {
  ...DEFAULT_CONFIG,
  agents: { ...DEFAULT_CONFIG.agents, implementer: { ...DEFAULT_CONFIG.agents.implementer, chain: ['anthropic', 'openai'] } },
};

function ofKind<K extends Recommendation['kind']>(list: readonly Recommendation[], kind: K): Extract<Recommendation, { kind: K }>[] {
  return list.filter((r): r is Extract<Recommendation, { kind: K }> => r.kind === kind);
}

describe('ledger: recommendations', () => {
  function overserved(count: number): LedgerRecord[] {
    return Array.from({ length: count }, (_, i) =>
      ledgerRecord({
        id: `impl${i}`, startedAt: T0 + i, agent: 'implementer', task: 'implement', complexity: 2, tier: 'heavy',
        provider: 'anthropic', model: 'claude-opus-5-5', inputTokens: 1000, outputTokens: 200, costNano: 10_000_000,
      }),
    );
  }

  it('sends an agent whose light work goes to a premium model to the cheapest light model, with the saving', async () => {
    const db = await dbWith(overserved(20));
    const [rec] = ofKind(recommendations(db, config, RANGE, { prices: priceTable }), 'cheaper-tier');
    assert.ok(rec);
    // gpt-6-luna: 1000 × $0.25 + 200 × $2 per million = 650 micro-dollars = 650,000 nano per request
    // (haiku would be 1000 × 1 + 200 × 5 = 2,000 micro). Saving: 20 × (10,000,000 − 650,000) nano = $0.187.
    assert.deepEqual(rec.target, { provider: 'openai', model: 'gpt-6-luna' });
    assert.equal(rec.savingsUsd, 0.187);
    assert.equal(rec.actualUsd, 0.2);
    assert.equal(rec.estimatedUsd, 0.013);
    assert.deepEqual(rec.action, { type: 'reassign', agent: 'implementer', chain: ['openai', 'anthropic'] });
    assert.deepEqual(applyRecommendationAction(config.agents, rec.action), { implementer: ['openai', 'anthropic'] });
  });

  it('stays silent under the minimum number of requests or when light work is not the majority', async () => {
    assert.deepEqual(ofKind(recommendations(await dbWith(overserved(19)), config, RANGE, { prices: priceTable }), 'cheaper-tier'), []);
    const heavyWork = Array.from({ length: 20 }, (_, i) =>
      ledgerRecord({ id: `h${i}`, startedAt: T0 + 100 + i, agent: 'implementer', complexity: 9, provider: 'anthropic', model: 'claude-opus-5-5' }),
    );
    const db = await dbWith([...overserved(20), ...heavyWork]); // 50% light < 60%
    assert.deepEqual(ofKind(recommendations(db, config, RANGE, { prices: priceTable }), 'cheaper-tier'), []);
  });

  function headFailures(count: number, failures: number): LedgerRecord[] {
    return Array.from({ length: count }, (_, i) => {
      const failed = i < failures;
      return ledgerRecord({
        id: `t${i}`, startedAt: T0 + i, agent: 'tester', task: 'tests', provider: failed ? 'anthropic' : 'openai',
        model: failed ? 'claude-sonnet-5-5' : 'gpt-6.2-sol',
        attempts: failed
          ? [
              ledgerAttempt({ seq: 0, startedAt: T0 + i, provider: 'openai', model: 'gpt-6.2-sol', status: 'error', errorKind: 'overloaded', latencyMs: 300, ttftMs: null, costNano: 0 }),
              ledgerAttempt({ seq: 1, startedAt: T0 + i, provider: 'anthropic' }),
            ]
          : [ledgerAttempt({ seq: 0, startedAt: T0 + i, provider: 'openai', model: 'gpt-6.2-sol' })],
      });
    });
  }

  it('flags a provider failing at the head of a chain with the time lost, and suggests a reorder', async () => {
    const db = await dbWith(headFailures(20, 5)); // 25% >= 20%, 20 first attempts
    const [rec] = ofKind(recommendations(db, config, RANGE, { prices: priceTable }), 'failing-head');
    assert.ok(rec);
    assert.deepEqual([rec.agent, rec.provider, rec.firstAttempts, rec.failures, rec.failureRate], ['tester', 'openai', 20, 5, 0.25]);
    assert.equal(rec.savedMs, 5 * 300);
    assert.deepEqual(rec.action, { type: 'reassign', agent: 'tester', chain: ['anthropic', 'openai', 'deepseek', 'gemini', 'local'] });
  });

  it('stays silent under the minimum first attempts or the failure rate', async () => {
    assert.deepEqual(ofKind(recommendations(await dbWith(headFailures(19, 5)), config, RANGE), 'failing-head'), []);
    assert.deepEqual(ofKind(recommendations(await dbWith(headFailures(20, 3)), config, RANGE), 'failing-head'), []);
  });

  function ttfts(slowSamples: number): LedgerRecord[] {
    const records: LedgerRecord[] = [];
    const add = (provider: string, model: string, ttftMs: number, n: number): void => {
      for (let i = 0; i < n; i += 1) {
        records.push(ledgerRecord({ id: `${provider}${i}`, startedAt: T0 + records.length, tier: 'medium', provider, model, ttftMs }));
      }
    };
    add('gemini', 'gemini-3.8-flash', 100, 20);
    add('openai', 'gpt-6.2-sol', 120, 20);
    add('deepseek', 'deepseek-flash', 500, slowSamples);
    return records;
  }

  it('flags a model much slower than its peers in a tier with the time saved', async () => {
    const db = await dbWith(ttfts(20));
    const found = ofKind(recommendations(db, config, RANGE), 'slow-model');
    assert.equal(found.length, 1);
    const rec = found[0]!;
    // Peers' p50: 100 and 120, median 110; 500 > 2 × 110. Saved: (500 − 110) × 20 = 7,800 ms.
    assert.deepEqual([rec.tier, rec.provider, rec.ttftP50Ms, rec.peerMedianMs, rec.samples], ['medium', 'deepseek', 500, 110, 20]);
    assert.equal(rec.savedMs, 7800);
    assert.deepEqual(rec.action, { type: 'demote', provider: 'deepseek', below: 'gemini' });
    const changed = applyRecommendationAction({ a: { chain: ['deepseek', 'openai', 'gemini', 'local'] }, b: { chain: ['gemini', 'deepseek'] } }, rec.action);
    assert.deepEqual(changed, { a: ['openai', 'gemini', 'deepseek', 'local'] });
  });

  it('stays silent with too few samples of the slow model', async () => {
    assert.deepEqual(ofKind(recommendations(await dbWith(ttfts(19)), config, RANGE), 'slow-model'), []);
  });
});
