/**
 * Fake Gemini API (Generative Language API v1beta, as @google/generative-ai 0.24 calls it):
 * `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`, `:countTokens`, with the key in
 * `x-goog-api-key` (the `?key=` query parameter is accepted too). The SDK's `baseUrl` is the origin.
 */
import type {
  AuxContext,
  ErrorContext,
  FakeErrorKind,
  FakeHarm,
  FakeOptions,
  FakeProtocol,
  FakeReply,
  RecordedRequest,
  RouteMatch,
  StreamEvent,
  TurnContext,
} from './fakeServer';
import { FakeProviderServer, randomId, retrySeconds, wireJson } from './fakeServer';

const SERVICE = 'generativelanguage.googleapis.com';
const HELP_URL = 'https://ai.google.dev/gemini-api/docs/rate-limits';

type Detail = Record<string, unknown>;
type Status = { code: number; status: string; message: string; details?: Detail[] };

function errorInfoDetail(reason: string, metadata: Record<string, string> = { service: SERVICE }): Detail {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata };
}

function duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(3)}s`;
}

function retryInfo(ctx: ErrorContext): Detail[] {
  return ctx.retry ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: duration(retrySeconds(ctx.retry)) }] : [];
}

function status(kind: Exclude<FakeErrorKind, 'content_filter'>, ctx: ErrorContext): Status {
  const method = ctx.route?.stream ? 'streamGenerateContent' : 'generateContent';
  switch (kind) {
    case 'bad_request':
      return { code: 400, status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' };
    case 'auth':
      return apiKeyInvalid();
    case 'permission':
      return {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: `Requests to this API ${SERVICE} method google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent are blocked.`,
        details: [
          errorInfoDetail('API_KEY_SERVICE_BLOCKED', {
            service: SERVICE,
            methodName: 'google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent',
            consumer: 'projects/000000000000',
          }),
        ],
      };
    case 'not_found':
      return {
        code: 404,
        status: 'NOT_FOUND',
        message: `models/${ctx.model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
      };
    case 'too_large':
      return { code: 400, status: 'INVALID_ARGUMENT', message: 'Request payload size exceeds the limit: 20971520 bytes.' };
    case 'rate_limit':
      return {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: ${HELP_URL}.`,
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: `${SERVICE}/generate_content_free_tier_requests`,
                quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                quotaDimensions: { location: 'global', model: ctx.model },
                quotaValue: '10',
              },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: HELP_URL }] },
          ...retryInfo(ctx),
        ],
      };
    case 'server':
      return {
        code: 500,
        status: 'INTERNAL',
        message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      };
    case 'unavailable':
      return { code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' };
    case 'overloaded':
      return { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' };
    case 'context_length':
      return {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: `The input token count (${Math.max(ctx.inputTokens, 1048577)}) exceeds the maximum number of tokens allowed (1048576).`,
      };
  }
}

function apiKeyInvalid(): Status {
  const message = 'API key not valid. Please pass a valid API key.';
  return {
    code: 400,
    status: 'INVALID_ARGUMENT',
    message,
    details: [
      errorInfoDetail('API_KEY_INVALID'),
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
    ],
  };
}

function reply(s: Status, ctx?: ErrorContext): FakeReply {
  let details = s.details;
  // Any scripted retry hint rides along as RetryInfo (429 already has it).
  if (ctx?.retry && !details?.some((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo')) {
    details = [...(details ?? []), ...retryInfo(ctx)];
  }
  return {
    status: s.code,
    body: { error: { code: s.code, message: s.message, status: s.status, ...(details ? { details } : {}) } },
  };
}

const HARM_CATEGORIES = [
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
];

/** Thresholds of the API's HarmBlockThreshold and the lowest probability each blocks (none: never blocks). */
const THRESHOLDS: Readonly<Record<string, string | undefined>> = {
  HARM_BLOCK_THRESHOLD_UNSPECIFIED: 'MEDIUM',
  BLOCK_LOW_AND_ABOVE: 'LOW',
  BLOCK_MEDIUM_AND_ABOVE: 'MEDIUM',
  BLOCK_ONLY_HIGH: 'HIGH',
  BLOCK_NONE: undefined,
  OFF: undefined,
};
const PROBABILITIES = ['NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH'];
const CATEGORIES = [...HARM_CATEGORIES, 'HARM_CATEGORY_CIVIC_INTEGRITY'];

/** The request's `safetySettings` (as the SDK sends them), or undefined when it sent none. */
function safetySettingsOf(body: unknown): readonly { category?: unknown; threshold?: unknown }[] | undefined {
  const settings = (body as { safetySettings?: unknown } | undefined)?.safetySettings;
  return Array.isArray(settings) ? (settings as { category?: unknown; threshold?: unknown }[]) : undefined;
}

function safetyRatings(blocked: boolean, harm: FakeHarm = { category: HARM_CATEGORIES[1]!, probability: 'HIGH' }): unknown[] {
  return HARM_CATEGORIES.map((category) =>
    category === harm.category
      ? { category, probability: harm.probability, ...(blocked ? { blocked: true } : {}) }
      : { category, probability: 'NEGLIGIBLE' },
  );
}

export class GeminiProtocol implements FakeProtocol {
  readonly id = 'gemini';
  readonly label = 'Gemini';
  readonly defaultModel = 'gemini-2.5-flash';
  readonly defaultModels = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite'];
  readonly defaultStreamErrorKind: FakeErrorKind = 'server';
  readonly jsonContentType = 'application/json; charset=UTF-8';
  readonly streamContentType = 'text/event-stream';

  baseURL(origin: string): string {
    return origin;
  }

  route(method: string, path: string, query: Record<string, string>): RouteMatch | undefined {
    const call = /^\/(v1beta|v1|v1alpha)\/((?:models|tunedModels)\/[^:/]+):(generateContent|streamGenerateContent|countTokens)$/.exec(path);
    if (call && method === 'POST') {
      const model = decodeURIComponent(call[2]!).replace(/^models\//, '');
      if (call[3] === 'countTokens') return { endpoint: 'countTokens', stream: false, model };
      if (call[3] === 'generateContent') return { endpoint: 'model', stream: false, model };
      // Without alt=sse the API streams a JSON array instead of server-sent events.
      return query.alt === 'sse'
        ? { endpoint: 'model', stream: true, model }
        : { endpoint: 'model', stream: false, model, variant: 'json-array' };
    }
    if (method === 'GET' && /^\/(v1beta|v1|v1alpha)\/models$/.test(path)) return { endpoint: 'models', stream: false };
    const one = /^\/(v1beta|v1|v1alpha)\/models\/([^:/]+)$/.exec(path);
    if (method === 'GET' && one) {
      return { endpoint: 'models', stream: false, model: decodeURIComponent(one[2]!), variant: 'one' };
    }
    return undefined;
  }

  presentedKey(request: RecordedRequest): string | undefined {
    return request.headers['x-goog-api-key'] ?? request.query.key;
  }

  authError(presented: string | undefined): FakeReply {
    if (!presented) {
      return reply({
        code: 403,
        status: 'PERMISSION_DENIED',
        message:
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      });
    }
    return reply(apiKeyInvalid());
  }

  validate(request: RecordedRequest, route: RouteMatch): FakeReply | undefined {
    if (route.endpoint === 'models') return undefined;
    if (!request.body || typeof request.body !== 'object' || Array.isArray(request.body)) {
      return reply({ code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid JSON payload received. Unexpected token.' });
    }
    // The API rejects an unknown category or threshold, and a category given twice.
    const seen = new Set<unknown>();
    for (const [i, setting] of (safetySettingsOf(request.body) ?? []).entries()) {
      if (!CATEGORIES.includes(String(setting.category))) {
        return reply({ code: 400, status: 'INVALID_ARGUMENT', message: `Invalid value at 'safety_settings[${i}].category' (type.googleapis.com/google.ai.generativelanguage.v1beta.HarmCategory), "${String(setting.category)}"` });
      }
      if (!(String(setting.threshold) in THRESHOLDS)) {
        return reply({ code: 400, status: 'INVALID_ARGUMENT', message: `Invalid value at 'safety_settings[${i}].threshold' (type.googleapis.com/google.ai.generativelanguage.v1beta.SafetySetting.HarmBlockThreshold), "${String(setting.threshold)}"` });
      }
      if (seen.has(setting.category)) {
        return reply({ code: 400, status: 'INVALID_ARGUMENT', message: `Duplicate category in safety_settings: ${String(setting.category)}` });
      }
      seen.add(setting.category);
    }
    if (route.endpoint === 'model') {
      const contents = (request.body as { contents?: unknown }).contents;
      if (!Array.isArray(contents) || contents.length === 0) {
        return reply({
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: '* GenerateContentRequest.contents: contents is not specified\n',
        });
      }
    }
    return undefined;
  }

  errorReply(kind: Exclude<FakeErrorKind, 'content_filter'>, ctx: ErrorContext): FakeReply {
    const s = status(kind, ctx);
    return reply(ctx.errorMessage === undefined ? s : { ...s, message: ctx.errorMessage }, ctx);
  }

  unknownRoute(ctx: ErrorContext): FakeReply {
    return reply({
      code: 404,
      status: 'NOT_FOUND',
      message: `Method not found: ${ctx.request.method} ${ctx.request.path}`,
    });
  }

  commonHeaders(): Record<string, string> {
    return {
      vary: 'Origin, X-Origin, Referer',
      server: 'scaffolding on HTTPServer2',
      'server-timing': 'gfet4t7; dur=321',
      'x-xss-protection': '0',
      'x-frame-options': 'SAMEORIGIN',
      'x-content-type-options': 'nosniff',
    };
  }

  newRequestId(): string {
    return randomId(22, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
  }

  /** promptTokenCount includes cached tokens; cachedContentTokenCount says how many of them were cached. */
  private usageMetadata(ctx: TurnContext, final: boolean): Record<string, unknown> {
    const prompt = ctx.usage.input + ctx.usage.cacheRead;
    const meta: Record<string, unknown> = { promptTokenCount: prompt };
    if (final) meta.candidatesTokenCount = ctx.usage.output;
    meta.totalTokenCount = prompt + (final ? ctx.usage.output : 0);
    if (ctx.usage.cacheRead) meta.cachedContentTokenCount = ctx.usage.cacheRead;
    meta.promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
    if (final && ctx.usage.cacheRead) meta.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: ctx.usage.cacheRead }];
    return meta;
  }

  /** Blocked when the request's threshold for the category (none set: BLOCK_MEDIUM_AND_ABOVE) covers the probability. */
  safetyBlock(request: RecordedRequest, harm: FakeHarm): boolean {
    const setting = safetySettingsOf(request.body)?.find((s) => s.category === harm.category);
    const lowest = THRESHOLDS[typeof setting?.threshold === 'string' ? setting.threshold : 'HARM_BLOCK_THRESHOLD_UNSPECIFIED'];
    return lowest !== undefined && PROBABILITIES.indexOf(harm.probability) >= PROBABILITIES.indexOf(lowest);
  }

  private finish(ctx: TurnContext): string {
    return ctx.contentFilter ? 'SAFETY' : (ctx.finishReason ?? 'STOP');
  }

  /** The response frames, in order (a JSON answer is their aggregate; a stream sends them one by one). */
  private frames(ctx: TurnContext): { body: Record<string, unknown>; content: boolean }[] {
    const responseId = ctx.requestId;
    const tail = { modelVersion: ctx.model, responseId };
    if (ctx.safetyBlock?.in === 'answer') {
      // The answer was blocked before any text: one candidate with finishReason SAFETY, its ratings, and no content.
      return [
        {
          body: {
            candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: safetyRatings(true, ctx.safetyBlock.harm) }],
            usageMetadata: { promptTokenCount: ctx.usage.input, totalTokenCount: ctx.usage.input },
            ...tail,
          },
          content: false,
        },
      ];
    }
    const blockedPrompt = ctx.contentFilter && ctx.chunks.length === 0;
    if (blockedPrompt) {
      // The prompt itself was blocked: no candidates at all.
      return [
        {
          body: {
            promptFeedback: { blockReason: 'SAFETY', safetyRatings: safetyRatings(true, ctx.safetyBlock?.harm) },
            usageMetadata: { promptTokenCount: ctx.usage.input, totalTokenCount: ctx.usage.input },
            ...tail,
          },
          content: false,
        },
      ];
    }
    const finish = this.finish(ctx);
    const blocked = finish === 'SAFETY';
    const candidate = (text: string | undefined, last: boolean): Record<string, unknown> => ({
      ...(text !== undefined ? { content: { parts: [{ text }], role: 'model' } } : {}),
      ...(last ? { finishReason: finish } : {}),
      index: 0,
      ...(last && blocked ? { safetyRatings: safetyRatings(true) } : {}),
    });
    const pieces = ctx.chunks.length ? [...ctx.chunks] : [''];
    if (ctx.contentFilter) {
      // Blocked mid-answer: the text so far, then a frame with finishReason SAFETY and no content.
      const out = pieces.map((text) => ({
        body: { candidates: [candidate(text, false)], usageMetadata: this.usageMetadata(ctx, false), ...tail },
        content: true,
      }));
      out.push({
        body: { candidates: [candidate(undefined, true)], usageMetadata: this.usageMetadata(ctx, true), ...tail },
        content: false,
      });
      return out;
    }
    return pieces.map((text, i) => {
      const last = i === pieces.length - 1;
      return {
        body: { candidates: [candidate(text, last)], usageMetadata: this.usageMetadata(ctx, last), ...tail },
        content: text !== '',
      };
    });
  }

  jsonBody(ctx: TurnContext): unknown {
    const frames = this.frames(ctx);
    if (ctx.route.variant === 'json-array') return frames.map((f) => f.body);
    const first = frames[0]!.body;
    if (!first.candidates || ctx.safetyBlock) return first;
    const lastFrame = frames[frames.length - 1]!.body;
    const finish = this.finish(ctx);
    return {
      candidates: [
        {
          ...(ctx.text || !ctx.contentFilter ? { content: { parts: [{ text: ctx.text }], role: 'model' } } : {}),
          finishReason: finish,
          index: 0,
          ...(finish === 'SAFETY' ? { safetyRatings: safetyRatings(true) } : {}),
        },
      ],
      usageMetadata: lastFrame.usageMetadata,
      modelVersion: ctx.model,
      responseId: ctx.requestId,
    };
  }

  streamEvents(ctx: TurnContext): StreamEvent[] {
    return this.frames(ctx).map((f) => ({ data: wireJson(f.body), content: f.content }));
  }

  frame(event: StreamEvent): string {
    return `data: ${event.data}\r\n\r\n`;
  }

  streamError(kind: FakeErrorKind, ctx: TurnContext): StreamEvent {
    const s =
      kind === 'content_filter'
        ? { code: 400, status: 'FAILED_PRECONDITION', message: 'Response blocked.' }
        : status(kind, { ...ctx, retry: undefined });
    return { data: wireJson({ error: { code: s.code, message: s.message, status: s.status } }) };
  }

  auxReply(ctx: AuxContext): FakeReply {
    const model = (id: string): Record<string, unknown> => ({
      name: `models/${id}`,
      version: '001',
      displayName: id.replace(/^gemini-/, 'Gemini ').replace(/-/g, ' '),
      description: `Fake ${id}`,
      inputTokenLimit: 1048576,
      outputTokenLimit: 65536,
      supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
      temperature: 1,
      topP: 0.95,
      topK: 64,
      maxTemperature: 2,
      thinking: true,
    });
    if (ctx.route.endpoint === 'countTokens') {
      return {
        status: 200,
        body: { totalTokens: ctx.inputTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: ctx.inputTokens }] },
      };
    }
    if (ctx.route.variant === 'one') {
      const id = (ctx.route.model ?? '').replace(/^models\//, '');
      if (!ctx.models.includes(id)) {
        return reply({ code: 404, status: 'NOT_FOUND', message: `models/${id} is not found for API version v1beta` });
      }
      return { status: 200, body: model(id) };
    }
    const q = ctx.request.query;
    const size = Math.min(1000, Math.max(1, Number(q.pageSize ?? 50) || 50));
    const start = Math.max(0, Number(q.pageToken ?? 0) || 0);
    const page = ctx.models.slice(start, start + size);
    const next = start + size < ctx.models.length ? { nextPageToken: String(start + size) } : {};
    return { status: 200, body: { models: page.map(model), ...next } };
  }
}

/** A fake Gemini server (not started: call `start()`). */
export function createGeminiFake(options?: FakeOptions): FakeProviderServer {
  return new FakeProviderServer(new GeminiProtocol(), options);
}
