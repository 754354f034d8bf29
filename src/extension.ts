import type * as vscode from 'vscode';
import { registerCommands } from './vscode/commands';
import { Container } from './vscode/container';
import type { RunResult } from './vscode/run/runner';

/** What `activate` returns: read by the extension-host tests (`vscode.extensions.getExtension(...).exports`). */
export interface ModelRouterApi {
  readonly version: string;
  /** The last finished run, if any. */
  lastRun(): RunResult | undefined;
  /** Number of requests in the ledger (opens it). */
  ledgerCount(): Promise<number>;
  /** The status bar text, e.g. "$(graph) $0.0021 / $5.00 · claude-sonnet-5-5". */
  statusBarText(): string;
}

/**
 * The composition root: builds the one {@link Container} and hands everything it registers to
 * `context.subscriptions`, so VS Code disposes it all when the extension deactivates. Nothing heavy happens here:
 * the engine (SDKs, sql.js, YAML) loads on first use.
 */
export function activate(context: vscode.ExtensionContext): ModelRouterApi {
  const container = Container.create(context);
  context.subscriptions.push(container);
  context.subscriptions.push(...registerCommands(container));
  let last: RunResult | undefined;
  context.subscriptions.push(container.runner.onDidFinish((result) => (last = result)));
  container.log.info(`Model Router activated (version ${container.version})`);
  return {
    version: container.version,
    lastRun: () => last,
    ledgerCount: async () => (await container.ledger.store())?.count() ?? 0,
    statusBarText: () => container.statusBar.text,
  };
}
