/**
 * Command ids, exactly as contributed in package.json `contributes.commands` (test/unit/manifest.test.ts checks the
 * two agree). No `vscode` import, so tests and the manifest check can read it in plain Node.
 */
export const CommandId = {
  // Runs on a selection (or the enclosing function); each is bound to an agent through its task.
  explain: 'modelRouter.explain',
  refactor: 'modelRouter.refactor',
  writeTests: 'modelRouter.writeTests',
  review: 'modelRouter.review',
  document: 'modelRouter.document',
  fix: 'modelRouter.fix',
  implement: 'modelRouter.implement',
  ask: 'modelRouter.ask',
  sendToModel: 'modelRouter.sendToModel',
  retryStronger: 'modelRouter.retryStronger',
  compareModels: 'modelRouter.compareModels',
  // Providers and keys.
  testConnection: 'modelRouter.testConnection',
  testAllProviders: 'modelRouter.testAllProviders',
  resetHealth: 'modelRouter.resetHealth',
  setApiKey: 'modelRouter.setApiKey',
  removeApiKey: 'modelRouter.removeApiKey',
  importKeysFromEnv: 'modelRouter.importKeysFromEnv',
  // Agents.
  reassignAgent: 'modelRouter.reassignAgent',
  applyPreset: 'modelRouter.applyPreset',
  rebalance: 'modelRouter.rebalance',
  openAgentSettings: 'modelRouter.openAgentSettings',
  // Views.
  showLog: 'modelRouter.showLog',
  openDashboard: 'modelRouter.openDashboard',
  refreshTree: 'modelRouter.refreshTree',
} as const;

export type CommandId = (typeof CommandId)[keyof typeof CommandId];

/** Commands that only make sense from a tree item or a view title: hidden from the Command Palette. */
export const TREE_ONLY_COMMANDS: readonly CommandId[] = [CommandId.openAgentSettings, CommandId.refreshTree];

/** View ids (package.json `contributes.views`). */
export const ViewId = {
  container: 'modelRouter',
  providers: 'modelRouter.providers',
  agents: 'modelRouter.agents',
} as const;

/** Context keys the extension sets with `setContext` (used in `when` clauses of the manifest). */
export const ContextKey = {
  /** True once any provider that needs a key has one. */
  anyKey: 'modelRouter.anyKey',
  /**
   * True once any enabled provider is usable: one with a key, or one that needs none (a local server) and answered
   * (the start-up probe, a connection test, a request). The Providers view shows its welcome content while false.
   */
  anyUsable: 'modelRouter.anyUsable',
  /** True while a last request exists that "Retry with a Stronger Model" can re-send. */
  canRetry: 'modelRouter.canRetry',
} as const;
