import assert from 'node:assert/strict';

import type { KeyConfig } from '../../src/core/config/types';
import { CircuitBreaker } from '../../src/core/routing/circuitBreaker';
import { FakeClock } from '../../src/core/routing/clock';
import { DEFAULT_PENALTY_MS, KeyPool } from '../../src/core/routing/keyPool';

function picked(pool: KeyPool, ...args: Parameters<KeyPool['acquire']>): string {
  const result = pool.acquire(...args);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.keyId;
}

describe('routing: key pool', () => {
  it('key order: tagged for the tier first, then untagged, then tagged for other tiers (not with strictTiers)', () => {
    const clock = new FakeClock(0);
    const keys: KeyConfig[] = [
      { id: 'premium', tiers: ['heavy'], limits: { rpm: 1 } },
      { id: 'general', limits: { rpm: 1 } },
      { id: 'cheap', tiers: ['light'], limits: { rpm: 1 }, priority: -5 },
    ];
    const pool = new KeyPool('anthropic', keys, { clock });
    // The light key goes first for light work, whatever the priorities; priority orders keys within one rank only.
    assert.deepEqual([picked(pool, 'heavy', 10), picked(pool, 'heavy', 10), picked(pool, 'heavy', 10)], ['premium', 'general', 'cheap']);
    const exhausted = pool.pick('heavy', 10);
    assert.ok(!exhausted.ok);
    assert.equal(exhausted.waitMs, 60_000);
    assert.match(exhausted.message, /no usable key of anthropic for heavy work, retry after 1 min/);

    const strict = new KeyPool('anthropic', keys, { clock, strictTiers: true });
    assert.deepEqual([picked(strict, 'heavy', 10), picked(strict, 'heavy', 10)], ['premium', 'general']);
    const none = strict.pick('heavy', 10);
    assert.ok(!none.ok);
    assert.deepEqual(none.skipped.map((k) => [k.keyId, k.reason]), [['premium', 'limit'], ['general', 'limit'], ['cheap', 'tier']]);
    assert.match(none.message, /cheap: serves light only/);
  });

  it('lowest priority value first, then least recently used', () => {
    const clock = new FakeClock(0);
    const keys: KeyConfig[] = [{ id: 'backup', priority: 1 }, { id: 'a' }, { id: 'b' }];
    const pool = new KeyPool('openai', keys, { clock });
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      order.push(picked(pool, 'medium', 100));
      clock.advance(10);
    }
    assert.deepEqual(order, ['a', 'b', 'a', 'b']);
  });

  it('a lower-priority key takes over when the preferred ones are limited', () => {
    const clock = new FakeClock(0);
    const pool = new KeyPool('openai', [{ id: 'main', limits: { rpm: 1 } }, { id: 'backup', priority: 5 }], { clock });
    assert.equal(picked(pool, 'light', 10), 'main');
    const next = pool.acquire('light', 10);
    assert.ok(next.ok);
    assert.equal(next.keyId, 'backup');
    assert.deepEqual(
      next.skipped.map((entry) => [entry.keyId, entry.reason]),
      [['main', 'limit']],
    );
  });

  it('with strictTiers, tier-tagged keys serve only their tiers; untagged keys serve all', () => {
    const clock = new FakeClock(0);
    const pool = new KeyPool(
      'anthropic',
      [
        { id: 'cheap', tiers: ['light'] },
        { id: 'premium', tiers: ['heavy', 'medium'] },
      ],
      { clock },
    );
    assert.equal(picked(pool, 'light', 10), 'cheap');
    assert.equal(picked(pool, 'heavy', 10), 'premium');
    const onlyLight = new KeyPool('anthropic', [{ id: 'cheap', tiers: ['light'] }], { clock, strictTiers: true });
    const none = onlyLight.pick('heavy', 10);
    assert.equal(none.ok, false);
    assert.ok(!none.ok);
    assert.equal(none.waitMs, undefined);
    assert.match(none.message, /no key of anthropic serves heavy work \(cheap: serves light only\)/);
    const all = new KeyPool('anthropic', [{ id: 'default', tiers: [] }], { clock });
    assert.equal(picked(all, 'heavy', 10), 'default');
  });

  it('rotation on 429: the penalized key rests until its Retry-After and the next pick takes another key', () => {
    const clock = new FakeClock(0);
    const pool = new KeyPool('openai', [{ id: 'work' }, { id: 'personal', priority: 1 }], { clock });
    assert.equal(picked(pool, 'medium', 100), 'work');
    pool.penalize('work', 30_000);
    assert.equal(picked(pool, 'medium', 100), 'personal');
    pool.penalize('personal', undefined);
    const exhausted = pool.pick('medium', 100);
    assert.ok(!exhausted.ok);
    assert.equal(exhausted.waitMs, DEFAULT_PENALTY_MS, 'the shortest wait: the default penalty of personal');
    assert.match(exhausted.message, /no usable key of openai for medium work, retry after 5 s/);
    assert.match(exhausted.message, /work: rate limited by the provider \(429\), usable in 30 s/);
    clock.advance(DEFAULT_PENALTY_MS);
    assert.equal(picked(pool, 'medium', 100), 'personal');
    clock.advance(30_000);
    assert.equal(picked(pool, 'medium', 100), 'work');
  });

  it('shortest wait across keys limited by different limits', () => {
    const clock = new FakeClock(0);
    const pool = new KeyPool(
      'gemini',
      [
        { id: 'a', limits: { rpm: 2 } },
        { id: 'b', limits: { minIntervalMs: 4_000 } },
      ],
      { clock },
    );
    picked(pool, 'light', 1);
    picked(pool, 'light', 1);
    picked(pool, 'light', 1);
    const result = pool.pick('light', 1);
    assert.ok(!result.ok);
    assert.equal(result.waitMs, 4_000);
    assert.deepEqual(
      result.skipped.map((entry) => (entry.reason === 'limit' ? [entry.keyId, entry.limit, entry.waitMs] : [])),
      [
        ['a', 'rpm', 30_000],
        ['b', 'minInterval', 4_000],
      ],
    );
  });

  it('an auth-dead key stays unusable until a new fingerprint revives it', () => {
    const clock = new FakeClock(0);
    const pool = new KeyPool('anthropic', [{ id: 'default' }, { id: 'spare', priority: 9 }], { clock });
    pool.setFingerprint('default', 'fp-old');
    assert.equal(pool.markAuthFailed('default', 'fp-old'), true);
    assert.equal(picked(pool, 'heavy', 10), 'spare');
    clock.advance(86_400_000);
    assert.equal(picked(pool, 'heavy', 10), 'spare', 'time alone does not revive it');
    pool.setFingerprint('default', 'fp-old');
    assert.equal(picked(pool, 'heavy', 10), 'spare', 'the same secret stored again stays dead');
    pool.setFingerprint('default', 'fp-new');
    assert.equal(picked(pool, 'heavy', 10), 'default');
    const status = pool.snapshot().find((entry) => entry.keyId === 'default');
    assert.equal(status?.authFailed, false);
  });

  it('an auth failure of an old secret does not kill a key whose secret has already changed', () => {
    const pool = new KeyPool('openai', [{ id: 'default' }], { clock: new FakeClock(0) });
    pool.setFingerprint('default', 'fp-new');
    assert.equal(pool.markAuthFailed('default', 'fp-old'), false);
    assert.ok(pool.pick('light', 1).ok);
  });

  it('all keys dead: no wait helps, the message says why', () => {
    const pool = new KeyPool('openai', [{ id: 'default' }, { id: 'ci' }], { clock: new FakeClock(0) });
    pool.markAuthFailed('default', 'f1');
    pool.setFingerprint('ci', undefined);
    const result = pool.pick('light', 1);
    assert.ok(!result.ok);
    assert.equal(result.waitMs, undefined);
    assert.deepEqual(
      result.skipped.map((entry) => entry.reason),
      ['auth', 'missing'],
    );
    assert.match(result.message, /default: authentication failed; usable again when the key changes; ci: no key stored/);
  });

  it('a per-key circuit breaker gates keys through pick', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(
      { consecutiveFailures: 1, failureRate: 1, minRequests: 100, windowMs: 60_000, cooldownMs: 10_000 },
      { clock },
    );
    const acquired = breaker.acquire();
    assert.ok(acquired.ok);
    acquired.permit.failure({ kind: 'server', message: '500' });
    const pool = new KeyPool('openai', [{ id: 'a' }, { id: 'b', priority: 1 }], { clock });
    const gate = (keyId: string, now: number): ReturnType<CircuitBreaker['check']> =>
      keyId === 'a' ? breaker.check(now) : { ok: true, probe: false };
    const result = pool.pick('light', 1, clock.now(), gate);
    assert.ok(result.ok);
    assert.equal(result.keyId, 'b');
    assert.equal(result.skipped[0]?.reason, 'circuit');
  });

  it('setKeys keeps the state of keys that stay', () => {
    const clock = new FakeClock(0);
    const pool = new KeyPool('openai', [{ id: 'a', limits: { rpm: 1 } }, { id: 'b' }], { clock });
    let changes = 0;
    pool.onDidChange(() => changes++);
    picked(pool, 'light', 1);
    pool.penalize('b', 60_000);
    pool.setKeys([{ id: 'a', limits: { rpm: 1 } }, { id: 'b', priority: 2 }, { id: 'c', priority: 3 }]);
    const result = pool.pick('light', 1);
    assert.ok(result.ok);
    assert.equal(result.keyId, 'c');
    assert.equal(changes, 2);
    assert.deepEqual(pool.keyIds, ['a', 'b', 'c']);
  });
});
