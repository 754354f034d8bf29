import { AnthropicProvider } from './anthropic';
import { ProviderError } from './errors';
import { GeminiProvider } from './gemini';
import { OpenAIProvider } from './openai';
import type { AdapterSettings } from './providerBase';
import type { BuiltinProviderId, ChatProvider, ChatResult, ConnectionResult, ProviderProtocol, ProviderSettings, StreamChunk } from './types';


/** `max_tokens` of a request that sets none (Anthropic requires one); also the output the budget holds for. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
export interface BuiltinProvider {
  readonly label: string;
  readonly protocol: ProviderProtocol;
  /** Undefined: the SDK's own default endpoint. */
  readonly baseUrl?: string;
  /** Environment variables that may hold the key, in order of preference. */
  readonly envVars: readonly string[];
  readonly requiresKey: boolean;
}

/** Where each built-in provider lives and where its key usually sits in the environment. */
export const BUILTIN_PROVIDERS: Readonly<Record<BuiltinProviderId, BuiltinProvider>> = {
  anthropic: { label: 'Anthropic', protocol: 'anthropic', envVars: ['ANTHROPIC_API_KEY'], requiresKey: true },
  openai: { label: 'OpenAI', protocol: 'openai', envVars: ['OPENAI_API_KEY'], requiresKey: true },
  gemini: { label: 'Gemini', protocol: 'gemini', envVars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], requiresKey: true },
  deepseek: {
    label: 'DeepSeek',
    protocol: 'openai-compatible',
    baseUrl: 'https://api.deepseek.com/v1',
    envVars: ['DEEPSEEK_API_KEY'],
    requiresKey: true,
  },
  local: {
    label: 'Local model',
    protocol: 'openai-compatible',
    baseUrl: 'http://localhost:11434/v1',
    envVars: [],
    requiresKey: false,
  },
};

/** OpenAI-compatible local servers and their default endpoints. */
export const LOCAL_SERVER_PRESETS = {
  ollama: 'http://localhost:11434/v1',
  lmstudio: 'http://localhost:1234/v1',
} as const;

export function isBuiltinProviderId(id: string): id is BuiltinProviderId {
  return Object.prototype.hasOwnProperty.call(BUILTIN_PROVIDERS, id);
}

export const DEFAULT_TIMEOUTS = { timeoutMs: 300_000, idleTimeoutMs: 120_000, testTimeoutMs: 15_000 } as const;

/** The cheap model the Gemini connectivity check counts tokens with. */
const GEMINI_TEST_MODEL = 'gemini-2.5-flash-lite';

/** Where to set a key, for the "missing key" message. */
export function defaultKeyHint(id: string): string {
  const env = isBuiltinProviderId(id) ? BUILTIN_PROVIDERS[id].envVars : [];
  const envText = env.length > 0 ? ` or set the ${env.join(' / ')} environment variable` : '';
  return `Run "Model Router: Set API Key"${envText}.`;
}

function positive(name: string, id: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`Provider "${id}": ${name} must be a positive number of milliseconds, got ${String(value)}.`);
  }
  return value;
}

/** Applies the built-in defaults to what the configuration says about a provider. */
export function resolveAdapterSettings(settings: ProviderSettings): AdapterSettings {
  const builtin = isBuiltinProviderId(settings.id) ? BUILTIN_PROVIDERS[settings.id] : undefined;
  if (builtin && builtin.protocol !== settings.protocol) {
    throw new Error(
      `Provider "${settings.id}" speaks the ${builtin.protocol} protocol, not ${settings.protocol}. Use another id for a custom provider.`,
    );
  }
  const baseUrl = settings.baseUrl ?? builtin?.baseUrl;
  if (settings.protocol === 'openai-compatible' && !baseUrl) {
    throw new Error(
      `Provider "${settings.id}" is OpenAI-compatible but has no baseUrl. Add one, for example ${LOCAL_SERVER_PRESETS.lmstudio} for LM Studio.`,
    );
  }
  if (baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new Error(`Provider "${settings.id}": baseUrl "${baseUrl}" is not a URL. Use a form like https://host/v1.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`Provider "${settings.id}": baseUrl must start with http:// or https://, got "${baseUrl}".`);
    }
  }
  return {
    id: settings.id,
    protocol: settings.protocol,
    label: settings.label ?? builtin?.label ?? settings.id,
    apiKey: settings.apiKey || undefined,
    requiresKey: settings.requiresKey ?? builtin?.requiresKey ?? settings.protocol !== 'openai-compatible',
    baseUrl,
    timeoutMs: positive('timeoutMs', settings.id, settings.timeoutMs, DEFAULT_TIMEOUTS.timeoutMs),
    idleTimeoutMs: positive('idleTimeoutMs', settings.id, settings.idleTimeoutMs, DEFAULT_TIMEOUTS.idleTimeoutMs),
    testTimeoutMs: positive('testTimeoutMs', settings.id, settings.testTimeoutMs, DEFAULT_TIMEOUTS.testTimeoutMs),
    keyHint: settings.keyHint ?? defaultKeyHint(settings.id),
    defaultMaxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS,
  };
}

/**
 * A `vscode-lm` provider outside VS Code (the CLI): VS Code's language models are reachable only from the extension,
 * which passes its own adapter to the router. Here every call fails at once, not retryable, saying why, so the router
 * moves on to the next provider of the chain.
 */
class VscodeLmOutsideVscode implements ChatProvider {
  readonly protocol = 'vscode-lm' as const;
  constructor(readonly id: string) {}
  private error(): ProviderError {
    return new ProviderError({
      provider: this.id,
      kind: 'bad_request',
      retryable: false,
      message: `${this.id} (protocol vscode-lm) is VS Code's language models, which only the VS Code extension can use; skipped here`,
    });
  }
  // eslint-disable-next-line require-yield
  async *stream(): AsyncGenerator<StreamChunk, void, undefined> {
    throw this.error();
  }
  complete(): Promise<ChatResult> {
    return Promise.reject(this.error());
  }
  testConnection(): Promise<ConnectionResult> {
    return Promise.reject(this.error());
  }
}

/** The one place that turns provider settings into an adapter over the right official SDK. */
export function createProvider(settings: ProviderSettings): ChatProvider {
  const resolved = resolveAdapterSettings(settings);
  switch (resolved.protocol) {
    case 'anthropic':
      return new AnthropicProvider(resolved);
    case 'gemini':
      return new GeminiProvider(resolved, GEMINI_TEST_MODEL);
    case 'openai':
    case 'openai-compatible':
      return new OpenAIProvider(resolved);
    case 'vscode-lm':
      return new VscodeLmOutsideVscode(resolved.id);
  }
}

/** The key for a built-in provider from the environment (the CLI's source of keys). */
export function keyFromEnvironment(id: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!isBuiltinProviderId(id)) return undefined;
  for (const name of BUILTIN_PROVIDERS[id].envVars) {
    const value = env[name];
    if (value) return value;
  }
  return undefined;
}
