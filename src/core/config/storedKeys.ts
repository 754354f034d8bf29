/**
 * Keys a person stored through the extension ("Set API Key": SecretStorage) join the configuration's key entries, so
 * the router asks for them. The configuration's own entry for the same (provider, id) wins (its tags and limits come
 * from the user's YAML).
 *
 * A provider whose key list is empty, or that needs no key (local servers), gets none. (A workspace file cannot declare
 * a provider or set its keys at all: see the allow-list in layering.ts.)
 */
import type { Config, KeyConfig, ProviderConfig, Tier } from './types';

export interface StoredKeyEntry {
  readonly provider: string;
  readonly id: string;
  readonly tiers?: readonly Tier[];
  readonly priority?: number;
}

export function withStoredKeys(config: Config, stored: readonly StoredKeyEntry[]): Config {
  let providers: Record<string, ProviderConfig> | undefined;
  for (const entry of stored) {
    const provider = providers?.[entry.provider] ?? config.providers[entry.provider];
    if (!provider || !provider.requiresKey || provider.keys.length === 0) continue;
    if (provider.keys.some((key) => key.id === entry.id)) continue;
    const key: KeyConfig = {
      id: entry.id,
      ...(entry.tiers && entry.tiers.length > 0 ? { tiers: entry.tiers } : {}),
      ...(entry.priority !== undefined ? { priority: entry.priority } : {}),
    };
    providers ??= { ...config.providers };
    providers[entry.provider] = { ...provider, keys: [...provider.keys, key] };
  }
  return providers ? { ...config, providers } : config;
}
