import { errorMessage } from '../util/errorMessage';
import { displayUrl } from '../util/secrets';
import { NoResponseError, ResponseTooLargeError } from './boundedFetch';
import { excerpt, ProviderError, redact } from './errors';
import type {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ConnectionResult,
  FinishReason,
  ProviderProtocol,
  StreamChunk,
  Usage,
} from './types';
import { ZERO_USAGE } from './types';

/** How a request travels: server-sent events, or one JSON response. Both produce the same chunk sequence. */
export type Transport = 'stream' | 'json';

export interface CompleteOptions {
  /** Default `json`: one response, no event parsing. `stream` collects a streamed answer. */
  readonly transport?: Transport;
}

/** Settings every adapter needs, with defaults applied. */
export interface AdapterSettings {
  readonly id: string;
  readonly protocol: ProviderProtocol;
  /** Human name used in messages ("Anthropic", "DeepSeek"). */
  readonly label: string;
  readonly apiKey: string | undefined;
  readonly requiresKey: boolean;
  readonly baseUrl: string | undefined;
  /** Whole request, first byte to last. */
  readonly timeoutMs: number;
  /** Longest silence allowed while waiting for the first or the next chunk. */
  readonly idleTimeoutMs: number;
  /** Connectivity test budget. */
  readonly testTimeoutMs: number;
  /** Tells a person where to set the key; ends the "missing key" message. */
  readonly keyHint: string;
  /** Default output cap when a request gives none (Anthropic requires one). */
  readonly defaultMaxOutputTokens: number;
}

/** What an adapter's `open()` gets for one request. */
export interface OpenCall {
  readonly signal: AbortSignal;
  /** Marks server activity (any event), for the idle timeout. */
  readonly touch: () => void;
}

/** How much of a server's text {@link ProviderBase.safe} looks at (it quotes at most a few hundred characters). */
const SAFE_SCAN_CHARS = 64 * 1024;

/** Why the guard ended a request. */
type GuardReason = 'aborted' | 'timeout' | 'idle' | undefined;

/**
 * Owns one request's AbortController: forwards the caller's signal, enforces the total and idle timeouts, and
 * remembers which of them fired so the error can say so. Idle tracking is a timestamp, not a timer reset, so it
 * costs nothing per chunk.
 */
class RequestGuard {
  readonly controller = new AbortController();
  private reasonValue: GuardReason;
  private lastActivity = Date.now();
  private readonly totalTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort = (): void => this.end('aborted');

  constructor(
    private readonly callerSignal: AbortSignal | undefined,
    readonly totalMs: number,
    readonly idleMs: number,
  ) {
    this.totalTimer = setTimeout(() => this.end('timeout'), totalMs);
    if (idleMs > 0 && idleMs < totalMs) this.idleTimer = setTimeout(this.checkIdle, idleMs);
    if (callerSignal) {
      if (callerSignal.aborted) this.end('aborted');
      else callerSignal.addEventListener('abort', this.onCallerAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get reason(): GuardReason {
    return this.reasonValue;
  }

  readonly touch = (): void => {
    this.lastActivity = Date.now();
  };

  private readonly checkIdle = (): void => {
    const quietFor = Date.now() - this.lastActivity;
    if (quietFor >= this.idleMs) this.end('idle');
    else this.idleTimer = setTimeout(this.checkIdle, this.idleMs - quietFor);
  };

  private end(reason: Exclude<GuardReason, undefined>): void {
    if (this.reasonValue === undefined) this.reasonValue = reason;
    this.controller.abort();
  }

  /**
   * Stops the timers. Unless the response was read to its end, also aborts the HTTP request (the consumer stopped
   * early or it failed); a completed request is left alone so its connection stays in the keep-alive pool.
   */
  dispose(completed: boolean): void {
    clearTimeout(this.totalTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
    if (!completed && !this.controller.signal.aborted) this.controller.abort();
  }
}

/**
 * The part every adapter shares: key check, timeouts, abort, error normalization, the end-of-stream contract
 * (text*, usage?, finish — finish always last), and `complete()` built on the same chunk sequence.
 * An adapter supplies only `open()` (SDK call to chunks), `normalize()` (SDK error to ProviderError) and
 * `listModels()`.
 */
export abstract class ProviderBase implements ChatProvider {
  readonly id: string;
  readonly protocol: ProviderProtocol;

  protected constructor(protected readonly settings: AdapterSettings) {
    this.id = settings.id;
    this.protocol = settings.protocol;
  }

  /**
   * Calls the SDK and yields normalized chunks. Must pass `call.signal` to the SDK so aborting closes the request,
   * and call `call.touch()` for every event the server sends (pings included) so the idle timeout sees activity.
   */
  protected abstract open(request: ChatRequest, call: OpenCall, transport: Transport): AsyncIterable<StreamChunk>;

  /**
   * Translates the SDK's own error classes into a ProviderError; returns undefined for anything else, which the
   * base classifies (invalid JSON, connection failures, the unexpected). Never sees aborts: the base handles those.
   */
  protected abstract normalizeSdkError(error: unknown): ProviderError | undefined;

  protected abstract listModels(signal: AbortSignal): Promise<readonly string[]>;

  stream(request: ChatRequest): AsyncGenerator<StreamChunk, void, undefined> {
    return this.run(request, 'stream');
  }

  async complete(request: ChatRequest, options: CompleteOptions = {}): Promise<ChatResult> {
    let text = '';
    let usage: Usage = ZERO_USAGE;
    let usageReported = false;
    let finishReason: FinishReason = 'other';
    let providerReason = '';
    for await (const chunk of this.run(request, options.transport ?? 'json')) {
      if (chunk.type === 'text') text += chunk.text;
      else if (chunk.type === 'usage') {
        usage = chunk.usage;
        usageReported = true;
      } else {
        finishReason = chunk.reason;
        providerReason = chunk.providerReason;
      }
    }
    return { text, usage, usageReported, finishReason, providerReason, model: request.model };
  }

  async testConnection(signal?: AbortSignal): Promise<ConnectionResult> {
    this.assertKey();
    const guard = new RequestGuard(signal, this.settings.testTimeoutMs, 0);
    const started = performance.now();
    try {
      const models = await this.listModels(guard.signal);
      return { ok: true, models, latencyMs: performance.now() - started };
    } catch (error) {
      throw this.toProviderError(error, guard, false);
    } finally {
      guard.dispose(true);
    }
  }

  private async *run(request: ChatRequest, transport: Transport): AsyncGenerator<StreamChunk, void, undefined> {
    this.assertKey();
    const totalMs = request.timeoutMs ?? this.settings.timeoutMs;
    // A JSON answer arrives in one piece after the whole generation: only the total timeout applies to it.
    const idleMs = transport === 'stream' ? this.settings.idleTimeoutMs : 0;
    const guard = new RequestGuard(request.signal, totalMs, idleMs);
    let emittedText = false;
    let finished = false;
    let completed = false;
    try {
      if (guard.reason === 'aborted') throw this.aborted(false);
      for await (const chunk of this.open(request, guard, transport)) {
        if (chunk.type === 'finish') {
          finished = true;
          if (chunk.reason === 'content_filter' && !emittedText) throw this.blocked(chunk.providerReason);
        } else if (chunk.type === 'text') emittedText = true;
        yield chunk;
      }
      if (!finished) {
        throw new ProviderError({
          provider: this.id,
          kind: 'network',
          message: `${this.settings.label}: the response ended before the model finished (connection closed early).`,
          partialOutput: emittedText,
        });
      }
      completed = true;
    } catch (error) {
      throw this.toProviderError(error, guard, emittedText);
    } finally {
      guard.dispose(completed);
    }
  }

  private toProviderError(error: unknown, guard: RequestGuard, partialOutput: boolean): ProviderError {
    const reason = guard.reason;
    let normalized: ProviderError;
    if (reason === 'aborted') normalized = this.aborted(partialOutput);
    else if (reason === 'timeout' || reason === 'idle') {
      const ms = reason === 'timeout' ? guard.totalMs : guard.idleMs;
      normalized = new ProviderError({
        provider: this.id,
        kind: 'timeout',
        message:
          reason === 'timeout'
            ? `${this.settings.label}: the request took longer than ${ms} ms and was stopped.`
            : `${this.settings.label}: no data for ${ms} ms; the request was stopped.`,
        partialOutput,
      });
    } else if (ProviderError.is(error)) normalized = error;
    else {
      const tooLarge = ResponseTooLargeError.find(error);
      normalized = tooLarge ? this.tooLarge(tooLarge) : (this.normalizeSdkError(error) ?? this.normalizeOther(error));
    }
    if (partialOutput && !normalized.partialOutput) normalized = normalized.withPartialOutput();
    return normalized;
  }

  /**
   * The server sent more than we read (see boundedFetch). Not retryable: a server that does this once will do it
   * again; the router moves on to the next candidate.
   */
  protected tooLarge(error: ResponseTooLargeError): ProviderError {
    return new ProviderError({
      provider: this.id,
      kind: 'server',
      retryable: false,
      providerCode: 'response_too_large',
      message: `${this.settings.label}: ${error.message}.`,
    });
  }

  /** The provider refused or filtered the request and produced nothing. */
  protected blocked(providerReason: string): ProviderError {
    return new ProviderError({
      provider: this.id,
      kind: 'content_filter',
      providerCode: providerReason || undefined,
      message: `${this.settings.label} declined to answer (content filter${providerReason ? `: ${providerReason}` : ''}).`,
    });
  }

  private aborted(partialOutput: boolean): ProviderError {
    return new ProviderError({
      provider: this.id,
      kind: 'aborted',
      message: `${this.settings.label}: the request was cancelled.`,
      partialOutput,
    });
  }

  private assertKey(): void {
    if (this.settings.requiresKey && !this.settings.apiKey) {
      throw new ProviderError({
        provider: this.id,
        kind: 'auth',
        providerCode: 'missing_key',
        message: `No API key for ${this.settings.label} (provider "${this.id}"). ${this.settings.keyHint}`,
      });
    }
  }

  /** Text safe for a message: the key and key-shaped strings removed, cut to an excerpt. */
  protected safe(text: string, max = 200): string {
    // Only the head of a long text can reach the excerpt; do not run the key patterns over megabytes.
    const head = text.length > SAFE_SCAN_CHARS ? text.slice(0, SAFE_SCAN_CHARS) : text;
    return excerpt(redact(head, [this.settings.apiKey]), max);
  }

  private normalizeOther(error: unknown): ProviderError {
    if (error instanceof SyntaxError) return this.malformed(error.message);
    const message = errorMessage(error);
    if (isConnectionFailure(error)) return this.networkError(message, error);
    return new ProviderError({
      provider: this.id,
      kind: 'server',
      message: `${this.settings.label}: unexpected failure (${this.safe(message, 160)}).`,
    });
  }

  /**
   * A connection failure. `cause` (the SDK's error, whose cause chain holds fetch's) tells a refused connection, or
   * one closed before any response, from one that broke later: see {@link NoResponseError}.
   */
  protected networkError(detail: string, cause?: unknown): ProviderError {
    const where = this.settings.baseUrl === undefined ? 'the server' : displayUrl(this.settings.baseUrl);
    const none = NoResponseError.find(cause) ?? NoResponseError.find({ message: detail });
    if (none) {
      return new ProviderError({
        provider: this.id,
        kind: 'network',
        refused: true,
        message:
          none.code === 'ECONNREFUSED'
            ? `${this.settings.label}: nothing is listening at ${where} (connection refused).`
            : `${this.settings.label}: ${where} closed the connection before any response (${none.code}).`,
      });
    }
    return new ProviderError({
      provider: this.id,
      kind: 'network',
      message: `${this.settings.label}: could not reach ${where} or the connection broke (${this.safe(detail, 120)}).`,
    });
  }

  protected timeoutError(): ProviderError {
    return new ProviderError({
      provider: this.id,
      kind: 'timeout',
      message: `${this.settings.label}: the request timed out.`,
    });
  }

  /** The error for a body that is not the JSON the protocol promises. */
  protected malformed(what: string, status?: number): ProviderError {
    return new ProviderError({
      provider: this.id,
      kind: 'server',
      status,
      providerCode: 'invalid_response',
      message: `${this.settings.label} answered with something that is not valid JSON: ${this.safe(what, 120)}`,
    });
  }
}

/** The text of an error's cause (an Error or a string), else `fallback`: never "[object Object]". */
export function causeText(cause: unknown, fallback: string): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return String(cause);
  return fallback;
}

/** What a response body that is not the expected JSON was, for an error message: its text, else what kind of value. */
export function describeBody(body: unknown): string {
  if (typeof body === 'string') return body;
  if (typeof body === 'object') return body === null ? 'null' : Array.isArray(body) ? 'a list' : 'an object without the expected fields';
  if (typeof body === 'number' || typeof body === 'boolean' || typeof body === 'bigint' || body === undefined) return String(body);
  return `a ${typeof body}`;
}

/** A stream or connection failure underneath the SDK (reset, refused, DNS, TLS). */
function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const text = `${error.name} ${error.message} ${causeText((error as { cause?: unknown }).cause, '')}`;
  return /ECONNRESET|ECONNREFUSED|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|socket hang up|terminated|other side closed|fetch failed|network|connection/i.test(
    text,
  );
}
