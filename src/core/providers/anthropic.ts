import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsBase, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';

import { boundedFetch } from './boundedFetch';
import type { ErrorKind } from './errors';
import { kindFromStatus, mentionsContextLength, ProviderError, rawErrorText, retryAfterFromHeaders } from './errors';
import type { AdapterSettings, OpenCall, Transport } from './providerBase';
import { causeText, describeBody, ProviderBase } from './providerBase';
import type { ChatRequest, FinishReason, StreamChunk, Usage } from './types';

/**
 * Anthropic error `type` values (https://docs.anthropic.com/en/api/errors) to our kinds. The generic `api_error`
 * is left to the HTTP status (500 server, 503 overloaded); in a stream, where there is no status, it is `server`.
 */
const ERROR_TYPES: Readonly<Record<string, ErrorKind>> = {
  invalid_request_error: 'bad_request',
  authentication_error: 'auth',
  permission_error: 'auth',
  billing_error: 'auth',
  not_found_error: 'bad_request',
  request_too_large: 'context_length',
  rate_limit_error: 'rate_limit',
  overloaded_error: 'overloaded',
  timeout_error: 'timeout',
};

function finishReason(stop: string | null | undefined): FinishReason {
  switch (stop) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_use';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

interface AnthropicUsageFields {
  readonly input_tokens?: number | null;
  readonly output_tokens?: number | null;
  readonly cache_creation_input_tokens?: number | null;
  readonly cache_read_input_tokens?: number | null;
}

/** Anthropic already reports input tokens without cache reads and writes, which is our convention. */
function toUsage(u: AnthropicUsageFields, previous?: Usage): Usage {
  return {
    inputTokens: u.input_tokens ?? previous?.inputTokens ?? 0,
    outputTokens: u.output_tokens ?? previous?.outputTokens ?? 0,
    cacheReadTokens: u.cache_read_input_tokens ?? previous?.cacheReadTokens ?? 0,
    cacheWriteTokens: u.cache_creation_input_tokens ?? previous?.cacheWriteTokens ?? 0,
  };
}

/** The JSON body of an Anthropic API error, as far as it is read (the SDK types it as a plain object). */
type AnthropicErrorBody = { error?: { type?: string; message?: string }; request_id?: string };

function errorBody(value: unknown): AnthropicErrorBody | undefined {
  return typeof value === 'object' && value !== null ? value : undefined;
}

export class AnthropicProvider extends ProviderBase {
  private readonly client: Anthropic;

  constructor(settings: AdapterSettings) {
    super(settings);
    this.client = new Anthropic({
      apiKey: settings.apiKey ?? '',
      baseURL: settings.baseUrl,
      maxRetries: 0,
      // Bounds every body the SDK reads whole (models list, JSON answers, error bodies) and every stream line.
      fetch: boundedFetch(),
      // The SDK would log unparseable events and request details itself; errors reach the user through us.
      logLevel: 'off',
      // Our guard enforces the real timeout and names it; the SDK's is a backstop.
      timeout: settings.timeoutMs + 1000,
    });
  }

  private params(request: ChatRequest): MessageCreateParamsBase {
    return {
      model: request.model,
      max_tokens: request.maxOutputTokens ?? this.settings.defaultMaxOutputTokens,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(request.system ? { system: request.system } : {}),
      // No temperature: API version 2026-10-21 (the one this SDK sends) rejects sampling parameters with a 400.
    };
  }

  protected async *open(request: ChatRequest, call: OpenCall, transport: Transport): AsyncIterable<StreamChunk> {
    const { signal, touch } = call;
    if (transport === 'json') {
      const message: Message | string = await this.client.messages.create(
        { ...this.params(request), stream: false },
        { signal },
      );
      if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
        throw this.malformed(describeBody(message));
      }
      const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      if (text) yield { type: 'text', text };
      yield { type: 'usage', usage: toUsage(message.usage) };
      yield { type: 'finish', reason: finishReason(message.stop_reason), providerReason: message.stop_reason ?? '' };
      return;
    }

    const events = await this.client.messages.create({ ...this.params(request), stream: true }, { signal });
    let usage: Usage | undefined;
    let stop: string | null = null;
    let stopped = false;
    for await (const event of events as AsyncIterable<RawMessageStreamEvent>) {
      touch();
      switch (event.type) {
        case 'message_start':
          usage = toUsage(event.message.usage);
          break;
        case 'content_block_delta':
          if (event.delta.type === 'text_delta') yield { type: 'text', text: event.delta.text };
          break;
        case 'message_delta':
          stop = event.delta.stop_reason;
          usage = toUsage(event.usage, usage);
          break;
        case 'message_stop':
          stopped = true;
          break;
        default:
          break;
      }
    }
    // Read to the end of the body before finishing, so the connection goes back to the keep-alive pool.
    if (stopped) {
      if (usage) yield { type: 'usage', usage };
      yield { type: 'finish', reason: finishReason(stop), providerReason: stop ?? '' };
    }
  }

  protected async listModels(signal: AbortSignal): Promise<readonly string[]> {
    const page = await this.client.models.list({ limit: 100 }, { signal });
    return page.data.map((model) => model.id);
  }

  protected normalizeSdkError(error: unknown): ProviderError | undefined {
    const label = this.settings.label;
    if (error instanceof Anthropic.APIConnectionTimeoutError) return this.timeoutError();
    if (error instanceof Anthropic.APIConnectionError) return this.networkError(causeText(error.cause, error.message), error);
    if (isApiError(error)) {
      const body = errorBody(error.error);
      const type = body?.error?.type ?? error.type ?? undefined;
      const apiMessage =
        body?.error?.message ?? error.apiMessage ?? (error.error === undefined ? rawErrorText(error.message) : undefined);
      let kind: ErrorKind =
        (type ? ERROR_TYPES[type] : undefined) ??
        (error.status !== undefined ? kindFromStatus(error.status) : 'server');
      if (kind === 'bad_request' && mentionsContextLength(apiMessage)) kind = 'context_length';
      const where = error.status === undefined ? 'error during the stream' : `HTTP ${error.status}`;
      return new ProviderError({
        provider: this.id,
        kind,
        status: error.status,
        retryAfterMs: retryAfterFromHeaders(error.headers),
        providerCode: type ?? undefined,
        requestId: error.requestID ?? body?.request_id ?? undefined,
        message: `${label} ${where} (${type ?? kind}): ${this.safe(apiMessage ?? 'no message')}`,
      });
    }
    return undefined;
  }
}

/** `instanceof` would type the error's status and headers as `any` (the class is generic); this keeps their types. */
function isApiError(error: unknown): error is InstanceType<typeof Anthropic.APIError> {
  return error instanceof Anthropic.APIError;
}
