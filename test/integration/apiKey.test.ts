/**
 * "Set API Key" through SecretStorage, as a person does it: the command asks which provider (quick pick) and the
 * key (password input box); the runner types the answers in the browser. The provider's tree item turns to "key
 * set", and the stored key is the one the provider then receives.
 */
import * as assert from 'node:assert/strict';

import * as vscode from 'vscode';

import { FAKE_KEYS } from '../fakes/fakeProviders';
import { extensionApi, fakesOrSkip, treeItem, waitForTree } from './support/extension';

describe('Set API Key', function () {
  this.timeout(60_000);

  it('stores the typed key in SecretStorage: the Gemini item turns to "key set" and Gemini receives that key', async function () {
    const c = fakesOrSkip(this);
    const api = await extensionApi();
    // The runner withholds Gemini's key from the environment, and SecretStorage starts empty. The runner's local
    // server (the OpenAI-compatible fake) answers, so the tree may already list the providers for it (a usable local
    // server is enough; the welcome content with no usable provider is test/e2e/setApiKey.test.ts): Gemini has no key.
    const before = await api.treeSnapshot();
    assert.doesNotMatch(treeItem(before.providers, 'provider:gemini')?.description ?? 'not listed', /^key set/, 'no Gemini key yet');

    const storing = vscode.commands.executeCommand<boolean>('modelRouter.setApiKey');
    await c.answerQuickInput({ title: 'Set API Key', value: 'Gemini' });
    await c.answerQuickInput({ title: 'Gemini API key', value: FAKE_KEYS.gemini });
    assert.equal(await storing, true, 'the command reports the key stored');

    const after = await waitForTree(api, (s) => /^key set/.test(treeItem(s.providers, 'provider:gemini')?.description ?? ''), 'Gemini shows "key set"');
    const gemini = treeItem(after.providers, 'provider:gemini')!;
    assert.match(gemini.contextValue ?? '', /\bkeySet\b/, 'the item offers Remove API Key');
    assert.equal(treeItem(after.providers, 'key:gemini:default')?.description, 'set');

    // The key reaches the provider: Test Connection lists Gemini's models with it.
    await c.reset();
    await vscode.commands.executeCommand('modelRouter.testConnection', 'gemini');
    const requests = await c.requests('gemini');
    assert.ok(requests.length > 0, 'Test Connection sent nothing to Gemini');
    for (const request of requests) {
      assert.equal(request.headers['x-goog-api-key'] ?? request.query['key'], FAKE_KEYS.gemini, `${request.method} ${request.path} carries the stored key`);
    }
  });
});
