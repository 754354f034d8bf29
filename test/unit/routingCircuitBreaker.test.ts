import assert from 'node:assert/strict';

import type { CircuitConfig } from '../../src/core/config/types';
import type { ErrorKind } from '../../src/core/providers/errors';
import { ERROR_KINDS, ProviderError } from '../../src/core/providers/errors';
import type { BreakerChange, BreakerFailure, BreakerPermit } from '../../src/core/routing/circuitBreaker';
import { BreakerRegistry, CircuitBreaker, counts } from '../../src/core/routing/circuitBreaker';
import { FakeClock } from '../../src/core/routing/clock';

const CONFIG: CircuitConfig = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  minRequests: 6,
  windowMs: 60_000,
  cooldownMs: 30_000,
};

function failure(kind: ErrorKind, retryAfterMs?: number): BreakerFailure {
  return new ProviderError({ provider: 'anthropic', kind, message: `${kind} happened`, retryAfterMs });
}

function permit(breaker: CircuitBreaker): BreakerPermit {
  const acquired = breaker.acquire();
  assert.ok(acquired.ok, acquired.ok ? '' : acquired.reason);
  return acquired.permit;
}

function fail(breaker: CircuitBreaker, kind: ErrorKind = 'server', retryAfterMs?: number): void {
  permit(breaker).failure(failure(kind, retryAfterMs));
}

function succeed(breaker: CircuitBreaker): void {
  permit(breaker).success();
}

describe('routing: circuit breaker', () => {
  it('counts exactly 429, 5xx, 503/529, timeout and network', () => {
    const counted = ERROR_KINDS.filter((kind) => counts({ kind }));
    assert.deepEqual(counted.sort(), ['network', 'overloaded', 'rate_limit', 'server', 'timeout']);
  });

  it('opens after N consecutive counted failures; a success in between resets the run', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock });
    fail(breaker);
    fail(breaker);
    succeed(breaker);
    fail(breaker);
    fail(breaker);
    assert.equal(breaker.snapshot().state, 'healthy');
    assert.equal(breaker.snapshot().consecutiveFailures, 2);
    fail(breaker, 'overloaded');
    const snapshot = breaker.snapshot();
    assert.equal(snapshot.state, 'open');
    assert.equal(snapshot.until, 30_000);
    assert.equal(snapshot.openedBecause, '3 consecutive failures: overloaded');
    assert.deepEqual(snapshot.lastError, { kind: 'overloaded', message: 'overloaded happened', at: 0 });
    const refused = breaker.acquire();
    assert.ok(!refused.ok);
    assert.equal(refused.waitMs, 30_000);
    assert.match(refused.reason, /circuit open \(3 consecutive failures: overloaded\), probe in 30 s/);
  });

  it('a 400 (and other uncounted kinds) neither counts nor resets the run', () => {
    const breaker = new CircuitBreaker(CONFIG, { clock: new FakeClock(0) });
    fail(breaker);
    fail(breaker);
    for (const kind of ['bad_request', 'context_length', 'content_filter', 'auth', 'aborted'] as const) fail(breaker, kind);
    const snapshot = breaker.snapshot();
    assert.equal(snapshot.state, 'healthy');
    assert.equal(snapshot.consecutiveFailures, 2);
    assert.equal(snapshot.recentRequests, 2);
    assert.equal(snapshot.lastError?.kind, 'server');
  });

  it('opens on the failure rate once the window holds at least minRequests', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker({ ...CONFIG, consecutiveFailures: 10 }, { clock });
    // s f s f s: 40% of 5 — under minRequests and under the rate.
    for (const outcome of ['s', 'f', 's', 'f', 's']) {
      if (outcome === 's') succeed(breaker);
      else fail(breaker, 'timeout');
      clock.advance(1_000);
    }
    fail(breaker, 'timeout'); // 3 of 6 = 50%
    const snapshot = breaker.snapshot();
    assert.equal(snapshot.state, 'open');
    assert.equal(snapshot.openedBecause, '50% of 6 requests failed: timeout');
    assert.equal(snapshot.recentFailureRate, 0.5);
  });

  it('old outcomes leave the sliding window', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker({ ...CONFIG, consecutiveFailures: 10 }, { clock });
    fail(breaker);
    fail(breaker);
    fail(breaker);
    succeed(breaker);
    clock.advance(60_000); // those four have left the window
    succeed(breaker);
    succeed(breaker);
    fail(breaker);
    fail(breaker);
    succeed(breaker);
    assert.equal(breaker.snapshot().recentRequests, 5);
    fail(breaker); // 3 of 6 in the window
    assert.equal(breaker.snapshot().state, 'open');
  });

  it('stays open for max(cooldown, the Retry-After that opened it) and shows cooling_down for throttling', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock });
    fail(breaker, 'rate_limit');
    fail(breaker, 'rate_limit');
    fail(breaker, 'rate_limit', 90_000);
    const snapshot = breaker.snapshot();
    assert.equal(snapshot.state, 'cooling_down');
    assert.equal(snapshot.until, 90_000);
    clock.advance(89_999);
    assert.equal(breaker.check().ok, false);
    clock.advance(1);
    assert.deepEqual(breaker.check(), { ok: true, probe: true });
    assert.equal(breaker.snapshot().state, 'half_open');

    const short = new CircuitBreaker(CONFIG, { clock });
    fail(short, 'server');
    fail(short, 'server');
    fail(short, 'server', 2_000);
    assert.equal(short.snapshot().until, clock.now() + 30_000, 'a shorter Retry-After does not shorten the cooldown');
  });

  it('half-open admits exactly one probe; a concurrent request is refused at once', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock });
    for (let i = 0; i < 3; i++) fail(breaker);
    clock.advance(30_000);
    const probe = breaker.acquire();
    assert.ok(probe.ok);
    assert.equal(probe.permit.probe, true);
    const second = breaker.acquire();
    assert.ok(!second.ok);
    assert.match(second.reason, /probe request is in flight/);
    assert.equal(breaker.snapshot().probeInFlight, true);
    probe.permit.success();
    assert.equal(breaker.snapshot().state, 'healthy');
    assert.equal(breaker.snapshot().consecutiveFailures, 0);
    assert.ok(breaker.acquire().ok);
  });

  it('a failed probe re-opens with the cooldown doubled up to the cap; success restores the base', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock, maxCooldownMs: 100_000 });
    for (let i = 0; i < 3; i++) fail(breaker);
    const untils: number[] = [];
    for (let round = 0; round < 3; round++) {
      clock.advance(breaker.snapshot().until! - clock.now());
      const probe = permit(breaker);
      assert.equal(probe.probe, true);
      probe.failure(failure('network'));
      const snapshot = breaker.snapshot();
      assert.equal(snapshot.state, 'open');
      assert.equal(snapshot.openedBecause, 'probe failed: network');
      untils.push(snapshot.until! - clock.now());
    }
    assert.deepEqual(untils, [60_000, 100_000, 100_000]);
    clock.advance(100_000);
    permit(breaker).success();
    assert.equal(breaker.snapshot().cooldownMs, 30_000);
  });

  it('a probe ending in an uncounted error closes (the server answered); an aborted probe frees the slot', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock });
    for (let i = 0; i < 3; i++) fail(breaker);
    clock.advance(30_000);
    permit(breaker).failure(failure('aborted'));
    assert.equal(breaker.snapshot().state, 'half_open');
    assert.equal(breaker.snapshot().probeInFlight, false);
    const released = permit(breaker);
    assert.equal(released.probe, true);
    released.release();
    permit(breaker).failure(failure('bad_request'));
    assert.equal(breaker.snapshot().state, 'healthy');
  });

  it('a lost probe is presumed dead after probeTimeoutMs', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock, probeTimeoutMs: 60_000 });
    for (let i = 0; i < 3; i++) fail(breaker);
    clock.advance(30_000);
    const lost = permit(breaker);
    clock.advance(59_999);
    assert.equal(breaker.acquire().ok, false);
    clock.advance(1);
    const next = permit(breaker);
    assert.equal(next.probe, true);
    lost.success(); // too late: it no longer holds the probe slot
    assert.equal(breaker.snapshot().state, 'half_open');
    next.success();
    assert.equal(breaker.snapshot().state, 'healthy');
  });

  it('outcomes of requests admitted before the breaker opened do not close it', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock });
    const slow = permit(breaker);
    for (let i = 0; i < 3; i++) fail(breaker);
    slow.success();
    assert.equal(breaker.snapshot().state, 'open');
    clock.advance(30_000);
    const probe = permit(breaker);
    slow.success();
    assert.equal(breaker.snapshot().probeInFlight, true);
    probe.success();
    assert.equal(breaker.snapshot().state, 'healthy');
  });

  it('a permit reports one outcome only', () => {
    const breaker = new CircuitBreaker(CONFIG, { clock: new FakeClock(0) });
    const once = permit(breaker);
    once.failure(failure('server'));
    once.failure(failure('server'));
    once.failure(failure('server'));
    assert.equal(breaker.snapshot().consecutiveFailures, 1);
  });

  it('manual reset closes and clears everything', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock });
    for (let i = 0; i < 3; i++) fail(breaker);
    breaker.reset();
    const snapshot = breaker.snapshot();
    assert.equal(snapshot.state, 'healthy');
    assert.equal(snapshot.consecutiveFailures, 0);
    assert.equal(snapshot.recentRequests, 0);
    assert.equal(snapshot.lastError, undefined);
    assert.equal(snapshot.until, undefined);
    assert.deepEqual(breaker.check(), { ok: true, probe: false });
  });

  it('emits change events for the tree view, including the lazy end of a cooldown', () => {
    const clock = new FakeClock(0);
    const breaker = new CircuitBreaker(CONFIG, { clock });
    const changes: BreakerChange[] = [];
    breaker.onDidChange((change) => changes.push(change));
    fail(breaker);
    fail(breaker);
    fail(breaker, 'rate_limit', 45_000);
    clock.advance(45_000);
    breaker.snapshot(); // the view refreshes at `until`
    const probe = permit(breaker);
    probe.success();
    assert.deepEqual(
      changes.map((change) => `${change.previous}->${change.snapshot.state}`),
      [
        'healthy->healthy',
        'healthy->healthy',
        'healthy->cooling_down',
        'cooling_down->half_open',
        'half_open->half_open',
        'half_open->healthy',
      ],
    );
    assert.equal(changes[2]?.snapshot.until, 45_000);
    assert.equal(changes[1]?.snapshot.consecutiveFailures, 2);
  });

  it('the registry keeps one breaker per provider and per key, and forwards their events', () => {
    const clock = new FakeClock(0);
    const registry = new BreakerRegistry({ ...CONFIG, consecutiveFailures: 1 }, { clock });
    const seen: string[] = [];
    registry.onDidChange((change) => seen.push(`${change.providerId}/${change.keyId ?? '*'}:${change.snapshot.state}`));
    assert.equal(registry.get('openai'), registry.get('openai'));
    assert.notEqual(registry.get('openai'), registry.get('openai', 'work'));
    fail(registry.get('openai', 'work'), 'rate_limit', 10_000);
    assert.deepEqual(seen, ['openai/work:cooling_down']);
    assert.equal(registry.get('openai').snapshot().state, 'healthy');
    assert.equal(registry.entries().length, 2);
    registry.resetAll();
    assert.equal(registry.get('openai', 'work').snapshot().state, 'healthy');
    registry.dispose();
  });
});
