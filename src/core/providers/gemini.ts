import type { GenerateContentRequest, GenerateContentResponse, GenerativeModel, SafetySetting, UsageMetadata } from '@google/generative-ai';
import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
} from '@google/generative-ai';
import { HarmBlockThreshold, HarmCategory } from '@google/generative-ai';

import { errorMessage } from '../util/errorMessage';
import { boundedFetch } from './boundedFetch';
import type { ErrorKind } from './errors';
import { kindFromStatus, mentionsContextLength, ProviderError, retryAfterFromGoogleDetails } from './errors';
import type { AdapterSettings, OpenCall, Transport } from './providerBase';
import { ProviderBase } from './providerBase';
import { withScopedFetch } from './scopedFetch';
import type { ChatRequest, FinishReason, SafetyLevel, StreamChunk, Usage } from './types';

/** The four harm categories the API filters by default (civic integrity is left at the API's default). */
const HARM_CATEGORIES: readonly HarmCategory[] = [
  HarmCategory.HARM_CATEGORY_HARASSMENT,
  HarmCategory.HARM_CATEGORY_HATE_SPEECH,
  HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT,
  HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT,
];

/** `safetySettings` for a level; none for `default` (the API's own thresholds). */
export function safetySettingsFor(level: SafetyLevel | undefined): SafetySetting[] | undefined {
  if (level === undefined || level === 'default') return undefined;
  const threshold = level === 'block_none' ? HarmBlockThreshold.BLOCK_NONE : HarmBlockThreshold.BLOCK_ONLY_HIGH;
  return HARM_CATEGORIES.map((category) => ({ category, threshold }));
}

/** Finish and block reasons of Gemini's safety filter (not RECITATION: that is about copied text, not harm). */
const SAFETY_REASONS = new Set(['SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/** "dangerous content: HIGH" for the ratings the API marked `blocked` (or rated HIGH/MEDIUM when none is marked). */
function blockedCategories(ratings: readonly { category?: string; probability?: string; blocked?: boolean }[] | undefined): string {
  const list = ratings ?? [];
  const marked = list.filter((r) => r.blocked);
  const shown = (marked.length > 0 ? marked : list.filter((r) => r.probability === 'HIGH' || r.probability === 'MEDIUM')).slice(0, 4);
  return shown
    .map((r) => `${String(r.category ?? '').replace(/^HARM_CATEGORY_/, '').replace(/_/g, ' ').toLowerCase().slice(0, 40)}: ${String(r.probability ?? '?').slice(0, 20)}`)
    .join(', ');
}

const BLOCKED_FINISH = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

function finishReason(reason: string | undefined): FinishReason {
  if (reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && BLOCKED_FINISH.has(reason)) return 'content_filter';
  return 'other';
}

/**
 * Gemini counts cached tokens inside `promptTokenCount` and bills "thinking" tokens as output; we report the
 * cache apart and fold thoughts into output.
 */
function toUsage(u: UsageMetadata & { thoughtsTokenCount?: number }): Usage {
  const cached = u.cachedContentTokenCount ?? 0;
  return {
    inputTokens: Math.max(0, (u.promptTokenCount ?? 0) - cached),
    outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

/** A Gemini stream can carry an error object in place of a response. */
interface StreamedError {
  readonly error?: { code?: number; message?: string; status?: string; details?: unknown };
}

/**
 * The bounded fetch for the SDK's calls. An error body over the bound is cut (see boundedFetch.ts), and this SDK
 * parses an error body as JSON or drops its message: a cut body is given to it as a small JSON error holding what
 * could be read of the message, so the user still sees the provider's words.
 */
function geminiFetch(base: typeof fetch): typeof fetch {
  const bounded = boundedFetch({}, base);
  return async (input, init) => {
    const response = await bounded(input, init);
    if (response.ok) return response;
    const text = await response.text();
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    const rebuilt = { status: response.status, statusText: response.statusText, headers };
    try {
      JSON.parse(text);
      return new Response(text, rebuilt);
    } catch {
      const message = /"message"\s*:\s*"((?:[^"\\]|\\.)*)/.exec(text)?.[1] ?? text;
      headers.set('content-type', 'application/json');
      return new Response(JSON.stringify({ error: { code: response.status, message: message.slice(0, 1_000) } }), rebuilt);
    }
  };
}

/** The SDK's defaults, for the calls we send ourselves. */
const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';
const GEMINI_API_VERSION = 'v1beta';

export class GeminiProvider extends ProviderBase {
  private readonly client: GoogleGenerativeAI;
  private readonly fetch = boundedFetch();

  constructor(
    settings: AdapterSettings,
    private readonly testModel: string,
  ) {
    super(settings);
    this.client = new GoogleGenerativeAI(settings.apiKey ?? '');
  }

  private model(request: Pick<ChatRequest, 'model' | 'system' | 'maxOutputTokens' | 'temperature' | 'safety'>): GenerativeModel {
    const safety = safetySettingsFor(request.safety);
    return this.client.getGenerativeModel(
      {
        model: request.model,
        ...(request.system ? { systemInstruction: request.system } : {}),
        generationConfig: {
          ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        },
        ...(safety ? { safetySettings: safety } : {}),
      },
      // No SDK `timeout`: the SDK never clears that timer, which would hold a CLI process open. Our guard times out.
      this.settings.baseUrl ? { baseUrl: this.settings.baseUrl } : {},
    );
  }

  /**
   * Runs an SDK call with its fetch bounded like the other SDKs' (bodies read whole capped, error bodies cut): this
   * SDK takes no `fetch` option, so the global one is replaced for the call only (see scopedFetch.ts).
   */
  private bounded<T>(call: () => Promise<T>): Promise<T> {
    return withScopedFetch(geminiFetch, call);
  }

  private contents(request: ChatRequest): GenerateContentRequest {
    return {
      contents: request.messages.map((m) => ({
        role: m.role === 'assistant' ? 'model' : 'user',
        parts: [{ text: m.content }],
      })),
    };
  }

  protected async *open(request: ChatRequest, call: OpenCall, transport: Transport): AsyncIterable<StreamChunk> {
    const { signal, touch } = call;
    const model = this.model(request);
    if (transport === 'json') {
      const result = await this.bounded(() => model.generateContent(this.contents(request), { signal }));
      yield* this.chunksOf(result.response, true, false);
      return;
    }
    const result = await this.bounded(() => model.generateContentStream(this.contents(request), { signal }));
    // The SDK tees the stream into an aggregate we do not use; keep its rejection from going unhandled.
    result.response.catch(() => undefined);
    let usage: Usage | undefined;
    let reason: string | undefined;
    let emitted = false;
    for await (const response of result.stream) {
      touch();
      for (const chunk of this.chunksOf(response, false, emitted)) {
        if (chunk.type === 'usage') usage = chunk.usage;
        else if (chunk.type === 'finish') reason = chunk.providerReason;
        else {
          emitted ||= chunk.text !== '';
          yield chunk;
        }
      }
    }
    if (usage) yield { type: 'usage', usage };
    if (reason !== undefined) yield { type: 'finish', reason: finishReason(reason), providerReason: reason };
  }

  /**
   * Chunks in one response; `final` makes a response without a finish reason still finish (JSON answers). A prompt or
   * an answer the safety filter blocked before any text (`emitted`: text came in earlier frames) is a `safety_block`
   * error; blocked after text, the answer so far ends with a content-filter finish like any refusal mid-answer.
   */
  private *chunksOf(response: GenerateContentResponse, final: boolean, emitted: boolean): Iterable<StreamChunk> {
    const streamedError = (response as StreamedError).error;
    if (streamedError) throw this.fromGoogleError(streamedError.code, streamedError.message, streamedError.details);
    if (typeof response !== 'object' || response === null) throw this.malformed(String(response));
    const candidate = response.candidates?.[0];
    const text = candidate?.content?.parts?.map((part) => part.text ?? '').join('') ?? '';
    const promptBlock = !candidate ? response.promptFeedback?.blockReason : undefined;
    if (!emitted && !text) {
      if (promptBlock !== undefined && SAFETY_REASONS.has(String(promptBlock))) {
        throw this.safetyBlocked('the prompt', String(promptBlock), blockedCategories(response.promptFeedback?.safetyRatings));
      }
      if (candidate?.finishReason !== undefined && SAFETY_REASONS.has(candidate.finishReason)) {
        throw this.safetyBlocked('the answer', candidate.finishReason, blockedCategories(candidate.safetyRatings));
      }
    }
    if (text) yield { type: 'text', text };
    if (response.usageMetadata) yield { type: 'usage', usage: toUsage(response.usageMetadata) };
    const blockReason = response.promptFeedback?.blockReason;
    if (!candidate && blockReason) {
      yield { type: 'finish', reason: 'content_filter', providerReason: String(blockReason) };
    } else if (candidate?.finishReason) {
      yield { type: 'finish', reason: finishReason(candidate.finishReason), providerReason: candidate.finishReason };
    } else if (final) {
      yield { type: 'finish', reason: 'other', providerReason: '' };
    }
  }

  /**
   * The SDK has no model listing; counting tokens is free and proves the key and endpoint. Sent with our own bounded
   * fetch, not the SDK: this SDK takes no `fetch` option and reads every body whole, and this is the call `status`
   * makes to a URL a person may have mistyped.
   */
  protected async listModels(signal: AbortSignal): Promise<readonly string[]> {
    const base = (this.settings.baseUrl ?? GEMINI_BASE_URL).replace(/\/+$/, '');
    const response = await this.fetch(`${base}/${GEMINI_API_VERSION}/models/${encodeURIComponent(this.testModel)}:countTokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': this.settings.apiKey ?? '' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'ping' }] }] }),
      signal,
    });
    const text = await response.text();
    if (!response.ok) {
      let error: StreamedError['error'];
      try {
        error = (JSON.parse(text) as StreamedError).error;
      } catch {
        error = undefined;
      }
      throw this.fromGoogleError(response.status, error?.message ?? this.safe(text), error?.details, response.statusText);
    }
    try {
      JSON.parse(text);
    } catch (error) {
      throw this.malformed(`${errorMessage(error)}: ${text}`);
    }
    return [this.testModel];
  }

  /** "blocked by Gemini's safety filter": not retryable (the same request is blocked again); the router falls back. */
  private safetyBlocked(what: string, reason: string, categories: string): ProviderError {
    return new ProviderError({
      provider: this.id,
      kind: 'safety_block',
      providerCode: reason,
      message:
        `${this.settings.label}: ${what} was blocked by Gemini's safety filter (${reason}${categories ? `; ${categories}` : ''}). ` +
        `Code is often a false positive: set \`safety: block_none\` for this provider in your user config, or the setting modelRouter.safety.gemini.`,
    });
  }

  protected normalizeSdkError(error: unknown): ProviderError | undefined {
    if (error instanceof GoogleGenerativeAIFetchError) {
      return this.fromGoogleError(error.status, apiMessageOf(error), error.errorDetails, error.statusText);
    }
    if (error instanceof GoogleGenerativeAIAbortError) return this.timeoutError();
    if (error instanceof GoogleGenerativeAIError) {
      if (/pars(e|ing)/i.test(error.message)) return this.malformed(error.message.replace(/^\[GoogleGenerativeAI Error\]:\s*/, ''));
      if (/fetch|stream/i.test(error.message)) return this.networkError(error.message, error);
    }
    return undefined;
  }

  private fromGoogleError(
    status: number | undefined,
    apiMessage: string | undefined,
    details: unknown,
    statusText?: string,
  ): ProviderError {
    const reason = errorInfoReason(details);
    let kind: ErrorKind = status !== undefined ? kindFromStatus(status) : 'server';
    if (reason === 'API_KEY_INVALID' || reason === 'API_KEY_SERVICE_BLOCKED') kind = 'auth';
    else if (kind === 'bad_request' && mentionsContextLength(apiMessage)) kind = 'context_length';
    const code = reason ?? statusText ?? undefined;
    return new ProviderError({
      provider: this.id,
      kind,
      status,
      retryAfterMs: retryAfterFromGoogleDetails(details),
      providerCode: code,
      message: `${this.settings.label} ${status === undefined ? 'error during the stream' : `HTTP ${status}`} (${code ?? kind}): ${this.safe(apiMessage ?? 'no message')}`,
    });
  }
}

/** google.rpc.ErrorInfo `reason`, e.g. API_KEY_INVALID. */
function errorInfoReason(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const record = detail as Record<string, unknown> | null;
    if (record && typeof record['@type'] === 'string' && record['@type'].endsWith('google.rpc.ErrorInfo')) {
      return typeof record['reason'] === 'string' ? record['reason'] : undefined;
    }
  }
  return undefined;
}

/**
 * The SDK folds the API's message into "Error fetching from URL: [429 Too Many Requests] message [details]".
 * Keep only the API's own message.
 */
function apiMessageOf(error: GoogleGenerativeAIFetchError): string {
  let text = error.message;
  const bracket = text.indexOf('] ');
  if (bracket >= 0) text = text.slice(bracket + 2);
  if (error.errorDetails) {
    const details = JSON.stringify(error.errorDetails);
    if (text.endsWith(details)) text = text.slice(0, -details.length);
  }
  return text.trim();
}
