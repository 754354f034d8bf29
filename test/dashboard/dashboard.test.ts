/**
 * The cost dashboard page in headless Chromium with fixture data (no VS Code): what is on screen equals the ledger's
 * own queries (budgetUsage, spendByDay, breakdown, modelStats, latestDecisions) formatted as the page formats them;
 * ledger strings stay text; keyboard, live update, export, apply and restore work; no CSP violation. Screenshots in
 * light, dark and high contrast go to test-results/dashboard/.
 *
 * Run: npm run test:dashboard (builds media/dist first; needs Chromium from `npm run setup:e2e`).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

import type { Database } from 'sql.js';

import {
  commandLabel,
  formatCount,
  formatFailure,
  formatLatency,
  formatPercent,
  formatTime,
  formatVerdict,
} from '../../media/dashboard/format';
import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { Config } from '../../src/core/config/types';
import type { BreakdownRow } from '../../src/core/ledger/queries';
import { breakdown, latestDecisions, modelStats, spendByDay } from '../../src/core/ledger/queries';
import type { LedgerRecord } from '../../src/core/ledger/record';
import { budgetUsage } from '../../src/core/ledger/spend';
import { insertRecords } from '../../src/core/ledger/write';
import { formatUsd } from '../../src/core/util/format';
import { dbWith, generateLedgerRecords, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';
import type { DashboardPage } from './page';
import { FixtureHost, openDashboardPage } from './page';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-20T15:07:13Z');
const TIME_ZONE = 'America/New_York';
const HOSTILE_AGENT = '<img src=x onerror="window.__xss=1">';
const HOSTILE_MODEL = 'gpt-6.2-sol<svg onload="window.__xss=3">';

const HOSTILE_FAILURE = { kind: 'example', name: 'add(2, 2)<img src=x onerror="window.__xss=4">', expected: '4', got: '</li><b>5</b>' };
const CHEAP = { provider: 'deepseek', model: 'deepseek-v4-flash' } as const;
const STRONG = { provider: 'anthropic', model: 'claude-opus-5-5' } as const;
const PASS_3 = { verdict: 'pass', checks: 3, passed: 3, failed: 0, ms: 120, isolation: 'full' } as const;

/** Cascades (verify-then-escalate) among the latest decisions: kept cheap, escalated by a failed check, shown failing, unchecked. */
function cascadeRecords(): LedgerRecord[] {
  const at = (minutesAgo: number): number => NOW - minutesAgo * 60_000;
  return [
    ledgerRecord({
      id: 'cascade-pass', startedAt: at(2), agent: 'implementer', task: 'implement', command: 'modelRouter.implement', tier: 'light', requestedTier: 'light',
      ...CHEAP, costNano: 1_200_000, cascade: { kept: 'pass', steps: 1, startTier: 'light', strongEstimateNano: 31_000_000 },
      attempts: [ledgerAttempt({ seq: 0, startedAt: at(2), ...CHEAP, costNano: 1_200_000, verification: PASS_3 })],
    }),
    ledgerRecord({
      id: 'cascade-escalated', startedAt: at(3), agent: 'fixer', task: 'fix', command: 'modelRouter.fix', tier: 'heavy', requestedTier: 'light',
      ...STRONG, costNano: 22_000_000, escalatedBy: 'verification', cascade: { kept: 'pass', steps: 2, startTier: 'light', strongEstimateNano: 27_000_000 },
      attempts: [
        ledgerAttempt({ seq: 0, startedAt: at(3), ...CHEAP, costNano: 1_000_000, verification: { verdict: 'fail', checks: 3, passed: 2, failed: 1, ms: 90, isolation: 'full', failures: [HOSTILE_FAILURE] } }),
        ledgerAttempt({ seq: 1, startedAt: at(3) + 5000, ...STRONG, costNano: 21_000_000, verification: PASS_3 }),
      ],
    }),
    ledgerRecord({
      id: 'cascade-failing', startedAt: at(4), agent: 'implementer', task: 'implement', command: 'modelRouter.implement', tier: 'heavy', requestedTier: 'light',
      ...STRONG, costNano: 44_000_000, escalatedBy: 'verification', cascade: { kept: 'best-failing', steps: 2, startTier: 'light', strongEstimateNano: 40_000_000 },
      attempts: [
        ledgerAttempt({ seq: 0, startedAt: at(4), ...CHEAP, costNano: 4_000_000, verification: { verdict: 'fail', checks: 3, passed: 0, failed: 3, ms: 80, isolation: 'network' } }),
        ledgerAttempt({ seq: 1, startedAt: at(4) + 5000, ...STRONG, costNano: 40_000_000, verification: { verdict: 'fail', checks: 3, passed: 2, failed: 1, ms: 85, isolation: 'network', failures: [{ kind: 'assert', name: 'assert add(2, 2) == 4', detail: 'AssertionError' }] } }),
      ],
    }),
    ledgerRecord({
      id: 'cascade-unknown', startedAt: at(5), agent: 'refactorer', task: 'refactor', command: 'modelRouter.refactor', tier: 'light', ...CHEAP, costNano: 600_000,
      cascade: { kept: 'unknown', steps: 1, startTier: 'light', strongEstimateNano: null },
      attempts: [ledgerAttempt({ seq: 0, startedAt: at(5), ...CHEAP, costNano: 600_000, verification: { verdict: 'unknown', checks: 0, passed: 0, failed: 0, ms: 1, isolation: null } })],
    }),
  ];
}

/** The verdict of the answer a record showed: its model's last checked attempt (none outside a cascade). */
function shownVerdict(record: LedgerRecord): string {
  if (!record.cascade) return '';
  const attempt = [...record.attempts].reverse().find((a) => a.verification && a.provider === record.provider && a.model === record.model);
  return attempt ? formatVerdict(attempt.verification!) : '';
}

function fixtureRecords(): LedgerRecord[] {
  const records = [...generateLedgerRecords({ count: 3000, from: NOW - 95 * DAY, to: NOW - 5 * 60_000, seed: 21 })];
  // Light explanations answered by a premium model: the ledger recommends a cheaper chain.
  for (let i = 0; i < 150; i += 1) {
    records.push(ledgerRecord({
      id: `explain-${i}`, startedAt: NOW - 2 * DAY + i * 60_000, agent: 'explainer', task: 'explain', command: 'modelRouter.explain',
      complexity: 2, tier: 'heavy', provider: 'anthropic', model: 'claude-opus-5-5', inputTokens: 1000, outputTokens: 200,
      costNano: 10_000_000,
    }));
  }
  records.push(...cascadeRecords());
  // The latest decision: strings that would be markup if the page ever parsed them, and a fallback that failed.
  records.push(ledgerRecord({
    id: 'hostile', startedAt: NOW - 60_000, finishedAt: NOW - 57_000, agent: HOSTILE_AGENT, task: 'ask',
    command: '"><script>window.__xss=2</script>', complexity: 7, reasons: ['<i>212 lines</i>', 'nesting 6'],
    tier: 'heavy', requestedTier: 'heavy', provider: 'openai', model: HOSTILE_MODEL, outcome: 'answered',
    errorKind: null, latencyMs: 3000, fallbacks: 1, costNano: 4_200_000, inputTokens: 1234, outputTokens: 321,
    attempts: [
      ledgerAttempt({ seq: 0, startedAt: NOW - 60_000, provider: 'anthropic', model: 'claude-opus-5-5', status: 'error', errorKind: 'overloaded', httpStatus: 529, latencyMs: 800, ttftMs: null, costNano: 0, inputTokens: 0, outputTokens: 0 }),
      ledgerAttempt({ seq: 1, startedAt: NOW - 59_000, provider: 'openai', model: HOSTILE_MODEL, latencyMs: 2200, ttftMs: 400, costNano: 4_200_000, inputTokens: 1234, outputTokens: 321 }),
    ],
  }));
  return records;
}

function configFor(db: Database): Config {
  const today = budgetUsage(db, { onExceed: 'warn', timeZone: TIME_ZONE }, NOW)[0]!.usedUsd;
  // Today at 92% of the daily budget: the page must warn.
  return { ...DEFAULT_CONFIG, budget: { dailyUsd: Math.round((today / 0.92) * 100) / 100, monthlyUsd: 100, onExceed: 'warn', timeZone: TIME_ZONE } };
}

async function texts(page: DashboardPage['page'], selector: string): Promise<string[]> {
  return page.$$eval(selector, (elements) => elements.map((e) => (e.textContent ?? '').trim()));
}

async function rows(page: DashboardPage['page'], rowSelector: string): Promise<string[][]> {
  return page.$$eval(rowSelector, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const breakdownText = (row: BreakdownRow): string[] => [row.key, formatCount(row.requests), formatPercent(row.successRate), formatUsd(row.costUsd)];

describe('dashboard page in Chromium', function () {
  this.timeout(120_000);
  let db: Database;
  let host: FixtureHost;
  let dashboard: DashboardPage;

  before(async () => {
    db = await dbWith(fixtureRecords());
    host = new FixtureHost(db, configFor(db), NOW);
    dashboard = await openDashboardPage({ host, theme: 'light' });
    await dashboard.rendered(1);
    await waitFor(() => dashboard.toPage.some((m) => m.type === 'recommendations' && m.state === 'ready'), 'recommendations');
    await waitFor(async () => (await dashboard.page.locator('[data-testid=verified-requests]').count()) === 1, 'the verified-routing figures');
  });

  after(async () => {
    await dashboard?.close();
    assert.deepEqual(dashboard?.problems ?? [], [], 'no page error, console error or CSP violation');
  });

  it('sends ready first and shows the budgets, totals and daily spend the ledger queries give', async () => {
    assert.equal(dashboard.fromPage[0]?.type, 'ready');
    const page = dashboard.page;
    const [day, month] = budgetUsage(db, host.config.budget, NOW);
    assert.equal(await page.textContent('[data-testid=budget-day-used]'), formatUsd(day!.usedUsd));
    assert.equal(await page.textContent('[data-testid=budget-day-limit]'), formatUsd(day!.limitUsd));
    assert.equal(await page.textContent('[data-testid=budget-day-percent]'), `${formatPercent(day!.percent! / 100)} used`);
    assert.match((await page.getAttribute('[data-testid=budget-day]', 'class')) ?? '', /status-warning/);
    assert.equal(await page.textContent('[data-testid=budget-month-used]'), formatUsd(month!.usedUsd));
    assert.equal(await page.textContent('[data-testid=budget-month-percent]'), `${formatPercent(month!.percent! / 100)} used`);

    const days = spendByDay(db, 30, TIME_ZONE, NOW);
    const range = { from: days[0]!.start, to: days[days.length - 1]!.end };
    const providers = breakdown(db, 'provider', range, TIME_ZONE);
    const totalNano = providers.reduce((sum, r) => sum + r.costNano, 0);
    assert.equal(await page.textContent('[data-testid=summary-cost]'), formatUsd(totalNano / 1e9));
    assert.equal(await page.textContent('[data-testid=summary-requests]'), formatCount(providers.reduce((sum, r) => sum + r.requests, 0)));

    const header = await texts(page, '[data-testid=spend-table] thead th');
    const chartProviders = header.slice(1, -1);
    const table = await rows(page, '[data-testid=spend-row]');
    assert.equal(table.length, 30);
    days.forEach((d, i) => {
      const row = table[i]!;
      assert.equal(row[row.length - 1], formatUsd(d.totalUsd), `total of ${d.day}`);
      chartProviders.forEach((provider, p) => assert.equal(row[p + 1], formatUsd(d.byProvider[provider] ?? 0), `${provider} on ${d.day}`));
    });
    assert.deepEqual([...chartProviders].sort(), [...new Set(days.flatMap((d) => Object.keys(d.byProvider)))].sort());
    assert.equal(await page.getAttribute('[data-testid=spend-chart]', 'role'), 'img');
    const box = await page.locator('[data-testid=spend-chart]').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 200, 'the chart has a size');
  });

  it('shows the breakdowns by agent and model, the per-model statistics and the latest decisions as the queries do', async () => {
    const page = dashboard.page;
    const days = spendByDay(db, 30, TIME_ZONE, NOW);
    const range = { from: days[0]!.start, to: days[days.length - 1]!.end };
    const cut = (r: string[]): string[] => r.slice(0, 4);
    assert.deepEqual((await rows(page, '[data-testid=agent-row]')).map(cut), breakdown(db, 'agent', range, TIME_ZONE).map(breakdownText));
    assert.deepEqual((await rows(page, '[data-testid=model-row]')).map(cut), breakdown(db, 'model', range, TIME_ZONE).map(breakdownText));
    const models = (await rows(page, '[data-testid=models-row]')).map((r) => [r[0], r[1], r[2], r[3], r[4], r[7]]);
    assert.deepEqual(models, modelStats(db, range).map((m) => [
      `${m.provider}/${m.model}`, formatCount(m.attempts), formatPercent(m.successRate), formatLatency(m.latencyP50Ms),
      formatLatency(m.latencyP95Ms), formatUsd(m.costUsd),
    ]));
    const latest = latestDecisions(db, 25);
    const shown = await page.$$eval('[data-testid=decision-row]', (trs) => trs.map((tr) => tr.getAttribute('data-id')));
    assert.deepEqual(shown, latest.map((r) => r.id));
    const cells = await rows(page, '[data-testid=decision-row]');
    latest.forEach((r, i) => {
      const [, time, command, , model, fallbacks, , cost, , outcome] = cells[i]!;
      assert.equal(time, formatTime(r.startedAt, TIME_ZONE, NOW));
      assert.equal(command, `${commandLabel(r.command, r.task)} · ${r.agent}`);
      assert.equal(model, r.model ? `${r.provider}/${r.model}` : '—');
      assert.equal(fallbacks, String(r.fallbacks));
      assert.equal(cost, formatUsd(r.costNano / 1e9));
      assert.equal(outcome, `${r.outcome}${shownVerdict(r)}`);
    });
    assert.equal(await page.isVisible('[data-testid=load-more]'), true);
  });

  it('shows ledger strings as text, never as markup', async () => {
    const page = dashboard.page;
    const agentKeys = await texts(page, '[data-testid=agent-row] [data-testid=key]');
    assert.ok(agentKeys.includes(HOSTILE_AGENT));
    assert.equal(await page.textContent('[data-testid=decision-row][data-id=hostile] [data-testid=model]'), `openai/${HOSTILE_MODEL}`);
    assert.equal(await page.locator('img, svg, iframe, object, embed').count(), 0);
    assert.equal(await page.locator('script').count(), 1);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  });

  it('shows each decision\'s verdict, the escalations a failed check caused, and the verified-routing figures', async () => {
    const page = dashboard.page;
    const verdicts = await page.$$eval('[data-testid=decision-row]', (trs) =>
      trs.map((tr): [string | null, string | null] => [tr.getAttribute('data-id'), tr.querySelector('[data-testid=verdict]')?.textContent ?? null]),
    );
    const byId = new Map(verdicts);
    assert.equal(byId.get('cascade-pass'), '✓ 3/3 checked');
    assert.equal(byId.get('cascade-escalated'), '✓ 3/3 checked');
    assert.equal(byId.get('cascade-failing'), '✗ 1 of 3 failed', 'the shown (strong) answer, not the cheap one');
    assert.equal(byId.get('cascade-unknown'), '· not checked');
    assert.equal(byId.get('hostile'), null, 'no verdict on a request that was no cascade');
    assert.equal(verdicts.filter(([, v]) => v !== null).length, 4);
    const tags = await page.$$eval('[data-testid=decision-row]', (trs) =>
      trs.filter((tr) => tr.querySelector('[data-testid=escalated-by]')).map((tr) => tr.getAttribute('data-id')),
    );
    assert.deepEqual(tags, ['cascade-escalated', 'cascade-failing']);
    assert.equal(await page.textContent('[data-testid=decision-row][data-id=cascade-escalated] [data-testid=escalated-by]'), '↑ by a failed check');

    // The section equals the cascades of the range (all four are in the last 30 days), summed from the records.
    const cascades = cascadeRecords();
    const estimated = cascades.filter((r) => r.cascade!.strongEstimateNano !== null);
    const costNano = estimated.reduce((sum, r) => sum + r.costNano, 0);
    const strongNano = estimated.reduce((sum, r) => sum + r.cascade!.strongEstimateNano!, 0);
    assert.equal(await page.textContent('[data-testid=verified-requests]'), formatCount(cascades.length));
    assert.equal(await page.textContent('[data-testid=verified-kept]'), '2');
    assert.equal(await page.textContent('[data-testid=verified-kept-note]'), `${formatPercent(2 / 4)} of them · 1 passed their checks`);
    assert.equal(await page.textContent('[data-testid=verified-escalated]'), '2');
    assert.equal(await page.textContent('[data-testid=verified-failing]'), '1');
    assert.equal(await page.textContent('[data-testid=verified-saved]'), formatUsd((strongNano - costNano) / 1e9));
    assert.equal(
      await page.textContent('[data-testid=verified-saved-note]'),
      `${formatUsd(costNano / 1e9)} spent against ${formatUsd(strongNano / 1e9)} on the strongest tier (3 of 4 requests have an estimate)`,
    );
    assert.equal(await page.isVisible('[data-testid=verified-empty]'), false);
  });

  it('shows a failed check\'s stored text as text: in the attempts and in the tooltip', async () => {
    const page = dashboard.page;
    const row = '[data-testid=decision-row][data-id=cascade-escalated]';
    await page.click(`${row} [data-testid=expand]`);
    await waitFor(async () => (await page.getAttribute(`${row} [data-testid=expand]`, 'aria-expanded')) === 'true', 'the row to expand');
    const details = page.locator(`${row} + [data-testid=attempts-row]`);
    assert.deepEqual(await details.locator('[data-testid=attempt-result] [data-testid=verdict]').allTextContents(), ['✗ 1 of 3 failed', '✓ 3/3 checked']);
    assert.deepEqual(await details.locator('[data-testid=failure]').allTextContents(), [formatFailure(HOSTILE_FAILURE)]);
    assert.match((await details.locator('[data-testid=cascade]').textContent()) ?? '', /^2 answers checked, from the light tier, escalated to heavy by a failed check; shown: an answer that passed/);
    const title = await page.getAttribute('[data-testid=decision-row][data-id=cascade-failing] [data-testid=verdict]', 'title');
    assert.equal(title, 'Its code failed 1 of 3 checks.\n• assert add(2, 2) == 4: AssertionError');
    assert.ok((await details.locator('[data-testid=attempt-result] [data-testid=verdict]').first().getAttribute('title'))!.includes(HOSTILE_FAILURE.name));
    assert.equal(await page.locator('img, svg, b, iframe, object, embed').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await page.click(`${row} [data-testid=expand]`);
    await waitFor(async () => (await page.getAttribute(`${row} [data-testid=expand]`, 'aria-expanded')) === 'false', 'the row to close');
  });

  it('works from the keyboard: the range radio group and a decision row that expands to its attempts', async () => {
    const page = dashboard.page;
    await page.focus('[data-testid=range-30]');
    await page.keyboard.press('ArrowRight');
    await waitFor(() => dashboard.fromPage.some((m) => m.type === 'setRange' && m.rangeDays === 90), 'setRange 90');
    await dashboard.rendered(2);
    await waitFor(async () => (await page.locator('[data-testid=spend-row]').count()) === 90, '90 rows');
    assert.equal(await page.getAttribute('[data-testid=range-90]', 'aria-checked'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'range-90');
    await page.keyboard.press('ArrowLeft');
    await waitFor(() => dashboard.fromPage.some((m) => m.type === 'setRange' && m.rangeDays === 30), 'setRange 30');
    await dashboard.rendered(3);
    await waitFor(() => dashboard.toPage.filter((m) => m.type === 'recommendations' && m.state === 'ready' && m.rangeDays === 30).length >= 2, 'recommendations again');
    const expand = page.locator('[data-testid=decision-row][data-id=hostile] [data-testid=expand]');
    await expand.focus();
    await page.keyboard.press('Enter');
    await waitFor(async () => (await page.getAttribute('[data-testid=decision-row][data-id=hostile] [data-testid=expand]', 'aria-expanded')) === 'true', 'the row to expand');
    const attempts = await rows(page, '[data-testid=attempt-row]');
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]![4], 'overloaded');
    assert.equal(attempts[0]![5], '529');
    assert.equal(attempts[1]![2], `openai/${HOSTILE_MODEL}`);
    assert.ok((await page.textContent('[data-testid=attempts-row]:not([hidden])'))!.includes('<i>212 lines</i>, nesting 6'));
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'expand', 'focus stays on the toggle');
    const state = await page.evaluate(() => (window as unknown as { __state?: { expanded: string[] } }).__state);
    assert.deepEqual(state?.expanded, ['hostile']);
  });

  it('lists the recommendation with its saving and applies it after the host confirms', async () => {
    const page = dashboard.page;
    await waitFor(async () => (await page.locator('[data-testid=recommendation]').count()) > 0, 'a recommendation');
    const message = dashboard.toPage.filter((m) => m.type === 'recommendations' && m.state === 'ready').at(-1);
    assert.ok(message && message.type === 'recommendations' && message.state === 'ready');
    const item = message.items[0]!;
    assert.equal(item.id, 'cheaper-tier:explainer:openai', 'money first');
    assert.equal(await page.textContent('[data-testid=recommendation] [data-testid=saving]'), ` Saves about ${formatUsd(item.savingsUsd)} per 30 days`);
    await page.click('[data-testid=recommendation] [data-testid=apply]');
    await waitFor(() => host.applied.length === 1, 'the host to apply it');
    assert.deepEqual(host.applied[0]!.changes, { explainer: ['openai', 'local', 'gemini', 'anthropic'] });
    await waitFor(async () => ((await page.textContent('[data-testid=status]')) ?? '').startsWith('Applied'), 'the status line');
  });

  it('exports the range through the host and says so', async () => {
    const page = dashboard.page;
    await page.click('[data-testid=export-csv]');
    await waitFor(() => host.exported.length === 1, 'the export');
    assert.match(host.exported[0]!.fileName, /^model-router-costs-2026-02-19-to-2026-03-20\.csv$/);
    await waitFor(async () => (await page.textContent('[data-testid=status]')) === 'Exported the last 30 days as CSV.', 'the status line');
  });

  it('shows a finished request without reopening (live update)', async () => {
    const page = dashboard.page;
    const before = dashboard.fromPage.filter((m) => m.type === 'rendered').length;
    insertRecords(db, [ledgerRecord({ id: 'live-1', startedAt: NOW - 1000, agent: 'reviewer', task: 'review', command: 'modelRouter.review', costNano: 2_500_000 })]);
    host.changes.fire('ledger');
    await dashboard.rendered(before + 1);
    assert.equal(await page.getAttribute('[data-testid=decision-row] >> nth=0', 'data-id'), 'live-1');
    const [day] = budgetUsage(db, host.config.budget, NOW);
    assert.equal(await page.textContent('[data-testid=budget-day-used]'), formatUsd(day!.usedUsd));
    // The expanded row stayed expanded across the update.
    assert.equal(await page.getAttribute('[data-testid=decision-row][data-id=hostile] [data-testid=expand]', 'aria-expanded'), 'true');
  });

  it('is readable in light, dark and high-contrast themes (screenshots)', async () => {
    const page = dashboard.page;
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await dashboard.setTheme(theme);
      const colors = await page.evaluate(() => {
        const style = getComputedStyle(document.body);
        return { color: style.color, background: style.backgroundColor };
      });
      assert.notEqual(colors.color, colors.background, theme);
      const file = await dashboard.screenshot(`dashboard-${theme}`);
      assert.ok(fs.statSync(file).size > 20_000, `${file} has content`);
    }
    await dashboard.setTheme('light');
  });

  it('loads older decisions on request: the next page below the first, as the ledger orders them', async () => {
    const page = dashboard.page;
    const first = latestDecisions(db, 25);
    await page.click('[data-testid=load-more]');
    await waitFor(async () => (await page.locator('[data-testid=decision-row]').count()) === 50, 'the second page of decisions');
    const asked = dashboard.fromPage.filter((m) => m.type === 'loadDecisions');
    assert.deepEqual(asked.map((m) => m.type === 'loadDecisions' && m.before), [{ startedAt: first.at(-1)!.startedAt, id: first.at(-1)!.id }]);
    const shown = await page.$$eval('[data-testid=decision-row]', (trs) => trs.map((tr) => tr.getAttribute('data-id')));
    assert.deepEqual(shown, latestDecisions(db, 50).map((r) => r.id));
    assert.equal(await page.isVisible('[data-testid=load-more]'), true, 'the ledger holds more');
  });
});

describe('dashboard page in Chromium: empty ledger and restore', function () {
  this.timeout(120_000);

  it('explains how to make the first routed request, in light and dark', async () => {
    const db = await dbWith([]);
    const host = new FixtureHost(db, { ...DEFAULT_CONFIG, budget: { dailyUsd: 5, monthlyUsd: 100, onExceed: 'warn', timeZone: TIME_ZONE } }, NOW);
    const dashboard = await openDashboardPage({ host, theme: 'dark', viewport: { width: 1000, height: 700 } });
    try {
      await dashboard.rendered(1);
      const page = dashboard.page;
      assert.equal(await page.isVisible('[data-testid=empty-state]'), true);
      const text = (await page.textContent('[data-testid=empty-state]')) ?? '';
      assert.match(text, /No routed requests yet/);
      assert.match(text, /Model Router: Explain/);
      await page.click('[data-testid=empty-set-key]');
      await waitFor(() => dashboard.fromPage.some((m) => m.type === 'runCommand' && m.command === 'setApiKey'), 'runCommand');
      await dashboard.screenshot('dashboard-empty-dark');
      await dashboard.setTheme('light');
      await dashboard.screenshot('dashboard-empty-light');
      // The first request arrives: the page leaves the empty state by itself.
      insertRecords(db, [ledgerRecord({ id: 'first', startedAt: NOW - 1000 })]);
      host.changes.fire('ledger');
      await dashboard.rendered(2);
      assert.equal(await page.isVisible('[data-testid=empty-state]'), false);
      assert.equal(await page.textContent('[data-testid=summary-requests]'), '1');
      // No cascade yet: the section says what it is and which setting turns it on.
      await waitFor(async () => (await page.locator('[data-testid=verified-empty]').count()) === 1, 'the verified-routing section');
      assert.match((await page.textContent('[data-testid=verified-empty]')) ?? '', /No verified requests in the last 30 days\. With modelRouter\.verify\.run set to ask or on/);
    } finally {
      await dashboard.close();
    }
    assert.deepEqual(dashboard.problems, []);
  });

  it('restores the saved range after a reload (the serializer passes the saved state)', async () => {
    const db = await dbWith(fixtureRecords());
    const host = new FixtureHost(db, configFor(db), NOW);
    const dashboard = await openDashboardPage({ host, theme: 'high-contrast', state: { rangeDays: 7, expanded: ['hostile'] } });
    try {
      await dashboard.rendered(1);
      assert.deepEqual(dashboard.fromPage[0], { type: 'ready', protocol: 1, rangeDays: 7 });
      assert.equal(await dashboard.page.locator('[data-testid=spend-row]').count(), 7);
      assert.equal(await dashboard.page.getAttribute('[data-testid=range-7]', 'aria-checked'), 'true');
      assert.equal(await dashboard.page.locator('[data-testid=attempt-row]').count(), 2, 'the expanded row is restored');
    } finally {
      await dashboard.close();
    }
    assert.deepEqual(dashboard.problems, []);
  });
});
