/**
 * Commands on a selection, end to end against the simulated providers: the command reads the selection of a real
 * document, the router sends it over HTTP to a fake, the answer lands where the user looks (a Markdown document, or
 * a diff to accept), and the request is in the ledger.
 */
import * as assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';

import * as vscode from 'vscode';

import type { ModelRouterApi } from '../../src/extension';
import type { Control, FakeName } from './support/control';
import { againstSimulatedProviders, openSample, waitFor } from './support/extension';

/** Which fake serves a provider: the OpenAI-compatible fake stands in for DeepSeek and the local server too. */
const FAKE_OF: Readonly<Record<string, FakeName>> = { anthropic: 'anthropic', openai: 'openai', deepseek: 'openai', local: 'openai', gemini: 'gemini' };

/** Makes every fake answer `text` (whichever provider the router picks). */
async function everyFakeAnswers(c: Control, text: string): Promise<void> {
  for (const fake of ['anthropic', 'openai', 'gemini'] as const) await c.setDefault(fake, { text, chunkIntervalMs: 5 });
}

describe('Commands on a selection, against the simulated providers', function () {
  this.timeout(60_000);
  let c: Control;
  let api: ModelRouterApi;

  before(async function () {
    ({ c, api } = await againstSimulatedProviders(this));
  });

  beforeEach(async () => {
    await c.reset();
  });

  it('Explain: streams the answer into a Markdown document and records one ledger row', async () => {
    const code = 'export function increment(counter: { value: number }): number {\n  counter.value += 1;\n  return counter.value;\n}\n';
    await openSample('explain-sample.ts', `// explain me\n${code}`, code);
    const nonce = `explained-${Date.now()}`;
    await everyFakeAnswers(c, `The function increments the counter (${nonce}) and returns the new value.`);
    const before = await api.ledgerCount();

    await vscode.commands.executeCommand('modelRouter.explain');

    const run = api.lastRun();
    assert.ok(run, 'no run finished');
    assert.equal(run.decision.outcome, 'answered', `outcome ${run.decision.outcome}: ${run.decision.error?.message ?? ''}`);
    assert.equal(run.decision.task, 'explain');
    assert.ok(run.decision.chosen, 'no chosen model');
    assert.equal(await api.ledgerCount(), before + 1, 'one ledger row per request');
    assert.equal(run.recorded, true);

    // What the fake received: one model request carrying the selected code.
    const fake = FAKE_OF[run.decision.chosen.provider];
    assert.ok(fake, `unexpected provider ${run.decision.chosen.provider}`);
    const sent = await c.modelRequests(fake);
    assert.equal(sent.length, 1, `${fake} fake got ${sent.length} model requests`);
    assert.ok(JSON.stringify(sent[0]!.body).includes('counter.value += 1'), 'the selection was sent');

    // What the user sees: the answer document, open beside the code, with the fake's text and the footer.
    assert.ok(run.document, 'no answer document');
    assert.equal(run.document.scheme, 'model-router-answer');
    const answer = await vscode.workspace.openTextDocument(run.document);
    await waitFor(
      () => answer.getText().includes(nonce),
      () => `the answer document does not contain the fake's text:\n${answer.getText()}`,
    );
    assert.ok(
      vscode.window.visibleTextEditors.some((editor) => editor.document.uri.toString() === run.document!.toString()),
      'the answer document is shown',
    );
    const footer = `${run.decision.chosen.provider}/${run.decision.chosen.model}`;
    await waitFor(
      () => answer.getText().includes(footer),
      () => `the answer document has no footer naming ${footer}:\n${answer.getText()}`,
    );
  });

  it("compacts the ledger in a worker thread of the extension host, and the file holds the requests", async () => {
    const code = 'export const twice = (n: number): number => n * 2;\n';
    await openSample('compact-sample.ts', code, code);
    await everyFakeAnswers(c, 'It doubles n.');
    await vscode.commands.executeCommand('modelRouter.explain');
    assert.equal(api.lastRun()?.recorded, true);
    const count = await api.ledgerCount();

    const compaction = await api.compactLedger();

    assert.ok(compaction, 'the ledger did not open');
    assert.equal(compaction.builtInWorker, true, 'the file was exported on the extension host thread');
    assert.equal(compaction.rows, count, 'every request this window recorded is in the file');
    const files = await readdir(compaction.directory);
    assert.ok(files.includes('ledger.sqlite'), files.join(', '));
    assert.deepEqual(files.filter((f) => f.includes('.tmp-')), [], 'no temp file left');
    const manifest = JSON.parse(await readFile(path.join(compaction.directory, 'ledger.sqlite.manifest.json'), 'utf8')) as {
      entries: { journals: Record<string, number> }[];
    };
    const merged = Object.values(manifest.entries.at(-1)!.journals);
    assert.ok(merged.some((bytes) => bytes > 0), `the worker merged no journal lines: ${JSON.stringify(manifest.entries.at(-1))}`);
  });

  it('Refactor: shows a diff, and Accept applies it as one undoable edit', async () => {
    const original = [
      'export function total(items: number[]): number {',
      '  let sum = 0;',
      '  for (let i = 0; i < items.length; i++) {',
      '    sum += items[i];',
      '  }',
      '  return sum;',
      '}',
    ].join('\n');
    const refactored = 'export function total(items: number[]): number {\n  return items.reduce((sum, item) => sum + item, 0);\n}';
    const fileText = `// refactor me\n${original}\n`;
    const editor = await openSample('refactor-sample.ts', fileText, original);
    const document = editor.document;
    await everyFakeAnswers(c, `Use reduce:\n\n\`\`\`ts\n${refactored}\n\`\`\`\n\nSame result, less state.`);
    const before = await api.ledgerCount();

    const running = vscode.commands.executeCommand('modelRouter.refactor');
    // The proposal: a diff of the file against the proposed text, opened before the question is asked.
    await waitFor(
      () =>
        vscode.window.tabGroups.all.some((group) =>
          group.tabs.some((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.scheme === 'model-router-proposal' && tab.input.original.toString() === document.uri.toString()),
        ),
      () => `no proposal diff among the tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)).join(', ')}`,
      30_000,
    );
    assert.equal(document.getText(), fileText, 'nothing is applied before Accept');
    const question = await c.notification({ message: 'apply the refactor', button: 'Accept' });
    assert.match(question, /refactor-sample\.ts/);
    await running;

    const run = api.lastRun();
    assert.equal(run?.decision.outcome, 'answered');
    assert.equal(await api.ledgerCount(), before + 1);
    assert.equal(document.getText(), `// refactor me\n${refactored}\n`, 'the selection is replaced by the proposed code');
    assert.equal(document.isDirty, true, 'the edit is in the editor, unsaved');
    assert.ok(
      !vscode.window.tabGroups.all.some((group) => group.tabs.some((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.scheme === 'model-router-proposal')),
      'the diff closes after Accept',
    );

    const feedbackOf = async (): Promise<string[]> => (await api.ledgerFeedback()).filter((f) => f.requestId === run.decision.id).map((f) => f.kind);
    await waitFor(async () => (await feedbackOf()).includes('accepted'), async () => `feedback on the answer: ${(await feedbackOf()).join(', ') || 'none'}`);

    // One Undo restores the original text exactly, and the ledger learns the accepted answer was undone.
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => document.getText() === fileText, () => `one Undo did not restore the file:\n${document.getText()}`);
    await waitFor(async () => (await feedbackOf()).includes('undone'), async () => `feedback on the answer: ${(await feedbackOf()).join(', ')}`);
    assert.deepEqual(await feedbackOf(), ['accepted', 'undone']);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('Ask…: the typed question goes to the model with the selection, and the answer opens as a document', async () => {
    const code = 'export const cache = new Map<string, number>();\n';
    await openSample('ask-sample.ts', code, code);
    const nonce = `answered-${Date.now()}`;
    await everyFakeAnswers(c, `No, a Map is not shared between workers (${nonce}).`);
    const before = await api.ledgerCount();
    const asking = vscode.commands.executeCommand('modelRouter.ask');
    await c.answerQuickInput({ title: 'Model Router: Ask', value: 'Is this cache shared between workers?' });
    await asking;
    const run = api.lastRun();
    assert.equal(run?.decision.outcome, 'answered', run?.decision.error?.message);
    assert.equal(run.decision.task, 'ask');
    assert.equal(await api.ledgerCount(), before + 1);
    const fake = FAKE_OF[run.decision.chosen!.provider]!;
    const body = JSON.stringify((await c.modelRequests(fake))[0]?.body);
    assert.ok(body.includes('Is this cache shared between workers?'), 'the question was sent');
    assert.ok(body.includes('new Map<string, number>()'), 'the selection was sent with it');
    const answer = await vscode.workspace.openTextDocument(run.document!);
    await waitFor(() => answer.getText().includes(nonce), () => `answer document:\n${answer.getText()}`);
  });

  it('Retry with a Stronger Model sends the same selection one tier up', async () => {
    const code = 'export function square(n: number): number {\n  return n * n;\n}\n';
    await openSample('retry-sample.ts', code, code);
    await everyFakeAnswers(c, 'It squares n.');
    await vscode.commands.executeCommand('modelRouter.explain');
    const first = api.lastRun();
    assert.equal(first?.decision.outcome, 'answered');
    const tiers = ['light', 'medium', 'heavy'];
    await c.reset();
    await everyFakeAnswers(c, 'It multiplies n by itself.');
    await vscode.commands.executeCommand('modelRouter.retryStronger');
    const second = api.lastRun();
    assert.notEqual(second, first, 'a second run happened');
    assert.equal(second?.decision.outcome, 'answered', second?.decision.error?.message);
    assert.equal(tiers.indexOf(second.decision.tier), Math.min(2, tiers.indexOf(first.decision.tier) + 1), `tier ${first.decision.tier} → ${second.decision.tier}`);
    const fake = FAKE_OF[second.decision.chosen!.provider]!;
    assert.ok(JSON.stringify((await c.modelRequests(fake))[0]?.body).includes('return n * n;'), 'the same selection was sent again');
    // The first answer was not good enough for the user: recorded on it, not on the stronger one.
    const feedback = async (id: string): Promise<string[]> => (await api.ledgerFeedback()).filter((f) => f.requestId === id).map((f) => f.kind);
    await waitFor(async () => (await feedback(first.decision.id)).length > 0, () => 'no feedback recorded for the first answer');
    assert.deepEqual(await feedback(first.decision.id), ['retried-stronger']);
    assert.deepEqual(await feedback(second.decision.id), []);
  });
});
