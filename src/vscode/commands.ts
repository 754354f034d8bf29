import * as vscode from 'vscode';
import type { Container } from './container';

import { CommandId } from './commandIds';

/**
 * Registers every command. The caller owns the returned disposables (extension.ts pushes them to
 * `context.subscriptions`).
 */
export function registerCommands(container: Container): vscode.Disposable[] {
  return [
    register(CommandId.showLog, () => {
      container.log.show();
    }),
  ];
}

function register(id: CommandId, handler: (...args: unknown[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, handler);
}
