import assert from 'node:assert/strict';

import { FakeClock } from '../../src/core/routing/clock';
import { LatencyTracker } from '../../src/core/routing/latency';

describe('routing: latency', () => {
  it('no samples: no estimate', () => {
    const tracker = new LatencyTracker({ clock: new FakeClock(0) });
    assert.equal(tracker.p50('openai', 'gpt'), undefined);
  });

  it('the median of steady samples, robust to one outlier', () => {
    const clock = new FakeClock(0);
    const tracker = new LatencyTracker({ clock });
    for (const ms of [400, 420, 380, 9_000, 410, 390, 405]) {
      tracker.record('anthropic', 'haiku', ms);
      clock.advance(1_000);
    }
    const p50 = tracker.p50('anthropic', 'haiku')!;
    assert.ok(p50 >= 390 && p50 <= 410, `p50 ${p50}`);
  });

  it('follows a shift in latency within a burst (sample half-life)', () => {
    const clock = new FakeClock(0);
    const tracker = new LatencyTracker({ clock, halfLifeSamples: 10 });
    for (let i = 0; i < 32; i++) {
      tracker.record('openai', 'gpt', 300 + (i % 5));
      clock.advance(500);
    }
    assert.ok(tracker.p50('openai', 'gpt')! < 400);
    const after: number[] = [];
    for (let i = 0; i < 12; i++) {
      tracker.record('openai', 'gpt', 2_000 + (i % 5));
      clock.advance(500);
      after.push(tracker.p50('openai', 'gpt')!);
    }
    assert.ok(after[2]! < 400, 'three slow answers do not flip it');
    const flipped = after.findIndex((p50) => p50 >= 2_000);
    assert.ok(flipped >= 5 && flipped <= 10, `flipped after ${flipped + 1} slow samples`);
    assert.ok(after[11]! >= 2_000);
  });

  it('time decay: a fresh sample outweighs a ring of old ones; idle estimates go stale', () => {
    const clock = new FakeClock(0);
    const tracker = new LatencyTracker({ clock, halfLifeMs: 600_000, halfLifeSamples: 1_000 });
    for (let i = 0; i < 5; i++) tracker.record('gemini', 'flash', 1_500);
    clock.advance(60 * 60_000); // an hour: each old sample now weighs 1/64
    tracker.record('gemini', 'flash', 600);
    const estimate = tracker.estimate('gemini', 'flash')!;
    assert.equal(estimate.p50Ms, 600);
    assert.equal(estimate.samples, 6);
    assert.equal(estimate.stale, false);
    clock.advance(20 * 60_000);
    const idle = tracker.estimate('gemini', 'flash')!;
    assert.equal(idle.p50Ms, 600, 'time alone does not move the median');
    assert.ok(idle.stale, `weight ${idle.weight} after 20 idle minutes`);
  });

  it('keeps models apart, forgets on request, and bounds memory to the capacity', () => {
    const clock = new FakeClock(0);
    const tracker = new LatencyTracker({ clock, capacity: 8 });
    for (let i = 0; i < 1_000; i++) tracker.record('openai', 'a', 100);
    tracker.record('openai', 'b', 900);
    tracker.record('anthropic', 'a', 500);
    assert.equal(tracker.estimate('openai', 'a')?.samples, 8);
    assert.equal(tracker.p50('openai', 'b'), 900);
    tracker.clear('openai');
    assert.equal(tracker.p50('openai', 'a'), undefined);
    assert.equal(tracker.p50('anthropic', 'a'), 500);
  });
});
