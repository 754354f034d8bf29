import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { contributes, name, publisher } from '../../package.json';

const extensionId = `${publisher}.${name}`;

describe('Model Router in the extension host', () => {
  it(`is installed as ${extensionId} and activates`, async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `extension ${extensionId} is not loaded`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every command it contributes', async () => {
    await vscode.extensions.getExtension(extensionId)?.activate();
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
});
