/**
 * When a run does not go to plan, against the simulated providers: the user rejects the proposal, cancels a
 * request, or the answer breaks off mid-stream. Each still ends in the ledger, and the user is left with what helps.
 */
import * as assert from 'node:assert/strict';

import * as vscode from 'vscode';

import type { ModelRouterApi } from '../../src/extension';
import type { Control } from './support/control';
import { againstSimulatedProviders, openSample, waitFor } from './support/extension';

const CODE = 'export function clamp(value: number, low: number, high: number): number {\n  return Math.min(Math.max(value, low), high);\n}\n';

describe('Runs that do not go to plan', function () {
  this.timeout(60_000);
  let c: Control;
  let api: ModelRouterApi;

  before(async function () {
    ({ c, api } = await againstSimulatedProviders(this));
  });

  beforeEach(async () => {
    await c.reset();
    for (const fake of ['anthropic', 'openai', 'gemini'] as const) {
      await c.setDefault(fake, { text: `Answer from the ${fake} fake.\n\n\`\`\`ts\n${CODE.replace('Math.min(Math.max(value, low), high)', 'value < low ? low : value > high ? high : value')}\`\`\`\n`, chunkIntervalMs: 5 });
    }
  });

  it('Refactor, then Reject: the file is unchanged, the diff closes, the request and the rejection are in the ledger', async () => {
    const editor = await openSample('reject-sample.ts', CODE, CODE);
    const before = await api.ledgerCount();
    const running = vscode.commands.executeCommand('modelRouter.refactor');
    await c.notification({ message: 'apply the refactor', button: 'Reject' });
    await running;
    const run = api.lastRun();
    assert.equal(run?.decision.outcome, 'answered');
    assert.equal(editor.document.getText(), CODE);
    assert.equal(editor.document.isDirty, false);
    assert.equal(await api.ledgerCount(), before + 1);
    const feedbackOf = async (): Promise<string[]> => (await api.ledgerFeedback()).filter((f) => f.requestId === run.decision.id).map((f) => f.kind);
    await waitFor(async () => (await feedbackOf()).length > 0, () => 'no feedback recorded for the rejected answer');
    assert.deepEqual(await feedbackOf(), ['rejected']);
    await waitFor(
      () => !vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'model-router-proposal')),
      () => 'the proposal diff is still open after Reject',
    );
  });

  it('the status bar names the model of the last run', async () => {
    await openSample('status-sample.ts', CODE, CODE);
    await vscode.commands.executeCommand('modelRouter.explain');
    const model = api.lastRun()?.decision.chosen?.model;
    assert.ok(model, 'the run chose no model');
    await waitFor(() => api.statusBarText().includes(model), () => `status bar: "${api.statusBarText()}"`);
    assert.match(api.statusBarText(), /^\$\(graph\) \$\d/);
  });

  it('Cancel on the progress notification aborts the HTTP request; the run is recorded as aborted', async () => {
    await openSample('cancel-sample.ts', CODE, CODE);
    // Whichever provider Explain tries first never answers.
    for (const fake of ['anthropic', 'openai', 'gemini'] as const) await c.enqueue(fake, { hang: true });
    const before = await api.ledgerCount();
    const running = vscode.commands.executeCommand('modelRouter.explain');
    const hanging = await waitFor(
      async () => {
        for (const fake of ['anthropic', 'openai', 'gemini'] as const) if ((await c.modelRequests(fake)).length > 0) return fake;
        return undefined;
      },
      () => 'no request reached a fake',
    );
    await c.notification({ message: 'Model Router: Explain', button: 'Cancel' });
    await running;
    assert.equal(api.lastRun()?.decision.outcome, 'aborted');
    assert.equal(await api.ledgerCount(), before + 1, 'a cancelled request is recorded too');
    const [request] = await c.modelRequests(hanging);
    assert.equal(request?.state, 'closedByClient', 'the HTTP request was aborted, not left hanging');
  });

  it('an answer that breaks off mid-stream says so in the document and offers to retry on the next model', async () => {
    await openSample('interrupted-sample.ts', CODE, CODE);
    // Explain's chain starts with the local model, which the OpenAI-compatible fake serves; only that one breaks off.
    await c.enqueue('openai', { chunks: ['The function ', 'clamps ', 'the value ', 'between bounds.'], midStreamError: { afterChunks: 2 }, chunkIntervalMs: 5 });
    const before = await api.ledgerCount();
    await vscode.commands.executeCommand('modelRouter.explain');
    const run = api.lastRun();
    assert.equal(run?.decision.outcome, 'interrupted', run?.decision.error?.message);
    assert.equal(run.decision.interrupted?.provider, 'local');
    assert.ok(run.document);
    const document = await vscode.workspace.openTextDocument(run.document);
    await waitFor(() => /The function clamps [\s\S]*broke off here/.test(document.getText()), () => `document:\n${document.getText()}`);
    assert.equal(await api.ledgerCount(), before + 1);

    const next = run.decision.interrupted?.continueWith[0];
    assert.ok(next, 'no model to continue with');
    await c.notification({ message: 'broke off', button: `Retry on ${next}` });
    const retried = await waitFor(() => (api.lastRun() !== run ? api.lastRun() : undefined), () => 'no second run after "Retry on"');
    assert.equal(retried.decision.outcome, 'answered', retried.decision.error?.message);
    assert.equal(`${retried.decision.chosen?.provider}/${retried.decision.chosen?.model}`, next);
    assert.equal(await api.ledgerCount(), before + 2);
  });
});
