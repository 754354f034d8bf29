import assert from 'node:assert/strict';

import type { RetryConfig } from '../../src/core/config/types';
import type { ErrorKind } from '../../src/core/providers/errors';
import { ProviderError } from '../../src/core/providers/errors';
import { backoffDelay, nextDelay } from '../../src/core/routing/retryPolicy';
import { seededRandom } from '../support/seededRandom';

const CONFIG: RetryConfig = { maxAttemptsPerCandidate: 6, baseDelayMs: 500, maxDelayMs: 8_000, retryAfterCapMs: 60_000 };


function error(kind: ErrorKind, extra: { retryAfterMs?: number; retryable?: boolean; partialOutput?: boolean } = {}): ProviderError {
  return new ProviderError({ provider: 'openai', kind, message: kind, ...extra });
}

describe('routing: retry policy', () => {
  it('full jitter: each delay lies in [0, min(max, base × 2^(attempt-1))) and the ceiling grows', () => {
    const random = seededRandom(42);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const ceiling = Math.min(8_000, 500 * 2 ** (attempt - 1));
      const delays = Array.from({ length: 200 }, () => {
        const decision = nextDelay(attempt, error('server'), CONFIG, random);
        assert.ok(decision.retry);
        return decision.delayMs;
      });
      assert.ok(delays.every((delay) => delay >= 0 && delay < ceiling), `attempt ${attempt}`);
      const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
      assert.ok(mean > ceiling * 0.4 && mean < ceiling * 0.6, `mean ${mean} near half of ${ceiling}`);
    }
  });

  it('the same seed gives the same delays; the extremes of random hit the bounds', () => {
    const a = [1, 2, 3].map((attempt) => backoffDelay(attempt, CONFIG, seededRandom(7)));
    const b = [1, 2, 3].map((attempt) => backoffDelay(attempt, CONFIG, seededRandom(7)));
    assert.deepEqual(a, b);
    assert.equal(backoffDelay(3, CONFIG, () => 0), 0);
    assert.equal(backoffDelay(3, CONFIG, () => 0.999_999_9), 1_999);
    assert.equal(backoffDelay(30, CONFIG, () => 0.5), 4_000, 'capped at maxDelayMs');
  });

  it('honours Retry-After when longer than the backoff, beyond maxDelayMs up to the cap', () => {
    assert.deepEqual(nextDelay(1, error('rate_limit', { retryAfterMs: 20_000 }), CONFIG, () => 0.5), {
      retry: true,
      delayMs: 20_000,
    });
    assert.deepEqual(nextDelay(4, error('rate_limit', { retryAfterMs: 100 }), CONFIG, () => 0.5), {
      retry: true,
      delayMs: 2_000,
    });
    assert.deepEqual(nextDelay(1, error('overloaded', { retryAfterMs: 60_000 }), CONFIG, () => 0), {
      retry: true,
      delayMs: 60_000,
    });
  });

  it('a Retry-After beyond the cap: no wait, move on', () => {
    assert.deepEqual(nextDelay(1, error('rate_limit', { retryAfterMs: 120_000 }), CONFIG), {
      retry: false,
      reason: 'retry-after 2 min exceeds the 1 min cap',
    });
  });

  it('never retries an abort, an auth error, a non-retryable error or a stream that had started', () => {
    const cases: [ProviderError, RegExp][] = [
      [error('aborted'), /aborted: never retried/],
      [error('auth', { retryable: true }), /authentication error: never retried/],
      [error('bad_request'), /bad request is not retryable/],
      [error('context_length'), /context length is not retryable/],
      [error('rate_limit', { retryable: false }), /rate limit is not retryable/],
      [error('server', { partialOutput: true }), /after output had started/],
    ];
    for (const [failure, reason] of cases) {
      const decision = nextDelay(1, failure, CONFIG, () => 0.5);
      assert.ok(!decision.retry);
      assert.match(decision.reason, reason);
    }
  });

  it('stops after maxAttemptsPerCandidate attempts', () => {
    const config = { ...CONFIG, maxAttemptsPerCandidate: 2 };
    assert.equal(nextDelay(1, error('server'), config).retry, true);
    assert.deepEqual(nextDelay(2, error('server'), config), {
      retry: false,
      reason: '2 attempts made (at most 2 per candidate)',
    });
    assert.deepEqual(nextDelay(1, error('server'), { ...CONFIG, maxAttemptsPerCandidate: 1 }), {
      retry: false,
      reason: '1 attempt made (at most 1 per candidate)',
    });
  });
});
