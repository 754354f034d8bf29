/**
 * A resolved {@link Config} written back in the file format: the built-in defaults become the bottom layer of the
 * merge this way, and `model-router config` can show the effective configuration as YAML.
 */
import type { ConfigFile, KeyFileEntry, ProviderFileEntry } from './configFile';
import type { AgentId, Config, KeyConfig, ProviderConfig } from './types';

function keyToFile(key: KeyConfig): KeyFileEntry {
  return {
    id: key.id,
    ...(key.tiers !== undefined ? { tiers: [...key.tiers] } : {}),
    ...(key.priority !== undefined ? { priority: key.priority } : {}),
    ...(key.limits !== undefined ? { limits: { ...key.limits } } : {}),
  };
}

function providerToFile(provider: ProviderConfig): ProviderFileEntry {
  return {
    protocol: provider.protocol,
    label: provider.label,
    ...(provider.baseUrl !== undefined ? { baseUrl: provider.baseUrl } : {}),
    enabled: provider.enabled,
    models: { ...provider.models },
    keys: provider.keys.map(keyToFile),
    requiresKey: provider.requiresKey,
    free: provider.free,
    ...(provider.unknownModelPrice !== undefined ? { unknownModelPrice: { ...provider.unknownModelPrice } } : {}),
    weight: provider.weight,
    capabilities: { ...provider.capabilities },
    ...(provider.timeoutMs !== undefined ? { timeoutMs: provider.timeoutMs } : {}),
    ...(provider.idleTimeoutMs !== undefined ? { idleTimeoutMs: provider.idleTimeoutMs } : {}),
    ...(provider.minIntervalMs !== undefined ? { minIntervalMs: provider.minIntervalMs } : {}),
    strictTiers: provider.strictTiers,
    ...(provider.safety !== undefined ? { safety: provider.safety } : {}),
  };
}

/** Every field of `config` in the file format (plain, mutable copies). Valid against the schema. */
export function configToFile(config: Config): ConfigFile {
  const { routing, budget, ledger } = config;
  return {
    version: 1,
    strategy: routing.strategy,
    tiers: { light: routing.tiers.lightMax, medium: routing.tiers.mediumMax },
    localFirst: routing.localFirst,
    escalateAfterFailures: routing.escalateAfterFailures,
    maxWaitMs: routing.maxWaitMs,
    maxAnswerChars: routing.maxAnswerChars,
    retry: { ...routing.retry },
    circuit: { ...routing.circuit },
    expectedOutputTokens: { ...routing.expectedOutputTokens },
    budget: {
      ...(budget.dailyUsd !== undefined ? { daily: budget.dailyUsd } : {}),
      ...(budget.monthlyUsd !== undefined ? { monthly: budget.monthlyUsd } : {}),
      onExceed: budget.onExceed,
      ...(budget.timeZone !== undefined ? { timeZone: budget.timeZone } : {}),
    },
    pricing: JSON.parse(JSON.stringify(config.pricing)) as ConfigFile['pricing'],
    ledger: { ...ledger },
    verify: { ...config.verify },
    cache: { ...config.cache, tasks: [...config.cache.tasks] },
    providers: Object.fromEntries(Object.entries(config.providers).map(([id, provider]) => [id, providerToFile(provider)])),
    agents: Object.fromEntries(
      (Object.keys(config.agents) as AgentId[]).map((id) => [
        id,
        { chain: [...config.agents[id].chain], reasoning: config.agents[id].reasoning },
      ]),
    ),
  };
}
