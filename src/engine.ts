/**
 * The extension's engine: everything of src/core that does real work (SDK adapters, the router, YAML and the schema
 * validator, sql.js and the ledger). esbuild bundles it as dist/engine.js, apart from dist/extension.js, and the
 * extension `require`s it on first use (src/vscode/engine.ts) — so activating the extension loads none of it.
 *
 * Only runtime values the extension calls go through here; the extension imports TYPES from src/core directly (erased
 * at build time). esbuild.js fails the extension build if an SDK, sql.js, yaml or ajv ends up in dist/extension.js.
 */
export { ConfigStore } from './core/config/configStore';
export { MAX_CONFIG_FILE_BYTES } from './core/config/load';
export { applyEnvironment, keyFromEnv, describeKeyVariables, displayUrl, SDK_DEFAULT_BASE_URLS } from './core/config/environment';
export { testProviderConnection } from './core/providers/connection';
export { createProvider } from './core/providers/registry';
export { formatDiagnostic } from './core/config/diagnostics';
export { applyPreset, presetAssignments } from './core/config/presets';
export { setProviderWeightsInYaml } from './core/config/yamlEdit';
export { assignAgentInYaml } from './core/config/yamlEdit';
export { createPriceTable, providerPriceOptions } from './core/pricing/cost';
export { Router } from './core/routing/router';
export { AnswerCache } from './core/cache/answerCache';
export { createVerifier } from './core/verify/create';
export { LedgerStore } from './core/ledger/store';
export { PendingSpend, budgetUsage } from './core/ledger/spend';
export { SharedBudgetHolds } from './core/ledger/reservations';
export { SharedKeyLimits } from './core/ledger/keyLimits';
export { toLedgerRecord } from './core/ledger/record';
export { recordDecisions } from './core/ledger/recorder';
export { latestDecisions, breakdown, recentAttempts } from './core/ledger/queries';
export { PERFORMANCE_LOOKBACK_MS } from './core/routing/performance';
export { providerHealth } from './core/ledger/health';
export { feedbackRecord } from './core/ledger/feedback';
export { modelSpeeds } from './core/ledger/dashboard';
export { dashboardSnapshot, dashboardDecisions, dashboardRecommendations, dashboardVerified, dashboardExport, DASHBOARD_DECISIONS } from './core/ledger/dashboard';
export { emptyLedgerDatabase } from './core/ledger/schema';
