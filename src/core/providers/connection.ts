/**
 * "Test Connection" for one provider, shared by `model-router status` and the extension's command and tree: picks the
 * first key that has a value, runs the adapter's testConnection with a timeout, and returns a result a person can read
 * (never the key).
 */
import type { ProviderConfig } from '../config/types';
import { errorMessage } from '../util/errorMessage';
import { ProviderError } from './errors';
import { createProvider } from './registry';
import type { ChatProvider, ProviderSettings } from './types';

export interface ConnectionStatus {
  /** `ok`, `failed`, or `skipped` (disabled, no key). */
  readonly result: 'ok' | 'failed' | 'skipped';
  /** The key the test used. */
  readonly keyId?: string;
  readonly latencyMs?: number;
  readonly models?: number;
  readonly errorKind?: string;
  readonly message?: string;
  /** With `failed`: the connection was refused or closed before any response (nothing listens there). */
  readonly refused?: boolean;
}

export interface ConnectionTestOptions {
  /** The value of a key of this provider, or undefined when it has none. */
  readonly keyValue: (keyId: string) => Promise<string | undefined> | string | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Where a person sets the key, e.g. "Set ANTHROPIC_API_KEY." (the "no key" message ends with it). */
  readonly keyHint: (keyId: string) => string;
  /** Builds the adapter; default the provider registry (the router passes its own, with `vscode-lm` in the extension). */
  readonly createProvider?: (settings: ProviderSettings) => ChatProvider;
}

export async function testProviderConnection(provider: ProviderConfig, options: ConnectionTestOptions): Promise<ConnectionStatus> {
  if (!provider.enabled) return { result: 'skipped', message: 'disabled in the configuration' };
  let keyId: string | undefined;
  let apiKey: string | undefined;
  if (provider.requiresKey) {
    for (const key of provider.keys) {
      const value = await options.keyValue(key.id);
      if (value) {
        keyId = key.id;
        apiKey = value;
        break;
      }
    }
    if (apiKey === undefined) return { result: 'skipped', message: `no key: ${options.keyHint(provider.keys[0]?.id ?? 'default')}` };
  }
  const started = performance.now();
  const signals = [AbortSignal.timeout(options.timeoutMs + 1_000), ...(options.signal ? [options.signal] : [])];
  try {
    const client = (options.createProvider ?? createProvider)({
      id: provider.id,
      protocol: provider.protocol,
      label: provider.label,
      requiresKey: provider.requiresKey,
      ...(apiKey ? { apiKey } : {}),
      ...(provider.baseUrl ? { baseUrl: provider.baseUrl } : {}),
      testTimeoutMs: options.timeoutMs,
      keyHint: options.keyHint(keyId ?? 'default'),
    });
    const result = await client.testConnection(AbortSignal.any(signals));
    return { result: 'ok', ...(keyId ? { keyId } : {}), latencyMs: result.latencyMs, models: result.models.length };
  } catch (error) {
    const latencyMs = performance.now() - started;
    const message = ProviderError.is(error) ? error.message : errorMessage(error);
    const kind = ProviderError.is(error) ? error.kind : 'error';
    const refused = ProviderError.is(error) && error.refused;
    return { result: 'failed', ...(keyId ? { keyId } : {}), latencyMs, errorKind: kind, message, ...(refused ? { refused } : {}) };
  }
}
