/** The Agents tree follows the settings: a chain changed through the configuration API shows at once. */
import * as assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';

import * as vscode from 'vscode';

import { extensionApi, fakesOrSkip, treeItem, waitForTree } from './support/extension';

describe('Agents tree and settings', function () {
  this.timeout(30_000);

  afterEach(async () => {
    await vscode.workspace.getConfiguration('modelRouter').update('agents.implementer', undefined, vscode.ConfigurationTarget.Global);
  });

  it('modelRouter.agents.implementer updated through the configuration API updates the Agents tree', async () => {
    const api = await extensionApi();
    const initial = await api.treeSnapshot();
    const defaultChain = treeItem(initial.agents, 'agent:implementer')?.description;
    assert.equal(defaultChain, 'anthropic → openai → deepseek → gemini → local');

    await vscode.workspace.getConfiguration('modelRouter').update('agents.implementer', ['gemini', 'openai'], vscode.ConfigurationTarget.Global);
    const changed = await waitForTree(
      api,
      (s) => treeItem(s.agents, 'agent:implementer')?.description === 'gemini → openai' && s.changes.agents > initial.changes.agents,
      'the implementer shows gemini → openai after the view was told to refresh',
    );
    assert.deepEqual(
      treeItem(changed.agents, 'agent:implementer')!.children.map((link) => link.label),
      ['primary: Gemini', 'fallback: OpenAI'],
    );
    // Other agents keep their chains.
    assert.equal(treeItem(changed.agents, 'agent:refactorer')?.description, treeItem(initial.agents, 'agent:refactorer')?.description);

    await vscode.workspace.getConfiguration('modelRouter').update('agents.implementer', undefined, vscode.ConfigurationTarget.Global);
    await waitForTree(api, (s) => treeItem(s.agents, 'agent:implementer')?.description === defaultChain, 'the default chain is back once the setting is removed');
  });

  it('Reassign Agent… (quick picks, as from the tree item) writes the setting and the tree follows', async function () {
    const c = fakesOrSkip(this);
    const api = await extensionApi();
    const reassigning = vscode.commands.executeCommand<boolean>('modelRouter.reassignAgent', 'implementer');
    await c.answerQuickInput({ title: 'implementer: primary provider', value: 'DeepSeek' });
    await c.answerQuickInput({ title: 'implementer: secondary provider', value: 'Anthropic' });
    await c.answerQuickInput({ title: 'implementer: tertiary provider', value: 'Done' });
    // An empty reasoning keeps the current one: built-in providers then go to the user setting.
    await c.answerQuickInput({ title: 'implementer: reasoning (optional)', value: '' });
    assert.equal(await reassigning, true);
    assert.deepEqual(vscode.workspace.getConfiguration('modelRouter').get('agents.implementer'), ['deepseek', 'anthropic']);
    await waitForTree(api, (s) => treeItem(s.agents, 'agent:implementer')?.description === 'deepseek → anthropic', 'the implementer shows deepseek → anthropic');
  });

  it('Reassign Agent… with a reasoning writes the chain and the reasoning to the user YAML, and removes a user setting that would hide it', async function () {
    const c = fakesOrSkip(this);
    const api = await extensionApi();
    // A chain in the user settings would win over the YAML: Reassign must take it away, and say so.
    await vscode.workspace.getConfiguration('modelRouter').update('agents.implementer', ['anthropic'], vscode.ConfigurationTarget.Global);
    await waitForTree(api, (s) => treeItem(s.agents, 'agent:implementer')?.description === 'anthropic', 'the implementer shows the setting');
    // The user YAML the runner wrote (providers and agents other tests rely on): restored afterwards.
    const userYaml = path.join(process.env['XDG_CONFIG_HOME'] ?? path.join(homedir(), '.config'), 'model-router', 'config.yaml');
    const original = await readFile(userYaml, 'utf8').catch(() => undefined);
    const reasoning = `cheap first, checked by tests ${Date.now()}`;
    const reassigning = vscode.commands.executeCommand<boolean>('modelRouter.reassignAgent', 'implementer');
    await c.answerQuickInput({ title: 'implementer: primary provider', value: 'DeepSeek' });
    await c.answerQuickInput({ title: 'implementer: secondary provider', value: 'OpenAI' });
    await c.answerQuickInput({ title: 'implementer: tertiary provider', value: 'Done' });
    await c.answerQuickInput({ title: 'implementer: reasoning (optional)', value: reasoning });
    const told = await c.notification({ message: 'written to' });
    assert.equal(await reassigning, true);
    assert.ok(told.includes(`written to ${userYaml}`), `the notification names the user YAML: ${told}`);
    assert.match(told, /was removed/, 'the hiding setting is reported');
    try {
      const yaml = await readFile(userYaml, 'utf8');
      assert.match(yaml, /implementer:/);
      assert.match(yaml, /deepseek/);
      assert.ok(yaml.includes(reasoning), yaml);
      assert.equal(vscode.workspace.getConfiguration('modelRouter').inspect('agents.implementer')?.globalValue, undefined, 'the user setting is gone');
      await waitForTree(api, (s) => treeItem(s.agents, 'agent:implementer')?.description === 'deepseek → openai', 'the implementer shows deepseek → openai from the YAML');
      for (const line of (original ?? '').split('\n').filter((l) => l.trim() !== '')) assert.ok(yaml.includes(line), `what the file held is kept: ${line}`);
    } finally {
      if (original !== undefined) await writeFile(userYaml, original);
    }
  });
});
