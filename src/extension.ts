import type * as vscode from 'vscode';
import { registerCommands } from './vscode/commands';
import { Container } from './vscode/container';

/**
 * The composition root: builds the one {@link Container} and hands everything it registers to
 * `context.subscriptions`, so VS Code disposes it all when the extension deactivates.
 */
export function activate(context: vscode.ExtensionContext): void {
  const container = Container.create(context);
  context.subscriptions.push(container);
  context.subscriptions.push(...registerCommands(container));
  container.log.info(`Model Router activated (version ${container.version})`);
}
