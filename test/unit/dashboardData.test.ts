import assert from 'node:assert/strict';

import initSqlJs from 'sql.js';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { BudgetConfig, Config } from '../../src/core/config/types';
import {
  DASHBOARD_RANGES,
  dashboardDecisions,
  dashboardExport,
  dashboardRecommendations,
  dashboardSnapshot,
  dashboardVerified,
  modelSpeeds,
} from '../../src/core/ledger/dashboard';
import { costsReport } from '../../src/core/ledger/export';
import { breakdown, latestDecisions, modelStats, spendByDay } from '../../src/core/ledger/queries';
import type { LedgerRecord } from '../../src/core/ledger/record';
import { histogramPercentile, latencyBinMs, latencyBinSql } from '../../src/core/ledger/rollups';
import { migrate, MIGRATIONS } from '../../src/core/ledger/schema';
import { budgetUsage } from '../../src/core/ledger/spend';
import { deleteRequestsBefore, insertRecords } from '../../src/core/ledger/write';
import { dbWith, generateLedgerRecords, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';
import { seededRandom } from '../support/seededRandom';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-20T15:07:13Z');
/** 120 days up to a few hours after now (records stamped in the future by a skewed clock count in today). */
const RECORDS: readonly LedgerRecord[] = [
  ...generateLedgerRecords({ count: 6000, from: NOW - 120 * DAY, to: NOW + 3 * 3_600_000, seed: 11 }),
  // Unanswered but billed: shows as '(none)'.
  ledgerRecord({ id: 'none-1', startedAt: NOW - 3_600_000, provider: null, model: null, outcome: 'failed', costNano: 5_000 }),
];

function budget(timeZone: string): BudgetConfig {
  return { dailyUsd: 5, monthlyUsd: 100, onExceed: 'warn', timeZone };
}

/** Asserts the snapshot equals what the ledger's own queries say, for one zone and range. */
function assertMatchesQueries(db: Parameters<typeof dashboardSnapshot>[0], timeZone: string, rangeDays: 7 | 30 | 90, now = NOW): void {
  const config = budget(timeZone);
  const snapshot = dashboardSnapshot(db, config, { now, rangeDays });
  const label = `${timeZone}, ${rangeDays} days`;
  const usage = budgetUsage(db, config, now);
  assert.deepEqual(
    [snapshot.budgets.day, snapshot.budgets.month].map((b) => [b.periodKey, b.usedUsd, b.limitUsd]),
    usage.map((u) => [u.periodKey, u.usedUsd, u.limitUsd ?? null]),
    `budgets, ${label}`,
  );
  const days = spendByDay(db, rangeDays, timeZone, now);
  assert.deepEqual(snapshot.spend.days, days.map((d) => d.day), `days, ${label}`);
  assert.equal(snapshot.from, days[0]!.start);
  assert.equal(snapshot.to, days[days.length - 1]!.end);
  days.forEach((day, d) => {
    const stacked: Record<string, number> = {};
    snapshot.spend.providers.forEach((provider, i) => {
      if (provider in day.byProvider || snapshot.spend.usdByProvider[i]![d] !== 0) stacked[provider] = snapshot.spend.usdByProvider[i]![d]!;
    });
    assert.deepEqual(stacked, day.byProvider, `${day.day}, ${label}`);
    assert.equal(snapshot.spend.totalUsd[d], day.totalUsd, `${day.day} total, ${label}`);
  });
  const range = { from: snapshot.from, to: snapshot.to };
  assert.deepEqual(snapshot.byProvider, breakdown(db, 'provider', range, timeZone), `by provider, ${label}`);
  assert.deepEqual(snapshot.byAgent, breakdown(db, 'agent', range, timeZone), `by agent, ${label}`);
  assert.deepEqual(snapshot.byModel, breakdown(db, 'model', range, timeZone), `by model, ${label}`);
  const speeds = modelSpeeds(db, range.from, range.to);
  const expectedModels = modelStats(db, range).map((m) => ({
    provider: m.provider,
    model: m.model,
    requests: m.attempts,
    ok: m.ok,
    successRate: m.successRate,
    latencyP50Ms: Number.isNaN(m.latencyP50Ms) ? null : latencyBinMs(m.latencyP50Ms),
    latencyP95Ms: Number.isNaN(m.latencyP95Ms) ? null : latencyBinMs(m.latencyP95Ms),
    inputTokens: m.inputTokens,
    outputTokens: m.outputTokens,
    cacheRead: m.cacheRead,
    cacheWrite: m.cacheWrite,
    costUsd: m.costUsd,
    // Generation speed is checked against hand-computed figures in ledgerFeedback.test.ts.
    tokensPerSecond: speeds.get(`${m.provider}/${m.model}`) ?? null,
  }));
  assert.deepEqual(snapshot.models, expectedModels, `models, ${label}`);
  const total = breakdown(db, 'provider', range, timeZone).reduce((sum, row) => sum + row.requests, 0);
  assert.equal(snapshot.totals.requests, total, `total requests, ${label}`);
  assert.deepEqual(
    snapshot.decisions.decisions.map((d) => [d.id, d.startedAt, d.costUsd, d.attempts.length]),
    latestDecisions(db, 25).map((r) => [r.id, r.startedAt, r.costNano / 1e9, r.attempts.length]),
  );
}

describe('dashboard: the snapshot equals the ledger queries', () => {
  it('in whole-hour, :30, :45 and daylight-saving zones, for every range', async () => {
    const db = await dbWith(RECORDS);
    for (const timeZone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu']) {
      for (const rangeDays of DASHBOARD_RANGES) assertMatchesQueries(db, timeZone, rangeDays);
    }
    // Across the New York daylight-saving change (March 8, 2026) and a month boundary.
    assertMatchesQueries(db, 'America/New_York', 7, Date.parse('2026-03-01T04:59:00Z'));
  });

  it('stays equal after retention cuts an hour, a day and a fallback in half, and counts a replay once', async () => {
    const db = await dbWith(RECORDS);
    // A request before the cutoff whose fallback attempt started after it.
    const cutoff = Date.parse('2026-02-03T10:07:00Z');
    insertRecords(db, [
      ledgerRecord({
        id: 'straddles', startedAt: cutoff - 60_000, provider: 'openai', model: 'gpt-6.2-sol',
        attempts: [
          { ...ledgerRecord({ id: 'x' }).attempts[0]!, seq: 0, startedAt: cutoff - 60_000, status: 'error', errorKind: 'overloaded' },
          { ...ledgerRecord({ id: 'x' }).attempts[0]!, seq: 1, startedAt: cutoff + 2 * 3_600_000, provider: 'openai', model: 'gpt-6.2-sol' },
        ],
      }),
    ]);
    assert.ok(deleteRequestsBefore(db, cutoff) > 0);
    insertRecords(db, RECORDS);
    for (const rangeDays of DASHBOARD_RANGES) assertMatchesQueries(db, 'Asia/Kathmandu', rangeDays);
    const wide = { from: 0, to: NOW + DAY };
    const latency = db.exec('SELECT TOTAL(count) FROM latency_daily')[0]!.values[0]![0];
    assert.equal(latency, modelStats(db, wide).reduce((sum, m) => sum + m.ok, 0), 'histogram holds every successful attempt once');
  });

  it('builds the v3 tables from an older ledger exactly as inserts would', async () => {
    const SQL = await initSqlJs();
    const old = new SQL.Database();
    const v2 = MIGRATIONS.filter((m) => m.version <= 2);
    migrate(old, v2);
    insertRecords(old, RECORDS);
    migrate(old);
    const fresh = await dbWith(RECORDS);
    for (const table of ['request_hourly', 'attempt_hourly', 'latency_daily']) {
      assert.deepEqual(old.exec(`SELECT * FROM ${table}`), fresh.exec(`SELECT * FROM ${table}`), table);
    }
  });

  it('says when the ledger is empty and gives zeros, every day present', async () => {
    const db = await dbWith([]);
    const snapshot = dashboardSnapshot(db, budget('UTC'), { now: NOW, rangeDays: 7 });
    assert.equal(snapshot.empty, true);
    assert.equal(snapshot.spend.days.length, 7);
    assert.deepEqual(snapshot.spend.totalUsd, [0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([snapshot.byAgent, snapshot.models, snapshot.decisions.decisions], [[], [], []]);
    assert.equal(snapshot.totals.successRate, 0);
    assert.deepEqual(snapshot.budgets.day, { period: 'day', periodKey: '2026-03-20', usedUsd: 0, limitUsd: 5, percent: 0, status: 'ok' });
  });

  it('marks a budget at 90% as a warning and at 100% as over, and has no percent without a limit', async () => {
    const db = await dbWith([ledgerRecord({ id: 'a', startedAt: NOW - 60_000, costNano: 4.5e9 })]);
    const snapshot = dashboardSnapshot(db, { dailyUsd: 5, monthlyUsd: 4, onExceed: 'warn', timeZone: 'UTC' }, { now: NOW, rangeDays: 7 });
    assert.deepEqual([snapshot.budgets.day.status, snapshot.budgets.day.percent], ['warning', 90]);
    assert.deepEqual([snapshot.budgets.month.status, snapshot.budgets.month.percent], ['over', 112.5]);
    const unlimited = dashboardSnapshot(db, { onExceed: 'warn', timeZone: 'UTC', dailyUsd: 0 }, { now: NOW, rangeDays: 7 });
    assert.deepEqual([unlimited.budgets.day.status, unlimited.budgets.day.percent], ['over', null]);
    assert.deepEqual([unlimited.budgets.month.status, unlimited.budgets.month.limitUsd], ['none', null]);
  });

  it('pages decisions like latestDecisions', async () => {
    const db = await dbWith(RECORDS);
    const first = dashboardDecisions(db, 10);
    assert.equal(first.more, true);
    const last = first.decisions[9]!;
    const next = dashboardDecisions(db, 10, { startedAt: last.startedAt, id: last.id });
    assert.deepEqual(next.decisions.map((d) => d.id), latestDecisions(db, 10, { startedAt: last.startedAt, id: last.id }).map((r) => r.id));
    assert.equal(dashboardDecisions(await dbWith(RECORDS.slice(0, 3)), 10).more, false);
  });

  it('marks an attempt whose model had no known price, so the table can say the cost is an upper estimate', async () => {
    const db = await dbWith([
      ledgerRecord({ id: 'unpriced', startedAt: NOW - 60_000, attempts: [ledgerAttempt({ seq: 0, model: 'claude-opus-9', priceUnknown: true })] }),
      ledgerRecord({ id: 'priced', startedAt: NOW - 120_000 }),
    ]);
    const [unpriced, priced] = dashboardDecisions(db, 10).decisions;
    assert.equal(unpriced!.attempts[0]!.priceUnknown, true);
    assert.ok(priced!.attempts.every((a) => a.priceUnknown === undefined));
  });
});

describe('dashboard: latency bins', () => {
  it('rounds to two significant digits, the same in JS and SQL, monotonically', async () => {
    assert.deepEqual([0, 7.4, 87.5, 99.5, 104, 105, 1234, 1250, 9_949, 9_950, 15_600, 250_000, 3e6, -5].map(latencyBinMs), [
      0, 7, 88, 100, 100, 110, 1200, 1300, 9_900, 10_000, 16_000, 250_000, 3_000_000, 0,
    ]);
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.exec('CREATE TABLE v (x REAL)');
    const next = seededRandom(5);
    const values = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? next() * 2000 : Math.exp(next() * 14)));
    values.push(0.5, 99.5, 999.5, 995, 9995, 99_950, 100, 1000, 10_000);
    const insert = db.prepare('INSERT INTO v VALUES (?)');
    for (const value of values) insert.run([value]);
    insert.free();
    const fromSql = db.exec(`SELECT x, ${latencyBinSql('x')} FROM v`)[0]!.values;
    for (const [x, bin] of fromSql) assert.equal(bin, latencyBinMs(Number(x)), `bin of ${String(x)}`);
    const sorted = [...values].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i += 1) assert.ok(latencyBinMs(sorted[i - 1]!) <= latencyBinMs(sorted[i]!));
    for (const value of values) assert.equal(latencyBinMs(latencyBinMs(value)), latencyBinMs(value), 'idempotent');
  });

  it('reads nearest-rank percentiles from a histogram', () => {
    assert.equal(histogramPercentile([], 50), null);
    assert.equal(histogramPercentile([[100, 5], [200, 5]], 50), 100);
    assert.equal(histogramPercentile([[100, 5], [200, 5]], 51), 200);
    assert.equal(histogramPercentile([[100, 1], [200, 18], [900, 1]], 95), 200);
    assert.equal(histogramPercentile([[100, 1], [200, 18], [900, 1]], 100), 900);
  });
});

describe('dashboard: recommendations and export', () => {
  const T0 = NOW - 2 * DAY;
  const overserved = Array.from({ length: 25 }, (_, i) =>
    ledgerRecord({
      id: `explain${i}`, startedAt: T0 + i * 1000, agent: 'explainer', task: 'explain', complexity: 2, tier: 'heavy',
      provider: 'anthropic', model: 'claude-opus-5-5', inputTokens: 1000, outputTokens: 200, costNano: 10_000_000,
    }),
  );

  it('lists each recommendation once with a stable id and the chains applying it writes', async () => {
    const db = await dbWith(overserved);
    const config: Config = { ...DEFAULT_CONFIG, budget: budget('UTC') };
    const list = dashboardRecommendations(db, config, { now: NOW, rangeDays: 7 });
    assert.equal(list.length, 1);
    const [rec] = list;
    assert.equal(rec!.kind, 'cheaper-tier');
    assert.equal(rec!.id, 'cheaper-tier:explainer:openai');
    assert.ok(rec!.savingsUsd > 0);
    assert.deepEqual(rec!.changes, { explainer: ['openai', 'local', 'gemini', 'anthropic'] });
    assert.deepEqual(dashboardRecommendations(db, config, { now: NOW, rangeDays: 7 }).map((r) => r.id), [rec!.id], 'stable');
    // Outside the range: nothing to recommend.
    assert.deepEqual(dashboardRecommendations(db, config, { now: NOW + 30 * DAY, rangeDays: 7 }), []);
  });

  it('exports the range from its first day, as `model-router costs --since` does', async () => {
    const db = await dbWith(RECORDS);
    for (const format of ['csv', 'json'] as const) {
      const result = dashboardExport(db, budget('Asia/Tokyo'), { now: NOW, rangeDays: 7, format });
      assert.equal(result.fileName, `model-router-costs-2026-03-15-to-2026-03-21.${format}`);
      assert.equal(result.content, costsReport(db, { format, since: '2026-03-15', now: NOW, timeZone: 'Asia/Tokyo' }));
    }
  });
});

describe('dashboard: verified routing (verify-then-escalate)', () => {
  const at = (minutesAgo: number): number => NOW - minutesAgo * 60_000;
  const cheap = { provider: 'deepseek', model: 'deepseek-v4-flash' } as const;
  const strong = { provider: 'anthropic', model: 'claude-opus-5-5' } as const;
  const pass3 = { verdict: 'pass', checks: 3, passed: 3, failed: 0, ms: 120, isolation: 'full' } as const;
  const HOSTILE_FAILURE = { kind: 'example', name: '<img src=x onerror=alert(1)>', expected: '4', got: '</td><b>5</b>' };
  const records: LedgerRecord[] = [
    // Kept on the cheap tier: its answer passed 3/3.
    ledgerRecord({
      id: 'pass-cheap', startedAt: at(10), task: 'implement', tier: 'light', requestedTier: 'light', ...cheap, costNano: 1_000_007,
      cascade: { kept: 'pass', steps: 1, startTier: 'light', strongEstimateNano: 30_000_123 },
      attempts: [ledgerAttempt({ seq: 0, startedAt: at(10), ...cheap, costNano: 1_000_007, verification: pass3 })],
    }),
    // The cheap answer failed one check; the strong one passed.
    ledgerRecord({
      id: 'escalated', startedAt: at(20), task: 'fix', tier: 'heavy', requestedTier: 'light', ...strong, costNano: 20_000_011,
      escalatedBy: 'verification', cascade: { kept: 'pass', steps: 2, startTier: 'light', strongEstimateNano: 25_000_000 },
      attempts: [
        ledgerAttempt({ seq: 0, startedAt: at(20), ...cheap, costNano: 11, verification: { verdict: 'fail', checks: 3, passed: 2, failed: 1, ms: 90, isolation: 'full', failures: [HOSTILE_FAILURE] } }),
        ledgerAttempt({ seq: 1, startedAt: at(19), ...strong, costNano: 20_000_000, verification: pass3 }),
      ],
    }),
    // Both failed; the cheap answer failed fewer checks and is shown: its verdict, not the last attempt's.
    ledgerRecord({
      id: 'best-failing', startedAt: at(30), task: 'implement', tier: 'heavy', requestedTier: 'light', ...cheap, costNano: 45_000_000,
      escalatedBy: 'verification', cascade: { kept: 'best-failing', steps: 2, startTier: 'light', strongEstimateNano: 40_000_000 },
      attempts: [
        ledgerAttempt({ seq: 0, startedAt: at(30), ...cheap, costNano: 5_000_000, verification: { verdict: 'fail', checks: 3, passed: 2, failed: 1, ms: 80, isolation: 'network' } }),
        ledgerAttempt({ seq: 1, startedAt: at(29), ...strong, costNano: 40_000_000, verification: { verdict: 'fail', checks: 3, passed: 1, failed: 2, ms: 85, isolation: 'network' } }),
      ],
    }),
    // Nothing could be checked: kept without a check, and no strongest-tier estimate.
    ledgerRecord({
      id: 'unknown', startedAt: at(40), task: 'refactor', tier: 'light', ...cheap, costNano: 500_000,
      cascade: { kept: 'unknown', steps: 1, startTier: 'light', strongEstimateNano: null },
      attempts: [ledgerAttempt({ seq: 0, startedAt: at(40), ...cheap, costNano: 500_000, verification: { verdict: 'unknown', checks: 0, passed: 0, failed: 0, ms: 1, isolation: null } })],
    }),
    // No answer at all.
    ledgerRecord({
      id: 'no-answer', startedAt: at(50), task: 'tests', provider: null, model: null, outcome: 'failed', errorKind: 'overloaded', costNano: 0,
      cascade: { kept: null, steps: 0, startTier: 'light', strongEstimateNano: 10_000_000 },
      attempts: [ledgerAttempt({ seq: 0, startedAt: at(50), ...cheap, status: 'error', errorKind: 'overloaded', costNano: 0 })],
    }),
    // Not a cascade (ignored by the section), and a cascade outside the 7-day range.
    ledgerRecord({ id: 'plain', startedAt: at(60), costNano: 9_999_999 }),
    ledgerRecord({
      id: 'old-cascade', startedAt: NOW - 30 * DAY, task: 'implement', ...cheap, costNano: 7,
      cascade: { kept: 'pass', steps: 1, startTier: 'light', strongEstimateNano: 1_000_000_000 },
      attempts: [ledgerAttempt({ seq: 0, startedAt: NOW - 30 * DAY, ...cheap, costNano: 7, verification: pass3 })],
    }),
  ];

  it('counts the range\'s cascades and what they saved against the strongest tier, exact in nano-dollars', async () => {
    const db = await dbWith([...generateLedgerRecords({ count: 300, from: NOW - 10 * DAY, to: NOW, seed: 4 }), ...records]);
    const snapshot = dashboardSnapshot(db, budget('UTC'), { now: NOW, rangeDays: 7 });
    const verified = dashboardVerified(db, budget('UTC'), { now: NOW, rangeDays: 7 });
    // By hand: 5 cascades in range; kept first = pass-cheap (passed) + unknown; saved over the 4 with an estimate.
    assert.deepEqual(verified, {
      requests: 5, keptFirst: 2, keptFirstPassed: 1, escalated: 2, bestFailing: 1, notChecked: 1, unanswered: 1, estimated: 4,
      costNano: 1_000_007 + 20_000_011 + 45_000_000 + 0,
      strongNano: 30_000_123 + 25_000_000 + 40_000_000 + 10_000_000,
      savedNano: 39_000_105,
    });
    // The same from the records themselves (what the ledger stored of them).
    const inRange = records.filter((r) => r.cascade && r.startedAt >= snapshot.from && r.startedAt < snapshot.to);
    const estimated = inRange.filter((r) => r.cascade!.strongEstimateNano !== null);
    assert.equal(verified.savedNano, estimated.reduce((sum, r) => sum + r.cascade!.strongEstimateNano! - r.costNano, 0));
    // The 90-day range takes the old one in too; a range with no cascade gives zeros.
    const wide = dashboardVerified(db, budget('UTC'), { now: NOW, rangeDays: 90 });
    assert.deepEqual([wide.requests, wide.keptFirst, wide.savedNano], [6, 3, 39_000_105 + 1_000_000_000 - 7]);
    const later = dashboardVerified(db, budget('UTC'), { now: NOW + 60 * DAY, rangeDays: 7 });
    assert.deepEqual(later, { requests: 0, keptFirst: 0, keptFirstPassed: 0, escalated: 0, bestFailing: 0, notChecked: 0, unanswered: 0, estimated: 0, costNano: 0, strongNano: 0, savedNano: 0 });
    // Without any cascade (every ledger before verify-then-escalate), zeros.
    const plain = await dbWith(RECORDS);
    assert.equal(dashboardVerified(plain, budget('UTC'), { now: NOW, rangeDays: 30 }).requests, 0);
  });

  it('gives each decision the verdict of the answer it showed; a decision that was no cascade has none', async () => {
    const db = await dbWith(records);
    const byId = new Map(dashboardDecisions(db, 50).decisions.map((d) => [d.id, d]));
    assert.deepEqual(byId.get('pass-cheap')!.verdict, { verdict: 'pass', checks: 3, passed: 3, failed: 0 });
    assert.deepEqual(byId.get('pass-cheap')!.cascade, { kept: 'pass', steps: 1, startTier: 'light' });
    assert.equal(byId.get('pass-cheap')!.escalatedBy, undefined);
    const escalated = byId.get('escalated')!;
    assert.equal(escalated.escalatedBy, 'verification');
    assert.deepEqual(escalated.verdict, { verdict: 'pass', checks: 3, passed: 3, failed: 0 });
    assert.deepEqual(escalated.attempts.map((a) => a.verification?.verdict), ['fail', 'pass']);
    // The failing excerpt is passed on as data, unchanged (the page shows it as text).
    assert.deepEqual(escalated.attempts[0]!.verification!.failures, [HOSTILE_FAILURE]);
    assert.deepEqual(byId.get('best-failing')!.verdict, { verdict: 'fail', checks: 3, passed: 2, failed: 1 }, 'the shown (cheap) answer');
    assert.deepEqual(byId.get('unknown')!.verdict, { verdict: 'unknown', checks: 0, passed: 0, failed: 0 });
    assert.deepEqual(byId.get('no-answer')!.cascade, { kept: null, steps: 0, startTier: 'light' });
    assert.equal('verdict' in byId.get('no-answer')!, false);
    const plain = byId.get('plain')!;
    assert.deepEqual(['cascade' in plain, 'verdict' in plain, 'escalatedBy' in plain, plain.attempts.some((a) => 'verification' in a)], [false, false, false, false]);
  });

  it('shows nothing for rows written before schema 6 (and reads no cascade column from a schema-5 ledger)', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 5));
    insertRecords(db, records);
    assert.equal(dashboardVerified(db, budget('UTC'), { now: NOW, rangeDays: 90 }).requests, 0, 'schema 5 has no cascade columns');
    migrate(db);
    const after = dashboardSnapshot(db, budget('UTC'), { now: NOW, rangeDays: 7 });
    assert.equal(dashboardVerified(db, budget('UTC'), { now: NOW, rangeDays: 7 }).requests, 0, 'the old rows have no cascade columns set');
    for (const decision of after.decisions.decisions) {
      assert.deepEqual(['cascade' in decision, 'verdict' in decision, 'escalatedBy' in decision], [false, false, false], decision.id);
      assert.ok(decision.attempts.every((a) => a.verification === undefined), decision.id);
    }
    // A request recorded after the migration counts.
    insertRecords(db, [records[0]!].map((r) => ({ ...r, id: 'new' })));
    assert.equal(dashboardVerified(db, budget('UTC'), { now: NOW, rangeDays: 7 }).requests, 1);
  });
});
