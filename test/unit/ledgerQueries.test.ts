import assert from 'node:assert/strict';

import { costsReport, csvField, startOfDate } from '../../src/core/ledger/export';
import { breakdown, latestDecisions, modelStats, spendByDay } from '../../src/core/ledger/queries';
import type { LedgerRecord } from '../../src/core/ledger/record';
import { budgetUsage, LedgerSpend } from '../../src/core/ledger/spend';
import { insertRecords } from '../../src/core/ledger/write';
import type { BudgetAlert } from '../../src/core/routing/budget';
import { BudgetGate } from '../../src/core/routing/budget';
import { dbWith, generateLedgerRecords, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';


const at = (iso: string): number => Date.parse(iso);
const USD = 1_000_000_000;

describe('ledger: spend and budget', () => {
  it('sums today and this month in New York across a midnight and a month boundary', async () => {
    // New York is UTC-5 in January/February 2026.
    const db = await dbWith([
      ledgerRecord({ id: 'jan31-late', startedAt: at('2026-02-01T04:30:00Z'), costNano: 1 * USD }), // Jan 31, 23:30 NY
      ledgerRecord({ id: 'feb1-early', startedAt: at('2026-02-01T05:00:00Z'), costNano: 2 * USD }), // Feb 1, 00:00 NY
      ledgerRecord({ id: 'feb1-noon', startedAt: at('2026-02-01T17:00:00Z'), costNano: 4 * USD }),
      ledgerRecord({ id: 'feb2', startedAt: at('2026-02-02T05:00:00Z'), costNano: 8 * USD }), // Feb 2, 00:00 NY
    ]);
    const spend = new LedgerSpend(() => db);
    const now = at('2026-02-01T23:00:00Z'); // Feb 1, 18:00 NY
    assert.equal(spend.spentUsd('day', now, 'America/New_York'), 6);
    assert.equal(spend.spentUsd('month', now, 'America/New_York'), 14);
    // The same instant in UTC: Feb 1 holds the first three (04:30 UTC is Feb 1 there).
    assert.equal(spend.spentUsd('day', now, 'UTC'), 7);
    // Just before midnight in New York on Jan 31: January's spend only.
    const jan31 = at('2026-02-01T04:59:59.999Z');
    assert.equal(spend.spentUsd('day', jan31, 'America/New_York'), 1);
    assert.equal(spend.spentUsd('month', jan31, 'America/New_York'), 1);
  });

  it('cuts days in Tokyo (UTC+9) and sees inserts after a cached read', async () => {
    const db = await dbWith([
      ledgerRecord({ id: 'a', startedAt: at('2026-03-31T14:59:59Z'), costNano: 1 * USD }), // Mar 31, 23:59:59 JST
      ledgerRecord({ id: 'b', startedAt: at('2026-03-31T15:00:00Z'), costNano: 3 * USD }), // Apr 1, 00:00 JST
    ]);
    const spend = new LedgerSpend(() => db);
    const now = at('2026-04-01T03:00:00Z'); // Apr 1, 12:00 JST
    assert.equal(spend.spentUsd('day', now, 'Asia/Tokyo'), 3);
    assert.equal(spend.spentUsd('month', now, 'Asia/Tokyo'), 3);
    insertRecords(db, [ledgerRecord({ id: 'c', startedAt: at('2026-04-01T02:00:00Z'), costNano: 5 * USD })]);
    assert.equal(spend.spentUsd('day', now, 'Asia/Tokyo'), 8, 'the cached sum is invalidated by the insert');
    assert.equal(spend.spentNano('month', now, 'Asia/Tokyo'), 8 * USD);
    assert.equal(new LedgerSpend(() => undefined).spentUsd('day', now, 'Asia/Tokyo'), 0);
  });

  it('reports used, limit and percent per period, and feeds the budget gate its alerts once', async () => {
    const db = await dbWith([
      ledgerRecord({ id: 'a', startedAt: at('2026-03-09T14:00:00Z'), costNano: 4.6 * USD }),
      ledgerRecord({ id: 'b', startedAt: at('2026-03-02T14:00:00Z'), costNano: 10 * USD }),
    ]);
    const now = at('2026-03-09T20:00:00Z');
    const config = { dailyUsd: 5, monthlyUsd: 100, onExceed: 'block' as const, timeZone: 'America/New_York' };
    const usage = budgetUsage(db, config, now);
    assert.deepEqual(
      usage.map((u) => [u.period, u.periodKey, u.usedUsd, u.limitUsd, Math.round(u.percent! * 100) / 100]),
      [['day', '2026-03-09', 4.6, 5, 92], ['month', '2026-03', 14.6, 100, 14.6]],
    );
    assert.equal(budgetUsage(db, { onExceed: 'warn', timeZone: 'UTC' }, now)[0]!.percent, undefined);
    const gate = new BudgetGate(config, new LedgerSpend(() => db));
    const alerts: BudgetAlert[] = [];
    gate.onAlert((alert) => alerts.push(alert));
    await gate.check(0, now);
    await gate.check(0, now + 1000);
    assert.deepEqual(alerts.map((a) => [a.period, a.threshold]), [['day', 0.9]]);
    gate.dispose();
  });
});

describe('ledger: breakdowns and statistics', () => {
  const from = at('2026-03-01T05:00:00Z'); // Mar 1, 00:00 in New York
  const to = at('2026-03-31T04:00:00Z'); // Mar 31, 00:00 in New York (after the DST change)
  const records = [...generateLedgerRecords({ count: 3000, from: from - 86_400_000, to: to + 86_400_000, seed: 3 })];

  it('sums every dimension to the same totals as the range', async () => {
    const db = await dbWith(records);
    const inRange = records.filter((r) => r.startedAt >= from && r.startedAt < to);
    const expected = {
      requests: inRange.length,
      costNano: inRange.reduce((s, r) => s + r.costNano, 0),
      inputTokens: inRange.reduce((s, r) => s + r.inputTokens, 0),
      outputTokens: inRange.reduce((s, r) => s + r.outputTokens, 0),
      cacheRead: inRange.reduce((s, r) => s + r.cacheReadTokens, 0),
      answered: inRange.filter((r) => r.outcome === 'answered').length,
    };
    for (const by of ['provider', 'agent', 'model', 'day'] as const) {
      const rows = breakdown(db, by, { from, to }, 'America/New_York');
      const sum = (f: (row: (typeof rows)[number]) => number): number => rows.reduce((s, r) => s + f(r), 0);
      assert.equal(sum((r) => r.requests), expected.requests, by);
      assert.equal(sum((r) => r.costNano), expected.costNano, by);
      assert.equal(sum((r) => r.inputTokens), expected.inputTokens, by);
      assert.equal(sum((r) => r.outputTokens), expected.outputTokens, by);
      assert.equal(sum((r) => r.cacheRead), expected.cacheRead, by);
      assert.equal(Math.round(sum((r) => r.successRate * r.requests)), expected.answered, by);
      assert.equal(new Set(rows.map((r) => r.key)).size, rows.length, `${by}: keys unique`);
    }
    const days = breakdown(db, 'day', { from, to }, 'America/New_York');
    assert.equal(days.length, 30);
    assert.equal(days[0]!.key, '2026-03-01');
    assert.equal(days[29]!.key, '2026-03-30');
    const providers = breakdown(db, 'provider', { from, to });
    for (let i = 1; i < providers.length; i += 1) assert.ok(providers[i - 1]!.costNano >= providers[i]!.costNano);
  });

  it('computes p50/p95 latency and TTFT per model from successful attempts (nearest rank)', async () => {
    const records: LedgerRecord[] = [];
    // fast/m: latencies 100..1000 (10 values), plus a failed attempt that must not count in the percentiles.
    for (let i = 1; i <= 10; i += 1) {
      records.push(ledgerRecord({ id: `f${i}`, provider: 'fast', model: 'm', latencyMs: i * 100, ttftMs: i * 10, costNano: 7 }));
    }
    records.push(ledgerRecord({
      id: 'f-failed', provider: 'slow', model: 's', latencyMs: 50, ttftMs: 5, costNano: 3,
      attempts: [
        ledgerAttempt({ seq: 0, provider: 'fast', model: 'm', status: 'error', latencyMs: 99_999, ttftMs: null, costNano: 0, inputTokens: 0, outputTokens: 0 }),
        ledgerAttempt({ seq: 1, provider: 'slow', model: 's', latencyMs: 50, ttftMs: 5, costNano: 3 }),
      ],
    }));
    const db = await dbWith(records);
    const stats = modelStats(db, { from: 0, to: at('2027-01-01T00:00:00Z') });
    const fast = stats.find((s) => s.provider === 'fast')!;
    assert.equal(fast.attempts, 11);
    assert.equal(fast.ok, 10);
    assert.equal(fast.successRate, 10 / 11);
    // Nearest rank over 10 sorted values: p50 = 5th = 500, p95 = ceil(9.5) = 10th = 1000.
    assert.equal(fast.latencyP50Ms, 500);
    assert.equal(fast.latencyP95Ms, 1000);
    assert.equal(fast.ttftP50Ms, 50);
    assert.equal(fast.ttftP95Ms, 100);
    assert.equal(fast.costNano, 70);
    assert.equal(fast.inputTokens, 10_000);
    const slow = stats.find((s) => s.provider === 'slow')!;
    assert.deepEqual([slow.attempts, slow.latencyP50Ms, slow.latencyP95Ms], [1, 50, 50]);
    assert.deepEqual(modelStats(db, { from: 0, to: 1 }), []);
  });

  it('returns the latest decisions newest first with their attempts, and pages on', async () => {
    const t0 = at('2026-03-09T12:00:00Z');
    const db = await dbWith([
      ledgerRecord({ id: 'old', startedAt: t0 }),
      ledgerRecord({
        id: 'fallback', startedAt: t0 + 2000, provider: 'openai', model: 'gpt-6.2-sol', reasons: ['a', 'b'],
        attempts: [
          ledgerAttempt({ seq: 0, provider: 'anthropic', status: 'error', errorKind: 'overloaded', httpStatus: 529 }),
          ledgerAttempt({ seq: 1, provider: 'openai', model: 'gpt-6.2-sol' }),
        ],
      }),
      ledgerRecord({ id: 'tie-a', startedAt: t0 + 1000 }),
      ledgerRecord({ id: 'tie-b', startedAt: t0 + 1000 }),
    ]);
    const page = latestDecisions(db, 3);
    assert.deepEqual(page.map((r) => r.id), ['fallback', 'tie-b', 'tie-a']);
    assert.deepEqual(page[0]!.attempts.map((a) => [a.seq, a.provider, a.status, a.errorKind, a.httpStatus]), [
      [0, 'anthropic', 'error', 'overloaded', 529],
      [1, 'openai', 'ok', null, null],
    ]);
    assert.deepEqual(page[0]!.reasons, ['a', 'b']);
    assert.equal(page[1]!.attempts.length, 1);
    const last = page[2]!;
    assert.deepEqual(latestDecisions(db, 3, { startedAt: last.startedAt, id: last.id }).map((r) => r.id), ['old']);
    assert.deepEqual(latestDecisions(db, 10, t0 + 1000).map((r) => r.id), ['old']);
  });

  it('gives each of the last N days in the zone its spend per provider, empty days included', async () => {
    const db = await dbWith([
      ledgerRecord({ id: 'a', startedAt: at('2026-03-08T15:00:00Z'), provider: 'anthropic', costNano: 2 * USD }), // Mar 9 JST
      ledgerRecord({ id: 'b', startedAt: at('2026-03-09T02:00:00Z'), provider: 'openai', model: 'gpt-6.2-sol', costNano: 1 * USD }),
      ledgerRecord({ id: 'c', startedAt: at('2026-03-07T12:00:00Z'), provider: 'openai', model: 'gpt-6.2-sol', costNano: 5 * USD }), // Mar 7 JST
    ]);
    const days = spendByDay(db, 3, 'Asia/Tokyo', at('2026-03-09T03:00:00Z'));
    assert.deepEqual(days.map((d) => [d.day, d.totalUsd, d.byProvider]), [
      ['2026-03-07', 5, { openai: 5 }],
      ['2026-03-08', 0, {}],
      ['2026-03-09', 3, { anthropic: 2, openai: 1 }],
    ]);
  });
});

describe('ledger: export', () => {
  it('quotes CSV fields per RFC 4180 and defuses formulas', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('+1'), "'+1");
    assert.equal(csvField('-2'), "'-2");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField(-2), '-2');
    assert.equal(csvField(null), '');
  });

  it('finds the start of a --since date in the zone and refuses a bad date', () => {
    assert.equal(startOfDate('2026-03-09', 'America/New_York'), at('2026-03-09T04:00:00Z')); // EDT since Mar 8
    assert.equal(startOfDate('2026-03-07', 'America/New_York'), at('2026-03-07T05:00:00Z'));
    assert.equal(startOfDate('2026-03-09', 'Asia/Tokyo'), at('2026-03-08T15:00:00Z'));
    assert.equal(startOfDate('2026-03-09', 'Pacific/Kiritimati'), at('2026-03-08T10:00:00Z'));
    assert.throws(() => startOfDate('2026-02-30', 'UTC'), /YYYY-MM-DD/);
    assert.throws(() => startOfDate('yesterday', 'UTC'), /YYYY-MM-DD/);
  });

  it('exports requests with attempts as CSV and JSON that round-trips', async () => {
    const records = [
      ledgerRecord({ id: 'r1', startedAt: at('2026-03-09T12:00:00Z'), agent: 'explainer', command: '=cmd|calc', costNano: 1_500_000 }),
      ledgerRecord({
        id: 'r2', startedAt: at('2026-03-09T13:00:00Z'), provider: 'openai', model: 'gpt-6.2-sol', errorKind: null,
        attempts: [
          ledgerAttempt({ seq: 0, provider: 'anthropic', status: 'error', errorKind: 'overloaded', httpStatus: 529, costNano: 0 }),
          // A model without a known price: its cost is an upper estimate, and the export says so.
          ledgerAttempt({ seq: 1, provider: 'openai', model: 'gpt-6.2-sol', priceUnknown: true }),
        ],
      }),
      ledgerRecord({ id: 'before', startedAt: at('2026-03-08T12:00:00Z') }),
    ];
    const db = await dbWith(records);
    const now = at('2026-03-09T20:00:00Z');
    const csv = costsReport(db, { since: '2026-03-09', format: 'csv', timeZone: 'UTC', now });
    const lines = csv.split('\r\n');
    assert.equal(lines.length, 4); // header, 2 rows, trailing empty
    assert.ok(lines[0]!.startsWith('id,started_at,'));
    assert.ok(lines[1]!.includes(",'=cmd|calc,"));
    assert.ok(lines[1]!.includes(',0.0015,'));
    // The attempts, then cached_from and saved_usd (empty: not answered from the cache).
    assert.ok(lines[2]!.endsWith(',anthropic/claude-sonnet-5-5:error(overloaded) > openai/gpt-6.2-sol:ok(price unknown),,'));
    const json = JSON.parse(costsReport(db, { since: '2026-03-09', format: 'json', timeZone: 'UTC', now })) as {
      requests: (LedgerRecord & { costUsd: number; startedAtIso: string })[];
    };
    const roundTrip = json.requests.map(({ costUsd: _c, startedAtIso: _s, ...record }) => record);
    assert.deepEqual(roundTrip, [records[0], records[1]]);
    assert.equal(json.requests[0]!.costUsd, 0.0015);
    const empty = JSON.parse(costsReport(db, { since: '2026-03-10', format: 'json', timeZone: 'UTC', now: at('2026-03-10T01:00:00Z') })) as { requests: unknown[] };
    assert.deepEqual(empty.requests, []);
  });

  it('exports a breakdown as CSV and JSON, by default from the start of the month', async () => {
    const db = await dbWith([
      ledgerRecord({ id: 'a', startedAt: at('2026-03-02T12:00:00Z'), agent: 'fixer', costNano: 2 * USD }),
      ledgerRecord({ id: 'b', startedAt: at('2026-03-03T12:00:00Z'), agent: '@evil', costNano: 1 * USD, outcome: 'failed' }),
      ledgerRecord({ id: 'feb', startedAt: at('2026-02-27T12:00:00Z'), agent: 'fixer', costNano: 9 * USD }),
    ]);
    const now = at('2026-03-09T20:00:00Z');
    const csv = costsReport(db, { by: 'agent', format: 'csv', timeZone: 'UTC', now });
    assert.equal(
      csv,
      'key,requests,cost_usd,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,success_rate\r\n' +
        'fixer,1,2,1000,200,0,0,1\r\n' +
        "'@evil,1,1,1000,200,0,0,0\r\n",
    );
    const json = JSON.parse(costsReport(db, { by: 'agent', format: 'json', timeZone: 'UTC', now })) as {
      by: string;
      rows: { key: string; costUsd: number }[];
    };
    assert.equal(json.by, 'agent');
    assert.deepEqual(json.rows.map((r) => [r.key, r.costUsd]), [['fixer', 2], ['@evil', 1]]);
  });
});
