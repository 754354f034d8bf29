import assert from 'node:assert/strict';

import type { BudgetConfig } from '../../src/core/config/types';
import type { BudgetAlert } from '../../src/core/routing/budget';
import { BudgetGate, InMemorySpend, PeriodCalendar, periodKey } from '../../src/core/routing/budget';
import { FakeClock } from '../../src/core/routing/clock';

const HOUR = 3_600_000;
/** 2026-01-15 23:30 in New York (EST, UTC-5) is 2026-01-16 04:30 UTC. */
const NY_2330 = Date.parse('2026-01-16T04:30:00Z');

function gate(config: BudgetConfig, clock: FakeClock): { gate: BudgetGate; spend: InMemorySpend; alerts: BudgetAlert[] } {
  const spend = new InMemorySpend();
  const budget = new BudgetGate(config, spend, { clock });
  const alerts: BudgetAlert[] = [];
  budget.onAlert((alert) => alerts.push(alert));
  return { gate: budget, spend, alerts };
}

describe('routing: budget', () => {
  describe('calendar periods', () => {
    it('23:30 in New York is still the previous day there, and already the next day in UTC', () => {
      assert.equal(periodKey('day', NY_2330, 'America/New_York'), '2026-01-15');
      assert.equal(periodKey('day', NY_2330, 'UTC'), '2026-01-16');
      assert.equal(periodKey('month', Date.parse('2026-02-01T03:00:00Z'), 'America/New_York'), '2026-01');
      assert.equal(periodKey('month', Date.parse('2026-02-01T03:00:00Z'), 'UTC'), '2026-02');
    });

    it('intervals follow daylight saving (a 23-hour day) and month lengths', () => {
      const calendar = new PeriodCalendar('America/New_York');
      const dst = calendar.interval('day', Date.parse('2026-03-08T12:00:00Z'));
      assert.equal(dst.start, Date.parse('2026-03-08T05:00:00Z'));
      assert.equal(dst.end, Date.parse('2026-03-09T04:00:00Z'));
      const february = calendar.interval('month', Date.parse('2026-02-10T00:00:00Z'));
      assert.equal(february.start, Date.parse('2026-02-01T05:00:00Z'));
      assert.equal(february.end, Date.parse('2026-03-01T05:00:00Z'));
    });

    it('rejects an unknown time zone by name', () => {
      assert.throws(() => new PeriodCalendar('Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
    });
  });

  describe('InMemorySpend', () => {
    it('sums the day and month containing now, in the given zone', () => {
      const spend = new InMemorySpend();
      spend.record(1, NY_2330); // Jan 15 in New York, Jan 16 in UTC
      spend.record(2, NY_2330 + HOUR); // Jan 16 in both
      spend.record(4, Date.parse('2026-01-02T12:00:00Z'));
      const now = NY_2330 + 2 * HOUR;
      assert.equal(spend.spentUsd('day', now, 'America/New_York'), 2);
      assert.equal(spend.spentUsd('day', now, 'UTC'), 3);
      assert.equal(spend.spentUsd('day', NY_2330, 'America/New_York'), 1);
      assert.equal(spend.spentUsd('month', now, 'America/New_York'), 7);
    });

    it('a new month starts at midnight in the zone', () => {
      const spend = new InMemorySpend();
      spend.record(3, Date.parse('2026-02-01T03:00:00Z')); // Jan 31, 22:00 in New York
      const now = Date.parse('2026-02-01T06:00:00Z'); // Feb 1, 01:00 in New York
      assert.equal(spend.spentUsd('month', now, 'America/New_York'), 0);
      assert.equal(spend.spentUsd('month', now, 'UTC'), 3);
    });
  });

  describe('BudgetGate', () => {
    it('blocks when the estimate would pass the daily limit; exactly reaching it is allowed', async () => {
      const clock = new FakeClock(NY_2330);
      const { gate: budget, spend } = gate({ dailyUsd: 5, onExceed: 'block', timeZone: 'America/New_York' }, clock);
      spend.record(4.9, clock.now() - HOUR);
      assert.deepEqual(await budget.check(0.1), { action: 'allow' });
      assert.deepEqual(await budget.check(0.2), {
        action: 'block',
        period: 'day',
        usedUsd: 4.9,
        limitUsd: 5,
        message: "Model Router: today's $5.00 budget would be exceeded ($4.90 used + $0.20 estimated); request blocked",
      });
      assert.deepEqual(await budget.check(0), { action: 'allow' }, 'a free (local) request always passes');
      clock.advance(HOUR); // 00:30 in New York: a new day
      assert.deepEqual(await budget.check(0.2), { action: 'allow' });
    });

    it('downgrade and warn, per configuration; the month wins when both are exceeded', async () => {
      const clock = new FakeClock(NY_2330);
      const { gate: budget, spend } = gate({ dailyUsd: 5, monthlyUsd: 50, onExceed: 'downgrade', timeZone: 'UTC' }, clock);
      spend.record(4.5, clock.now());
      const downgrade = await budget.check(1);
      assert.ok(downgrade.action === 'downgrade');
      assert.match(downgrade.message, /trying a lighter tier$/);
      spend.record(45, Date.parse('2026-01-05T00:00:00Z'));
      const both = await budget.check(1);
      assert.ok(both.action !== 'allow');
      assert.equal(both.period, 'month');
      assert.match(both.message, /this month's \$50\.00 budget would be exceeded \(\$49\.50 used/);
      budget.setConfig({ dailyUsd: 5, monthlyUsd: 50, onExceed: 'warn', timeZone: 'UTC' });
      const warn = await budget.check(1);
      assert.ok(warn.action === 'warn');
      assert.match(warn.message, /sending anyway/);
    });

    it('no limits: always allow', async () => {
      const { gate: budget, spend } = gate({ onExceed: 'block' }, new FakeClock(NY_2330));
      spend.record(1_000, NY_2330);
      assert.deepEqual(await budget.check(100), { action: 'allow' });
      assert.deepEqual(await budget.status(), []);
    });

    it('alerts at 90% and 100% once per period, re-armed by the next day', async () => {
      const clock = new FakeClock(Date.parse('2026-01-15T12:00:00Z'));
      const { gate: budget, alerts } = gate({ dailyUsd: 5, onExceed: 'warn', timeZone: 'UTC' }, clock);
      await budget.record(4);
      assert.equal(alerts.length, 0);
      await budget.record(0.55);
      assert.deepEqual(
        alerts.map((alert) => alert.message),
        ["Model Router: 91% of today's $5.00 budget used ($4.55)"],
      );
      await budget.record(0.1);
      await budget.check(0.1);
      assert.equal(alerts.length, 1, '90% is raised once');
      await budget.record(0.5);
      await budget.record(0.5);
      assert.deepEqual(
        alerts.map((alert) => [alert.threshold, alert.periodKey]),
        [
          [0.9, '2026-01-15'],
          [1, '2026-01-15'],
        ],
      );
      assert.equal(alerts[1]?.message, "Model Router: 103% of today's $5.00 budget used ($5.15)");
      clock.advance(24 * HOUR);
      await budget.record(4.6);
      assert.deepEqual(
        alerts.slice(2).map((alert) => [alert.threshold, alert.periodKey]),
        [[0.9, '2026-01-16']],
      );
    });

    it('jumping past 100% raises one alert, not two', async () => {
      const clock = new FakeClock(Date.parse('2026-01-15T12:00:00Z'));
      const { gate: budget, alerts } = gate({ monthlyUsd: 20, onExceed: 'block', timeZone: 'UTC' }, clock);
      await budget.record(25);
      await budget.record(1);
      assert.deepEqual(
        alerts.map((alert) => alert.message),
        ["Model Router: 125% of this month's $20.00 budget used ($25.00)"],
      );
    });

    it('alert periods follow the configured zone: New York midnight re-arms, UTC midnight does not', async () => {
      const clock = new FakeClock(Date.parse('2026-01-15T22:00:00Z')); // 17:00 in New York
      const { gate: budget, alerts } = gate({ dailyUsd: 10, onExceed: 'warn', timeZone: 'America/New_York' }, clock);
      await budget.record(9.5);
      assert.equal(alerts.length, 1);
      clock.setTime(Date.parse('2026-01-16T01:00:00Z')); // 20:00 New York: same day there, next day in UTC
      await budget.record(0.1);
      assert.equal(alerts.length, 1);
      clock.setTime(Date.parse('2026-01-16T05:30:00Z')); // 00:30 New York
      await budget.record(9.5);
      assert.equal(alerts.length, 2);
      assert.equal(alerts[1]?.periodKey, '2026-01-16');
    });

    it('works with an asynchronous spend source (the ledger)', async () => {
      const source = { spentUsd: async (period: 'day' | 'month'): Promise<number> => (period === 'day' ? 4.8 : 10) };
      const budget = new BudgetGate({ dailyUsd: 5, monthlyUsd: 100, onExceed: 'block' }, source, {
        clock: new FakeClock(NY_2330),
      });
      const alerts: BudgetAlert[] = [];
      budget.onAlert((alert) => alerts.push(alert));
      assert.equal((await budget.check(0.5)).action, 'block');
      assert.equal(alerts.length, 1);
      await budget.record(0.1); // no record() on the source: nothing to store, alerts still evaluated
      assert.equal(alerts.length, 1);
    });
  });
});

describe('routing: budget alerts remembered outside the process', () => {
  it('does not raise an alert again when the memory says it was raised this period (a reloaded window)', async () => {
    const memory = new Map<string, string>();
    const now = Date.UTC(2026, 10, 23, 12);
    const spend = new InMemorySpend();
    spend.record(0.0046, now);
    const config: BudgetConfig = { dailyUsd: 0.005, onExceed: 'warn', timeZone: 'UTC' };
    const first = new BudgetGate(config, spend, { clock: new FakeClock(now), alertMemory: memory });
    const messages: string[] = [];
    first.onAlert((alert) => messages.push(alert.message));
    await first.check(0, now);
    assert.deepEqual(messages, ["Model Router: 92% of today's $0.0050 budget used ($0.0046)"]);
    const second = new BudgetGate(config, spend, { clock: new FakeClock(now), alertMemory: memory });
    second.onAlert((alert) => messages.push(alert.message));
    await second.check(0, now);
    assert.equal(messages.length, 1, 'the second gate (same memory) stays quiet');
    await second.check(0, Date.UTC(2026, 10, 24, 12));
    assert.equal(messages.length, 1, 'nothing spent the next day: no alert');
  });
});
