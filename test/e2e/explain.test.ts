/**
 * What a person does first: open a file, select a function, run "Model Router: Explain" from the palette, watch the
 * progress notification name the route, and read the answer streaming into a Markdown document beside the code.
 *
 * Demo mode (MODEL_ROUTER_DEMO=1, as `npm run dev -- --demo`): the simulated providers' placeholder keys come from
 * the environment, so every provider is usable without storing a key first (storing one is setApiKey.test.ts).
 */
import * as assert from 'node:assert/strict';

import { INVOICE_PATH, INVOICE_PY, INVOICE_TOTAL_LINES } from './fixtures';
import { E2ESession, escapeRegExp, squash } from './harness';

/** What the fake answers, recognisable on screen and distinct from the fakes' default text. */
const ANSWER =
  'EXPLAINED-BY-FAKE: invoice_total sums each line net of a volume discount (5% from 10 units, 10% from 100), ' +
  'skips empty lines, then adds VAT and rounds to whole cents.';

describe('Model Router: Explain, from the command palette on a selection', () => {
  let vs: E2ESession;

  before(async () => {
    vs = await E2ESession.start({
      env: { MODEL_ROUTER_DEMO: '1' },
      workspaceFiles: { [INVOICE_PATH]: INVOICE_PY },
    });
    await vs.recordNotifications();
  });

  after(async () => {
    await vs?.stop();
  });

  it('opens a real file of the workspace and selects a function', async () => {
    await vs.openFile(INVOICE_PATH);
    await vs.selectLines(...INVOICE_TOTAL_LINES);
    await vs.screenshot('invoice.py with invoice_total selected');
  });

  it('runs Explain: the progress notification names the route, the answer streams into a Markdown document', async () => {
    const fakes = vs.fakes!;
    // Slow enough to watch: 1.5 s before the first byte (the progress notification is up), then one word every 150 ms.
    const step = { chunks: ANSWER.match(/\S+\s*/g)!, ttfbMs: 1_500, chunkIntervalMs: 150 };
    for (const fake of [fakes.openai, fakes.anthropic, fakes.gemini]) fake.enqueue(step);

    await vs.runCommand('Model Router: Explain', { screenshot: 'palette shows Model Router Explain' });
    const progress = await vs.waitForNotification(/Model Router: Explain/);
    await vs.waitForNotificationHistory(/complexity/);
    await vs.page.waitForTimeout(300); // still waiting for the first byte: the plan stays on screen
    await vs.screenshot('progress notification names the route');
    const progressShown = squash(await progress.innerText());

    // The answer document opens beside the code as soon as the first words arrive, and grows.
    const title = 'Explain — invoice.py:11-19.md';
    await vs.editorTab(title).waitFor({ timeout: 30_000 });
    const partial = squash(await vs.waitForEditorText(title, /EXPLAINED-BY-FAKE/, 30_000));
    await vs.screenshot('answer streaming into the document');
    const done = squash(await vs.waitForEditorText(title, /tokens\s+·\s+\$0\s+·/, 30_000)); // the footer ends the run
    await vs.screenshot('answer document shows the simulated explanation');

    // Which fake answered, and what it was sent: the selection, not the file.
    const served = [fakes.openai, fakes.anthropic, fakes.gemini].filter((fake) => fake.modelRequests.length > 0);
    assert.equal(served.length, 1, 'exactly one simulated provider was asked');
    const request = served[0]!.modelRequests[0]!;
    assert.match(request.rawBody, /def invoice_total\(lines: list\[Line\], vat_rate: float\) -> int:/, 'the selection was sent');
    assert.match(request.rawBody, /return round\(net \* \(1 \+ vat_rate\)\)/, 'the selection was sent to its last line');
    assert.doesNotMatch(request.rawBody, /class Line:/, 'only the selection was sent, not the whole file');

    // The route, before anything was sent: the plan headline names model, complexity, tier and estimate.
    const history = await vs.notificationHistory();
    const plan = history.find((text) => text.startsWith('Model Router: Explain: ') && text.includes('complexity'));
    assert.ok(plan, `a progress message showed the plan; seen: ${JSON.stringify(history)}`);
    assert.match(plan, new RegExp(`^Model Router: Explain: local/${escapeRegExp(request.model!)} · complexity \\d+/10 · light tier · est\\. \\$0 · 9 lines`));
    assert.match(progressShown, new RegExp(`Model Router: Explain: local/${escapeRegExp(request.model!)} · complexity \\d+/10 · light tier · est\\. \\$0`), 'the screenshot shows the plan');
    assert.ok(!history.some((text) => text.includes('sending…')), 'the plan was not replaced by "sending…" for the first attempt');
    assert.match(progressShown, /Cancel/, 'the progress notification can be cancelled');

    // Streamed: the document showed the first words before the last ones had arrived.
    assert.doesNotMatch(partial, /rounds to whole cents\./, `a partial answer was on screen: ${partial}`);
    assert.match(done, /^# Explain `billing\/invoice\.py:11-19` /);
    assert.ok(done.includes(squash(ANSWER)), `the whole answer is in the document: ${done}`);
    assert.match(done, new RegExp(`\\*local/${escapeRegExp(request.model!)} · [\\d,]+ → [\\d,]+ tokens · \\$0 · [\\d.]+ s\\*`));
    assert.equal(await vs.page.locator('.notifications-toasts .notification-toast').count(), 0, 'the progress notification is gone');
  });
});
