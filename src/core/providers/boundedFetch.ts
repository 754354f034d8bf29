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

/** Fails the stream once more than `limit` bytes went through. */
function totalLimit(limit: number, request: string): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) controller.error(new ResponseTooLargeError(request, limit, 'answer'));
      else controller.enqueue(chunk);
    },
  });
}

/** Passes the first `limit` bytes, then ends the body normally and stops the transfer. */
function truncateAfter(limit: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      const room = limit - seen;
      seen += chunk.byteLength;
      if (room >= chunk.byteLength) {
        controller.enqueue(chunk);
        return;
      }
      if (room > 0) controller.enqueue(chunk.subarray(0, room));
      controller.terminate();
    },
  });
}

/** Fails the stream when a line (bytes between two newlines) is longer than `limit`. */
function lineLimit(limit: number, request: string): TransformStream<Uint8Array, Uint8Array> {
  let lineBytes = 0;
  return new TransformStream({
    transform(chunk, controller) {
      const lastNewline = chunk.lastIndexOf(10);
      lineBytes = lastNewline < 0 ? lineBytes + chunk.byteLength : chunk.byteLength - lastNewline - 1;
      // A chunk with a newline can still hold an over-long line before it; checking the first line's length too
      // would cost a scan of every chunk, and the line after the last newline is the one being buffered.
      if (lineBytes > limit) controller.error(new ResponseTooLargeError(request, limit, 'event'));
      else controller.enqueue(chunk);
    },
  });
}

/**
 * A fetch that bounds every body it returns (see the file comment). `base` defaults to the global fetch, looked up at
 * call time.
 */
export function boundedFetch(limits: BodyLimits = {}, base?: typeof fetch): typeof fetch {
  const maxBody = limits.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxErrorBody = limits.maxErrorBodyBytes ?? MAX_ERROR_BODY_BYTES;
  return async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    const response = await (base ?? fetch)(input, init);
    if (!response.body) return response;
    const request = describeRequest(input, init);
    let limiter: TransformStream<Uint8Array, Uint8Array>;
    if (!response.ok) limiter = truncateAfter(maxErrorBody);
    else if (/text\/event-stream/i.test(response.headers.get('content-type') ?? '')) limiter = lineLimit(maxBody, request);
    else limiter = totalLimit(maxBody, request);
    const bounded = new Response(response.body.pipeThrough(limiter), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    // Some SDKs name the URL in their errors and logs.
    Object.defineProperty(bounded, 'url', { value: response.url });
    return bounded;
  };
}
