import assert from 'node:assert/strict';

import { FakeClock } from '../../src/core/routing/clock';
import { KeyLimiter, TokenBucket } from '../../src/core/routing/rateLimiter';

describe('routing: rate limiter', () => {
  describe('TokenBucket', () => {
    it('refills continuously and gives exact waits', () => {
      const bucket = new TokenBucket(60, 60_000, 0); // one per second
      for (let i = 0; i < 60; i++) bucket.take(1, 0);
      assert.equal(bucket.waitMs(1, 0), 1_000);
      assert.equal(bucket.waitMs(3, 0), 3_000);
      assert.equal(bucket.waitMs(1, 400), 600);
      assert.equal(bucket.waitMs(1, 1_000), 0);
      assert.equal(bucket.available(30_000), 30);
      assert.equal(bucket.available(600_000), 60, 'never above capacity');
    });

    it('a request larger than the capacity waits for a full bucket instead of forever', () => {
      const bucket = new TokenBucket(1_000, 60_000, 0);
      bucket.take(500, 0);
      assert.equal(bucket.waitMs(5_000, 0), 30_000);
      bucket.take(5_000, 30_000);
      assert.equal(bucket.available(30_000), 0);
    });

    it('refund and adjust move the level within the capacity', () => {
      const bucket = new TokenBucket(100, 60_000, 0);
      bucket.take(80, 0);
      bucket.refund(50, 0);
      assert.equal(bucket.available(0), 70);
      bucket.refund(500, 0);
      assert.equal(bucket.available(0), 100);
      bucket.adjust(150, 0); // used 150 more than estimated: in debt
      assert.equal(bucket.available(0), -50);
      assert.equal(bucket.waitMs(1, 0), 30_600);
    });
  });

  describe('KeyLimiter', () => {
    it('RPM: after the burst, the next request waits exactly one refill interval', () => {
      const clock = new FakeClock(0);
      const limiter = new KeyLimiter({ rpm: 3 }, clock);
      for (let i = 0; i < 3; i++) assert.deepEqual(limiter.tryTake(10), { ok: true });
      assert.deepEqual(limiter.check(10), { ok: false, waitMs: 20_000, limit: 'rpm' });
      clock.advance(19_999);
      assert.equal(limiter.check(10).ok, false);
      clock.advance(1);
      assert.deepEqual(limiter.check(10), { ok: true });
    });

    it('TPM counts estimated tokens', () => {
      const clock = new FakeClock(0);
      const limiter = new KeyLimiter({ tpm: 10_000 }, clock);
      limiter.take(8_000);
      assert.deepEqual(limiter.check(1_500), { ok: true });
      assert.deepEqual(limiter.check(4_000), { ok: false, waitMs: 12_000, limit: 'tpm' });
      limiter.settleTokens(8_000, 9_000); // the answer was longer than estimated
      assert.deepEqual(limiter.check(1_500), { ok: false, waitMs: 3_000, limit: 'tpm' });
    });

    it('minimum interval between two requests', () => {
      const clock = new FakeClock(0);
      const limiter = new KeyLimiter({ minIntervalMs: 1_500 }, clock);
      assert.deepEqual(limiter.tryTake(1), { ok: true });
      clock.advance(1_000);
      assert.deepEqual(limiter.check(1), { ok: false, waitMs: 500, limit: 'minInterval' });
      clock.advance(500);
      assert.deepEqual(limiter.tryTake(1), { ok: true });
    });

    it('RPD across a day: exhausted at noon, one back per 1/rpd of a day, full again a day later', () => {
      const clock = new FakeClock(Date.UTC(2026, 2, 9, 12, 0));
      const limiter = new KeyLimiter({ rpd: 100 }, clock);
      for (let i = 0; i < 100; i++) assert.equal(limiter.tryTake(1).ok, true);
      assert.deepEqual(limiter.check(1), { ok: false, waitMs: 864_000, limit: 'rpd' });
      clock.advance(864_000);
      assert.equal(limiter.tryTake(1).ok, true);
      assert.equal(limiter.check(1).ok, false);
      clock.advance(86_400_000);
      assert.equal(limiter.snapshot().remaining.rpd, 100);
    });

    it('reports the binding limit: the one with the longest wait', () => {
      const clock = new FakeClock(0);
      const limiter = new KeyLimiter({ rpm: 2, minIntervalMs: 1_000 }, clock);
      limiter.take(1);
      limiter.take(1);
      assert.deepEqual(limiter.check(1), { ok: false, waitMs: 30_000, limit: 'rpm' });
    });

    it('penalize after a 429 blocks the key until the Retry-After, never shortening a longer one', () => {
      const clock = new FakeClock(0);
      const limiter = new KeyLimiter({}, clock);
      limiter.penalize(20_000);
      limiter.penalize(5_000);
      assert.deepEqual(limiter.check(1), { ok: false, waitMs: 20_000, limit: 'retryAfter' });
      assert.equal(limiter.snapshot().penalizedUntil, 20_000);
      clock.advance(20_000);
      assert.deepEqual(limiter.check(1), { ok: true });
      assert.equal(limiter.snapshot().penalizedUntil, undefined);
    });

    it('refund gives back a request that was never sent', () => {
      const clock = new FakeClock(0);
      const limiter = new KeyLimiter({ rpm: 1, tpm: 1_000 }, clock);
      limiter.take(900);
      assert.equal(limiter.check(100).ok, false);
      limiter.refund(900);
      assert.deepEqual(limiter.check(1_000), { ok: true });
    });

    it('no limits: always ok', () => {
      const limiter = new KeyLimiter(undefined, new FakeClock(0));
      for (let i = 0; i < 1_000; i++) limiter.take(100_000);
      assert.deepEqual(limiter.check(100_000), { ok: true });
    });
  });
});
