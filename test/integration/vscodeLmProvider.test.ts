/**
 * VS Code's language models as a provider of ours (`protocol: vscode-lm` in the user config): a fixture extension
 * loaded beside Model Router (test/integration/fakeLmExtension) registers vendor "fake" with the model fake/fake-small.
 * Light work of an agent whose chain starts with the vscode-lm provider goes to that model, costs $0, and is in the
 * ledger; our own models are never a target; a refused consent is remembered and skipped, not asked again.
 */
import * as assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import * as vscode from 'vscode';

import type { ModelRouterApi } from '../../src/extension';
import type { Control } from './support/control';
import { againstSimulatedProviders, treeItem, waitForTree } from './support/extension';

interface FakeLmRequest {
  readonly messages: readonly string[];
}

const fakeLmRequests = async (): Promise<readonly FakeLmRequest[]> => (await vscode.commands.executeCommand<FakeLmRequest[]>('fakeLm.requests')) ?? [];

/** The user's config file of this run (scripts/runHostTests.ts writes it under the isolated XDG_CONFIG_HOME). */
function userConfigFile(): string {
  const xdg = process.env['XDG_CONFIG_HOME'];
  assert.ok(xdg, 'XDG_CONFIG_HOME is not set in the extension host');
  return path.join(xdg, 'model-router', 'config.yaml');
}

/** The vscode-lm providers and the explainer chain appended to the run's user config. */
function withVscodeLm(original: string, chain: readonly string[]): string {
  const providers = ['  fake-lm:', '    protocol: vscode-lm', '    models:', '      light: fake/fake-small', '  self-lm:', '    protocol: vscode-lm', '    models:', '      light: model-router/auto'];
  if (!/^providers:\s*$/m.test(original)) throw new Error(`unexpected user config:\n${original}`);
  return `${original.replace(/^providers:\s*$/m, ['providers:', ...providers].join('\n'))}\nagents:\n  explainer:\n    chain: [${chain.join(', ')}]\n`;
}

async function explainer(): Promise<vscode.LanguageModelChat> {
  const [model] = await vscode.lm.selectChatModels({ vendor: 'model-router', id: 'agent-explainer' });
  assert.ok(model, 'no "Model Router: explainer" model');
  return model;
}

async function ask(model: vscode.LanguageModelChat, question: string): Promise<string> {
  const response = await model.sendRequest([vscode.LanguageModelChatMessage.User(question)], {});
  let text = '';
  for await (const part of response.text) text += part;
  return text;
}

describe('vscode-lm: VS Code language models as a provider of ours', function () {
  this.timeout(60_000);
  let c: Control;
  let api: ModelRouterApi;
  let original: string;

  /** Puts `chain` as the explainer's chain (user config) and waits until it is in force (the Agents tree shows it). */
  async function useChain(chain: readonly string[]): Promise<void> {
    await writeFile(userConfigFile(), withVscodeLm(original, chain));
    await waitForTree(api, (s) => treeItem(s.agents, 'agent:explainer')?.description === chain.join(' → '), `the explainer chain ${chain.join(' → ')}`, 15_000);
  }

  before(async function () {
    ({ c, api } = await againstSimulatedProviders(this));
    const fixture = vscode.extensions.getExtension('model-router-tests.fake-lm');
    assert.ok(fixture, `the fixture extension is not installed; installed: ${vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.')).map((e) => e.id).join(', ')}`);
    await fixture.activate();
    original = await readFile(userConfigFile(), 'utf8');
  });

  after(async () => {
    if (original !== undefined) await writeFile(userConfigFile(), original);
  });

  beforeEach(async () => {
    await c.reset();
  });

  it('routes light work to the fake vendor\'s model through vscode.lm, streamed, at $0, recorded in the ledger', async () => {
    await useChain(['fake-lm', 'anthropic']);
    const before = (await fakeLmRequests()).length;
    const ledger = await api.ledgerCount();

    const text = await ask(await explainer(), 'What is a closure?');

    assert.equal(text, 'fake-small says: What is a closure?');
    const run = api.lastChatRun();
    assert.equal(run?.decision.outcome, 'answered', run?.decision.error?.message);
    assert.deepEqual(run.decision.chosen, { provider: 'fake-lm', model: 'fake/fake-small' });
    assert.equal(run.decision.tier, 'light');
    assert.equal(run.decision.costUsd, 0, 'VS Code models cost $0 unless a price is set');
    assert.ok(run.decision.usage.inputTokens > 0, 'the tokens are estimated (the API reports none)');
    assert.equal(await api.ledgerCount(), ledger + 1);
    const requests = await fakeLmRequests();
    assert.equal(requests.length, before + 1, 'one request reached the fake vendor');
    assert.equal(requests.at(-1)!.messages.at(-1), 'What is a closure?');
  });

  it('never targets Model Router\'s own models: that provider fails at once and the chain goes on', async () => {
    await useChain(['self-lm', 'fake-lm']);
    const before = (await fakeLmRequests()).length;

    const text = await ask(await explainer(), 'Is recursion allowed?');

    assert.equal(text, 'fake-small says: Is recursion allowed?');
    const run = api.lastChatRun();
    assert.equal(run?.decision.chosen?.provider, 'fake-lm', run?.decision.error?.message);
    const self = run.decision.attempts.find((a) => a.provider === 'self-lm');
    assert.ok(self, `no attempt on self-lm: ${JSON.stringify(run.decision.attempts)}`);
    assert.match(self.message ?? '', /route to itself/);
    assert.equal((await fakeLmRequests()).length, before + 1);
  });

  it('a refused consent is a clear reason, remembered: the next request does not ask the vendor again', async () => {
    await useChain(['fake-lm', 'anthropic']);
    await c.setDefault('anthropic', { text: 'Answered by the simulated Anthropic.' });
    await vscode.commands.executeCommand('fakeLm.deny');
    const before = (await fakeLmRequests()).length;

    assert.equal(await ask(await explainer(), 'First question'), 'Answered by the simulated Anthropic.');
    const first = api.lastChatRun();
    assert.equal(first?.decision.chosen?.provider, 'anthropic', first?.decision.error?.message);
    const refused = first.decision.attempts.find((a) => a.provider === 'fake-lm');
    assert.match(refused?.message ?? '', /did not allow Model Router to use the fake models/);
    assert.equal((await fakeLmRequests()).length, before + 1, 'the vendor was asked once');

    assert.equal(await ask(await explainer(), 'Second question'), 'Answered by the simulated Anthropic.');
    const second = api.lastChatRun();
    assert.notEqual(second, first);
    assert.equal(second?.decision.chosen?.provider, 'anthropic');
    assert.equal((await fakeLmRequests()).length, before + 1, 'the refused vendor is not asked again');
  });
});
