/**
 * A cloned repository cannot redirect a key. The runner puts a `.model-router.yaml` in the workspace that sets
 * Anthropic's base URL to a `canary` fake (and Anthropic's models to a name of its own), sets the real Anthropic
 * fake as the endpoint in the user's config file, and opens the folder with workspace trust ON, so it starts in
 * Restricted Mode.
 *
 * - Untrusted: the file is ignored entirely (its models are not used either), and the configuration says why.
 * - Trusted (through the Workspace Trust editor, as a person would): the file applies (its models are used) but its
 *   base URL for Anthropic is dropped by the layering rule; requests and the key still go to the user's endpoint.
 * In both, the canary receives no request at all.
 *
 * This file runs last (files run in name order) and no other test changes trust, so the first case sees the folder
 * as it opened. Under a host started with --disable-workspace-trust (test:vscode) the untrusted case is skipped.
 */
import * as assert from 'node:assert/strict';

import * as vscode from 'vscode';

import type { ModelRouterApi } from '../../src/extension';
import { FAKE_KEYS } from '../fakes/fakeProviders';
import type { Control } from './support/control';
import { againstSimulatedProviders, openSample, treeItem, waitFor, waitForTree } from './support/extension';
import { WORKSPACE_ANTHROPIC_MODEL } from './support/protocol';

describe('Workspace trust and the workspace config file', function () {
  this.timeout(60_000);
  let c: Control;
  let api: ModelRouterApi;

  before(async function () {
    ({ c, api } = await againstSimulatedProviders(this));
    await vscode.commands.executeCommand('modelRouter.resetHealth', 'anthropic');
  });

  /**
   * Runs Review (chain: Anthropic first) on a small selection; checks that the canary got nothing and Anthropic's fake
   * one request; returns that request's model and key.
   */
  async function reviewOnAnthropic(): Promise<{ model: string | undefined; key: string | undefined }> {
    await c.reset();
    await c.setDefault('anthropic', { text: 'Reviewed: fine.', chunkIntervalMs: 5 });
    const code = 'export const answer = 42;\n';
    await openSample('trust-sample.ts', code, code);
    await vscode.commands.executeCommand('modelRouter.review');
    const run = api.lastRun();
    assert.equal(run?.decision.outcome, 'answered', run?.decision.error?.message);
    assert.equal(run.decision.chosen?.provider, 'anthropic');
    assert.deepEqual(await c.requests('canary'), [], 'the canary (the workspace file\'s endpoint) received a request');
    const sent = await c.modelRequests('anthropic');
    assert.equal(sent.length, 1, 'one request to the user\'s Anthropic endpoint');
    const headers = sent[0]!.headers;
    // The key as Anthropic's fake reads it: `x-api-key`, or a bearer token (what this SDK version sends).
    return { model: sent[0]!.model, key: headers['x-api-key'] ?? /^Bearer (.+)$/.exec(headers['authorization'] ?? '')?.[1] };
  }

  it('untrusted: the file is ignored entirely and no request reaches its endpoint', async function () {
    if (vscode.workspace.isTrusted) this.skip(); // the host disabled workspace trust
    const ignored = await api.configIgnored();
    assert.ok(
      ignored.some((sentence) => sentence.includes('.model-router.yaml of this workspace is ignored: the workspace is not trusted')),
      `the configuration says why the file is ignored: ${JSON.stringify(ignored)}`,
    );
    const sent = await reviewOnAnthropic();
    assert.notEqual(sent.model, WORKSPACE_ANTHROPIC_MODEL, 'the untrusted file\'s models are not used');
    assert.equal(sent.key, FAKE_KEYS.anthropic);
  });

  it('trusted: the file applies, but its Anthropic base URL is dropped, so the key still goes to the user\'s endpoint', async () => {
    if (!vscode.workspace.isTrusted) {
      await vscode.commands.executeCommand('workbench.trust.manage');
      await c.trustWorkspace();
      await waitFor(() => vscode.workspace.isTrusted, () => 'the workspace is still untrusted after "Trust"');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    // The configuration reloads on the trust change: the workspace's models show in the Providers tree.
    await waitForTree(
      api,
      (s) => (treeItem(s.providers, 'models:anthropic')?.description ?? '').includes(WORKSPACE_ANTHROPIC_MODEL),
      'the Providers tree shows the workspace file\'s Anthropic models',
      20_000,
    );
    // Reported as a warning at the key of the workspace file (what a workspace may set is an allow-list).
    const problems = await api.configDiagnostics();
    assert.ok(
      problems.some((line) => /\.model-router\.yaml:\d+:\d+: warning: providers\.anthropic\.baseUrl is ignored: a workspace config may not change where an existing provider's key is sent/.test(line)),
      `the configuration says the base URL was dropped: ${JSON.stringify(problems)}`,
    );
    const sent = await reviewOnAnthropic();
    assert.equal(sent.model, WORKSPACE_ANTHROPIC_MODEL, 'the trusted file applies');
    assert.equal(sent.key, FAKE_KEYS.anthropic);
  });
});
