/**
 * Fake OpenAI Chat Completions API (also the shape DeepSeek, LM Studio and Ollama speak): `POST /v1/chat/completions`
 * with `Authorization: Bearer <key>`; the SDK's baseURL is origin + `/v1`.
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
import { bearerToken, FakeProviderServer, randomHex, randomId, retryHeaders, wireJson } from './fakeServer';

type OpenAIErrorObject = { message: string; type: string; param: string | null; code: string | null };
type ErrorInfo = { status: number; error: OpenAIErrorObject };

function err(status: number, message: string, type: string, code: string | null = null, param: string | null = null): ErrorInfo {
  return { status, error: { message, type, param, code } };
}

function errorInfo(kind: Exclude<FakeErrorKind, 'content_filter'>, ctx: ErrorContext): ErrorInfo {
  switch (kind) {
    case 'bad_request':
      return err(400, "[] is too short - 'messages'", 'invalid_request_error');
    case 'auth':
      return err(
        401,
        'Incorrect API key provided: sk-fake***************************************1234. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    case 'permission':
      return err(403, 'Country, region, or territory not supported', 'request_forbidden', 'unsupported_country_region_territory');
    case 'not_found':
      return err(
        404,
        `The model \`${ctx.model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    case 'too_large':
      return err(413, 'Request body too large. The maximum request size is 32 MB.', 'invalid_request_error', 'request_too_large');
    case 'rate_limit':
      return err(
        429,
        `Rate limit reached for ${ctx.model} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        'requests',
        'rate_limit_exceeded',
      );
    case 'server':
      return err(500, 'The server had an error while processing your request. Sorry about that!', 'server_error');
    case 'unavailable':
      return err(503, 'The server is overloaded or not ready yet.', 'server_error');
    case 'overloaded':
      return err(503, 'The engine is currently overloaded, please try again later', 'server_error');
    case 'context_length':
      return err(
        400,
        `This model's maximum context length is 128000 tokens. However, your messages resulted in ${Math.max(ctx.inputTokens, 128001)} tokens. Please reduce the length of the messages.`,
        'invalid_request_error',
        'context_length_exceeded',
        'messages',
      );
  }
}

function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, Math.min(8, Math.floor(key.length / 3)))}${'*'.repeat(Math.max(3, key.length - 12))}${key.slice(-4)}`;
}

export class OpenAIProtocol implements FakeProtocol {
  readonly id = 'openai';
  readonly label = 'OpenAI';
  readonly defaultModel = 'gpt-5-mini';
  readonly defaultModels = ['gpt-5', 'gpt-5-mini', 'gpt-4.1', 'gpt-4o-mini'];
  readonly defaultStreamErrorKind: FakeErrorKind = 'server';
  readonly jsonContentType = 'application/json';
  readonly streamContentType = 'text/event-stream; charset=utf-8';
  private readonly fingerprint = `fp_${randomHex(10)}`;

  baseURL(origin: string): string {
    return `${origin}/v1`;
  }

  route(method: string, path: string, _query: Record<string, string>, body: unknown): RouteMatch | undefined {
    const b = (body && typeof body === 'object' ? body : {}) as { model?: unknown; stream?: unknown };
    const model = typeof b.model === 'string' ? b.model : undefined;
    if (method === 'POST' && path === '/v1/chat/completions') return { endpoint: 'model', stream: b.stream === true, model };
    if (method === 'GET' && path === '/v1/models') return { endpoint: 'models', stream: false };
    const one = /^\/v1\/models\/(.+)$/.exec(path);
    if (method === 'GET' && one) {
      return { endpoint: 'models', stream: false, model: decodeURIComponent(one[1]!), variant: 'one' };
    }
    return undefined;
  }

  presentedKey(request: RecordedRequest): string | undefined {
    return bearerToken(request.headers['authorization']);
  }

  authError(presented: string | undefined): FakeReply {
    if (presented === undefined) {
      return {
        status: 401,
        body: {
          error: err(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
            'invalid_request_error',
          ).error,
        },
      };
    }
    return {
      status: 401,
      body: {
        error: err(
          401,
          `Incorrect API key provided: ${maskKey(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_request_error',
          'invalid_api_key',
        ).error,
      },
    };
  }

  validate(request: RecordedRequest, route: RouteMatch): FakeReply | undefined {
    if (route.endpoint !== 'model') return undefined;
    const bad = (info: ErrorInfo): FakeReply => ({ status: info.status, body: { error: info.error } });
    if (!request.body || typeof request.body !== 'object' || Array.isArray(request.body)) {
      return bad(
        err(
          400,
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
          'invalid_request_error',
        ),
      );
    }
    const body = request.body as Record<string, unknown>;
    if (typeof body.model !== 'string') return bad(err(400, 'you must provide a model parameter', 'invalid_request_error'));
    if (!Array.isArray(body.messages)) {
      return bad(
        err(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'missing_required_parameter', 'messages'),
      );
    }
    return undefined;
  }

  errorReply(kind: Exclude<FakeErrorKind, 'content_filter'>, ctx: ErrorContext): FakeReply {
    const info = errorInfo(kind, ctx);
    const error = ctx.errorMessage === undefined ? info.error : { ...info.error, message: ctx.errorMessage };
    return { status: info.status, body: { error }, headers: retryHeaders(ctx.retry) };
  }

  unknownRoute(ctx: ErrorContext): FakeReply {
    return {
      status: 404,
      body: { error: err(404, `Invalid URL (${ctx.request.method} ${ctx.request.path})`, 'invalid_request_error').error },
    };
  }

  commonHeaders(requestId: string, limited: boolean): Record<string, string> {
    return {
      'x-request-id': requestId,
      'openai-organization': 'user-fake',
      'openai-processing-ms': '42',
      'openai-project': 'proj_fake',
      'openai-version': '2020-10-01',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-requests': limited ? '0' : '499',
      'x-ratelimit-remaining-tokens': limited ? '0' : '29000',
      'x-ratelimit-reset-requests': limited ? '1s' : '120ms',
      'x-ratelimit-reset-tokens': limited ? '1s' : '2ms',
    };
  }

  newRequestId(): string {
    return `req_${randomHex(32)}`;
  }

  private usage(ctx: TurnContext): Record<string, unknown> {
    const prompt = ctx.usage.input + ctx.usage.cacheRead + ctx.usage.cacheWrite;
    return {
      prompt_tokens: prompt,
      completion_tokens: ctx.usage.output,
      total_tokens: prompt + ctx.usage.output,
      prompt_tokens_details: {
        cached_tokens: ctx.usage.cacheRead,
        audio_tokens: 0,
        ...(ctx.usage.cacheWrite ? { cache_write_tokens: ctx.usage.cacheWrite } : {}),
      },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
  }

  private finish(ctx: TurnContext): string {
    return ctx.contentFilter ? 'content_filter' : (ctx.finishReason ?? 'stop');
  }

  jsonBody(ctx: TurnContext): unknown {
    return {
      id: `chatcmpl-${randomId(29)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: ctx.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: ctx.contentFilter && !ctx.text ? null : ctx.text,
            refusal: null,
            annotations: [],
          },
          logprobs: null,
          finish_reason: this.finish(ctx),
        },
      ],
      usage: this.usage(ctx),
      service_tier: 'default',
      system_fingerprint: this.fingerprint,
    };
  }

  streamEvents(ctx: TurnContext): StreamEvent[] {
    const body = (ctx.request.body ?? {}) as { stream_options?: { include_usage?: unknown; include_obfuscation?: unknown } };
    const includeUsage = body.stream_options?.include_usage === true;
    const obfuscate = body.stream_options?.include_obfuscation !== false;
    const id = `chatcmpl-${randomId(29)}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}, content = false): StreamEvent => ({
      data: wireJson({
        id,
        object: 'chat.completion.chunk',
        created,
        model: ctx.model,
        service_tier: 'default',
        system_fingerprint: this.fingerprint,
        choices,
        ...(includeUsage ? { usage: null } : {}),
        ...(obfuscate ? { obfuscation: randomId(1 + (created % 7)) } : {}),
        ...extra,
      }),
      content,
    });
    const choice = (delta: Record<string, unknown>, finish: string | null): unknown => ({
      index: 0,
      delta,
      logprobs: null,
      finish_reason: finish,
    });
    const events: StreamEvent[] = [
      chunk([choice({ role: 'assistant', content: '', refusal: null }, null)]),
      ...ctx.chunks.map((text) => chunk([choice({ content: text }, null)], {}, true)),
      chunk([choice({}, this.finish(ctx))]),
    ];
    if (includeUsage) {
      events.push({
        data: wireJson({
          id,
          object: 'chat.completion.chunk',
          created,
          model: ctx.model,
          service_tier: 'default',
          system_fingerprint: this.fingerprint,
          choices: [],
          usage: this.usage(ctx),
        }),
      });
    }
    events.push({ data: '[DONE]' });
    return events;
  }

  frame(event: StreamEvent): string {
    return `data: ${event.data}\n\n`;
  }

  streamError(kind: FakeErrorKind, ctx: TurnContext): StreamEvent {
    const info =
      kind === 'content_filter'
        ? err(400, 'Output blocked by content filtering policy', 'invalid_request_error', 'content_filter')
        : errorInfo(kind, { ...ctx, retry: undefined });
    return { data: wireJson({ error: info.error }) };
  }

  auxReply(ctx: AuxContext): FakeReply {
    const created = 1_750_000_000;
    const model = (id: string): Record<string, unknown> => ({
      id,
      object: 'model',
      created,
      owned_by: id.startsWith('gpt-') ? 'system' : 'organization-owner',
    });
    if (ctx.route.variant === 'one') {
      const id = ctx.route.model ?? '';
      if (!ctx.models.includes(id)) {
        return {
          status: 404,
          body: {
            error: err(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found', 'model').error,
          },
        };
      }
      return { status: 200, body: model(id) };
    }
    return { status: 200, body: { object: 'list', data: ctx.models.map(model) } };
  }
}

/** A fake OpenAI(-compatible) server (not started: call `start()`). */
export function createOpenAIFake(options?: FakeOptions): FakeProviderServer {
  return new FakeProviderServer(new OpenAIProtocol(), options);
}
