/**
 * "Model Router: Compare Models…" as a person uses it: select a function, pick a task and the model to compare the
 * routed one with; both answers stream into two documents side by side; the notification asks which is better and
 * the pick ("B is better") is recorded in the ledger as feedback on both answers; the dashboard's Feedback table
 * shows the win and the loss.
 */
import * as assert from 'node:assert/strict';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { LedgerFeedbackLine } from './dashboardView';
import { DashboardView, readLedgerFeedback, waitForLedgerRequests } from './dashboardView';
import { INVOICE_PATH, INVOICE_PY, INVOICE_TOTAL_LINES } from './fixtures';
import { E2ESession, poll, squash, STEP_TIMEOUT_MS } from './harness';

const ANSWER_A = 'COMPARE-E2E-A: the routed model explains invoice_total.';
const ANSWER_B = 'COMPARE-E2E-B: the other model explains invoice_total.';
const B_MODEL = DEFAULT_CONFIG.providers.anthropic!.models.medium!;

describe('Model Router: Compare Models (two answers side by side, a pick, the dashboard showing it)', () => {
  let vs: E2ESession;

  before(async () => {
    vs = await E2ESession.start({
      env: { MODEL_ROUTER_DEMO: '1' },
      workspaceFiles: { [INVOICE_PATH]: INVOICE_PY },
      // The explainer routes to OpenAI (no local model first): A is OpenAI's, B the Anthropic model picked below.
      userSettings: { 'modelRouter.agents.explainer': ['openai', 'anthropic'], 'workbench.editor.splitSizing': 'split' },
      viewport: { width: 1920, height: 1080 },
    });
    await vs.recordNotifications();
  });

  after(async () => {
    await vs?.stop();
  });

  it('streams both answers, records the pick on both, and the dashboard counts the win and the loss', async () => {
    const fakes = vs.fakes!;
    fakes.openai.enqueue({ text: ANSWER_A, usage: { input: 2_000, output: 400 } });
    fakes.anthropic.enqueue({ text: ANSWER_B, usage: { input: 2_000, output: 400 } });
    await vs.openFile(INVOICE_PATH);
    await vs.selectLines(...INVOICE_TOTAL_LINES);
    await vs.runCommand('Model Router: Compare Models…');
    await vs.pickQuickItem('Explain', { title: /Compare Models… \(1\/2\)/ });
    await vs.pickQuickItem(`anthropic/${B_MODEL}`, { title: /Compare Models… \(2\/2\)/, screenshot: 'the models to compare' });

    const a = await vs.waitForEditorText(/^Compare A — openai-/, /COMPARE-E2E-A[\s\S]*\*\s*$/, 30_000);
    const b = await vs.waitForEditorText(new RegExp(`^Compare B — anthropic-${B_MODEL.replace(/[.]/g, '\\.')}`), /COMPARE-E2E-B[\s\S]*\*\s*$/, 30_000);
    await vs.screenshot('two answers side by side');
    assert.ok(squash(a).includes(ANSWER_A) && !squash(a).includes('COMPARE-E2E-B'), 'A holds the routed model\'s answer only');
    assert.ok(squash(b).includes(ANSWER_B) && !squash(b).includes('COMPARE-E2E-A'), 'B holds the other model\'s answer only');
    assert.equal(fakes.openai.modelRequests.length, 1);
    assert.equal(fakes.anthropic.modelRequests.length, 1);
    assert.equal(fakes.anthropic.modelRequests[0]!.model, B_MODEL);

    const toast = await vs.waitForNotification(/which answer is better\?/, STEP_TIMEOUT_MS);
    assert.match(squash(await toast.innerText()), new RegExp(`A: openai/.+ · B: anthropic/${B_MODEL.replace(/[.]/g, '\\.')}`));
    await vs.clickNotificationButton(toast, 'B is better');

    const requests = await waitForLedgerRequests(vs.ledgerDir, 2);
    assert.deepEqual(requests.map((r) => r.command), ['modelRouter.compareModels', 'modelRouter.compareModels']);
    let picks: LedgerFeedbackLine[] = [];
    await poll(async () => (picks = await readLedgerFeedback(vs.ledgerDir)).length === 2, STEP_TIMEOUT_MS, () => `feedback lines: ${JSON.stringify(picks)}`);
    const byProvider = Object.fromEntries(picks.map((p) => [p.provider, p]));
    assert.equal(byProvider.anthropic?.kind, 'compare-win');
    assert.equal(byProvider.openai?.kind, 'compare-loss');
    assert.ok(byProvider.anthropic?.comparison && byProvider.anthropic.comparison === byProvider.openai?.comparison, 'one comparison');
    assert.deepEqual(new Set(picks.map((p) => p.requestId)), new Set(requests.map((r) => r.id)), 'each pick names its request');

    const dashboard = new DashboardView(vs);
    await dashboard.openFromPalette();
    await dashboard.waitFor((p) => p.decisions.length === 2, 'two decisions');
    let rows: { key: string; wins: string; losses: string }[] = [];
    await poll(
      async () => {
        rows = await dashboard.frame.locator('[data-testid="feedback-row"]').evaluateAll((els) =>
          els.map((row) => ({
            key: row.getAttribute('data-key') ?? '',
            wins: row.querySelector('[data-testid="wins"]')?.textContent?.trim() ?? '',
            losses: row.querySelector('[data-testid="losses"]')?.textContent?.trim() ?? '',
          })),
        );
        return rows.length === 2;
      },
      STEP_TIMEOUT_MS,
      () => `the Feedback table: ${JSON.stringify(rows)}`,
    );
    await dashboard.scrollTo('feedback');
    await vs.screenshot('the dashboard counts the comparison');
    const anthropicRow = rows.find((r) => r.key === `explainer anthropic/${B_MODEL}`);
    const openaiRow = rows.find((r) => r.key.startsWith('explainer openai/'));
    assert.deepEqual(anthropicRow && [anthropicRow.wins, anthropicRow.losses], ['1', '0']);
    assert.deepEqual(openaiRow && [openaiRow.wins, openaiRow.losses], ['0', '1']);
  });
});
