/**
 * The fake provider servers, driven by the OFFICIAL SDKs (never mocked): if an SDK accepts and parses what a fake
 * sends, adapters tested against the fakes see what they would see from the provider.
 */
import assert from 'node:assert/strict';

import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { GenerativeModel } from '@google/generative-ai';
import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIResponseError,
} from '@google/generative-ai';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';

import { createAnthropicFake } from '../fakes/anthropicFake';
import type { FakeErrorKind, RecordedRequest } from '../fakes/fakeServer';
import { FAKE_ERROR_KINDS, splitText } from '../fakes/fakeServer';
import { createGeminiFake } from '../fakes/geminiFake';
import { createOpenAIFake } from '../fakes/openaiFake';

/** The rejection of `p` (fails when it resolves). */
async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  return assert.fail('expected a rejection');
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The key appears in exactly one place of the recorded request: the named header. */
function assertKeyOnlyIn(request: RecordedRequest, key: string, header: string, value: string): void {
  assert.equal(request.headers[header], value);
  for (const [name, v] of Object.entries(request.headers)) {
    if (name !== header) assert.ok(!v.includes(key), `key leaked into header ${name}`);
  }
  assert.ok(!request.path.includes(key), 'key leaked into the path');
  assert.ok(!JSON.stringify(request.query).includes(key), 'key leaked into the query');
  assert.ok(!request.rawBody.includes(key), 'key leaked into the body');
}

const ERROR_KINDS = FAKE_ERROR_KINDS.filter(
  (kind): kind is Exclude<FakeErrorKind, 'content_filter'> => kind !== 'content_filter',
);

describe('fake providers, driven by the official SDKs', function () {
  this.timeout(3000);

  // -------------------------------------------------------------------------------------------------------------
  describe('Anthropic (@anthropic-ai/sdk)', () => {
    const KEY = 'fake-anthropic-key';
    const fake = createAnthropicFake({ expectedKey: KEY });
    const client = (options: { maxRetries?: number; apiKey?: string } = {}): Anthropic =>
      new Anthropic({ apiKey: options.apiKey ?? KEY, baseURL: fake.baseURL, maxRetries: options.maxRetries ?? 0, logLevel: 'off' });
    const params: MessageCreateParamsNonStreaming = {
      model: 'claude-sonnet-5-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Say hello to the test suite, please.' }],
    };

    before(() => fake.start());
    after(() => fake.close());
    beforeEach(() => fake.reset());

    it('JSON success: text, echoed model, usage, request-id', async () => {
      fake.enqueue({ text: 'Hi there.', usage: { input: 12, output: 3, cacheRead: 5, cacheWrite: 7 } });
      const message = await client().messages.create(params);
      assert.equal(message.type, 'message');
      assert.equal(message.role, 'assistant');
      assert.equal(message.model, 'claude-sonnet-5-5');
      assert.match(message.id, /^msg_01/);
      assert.deepEqual(
        message.content.map((b) => (b.type === 'text' ? b.text : '')),
        ['Hi there.'],
      );
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.stop_sequence, null);
      assert.equal(message.usage.input_tokens, 12);
      assert.equal(message.usage.output_tokens, 3);
      assert.equal(message.usage.cache_read_input_tokens, 5);
      assert.equal(message.usage.cache_creation_input_tokens, 7);
      assert.match(message._request_id ?? '', /^req_011C/);
      const recorded = fake.lastRequest!;
      assert.equal(recorded.path, '/v1/messages');
      assert.equal(recorded.headers['anthropic-version'], '2026-10-21');
      assert.deepEqual((recorded.body as { model: string }).model, 'claude-sonnet-5-5');
    });

    it('estimates usage from the request when it is not scripted', async () => {
      const message = await client().messages.create(params);
      assert.equal(message.usage.input_tokens, Math.ceil('Say hello to the test suite, please.'.length / 4));
      assert.ok(message.usage.output_tokens >= 1);
      assert.equal(message.usage.cache_read_input_tokens, 0);
    });

    it('SSE: real event sequence, text deltas, usage repeated in message_delta', async () => {
      fake.enqueue({ chunks: ['Hel', 'lo', ' world'], usage: { input: 20, output: 4, cacheRead: 6 }, finishReason: 'max_tokens' });
      const stream = await client().messages.create({ ...params, stream: true });
      const events = await drain(stream);
      assert.deepEqual(
        events.map((e) => e.type),
        [
          'message_start',
          'content_block_start',
          'content_block_delta',
          'content_block_delta',
          'content_block_delta',
          'content_block_stop',
          'message_delta',
          'message_stop',
        ],
      );
      const start = events[0]!;
      assert.ok(start.type === 'message_start');
      assert.equal(start.message.usage.input_tokens, 20);
      assert.equal(start.message.usage.output_tokens, 1);
      assert.equal(start.message.stop_reason, null);
      const text = events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
      assert.equal(text, 'Hello world');
      const delta = events[6]!;
      assert.ok(delta.type === 'message_delta');
      assert.equal(delta.delta.stop_reason, 'max_tokens');
      assert.equal(delta.usage.output_tokens, 4);
      assert.equal(delta.usage.input_tokens, 20);
      assert.equal(delta.usage.cache_read_input_tokens, 6);
      const recorded = fake.lastRequest!;
      assert.equal(recorded.stream, true);
      assert.equal(recorded.state, 'finished');
    });

    it('SSE through the messages.stream() helper: final message and usage', async () => {
      fake.enqueue({ text: 'Streaming works fine.', usage: { input: 9, output: 5 } });
      const stream = client().messages.stream(params);
      const deltas: string[] = [];
      stream.on('text', (t) => deltas.push(t));
      const final = await stream.finalMessage();
      assert.equal(deltas.join(''), 'Streaming works fine.');
      assert.ok(deltas.length > 1);
      assert.equal(final.usage.input_tokens, 9);
      assert.equal(final.usage.output_tokens, 5);
      assert.equal(final.stop_reason, 'end_turn');
    });

    for (const kind of ERROR_KINDS) {
      it(`error ${kind}: the SDK's own class, status, type and request id`, async () => {
        const expected: Record<typeof kind, [unknown, number, string]> = {
          bad_request: [Anthropic.BadRequestError, 400, 'invalid_request_error'],
          auth: [Anthropic.AuthenticationError, 401, 'authentication_error'],
          permission: [Anthropic.PermissionDeniedError, 403, 'permission_error'],
          not_found: [Anthropic.NotFoundError, 404, 'not_found_error'],
          too_large: [Anthropic.ContentTooLargeError, 413, 'request_too_large'],
          rate_limit: [Anthropic.RateLimitError, 429, 'rate_limit_error'],
          server: [Anthropic.InternalServerError, 500, 'api_error'],
          unavailable: [Anthropic.ServiceUnavailableError, 503, 'api_error'],
          overloaded: [Anthropic.OverloadedError, 529, 'overloaded_error'],
          context_length: [Anthropic.BadRequestError, 400, 'invalid_request_error'],
        };
        const [cls, status, type] = expected[kind];
        fake.enqueue({ error: kind });
        const error = await caught(client().messages.create(params));
        assert.ok(error instanceof (cls as typeof Anthropic.APIError), `got ${String(error)}`);
        const apiError = error as InstanceType<typeof Anthropic.APIError>;
        assert.equal(apiError.status, status);
        assert.equal(apiError.type, type);
        assert.equal((apiError.error as { type: string }).type, 'error');
        assert.match(apiError.requestID ?? '', /^req_011C/);
        if (kind === 'context_length') assert.match(apiError.apiMessage ?? '', /prompt is too long/);
        if (kind === 'rate_limit') {
          assert.equal(apiError.headers?.get('retry-after'), '1');
          assert.equal(apiError.headers?.get('anthropic-ratelimit-requests-remaining'), '0');
          assert.match(apiError.headers?.get('anthropic-ratelimit-requests-reset') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        } else {
          assert.equal(apiError.headers?.get('retry-after'), null);
        }
      });
    }

    it('retry hints: retry-after seconds, retry-after-ms, HTTP date', async () => {
      fake.enqueue(
        { error: 'rate_limit', retryAfterSeconds: 7 },
        { error: 'overloaded', retryAfterMs: 1500 },
        { error: 'rate_limit', retryAfterDate: new Date('2030-01-02T03:04:05Z') },
      );
      const a = (await caught(client().messages.create(params))) as InstanceType<typeof Anthropic.APIError>;
      assert.equal(a.headers?.get('retry-after'), '7');
      const b = (await caught(client().messages.create(params))) as InstanceType<typeof Anthropic.APIError>;
      assert.ok(b instanceof Anthropic.OverloadedError);
      assert.equal(b.headers?.get('retry-after-ms'), '1500');
      assert.equal(b.headers?.get('retry-after'), '2');
      const c = (await caught(client().messages.create(params))) as InstanceType<typeof Anthropic.APIError>;
      assert.equal(c.headers?.get('retry-after'), 'Wed, 02 Jan 2030 03:04:05 GMT');
    });

    it('the SDK honours the fake retry-after-ms when it retries', async () => {
      fake.enqueue({ error: 'overloaded', retryAfterMs: 60 }, { text: 'second time lucky' });
      const started = Date.now();
      const message = await client({ maxRetries: 1 }).messages.create(params);
      assert.ok(Date.now() - started >= 55);
      assert.equal(message.content[0]?.type === 'text' ? message.content[0].text : '', 'second time lucky');
      assert.equal(fake.requests.length, 2);
      assert.equal(fake.requests[1]!.headers['x-stainless-retry-count'], '1');
    });

    it('mid-stream error event: a plain APIError with no status, carrying the error type', async () => {
      fake.enqueue({ chunks: ['one ', 'two ', 'three'], midStreamError: { afterChunks: 2 } });
      const stream = await client().messages.create({ ...params, stream: true });
      const seen: string[] = [];
      const error = await caught(
        (async () => {
          for await (const e of stream) if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') seen.push(e.delta.text);
        })(),
      );
      assert.deepEqual(seen, ['one ', 'two ']);
      assert.ok(error instanceof Anthropic.APIError);
      assert.ok(!(error instanceof Anthropic.OverloadedError), 'not the HTTP-status subclass');
      assert.equal(error.status, undefined);
      assert.equal(error.type, 'overloaded_error');
      assert.deepEqual(error.error, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      assert.match(error.requestID ?? '', /^req_011C/, 'request id comes from the 200 response headers');
    });

    it('cut stream: the raw iterator throws undici TypeError "terminated"; the helper wraps it', async () => {
      fake.enqueue({ chunks: ['a', 'b', 'c'], cutAfterChunks: 1 }, { chunks: ['a', 'b', 'c'], cutAfterChunks: 1 });
      const stream = await client().messages.create({ ...params, stream: true });
      const seen: string[] = [];
      const raw = await caught(
        (async () => {
          for await (const e of stream) seen.push(e.type);
        })(),
      );
      assert.ok(raw instanceof TypeError && !(raw instanceof Anthropic.AnthropicError), `got ${String(raw)}`);
      assert.equal(raw.message, 'terminated');
      assert.deepEqual(seen, ['message_start', 'content_block_start', 'content_block_delta']);
      assert.equal(fake.requests[0]!.state, 'closedByServer');
      assert.equal(fake.requests[0]!.closedByClient, false);
      const wrapped = await caught(client().messages.stream(params).finalMessage());
      assert.ok(wrapped instanceof Anthropic.AnthropicError && !(wrapped instanceof Anthropic.APIError));
      assert.match(wrapped.message, /terminated/);
    });

    it('malformed JSON: SyntaxError (not an SDK error), both as a body and as a stream event', async () => {
      fake.enqueue({ malformed: true }, { malformed: true });
      const body = await caught(client().messages.create(params));
      assert.ok(body instanceof SyntaxError);
      const stream = await client().messages.create({ ...params, stream: true });
      const event = await caught(drain(stream));
      assert.ok(event instanceof SyntaxError);
    });

    it('malformed error body (an HTML proxy page): APIError with the text as message', async () => {
      fake.enqueue({ error: 'server', malformed: true });
      const error = await caught(client().messages.create(params));
      assert.ok(error instanceof Anthropic.InternalServerError);
      assert.equal(error.error, undefined);
      assert.match(error.message, /^500 <html>/);
    });

    it('reset: APIConnectionError', async () => {
      fake.enqueue({ reset: true });
      const error = await caught(client().messages.create(params));
      assert.ok(error instanceof Anthropic.APIConnectionError);
      assert.equal(fake.lastRequest!.state, 'closedByServer');
    });

    it('hang + abort: APIUserAbortError; the fake sees the client close the request', async () => {
      fake.enqueue({ hang: true });
      const controller = new AbortController();
      const pending = caught(client().messages.create(params, { signal: controller.signal }));
      await fake.waitForRequest(0, 1000);
      controller.abort();
      assert.ok((await pending) instanceof Anthropic.APIUserAbortError);
      await fake.waitForClose(0, 1000);
      assert.equal(fake.requests[0]!.closedByClient, true);
    });

    it('abort mid-stream closes the request', async () => {
      fake.enqueue({ chunks: ['a', 'b', 'c', 'd'], chunkIntervalMs: 200 });
      const controller = new AbortController();
      const stream = await client().messages.create({ ...params, stream: true }, { signal: controller.signal });
      const seen: string[] = [];
      for await (const e of stream) {
        seen.push(e.type);
        if (e.type === 'message_start') controller.abort();
      }
      assert.deepEqual(seen, ['message_start'], 'the iterator ends quietly on abort');
      await fake.waitForClose(0, 1000);
      assert.equal(fake.requests[0]!.closedByClient, true);
    });

    it('key: sent only as Authorization Bearer; a wrong key gets the real 401; x-api-key works too', async () => {
      await client().messages.create(params);
      assertKeyOnlyIn(fake.lastRequest!, KEY, 'authorization', `Bearer ${KEY}`);
      const wrong = await caught(client({ apiKey: 'sk-ant-wrong' }).messages.create(params));
      assert.ok(wrong instanceof Anthropic.AuthenticationError);
      assert.equal(wrong.type, 'authentication_error');
      const viaHeader = new Anthropic({
        apiKey: null,
        baseURL: fake.baseURL,
        maxRetries: 0,
        defaultHeaders: { 'x-api-key': KEY },
        logLevel: 'off',
      });
      const message = await viaHeader.messages.create(params);
      assert.equal(message.type, 'message');
      assert.equal(fake.lastRequest!.headers['x-api-key'], KEY);
    });

    it('validation: the removed sampling parameters are a 400 under anthropic-version 2026-10-21', async () => {
      const withTemperature = { ...params, temperature: 0.2 };
      const error = await caught(client().messages.create(withTemperature));
      assert.ok(error instanceof Anthropic.BadRequestError);
      assert.equal(error.apiMessage, 'temperature: Extra inputs are not permitted');
      const noMax = { model: params.model, messages: params.messages } as unknown as MessageCreateParamsNonStreaming;
      const missing = await caught(client().messages.create(noMax));
      assert.ok(missing instanceof Anthropic.BadRequestError);
      assert.equal(missing.apiMessage, 'max_tokens: Field required');
    });

    it('content_filter: a 200 with stop_reason refusal (JSON) and after N deltas (stream)', async () => {
      fake.enqueue({ error: 'content_filter' }, { chunks: ['ok ', 'so ', 'far'], midStreamError: { afterChunks: 2, kind: 'content_filter' } });
      const message = await client().messages.create(params);
      assert.equal(message.stop_reason, 'refusal');
      assert.deepEqual(message.stop_details, { type: 'refusal', category: null, explanation: null });
      assert.deepEqual(message.content, []);
      const final = await client().messages.stream(params).finalMessage();
      assert.equal(final.stop_reason, 'refusal');
      assert.equal(final.content[0]?.type === 'text' ? final.content[0].text : '', 'ok so ');
    });

    it('models list (connectivity check): real page shape and auto-pagination', async () => {
      const page = await client().models.list();
      assert.deepEqual(
        page.data.map((m) => m.id),
        ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5'],
      );
      assert.equal(page.data[0]!.type, 'model');
      assert.equal(page.data[0]!.display_name, 'Claude Opus 5.5');
      assert.equal(page.has_more, false);
      assert.equal(page.first_id, 'claude-opus-5-5');
      const all: string[] = [];
      for await (const m of client().models.list({ limit: 2 })) all.push(m.id);
      assert.equal(all.length, 3);
      fake.enqueueAux({ error: 'auth' });
      assert.ok((await caught(client().models.list())) instanceof Anthropic.AuthenticationError);
      const count = await client().messages.countTokens({ model: params.model, messages: params.messages });
      assert.equal(count.input_tokens, Math.ceil('Say hello to the test suite, please.'.length / 4));
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  describe('OpenAI Chat Completions (openai)', () => {
    const KEY = 'fake-openai-key';
    const fake = createOpenAIFake({ expectedKey: KEY });
    const client = (options: { maxRetries?: number; apiKey?: string } = {}): OpenAI =>
      new OpenAI({ apiKey: options.apiKey ?? KEY, baseURL: fake.baseURL, maxRetries: options.maxRetries ?? 0, logLevel: 'off' });
    const params: ChatCompletionCreateParamsNonStreaming = {
      model: 'gpt-5-mini',
      messages: [{ role: 'user', content: 'Say hello to the test suite, please.' }],
    };

    before(() => fake.start());
    after(() => fake.close());
    beforeEach(() => fake.reset());

    it('JSON success: text, echoed model, usage (prompt_tokens include cached), x-request-id', async () => {
      fake.enqueue({ text: 'Hi there.', usage: { input: 10, output: 3, cacheRead: 4 } });
      const completion = await client().chat.completions.create(params);
      assert.equal(completion.object, 'chat.completion');
      assert.match(completion.id, /^chatcmpl-/);
      assert.equal(completion.model, 'gpt-5-mini');
      assert.equal(completion.choices[0]!.message.content, 'Hi there.');
      assert.equal(completion.choices[0]!.message.role, 'assistant');
      assert.equal(completion.choices[0]!.finish_reason, 'stop');
      assert.equal(completion.choices[0]!.logprobs, null);
      assert.equal(completion.usage?.prompt_tokens, 14);
      assert.equal(completion.usage?.completion_tokens, 3);
      assert.equal(completion.usage?.total_tokens, 17);
      assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 4);
      assert.equal(completion.usage?.completion_tokens_details?.reasoning_tokens, 0);
      assert.match(completion._request_id ?? '', /^req_[0-9a-f]{32}$/);
      assert.equal(fake.lastRequest!.path, '/v1/chat/completions');
    });

    it('SSE: role chunk, content deltas, finish chunk, usage chunk with choices [], then [DONE]', async () => {
      fake.enqueue({ chunks: ['Hel', 'lo'], usage: { input: 8, output: 2 }, finishReason: 'length' });
      const stream = await client().chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
      const chunks = await drain(stream);
      assert.equal(chunks.length, 5);
      assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-5-mini'));
      assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello');
      assert.equal(chunks[3]!.choices[0]!.finish_reason, 'length');
      assert.deepEqual(chunks[4]!.choices, []);
      assert.equal(chunks[4]!.usage?.prompt_tokens, 8);
      assert.equal(chunks[4]!.usage?.completion_tokens, 2);
      assert.equal(chunks[0]!.usage, null, 'with include_usage every other chunk has usage: null');
    });

    it('SSE without include_usage has no usage at all', async () => {
      const stream = await client().chat.completions.create({ ...params, stream: true });
      const chunks = await drain(stream);
      assert.ok(chunks.every((c) => c.usage === undefined));
      assert.equal(chunks[chunks.length - 1]!.choices[0]!.finish_reason, 'stop');
    });

    for (const kind of ERROR_KINDS) {
      it(`error ${kind}: the SDK's own class, status, code and x-request-id`, async () => {
        const expected: Record<typeof kind, [unknown, number, string | null]> = {
          bad_request: [OpenAI.BadRequestError, 400, null],
          auth: [OpenAI.AuthenticationError, 401, 'invalid_api_key'],
          permission: [OpenAI.PermissionDeniedError, 403, 'unsupported_country_region_territory'],
          not_found: [OpenAI.NotFoundError, 404, 'model_not_found'],
          too_large: [OpenAI.APIError, 413, 'request_too_large'],
          rate_limit: [OpenAI.RateLimitError, 429, 'rate_limit_exceeded'],
          server: [OpenAI.InternalServerError, 500, null],
          unavailable: [OpenAI.InternalServerError, 503, null],
          overloaded: [OpenAI.InternalServerError, 503, null],
          context_length: [OpenAI.BadRequestError, 400, 'context_length_exceeded'],
        };
        const [cls, status, code] = expected[kind];
        fake.enqueue({ error: kind });
        const error = await caught(client().chat.completions.create(params));
        assert.ok(error instanceof (cls as typeof OpenAI.APIError), `got ${String(error)}`);
        const apiError = error as InstanceType<typeof OpenAI.APIError>;
        assert.equal(apiError.status, status);
        assert.equal(apiError.code, code);
        assert.match(apiError.requestID ?? '', /^req_/);
        if (kind === 'context_length') assert.equal(apiError.param, 'messages');
        if (kind === 'rate_limit') {
          assert.equal(apiError.headers?.get('retry-after'), '1');
          assert.equal(apiError.headers?.get('x-ratelimit-remaining-requests'), '0');
          assert.equal(apiError.headers?.get('x-ratelimit-limit-tokens'), '30000');
          assert.equal(apiError.headers?.get('x-ratelimit-reset-requests'), '1s');
        }
      });
    }

    it('the SDK honours the fake retry-after-ms when it retries', async () => {
      fake.enqueue({ error: 'rate_limit', retryAfterMs: 60 }, { text: 'again' });
      const started = Date.now();
      const completion = await client({ maxRetries: 1 }).chat.completions.create(params);
      assert.ok(Date.now() - started >= 55);
      assert.equal(completion.choices[0]!.message.content, 'again');
    });

    it('mid-stream error line: a plain APIError with no status; error is the inner object', async () => {
      fake.enqueue({ chunks: ['one ', 'two ', 'three'], midStreamError: { afterChunks: 1 } });
      const stream = await client().chat.completions.create({ ...params, stream: true });
      const seen: string[] = [];
      const error = await caught(
        (async () => {
          for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
        })(),
      );
      assert.deepEqual(seen, ['', 'one ']);
      assert.ok(error instanceof OpenAI.APIError && !(error instanceof OpenAI.InternalServerError));
      assert.equal(error.status, undefined);
      assert.equal(error.type, 'server_error');
      assert.deepEqual(error.error, {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      });
    });

    it('cut stream: undici TypeError "terminated" escapes the SDK unwrapped', async () => {
      fake.enqueue({ chunks: ['a', 'b', 'c'], cutAfterChunks: 2 });
      const stream = await client().chat.completions.create({ ...params, stream: true });
      const seen: string[] = [];
      const error = await caught(
        (async () => {
          for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
        })(),
      );
      assert.ok(error instanceof TypeError && !(error instanceof OpenAI.OpenAIError));
      assert.equal(error.message, 'terminated');
      assert.deepEqual(seen, ['', 'a', 'b']);
    });

    it('malformed JSON: SyntaxError for a body and for an SSE line', async () => {
      fake.enqueue({ malformed: true }, { malformed: true });
      assert.ok((await caught(client().chat.completions.create(params))) instanceof SyntaxError);
      const stream = await client().chat.completions.create({ ...params, stream: true });
      assert.ok((await caught(drain(stream))) instanceof SyntaxError);
    });

    it('reset: APIConnectionError', async () => {
      fake.enqueue({ reset: true });
      assert.ok((await caught(client().chat.completions.create(params))) instanceof OpenAI.APIConnectionError);
    });

    it('stopListening: ECONNREFUSED under the SDK\'s APIConnectionError (a local server not running); listenAgain: answers on the same port', async () => {
      const baseURL = fake.baseURL;
      await fake.stopListening();
      try {
        assert.equal(fake.listening, false);
        const error = await caught(client().models.list());
        assert.ok(error instanceof OpenAI.APIConnectionError, `got ${String(error)}`);
        const codes: unknown[] = [];
        for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) codes.push((e as { code?: unknown }).code);
        assert.ok(codes.includes('ECONNREFUSED'), `cause chain codes: ${codes.join(', ')}`);
      } finally {
        await fake.listenAgain();
      }
      assert.equal(fake.listening, true);
      assert.equal(fake.baseURL, baseURL);
      const page = await client().models.list();
      assert.ok(page.data.length > 0);
    });

    it('hang + abort: APIUserAbortError; the fake sees the client close the request', async () => {
      fake.enqueue({ hang: true });
      const controller = new AbortController();
      const pending = caught(client().chat.completions.create(params, { signal: controller.signal }));
      await fake.waitForRequest(0, 1000);
      controller.abort();
      assert.ok((await pending) instanceof OpenAI.APIUserAbortError);
      await fake.waitForClose(0, 1000);
      assert.equal(fake.requests[0]!.closedByClient, true);
    });

    it('key: sent only as Authorization Bearer; wrong or missing key gets the real 401', async () => {
      await client().chat.completions.create(params);
      assertKeyOnlyIn(fake.lastRequest!, KEY, 'authorization', `Bearer ${KEY}`);
      const wrong = await caught(client({ apiKey: 'sk-wrong-key-000000' }).chat.completions.create(params));
      assert.ok(wrong instanceof OpenAI.AuthenticationError);
      assert.equal(wrong.code, 'invalid_api_key');
      assert.match(wrong.message, /^401 Incorrect API key provided: sk-wro\*+0000\./);
    });

    it('content_filter: finish_reason content_filter', async () => {
      fake.enqueue({ error: 'content_filter' });
      const completion = await client().chat.completions.create(params);
      assert.equal(completion.choices[0]!.finish_reason, 'content_filter');
      assert.equal(completion.choices[0]!.message.content, null);
    });

    it('validation: a request without messages is the real 400', async () => {
      const bad = { model: 'gpt-5-mini' } as unknown as ChatCompletionCreateParamsNonStreaming;
      const error = await caught(client().chat.completions.create(bad));
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.code, 'missing_required_parameter');
      assert.equal(error.param, 'messages');
    });

    it('models list (connectivity check)', async () => {
      const page = await client().models.list();
      assert.deepEqual(
        page.data.map((m) => m.id),
        ['gpt-5', 'gpt-5-mini', 'gpt-4.1', 'gpt-4o-mini'],
      );
      assert.equal(page.data[0]!.object, 'model');
      const one = await client().models.retrieve('gpt-4.1');
      assert.equal(one.id, 'gpt-4.1');
      assert.ok((await caught(client().models.retrieve('nope'))) instanceof OpenAI.NotFoundError);
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  describe('Gemini (@google/generative-ai)', () => {
    const KEY = 'fake-gemini-key';
    const fake = createGeminiFake({ expectedKey: KEY });
    const model = (key = KEY, name = 'gemini-2.5-flash'): GenerativeModel =>
      new GoogleGenerativeAI(key).getGenerativeModel({ model: name }, { baseUrl: fake.baseURL });
    const PROMPT = 'Say hello to the test suite, please.';

    before(() => fake.start());
    after(() => fake.close());
    beforeEach(() => fake.reset());

    it('JSON success: text, usage (promptTokenCount includes cached), modelVersion', async () => {
      fake.enqueue({ text: 'Hi there.', usage: { input: 10, output: 3, cacheRead: 4 } });
      const { response } = await model().generateContent(PROMPT);
      assert.equal(response.text(), 'Hi there.');
      assert.equal(response.candidates?.[0]?.finishReason, 'STOP');
      assert.equal(response.candidates?.[0]?.content.role, 'model');
      assert.deepEqual(response.usageMetadata, {
        promptTokenCount: 14,
        candidatesTokenCount: 3,
        totalTokenCount: 17,
        cachedContentTokenCount: 4,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: 14 }],
        cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 4 }],
      });
      assert.equal((response as unknown as { modelVersion: string }).modelVersion, 'gemini-2.5-flash');
      const recorded = fake.lastRequest!;
      assert.equal(recorded.path, '/v1beta/models/gemini-2.5-flash:generateContent');
      assert.equal(recorded.model, 'gemini-2.5-flash');
    });

    it('SSE (alt=sse, \\r\\n\\r\\n frames): chunk texts, usage on every frame, full usage on the last', async () => {
      fake.enqueue({ chunks: ['Hel', 'lo', ' world'], usage: { input: 6, output: 3 } });
      const result = await model().generateContentStream(PROMPT);
      const chunks = await drain(result.stream);
      assert.deepEqual(
        chunks.map((c) => c.text()),
        ['Hel', 'lo', ' world'],
      );
      assert.deepEqual(chunks[0]!.usageMetadata, {
        promptTokenCount: 6,
        totalTokenCount: 6,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: 6 }],
      });
      const response = await result.response;
      assert.equal(response.text(), 'Hello world');
      assert.equal(response.usageMetadata?.candidatesTokenCount, 3);
      assert.equal(response.usageMetadata?.totalTokenCount, 9);
      assert.equal(response.candidates?.[0]?.finishReason, 'STOP');
      assert.equal(fake.lastRequest!.query.alt, 'sse');
      assert.equal(fake.lastRequest!.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    });

    for (const kind of ERROR_KINDS) {
      it(`error ${kind}: GoogleGenerativeAIFetchError with the real status and details`, async () => {
        const expected: Record<typeof kind, [number, string | undefined]> = {
          bad_request: [400, undefined],
          auth: [400, 'API_KEY_INVALID'],
          permission: [403, 'API_KEY_SERVICE_BLOCKED'],
          not_found: [404, undefined],
          too_large: [400, undefined],
          rate_limit: [429, undefined],
          server: [500, undefined],
          unavailable: [503, undefined],
          overloaded: [503, undefined],
          context_length: [400, undefined],
        };
        const [status, reason] = expected[kind];
        fake.enqueue({ error: kind });
        const error = await caught(model().generateContent(PROMPT));
        assert.ok(error instanceof GoogleGenerativeAIFetchError, `got ${String(error)}`);
        assert.equal(error.status, status);
        if (reason) assert.equal(error.errorDetails?.[0]?.reason, reason);
        if (kind === 'rate_limit') {
          assert.deepEqual(error.errorDetails?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo'), {
            '@type': 'type.googleapis.com/google.rpc.RetryInfo',
            retryDelay: '1s',
          });
          assert.match(error.message, /\[429 Too Many Requests\] You exceeded your current quota/);
        }
        if (!reason && kind !== 'rate_limit') assert.equal(error.errorDetails, undefined);
      });
    }

    it('RetryInfo in errorDetails carries the scripted delay (seconds, ms, date)', async () => {
      fake.enqueue(
        { error: 'rate_limit', retryAfterSeconds: 30 },
        { error: 'overloaded', retryAfterMs: 250 },
        { error: 'rate_limit', retryAfterDate: new Date(Date.now() + 10_000) },
      );
      const retryDelay = async (): Promise<unknown> => {
        const error = (await caught(model().generateContent(PROMPT))) as GoogleGenerativeAIFetchError;
        return error.errorDetails?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo')?.retryDelay;
      };
      assert.equal(await retryDelay(), '30s');
      assert.equal(await retryDelay(), '0.250s');
      assert.match(String(await retryDelay()), /^(9\.\d{3}|10)s$/);
    });

    it('mid-stream error frame: the SDK does NOT throw; it yields a chunk holding `error`', async () => {
      fake.enqueue({ chunks: ['one ', 'two'], midStreamError: { afterChunks: 1, kind: 'unavailable' } });
      const result = await model().generateContentStream(PROMPT);
      const chunks = await drain(result.stream);
      assert.equal(chunks.length, 2);
      assert.equal(chunks[0]!.text(), 'one ');
      assert.equal(chunks[1]!.text(), '');
      assert.deepEqual((chunks[1] as unknown as { error: unknown }).error, {
        code: 503,
        message: 'The service is currently unavailable.',
        status: 'UNAVAILABLE',
      });
      const response = await result.response;
      assert.equal(response.text(), 'one ', 'the aggregate silently drops the error');
      assert.equal(response.candidates?.[0]?.finishReason, undefined);
    });

    it('cut stream: GoogleGenerativeAIError "Error reading from the stream" from both stream and response', async () => {
      fake.enqueue({ chunks: ['a', 'b', 'c'], cutAfterChunks: 1 });
      const result = await model().generateContentStream(PROMPT);
      const [stream, response] = await Promise.allSettled([drain(result.stream), result.response]);
      for (const settled of [stream, response]) {
        assert.equal(settled.status, 'rejected');
        const reason: unknown = (settled).reason;
        assert.ok(reason instanceof GoogleGenerativeAIError);
        assert.match(String(reason.message), /Error reading from the stream/);
      }
    });

    it('malformed JSON: SyntaxError for a body; GoogleGenerativeAIError for an SSE frame', async () => {
      fake.enqueue({ malformed: true }, { malformed: true });
      assert.ok((await caught(model().generateContent(PROMPT))) instanceof SyntaxError);
      const result = await model().generateContentStream(PROMPT);
      const [stream, response] = await Promise.allSettled([drain(result.stream), result.response]);
      assert.equal(stream.status, 'rejected');
      assert.equal(response.status, 'rejected');
      const reason = (stream).reason as Error;
      assert.ok(reason instanceof GoogleGenerativeAIError);
      assert.match(reason.message, /Error parsing JSON response/);
    });

    it('reset: GoogleGenerativeAIError "fetch failed"', async () => {
      fake.enqueue({ reset: true });
      const error = await caught(model().generateContent(PROMPT));
      assert.ok(error instanceof GoogleGenerativeAIError && !(error instanceof GoogleGenerativeAIFetchError));
      assert.match(error.message, /fetch failed/);
    });

    it('hang + abort: GoogleGenerativeAIAbortError; the fake sees the client close the request', async () => {
      fake.enqueue({ hang: true });
      const controller = new AbortController();
      const pending = caught(model().generateContent(PROMPT, { signal: controller.signal }));
      await fake.waitForRequest(0, 1000);
      controller.abort();
      assert.ok((await pending) instanceof GoogleGenerativeAIAbortError);
      await fake.waitForClose(0, 1000);
      assert.equal(fake.requests[0]!.closedByClient, true);
    });

    it('abort mid-stream: NOT an abort error, the same "Error reading from the stream" as a cut', async () => {
      fake.enqueue({ chunks: ['a', 'b', 'c'], chunkIntervalMs: 200 });
      const controller = new AbortController();
      const result = await model().generateContentStream(PROMPT, { signal: controller.signal });
      const response = result.response.then(
        () => undefined,
        (e: unknown) => e,
      );
      const seen: string[] = [];
      const error = await caught(
        (async () => {
          for await (const chunk of result.stream) {
            seen.push(chunk.text());
            controller.abort();
          }
        })(),
      );
      assert.deepEqual(seen, ['a']);
      for (const e of [error, await response]) {
        assert.ok(e instanceof GoogleGenerativeAIError && !(e instanceof GoogleGenerativeAIAbortError), `got ${String(e)}`);
        assert.match(e.message, /Error reading from the stream/);
      }
      await fake.waitForClose(0, 1000);
      assert.equal(fake.requests[0]!.closedByClient, true);
    });

    it('key: sent only as x-goog-api-key; a wrong key is 400 API_KEY_INVALID, a missing one 403', async () => {
      await model().generateContent(PROMPT);
      assertKeyOnlyIn(fake.lastRequest!, KEY, 'x-goog-api-key', KEY);
      const wrong = await caught(model('AIza-wrong').generateContent(PROMPT));
      assert.ok(wrong instanceof GoogleGenerativeAIFetchError);
      assert.equal(wrong.status, 400);
      assert.equal(wrong.errorDetails?.[0]?.reason, 'API_KEY_INVALID');
      const missing = await caught(model('').generateContent(PROMPT));
      assert.ok(missing instanceof GoogleGenerativeAIFetchError);
      assert.equal(missing.status, 403);
      assert.match(missing.message, /unregistered callers/);
    });

    it('blocked prompt: 200 with promptFeedback and no candidates; text() throws', async () => {
      fake.enqueue({ error: 'content_filter' });
      const { response } = await model().generateContent(PROMPT);
      assert.equal(response.candidates, undefined);
      assert.equal(response.promptFeedback?.blockReason, 'SAFETY');
      assert.throws(() => response.text(), GoogleGenerativeAIResponseError);
    });

    it('finishReason SAFETY (JSON) and a SAFETY stop after N chunks (stream)', async () => {
      fake.enqueue({ finishReason: 'SAFETY' }, { chunks: ['ok ', 'so ', 'far'], midStreamError: { afterChunks: 2, kind: 'content_filter' } });
      const { response } = await model().generateContent(PROMPT);
      assert.equal(response.candidates?.[0]?.finishReason, 'SAFETY');
      assert.throws(() => response.text(), /Candidate was blocked due to SAFETY/);
      const result = await model().generateContentStream(PROMPT);
      const chunks = await drain(result.stream);
      assert.deepEqual(
        chunks.slice(0, 2).map((c) => c.text()),
        ['ok ', 'so '],
      );
      assert.equal(chunks[2]!.candidates?.[0]?.finishReason, 'SAFETY');
      assert.throws(() => chunks[2]!.text(), GoogleGenerativeAIResponseError);
      const aggregate = await result.response;
      assert.equal(aggregate.candidates?.[0]?.finishReason, 'SAFETY');
    });

    it('countTokens (connectivity check), models list, an unknown model 404', async () => {
      const count = await model().countTokens(PROMPT);
      assert.equal(count.totalTokens, Math.ceil(PROMPT.length / 4));
      assert.equal(fake.lastRequest!.path, '/v1beta/models/gemini-2.5-flash:countTokens');
      fake.enqueueAux({ error: 'auth' });
      const error = await caught(model().countTokens(PROMPT));
      assert.ok(error instanceof GoogleGenerativeAIFetchError);
      assert.equal(error.errorDetails?.[0]?.reason, 'API_KEY_INVALID');
      const list = await fetch(`${fake.origin}/v1beta/models`, { headers: { 'x-goog-api-key': KEY } });
      const body = (await list.json()) as { models: { name: string }[] };
      assert.deepEqual(
        body.models.map((m) => m.name),
        ['models/gemini-2.5-pro', 'models/gemini-2.5-flash', 'models/gemini-2.5-flash-lite'],
      );
      const unknown = await fetch(`${fake.origin}/v1beta/models/no-such-model`, { headers: { 'x-goog-api-key': KEY } });
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error: { status: string } }).error.status, 'NOT_FOUND');
    });

    it('streamGenerateContent without alt=sse answers a JSON array of responses', async () => {
      fake.enqueue({ chunks: ['a', 'b'] });
      const response = await fetch(`${fake.origin}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: PROMPT }] }] }),
      });
      const frames = (await response.json()) as { candidates: { content: { parts: { text: string }[] } }[] }[];
      assert.deepEqual(
        frames.map((f) => f.candidates[0]!.content.parts[0]!.text),
        ['a', 'b'],
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  describe('server mechanics', () => {
    const fake = createOpenAIFake();
    const client = (): OpenAI => new OpenAI({ apiKey: 'any', baseURL: fake.baseURL, maxRetries: 0, logLevel: 'off' });
    const params: ChatCompletionCreateParamsNonStreaming = { model: 'local-model', messages: [{ role: 'user', content: 'hi' }] };

    before(() => fake.start());
    after(() => fake.close());
    beforeEach(() => fake.reset());

    it('serves loopback on an ephemeral port; baseURL adds /v1 for OpenAI', () => {
      assert.match(fake.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(fake.port > 0);
      assert.equal(fake.baseURL, `${fake.origin}/v1`);
    });

    it('refuses to listen on a non-loopback address', async () => {
      const other = createAnthropicFake();
      await assert.rejects(other.start(0, '0.0.0.0'), /loopback only/);
    });

    it('FIFO steps, then the default step; the requested model is echoed', async () => {
      fake.defaultStep = { text: 'default answer' };
      fake.enqueue({ text: 'first' }, { text: 'second' });
      const texts: (string | null)[] = [];
      for (let i = 0; i < 3; i++) texts.push((await client().chat.completions.create(params)).choices[0]!.message.content);
      assert.deepEqual(texts, ['first', 'second', 'default answer']);
      assert.equal(fake.pending, 0);
      assert.equal(fake.modelRequests.length, 3);
      fake.reset();
      assert.equal((await client().chat.completions.create(params)).choices[0]!.message.content, 'Hello from fake OpenAI');
      assert.equal((await client().chat.completions.create(params)).model, 'local-model');
    });

    it('latencyMs, ttfbMs and chunkIntervalMs delay the answer', async () => {
      fake.enqueue({ latencyMs: 80 }, { ttfbMs: 80 }, { chunks: ['a', 'b', 'c'], chunkIntervalMs: 40 });
      let t = Date.now();
      await client().chat.completions.create(params);
      assert.ok(Date.now() - t >= 75, 'latency');
      t = Date.now();
      await client().chat.completions.create(params);
      assert.ok(Date.now() - t >= 75, 'ttfb');
      t = Date.now();
      const stamps: number[] = [];
      for await (const chunk of await client().chat.completions.create({ ...params, stream: true })) {
        if (chunk.choices[0]?.delta.content) stamps.push(Date.now() - t);
      }
      assert.equal(stamps.length, 3);
      assert.ok(stamps[2]! - stamps[0]! >= 70, `chunks spaced: ${stamps.join(',')}`);
    });

    it('raw override: exact status, headers and body', async () => {
      fake.enqueue({ status: 418, headers: { 'x-custom': 'teapot' }, body: { error: { message: 'short and stout', type: 'teapot', param: null, code: 'tea' } } });
      const error = await caught(client().chat.completions.create(params));
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 418);
      assert.equal(error.code, 'tea');
      // The SDK's headers, typed as its default (instanceof leaves the generic class's type arguments as any).
      assert.equal((error.headers as Headers | undefined)?.get('x-custom'), 'teapot');
    });

    it('unknown routes get the provider 404 and are recorded', async () => {
      const response = await fetch(`${fake.origin}/v1/nope`, { method: 'POST', body: '{}' });
      assert.equal(response.status, 404);
      assert.deepEqual(await response.json(), {
        error: { message: 'Invalid URL (POST /v1/nope)', type: 'invalid_request_error', param: null, code: null },
      });
      assert.equal(fake.lastRequest!.endpoint, undefined);
    });

    it('waitForClose rejects when the response finished normally, and when it times out', async () => {
      await client().chat.completions.create(params);
      await assert.rejects(fake.waitForClose(0, 200), /finished normally/);
      await assert.rejects(fake.waitForClose(5, 50), /did not close request #5 within 50 ms/);
      await assert.rejects(fake.waitForRequest(5, 50), /did not arrive/);
    });

    it('close() ends hangs and pending delays promptly; the clients see a connection error', async () => {
      const own = createAnthropicFake();
      await own.start();
      own.enqueue({ hang: true }, { latencyMs: 60_000 });
      const c = new Anthropic({ apiKey: 'k', baseURL: own.baseURL, maxRetries: 0, logLevel: 'off' });
      const body: MessageCreateParamsNonStreaming = { model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] };
      const hanging = caught(c.messages.create(body));
      const delayed = caught(c.messages.create(body));
      await own.waitForRequest(1, 1000);
      const started = Date.now();
      await own.close();
      assert.ok(Date.now() - started < 500);
      assert.ok((await hanging) instanceof Anthropic.APIConnectionError);
      assert.ok((await delayed) instanceof Anthropic.APIConnectionError);
      assert.deepEqual(
        own.requests.map((r) => [r.state, r.closedByClient]),
        [
          ['closedByServer', false],
          ['closedByServer', false],
        ],
      );
    });

    it('splitText keeps the text and splits at word boundaries', () => {
      assert.deepEqual(splitText('Hello from fake OpenAI'), ['Hello from ', 'fake OpenAI']);
      assert.equal(splitText('  a b c d e f g').join(''), '  a b c d e f g');
      assert.deepEqual(splitText(''), []);
    });
  });
});
