/**
 * Shared machinery for the fake provider servers: a loopback HTTP server that records every request and answers each
 * one from a FIFO of scripted {@link FakeStep}s, rendered by a {@link FakeProtocol} (Anthropic, OpenAI or Gemini) in
 * that provider's real wire format. Everything protocol-specific (paths, auth header, bodies, SSE framing, error
 * shapes) lives in the protocol files; everything about timing and faults (latency, cuts, resets, hangs, malformed
 * bodies, mid-stream errors) lives here, once.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

/** Faults the fakes map to each provider's REAL status, body and headers. */
export type FakeErrorKind =
  | 'bad_request'
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'too_large'
  | 'rate_limit'
  | 'server'
  | 'unavailable'
  | 'overloaded'
  | 'context_length'
  /** Not an HTTP error at any provider: a 200 whose content was refused or blocked (see each protocol). */
  | 'content_filter';

export const FAKE_ERROR_KINDS: readonly FakeErrorKind[] = [
  'bad_request',
  'auth',
  'permission',
  'not_found',
  'too_large',
  'rate_limit',
  'server',
  'unavailable',
  'overloaded',
  'context_length',
  'content_filter',
];

/**
 * Scripted usage. Any number goes, absurd ones included (9e14, -5, 12.5, Infinity, NaN): JSON has no Infinity or NaN,
 * so the fake writes Infinity as the literal `1e999` (which parses back to Infinity) and NaN as the string "NaN" (what
 * a broken server sends where a number belongs). `input` follows this project's convention: prompt tokens billed at the full price, i.e. WITHOUT
 * cache reads and cache writes. Each protocol turns it into its own counting (OpenAI's `prompt_tokens` and Gemini's
 * `promptTokenCount` include cached tokens; Anthropic's `input_tokens` does not).
 */
export interface FakeUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** How the fake answers ONE request. Every field is optional; `{}` is a normal successful answer. */
export interface FakeStep {
  /** Generated text (default `Hello from fake <Provider>`). */
  text?: string;
  /** Explicit stream text deltas (default: `text` split into a few pieces). Their concatenation is the text. */
  chunks?: string[];
  /** Usage to report; unscripted input is estimated from the request (chars / 4), output from the text. */
  usage?: FakeUsage;
  /** Provider-native finish reason, e.g. Anthropic `max_tokens`, OpenAI `length`, Gemini `MAX_TOKENS` or `SAFETY`. */
  finishReason?: string;
  /** Raw override: when `status` or `body` is set the fake sends exactly this (default status 200, JSON body). */
  status?: number;
  /** Extra response headers, merged over the protocol's own (also applies to normal and error answers). */
  headers?: Record<string, string>;
  body?: unknown;
  /** Answer with the provider's real error for this kind. */
  error?: FakeErrorKind;
  /** With `error`: the message in the provider's error body instead of its usual one (a hostile or careless server:
   *  terminal escape sequences, a key it was sent, another provider's key behind the same gateway). */
  errorMessage?: string;
  /** Retry hints on errors: `retry-after` (seconds), `retry-after-ms` (+ rounded `retry-after`), or an HTTP date.
   *  Gemini carries them as a `google.rpc.RetryInfo` detail instead. A `rate_limit` error defaults to 1 second. */
  retryAfterSeconds?: number;
  retryAfterMs?: number;
  retryAfterDate?: Date;
  /** Delay before the status line is written. */
  latencyMs?: number;
  /** Delay between the headers and the first body byte. */
  ttfbMs?: number;
  /** Delay between stream events. */
  chunkIntervalMs?: number;
  /** Stream: close the connection after N content deltas, with no terminator (a dropped connection). */
  cutAfterChunks?: number;
  /** Stream: the provider's in-stream error event after N content deltas, then the stream ends.
   *  `kind` defaults to `overloaded` (Anthropic) or `server` (OpenAI, Gemini). `content_filter` instead ends the
   *  stream normally after N deltas with the provider's refusal / SAFETY finish. */
  midStreamError?: { afterChunks: number; kind?: FakeErrorKind };
  /** The JSON body (or, when streaming, the first content event) is not valid JSON. With `error`, the error body is
   *  an HTML page, as a proxy in front of the API would send. */
  malformed?: boolean;
  /** Destroy the connection without any response. */
  reset?: boolean;
  /** Accept and never answer, until the client goes away or the server closes. */
  hang?: boolean;
  /** Stream: after the preamble, the same content delta of `chunkChars` characters (default 1,000) as fast as the
   *  client reads, never finishing, until the client closes the connection, the server closes, or `maxBytes` (default
   *  2 GiB, a safety stop) were written. */
  endless?: { chunkChars?: number; maxBytes?: number };
  /** JSON answers, auxiliary answers (models list) and errors: a valid JSON body of about this many bytes, written
   *  in 64 KiB pieces as fast as the client reads (never built in memory). An error's padding is its `error.message`,
   *  any other answer's a `pad` field. */
  hugeBodyBytes?: number;
  /** Gemini: the prompt (or the answer) rates `probability` in a harm category; Gemini blocks it when the request's
   *  `safetySettings` threshold for that category blocks that probability (none set: BLOCK_MEDIUM_AND_ABOVE), with
   *  its real wire format (promptFeedback.blockReason, or finishReason SAFETY). Other fakes ignore it. */
  harm?: FakeHarm;
}

export interface FakeHarm {
  readonly category: string;
  readonly probability: 'NEGLIGIBLE' | 'LOW' | 'MEDIUM' | 'HIGH';
  /** Default `answer`. */
  readonly in?: 'prompt' | 'answer';
}

export type FakeEndpoint = 'model' | 'models' | 'countTokens';

export type RequestState = 'open' | 'finished' | 'closedByClient' | 'closedByServer';

export interface RecordedRequest {
  /** Position in {@link FakeProviderServer.requests}. */
  readonly index: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Record<string, string>;
  /** Header names lowercased; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly rawBody: string;
  /** Parsed JSON body, or undefined when empty or not JSON. */
  readonly body: unknown;
  readonly receivedAt: number;
  /** Which kind of endpoint it hit (`undefined` for an unknown route, which gets the provider's 404). */
  endpoint: FakeEndpoint | undefined;
  /** Model named by the request (body or path), when there is one. */
  model: string | undefined;
  /** Whether the request asked for a stream. */
  stream: boolean;
  /** Set when the client closed the connection before the response finished (abort, timeout, crash). */
  closedByClient: boolean;
  state: RequestState;
}

export interface FakeOptions {
  /** When set, a request without exactly this key in the provider's own auth header gets the provider's auth error. */
  expectedKey?: string;
  /** Answer used when the queue is empty. */
  defaultStep?: FakeStep;
  /** Model ids listed by the models endpoints. */
  models?: string[];
  /** Reject requests the real API would reject (missing required fields or headers, removed parameters). Default true. */
  validate?: boolean;
  /** Called for every request once its body is read (e.g. to log it). */
  onRequest?: (request: RecordedRequest) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// Protocol plug-in interface
// ---------------------------------------------------------------------------------------------------------------

export interface RouteMatch {
  readonly endpoint: FakeEndpoint;
  readonly stream: boolean;
  readonly model?: string;
  /** Protocol-specific variant (e.g. Gemini's JSON-array stream, a single model's info). */
  readonly variant?: string;
}

export interface FakeReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export interface RetryHint {
  readonly seconds?: number;
  readonly ms?: number;
  readonly date?: Date;
}

export interface ResolvedUsage {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export interface ErrorContext {
  readonly request: RecordedRequest;
  readonly route: RouteMatch | undefined;
  readonly model: string;
  readonly requestId: string;
  readonly retry: RetryHint | undefined;
  /** Estimated prompt tokens of the request. */
  readonly inputTokens: number;
  /** `step.errorMessage`: replaces the message of the protocol's error body. */
  readonly errorMessage?: string;
}

export interface TurnContext {
  readonly request: RecordedRequest;
  readonly route: RouteMatch;
  readonly model: string;
  readonly requestId: string;
  readonly text: string;
  readonly chunks: readonly string[];
  readonly usage: ResolvedUsage;
  /** `step.finishReason`, when scripted. */
  readonly finishReason: string | undefined;
  /** The answer is refused / blocked (`error: 'content_filter'` or a `content_filter` mid-stream error). */
  readonly contentFilter: boolean;
  /** Set when the protocol's safety filter blocked the turn (see {@link FakeStep.harm}). */
  readonly safetyBlock?: { readonly in: 'prompt' | 'answer'; readonly harm: FakeHarm };
  /** Estimated prompt tokens of the request. */
  readonly inputTokens: number;
}

/** One stream event. `data` is already serialized; `content` marks a text delta (counted by cut/midStreamError). */
export interface StreamEvent {
  readonly event?: string;
  readonly data: string;
  readonly content?: boolean;
}

export interface AuxContext {
  readonly request: RecordedRequest;
  readonly route: RouteMatch;
  readonly models: readonly string[];
  readonly requestId: string;
  readonly inputTokens: number;
}

export interface FakeProtocol {
  /** Short id: `anthropic`, `openai`, `gemini`. */
  readonly id: string;
  /** Human name used in default texts and logs. */
  readonly label: string;
  readonly defaultModel: string;
  readonly defaultModels: readonly string[];
  /** Default in-stream error kind. */
  readonly defaultStreamErrorKind: FakeErrorKind;
  /** What to pass to the SDK as its base URL. */
  baseURL(origin: string): string;
  route(method: string, path: string, query: Record<string, string>, body: unknown): RouteMatch | undefined;
  /** The key as the client presented it in this provider's own auth header (or query parameter), if any. */
  presentedKey(request: RecordedRequest): string | undefined;
  authError(presented: string | undefined, ctx: ErrorContext): FakeReply;
  /** A request the real API would reject before generating anything. */
  validate(request: RecordedRequest, route: RouteMatch, ctx: ErrorContext): FakeReply | undefined;
  errorReply(kind: Exclude<FakeErrorKind, 'content_filter'>, ctx: ErrorContext): FakeReply;
  unknownRoute(ctx: ErrorContext): FakeReply;
  /** Headers on every answer (request ids, rate-limit state...). `limited` is true on a 429. */
  commonHeaders(requestId: string, limited: boolean): Record<string, string>;
  readonly jsonContentType: string;
  readonly streamContentType: string;
  readonly streamHeaders?: Record<string, string>;
  jsonBody(ctx: TurnContext): unknown;
  streamEvents(ctx: TurnContext): StreamEvent[];
  /** Serialize one event with the provider's framing (`index` is its position in the stream). */
  frame(event: StreamEvent, index: number): string;
  streamError(kind: FakeErrorKind, ctx: TurnContext): StreamEvent;
  auxReply(ctx: AuxContext): FakeReply;
  newRequestId(): string;
  /** Whether the provider's safety filter blocks this turn, given the request's safety settings. */
  safetyBlock?(request: RecordedRequest, harm: FakeHarm): boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared by the protocols
// ---------------------------------------------------------------------------------------------------------------

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function randomId(length: number, alphabet: string = ALNUM): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

export function randomBase58(length: number): string {
  return randomId(length, BASE58);
}

export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/**
 * JSON as a server would write it, for values that may hold non-finite numbers (absurd scripted usage): Infinity as the
 * number literal `1e999` (-Infinity `-1e999`), NaN as the string "NaN". Other values exactly as JSON.stringify.
 */
export function wireJson(value: unknown): string {
  let nonFinite = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'number' || Number.isFinite(v)) return v;
    nonFinite = true;
    return Number.isNaN(v) ? 'NaN' : v > 0 ? '\u0000+inf' : '\u0000-inf';
  });
  if (!nonFinite) return text;
  return text.replace(/"\\u0000\+inf"/g, '1e999').replace(/"\\u0000-inf"/g, '-1e999');
}

/** Rough token estimate: one token per four characters, at least one. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

/** Total length of the prompt text in a request body (string `content`/`text`/`system` values, at any depth). */
export function promptChars(body: unknown): number {
  let total = 0;
  const walk = (value: unknown, key: string | undefined, depth: number): void => {
    if (depth > 12) return;
    if (typeof value === 'string') {
      if (key === 'content' || key === 'text' || key === 'system') total += value.length;
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) walk(item, key, depth + 1);
      return;
    }
    if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k, depth + 1);
    }
  };
  walk(body, undefined, 0);
  return total;
}

/** Split text into about `pieces` deltas at word boundaries (deterministic). */
export function splitText(text: string, pieces = 3): string[] {
  if (!text) return [];
  const words = text.match(/\S+\s*/g) ?? [text];
  const lead = text.match(/^\s*/)?.[0] ?? '';
  if (lead) words[0] = lead + words[0];
  const n = Math.max(1, Math.min(pieces, words.length));
  const size = Math.ceil(words.length / n);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(''));
  return out;
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1] : undefined;
}

/** Standard retry headers for a hint: `retry-after` seconds, `retry-after-ms` (+ `retry-after`), or an HTTP date. */
export function retryHeaders(hint: RetryHint | undefined): Record<string, string> {
  if (!hint) return {};
  if (hint.ms !== undefined) {
    return { 'retry-after-ms': String(hint.ms), 'retry-after': String(Math.max(0, Math.ceil(hint.ms / 1000))) };
  }
  if (hint.date !== undefined) return { 'retry-after': hint.date.toUTCString() };
  if (hint.seconds !== undefined) return { 'retry-after': String(hint.seconds) };
  return {};
}

/** The hint as seconds (for Gemini's RetryInfo). */
export function retrySeconds(hint: RetryHint): number {
  if (hint.ms !== undefined) return hint.ms / 1000;
  if (hint.date !== undefined) return Math.max(0, (hint.date.getTime() - Date.now()) / 1000);
  return hint.seconds ?? 0;
}

/** RFC 3339 without milliseconds, as Anthropic's reset headers use. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function positionAfterContent(events: readonly StreamEvent[], n: number): number {
  // Index of the first event that comes after the n-th content event (n = 0: the first content event itself).
  let seen = 0;
  for (let i = 0; i < events.length; i++) {
    if (!events[i]!.content) continue;
    if (seen === n) return i;
    seen++;
  }
  // Fewer content events than n: right after the last content event, or before the last event when there is none.
  let lastContent = -1;
  for (let i = 0; i < events.length; i++) if (events[i]!.content) lastContent = i;
  return lastContent >= 0 ? lastContent + 1 : Math.max(0, events.length - 1);
}

function breakJson(data: string): string {
  return data.slice(0, Math.max(1, Math.ceil(data.length / 2)));
}

const MALFORMED_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n';

// ---------------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------------

interface Exchange {
  readonly record: RecordedRequest;
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly live: AbortController;
  serverClosed: boolean;
}

interface Waiter {
  readonly check: () => boolean | Error;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class FakeProviderServer {
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Answer used for model requests when the queue is empty. */
  defaultStep: FakeStep;
  /** When set, requests must carry exactly this key in the provider's own auth header. */
  expectedKey: string | undefined;
  /** Model ids listed by the models endpoints. */
  models: string[];
  /** Reject requests the real API would reject. */
  validate: boolean;

  private readonly queue: FakeStep[] = [];
  private readonly auxQueue: FakeStep[] = [];
  private readonly initial: { defaultStep: FakeStep; expectedKey: string | undefined; models: string[] };
  private readonly onRequest: ((request: RecordedRequest) => void) | undefined;
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly exchanges = new Set<Exchange>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<Waiter>();
  private address: AddressInfo | undefined;
  private closing = false;

  constructor(
    readonly protocol: FakeProtocol,
    options: FakeOptions = {},
  ) {
    this.defaultStep = options.defaultStep ?? {};
    this.expectedKey = options.expectedKey;
    this.models = [...(options.models ?? protocol.defaultModels)];
    this.validate = options.validate ?? true;
    this.onRequest = options.onRequest;
    this.initial = { defaultStep: this.defaultStep, expectedKey: this.expectedKey, models: [...this.models] };
  }

  /** Listens on loopback only (port 0: an ephemeral port). */
  async start(port = 0, host = '127.0.0.1'): Promise<void> {
    if (this.server) throw new Error(`fake ${this.protocol.label} server already started`);
    if (!isLoopback(host)) throw new Error(`fake servers listen on loopback only, not ${host}`);
    const server = http.createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        // A bug in the fake must not look like a provider answer: close the connection loudly.
        console.error(`[fake ${this.protocol.label}] internal error:`, error);
        res.destroy();
      });
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    this.closing = false;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.address = server.address() as AddressInfo;
  }

  /** Stops listening, ends every open exchange (hangs included), clears all timers and destroys all sockets. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.closing = true;
    this.server = undefined;
    for (const x of this.exchanges) {
      x.serverClosed = true;
      x.live.abort();
    }
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    server.closeAllConnections();
    await closed;
    this.settleWaiters(new Error(`fake ${this.protocol.label} server closed`));
  }

  /**
   * Stops listening but keeps its address: a client that connects to {@link baseURL} now gets ECONNREFUSED, like a
   * local server (Ollama, LM Studio) that is not running. {@link listenAgain} starts it on the same port.
   */
  async stopListening(): Promise<void> {
    if (!this.address) throw new Error(`fake ${this.protocol.label} server not started`);
    await this.close();
  }

  /** Listens again on the port and loopback address it had before {@link stopListening} (the local server restarted). */
  async listenAgain(): Promise<void> {
    if (!this.address) throw new Error(`fake ${this.protocol.label} server was never started`);
    if (this.server) return;
    await this.start(this.address.port, this.address.address);
  }

  /** Whether it is listening now. */
  get listening(): boolean {
    return this.server !== undefined;
  }

  get port(): number {
    if (!this.address) throw new Error(`fake ${this.protocol.label} server not started`);
    return this.address.port;
  }

  /** `http://127.0.0.1:PORT` */
  get origin(): string {
    if (!this.address) throw new Error(`fake ${this.protocol.label} server not started`);
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  /** What to give the SDK: Anthropic and Gemini the origin, OpenAI the origin + `/v1`. */
  get baseURL(): string {
    return this.protocol.baseURL(this.origin);
  }

  /** Scripts the next model requests, one step each, in order. */
  enqueue(...steps: FakeStep[]): this {
    this.queue.push(...steps);
    return this;
  }

  /** Scripts the next auxiliary requests (models list / model info / token counting), one step each. Only the
   *  transport, error and raw-override fields apply. Unscripted auxiliary requests succeed. */
  enqueueAux(...steps: FakeStep[]): this {
    this.auxQueue.push(...steps);
    return this;
  }

  /** Steps still queued for model requests. */
  get pending(): number {
    return this.queue.length;
  }

  /** Requests that hit the model endpoint. */
  get modelRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === 'model');
  }

  get lastRequest(): RecordedRequest | undefined {
    return this.requests[this.requests.length - 1];
  }

  /** Forgets requests and queued steps; restores the default step, key and models given at creation. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.auxQueue.length = 0;
    this.defaultStep = this.initial.defaultStep;
    this.expectedKey = this.initial.expectedKey;
    this.models = [...this.initial.models];
  }

  /** Resolves with request `index` once it has arrived (its body read). */
  waitForRequest(index: number, timeoutMs = 2000): Promise<RecordedRequest> {
    return this.wait(
      () => this.requests[index] !== undefined,
      timeoutMs,
      `request #${index} did not arrive within ${timeoutMs} ms`,
    ).then(() => this.requests[index]!);
  }

  /**
   * Resolves when the client closed request `index`'s connection before the response finished (default: the latest
   * request, or the first one to come). Rejects when that response finished normally or the server closed it.
   */
  waitForClose(index?: number, timeoutMs = 2000): Promise<void> {
    const i = index ?? Math.max(0, this.requests.length - 1);
    return this.wait(
      () => {
        const r = this.requests[i];
        if (!r) return false;
        if (r.state === 'closedByClient') return true;
        if (r.state === 'finished') return new Error(`request #${i} finished normally; the client did not close it`);
        if (r.state === 'closedByServer') return new Error(`request #${i} was closed by the fake, not the client`);
        return false;
      },
      timeoutMs,
      `the client did not close request #${i} within ${timeoutMs} ms`,
    );
  }

  // -------------------------------------------------------------------------------------------------------------

  private wait(check: () => boolean | Error, timeoutMs: number, timeoutMessage: string): Promise<void> {
    const first = check();
    if (first === true) return Promise.resolve();
    if (first instanceof Error) return Promise.reject(first);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        check,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(timeoutMessage));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) {
      const result = w.check();
      if (result === false) continue;
      this.waiters.delete(w);
      clearTimeout(w.timer);
      if (result === true) w.resolve();
      else w.reject(result);
    }
  }

  private settleWaiters(error: Error): void {
    this.notify();
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  /** Waits `ms`; false when the exchange ended meanwhile (client gone or server closing). */
  private sleep(ms: number, x: Exchange): Promise<boolean> {
    if (!this.isLive(x)) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        x.live.signal.removeEventListener('abort', onAbort);
        resolve(this.isLive(x));
      }, ms);
      this.timers.add(timer);
      x.live.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private isLive(x: Exchange): boolean {
    return !x.live.signal.aborted && !x.res.destroyed && !this.closing;
  }

  private async readBody(req: http.IncomingMessage): Promise<string> {
    const parts: Buffer[] = [];
    for await (const chunk of req) parts.push(chunk as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    let rawBody: string;
    try {
      rawBody = await this.readBody(req);
    } catch {
      return; // the client went away while sending
    }
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    let body: unknown;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const query = Object.fromEntries(url.searchParams);
    const route = this.protocol.route(req.method ?? 'GET', url.pathname, query, body);
    const record: RecordedRequest = {
      index: this.requests.length,
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers,
      rawBody,
      body,
      receivedAt: Date.now(),
      endpoint: route?.endpoint,
      model: route?.model,
      stream: route?.stream ?? false,
      closedByClient: false,
      state: 'open',
    };
    const x: Exchange = { record, req, res, live: new AbortController(), serverClosed: false };
    this.exchanges.add(x);
    res.on('close', () => {
      this.exchanges.delete(x);
      if (res.writableFinished) record.state = 'finished';
      else if (x.serverClosed || this.closing) record.state = 'closedByServer';
      else {
        record.state = 'closedByClient';
        record.closedByClient = true;
      }
      x.live.abort();
      this.notify();
    });
    this.requests.push(record);
    this.onRequest?.(record);
    this.notify();
    if (this.closing) {
      x.serverClosed = true;
      res.destroy();
      return;
    }

    const step: FakeStep =
      route?.endpoint === 'model' ? (this.queue.shift() ?? this.defaultStep) : route ? (this.auxQueue.shift() ?? {}) : {};
    const model = route?.model ?? this.protocol.defaultModel;
    const requestId = this.protocol.newRequestId();
    const inputTokens = estimateTokens(promptChars(body));
    const retry = this.retryHint(step);
    const ectx: ErrorContext = {
      request: record,
      route,
      model,
      requestId,
      retry,
      inputTokens,
      ...(step.errorMessage !== undefined ? { errorMessage: step.errorMessage } : {}),
    };

    if (step.reset) {
      x.serverClosed = true;
      req.socket.destroy();
      return;
    }
    if (step.hang) return; // ends when the client aborts (res 'close') or close() destroys the socket
    if (step.latencyMs && !(await this.sleep(step.latencyMs, x))) return;

    if (!route) return this.sendReply(x, this.protocol.unknownRoute(ectx), step, requestId, false);

    if (this.expectedKey !== undefined) {
      const presented = this.protocol.presentedKey(record);
      if (presented !== this.expectedKey) {
        return this.sendReply(x, this.protocol.authError(presented, ectx), step, requestId, false);
      }
    }
    if (this.validate) {
      const invalid = this.protocol.validate(record, route, ectx);
      if (invalid) return this.sendReply(x, invalid, step, requestId, false);
    }

    if (step.status !== undefined || step.body !== undefined) {
      return this.sendReply(x, { status: step.status ?? 200, body: step.body ?? '' }, step, requestId, false, true);
    }
    if (step.error && step.error !== 'content_filter') {
      const reply = this.protocol.errorReply(step.error, ectx);
      return this.sendReply(x, reply, step, requestId, step.error === 'rate_limit');
    }
    if (route.endpoint !== 'model') {
      const reply = this.protocol.auxReply({ request: record, route, models: this.models, requestId, inputTokens });
      return this.sendReply(x, reply, step, requestId, false);
    }

    const ctx = this.turn(step, record, route, model, requestId, inputTokens);
    if (route.stream) return this.playStream(x, ctx, step);
    return this.sendReply(x, { status: 200, body: this.protocol.jsonBody(ctx) }, step, requestId, false);
  }

  private retryHint(step: FakeStep): RetryHint | undefined {
    if (step.retryAfterMs !== undefined) return { ms: step.retryAfterMs };
    if (step.retryAfterDate !== undefined) return { date: step.retryAfterDate };
    if (step.retryAfterSeconds !== undefined) return { seconds: step.retryAfterSeconds };
    if (step.error === 'rate_limit') return { seconds: 1 };
    return undefined;
  }

  private turn(
    step: FakeStep,
    request: RecordedRequest,
    route: RouteMatch,
    model: string,
    requestId: string,
    inputTokens: number,
  ): TurnContext {
    const safetyBlock =
      step.harm && this.protocol.safetyBlock?.(request, step.harm) ? { in: step.harm.in ?? 'answer', harm: step.harm } : undefined;
    const contentFilter = step.error === 'content_filter' || step.midStreamError?.kind === 'content_filter' || safetyBlock !== undefined;
    let chunks: string[];
    if (step.chunks) chunks = [...step.chunks];
    else if (step.text !== undefined) chunks = splitText(step.text);
    else if (step.error === 'content_filter') chunks = [];
    else chunks = splitText(`Hello from fake ${this.protocol.label}`);
    if (step.midStreamError?.kind === 'content_filter') chunks = chunks.slice(0, step.midStreamError.afterChunks);
    if (safetyBlock) chunks = [];
    const text = chunks.join('');
    const usage: ResolvedUsage = {
      input: step.usage?.input ?? inputTokens,
      output: step.usage?.output ?? (text ? estimateTokens(text.length) : 1),
      cacheRead: step.usage?.cacheRead ?? 0,
      cacheWrite: step.usage?.cacheWrite ?? 0,
    };
    return {
      request,
      route,
      model,
      requestId,
      text,
      chunks,
      usage,
      finishReason: step.finishReason,
      contentFilter,
      ...(safetyBlock ? { safetyBlock } : {}),
      inputTokens,
    };
  }

  private async sendReply(
    x: Exchange,
    reply: FakeReply,
    step: FakeStep,
    requestId: string,
    limited: boolean,
    raw = false,
  ): Promise<void> {
    if (!this.isLive(x)) return;
    if (step.hugeBodyBytes !== undefined) return this.sendHugeBody(x, reply, step, requestId, limited);
    let payload: string;
    let contentType = this.protocol.jsonContentType;
    if (typeof reply.body === 'string') {
      payload = reply.body;
      if (raw) contentType = 'text/plain; charset=utf-8';
    } else {
      payload = wireJson(reply.body);
    }
    if (step.malformed && !raw) {
      if (reply.status >= 400) {
        payload = MALFORMED_HTML;
        contentType = 'text/html';
      } else {
        payload = breakJson(payload);
      }
    }
    const headers: Record<string, string> = {
      ...this.protocol.commonHeaders(requestId, limited),
      'content-type': contentType,
      ...reply.headers,
      ...step.headers,
      'content-length': String(Buffer.byteLength(payload)),
    };
    x.res.writeHead(reply.status, headers);
    if (step.ttfbMs) {
      x.res.flushHeaders();
      if (!(await this.sleep(step.ttfbMs, x))) return;
    }
    x.res.end(payload);
  }

  /** Writes `data`; when the socket's buffer is full, waits until it drains or the exchange ends. False once ended. */
  private async write(x: Exchange, data: string): Promise<boolean> {
    if (!this.isLive(x)) return false;
    if (x.res.write(data)) return true;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        x.res.off('drain', done);
        x.live.signal.removeEventListener('abort', done);
        resolve();
      };
      x.res.once('drain', done);
      x.live.signal.addEventListener('abort', done, { once: true });
    });
    return this.isLive(x);
  }

  private async sendHugeBody(x: Exchange, reply: FakeReply, step: FakeStep, requestId: string, limited: boolean): Promise<void> {
    const bytes = step.hugeBodyBytes ?? 0;
    const [head, tail] = reply.status >= 400 ? ['{"error":{"message":"', '"}}'] : ['{"pad":"', '"}'];
    x.res.writeHead(reply.status, {
      ...this.protocol.commonHeaders(requestId, limited),
      'content-type': this.protocol.jsonContentType,
      ...reply.headers,
      ...step.headers,
    });
    const piece = 'x'.repeat(64 * 1024);
    if (!(await this.write(x, head))) return;
    for (let written = 0; written < bytes; written += piece.length) {
      if (!(await this.write(x, piece))) return;
    }
    if (this.isLive(x)) x.res.end(tail);
  }

  /** An answer that never ends: the preamble, then one content delta over and over (see {@link FakeStep.endless}). */
  private async playEndless(x: Exchange, ctx: TurnContext, step: FakeStep): Promise<void> {
    const chunkChars = step.endless?.chunkChars ?? 1_000;
    const maxBytes = step.endless?.maxBytes ?? 2 * 1024 * 1024 * 1024;
    const events = this.protocol.streamEvents({ ...ctx, chunks: ['x'.repeat(chunkChars)], text: 'x'.repeat(chunkChars) });
    const content = events.findIndex((e) => e.content);
    if (content < 0) throw new Error(`the ${this.protocol.label} fake produced no content event to repeat`);
    x.res.writeHead(200, {
      ...this.protocol.commonHeaders(ctx.requestId, false),
      'content-type': this.protocol.streamContentType,
      ...this.protocol.streamHeaders,
      ...step.headers,
    });
    x.res.flushHeaders();
    let index = 0;
    for (; index < content; index++) if (!(await this.write(x, this.protocol.frame(events[index]!, index)))) return;
    let written = 0;
    while (written < maxBytes) {
      const frame = this.protocol.frame(events[content]!, index++);
      if (!(await this.write(x, frame))) return;
      written += frame.length;
    }
    this.cut(x);
  }

  private async playStream(x: Exchange, ctx: TurnContext, step: FakeStep): Promise<void> {
    if (!this.isLive(x)) return;
    if (step.endless) return this.playEndless(x, ctx, step);
    let events = this.protocol.streamEvents(ctx);
    if (step.midStreamError && step.midStreamError.kind !== 'content_filter') {
      const at = positionAfterContent(events, step.midStreamError.afterChunks);
      const kind = step.midStreamError.kind ?? this.protocol.defaultStreamErrorKind;
      events = [...events.slice(0, at), this.protocol.streamError(kind, ctx)];
    }
    if (step.malformed) {
      const target = Math.max(
        0,
        events.findIndex((e) => e.content),
      );
      events = events.map((e, i) => (i === target ? { ...e, data: breakJson(e.data) } : e));
    }
    const cutAt = step.cutAfterChunks !== undefined ? positionAfterContent(events, step.cutAfterChunks) : -1;

    const res = x.res;
    res.writeHead(200, {
      ...this.protocol.commonHeaders(ctx.requestId, false),
      'content-type': this.protocol.streamContentType,
      ...this.protocol.streamHeaders,
      ...step.headers,
    });
    res.flushHeaders();
    if (step.ttfbMs && !(await this.sleep(step.ttfbMs, x))) return;
    for (let i = 0; i < events.length; i++) {
      if (i === cutAt) return this.cut(x);
      if (i > 0 && step.chunkIntervalMs && !(await this.sleep(step.chunkIntervalMs, x))) return;
      if (!this.isLive(x)) return;
      res.write(this.protocol.frame(events[i]!, i));
    }
    if (cutAt >= events.length) return this.cut(x);
    res.end();
  }

  /** Drops the connection mid-response: flush what was written, then FIN without the chunked terminator. */
  private cut(x: Exchange): void {
    x.serverClosed = true;
    const socket = x.res.socket;
    if (!socket) return;
    socket.end(() => socket.destroy());
  }
}
