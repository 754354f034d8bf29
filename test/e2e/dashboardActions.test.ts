/**
 * The cost dashboard's actions in a real VS Code: the range selector, a recommendation's Apply (confirmed or declined
 * in VS Code's modal dialog) and Export CSV / JSON through VS Code's save dialog, each checked against the files they
 * must change: the ledger on disk, the user settings.json and the exported file.
 *
 * The ledger is SEEDED (test/e2e/ledgerSeed.ts): before code-server starts, the journal of another, since closed,
 * window is written into the extension's global storage `ledger/` folder, as records made by the extension's own
 * `toLedgerRecord` from router decisions (the router's complexity estimate and the built-in prices): 20 light
 * explainer requests of the last 5 days (10 answered by Gemini's light model, 10 "Retry with a Stronger Model" runs
 * answered one tier up), a review 20 days ago and a design question 60 days ago. Routing the 20 requests live through
 * the simulated providers would take minutes of UI steps and could not put the older ones in the past; the store
 * merges such a journal on open exactly as it merges any window's. The explainer chain is gemini → openai → anthropic
 * (user settings), so the ledger calls for one recommendation: put OpenAI (the cheapest light model of the chain)
 * first.
 *
 * The expected numbers are computed here from the seeded records and the price table, not read from the extension.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { LedgerRecord } from '../../src/core/ledger/record';
import { costNanoUsd, createPriceTable } from '../../src/core/pricing/cost';
import { formatUsd } from '../../src/core/util/format';
import { type DashboardText, DashboardView, type LedgerRequest, readLedgerRequests } from './dashboardView';
import { E2ESession, poll, squash, STEP_TIMEOUT_MS } from './harness';
import { type LedgerSeed, ledgerSeed, SEED_EXPLAINER_CHAIN } from './ledgerSeed';

const EXPLAINER_KEY = 'modelRouter.agents.explainer';
/** What the recommendation must write: OpenAI (gpt-6-luna, the chain's cheapest light model) moved to the front. */
const NEW_CHAIN = ['openai', 'gemini', 'anthropic'];
const RECOMMENDATION_ID = 'cheaper-tier:explainer:openai';
const RECOMMENDATION_TITLE = 'explainer: light work goes to premium models';

const usd = (nano: number): number => nano / 1e9;
const sumNano = (records: readonly { costNano: number }[]): number => records.reduce((sum, r) => sum + r.costNano, 0);

/** The calendar day ("YYYY-MM-DD") of `ms` in `timeZone`, as the dashboard keys its days. */
function dayKey(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/**
 * The saving the cheaper-tier recommendation must show, from the seeded rows: what the retries (light work answered
 * above the light tier) cost, minus the same requests (average tokens per model, times the count) at the price of
 * openai/gpt-6-luna.
 */
function expectedSaving(seed: LedgerSeed): { actualNano: number; estimatedNano: number; savingNano: number } {
  const luna = createPriceTable().priceOf('openai', 'gpt-6-luna');
  assert.ok(luna, 'the price table knows openai/gpt-6-luna');
  const groups = new Map<string, LedgerRecord[]>();
  for (const r of seed.retries) groups.set(`${r.provider}/${r.model}`, [...(groups.get(`${r.provider}/${r.model}`) ?? []), r]);
  let estimatedNano = 0;
  for (const rows of groups.values()) {
    const avg = (pick: (r: LedgerRecord) => number): number => rows.reduce((sum, r) => sum + pick(r), 0) / rows.length;
    estimatedNano +=
      rows.length *
      costNanoUsd(luna, {
        inputTokens: avg((r) => r.inputTokens),
        outputTokens: avg((r) => r.outputTokens),
        cacheReadTokens: avg((r) => r.cacheReadTokens),
        cacheWriteTokens: avg((r) => r.cacheWriteTokens),
      });
  }
  const actualNano = sumNano(seed.retries);
  return { actualNano, estimatedNano, savingNano: actualNano - estimatedNano };
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe('Model Router: the dashboard\'s actions in VS Code (range, recommendation Apply / decline, Export CSV / JSON)', () => {
  let seed: LedgerSeed;
  let saving: ReturnType<typeof expectedSaving>;
  /** The seeded requests in each range (the review is 20 days old, the question 60). */
  let inRange: Record<7 | 30 | 90, readonly LedgerRecord[]>;
  let vs: E2ESession;
  let dashboard: DashboardView;
  let timeZone = '';

  before(async () => {
    // Made now, not when mocha loads the file: in a run of every spec this one may start minutes later.
    seed = ledgerSeed(Date.now());
    saving = expectedSaving(seed);
    inRange = {
      7: [...seed.explains, ...seed.retries],
      30: [...seed.explains, ...seed.retries, seed.review20d],
      90: seed.records,
    };
    vs = await E2ESession.start({
      env: { MODEL_ROUTER_DEMO: '1' },
      userDataFiles: { [seed.file]: seed.content },
      userSettings: { [EXPLAINER_KEY]: [...SEED_EXPLAINER_CHAIN] },
      viewport: { width: 1600, height: 1000 },
    });
    dashboard = new DashboardView(vs);
    await vs.recordNotifications();
  });

  after(async () => {
    await vs?.stop();
  });

  /** The ledger on disk (journals and ledger.sqlite, read without the extension): the seeded requests, nothing else. */
  async function ledgerOnDisk(): Promise<LedgerRecord[]> {
    const requests = await readLedgerRequests(vs.ledgerDir);
    const fields = (r: LedgerRequest): LedgerRequest => ({
      id: r.id, startedAt: r.startedAt, agent: r.agent, command: r.command, provider: r.provider, model: r.model,
      outcome: r.outcome, inputTokens: r.inputTokens, outputTokens: r.outputTokens, costNano: r.costNano,
    });
    assert.deepEqual(requests.map(fields), seed.records.map(fields), 'the ledger on disk holds the seeded requests, nothing else');
    return [...seed.records];
  }

  /** What the page must show for a range: its requests, their cost, the agents among them, one chart row per day. */
  function checkRange(page: DashboardText, days: 7 | 30 | 90, rows: { day: string; total: string }[]): void {
    const expected = inRange[days];
    assert.equal(page.subtitle.split(' · ')[0], `Last ${days} days`);
    assert.equal(page.summary.requests, String(expected.length), `${days} days: the requests of the range`);
    assert.equal(page.summary.cost, formatUsd(usd(sumNano(expected))), `${days} days: their cost`);
    assert.deepEqual(
      page.byAgent.map((row) => row.key).sort(),
      [...new Set(expected.map((r) => r.agent))].sort(),
      `${days} days: the agents of the range`,
    );
    assert.match(page.chart.label, new RegExp(`over the last ${days} days: \\${formatUsd(usd(sumNano(expected)))} in total`));
    assert.equal(rows.length, days, `${days} days: one chart row per day`);
    assert.equal(rows[rows.length - 1]!.day, dayKey(Date.now(), timeZone), 'the last day is today');
    // Each seeded request is in the range exactly when its day is one of the range's days.
    const shownDays = new Set(rows.map((row) => row.day));
    assert.deepEqual(
      seed.records.filter((r) => shownDays.has(dayKey(r.startedAt, timeZone))).map((r) => r.id).sort(),
      expected.map((r) => r.id).sort(),
      `${days} days: the days shown are those of the expected requests`,
    );
    const reviewDay = rows.find((row) => row.day === dayKey(seed.review20d.startedAt, timeZone));
    if (days === 7) assert.equal(reviewDay, undefined, 'the review of 20 days ago is not in the last 7 days');
    else assert.equal(reviewDay?.total, formatUsd(usd(seed.review20d.costNano)), `${days} days: the review's day shows its cost`);
  }

  it('4. the range selector (7 / 30 / 90) changes what the page shows: a request 20 days old counts in 30 and 90, not in 7', async () => {
    await ledgerOnDisk();
    const opened = await dashboard.openFromPalette();
    assert.equal(opened.error, '');
    assert.equal(opened.empty, false, 'the seeded ledger is not empty');
    timeZone = opened.subtitle.split(' · ')[1] ?? '';
    assert.ok(timeZone !== '', `the subtitle names the time zone: ${opened.subtitle}`);
    assert.equal(await dashboard.checkedRange(), 30, 'the dashboard opens on 30 days');
    const at30 = await dashboard.waitFor((page) => page.summary.requests === '21', 'the 21 requests of the last 30 days');
    checkRange(at30, 30, await dashboard.spendRows());
    await dashboard.waitForRecommendations();
    await vs.screenshot('range 30 days: 21 requests, the review of 20 days ago included');

    const at7 = await dashboard.selectRange(7);
    assert.equal(await dashboard.checkedRange(), 7);
    // "Loading the last 7 days…" goes once they are shown.
    await dashboard.waitForStatus(/^$/);
    checkRange(at7, 7, await dashboard.spendRows());
    const recommendations7 = await dashboard.waitForRecommendations();
    assert.match(recommendations7[0]!.saving, /per 7 days$/, 'the saving is said per range');
    await vs.screenshot('range 7 days: 20 requests, the review of 20 days ago left out');

    const at90 = await dashboard.selectRange(90);
    assert.equal(await dashboard.checkedRange(), 90);
    await dashboard.waitForStatus(/^$/);
    checkRange(at90, 90, await dashboard.spendRows());
    await vs.screenshot('range 90 days: 22 requests, the question of 60 days ago included');

    const back = await dashboard.selectRange(30);
    checkRange(back, 30, await dashboard.spendRows());
    // The range is the page's state, not a filter of the decisions list (it always shows the latest).
    assert.equal(back.decisions[0]!.id, [...seed.records].sort((a, b) => b.startedAt - a.startedAt)[0]!.id);
  });

  it('1. a recommendation shows the money it would save; 2. declining its modal (Cancel, Escape) writes nothing', async () => {
    const recommendations = await dashboard.waitForRecommendations();
    assert.equal(recommendations.length, 1, `one recommendation: ${JSON.stringify(recommendations)}`);
    const recommendation = recommendations[0]!;
    assert.equal(recommendation.id, RECOMMENDATION_ID);
    assert.equal(recommendation.title, RECOMMENDATION_TITLE);
    const dollars = (nano: number): string => formatUsd(usd(nano));
    for (const part of [
      "100% of explainer's 20 requests were light",
      `yet 10 of them were answered above the light tier for ${dollars(saving.actualNano)}`,
      `openai/gpt-6-luna would have cost about ${dollars(saving.estimatedNano)}`,
      `put openai first in explainer's chain to save about ${dollars(saving.savingNano)}`,
    ]) {
      assert.ok(recommendation.detail.includes(part), `the detail says "${part}": ${recommendation.detail}`);
    }
    assert.ok(saving.savingNano > 0);
    assert.equal(recommendation.saving, `Saves about ${formatUsd(usd(saving.savingNano))} per 30 days`, 'the money it would save');
    assert.deepEqual(recommendation.changes, [`explainer: ${NEW_CHAIN.join(' → ')}`], 'what applying writes');
    assert.deepEqual(recommendation.apply, { label: 'Apply…', disabled: false });
    await dashboard.scrollTo('recommendations');
    await vs.screenshot('recommendation with its saving and Apply button');

    const settingsBefore = fs.readFileSync(vs.userSettingsFile, 'utf8');
    assert.deepEqual(vs.readUserSettings()[EXPLAINER_KEY], [...SEED_EXPLAINER_CHAIN]);
    for (const decline of ['Cancel', 'Escape'] as const) {
      await dashboard.clickApply(RECOMMENDATION_ID);
      const dialog = await vs.waitForDialog();
      assert.equal(dialog.message, RECOMMENDATION_TITLE);
      assert.ok(dialog.detail.startsWith(recommendation.detail), `the modal repeats the detail: ${dialog.detail}`);
      assert.match(dialog.detail, new RegExp(`This writes your user settings:\\s*explainer: ${NEW_CHAIN.join(' → ')}$`), 'the modal names the new chain');
      assert.deepEqual([...dialog.buttons].sort(), ['Apply', 'Cancel']);
      if (decline === 'Cancel') {
        await vs.screenshot('Apply asks in a modal dialog');
        await vs.clickDialogButton('Cancel');
      } else {
        await vs.page.keyboard.press('Escape');
        await vs.dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
      }
      await dashboard.waitForStatus(/^Not applied\.$/);
      // Nothing is written, not even late.
      await vs.page.waitForTimeout(1_000);
      assert.equal(fs.readFileSync(vs.userSettingsFile, 'utf8'), settingsBefore, `after ${decline}: settings.json unchanged`);
      const still = await dashboard.waitForRecommendations();
      assert.deepEqual(still.map((r) => ({ id: r.id, apply: r.apply })), [{ id: RECOMMENDATION_ID, apply: { label: 'Apply…', disabled: false } }], `after ${decline}: still offered`);
    }
    await vs.screenshot('declined: nothing written, the recommendation still offered');
  });

  it('1. Apply, confirmed in the modal, writes the explainer\'s chain to the user settings.json; the Agents tree and the dashboard follow', async () => {
    const before = vs.readUserSettings();
    await dashboard.clickApply(RECOMMENDATION_ID);
    const dialog = await vs.waitForDialog();
    assert.equal(dialog.message, RECOMMENDATION_TITLE);
    await vs.clickDialogButton('Apply');
    await dashboard.waitForStatus(new RegExp(`^Applied: ${RECOMMENDATION_TITLE}\\.$`));

    // settings.json: the explainer's chain, and nothing else changed.
    let after: Record<string, unknown> = {};
    await poll(
      async () => JSON.stringify((after = vs.readUserSettings())[EXPLAINER_KEY]) === JSON.stringify(NEW_CHAIN),
      STEP_TIMEOUT_MS,
      () => `settings.json does not hold the new explainer chain: ${JSON.stringify(after)}`,
    );
    assert.deepEqual({ ...after, [EXPLAINER_KEY]: undefined }, { ...before, [EXPLAINER_KEY]: undefined }, 'no other setting changed');

    // The dashboard: OpenAI leads now, so the ledger calls for nothing more.
    const none = await dashboard.waitForRecommendations('none');
    assert.deepEqual(none, []);
    assert.match(squash(await dashboard.frame.locator('[data-testid="recommendations"]').innerText()), /Nothing to recommend for the last 30 days/);
    await dashboard.scrollTo('recommendations');
    await vs.screenshot('applied: settings written, nothing more to recommend');
    await dashboard.scrollToTop();

    // The log says what was written.
    const logFile = vs.outputChannelLogFile('Model Router');
    await poll(
      async () => !!logFile && fs.readFileSync(logFile, 'utf8').includes(`Recommendation applied (${RECOMMENDATION_ID}): explainer: ${NEW_CHAIN.join(' → ')}`),
      STEP_TIMEOUT_MS,
      () => `the log (${logFile}) does not record the applied recommendation`,
    );

    // The Agents tree shows the new chain, role by role.
    await vs.openViewContainer('Model Router');
    await vs.waitForTreeItem('Agents', 'explainer', new RegExp(`^${NEW_CHAIN.join(' → ')}$`));
    await vs.expandTreeItem('Agents', 'explainer');
    await vs.waitForTreeItem('Agents', 'primary: OpenAI');
    const items = await vs.treeItems('Agents');
    const start = items.findIndex((item) => item.level === 1 && item.label === 'explainer');
    assert.deepEqual(
      items.slice(start + 1, start + 4).map((item) => item.label),
      ['primary: OpenAI', 'secondary: Gemini', 'fallback: Anthropic'],
    );
    await vs.screenshot('Agents tree shows the applied explainer chain');
  });

  it('3. Export CSV and Export JSON write the range\'s requests (count and total cost) to the file chosen in the save dialog', async () => {
    const ledger = await ledgerOnDisk();
    await dashboard.tab().click();
    await dashboard.waitFor((page) => page.drawn && page.subtitle.startsWith('Last 30 days'), 'the 30 day range');
    const workspace = vs.server.workspace;
    const csvFile = path.join(workspace, 'costs.csv');
    const jsonFile = path.join(workspace, 'costs.json');
    const offeredName = async (format: string): Promise<string> => {
      const rows = await dashboard.spendRows();
      return path.join(workspace, `model-router-costs-${rows[0]!.day}-to-${rows[rows.length - 1]!.day}.${format}`);
    };
    const expectedOf = (days: 7 | 30 | 90): LedgerRecord[] => ledger.filter((r) => inRange[days].some((e) => e.id === r.id));

    // A cancelled dialog writes nothing.
    await dashboard.clickExport('csv');
    await vs.quickInput.locator('.quick-input-title', { hasText: 'Model Router: export costs' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await vs.quickInput.locator('.quick-input-box input').focus();
    await vs.pressEscape();
    await dashboard.waitForStatus(/^Export cancelled\.$/);
    assert.deepEqual(fs.readdirSync(workspace).filter((name) => /\.(csv|json)$/.test(name)), [], 'no file written');

    // CSV, last 30 days.
    let notes = (await vs.notificationHistory()).length;
    await dashboard.clickExport('csv');
    const csv30 = await vs.answerSaveDialog(csvFile, { title: 'Model Router: export costs', screenshots: 'Export CSV 30 days' });
    assert.equal(csv30.offered, await offeredName('csv'), 'the dialog offers the range\'s file name in the workspace');
    assert.equal(csv30.overwriteQuestion, undefined);
    await dashboard.waitForStatus(/^Exported the last 30 days as CSV\.$/);
    await vs.waitForNotificationHistory(/^Model Router: costs exported to costs\.csv\./, STEP_TIMEOUT_MS, notes);
    checkCsv(fs.readFileSync(csvFile, 'utf8'), expectedOf(30), 'CSV, 30 days');

    // The file, as a person would look at it.
    await vs.openFile('costs.csv');
    await vs.screenshot('exported CSV of the last 30 days');
    await dashboard.tab().click();

    // JSON, last 7 days.
    await dashboard.waitFor((page) => page.drawn, 'the dashboard again');
    await dashboard.selectRange(7);
    notes = (await vs.notificationHistory()).length;
    await dashboard.clickExport('json');
    const json7 = await vs.answerSaveDialog(jsonFile, { title: 'Model Router: export costs' });
    assert.equal(json7.offered, await offeredName('json'));
    await dashboard.waitForStatus(/^Exported the last 7 days as JSON\.$/);
    await vs.waitForNotificationHistory(/^Model Router: costs exported to costs\.json\./, STEP_TIMEOUT_MS, notes);
    checkJson(fs.readFileSync(jsonFile, 'utf8'), expectedOf(7), 'JSON, 7 days');

    // CSV, last 90 days, over the first file: the dialog asks before overwriting it.
    await dashboard.selectRange(90);
    await dashboard.clickExport('csv');
    const csv90 = await vs.answerSaveDialog(csvFile, { title: 'Model Router: export costs', overwrite: true, screenshots: 'Export CSV 90 days over costs.csv' });
    assert.match(csv90.overwriteQuestion ?? '', /^costs\.csv already exists\. Are you sure you want to overwrite it\?$/);
    await dashboard.waitForStatus(/^Exported the last 90 days as CSV\.$/);
    await poll(
      async () => parseCsv(fs.readFileSync(csvFile, 'utf8')).length === expectedOf(90).length + 1,
      STEP_TIMEOUT_MS,
      () => 'costs.csv was not overwritten with the 90 day export',
    );
    checkCsv(fs.readFileSync(csvFile, 'utf8'), expectedOf(90), 'CSV, 90 days');
    await vs.screenshot('exported again: 90 days over costs.csv');
  });

  /** One line per request of the range (ids, count, total cost to the nano-dollar), the attempts summed up. */
  function checkCsv(text: string, expected: readonly LedgerRecord[], what: string): void {
    const [header, ...rows] = parseCsv(text);
    assert.ok(header, `${what}: a header line`);
    const col = (name: string): number => {
      const at = header.indexOf(name);
      assert.ok(at >= 0, `${what}: a "${name}" column in ${JSON.stringify(header)}`);
      return at;
    };
    const [id, agent, model, cost, attempts] = ['id', 'agent', 'model', 'cost_usd', 'attempts'].map(col) as [number, number, number, number, number];
    assert.equal(rows.length, expected.length, `${what}: one row per request of the range`);
    assert.deepEqual(rows.map((row) => row[id]).sort(), expected.map((r) => r.id).sort(), `${what}: the range's requests`);
    const totalNano = rows.reduce((sum, row) => sum + Math.round(Number(row[cost]) * 1e9), 0);
    assert.equal(totalNano, sumNano(expected), `${what}: the total cost equals the ledger's`);
    assert.equal(formatUsd(usd(totalNano)), formatUsd(usd(sumNano(expected))));
    for (const row of rows) {
      const record = expected.find((r) => r.id === row[id])!;
      assert.equal(row[agent], record.agent);
      assert.equal(row[model], record.model);
      assert.equal(row[attempts], record.attempts.map((a) => `${a.provider}/${a.model}:${a.status}${a.errorKind ? `(${a.errorKind})` : ''}`).join(' > '));
    }
  }

  /** The range's requests, each the ledger's record with its attempts (and USD next to the nano-dollars). */
  function checkJson(text: string, expected: readonly LedgerRecord[], what: string): void {
    const data = JSON.parse(text) as { from: string; to: string; timeZone: string; requests: (LedgerRecord & { costUsd: number; startedAtIso: string })[] };
    assert.equal(data.timeZone, timeZone);
    assert.equal(data.requests.length, expected.length, `${what}: one entry per request of the range`);
    assert.equal(sumNano(data.requests), sumNano(expected), `${what}: the total cost equals the ledger's`);
    const sorted = [...expected].sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
    assert.deepEqual(
      data.requests.map(({ costUsd: _usd, startedAtIso: _iso, ...record }) => record),
      sorted,
      `${what}: each entry is the recorded request, oldest first`,
    );
    for (const r of data.requests) {
      assert.equal(r.costUsd, usd(r.costNano));
      assert.equal(r.startedAtIso, new Date(r.startedAt).toISOString());
    }
    assert.ok(Date.parse(data.from) <= sorted[0]!.startedAt, `${what}: the range starts before its oldest request`);
  }
});
