import assert from 'node:assert/strict';

import type { Database } from 'sql.js';
import initSqlJs from 'sql.js';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { Config } from '../../src/core/config/types';
import type { Recommendation, RecommendationThresholds } from '../../src/core/ledger/recommendations';
import { applyRecommendationAction, recommendations } from '../../src/core/ledger/recommendations';
import type { LedgerRecord } from '../../src/core/ledger/record';
import { migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersion } from '../../src/core/ledger/schema';
import { deleteRequestsBefore, insertRecords } from '../../src/core/ledger/write';
import type { ModelPrice, PriceTable } from '../../src/core/pricing/cost';
import { PeriodCalendar } from '../../src/core/routing/budget';
import { dbWith, generateLedgerRecords, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';
import { seededRandom } from '../support/seededRandom';


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
  charge: (provider, model) => {
    const price = PRICES[`${provider}/${model}`];
    return price ? { price, unknown: false } : { price: { input: 1000, output: 1000 }, unknown: true };
  },
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

describe('ledger: recommendations from the rollups equal those from the rows', function () {
  this.timeout(30_000);
  const DAY = 86_400_000;
  const FROM = Date.parse('2026-01-05T00:00:00Z');
  const TO = FROM + 40 * DAY;
  /**
   * A generated ledger whose TTFTs are not whole milliseconds (as measured ones are not): the medians must come out
   * of ttft_hourly as the very doubles the rows hold, however they were written to it (by inserts or a migration).
   */
  function records(): LedgerRecord[] {
    const next = seededRandom(23);
    const odd = [1e-7, 0.1 + 0.2, 123_456_789.123_456_79, 2 ** 31 + 0.5, 5e-324];
    return [...generateLedgerRecords({ count: 8000, from: FROM, to: TO, seed: 19 })].map((r, i) => ({
      ...r,
      attempts: r.attempts.map((a) =>
        a.ttftMs === null ? a : { ...a, ttftMs: i % 997 === 0 ? odd[i % odd.length]! : a.ttftMs + next() * 0.999 },
      ),
    }));
  }
  /** Every recommendation the data allows: thresholds that rule nothing out. */
  const ANY: RecommendationThresholds = {
    minAgentRequests: 1, lowComplexityShare: 0, minOverservedRequests: 1, minFirstAttempts: 1, headFailureRate: 0,
    minTtftSamples: 1, slowFactor: 0, minJudged: 1, headRejectionRate: 0, acceptedRate: 0,
  };
  const configs: Config[] = [
    DEFAULT_CONFIG,
    { ...DEFAULT_CONFIG, routing: { ...DEFAULT_CONFIG.routing, tiers: { lightMax: 5, mediumMax: 7 } } },
  ];
  /** Ranges with ragged ends, days cut at :30 and :45 offsets, less than an hour, and more than the data. */
  function ranges(): { from: number; to: number }[] {
    const kolkata = new PeriodCalendar('Asia/Kolkata');
    const eucla = new PeriodCalendar('Australia/Eucla');
    return [
      { from: FROM + 3 * DAY + 26_001_123, to: FROM + 33 * DAY + 71_528_007 },
      { from: kolkata.interval('day', FROM + 5 * DAY).start, to: kolkata.interval('day', FROM + 34 * DAY).end },
      { from: eucla.interval('day', FROM + 9 * DAY).start, to: eucla.interval('day', FROM + 12 * DAY).end },
      { from: FROM + 20 * DAY + 600_000, to: FROM + 20 * DAY + 3_000_000 },
      { from: FROM - DAY, to: TO + DAY },
    ];
  }

  function assertSame(db: Database, label: string): void {
    for (const config of configs) {
      for (const range of ranges()) {
        for (const thresholds of [undefined, ANY]) {
          const fromRows = recommendations(db, config, range, { thresholds, source: 'rows' });
          const fromRollups = recommendations(db, config, range, { thresholds });
          assert.deepEqual(fromRollups, fromRows, `${label}: lightMax ${config.routing.tiers.lightMax}, ${JSON.stringify(range)}`);
          if (thresholds === ANY) {
            const kinds = new Set(fromRows.map((r) => r.kind));
            if (range.to - range.from > DAY) assert.equal(kinds.size, 3, `${label}: every kind is compared`);
          }
        }
      }
    }
  }

  it('gives the same recommendations with the same figures, at ragged edges and :30/:45 day cuts', async () => {
    const db = await dbWith(records());
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assertSame(db, 'inserted');
  });

  it('stays equal after retention cuts an hour and a fallback in half, and after a replay', async () => {
    const db = await dbWith(records());
    const cutoff = FROM + 7 * DAY + 1_234_567;
    // A request before the cutoff whose fallback attempt started two hours after it.
    insertRecords(db, [
      ledgerRecord({
        id: 'straddles', startedAt: cutoff - 60_000, agent: 'tester', tier: 'light', provider: 'openai', model: 'gpt-6-luna',
        attempts: [
          ledgerAttempt({ seq: 0, startedAt: cutoff - 60_000, provider: 'deepseek', model: 'deepseek-flash', status: 'error', errorKind: 'overloaded', latencyMs: 77, ttftMs: null }),
          ledgerAttempt({ seq: 1, startedAt: cutoff + 2 * 3_600_000, provider: 'openai', model: 'gpt-6-luna', ttftMs: 333.25 }),
        ],
      }),
    ]);
    assert.ok(deleteRequestsBefore(db, cutoff) > 0);
    assert.equal(insertRecords(db, records().filter((r) => r.startedAt >= cutoff)), 0, 'a replay stores nothing');
    assertSame(db, 'after retention');
  });

  it('builds the rollups of an older ledger so that they give the same', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 3));
    insertRecords(db, records());
    // Schema 3: no rollups to read, every source reads the rows.
    const before = recommendations(db, DEFAULT_CONFIG, { from: FROM, to: TO }, { thresholds: ANY });
    assert.deepEqual(before, recommendations(db, DEFAULT_CONFIG, { from: FROM, to: TO }, { thresholds: ANY, source: 'rows' }));
    migrate(db);
    assert.deepEqual(recommendations(db, DEFAULT_CONFIG, { from: FROM, to: TO }, { thresholds: ANY }), before);
    assertSame(db, 'migrated');
  });

  it('reads the rollups for whole hours (rows deleted behind their back still count there)', async () => {
    const db = await dbWith(records());
    const range = { from: FROM + 2 * DAY, to: FROM + 4 * DAY };
    const before = recommendations(db, DEFAULT_CONFIG, range, { thresholds: ANY });
    db.exec(`DELETE FROM attempts WHERE started_at >= ${range.from} AND started_at < ${range.to};
      DELETE FROM requests WHERE started_at >= ${range.from} AND started_at < ${range.to};`);
    assert.deepEqual(recommendations(db, DEFAULT_CONFIG, range, { thresholds: ANY }), before);
    assert.deepEqual(recommendations(db, DEFAULT_CONFIG, range, { thresholds: ANY, source: 'rows' }), []);
  });
});
