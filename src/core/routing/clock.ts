/**
 * Time and change notification for the routing mechanisms (rate limits, circuit breakers, retries, budgets,
 * latency). Everything that reads the time takes a {@link Clock}, so tests run on a {@link FakeClock} and never
 * wait for real time; nothing here starts a timer of its own (state that expires is evaluated lazily at `now`).

 */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason (an `AbortError` by default) when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The reason to reject with when `signal` aborted: its own reason, else a DOMException named AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

function systemSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Real time: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
  sleep: systemSleep,
});

interface Sleeper {
  readonly deadline: number;
  readonly seq: number;
  readonly resolve: () => void;
  readonly cleanup: () => void;
}

/**
 * Time that moves only when a test says so. `advance(ms)` moves the time and resolves every sleep whose deadline
 * has passed, earliest first; `advanceAsync(ms)` does the same step by step, letting promise callbacks run at
 * each deadline, so code that sleeps in a loop (sleep, then sleep again) wakes up as it would in real time.
 */
export class FakeClock implements Clock {
  private time: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const seq = this.seq++;
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((sleeper) => sleeper.seq !== seq);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push({
        deadline: this.time + ms,
        seq,
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
    });
  }

  /** Sleeps not yet resolved. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** Moves the time forward by `ms` and resolves the sleeps that are due (their callbacks run afterwards). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('FakeClock cannot go back in time');
    this.time += ms;
    this.wakeDue();
  }

  /** Sets the time (forward only) and resolves the sleeps that are due. */
  setTime(ms: number): void {
    this.advance(ms - this.time);
  }

  /**
   * Moves forward by `ms` one deadline at a time, letting pending promise callbacks and immediates run after each,
   * so a sleep started by a woken sleeper within the span also resolves.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError('FakeClock cannot go back in time');
    const target = this.time + ms;
    await flush();
    for (;;) {
      const next = this.nextDeadline();
      if (next === undefined || next > target) break;
      this.time = Math.max(this.time, next);
      this.wakeDue();
      await flush();
    }
    this.time = target;
    await flush();
  }

  private nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const sleeper of this.sleepers) if (next === undefined || sleeper.deadline < next) next = sleeper.deadline;
    return next;
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((sleeper) => sleeper.deadline <= this.time);
    if (due.length === 0) return;
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.deadline > this.time);
    due.sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
    for (const sleeper of due) {
      sleeper.cleanup();
      sleeper.resolve();
    }
  }
}

function flush(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
