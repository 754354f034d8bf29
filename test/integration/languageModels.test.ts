/**
 * The router as a language model of VS Code: what another extension (or Chat) sees through `vscode.lm`. The models
 * are found by vendor, a request through "Model Router: auto" is routed to the simulated providers and streams back,
 * cancelling aborts the HTTP request, every request is in the ledger with command "chat", and a budget blocks it
 * with a message that says so.
 */
import * as assert from 'node:assert/strict';

import * as vscode from 'vscode';

import type { ModelRouterApi } from '../../src/extension';
import type { Control } from './support/control';
import { againstSimulatedProviders, waitFor } from './support/extension';

const VENDOR = 'model-router';
const FAKES = ['anthropic', 'openai', 'gemini'] as const;

async function autoModel(): Promise<vscode.LanguageModelChat> {
  const models = await vscode.lm.selectChatModels({ vendor: VENDOR, id: 'auto' });
  assert.equal(models.length, 1, `selectChatModels({ vendor: '${VENDOR}', id: 'auto' }) found ${models.length} models`);
  return models[0]!;
}

/** Which fakes got model requests, and the bodies they got. */
async function sentBodies(c: Control): Promise<string[]> {
  const bodies: string[] = [];
  for (const fake of FAKES) for (const request of await c.modelRequests(fake)) bodies.push(JSON.stringify(request.body));
  return bodies;
}

describe('Model Router as a language model (vscode.lm)', function () {
  this.timeout(60_000);
  let c: Control;
  let api: ModelRouterApi;

  before(async function () {
    ({ c, api } = await againstSimulatedProviders(this));
  });

  beforeEach(async () => {
    await c.reset();
  });

  it('selectChatModels finds "Model Router: auto" and one model per agent, each naming what it routes to', async () => {
    const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
    const auto = models.find((m) => m.id === 'auto');
    assert.ok(auto, `no auto model among ${models.map((m) => m.id).join(', ')}`);
    assert.equal(auto.name, 'Model Router: auto');
    assert.equal(auto.vendor, VENDOR);
    assert.ok(models.some((m) => m.id === 'agent-reviewer' && m.name === 'Model Router: reviewer'), models.map((m) => m.id).join(', '));
    // countTokens is the project's estimator: a longer text counts more tokens.
    const short = await auto.countTokens('const a = 1;');
    const long = await auto.countTokens('const a = 1;\n'.repeat(50));
    assert.ok(short > 0 && long > short * 20, `countTokens: ${short} and ${long}`);
  });

  it('a request through "auto" is answered by the simulated providers, streamed in parts, and recorded under the calling extension', async () => {
    const nonce = `lm-${Date.now()}`;
    for (const fake of FAKES) await c.setDefault(fake, { chunks: ['Routed ', 'through ', `the fakes (${nonce}).`], chunkIntervalMs: 20 });
    const before = await api.ledgerCount();
    const model = await autoModel();

    const response = await model.sendRequest(
      [vscode.LanguageModelChatMessage.User('What does a circuit breaker do?'), vscode.LanguageModelChatMessage.Assistant('It stops calls to a failing service.'), vscode.LanguageModelChatMessage.User(`And when does it close again? ${nonce}`)],
      {},
    );
    const parts: string[] = [];
    for await (const part of response.text) parts.push(part);

    assert.equal(parts.join(''), `Routed through the fakes (${nonce}).`);
    assert.ok(parts.length >= 2, `the answer came in ${parts.length} part(s)`);
    const run = api.lastChatRun();
    assert.ok(run, 'no chat request finished');
    assert.equal(run.decision.outcome, 'answered', run.decision.error?.message);
    // VS Code names the calling extension (here this suite, which runs as the extension under test).
    assert.equal(run.decision.command, 'model-router.model-router');
    assert.equal(run.recorded, true);
    assert.equal(await api.ledgerCount(), before + 1, 'one ledger row per request');
    const bodies = await sentBodies(c);
    assert.equal(bodies.length, 1, `${bodies.length} model requests reached the fakes`);
    // The whole conversation went to the model: the earlier turns and the question.
    assert.ok(bodies[0]!.includes('It stops calls to a failing service.') && bodies[0]!.includes(nonce), bodies[0]);
  });

  it('cancelling the request aborts the HTTP request; the request is recorded as aborted', async () => {
    // VS Code 1.104 forwards a caller's cancellation token only while sendRequest is pending, and sendRequest returns
    // once the provider has started: this test cancels the token VS Code hands the provider, on the provider itself.
    for (const fake of FAKES) await c.enqueue(fake, { hang: true });
    const before = await api.ledgerCount();
    const provider = api.chatProvider();
    const source = new vscode.CancellationTokenSource();
    const models = (await provider.provideLanguageModelChatInformation({ silent: true }, source.token)) ?? [];
    const auto = models.find((m) => m.id === 'auto');
    assert.ok(auto, 'no auto model');
    const parts: unknown[] = [];
    const running = Promise.resolve(
      provider.provideLanguageModelChatResponse(auto, [vscode.LanguageModelChatMessage.User('Explain this, slowly.')], { toolMode: vscode.LanguageModelChatToolMode.Auto }, { report: (part) => parts.push(part) }, source.token),
    );
    const hanging = await waitFor(
      async () => {
        for (const fake of FAKES) if ((await c.modelRequests(fake)).length > 0) return fake;
        return undefined;
      },
      () => 'no request reached a fake',
    );
    source.cancel();
    await assert.rejects(running, (error: unknown) => error instanceof vscode.CancellationError, 'a cancelled request ends with a CancellationError');
    assert.deepEqual(parts, [], 'nothing was streamed');
    assert.equal(api.lastChatRun()?.decision.outcome, 'aborted');
    assert.equal(await api.ledgerCount(), before + 1, 'a cancelled request is recorded too');
    await waitFor(async () => (await c.modelRequests(hanging))[0]?.state === 'closedByClient', () => 'the HTTP request was not aborted');
    source.dispose();
  });

  it('over the budget (onExceed block), the request fails with a message naming the budget, and nothing is sent', async () => {
    const settings = vscode.workspace.getConfiguration('modelRouter');
    await settings.update('budget.dailyUsd', 0.000001, vscode.ConfigurationTarget.Global);
    await settings.update('budget.onExceed', 'block', vscode.ConfigurationTarget.Global);
    try {
      // The reviewer's chain has no free local model: every candidate costs more than the budget leaves.
      const [reviewer] = await vscode.lm.selectChatModels({ vendor: VENDOR, id: 'agent-reviewer' });
      assert.ok(reviewer, 'no reviewer model');
      const before = await api.ledgerCount();
      let failure: unknown;
      await waitFor(
        async () => {
          await c.reset(); // an attempt answered before the settings took effect does not count
          try {
            const response = await reviewer.sendRequest([vscode.LanguageModelChatMessage.User('Review: let x = 1')], {});
            for await (const _part of response.text) {
              // the budget blocks before anything is sent
            }
            return false;
          } catch (error) {
            failure = error;
            return true;
          }
        },
        () => `the request was answered although over budget (last outcome ${api.lastChatRun()?.decision.outcome})`,
      );
      // The chat gets the router's explanation: each candidate and why it was skipped (here the budget, or no key).
      assert.match(String(failure instanceof Error ? failure.message : failure), /budget would be exceeded/);
      assert.equal(api.lastChatRun()?.decision.outcome, 'failed');
      assert.ok((await api.ledgerCount()) >= before + 1, 'the blocked request is recorded');
      assert.deepEqual(await sentBodies(c), [], 'nothing reached a provider');
    } finally {
      await settings.update('budget.dailyUsd', undefined, vscode.ConfigurationTarget.Global);
      await settings.update('budget.onExceed', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
