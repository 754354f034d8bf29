/**
 * The provider layer's one interface. Every adapter (Anthropic, OpenAI, Gemini, OpenAI-compatible) turns a
 * {@link ChatRequest} into an async stream of {@link StreamChunk}s; the router and the ledger only ever see these
 * types, never an SDK's own.
 */

/**
 * The wire protocol an adapter speaks. Several providers can share one (DeepSeek and local servers speak OpenAI's).
 * `vscode-lm` is not a wire protocol: the models VS Code's `vscode.lm` API offers (Copilot's, other extensions'),
 * which only the VS Code extension can reach; the CLI has no adapter for it (see registry.ts createProvider).
 */
export type ProviderProtocol = 'anthropic' | 'openai' | 'gemini' | 'openai-compatible' | 'vscode-lm';

/**
 * The built-in provider ids, in the order the tree view, settings and messages list them: the one list (this file
 * imports nothing, so the extension's activation bundle may import it too). Custom OpenAI-compatible providers
 * declared in config use their own ids.
 */
export const BUILTIN_PROVIDER_IDS = ['anthropic', 'openai', 'gemini', 'deepseek', 'local'] as const;

export type BuiltinProviderId = (typeof BUILTIN_PROVIDER_IDS)[number];

export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  /** System prompt; each adapter puts it where its API expects it. */
  readonly system?: string;
  /** Upper bound on generated tokens. Anthropic requires one; the adapter supplies a default when absent. */
  readonly maxOutputTokens?: number;
  /** Sampling temperature. Not sent to Anthropic: its API (version 2026-10-21 on) rejects sampling parameters. */
  readonly temperature?: number;
  /** Aborting closes the HTTP request; the stream then throws a ProviderError of kind `aborted`. */
  readonly signal?: AbortSignal;
  /** Overrides the provider's configured timeout for this request (whole request, in milliseconds). */
  readonly timeoutMs?: number;
  /**
   * How strictly the provider's own safety filter may block (Gemini's `safetySettings` for the four harm categories:
   * harassment, hate speech, sexually explicit, dangerous content). `default` (or absent) sends none: the API's
   * defaults. Other providers have no such setting and ignore it.
   */
  readonly safety?: SafetyLevel;
}

export const SAFETY_LEVELS = ['block_none', 'block_only_high', 'default'] as const;
export type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/** Token usage as the provider reported it, normalized. Tokens the API does not report are 0. */
export interface Usage {
  /** Prompt tokens billed at the full input price (excludes cache reads and cache writes). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Prompt tokens served from the provider's prompt cache (billed at the cached price). */
  readonly cacheReadTokens: number;
  /** Prompt tokens written to the prompt cache (Anthropic bills these above the input price). */
  readonly cacheWriteTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_use' | 'other';

export type StreamChunk =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'usage'; readonly usage: Usage }
  | { readonly type: 'finish'; readonly reason: FinishReason; readonly providerReason: string };

export interface ChatResult {
  readonly text: string;
  readonly usage: Usage;
  /** False when the provider sent no usage (some local servers); `usage` is then all zeros. */
  readonly usageReported: boolean;
  readonly finishReason: FinishReason;
  readonly providerReason: string;
  readonly model: string;
}

export interface ConnectionResult {
  readonly ok: true;
  /** Models the endpoint reported, when the check lists models (may be empty). */
  readonly models: readonly string[];
  readonly latencyMs: number;
}

export interface ChatProvider {
  readonly id: string;
  readonly protocol: ProviderProtocol;
  /** Streams one chat request. Throws only ProviderError. */
  stream(request: ChatRequest): AsyncGenerator<StreamChunk, void, undefined>;
  /**
   * Non-streaming call built on the same chunk sequence as {@link stream}. Uses the provider's JSON endpoint by
   * default (`transport: 'stream'` collects a streamed answer instead). Throws only ProviderError.
   */
  complete(request: ChatRequest, options?: { readonly transport?: 'stream' | 'json' }): Promise<ChatResult>;
  /** A cheap check that the endpoint is reachable and the key is accepted. Throws only ProviderError. */
  testConnection(signal?: AbortSignal): Promise<ConnectionResult>;
}

export interface ProviderSettings {
  readonly id: string;
  readonly protocol: ProviderProtocol;
  /** The key. Local servers accept any value; the adapter sends a placeholder when none is given. */
  readonly apiKey?: string;
  /** Endpoint override (fakes, proxies, OpenAI-compatible servers). */
  readonly baseUrl?: string;
  /** Human name for messages. Defaults to the built-in provider's name, else the id. */
  readonly label?: string;
  /** Whole-request timeout in milliseconds. Default 300 000. */
  readonly timeoutMs?: number;
  /** Longest wait for the first or the next chunk, in milliseconds. Default 120 000. */
  readonly idleTimeoutMs?: number;
  /** Budget for {@link ChatProvider.testConnection}, in milliseconds. Default 15 000. */
  readonly testTimeoutMs?: number;
  /** Where a person sets the key, for the "missing key" message (for example the env var or the command). */
  readonly keyHint?: string;
  /** Whether the endpoint needs a key at all (local servers do not). */
  readonly requiresKey?: boolean;
}

export const ZERO_USAGE: Usage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});
