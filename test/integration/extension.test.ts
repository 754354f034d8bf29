import * as assert from 'node:assert/strict';

import * as vscode from 'vscode';

import { contributes } from '../../package.json';
import { extensionApi, extensionId, importEnvironmentKeys } from './support/extension';

describe('Model Router in the extension host', () => {
  it(`is installed as ${extensionId} and activates`, async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `extension ${extensionId} is not loaded`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every command it contributes', async () => {
    await extensionApi();
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = contributes.commands.map((command) => command.command);
    assert.ok(contributed.includes('modelRouter.showLog'));
    for (const command of contributed) {
      assert.ok(registered.has(command), `command ${command} is contributed but not registered`);
    }
  });

  it('runs "Model Router: Show Log" without throwing', async () => {
    await vscode.commands.executeCommand('modelRouter.showLog');
  });

  it('shows both trees once a key is stored: every built-in provider and every agent', async () => {
    const api = await extensionApi();
    await importEnvironmentKeys(); // without any key the Providers view shows its welcome content instead
    const snapshot = await api.treeSnapshot();
    assert.deepEqual(
      snapshot.providers.map((item) => item.id),
      ['provider:anthropic', 'provider:openai', 'provider:gemini', 'provider:deepseek', 'provider:local'],
    );
    assert.ok(snapshot.agents.length >= 8, `agents: ${snapshot.agents.map((item) => item.label).join(', ')}`);
    for (const agent of snapshot.agents) {
      assert.match(agent.description, /^\w+( → \w+)*$/, `agent ${agent.label} shows its chain`);
      assert.ok(agent.children.length > 0, `agent ${agent.label} lists its chain links`);
    }
  });
});
