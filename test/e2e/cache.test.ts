/**
 * The answer cache as a person meets it: Explain on a function, then Explain on the same selection again. The second
 * answer comes from the cache: the simulated provider is not asked again, the answer document ends with "cached from
 * <time> ($0; saved $…)", a notification offers "Ask Again", and the ledger records the repeat at $0 with what it
 * saved; the dashboard's decision row says "cached from". "Ask Again" reaches the provider.
 */
import * as assert from 'node:assert/strict';

import { DashboardView, waitForLedgerRequests } from './dashboardView';
import { INVOICE_PATH, INVOICE_PY, INVOICE_TOTAL_LINES } from './fixtures';
import { E2ESession, poll, squash, STEP_TIMEOUT_MS } from './harness';

const EXPLAIN_TAB = 'Explain — invoice.py:11-19.md';
const ANSWER = 'CACHE-E2E: invoice_total sums the discounted lines and adds VAT.';

describe('Model Router: an exact repeat answered from the answer cache', () => {
  let vs: E2ESession;

  before(async () => {
    vs = await E2ESession.start({
      env: { MODEL_ROUTER_DEMO: '1' },
      workspaceFiles: { [INVOICE_PATH]: INVOICE_PY },
      userSettings: { 'modelRouter.agents.explainer': ['openai', 'anthropic'] },
    });
    await vs.recordNotifications();
  });

  after(async () => {
    await vs?.stop();
  });

  it('answers the second Explain of the same code from the cache at $0, marked, recorded, and asks again on request', async () => {
    const fakes = vs.fakes!;
    fakes.openai.enqueue({ text: ANSWER, usage: { input: 12_000, output: 6_000 } });
    await vs.openFile(INVOICE_PATH);
    await vs.selectLines(...INVOICE_TOTAL_LINES);
    await vs.runCommand('Model Router: Explain');
    const first = await vs.waitForEditorText(EXPLAIN_TAB, /\$[\d.\s]+·[\d.\s]+m?\s*s\s*\*/, 30_000);
    assert.ok(squash(first).includes(ANSWER));
    assert.doesNotMatch(squash(first), /cached from/);
    assert.equal(fakes.openai.modelRequests.length, 1);

    // The same selection, the same command: close the answer, go back to the code, run it again.
    await vs.runCommand('View: Close All Editors');
    await vs.openFile(INVOICE_PATH);
    await vs.selectLines(...INVOICE_TOTAL_LINES);
    await vs.runCommand('Model Router: Explain');
    const second = await vs.waitForEditorText(EXPLAIN_TAB, /cached\s*from\s*\d{2}:\d{2}/, 30_000);
    await vs.screenshot('the repeat answered from the cache');
    assert.ok(squash(second).includes(ANSWER), 'the cached answer is the first one');
    assert.match(squash(second).replace(/\s+/g, ''), /cachedfrom\d{2}:\d{2}\(\$0;saved\$[\d.]+\)/);
    assert.equal(fakes.openai.modelRequests.length, 1, 'the provider was not asked again');
    assert.equal(fakes.anthropic.modelRequests.length, 0);

    const recorded = await waitForLedgerRequests(vs.ledgerDir, 2);
    assert.equal(recorded.length, 2);
    assert.equal(recorded[1]!.costNano, 0, 'the repeat cost nothing');
    assert.equal(recorded[1]!.outcome, 'answered');
    assert.deepEqual(recorded[1]!.cached && { saved: recorded[1]!.cached.savedNano }, { saved: recorded[0]!.costNano }, 'it saved what the first answer cost');

    // "Ask Again" (offered with the cached answer) sends the request to the model after all.
    fakes.openai.enqueue({ text: 'CACHE-E2E: a fresh answer.' });
    const toast = await vs.waitForNotification(/answered from the cache/, STEP_TIMEOUT_MS);
    assert.match(squash(await toast.innerText()), /cached from \d{2}:\d{2}/);
    await vs.clickNotificationButton(toast, 'Ask Again');
    await poll(async () => fakes.openai.modelRequests.length === 2, 30_000, () => `the provider was asked ${fakes.openai.modelRequests.length} times, not twice`);
    const all = await waitForLedgerRequests(vs.ledgerDir, 3, 30_000);
    assert.equal(all[2]!.cached, undefined, 'the fresh answer is no cached one');
    assert.ok(all[2]!.costNano > 0);

    // The dashboard marks the cached one, and only it.
    const dashboard = new DashboardView(vs);
    await dashboard.openFromPalette();
    const page = await dashboard.waitFor((p) => p.decisions.length === 3, 'three decisions');
    await vs.screenshot('the dashboard marks the cached answer');
    assert.deepEqual(
      page.decisions.map((d) => /cached from [\w\s,:]+ \(saved \$[\d.]+\)/.test(d.outcome)),
      [false, true, false],
      `newest first, the middle one was cached: ${JSON.stringify(page.decisions.map((d) => d.outcome))}`,
    );
  });
});
