import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';

import { boundedFetch } from './boundedFetch';
import type { ErrorKind } from './errors';
import { kindFromStatus, mentionsContextLength, ProviderError, rawErrorText, retryAfterFromHeaders } from './errors';
import type { AdapterSettings, OpenCall, Transport } from './providerBase';
import { causeText, describeBody, ProviderBase } from './providerBase';
import type { ChatRequest, FinishReason, StreamChunk, Usage } from './types';

function finishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    default:
      return 'other';
  }
}

/** DeepSeek reports its prompt cache as hit/miss counts beside the OpenAI fields. */
interface CompatibleUsage extends CompletionUsage {
  readonly prompt_cache_hit_tokens?: number;
  readonly prompt_cache_miss_tokens?: number;
}

/**
 * OpenAI counts cache reads and cache writes inside `prompt_tokens`; we report them apart so each is priced once.
 */
function toUsage(u: CompatibleUsage): Usage {
  const cached = u.prompt_cache_hit_tokens ?? u.prompt_tokens_details?.cached_tokens ?? 0;
  const written = u.prompt_tokens_details?.cache_write_tokens ?? 0;
  const input = u.prompt_cache_miss_tokens ?? Math.max(0, (u.prompt_tokens ?? 0) - cached - written);
  return {
    inputTokens: input,
    outputTokens: u.completion_tokens ?? 0,
    cacheReadTokens: cached,
    cacheWriteTokens: written,
  };
}

const CONTENT_FILTER_CODES = new Set(['content_filter', 'content_policy_violation']);

/**
 * OpenAI Chat Completions, and every OpenAI-compatible endpoint (DeepSeek, LM Studio, Ollama, custom) through the
 * same SDK with a base URL.
 */
export class OpenAIProvider extends ProviderBase {
  private readonly client: OpenAI;

  constructor(settings: AdapterSettings) {
    super(settings);
    this.client = new OpenAI({
      // Local servers ignore the key, but the SDK refuses to start without one.
      apiKey: settings.apiKey || 'not-needed',
      baseURL: settings.baseUrl,
      maxRetries: 0,
      // Bounds every body the SDK reads whole (models list, JSON answers, error bodies) and every stream line.
      fetch: boundedFetch(),
      // The SDK would log unparseable events and request details itself; errors reach the user through us.
      logLevel: 'off',
      timeout: settings.timeoutMs + 1000,
    });
  }

  private params(request: ChatRequest): ChatCompletionCreateParamsBase {
    const messages: ChatCompletionMessageParam[] = [];
    if (request.system) messages.push({ role: 'system', content: request.system });
    for (const m of request.messages) messages.push({ role: m.role, content: m.content });
    const params: ChatCompletionCreateParamsBase = { model: request.model, messages };
    if (request.maxOutputTokens !== undefined) {
      // OpenAI's current models reject `max_tokens`; compatible servers (DeepSeek, Ollama, LM Studio) expect it.
      if (this.protocol === 'openai') params.max_completion_tokens = request.maxOutputTokens;
      else params.max_tokens = request.maxOutputTokens;
    }
    if (request.temperature !== undefined) params.temperature = request.temperature;
    return params;
  }

  protected async *open(request: ChatRequest, call: OpenCall, transport: Transport): AsyncIterable<StreamChunk> {
    const { signal, touch } = call;
    if (transport === 'json') {
      const completion: ChatCompletion | string = await this.client.chat.completions.create(
        { ...this.params(request), stream: false },
        { signal },
      );
      if (typeof completion !== 'object' || completion === null || !Array.isArray(completion.choices)) {
        throw this.malformed(describeBody(completion));
      }
      const choice = completion.choices[0];
      if (choice?.message?.content) yield { type: 'text', text: choice.message.content };
      if (completion.usage) yield { type: 'usage', usage: toUsage(completion.usage) };
      const reason = choice?.finish_reason ?? null;
      yield { type: 'finish', reason: finishReason(reason), providerReason: reason ?? '' };
      return;
    }

    const chunks = await this.client.chat.completions.create(
      { ...this.params(request), stream: true, stream_options: { include_usage: true } },
      { signal },
    );
    // The finish reason arrives before the usage chunk; hold it so finish is always the last chunk.
    let reason: string | null = null;
    for await (const chunk of chunks as AsyncIterable<ChatCompletionChunk>) {
      touch();
      const choice = chunk.choices?.[0];
      if (choice) {
        const text = choice.delta?.content;
        if (text) yield { type: 'text', text };
        if (choice.finish_reason) reason = choice.finish_reason;
      }
      if (chunk.usage) yield { type: 'usage', usage: toUsage(chunk.usage) };
    }
    if (reason !== null) yield { type: 'finish', reason: finishReason(reason), providerReason: reason };
  }

  protected async listModels(signal: AbortSignal): Promise<readonly string[]> {
    const page = await this.client.models.list({ signal });
    return page.data.map((model) => model.id);
  }

  protected normalizeSdkError(error: unknown): ProviderError | undefined {
    const label = this.settings.label;
    if (error instanceof OpenAI.APIConnectionTimeoutError) return this.timeoutError();
    if (error instanceof OpenAI.APIConnectionError) return this.networkError(causeText(error.cause, error.message), error);
    if (isApiError(error)) {
      const body = (error.error ?? {}) as { message?: string; type?: string; code?: string | null };
      const code = error.code ?? body.code ?? undefined;
      const type = error.type ?? body.type ?? undefined;
      // A body that is not JSON (an HTML page, or an error body cut at its size limit) is only in the SDK's message.
      const apiMessage = body.message ?? (error.error === undefined ? rawErrorText(error.message) : undefined);
      let kind: ErrorKind = error.status !== undefined ? kindFromStatus(error.status) : kindFromType(type);
      let retryable: boolean | undefined;
      if (code === 'context_length_exceeded' || (kind === 'bad_request' && mentionsContextLength(apiMessage))) {
        kind = 'context_length';
      } else if ((code && CONTENT_FILTER_CODES.has(code)) || (type && CONTENT_FILTER_CODES.has(type))) {
        kind = 'content_filter';
      } else if (code === 'insufficient_quota' || type === 'insufficient_quota') {
        // A spent quota does not come back after a pause: try another key or provider instead.
        retryable = false;
      }
      const where = error.status === undefined ? 'error during the stream' : `HTTP ${error.status}`;
      return new ProviderError({
        provider: this.id,
        kind,
        status: error.status,
        retryable,
        retryAfterMs: retryAfterFromHeaders(error.headers),
        providerCode: code ?? type ?? undefined,
        requestId: error.requestID ?? undefined,
        message: `${label} ${where} (${code ?? type ?? kind}): ${this.safe(apiMessage ?? 'no message')}`,
      });
    }
    return undefined;
  }
}

/** Errors sent inside a stream have no status; their `type` says what happened. */
function kindFromType(type: string | undefined): ErrorKind {
  switch (type) {
    case 'rate_limit_exceeded':
    case 'rate_limit_error':
      return 'rate_limit';
    case 'invalid_request_error':
      return 'bad_request';
    case 'authentication_error':
      return 'auth';
    case 'overloaded_error':
      return 'overloaded';
    default:
      return 'server';
  }
}

/** `instanceof` would type the error's status and headers as `any` (the class is generic); this keeps their types. */
function isApiError(error: unknown): error is InstanceType<typeof OpenAI.APIError> {
  return error instanceof OpenAI.APIError;
}
