import assert from 'node:assert/strict';

import { resolveConfig } from '../../src/core/config/layering';
import type { TaskType } from '../../src/core/config/types';
import type { Clock } from '../../src/core/routing/clock';
import type { Decision, Outcome } from '../../src/core/routing/decision';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';
import type { FakeProviderServer, FakeStep } from '../fakes/fakeServer';
import { createGeminiFake } from '../fakes/geminiFake';
import { createOpenAIFake } from '../fakes/openaiFake';
import { seededRandom } from '../support/seededRandom';

/**
 * Soak: 10,000 requests through the router against the three fakes with randomized faults (bounded in count and
 * time: about 30 s on two cores). Every request must end answered or with a clear error, nothing may reject
 * unhandled, and the decision records must add up to what the fakes received.
 */
const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 10_000);


/** Time moves 50 ms per request and jumps over every backoff, so breakers cool down and limits refill. */
class SoakClock implements Clock {
  private t = Date.parse('2026-11-23T12:00:00Z');
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new Error('aborted');
    this.t += Math.max(0, ms);
  }
  tick(ms: number): void {
    this.t += ms;
  }
}

const FAULTS: ReadonlyArray<[number, FakeStep]> = [
  [0.05, { error: 'unavailable' }],
  [0.04, { error: 'rate_limit', retryAfterSeconds: 1 }],
  [0.03, { error: 'server' }],
  [0.02, { reset: true }],
  [0.02, { chunks: ['partial ', 'answer ', 'cut'], cutAfterChunks: 2 }],
  [0.01, { malformed: true }],
  [0.01, { error: 'bad_request' }],
  [0.01, { chunks: ['a ', 'b'], midStreamError: { afterChunks: 1 } }],
  [0.01, { error: 'overloaded' }],
];

function scriptFaults(fake: FakeProviderServer, count: number, random: () => number): void {
  const steps: FakeStep[] = [];
  for (let i = 0; i < count; i++) {
    let roll = random();
    let step: FakeStep = { text: 'ok' };
    for (const [p, fault] of FAULTS) {
      if (roll < p) {
        step = fault;
        break;
      }
      roll -= p;
    }
    steps.push(step);
  }
  fake.enqueue(...steps);
}

describe('soak: 10,000 routed requests with randomized faults', function () {
  this.timeout(180_000);
  const fakes = [createAnthropicFake(), createOpenAIFake(), createGeminiFake()];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    await Promise.all(fakes.map((f) => f.start()));
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(fakes.map((f) => f.close()));
  });

  async function soak(requests: number, concurrency: number): Promise<void> {
    for (const fake of fakes) fake.reset();
    const random = seededRandom(20261123);
    const [anthropic, openai, gemini] = fakes as [FakeProviderServer, FakeProviderServer, FakeProviderServer];
    for (const fake of fakes) scriptFaults(fake, requests * 2, random);
    const text = `
localFirst: false
retry: { maxAttemptsPerCandidate: 2, baseDelayMs: 50, maxDelayMs: 500, retryAfterCapMs: 60000 }
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}", idleTimeoutMs: 2000 }
  openai: { baseUrl: "${openai.baseURL}", idleTimeoutMs: 2000 }
  gemini: { baseUrl: "${gemini.baseURL}", idleTimeoutMs: 2000 }
agents:
  explainer: { chain: [anthropic, openai, gemini], reasoning: soak }
  reviewer: { chain: [openai, gemini, anthropic], reasoning: soak }
  fixer: { chain: [gemini, anthropic, openai], reasoning: soak }
`;
    const { config } = resolveConfig({ user: { file: 'soak.yaml', text }, workspaceTrusted: true });
    const clock = new SoakClock();
    const keys: Record<string, string> = { anthropic: 'k-anthropic-000001', openai: 'k-openai-0000001', gemini: 'k-gemini-0000001' };
    const router = new Router(config, { keys: { get: (provider) => keys[provider] }, clock, random });
    const tasks: TaskType[] = ['explain', 'review', 'fix'];
    const outcomes: Record<Outcome, number> = { answered: 0, failed: 0, interrupted: 0, aborted: 0 };
    let attempts = 0;
    let costFromAttempts = 0;
    let costFromDecisions = 0;
    const started = performance.now();

    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests) {
        const i = next++;
        clock.tick(50);
        let decision: Decision | undefined;
        let answer = '';
        let events = 0;
        for await (const event of router.route({ task: tasks[i % 3]!, text: `function f${i}(a) { return a + ${i}; }` })) {
          events += 1;
          if (event.type === 'text') answer += event.text;
          if (event.type === 'done') decision = event.decision;
        }
        assert.ok(decision, `request ${i} ended without a decision after ${events} events`);
        outcomes[decision.outcome] += 1;
        attempts += decision.attempts.length;
        costFromDecisions += decision.costUsd;
        for (const attempt of decision.attempts) costFromAttempts += attempt.costUsd;
        if (decision.outcome === 'answered') {
          assert.equal(answer, 'ok', `request ${i}: the answer is one model's whole text`);
          assert.equal(decision.error, undefined);
        } else {
          assert.ok(decision.error && decision.error.message.length > 10, `request ${i}: a clear error`);
          assert.ok(!/undefined|\[object Object\]/.test(decision.error.message), decision.error.message);
        }
        if (decision.outcome === 'interrupted') assert.ok(answer.length > 0 && decision.interrupted);
        assert.equal(decision.attempts.filter((a) => a.status === 'ok').length, decision.outcome === 'answered' ? 1 : 0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = performance.now() - started;

    const received = fakes.reduce((n, f) => n + f.modelRequests.length, 0);
    console.log(
      `      soak: ${requests} requests (${concurrency} at a time) in ${(elapsed / 1000).toFixed(1)} s; outcomes ${JSON.stringify(outcomes)}; ` +
        `${attempts} attempts, ${received} requests received by the fakes`,
    );
    assert.equal(outcomes.answered + outcomes.failed + outcomes.interrupted + outcomes.aborted, requests);
    assert.equal(attempts, received, 'every attempt in the records reached a fake, and every request a fake got is recorded');
    assert.ok(Math.abs(costFromAttempts - costFromDecisions) < 1e-9, 'decision costs are the sum of their attempts');
    assert.ok(outcomes.answered > 0 && outcomes.failed + outcomes.interrupted > 0, 'both answers and failures happened');
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
    router.dispose();
  }

  it(`${REQUESTS} requests one after another: each ends answered or with a clear error, and the records add up`, () =>
    soak(REQUESTS, 1));

  it(`${Math.ceil(REQUESTS / 5)} requests, 8 at a time: the same holds when requests race for probes and keys`, () =>
    soak(Math.ceil(REQUESTS / 5), 8));
});
