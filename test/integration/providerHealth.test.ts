/**
 * Provider health in the Providers tree: a provider that keeps failing is shown unhealthy (its circuit opens), the
 * request still gets an answer from the next provider of the chain, and Reset Provider Health makes it healthy again.
 */
import * as assert from 'node:assert/strict';

import * as vscode from 'vscode';

import type { ModelRouterApi } from '../../src/extension';
import type { Control } from './support/control';
import { againstSimulatedProviders, openSample, treeItem, waitForTree } from './support/extension';

describe('Providers tree and provider faults', function () {
  this.timeout(60_000);
  let c: Control;
  let api: ModelRouterApi;

  before(async function () {
    ({ c, api } = await againstSimulatedProviders(this));
  });

  after(async () => {
    await vscode.commands.executeCommand('modelRouter.resetHealth', 'anthropic');
    await c?.reset();
  });

  it('a primary that answers 503 again and again shows "circuit open"; the chain still answers; Reset Health clears it', async () => {
    await c.reset();
    // Review's chain is anthropic → openai → gemini → deepseek (no local model): Anthropic is tried first.
    await c.enqueue('anthropic', ...Array.from({ length: 6 }, () => ({ error: 'unavailable' as const })));
    await c.setDefault('openai', { text: 'Reviewed by the fallback: looks fine.', chunkIntervalMs: 5 });
    const code = 'export function half(n: number): number {\n  return n / 2;\n}\n';
    await openSample('review-sample.ts', code, code);
    const before = (await api.treeSnapshot()).changes.providers;

    const open = (description: string | undefined): boolean => /circuit open|cooling down/.test(description ?? '');
    for (let run = 1; run <= 3; run++) {
      await vscode.commands.executeCommand('modelRouter.review');
      const last = api.lastRun();
      assert.equal(last?.decision.outcome, 'answered', `run ${run}: ${last?.decision.error?.message ?? ''}`);
      assert.equal(last.decision.chosen?.provider, 'openai', `run ${run} falls back to OpenAI`);
      if (open(treeItem((await api.treeSnapshot()).providers, 'provider:anthropic')?.description)) break;
    }
    const failed = (await c.modelRequests('anthropic')).length;
    assert.ok(failed >= 3, `Anthropic got ${failed} requests`);

    const snapshot = await waitForTree(
      api,
      (s) => open(treeItem(s.providers, 'provider:anthropic')?.description) && s.changes.providers > before,
      'Anthropic shown unhealthy after the view was told to refresh',
    );
    assert.match(treeItem(snapshot.providers, 'provider:anthropic')!.description, /^key set · (circuit open|cooling down) until /);
    assert.match(treeItem(snapshot.providers, 'provider:openai')!.description, /^key set · healthy/);

    // While open, Anthropic is skipped without a request.
    await vscode.commands.executeCommand('modelRouter.review');
    assert.equal((await c.modelRequests('anthropic')).length, failed, 'no request to a provider whose circuit is open');
    assert.equal(api.lastRun()?.decision.chosen?.provider, 'openai');

    await vscode.commands.executeCommand('modelRouter.resetHealth', 'anthropic');
    await waitForTree(api, (s) => /^key set · healthy/.test(treeItem(s.providers, 'provider:anthropic')?.description ?? ''), 'Anthropic healthy after Reset Provider Health');
  });

  it('a 429 whose Retry-After is too long to wait for shows the provider "cooling down"; Reset Health clears it', async () => {
    await c.reset();
    await vscode.commands.executeCommand('modelRouter.resetHealth', 'anthropic');
    // Two minutes: beyond the router's 60 s cap, so it does not wait but penalises the key and falls back.
    await c.enqueue('anthropic', { error: 'rate_limit', retryAfterSeconds: 120 });
    await c.setDefault('openai', { text: 'Reviewed by the fallback.', chunkIntervalMs: 5 });
    const code = 'export function twice(n: number): number {\n  return n * 2;\n}\n';
    await openSample('rate-limit-sample.ts', code, code);

    await vscode.commands.executeCommand('modelRouter.review');
    const run = api.lastRun();
    assert.equal(run?.decision.outcome, 'answered', run?.decision.error?.message);
    assert.equal(run.decision.chosen?.provider, 'openai');
    assert.equal((await c.modelRequests('anthropic')).length, 1);

    await waitForTree(api, (s) => /cooling down until /.test(treeItem(s.providers, 'provider:anthropic')?.description ?? ''), 'Anthropic shown cooling down while its only key waits out the 429');
    // Meanwhile Anthropic is skipped without a request.
    await vscode.commands.executeCommand('modelRouter.review');
    assert.equal((await c.modelRequests('anthropic')).length, 1, 'no request while the key cools down');

    await vscode.commands.executeCommand('modelRouter.resetHealth', 'anthropic');
    await waitForTree(api, (s) => /^key set · healthy/.test(treeItem(s.providers, 'provider:anthropic')?.description ?? ''), 'Anthropic healthy after Reset Provider Health');
  });

  it('a key the provider rejects (401) shows "key rejected"; a new key stored through Set API Key is used and clears it', async () => {
    await c.reset();
    await c.enqueue('openai', { error: 'auth' });
    const code = 'export const ratio = 3 / 4;\n';
    await openSample('auth-sample.ts', code, code);
    // Send to Model… forces DeepSeek (served by the OpenAI-compatible fake), so the 401 lands on DeepSeek's key.
    const sending = vscode.commands.executeCommand('modelRouter.sendToModel', 'review');
    await c.answerQuickInput({ title: 'Send to Model', value: 'deepseek/' });
    await sending;
    const run = api.lastRun();
    assert.notEqual(run?.decision.outcome, 'answered');
    assert.equal(run?.decision.attempts[0]?.errorKind, 'auth');
    await c.notification({ message: 'DeepSeek' });

    await waitForTree(api, (s) => /rejected/.test(treeItem(s.providers, 'provider:deepseek')?.description ?? ''), 'DeepSeek shows its key rejected');

    const storing = vscode.commands.executeCommand<boolean>('modelRouter.setApiKey', 'deepseek');
    await c.answerQuickInput({ title: 'which DeepSeek key', value: 'default' });
    await c.answerQuickInput({ title: 'DeepSeek API key', value: 'fake-deepseek-key-2' });
    assert.equal(await storing, true);

    // The router reads the new key on the next request to DeepSeek (until then the tree still says rejected).
    await c.reset();
    const again = vscode.commands.executeCommand('modelRouter.sendToModel', 'review');
    await c.answerQuickInput({ title: 'Send to Model', value: 'deepseek/' });
    await again;
    assert.equal(api.lastRun()?.decision.outcome, 'answered', api.lastRun()?.decision.error?.message);
    const [sent] = await c.modelRequests('openai');
    assert.equal(sent?.headers['authorization'], 'Bearer fake-deepseek-key-2', 'DeepSeek receives the new key');
    await waitForTree(api, (s) => /^key set · healthy/.test(treeItem(s.providers, 'provider:deepseek')?.description ?? ''), 'DeepSeek shown usable again with the new key');
  });
});
