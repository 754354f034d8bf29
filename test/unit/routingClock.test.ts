import assert from 'node:assert/strict';

import { FakeClock, systemClock } from '../../src/core/routing/clock';
import { Emitter } from '../../src/core/util/emitter';

describe('routing: clock', () => {
  it('FakeClock resolves a sleep only once its deadline has passed, earliest first', async () => {
    const clock = new FakeClock(1_000);
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push('b'));
    void clock.sleep(100).then(() => woke.push('a'));
    clock.advance(99);
    await Promise.resolve();
    assert.deepEqual(woke, []);
    assert.equal(clock.pendingSleeps, 2);
    clock.advance(300);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(woke, ['a', 'b']);
    assert.equal(clock.now(), 1_399);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('advanceAsync wakes sleeps chained within the span at their own times', async () => {
    const clock = new FakeClock(0);
    const times: number[] = [];
    const loop = (async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        times.push(clock.now());
      }
    })();
    await clock.advanceAsync(1_000);
    await loop;
    assert.deepEqual(times, [100, 200, 300]);
    assert.equal(clock.now(), 1_000);
  });

  it('an aborted sleep rejects with the abort reason and is forgotten', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort();
    await assert.rejects(sleeping, (error: unknown) => error instanceof Error && error.name === 'AbortError');
    assert.equal(clock.pendingSleeps, 0);
    await assert.rejects(clock.sleep(10, controller.signal));
  });

  it('systemClock sleeps in real time and honours abort', async () => {
    const start = Date.now();
    await systemClock.sleep(5);
    assert.ok(Date.now() - start >= 4);
    const controller = new AbortController();
    const sleeping = systemClock.sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(sleeping, /stop/);
  });

  it('Emitter delivers to every listener even when one throws, and unsubscribes', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<number>((error) => errors.push(error));
    const seen: number[] = [];
    emitter.event(() => {
      throw new Error('broken view');
    });
    const subscription = emitter.event((value) => seen.push(value));
    emitter.fire(1);
    subscription.dispose();
    emitter.fire(2);
    assert.deepEqual(seen, [1]);
    assert.equal(errors.length, 2);
  });
});
