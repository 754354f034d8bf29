import type * as vscode from 'vscode';

import { registerCommands } from './vscode/commands';
import { Container } from './vscode/container';
import type { ChatRunResult } from './vscode/lm/routerChatProvider';
import type { RunResult } from './vscode/run/runner';
import type { TreeSnapshotItem } from './vscode/treeSnapshot';
import { snapshotTree } from './vscode/treeSnapshot';

export type { TreeSnapshotItem };

/** What the two activity-bar trees show now, and how many times each told its view to refresh. */
export interface TreeSnapshot {
  readonly providers: readonly TreeSnapshotItem[];
  readonly agents: readonly TreeSnapshotItem[];
  /** `onDidChangeTreeData` events fired since activation: a view only redraws when its tree fires one. */
  readonly changes: { readonly providers: number; readonly agents: number };
}

/** What `activate` returns: read by the extension-host tests (`vscode.extensions.getExtension(...).exports`). */
export interface ModelRouterApi {
  readonly version: string;
  /** The last finished run, if any. */
  lastRun(): RunResult | undefined;
  /** The last request that came through our `vscode.lm` models ("Model Router: auto", the agents), if any. */
  lastChatRun(): ChatRunResult | undefined;
  /**
   * Our `vscode.lm` provider itself, for tests that must cancel a request: VS Code 1.104 does not pass a caller's
   * cancellation on to the provider once `sendRequest` has returned.
   */
  chatProvider(): vscode.LanguageModelChatProvider;
  /** Number of requests in the ledger (opens it). */
  ledgerCount(): Promise<number>;
  /** What the user did with answers, as the ledger holds it (accepted, rejected, undone, ...), oldest first. */
  ledgerFeedback(): Promise<readonly { readonly requestId: string; readonly kind: string }[]>;
  /** The status bar text, e.g. "$(graph) $0.0021 / $5.00 · claude-sonnet-5-5". */
  statusBarText(): string;
  /** The Providers and Agents trees as their views would show them (items computed by the same TreeDataProviders). */
  treeSnapshot(): Promise<TreeSnapshot>;
  /** What the configuration in force left out and why (e.g. an untrusted workspace's file, a workspace base URL). */
  configIgnored(): Promise<readonly string[]>;
  /** The configuration's problems as the log shows them ("<file>:<line>:<col>: warning: <message>"). */
  configDiagnostics(): Promise<readonly string[]>;
  /** Compacts the ledger now (what happens once a minute and on close); undefined when it cannot be opened. */
  compactLedger(): Promise<LedgerCompaction | undefined>;
}

export interface LedgerCompaction {
  /** Requests in the file written. */
  readonly rows: number;
  /** The file was built by the compaction worker thread, not on the extension host's thread. */
  readonly builtInWorker: boolean;
  /** The ledger's folder (the extension's global storage). */
  readonly directory: string;
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
  let lastChat: ChatRunResult | undefined;
  context.subscriptions.push(container.chatModels.onDidFinish((result) => (lastChat = result)));
  const changes = { providers: 0, agents: 0 };
  context.subscriptions.push(container.providersTree.onDidChangeTreeData(() => changes.providers++));
  context.subscriptions.push(container.agentsTree.onDidChangeTreeData(() => changes.agents++));
  container.log.info(`Model Router activated (version ${container.version})`);
  return {
    version: container.version,
    lastRun: () => last,
    lastChatRun: () => lastChat,
    chatProvider: () => container.chatModels,
    ledgerCount: async () => (await container.ledger.store())?.count() ?? 0,
    ledgerFeedback: async () => {
      const store = await container.ledger.store();
      const rows = store?.read((db) => db.exec('SELECT request_id, kind FROM feedback ORDER BY at, rowid')[0]?.values) ?? [];
      return rows.map(([requestId, kind]) => ({ requestId: String(requestId), kind: String(kind) }));
    },
    statusBarText: () => container.statusBar.text,
    treeSnapshot: async () => ({
      providers: await snapshotTree(container.providersTree),
      agents: await snapshotTree(container.agentsTree),
      changes: { ...changes },
    }),
    configIgnored: async () => (await container.configService.get()).ignored,
    configDiagnostics: async () =>
      (await container.configService.get()).diagnostics.map((d) => `${d.file}${d.line !== undefined ? `:${d.line}:${d.column ?? 1}` : ''}: ${d.severity}: ${d.message}`),
    compactLedger: async () => {
      const store = await container.ledger.store();
      if (!store) return undefined;
      const before = store.stats().workerCompactions;
      const { rows } = await store.compact();
      return { rows, builtInWorker: store.stats().workerCompactions > before, directory: store.dir };
    },
  };
}
