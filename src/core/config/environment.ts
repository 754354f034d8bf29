/**
 * Keys and endpoints from the environment: the CLI's only source of keys (never a file, never a flag, never printed),
 * and what the extension's "Import Keys from Environment" reads. Both honour the base URL variables.
 *
 * - Key id `default` of a built-in provider: its usual variable (keyFromEnvironment): ANTHROPIC_API_KEY,
 *   OPENAI_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY, DEEPSEEK_API_KEY.
 * - Any other key id: the same variable with `_<ID>` appended, the id upper-cased and every character other than a
 *   letter or digit turned into `_`: key `work` of anthropic is ANTHROPIC_API_KEY_WORK.
 * - A custom provider declared in the user config: `<ID>_API_KEY` (`my-proxy` -> MY_PROXY_API_KEY), and
 *   `<ID>_API_KEY_<KEY ID>` for its other keys. The local server takes MODEL_ROUTER_LOCAL_API_KEY when it is given keys.
 *
 * Base URLs: the configuration's, overridden by ANTHROPIC_BASE_URL, OPENAI_BASE_URL, GEMINI_BASE_URL,
 * DEEPSEEK_BASE_URL and MODEL_ROUTER_LOCAL_BASE_URL. The environment is the user's own (unlike a workspace file), so
 * it may move where a key is sent: that is what proxies, gateways and the fake providers need.
 */
import { BUILTIN_PROVIDERS, isBuiltinProviderId, keyFromEnvironment } from '../providers/registry';
import type { KeySource } from '../routing/router';
import { DEFAULT_CONFIG } from './defaults';
import type { Config, ProviderConfig } from './types';

/** A base URL variable that is not an http(s) URL; the message says which and what to do. */
export class EnvironmentVariableError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnvironmentVariableError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The environment variables that override each built-in provider's base URL. */
export const BASE_URL_VARIABLES: Readonly<Record<string, string>> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  gemini: 'GEMINI_BASE_URL',
  deepseek: 'DEEPSEEK_BASE_URL',
  local: 'MODEL_ROUTER_LOCAL_BASE_URL',
};

/** Where each SDK sends requests when no base URL is configured. */
export const SDK_DEFAULT_BASE_URLS: Readonly<Record<string, string>> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
  gemini: 'https://generativelanguage.googleapis.com',
};

function variableStem(providerId: string): string {
  return providerId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The variables that may hold key `keyId` of `providerId`, in order of preference. */
export function keyVariables(providerId: string, keyId: string): string[] {
  let base: readonly string[];
  if (providerId === 'local') base = ['MODEL_ROUTER_LOCAL_API_KEY'];
  else if (isBuiltinProviderId(providerId)) base = BUILTIN_PROVIDERS[providerId].envVars;
  else base = [`${variableStem(providerId)}_API_KEY`];
  return keyId === 'default' ? [...base] : base.map((name) => `${name}_${variableStem(keyId)}`);
}

/** The value of key `keyId` of `providerId`, or undefined. */
export function keyFromEnv(env: Env, providerId: string, keyId: string): string | undefined {
  if (keyId === 'default' && isBuiltinProviderId(providerId) && providerId !== 'local') {
    return keyFromEnvironment(providerId, env);
  }
  for (const name of keyVariables(providerId, keyId)) {
    const value = env[name];
    if (value) return value;
  }
  return undefined;
}

/** "ANTHROPIC_API_KEY" or "GEMINI_API_KEY or GOOGLE_API_KEY". */
export function describeKeyVariables(providerId: string, keyId: string): string {
  return keyVariables(providerId, keyId).join(' or ');
}

/** The router's key source: the environment, with a hint that names the variable. */
export function environmentKeySource(env: Env): KeySource {
  return {
    get: (providerId, keyId) => keyFromEnv(env, providerId, keyId),
    hint: (providerId) => `Set the ${describeKeyVariables(providerId, 'default')} environment variable.`,
  };
}

/** The key ids of a provider whose variable is not set (none for providers that need no key). */
export function missingKeys(env: Env, provider: ProviderConfig): string[] {
  if (!provider.requiresKey) return [];
  return provider.keys.map((key) => key.id).filter((keyId) => keyFromEnv(env, provider.id, keyId) === undefined);
}

/** A URL for messages: any user name or password in it replaced by `***` (one masking for the whole program). */
export { displayUrl } from '../util/secrets';

export type BaseUrlSource = 'default' | 'config' | { readonly variable: string };

export interface EnvironmentOverrides {
  readonly config: Config;
  /** Where each provider's base URL comes from. */
  readonly baseUrlSources: Readonly<Record<string, BaseUrlSource>>;
}

/**
 * Applies the base URL variables to `config`. Throws {@link EnvironmentVariableError} for a variable that is not an
 * http(s) URL.
 */
export function applyEnvironment(config: Config, env: Env): EnvironmentOverrides {
  const providers: Record<string, ProviderConfig> = { ...config.providers };
  const sources: Record<string, BaseUrlSource> = {};
  for (const [id, provider] of Object.entries(config.providers)) {
    sources[id] = provider.baseUrl === DEFAULT_CONFIG.providers[id]?.baseUrl ? 'default' : 'config';
    const variable = BASE_URL_VARIABLES[id];
    const value = variable === undefined ? undefined : env[variable]?.trim();
    if (variable === undefined || !value) continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new EnvironmentVariableError(variable, `${variable} must be an http:// or https:// URL, such as http://127.0.0.1:47101; unset it or fix it.`);
    }
    providers[id] = { ...provider, baseUrl: value };
    sources[id] = { variable };
  }
  return { config: { ...config, providers }, baseUrlSources: sources };
}
