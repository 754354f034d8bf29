import assert from 'node:assert/strict';

import { resolveConfig } from '../../src/core/config/layering';
import type { Config } from '../../src/core/config/types';
import { costOf, createPriceTable } from '../../src/core/pricing/cost';
import { testProviderConnection } from '../../src/core/providers/connection';
import { MAX_ERROR_MESSAGE_CHARS, ProviderError } from '../../src/core/providers/errors';
import { createProvider } from '../../src/core/providers/registry';
import type { ChatProvider, ProviderProtocol, ProviderSettings, StreamChunk } from '../../src/core/providers/types';
import { InMemorySpend } from '../../src/core/routing/budget';
import type { Clock } from '../../src/core/routing/clock';
import type { Decision, RouteEvent } from '../../src/core/routing/decision';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';
import type { FakeProviderServer, FakeStep, FakeUsage } from '../fakes/fakeServer';
import { createGeminiFake } from '../fakes/geminiFake';
import { createOpenAIFake } from '../fakes/openaiFake';

/**
 * What a provider, or anything answering at its URL, can do to us: absurd usage numbers, an answer that never ends,
 * gigantic bodies and error texts. Every case runs the official SDK against the wire-faithful fakes.
 */

const KEY = 'hostile-test-key-0123456789';
const MiB = 1024 * 1024;

interface Target {
  readonly id: 'anthropic' | 'openai' | 'gemini';
  readonly protocol: ProviderProtocol;
  readonly model: string;
  readonly fake: FakeProviderServer;
  /** The path the connection test reads whole. */
  readonly testPath: RegExp;
}

const TARGETS: readonly Target[] = [
  { id: 'anthropic', protocol: 'anthropic', model: 'claude-sonnet-5-5', fake: createAnthropicFake(), testPath: /GET \/v1\/models/ },
  { id: 'openai', protocol: 'openai', model: 'gpt-4.1-mini', fake: createOpenAIFake(), testPath: /GET \/v1\/models/ },
  { id: 'gemini', protocol: 'gemini', model: 'gemini-2.5-flash', fake: createGeminiFake(), testPath: /POST \/v1beta\/models\/[^ ]+:countTokens/ },
];

/** Backoffs and waits resolve at once. */
const instantClock: Clock = {
  now: () => Date.parse('2026-11-23T12:00:00Z'),
  sleep: async (_ms: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw new Error('aborted');
  },
};


function provider(t: Target, extra: Partial<ProviderSettings> = {}): ChatProvider {
  return createProvider({ id: t.id, protocol: t.protocol, apiKey: KEY, baseUrl: t.fake.baseURL, ...extra });
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(ProviderError.is(error), `a ProviderError, not ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

async function drain(stream: AsyncIterable<StreamChunk>): Promise<void> {
  for await (const _chunk of stream) {
    // read to the end
  }
}

/** A config whose explainer agent tries `chain` in order, with retries on. */
/** `inner` with its stream replaced: a bug of ours injected around a real SDK stream from the fake. */
function withStream(inner: ChatProvider, stream: ChatProvider['stream']): ChatProvider {
  return {
    id: inner.id,
    protocol: inner.protocol,
    complete: (request, options) => inner.complete(request, options),
    testConnection: (signal) => inner.testConnection(signal),
    stream,
  };
}

function configFor(chain: readonly string[], extra = ''): Config {
  const text = `
localFirst: false
retry: { maxAttemptsPerCandidate: 3, baseDelayMs: 10, maxDelayMs: 10, retryAfterCapMs: 10 }
providers:
${TARGETS.map((t) => `  ${t.id}: { baseUrl: "${t.fake.baseURL}" }`).join('\n')}
agents:
  explainer: { chain: [${chain.join(', ')}], reasoning: test }
${extra}`;
  const { config, diagnostics } = resolveConfig({ user: { file: 'test.yaml', text }, workspaceTrusted: true });
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  return config;
}

function router(config: Config, wrap?: (p: ChatProvider) => ChatProvider): Router {
  return new Router(config, {
    keys: { get: () => KEY },
    clock: instantClock,
    random: () => 0.5,
    spend: new InMemorySpend(),
    ...(wrap ? { createProvider: (settings: ProviderSettings) => wrap(createProvider(settings)) } : {}),
  });
}

async function route(r: Router): Promise<{ text: string; textEvents: number; events: RouteEvent[]; decision: Decision }> {
  const events: RouteEvent[] = [];
  let text = '';
  let textEvents = 0;
  for await (const event of r.route({ task: 'explain', text: 'const x = 1;' })) {
    if (event.type === 'text') {
      text += event.text;
      textEvents++;
    } else events.push(event);
  }
  const done = events.at(-1);
  assert.ok(done?.type === 'done', 'the route ends with done');
  return { text, textEvents, events, decision: done.decision };
}

describe('hostile provider (official SDKs against the fakes)', function () {
  before(async () => {
    await Promise.all(TARGETS.map((t) => t.fake.start()));
  });
  after(() => Promise.all(TARGETS.map((t) => t.fake.close())));
  beforeEach(() => {
    for (const t of TARGETS) t.fake.reset();
  });

  describe('hostile provider: absurd usage numbers are bounded, and the request is still recorded', () => {
    const absurd: readonly { name: string; usage: FakeUsage; field: RegExp }[] = [
      { name: '9e14 output tokens', usage: { input: 40, output: 9e14 }, field: /output tokens for \d+ characters received/ },
      { name: '9e14 input tokens', usage: { input: 9e14, output: 5 }, field: /prompt tokens for [\d,]+ characters sent/ },
      { name: 'negative output tokens', usage: { input: 40, output: -5 }, field: /outputTokens is negative/ },
      { name: 'negative cache reads', usage: { input: 40, output: 5, cacheRead: -7 }, field: /cacheReadTokens is negative|prompt tokens/ },
      { name: 'fractional output tokens', usage: { input: 40, output: 12.5 }, field: /outputTokens is not a whole number/ },
      { name: 'infinite output tokens', usage: { input: 40, output: Infinity }, field: /outputTokens is Infinity/ },
      { name: 'NaN output tokens', usage: { input: 40, output: NaN }, field: /outputTokens is (string|NaN)/ },
    ];
    for (const t of TARGETS) {
      for (const c of absurd) {
        it(`${t.id}: ${c.name} -> the router's estimate, flagged, cost of that estimate`, async () => {
          t.fake.enqueue({ text: 'It declares x.', usage: c.usage });
          const config = configFor([t.id]);
          const { text, decision } = await route(router(config));
          assert.equal(text, 'It declares x.');
          assert.equal(decision.outcome, 'answered');
          const attempt = decision.attempts[0]!;
          assert.equal(attempt.usageEstimated, true);
          assert.match(attempt.usageImplausible ?? '', c.field);
          assert.match(attempt.usageImplausible ?? '', /booked the router's estimate/);
          const usage = attempt.usage!;
          for (const value of Object.values(usage)) assert.ok(Number.isInteger(value) && value >= 0, `${value} is a count`);
          assert.ok(usage.outputTokens <= 20, `output ${usage.outputTokens} is about the 14 characters received`);
          assert.ok(usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens < 5_000, 'the prompt was small');
          const price = createPriceTable(config.pricing, { now: new Date(instantClock.now()) }).priceOf(t.id, attempt.model);
          assert.ok(price, 'the model has a price');
          assert.equal(attempt.costUsd, costOf(price, usage));
          assert.ok(decision.costUsd < 0.01, `booked $${decision.costUsd}`);
        });
      }
      it(`${t.id}: plausible usage is booked exactly as reported, not flagged`, async () => {
        t.fake.enqueue({ text: 'It declares x.', usage: { input: 9_000, output: 30_000, cacheRead: 1_000 } });
        const { decision } = await route(router(configFor([t.id])));
        const attempt = decision.attempts[0]!;
        assert.equal(attempt.usageEstimated, undefined);
        assert.equal(attempt.usageImplausible, undefined);
        assert.equal(attempt.usage!.outputTokens, 30_000, 'hidden reasoning tokens are plausible');
        assert.equal(attempt.usage!.inputTokens + attempt.usage!.cacheReadTokens, 10_000);
      });
    }
  });

  describe('hostile provider: an answer that never ends', () => {
    for (const t of TARGETS) {
      it(`${t.id}: stops at routing.maxAnswerChars, closes the connection, ends interrupted, never retries or falls back`, async () => {
        const other = TARGETS.find((o) => o.id !== t.id)!;
        t.fake.enqueue({ endless: { chunkChars: 700 } });
        const { text, decision, events } = await route(router(configFor([t.id, other.id], 'maxAnswerChars: 5000')));
        assert.equal(text.length, 5_000, 'exactly the limit was shown');
        assert.equal(decision.outcome, 'interrupted');
        assert.equal(decision.error?.kind, 'server');
        assert.match(decision.error?.message ?? '', /answer exceeded 5,000 characters; stopped/);
        assert.equal(decision.attempts.length, 1, 'one attempt');
        assert.equal(decision.attempts[0]!.partialOutput, true);
        assert.equal(decision.interrupted?.provider, t.id);
        assert.deepEqual(events.filter((e) => e.type === 'retry' || e.type === 'fallback'), []);
        await t.fake.waitForClose(0);
        assert.equal(other.fake.requests.length, 0, 'nothing was sent to the next candidate');
        const usage = decision.attempts[0]!.usage!;
        assert.equal(decision.attempts[0]!.usageEstimated, true, 'the provider never reported usage: estimated');
        assert.ok(usage.outputTokens > 0, 'what was shown is booked');
      });
    }

    for (const t of TARGETS.filter((x) => x.id !== 'gemini')) {
      it(`${t.id}: one stream event larger than 4 MiB is refused before it is buffered whole`, async () => {
        t.fake.enqueue({ endless: { chunkChars: 5 * MiB, maxBytes: 6 * MiB } });
        const error = await rejection(drain(provider(t).stream({ model: t.model, messages: [{ role: 'user', content: 'hi' }] })));
        assert.equal(error.providerCode, 'response_too_large');
        assert.match(error.message, /one event in the server's stream for POST \/v1\/\S+ exceeded 4 MiB; stopped reading/);
        await t.fake.waitForClose(0);
      });
    }

    it('the default limit is 1,000,000 characters', () => {
      assert.equal(configFor(['anthropic']).routing.maxAnswerChars, 1_000_000);
    });

    it('maxAnswerChars below 1000 is rejected with a message naming it', () => {
      const { diagnostics } = resolveConfig({ user: { file: 'test.yaml', text: 'maxAnswerChars: 10\n' }, workspaceTrusted: true });
      assert.ok(diagnostics.some((d) => d.severity === 'error' && /maxAnswerChars/.test(`${d.message} ${JSON.stringify(d)}`)));
    });
  });

  describe('hostile provider: any failure after output ends the request as interrupted', () => {
    it('an exception that is not a provider error, after the first text, is not retried and not sent elsewhere', async () => {
      const anthropic = TARGETS[0]!;
      const openai = TARGETS[1]!;
      anthropic.fake.enqueue({ chunks: ['first ', 'second ', 'third'] });
      // A real SDK stream from the fake, with our own bug injected after the first chunk.
      const wrap = (inner: ChatProvider): ChatProvider =>
        withStream(inner, async function* (request) {
          for await (const chunk of inner.stream(request)) {
            yield chunk;
            if (chunk.type === 'text') throw new TypeError('Cannot read properties of undefined (reading "x")');
          }
        });
      const { text, decision, events } = await route(router(configFor(['anthropic', 'openai']), wrap));
      assert.equal(text, 'first ');
      assert.equal(decision.outcome, 'interrupted');
      assert.equal(decision.attempts.length, 1);
      assert.equal(decision.attempts[0]!.partialOutput, true);
      assert.match(decision.error?.message ?? '', /Cannot read properties/);
      assert.deepEqual(events.filter((e) => e.type === 'retry' || e.type === 'fallback'), []);
      assert.equal(openai.fake.requests.length, 0);
    });

    it('the same exception before any text is retried as before', async () => {
      const anthropic = TARGETS[0]!;
      anthropic.fake.enqueue({ text: 'unused' }, { text: 'the answer' });
      let calls = 0;
      const wrap = (inner: ChatProvider): ChatProvider =>
        withStream(inner, async function* (request) {
          calls++;
          if (calls === 1) {
            await drain(inner.stream(request));
            throw new Error('socket hiccup');
          }
          yield* inner.stream(request);
        });
      const { text, decision } = await route(router(configFor(['anthropic']), wrap));
      assert.equal(text, 'the answer');
      assert.equal(decision.outcome, 'answered');
      assert.equal(decision.attempts.length, 2);
    });
  });

  describe('hostile provider: bodies read whole are capped', function () {
    this.timeout(20_000);
    const huge: FakeStep = { hugeBodyBytes: 64 * MiB };

    for (const t of TARGETS) {
      it(`${t.id}: a gigantic answer to the connection test stops at 4 MiB and says so`, async () => {
        t.fake.enqueueAux(huge);
        const error = await rejection(provider(t).testConnection());
        assert.equal(error.kind, 'server');
        assert.equal(error.retryable, false);
        assert.equal(error.providerCode, 'response_too_large');
        assert.match(error.message, /the server's answer to .+ exceeded 4 MiB; stopped reading/);
        assert.match(error.message, t.testPath);
        await t.fake.waitForClose(0);
      });

      it(`${t.id}: model status reports the same, not a crash`, async () => {
        t.fake.enqueueAux(huge);
        const status = await testProviderConnection(configFor([t.id]).providers[t.id]!, {
          keyValue: () => KEY,
          timeoutMs: 15_000,
          keyHint: () => 'set it',
        });
        assert.equal(status.result, 'failed');
        assert.match(status.message ?? '', /exceeded 4 MiB; stopped reading/);
      });

      it(`${t.id}: a gigantic error body is cut and its text bounded before it reaches the message`, async () => {
        t.fake.enqueue({ status: 500, ...huge });
        const error = await rejection(drain(provider(t).stream({ model: t.model, messages: [{ role: 'user', content: 'hi' }] })));
        assert.equal(error.kind, 'server');
        assert.equal(error.status, 500);
        assert.ok(error.message.length <= 300, `message of ${error.message.length} characters`);
        await t.fake.waitForClose(0);
      });

      it(`${t.id}: a gigantic JSON answer stops at 4 MiB`, async () => {
        t.fake.enqueue(huge);
        const error = await rejection(provider(t).complete({ model: t.model, messages: [{ role: 'user', content: 'hi' }] }));
        // Gemini's SDK takes no fetch option: the global fetch is bounded for its calls only (scopedFetch.ts).
        const path = t.id === 'gemini' ? /POST \/v1beta\/models\/\S+:generateContent/ : /POST \/v1\/\S+/;
        assert.match(error.message, new RegExp(`the server's answer to ${path.source} exceeded 4 MiB; stopped reading`));
        await t.fake.waitForClose(0);
      });
    }
  });

  describe('hostile provider: error text is bounded', () => {
    it('a ProviderError keeps at most MAX_ERROR_MESSAGE_CHARS of message, and short codes and request ids', () => {
      const error = new ProviderError({
        provider: 'openai',
        kind: 'server',
        message: 'x'.repeat(100_000),
        providerCode: 'c'.repeat(10_000),
        requestId: 'r'.repeat(10_000),
      });
      assert.equal(error.message.length, MAX_ERROR_MESSAGE_CHARS);
      assert.ok(error.message.endsWith('…'));
      assert.ok(error.providerCode!.length <= 100);
      assert.ok(error.requestId!.length <= 200);
    });

    for (const t of TARGETS) {
      it(`${t.id}: a 1 MB provider error message reaches the error as a short excerpt`, async () => {
        const message = `quota ${'blah '.repeat(200_000)}`;
        t.fake.enqueue({ status: 400, body: t.id === 'anthropic' ? { type: 'error', error: { type: 'invalid_request_error', message } } : { error: { message, code: 400 } } });
        const error = await rejection(drain(provider(t).stream({ model: t.model, messages: [{ role: 'user', content: 'hi' }] })));
        assert.ok(error.message.length <= 300, `message of ${error.message.length} characters`);
        assert.match(error.message, /quota blah/);
      });
    }
  });
});
