/**
 * A `fetch` for the SDKs (and our own calls) that never lets a server make us hold more than a bounded amount of its
 * answer in memory. The SDKs read JSON answers and error bodies whole (`response.json()` / `response.text()`), so a
 * server at a provider's URL that answers `GET /models` with gigabytes would take the process with it. This wraps the
 * Response body in a counting stream:
 *
 * - a successful non-stream body (JSON answers, the models list) longer than `maxBodyBytes` fails the read with a
 *   {@link ResponseTooLargeError} ("the server's answer to GET /v1/models exceeded 4 MiB; stopped reading") and
 *   closes the connection;
 * - an error body (status >= 400) is cut, silently, after `maxErrorBodyBytes`: only an excerpt of it is ever quoted,
 *   and the SDK still gets a status to classify;
 * - a server-sent-events stream may be as long as it likes (the router caps the answer it carries, see
 *   `routing.maxAnswerChars`), but no single line may exceed `maxBodyBytes`: the SDKs' line decoders buffer a line
 *   until its newline.
 *
 * Everything is counted in bytes as they arrive; nothing is copied or concatenated.
 *
 * A request that got no response at all because the connection was refused or closed first fails with a
 * {@link NoResponseError}, so the router can tell "nothing listens here" from a failure halfway.
 */

/** Default cap for a JSON answer, a models list or any body read whole. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Default cap for an error body: enough for any real provider error, far more than the excerpt we quote. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface BodyLimits {
  readonly maxBodyBytes?: number;
  readonly maxErrorBodyBytes?: number;
}

const MARKER = Symbol.for('modelRouter.ResponseTooLargeError');

/** A server's answer was larger than we read. `message` says which request and which limit. */
export class ResponseTooLargeError extends Error {
  readonly [MARKER] = true;

  constructor(
    /** `GET /v1/models` */
    readonly request: string,
    readonly limitBytes: number,
    readonly part: 'answer' | 'event',
  ) {
    super(
      part === 'answer'
        ? `the server's answer to ${request} exceeded ${formatBytes(limitBytes)}; stopped reading`
        : `one event in the server's stream for ${request} exceeded ${formatBytes(limitBytes)}; stopped reading`,
    );
    this.name = 'ResponseTooLargeError';
  }

  static is(value: unknown): value is ResponseTooLargeError {
    return typeof value === 'object' && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true;
  }

  /** The error itself or one in its `cause` chain (SDKs wrap what fetch or the body threw). */
  static find(value: unknown): ResponseTooLargeError | undefined {
    let current = value;
    for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
      if (ResponseTooLargeError.is(current)) return current;
      current = (current as { cause?: unknown }).cause;
    }
    return undefined;
  }
}

const NO_RESPONSE_MARKER = Symbol.for('modelRouter.NoResponseError');

/** Socket errors that mean nothing answered: refused, or closed before a response began. */
const NO_RESPONSE_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset before any response',
  UND_ERR_SOCKET: 'connection closed before any response',
  EPIPE: 'connection closed before any response',
};

/**
 * The connection was refused, or closed before any byte of a response came back: nothing (or nothing sane) listens at
 * the endpoint. Thrown by {@link boundedFetch} in place of fetch's bare "fetch failed", the original as `cause`. A
 * TypeError like fetch's own, so an SDK wraps it as its usual connection error. The code is also in the message, for
 * an SDK that keeps only the message (Gemini's).
 */
export class NoResponseError extends TypeError {
  readonly [NO_RESPONSE_MARKER] = true;

  constructor(
    readonly code: string,
    cause: unknown,
  ) {
    super(`fetch failed: ${NO_RESPONSE_CODES[code] ?? 'no response'} (${code})`, { cause });
    this.name = 'NoResponseError';
  }

  static is(value: unknown): value is NoResponseError {
    return typeof value === 'object' && value !== null && (value as { [NO_RESPONSE_MARKER]?: unknown })[NO_RESPONSE_MARKER] === true;
  }

  /** The error itself or one in its `cause` chain; else, for an SDK that kept only a message, that message's code. */
  static find(value: unknown): { readonly code: string } | undefined {
    let current = value;
    for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
      if (NoResponseError.is(current)) return current;
      const message = (current as { message?: unknown }).message;
      const match = typeof message === 'string' ? /fetch failed: [a-z ]+ \((ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|EPIPE)\)/.exec(message) : null;
      if (match) return { code: match[1]! };
      current = (current as { cause?: unknown }).cause;
    }
    return undefined;
  }
}

/** The socket error code under a rejected fetch (undici puts it on `cause`), when it is one of {@link NO_RESPONSE_CODES}. */
function noResponseCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    if ((current as { name?: unknown }).name === 'AbortError') return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in NO_RESPONSE_CODES) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `4 MiB`, `64 KiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

type FetchInput = Parameters<typeof fetch>[0];

function describeRequest(input: FetchInput, init: RequestInit | undefined): string {
  let method = init?.method;
  let url: string;
  if (typeof input === 'string') url = input;
  else if (input instanceof URL) url = input.href;
  else {
    url = input.url;
    method ??= input.method;
  }
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0] ?? url;
  }
  return `${(method ?? 'GET').toUpperCase()} ${path}`;
}

/** What to do with one chunk: pass it on, pass its first `keep` bytes and end the body, or fail the body. */
type Verdict = { readonly pass: true } | { readonly keep: number } | { readonly fail: Error };

const PASS: Verdict = { pass: true };

/**
 * `body` read through `check`, one chunk per read of the consumer (no read-ahead). A pull source over the original
 * reader, not `pipeThrough`: a TransformStream's pipe machinery costs a tenth of a millisecond per request, which is
 * most of what the adapter adds to the time to first token.
 */
function checked(body: ReadableStream<Uint8Array>, check: (chunk: Uint8Array) => Verdict): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        const verdict = check(value);
        if ('pass' in verdict) {
          controller.enqueue(value);
          return;
        }
        // Stop the transfer: the connection closes instead of downloading the rest.
        void reader.cancel().catch(() => undefined);
        if ('fail' in verdict) {
          controller.error(verdict.fail);
          return;
        }
        if (verdict.keep > 0) controller.enqueue(value.subarray(0, verdict.keep));
        controller.close();
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Fails the body once more than `limit` bytes went through. */
function totalLimit(limit: number, request: string): (chunk: Uint8Array) => Verdict {
  let seen = 0;
  return (chunk) => {
    seen += chunk.byteLength;
    return seen > limit ? { fail: new ResponseTooLargeError(request, limit, 'answer') } : PASS;
  };
}

/** Passes the first `limit` bytes, then ends the body normally. */
function truncateAfter(limit: number): (chunk: Uint8Array) => Verdict {
  let seen = 0;
  return (chunk) => {
    const room = limit - seen;
    seen += chunk.byteLength;
    return room >= chunk.byteLength ? PASS : { keep: Math.max(0, room) };
  };
}

/** Fails the body when a line (bytes between two newlines) is longer than `limit`. */
function lineLimit(limit: number, request: string): (chunk: Uint8Array) => Verdict {
  let lineBytes = 0;
  return (chunk) => {
    const lastNewline = chunk.lastIndexOf(10);
    lineBytes = lastNewline < 0 ? lineBytes + chunk.byteLength : chunk.byteLength - lastNewline - 1;
    // The SDK's decoder buffers the line after the last newline; a line that ends inside this chunk was checked up to
    // the previous chunk, so no buffered line exceeds the limit by more than one chunk.
    return lineBytes > limit ? { fail: new ResponseTooLargeError(request, limit, 'event') } : PASS;
  };
}

/**
 * A fetch that bounds every body it returns (see the file comment). `base` defaults to the global fetch, looked up at
 * call time.
 */
export function boundedFetch(limits: BodyLimits = {}, base?: typeof fetch): typeof fetch {
  const maxBody = limits.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxErrorBody = limits.maxErrorBodyBytes ?? MAX_ERROR_BODY_BYTES;
  return async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    let response: Response;
    try {
      response = await (base ?? fetch)(input, init);
    } catch (error) {
      const code = init?.signal?.aborted ? undefined : noResponseCode(error);
      throw code === undefined ? error : new NoResponseError(code, error);
    }
    if (!response.body) return response;
    const request = describeRequest(input, init);
    let check: (chunk: Uint8Array) => Verdict;
    if (!response.ok) check = truncateAfter(maxErrorBody);
    else if (/text\/event-stream/i.test(response.headers.get('content-type') ?? '')) check = lineLimit(maxBody, request);
    else check = totalLimit(maxBody, request);
    const bounded = new Response(checked(response.body, check), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    // Some SDKs name the URL in their errors and logs.
    Object.defineProperty(bounded, 'url', { value: response.url });
    return bounded;
  };
}
