/**
 * Fake Anthropic Messages API (what @anthropic-ai/sdk 1.x sends: `POST /v1/messages`, `anthropic-version: 2026-10-21`,
 * the key as `Authorization: Bearer <key>`; `x-api-key` is accepted too, as the real API does).
 */
import type {
  AuxContext,
  ErrorContext,
  FakeErrorKind,
  FakeOptions,
  FakeProtocol,
  FakeReply,
  RecordedRequest,
  RouteMatch,
  StreamEvent,
  TurnContext,
} from './fakeServer';
import {
  bearerToken,
  FakeProviderServer,
  randomBase58,
  retryHeaders,
  rfc3339,
  wireJson,
} from './fakeServer';

/** From this API version on, `temperature`, `top_p` and `top_k` are removed: sending any of them is a 400. */
export const ANTHROPIC_SAMPLING_REMOVED_VERSION = '2026-10-21';

type ErrorInfo = { status: number; type: string; message: string };

function errorInfo(kind: Exclude<FakeErrorKind, 'content_filter'>, ctx: ErrorContext): ErrorInfo {
  switch (kind) {
    case 'bad_request':
      return { status: 400, type: 'invalid_request_error', message: 'messages: at least one message is required' };
    case 'auth':
      return { status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
    case 'permission':
      return {
        status: 403,
        type: 'permission_error',
        message: 'Your API key does not have permission to use the specified resource.',
      };
    case 'not_found':
      return { status: 404, type: 'not_found_error', message: `model: ${ctx.model}` };
    case 'too_large':
      return { status: 413, type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' };
    case 'rate_limit':
      return {
        status: 429,
        type: 'rate_limit_error',
        message:
          "This request would exceed the rate limit for your organization (00000000-0000-4000-8000-000000000000) of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.",
      };
    case 'server':
      return { status: 500, type: 'api_error', message: 'Internal server error' };
    case 'unavailable':
      return { status: 503, type: 'api_error', message: 'Service unavailable' };
    case 'overloaded':
      return { status: 529, type: 'overloaded_error', message: 'Overloaded' };
    case 'context_length':
      return {
        status: 400,
        type: 'invalid_request_error',
        message: `prompt is too long: ${Math.max(ctx.inputTokens, 200001)} tokens > 200000 maximum`,
      };
  }
}

function errorBody(type: string, message: string, requestId: string | null): unknown {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

function displayName(id: string): string {
  const m = /^claude-([a-z]+)-(\d+)(?:-(\d{1,2}))?/.exec(id);
  if (!m) return id;
  const family = m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1);
  return `Claude ${family} ${m[2]}${m[3] ? `.${m[3]}` : ''}`;
}

function modelLine(id: string): string | null {
  const m = /^claude-(haiku|sonnet|opus|fable|mythos)\b/.exec(id);
  return m ? m[1]! : null;
}

function modelInfo(id: string): Record<string, unknown> {
  return {
    type: 'model',
    id,
    display_name: displayName(id),
    created_at: '2026-01-01T00:00:00Z',
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: modelLine(id),
    max_input_tokens: 200000,
    max_tokens: 64000,
    retires_at: null,
  };
}

export class AnthropicProtocol implements FakeProtocol {
  readonly id = 'anthropic';
  readonly label = 'Anthropic';
  readonly defaultModel = 'claude-sonnet-5-5';
  readonly defaultModels = ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5'];
  readonly defaultStreamErrorKind: FakeErrorKind = 'overloaded';
  readonly jsonContentType = 'application/json';
  readonly streamContentType = 'text/event-stream; charset=utf-8';
  readonly streamHeaders = { 'cache-control': 'no-cache' };
  private readonly organizationId = '00000000-0000-4000-8000-000000000000';

  baseURL(origin: string): string {
    return origin;
  }

  route(method: string, path: string, _query: Record<string, string>, body: unknown): RouteMatch | undefined {
    const b = (body && typeof body === 'object' ? body : {}) as { model?: unknown; stream?: unknown };
    const model = typeof b.model === 'string' ? b.model : undefined;
    if (method === 'POST' && path === '/v1/messages') return { endpoint: 'model', stream: b.stream === true, model };
    if (method === 'POST' && path === '/v1/messages/count_tokens') return { endpoint: 'countTokens', stream: false, model };
    if (method === 'GET' && path === '/v1/models') return { endpoint: 'models', stream: false };
    const one = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (method === 'GET' && one) {
      return { endpoint: 'models', stream: false, model: decodeURIComponent(one[1]!), variant: 'one' };
    }
    return undefined;
  }

  presentedKey(request: RecordedRequest): string | undefined {
    return request.headers['x-api-key'] ?? bearerToken(request.headers['authorization']);
  }

  authError(presented: string | undefined, ctx: ErrorContext): FakeReply {
    let message = 'invalid x-api-key';
    if (presented === undefined) message = 'x-api-key header is required';
    else if (!ctx.request.headers['x-api-key']) message = 'Invalid bearer token';
    return { status: 401, body: errorBody('authentication_error', message, ctx.requestId) };
  }

  validate(request: RecordedRequest, route: RouteMatch, ctx: ErrorContext): FakeReply | undefined {
    if (route.endpoint === 'models') return undefined;
    const bad = (message: string): FakeReply => ({
      status: 400,
      body: errorBody('invalid_request_error', message, ctx.requestId),
    });
    const version = request.headers['anthropic-version'];
    if (!version) return bad('anthropic-version: header is required');
    if (!request.body || typeof request.body !== 'object' || Array.isArray(request.body)) {
      return bad('The request body is not valid JSON.');
    }
    const body = request.body as Record<string, unknown>;
    if (typeof body.model !== 'string') return bad('model: Field required');
    if (!Array.isArray(body.messages)) return bad('messages: Field required');
    if (route.endpoint === 'model' && typeof body.max_tokens !== 'number') return bad('max_tokens: Field required');
    if (version >= ANTHROPIC_SAMPLING_REMOVED_VERSION) {
      for (const removed of ['temperature', 'top_p', 'top_k']) {
        if (removed in body) return bad(`${removed}: Extra inputs are not permitted`);
      }
    }
    return undefined;
  }

  errorReply(kind: Exclude<FakeErrorKind, 'content_filter'>, ctx: ErrorContext): FakeReply {
    const info = errorInfo(kind, ctx);
    // request_too_large comes from the edge proxy, before the API assigns a request id.
    const requestId = kind === 'too_large' ? null : ctx.requestId;
    return {
      status: info.status,
      body: errorBody(info.type, ctx.errorMessage ?? info.message, requestId),
      headers: retryHeaders(ctx.retry),
    };
  }

  unknownRoute(ctx: ErrorContext): FakeReply {
    return { status: 404, body: errorBody('not_found_error', 'Not Found', ctx.requestId) };
  }

  commonHeaders(requestId: string, limited: boolean): Record<string, string> {
    const now = Date.now();
    const reset = rfc3339(new Date(now + (limited ? 1000 : 60_000)));
    const soon = rfc3339(new Date(now + 1000));
    const limits: Record<string, string> = {};
    const add = (name: string, limit: number, remaining: number, at: string): void => {
      limits[`anthropic-ratelimit-${name}-limit`] = String(limit);
      limits[`anthropic-ratelimit-${name}-remaining`] = String(remaining);
      limits[`anthropic-ratelimit-${name}-reset`] = at;
    };
    add('requests', 50, limited ? 0 : 49, limited ? soon : reset);
    add('input-tokens', 30000, limited ? 0 : 29000, limited ? soon : reset);
    add('output-tokens', 8000, limited ? 8000 : 7900, soon);
    add('tokens', 38000, limited ? 0 : 36900, limited ? soon : reset);
    return {
      'request-id': requestId,
      'anthropic-organization-id': this.organizationId,
      ...limits,
    };
  }

  newRequestId(): string {
    return `req_011C${randomBase58(20)}`;
  }

  private usage(ctx: TurnContext, outputTokens: number): Record<string, unknown> {
    return {
      input_tokens: ctx.usage.input,
      cache_creation_input_tokens: ctx.usage.cacheWrite,
      cache_read_input_tokens: ctx.usage.cacheRead,
      cache_creation: { ephemeral_5m_input_tokens: ctx.usage.cacheWrite, ephemeral_1h_input_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      inference_geo: null,
      speed: 'standard',
    };
  }

  private stop(ctx: TurnContext): { stop_reason: string; stop_details: unknown } {
    if (ctx.contentFilter) {
      return { stop_reason: 'refusal', stop_details: { type: 'refusal', category: null, explanation: null } };
    }
    return { stop_reason: ctx.finishReason ?? 'end_turn', stop_details: null };
  }

  private messageId(): string {
    return `msg_01${randomBase58(22)}`;
  }

  jsonBody(ctx: TurnContext): unknown {
    const stop = this.stop(ctx);
    return {
      id: this.messageId(),
      type: 'message',
      role: 'assistant',
      model: ctx.model,
      content: ctx.text ? [{ type: 'text', text: ctx.text, citations: null }] : [],
      stop_reason: stop.stop_reason,
      stop_sequence: null,
      stop_details: stop.stop_details,
      container: null,
      diagnostics: null,
      usage: this.usage(ctx, ctx.usage.output),
    };
  }

  streamEvents(ctx: TurnContext): StreamEvent[] {
    const ev = (event: string, data: unknown, content = false): StreamEvent => ({
      event,
      data: wireJson(data),
      content,
    });
    const stop = this.stop(ctx);
    return [
      ev('message_start', {
        type: 'message_start',
        message: {
          id: this.messageId(),
          type: 'message',
          role: 'assistant',
          model: ctx.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          stop_details: null,
          container: null,
          diagnostics: null,
          usage: this.usage(ctx, 1),
        },
      }),
      ev('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '', citations: null },
      }),
      ev('ping', { type: 'ping' }),
      ...ctx.chunks.map((text) =>
        ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, true),
      ),
      ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
      ev('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stop.stop_reason, stop_sequence: null, stop_details: stop.stop_details, container: null },
        // The API repeats the cumulative input/cache counts here; output_tokens is the final total.
        usage: {
          input_tokens: ctx.usage.input,
          cache_creation_input_tokens: ctx.usage.cacheWrite,
          cache_read_input_tokens: ctx.usage.cacheRead,
          output_tokens: ctx.usage.output,
          output_tokens_details: null,
          server_tool_use: null,
        },
      }),
      ev('message_stop', { type: 'message_stop' }),
    ];
  }

  frame(event: StreamEvent): string {
    return `event: ${event.event ?? 'message'}\ndata: ${event.data}\n\n`;
  }

  streamError(kind: FakeErrorKind, ctx: TurnContext): StreamEvent {
    const info =
      kind === 'content_filter'
        ? { type: 'invalid_request_error', message: 'Output blocked by content filtering policy' }
        : errorInfo(kind, { ...ctx, retry: undefined, route: ctx.route });
    return { event: 'error', data: wireJson({ type: 'error', error: { type: info.type, message: info.message } }) };
  }

  auxReply(ctx: AuxContext): FakeReply {
    if (ctx.route.endpoint === 'countTokens') return { status: 200, body: { input_tokens: ctx.inputTokens } };
    if (ctx.route.variant === 'one') {
      const id = ctx.route.model ?? '';
      if (!ctx.models.includes(id)) {
        return { status: 404, body: errorBody('not_found_error', `model: ${id}`, ctx.requestId) };
      }
      return { status: 200, body: modelInfo(id) };
    }
    const q = ctx.request.query;
    const limit = Math.min(1000, Math.max(1, Number(q.limit ?? 20) || 20));
    let list = [...ctx.models];
    if (q.after_id) list = list.slice(list.indexOf(q.after_id) + 1);
    else if (q.before_id) list = list.slice(Math.max(0, list.indexOf(q.before_id) - limit), list.indexOf(q.before_id));
    const page = list.slice(0, limit);
    return {
      status: 200,
      body: {
        data: page.map(modelInfo),
        has_more: list.length > page.length,
        first_id: page[0] ?? null,
        last_id: page[page.length - 1] ?? null,
      },
    };
  }
}

/** A fake Anthropic server (not started: call `start()`). */
export function createAnthropicFake(options?: FakeOptions): FakeProviderServer {
  return new FakeProviderServer(new AnthropicProtocol(), options);
}
