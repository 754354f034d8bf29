import assert from 'node:assert/strict';

import type { ErrorKind } from '../../src/core/providers/errors';
import { ProviderError } from '../../src/core/providers/errors';
import { createProvider } from '../../src/core/providers/registry';
import type { ChatProvider, ChatRequest, ProviderProtocol, StreamChunk } from '../../src/core/providers/types';
import { createAnthropicFake } from '../fakes/anthropicFake';
import type { FakeErrorKind, FakeProviderServer, FakeStep } from '../fakes/fakeServer';
import { createGeminiFake } from '../fakes/geminiFake';
import { createOpenAIFake } from '../fakes/openaiFake';

/**
 * Conformance: every provider x (JSON, stream) x (success, each fault) through the official SDK against a fake that
 * speaks the provider's wire protocol. Asserts what the router and the ledger rely on: text, usage, finish reason,
 * error kind, retryAfterMs, partial output, abort closing the HTTP request, and no key in any error.
 */

const KEY = 'test-key-0123456789abcdef';

interface Case {
  readonly id: string;
  readonly protocol: ProviderProtocol;
  readonly model: string;
  readonly makeFake: () => FakeProviderServer;
  /** The header that must carry the key, and nothing else. */
  readonly authHeader: string;
  /** Whether the API reports prompt-cache writes (Anthropic and OpenAI do; Gemini and DeepSeek do not). */
  readonly reportsCacheWrite: boolean;
  readonly lengthReason: string;
  /** What a refusal becomes: Gemini's is its safety filter (`safety_block`), the others' a content filter. */
  readonly refusalKind?: ErrorKind;
}

const CASES: readonly Case[] = [
  {
    id: 'anthropic',
    protocol: 'anthropic',
    model: 'claude-sonnet-5-5',
    makeFake: () => createAnthropicFake({ expectedKey: KEY }),
    // @anthropic-ai/sdk 1.x sends the key as a bearer token.
    authHeader: 'authorization',
    reportsCacheWrite: true,
    lengthReason: 'max_tokens',
  },
  {
    id: 'openai',
    protocol: 'openai',
    model: 'gpt-4.1-mini',
    makeFake: () => createOpenAIFake({ expectedKey: KEY }),
    authHeader: 'authorization',
    reportsCacheWrite: true,
    lengthReason: 'length',
  },
  {
    id: 'deepseek',
    protocol: 'openai-compatible',
    model: 'deepseek-chat',
    // Served by the OpenAI fake, which reports cache writes as OpenAI does.
    makeFake: () => createOpenAIFake({ expectedKey: KEY }),
    authHeader: 'authorization',
    reportsCacheWrite: true,
    lengthReason: 'length',
  },
  {
    id: 'gemini',
    protocol: 'gemini',
    model: 'gemini-2.5-flash',
    makeFake: () => createGeminiFake({ expectedKey: KEY }),
    authHeader: 'x-goog-api-key',
    reportsCacheWrite: false,
    lengthReason: 'MAX_TOKENS',
    refusalKind: 'safety_block',
  },
];

/** What each scripted fault must become, whatever the provider. */
const FAULTS: ReadonlyArray<{ fault: FakeErrorKind; kind: ErrorKind; status?: number; retryable: boolean }> = [
  { fault: 'auth', kind: 'auth', retryable: false },
  { fault: 'permission', kind: 'auth', retryable: false },
  { fault: 'bad_request', kind: 'bad_request', retryable: false },
  { fault: 'not_found', kind: 'bad_request', status: 404, retryable: false },
  { fault: 'context_length', kind: 'context_length', retryable: false },
  { fault: 'rate_limit', kind: 'rate_limit', status: 429, retryable: true },
  { fault: 'server', kind: 'server', status: 500, retryable: true },
  { fault: 'unavailable', kind: 'overloaded', status: 503, retryable: true },
  { fault: 'overloaded', kind: 'overloaded', retryable: true },
  { fault: 'content_filter', kind: 'content_filter', retryable: false },
];

function request(model: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model, system: 'You explain code.', messages: [{ role: 'user', content: 'What does x++ do?' }], ...extra };
}

async function collect(
  provider: ChatProvider,
  req: ChatRequest,
): Promise<{ chunks: StreamChunk[]; error: ProviderError | undefined }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const chunk of provider.stream(req)) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    assert.ok(ProviderError.is(error), `expected a ProviderError, got ${String(error)}`);
    return { chunks, error };
  }
}

/** Runs a request the way `transport` says and returns the ProviderError it must fail with. */
async function failure(provider: ChatProvider, req: ChatRequest, transport: 'json' | 'stream'): Promise<ProviderError> {
  try {
    if (transport === 'json') await provider.complete(req, { transport: 'json' });
    else for await (const chunk of provider.stream(req)) void chunk;
  } catch (error) {
    assert.ok(ProviderError.is(error), `expected a ProviderError, got ${String(error)}`);
    assertNoKey(error);
    return error;
  }
  assert.fail('the request should have failed');
}

function assertNoKey(error: ProviderError): void {
  const text = `${error.message} ${JSON.stringify(error)} ${error.stack ?? ''}`;
  assert.ok(!text.includes(KEY), `the key leaked into the error: ${error.message}`);
}

function textOf(chunks: readonly StreamChunk[]): string {
  return chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

for (const c of CASES) {
  describe(`provider conformance: ${c.id} (${c.protocol}) through the official SDK`, function () {
    this.timeout(5000);
    const fake = c.makeFake();
    let provider: ChatProvider;

    before(async () => {
      await fake.start();
      provider = createProvider({
        id: c.id,
        protocol: c.protocol,
        apiKey: KEY,
        baseUrl: fake.baseURL,
        idleTimeoutMs: 300,
        testTimeoutMs: 1000,
      });
    });
    after(() => fake.close());
    beforeEach(() => fake.reset());

    describe('success', () => {
      const usage = { input: 120, output: 17, cacheRead: 40, cacheWrite: 25 };
      const expectedUsage = {
        inputTokens: 120,
        outputTokens: 17,
        cacheReadTokens: 40,
        cacheWriteTokens: c.reportsCacheWrite ? 25 : 0,
      };

      it('streams text deltas in order, then usage, then finish', async () => {
        fake.enqueue({ chunks: ['Incre', 'ments ', 'x by one.'], usage });
        const { chunks, error } = await collect(provider, request(c.model));
        assert.equal(error, undefined);
        assert.deepEqual(
          chunks.filter((k) => k.type === 'text').map((k) => (k.type === 'text' ? k.text : '')),
          ['Incre', 'ments ', 'x by one.'],
        );
        const tail = chunks.filter((k) => k.type !== 'text');
        assert.deepEqual(tail, [
          { type: 'usage', usage: expectedUsage },
          { type: 'finish', reason: 'stop', providerReason: c.protocol === 'anthropic' ? 'end_turn' : c.protocol === 'gemini' ? 'STOP' : 'stop' },
        ]);
        assert.equal(fake.modelRequests[0]?.stream, true);
      });

      it('answers over JSON with the same text, usage and finish', async () => {
        fake.enqueue({ text: 'Increments x by one.', usage });
        const result = await provider.complete(request(c.model));
        assert.equal(result.text, 'Increments x by one.');
        assert.deepEqual(result.usage, expectedUsage);
        assert.equal(result.usageReported, true);
        assert.equal(result.finishReason, 'stop');
        assert.equal(fake.modelRequests[0]?.stream, false);
      });

      it('collects a streamed answer when asked to', async () => {
        fake.enqueue({ chunks: ['a', 'b'], usage });
        const result = await provider.complete(request(c.model), { transport: 'stream' });
        assert.equal(result.text, 'ab');
        assert.deepEqual(result.usage, expectedUsage);
        assert.equal(fake.modelRequests[0]?.stream, true);
      });

      for (const transport of ['json', 'stream'] as const) {
        it(`reports a cut-off answer as finish "length" (${transport})`, async () => {
          fake.enqueue({ text: 'partial', finishReason: c.lengthReason });
          const result = await provider.complete(request(c.model, { maxOutputTokens: 5 }), { transport });
          assert.equal(result.finishReason, 'length');
          assert.equal(result.providerReason, c.lengthReason);
        });
      }

      it('sends the model, system prompt and messages where the API expects them', async () => {
        fake.enqueue({});
        // The fakes reject parameters the real API rejects (Anthropic no longer accepts a temperature).
        await provider.complete(request(c.model, { maxOutputTokens: 77, temperature: 0.2 }));
        const sent = fake.modelRequests[0]!;
        assert.equal(sent.model, c.model);
        assert.ok(sent.rawBody.includes('You explain code.'), 'system prompt sent');
        assert.ok(sent.rawBody.includes('What does x++ do?'), 'user message sent');
        assert.ok(sent.rawBody.includes('77'), 'output cap sent');
      });

      it('sends the key only in its own auth header: never in the URL, the body or another header', async () => {
        fake.enqueue({});
        await provider.complete(request(c.model));
        const sent = fake.modelRequests[0]!;
        const carriers = Object.entries(sent.headers)
          .filter(([, value]) => value.includes(KEY))
          .map(([name]) => name);
        assert.deepEqual(carriers, [c.authHeader]);
        assert.ok(!sent.rawBody.includes(KEY));
        assert.ok(!sent.path.includes(KEY) && !Object.values(sent.query).some((v) => v.includes(KEY)));
      });

      it('tests the connection cheaply', async () => {
        const result = await provider.testConnection();
        assert.equal(result.ok, true);
        assert.ok(result.models.length > 0);
        assert.equal(fake.modelRequests.length, 0, 'no generation request for a connectivity test');
      });
    });

    describe('faults', () => {
      for (const transport of ['json', 'stream'] as const) {
        for (const fault of FAULTS) {
          const f = fault.kind === 'content_filter' && c.refusalKind ? { ...fault, kind: c.refusalKind } : fault;
          it(`${f.fault} -> ${f.kind} (${transport})`, async () => {
            fake.enqueue({ error: f.fault });
            const error = await failure(provider, request(c.model), transport);
            assert.equal(error.kind, f.kind, error.message);
            assert.equal(error.provider, c.id);
            assert.equal(error.retryable, f.retryable);
            if (f.status !== undefined) assert.equal(error.status, f.status);
            assert.ok(error.message.length > 0 && error.message.length < 400, 'a short message');
          });
        }

        it(`rate limit carries retryAfterMs from retry-after seconds (${transport})`, async () => {
          fake.enqueue({ error: 'rate_limit', retryAfterSeconds: 7 });
          const error = await failure(provider, request(c.model), transport);
          assert.equal(error.kind, 'rate_limit');
          assert.equal(error.retryAfterMs, 7000);
        });

        it(`a reset connection is a retryable network error, marked refused: no byte of a response came (${transport})`, async () => {
          fake.enqueue({ reset: true });
          const error = await failure(provider, request(c.model), transport);
          assert.equal(error.kind, 'network', error.message);
          assert.equal(error.retryable, true);
          assert.equal(error.refused, true);
          assert.match(error.message, /closed the connection before any response/);
        });

        it(`a refused connection (nothing listening) is a network error marked refused that says so (${transport})`, async () => {
          await fake.stopListening();
          try {
            const error = await failure(provider, request(c.model), transport);
            assert.equal(error.kind, 'network', error.message);
            assert.equal(error.refused, true);
            assert.match(error.message, /nothing is listening at http:\/\/127\.0\.0\.1:\d+.*\(connection refused\)/);
            const test = await provider.testConnection().then(() => undefined, (e: unknown) => e);
            assert.ok(ProviderError.is(test) && test.refused, `connection test: ${String(test)}`);
          } finally {
            await fake.listenAgain();
          }
        });

        it(`a body that is not JSON is a server error quoting a short excerpt (${transport})`, async () => {
          fake.enqueue({ malformed: true });
          const error = await failure(provider, request(c.model), transport);
          assert.equal(error.kind, 'server', error.message);
          assert.match(error.message, /not valid JSON|connection|ended/i);
        });

        it(`a server that never answers times out and the request is closed (${transport})`, async () => {
          fake.enqueue({ hang: true });
          // A stream is stopped by the idle timeout (300 ms here); a JSON call only by the total timeout.
          const req = transport === 'json' ? request(c.model, { timeoutMs: 300 }) : request(c.model);
          const error = await failure(provider, req, transport);
          assert.equal(error.kind, 'timeout', error.message);
          assert.equal(error.retryable, true);
          await fake.waitForClose(0, 1000);
          assert.equal(fake.requests[0]?.closedByClient, true);
        });

        it(`abort stops the HTTP request and is never retryable (${transport})`, async () => {
          fake.enqueue({ hang: true });
          const controller = new AbortController();
          const pending = failure(provider, request(c.model, { signal: controller.signal }), transport);
          await fake.waitForRequest(0, 1000);
          controller.abort();
          const error = await pending;
          assert.equal(error.kind, 'aborted');
          assert.equal(error.retryable, false);
          await fake.waitForClose(0, 1000);
          assert.equal(fake.requests[0]?.closedByClient, true);
        });
      }

      it('an already-aborted signal sends nothing', async () => {
        const controller = new AbortController();
        controller.abort();
        const error = await failure(provider, request(c.model, { signal: controller.signal }), 'stream');
        assert.equal(error.kind, 'aborted');
        assert.equal(fake.requests.length, 0);
      });

      it('a stream cut after two deltas is a network error with partial output kept', async () => {
        fake.enqueue({ chunks: ['one ', 'two ', 'three ', 'four'], cutAfterChunks: 2 });
        const { chunks, error } = await collect(provider, request(c.model));
        assert.equal(textOf(chunks), 'one two ');
        assert.ok(error);
        assert.equal(error.kind, 'network', error.message);
        assert.equal(error.partialOutput, true);
        assert.equal(error.retryable, true);
        assert.equal(error.refused, false, 'a connection that broke after a response began is not "refused"');
      });

      it("the provider's error event mid-stream is normalized, with partial output kept", async () => {
        fake.enqueue({ chunks: ['one ', 'two ', 'three'], midStreamError: { afterChunks: 1, kind: 'overloaded' } });
        const { chunks, error } = await collect(provider, request(c.model));
        assert.equal(textOf(chunks), 'one ');
        assert.ok(error);
        assertNoKey(error);
        assert.ok(['overloaded', 'server'].includes(error.kind), `${error.kind}: ${error.message}`);
        assert.equal(error.retryable, true);
        assert.equal(error.partialOutput, true);
      });

      it('aborting in the middle of a stream closes the connection', async () => {
        fake.enqueue({ chunks: ['a', 'b', 'c', 'd', 'e'], chunkIntervalMs: 100 });
        const controller = new AbortController();
        const seen: string[] = [];
        let caught: unknown;
        try {
          for await (const chunk of provider.stream(request(c.model, { signal: controller.signal }))) {
            if (chunk.type === 'text') {
              seen.push(chunk.text);
              controller.abort();
            }
          }
        } catch (error) {
          caught = error;
        }
        assert.ok(ProviderError.is(caught));
        assert.equal(caught.kind, 'aborted');
        assert.equal(caught.partialOutput, true);
        assert.deepEqual(seen, ['a']);
        await fake.waitForClose(0, 1000);
        assert.equal(fake.requests[0]?.closedByClient, true);
      });

      it('a consumer that stops reading early closes the connection', async () => {
        fake.enqueue({ chunks: ['a', 'b', 'c', 'd', 'e'], chunkIntervalMs: 100 });
        for await (const chunk of provider.stream(request(c.model))) {
          if (chunk.type === 'text') break;
        }
        await fake.waitForClose(0, 1000);
        assert.equal(fake.requests[0]?.closedByClient, true);
      });

      it('a slow but steady stream is not cut by the idle timeout (only silence is)', async () => {
        // Five deltas 120 ms apart: 600 ms in all, twice the 300 ms idle timeout, never 300 ms of silence.
        fake.enqueue({ chunks: ['a', 'b', 'c', 'd', 'e'], chunkIntervalMs: 120 });
        const result = await provider.complete(request(c.model), { transport: 'stream' });
        assert.equal(result.text, 'abcde');
      });

      it('a completed stream leaves the connection open for reuse', async () => {
        fake.enqueue({ chunks: ['a', 'b'] });
        await provider.complete(request(c.model), { transport: 'stream' });
        assert.equal(fake.requests[0]?.closedByClient, false);
      });
    });

    describe('bad input', () => {
      it('a missing key names the provider and how to set one, and sends nothing', async () => {
        const keyless = createProvider({ id: c.id, protocol: c.protocol, baseUrl: fake.baseURL });
        const error = await failure(keyless, request(c.model), 'stream');
        assert.equal(error.kind, 'auth');
        assert.equal(error.providerCode, 'missing_key');
        assert.match(error.message, new RegExp(`"${c.id}"`));
        assert.match(error.message, /Set API Key/);
        await assert.rejects(keyless.testConnection(), (e: unknown) => ProviderError.is(e) && e.kind === 'auth');
        assert.equal(fake.requests.length, 0);
      });

      it('a wrong key is an auth error that never echoes either key', async () => {
        const wrong = 'sk-wrong-0123456789abcdefghij';
        const badKey = createProvider({ id: c.id, protocol: c.protocol, baseUrl: fake.baseURL, apiKey: wrong });
        const error = await failure(badKey, request(c.model), 'json');
        assert.equal(error.kind, 'auth', error.message);
        assert.ok(!error.message.includes(wrong));
        await assert.rejects(badKey.testConnection(), (e: unknown) => ProviderError.is(e) && e.kind === 'auth');
      });

      it('an unknown model is a bad_request whose message names the model', async () => {
        fake.enqueue({ error: 'not_found' });
        const error = await failure(provider, request('no-such-model-9'), 'json');
        assert.equal(error.kind, 'bad_request');
        assert.equal(error.status, 404);
        assert.match(error.message, /no-such-model-9/);
      });

      it('an HTML page instead of JSON gives a short excerpt, not the whole page', async () => {
        const page = `<html><head><title>502 Bad Gateway</title></head><body>${'padding '.repeat(400)}</body></html>`;
        const step: FakeStep = { status: 200, headers: { 'content-type': 'text/html' }, body: page };
        fake.enqueue(step);
        const error = await failure(provider, request(c.model), 'json');
        assert.equal(error.kind, 'server', error.message);
        assert.match(error.message, /502 Bad Gateway|not valid JSON/);
        assert.ok(error.message.length < 300, `message too long: ${error.message.length}`);
      });
    });
  });
}
