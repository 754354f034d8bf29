/**
 * One typed error for every provider failure. Adapters translate their SDK's errors into a ProviderError; nothing
 * else escapes the provider layer. The message is safe to show and log: it never holds a key and never a whole
 * request or response body, only a short excerpt of what the provider said.
 */
import { formatMs } from '../util/format';
import { maskUrlCredentials } from '../util/secrets';

export type ErrorKind =
  | 'auth'
  | 'rate_limit'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'network'
  | 'bad_request'
  | 'context_length'
  | 'content_filter'
  /** Gemini's safety filter blocked the prompt or the answer (promptFeedback.blockReason, finishReason SAFETY). */
  | 'safety_block'
  | 'aborted';

export const ERROR_KINDS: readonly ErrorKind[] = [
  'auth',
  'rate_limit',
  'overloaded',
  'server',
  'timeout',
  'network',
  'bad_request',
  'context_length',
  'content_filter',
  'safety_block',
  'aborted',
];

/** Kinds worth another attempt (same candidate after a pause, or the next one). */
const RETRYABLE_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'rate_limit',
  'overloaded',
  'server',
  'timeout',
  'network',
]);

const MARKER = Symbol.for('modelRouter.ProviderError');

/**
 * Longest text a ProviderError keeps from anything a server sent or an SDK said: the message (our words plus an
 * excerpt), the provider's error code and the request id. Bounded here, once, so no path (a new adapter, an
 * unexpected exception, a huge header) can carry a provider's whole error body into a message, a log or the ledger.
 */
export const MAX_ERROR_MESSAGE_CHARS = 1_000;
const MAX_ERROR_CODE_CHARS = 100;
const MAX_REQUEST_ID_CHARS = 200;

/** `text` cut to at most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function clipOptional(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : clip(String(text), max);
}

export interface ProviderErrorInit {
  readonly provider: string;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** Overrides the kind's default (for example a 429 "insufficient_quota" is not worth retrying). */
  readonly retryable?: boolean;
  /** The provider's own error code or type, e.g. `overloaded_error`, `context_length_exceeded`, `RESOURCE_EXHAUSTED`. */
  readonly providerCode?: string;
  readonly requestId?: string;
  /** Whether any output had already been streamed to the caller when the error happened. */
  readonly partialOutput?: boolean;
  /**
   * The connection was refused, or reset before any byte of a response came back: nothing is listening at the
   * endpoint (a local server that is not running). The router does not retry this on a loopback endpoint.
   */
  readonly refused?: boolean;
}

export class ProviderError extends Error {
  readonly [MARKER] = true;
  readonly provider: string;
  readonly kind: ErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;
  readonly providerCode: string | undefined;
  readonly requestId: string | undefined;
  readonly partialOutput: boolean;
  readonly refused: boolean;

  constructor(init: ProviderErrorInit) {
    super(clip(String(init.message), MAX_ERROR_MESSAGE_CHARS));
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.kind = init.kind;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.retryable ?? RETRYABLE_KINDS.has(init.kind);
    this.providerCode = clipOptional(init.providerCode, MAX_ERROR_CODE_CHARS);
    this.requestId = clipOptional(init.requestId, MAX_REQUEST_ID_CHARS);
    this.partialOutput = init.partialOutput ?? false;
    this.refused = init.refused ?? false;
  }

  static is(value: unknown): value is ProviderError {
    return typeof value === 'object' && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true;
  }

  /** A copy that records that output had already streamed before the failure. */
  withPartialOutput(partialOutput = true): ProviderError {
    return new ProviderError({ ...this.toJSON(), partialOutput });
  }

  toJSON(): ProviderErrorInit & { readonly name: string; readonly retryable: boolean } {
    return {
      name: this.name,
      provider: this.provider,
      kind: this.kind,
      message: this.message,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      retryable: this.retryable,
      providerCode: this.providerCode,
      requestId: this.requestId,
      partialOutput: this.partialOutput,
      ...(this.refused ? { refused: true } : {}),
    };
  }
}

/** Default kind for an HTTP status, before the provider's error type refines it. */
export function kindFromStatus(status: number): ErrorKind {
  if (status === 401 || status === 402 || status === 403) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 413) return 'context_length';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 409 || status >= 500) return 'server';
  return 'bad_request';
}

const CONTEXT_LENGTH_PATTERN =
  /context[ _-]length|maximum context|prompt is too long|too many tokens|exceeds the maximum number of tokens|input token count .* exceeds|reduce the length of the messages/i;

/** True when a provider's message says the prompt did not fit the model's context window. */
export function mentionsContextLength(message: string | undefined): boolean {
  return message !== undefined && CONTEXT_LENGTH_PATTERN.test(message);
}

// ---- Retry-After ----------------------------------------------------------------------------------------------

/** Reads a header from a Fetch `Headers` or a plain record, case-insensitively. */
export function headerValue(
  headers: Headers | Readonly<Record<string, string | string[] | undefined>> | undefined | null,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | string[] | undefined>>;
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === lower) {
      const value = record[key];
      return Array.isArray(value) ? value[0] : value;
    }
  }
  return undefined;
}

/**
 * Milliseconds to wait, from `retry-after-ms` (milliseconds), else `retry-after` (seconds, or an HTTP date).
 * `now` is injectable for tests. Returns undefined when absent or unparseable; never negative.
 */
export function retryAfterFromHeaders(
  headers: Headers | Readonly<Record<string, string | string[] | undefined>> | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const after = headerValue(headers, 'retry-after');
  if (after === undefined) return undefined;
  const trimmed = after.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number.parseFloat(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Gemini sends a google.rpc.RetryInfo detail whose `retryDelay` is a protobuf Duration in JSON form ("30s",
 * "1.5s", "0.250s").
 */
export function retryAfterFromGoogleDetails(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    if (typeof detail !== 'object' || detail === null) continue;
    const record = detail as Record<string, unknown>;
    const type = record['@type'];
    if (typeof type !== 'string' || !type.endsWith('google.rpc.RetryInfo')) continue;
    const delay = record['retryDelay'];
    if (typeof delay !== 'string') continue;
    const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
    if (match) return Math.round(Number.parseFloat(match[1]!) * 1000);
  }
  return undefined;
}

// ---- Safe text ------------------------------------------------------------------------------------------------

const KEY_PATTERNS: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  /sk-[A-Za-z0-9_*-]{16,}/g,
  /AIza[0-9A-Za-z_-]{20,}/g,
  /(bearer\s+)[A-Za-z0-9._~+/-]{12,}=*/gi,
  /([?&](?:key|api_key|apikey)=)[^&\s"']+/gi,
];

/**
 * Removes the given secrets, anything shaped like a provider key and the credentials of any URL (an SDK's message may
 * quote a base URL with `user:password@`) from text that may reach a person or a log.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = maskUrlCredentials(text);
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(pattern, (_match: string, prefix?: unknown) =>
      typeof prefix === 'string' ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  return out;
}

/** A one-line excerpt of at most `max` characters, for error messages that quote what a server sent. */
export function excerpt(text: string, max = 160): string {
  // Only the head can end up in the excerpt: never run the whitespace pass over a whole multi-megabyte body.
  const head = text.length > max * 4 + 64 ? text.slice(0, max * 4 + 64) : text;
  const oneLine = head.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** An OpenAI or Anthropic SDK error's "400 <body text>" message without the status, or undefined when there was no body. */
export function rawErrorText(message: string): string | undefined {
  if (/^\d{3} status code \(no body\)$/.test(message)) return undefined;
  return message.replace(/^\d{3} /, '') || undefined;
}

/** Formats a retry-after for humans ("retry after 3 s"). */
export function describeRetryAfter(ms: number | undefined): string {
  if (ms === undefined) return '';
  return `retry after ${formatMs(ms)}`;
}
