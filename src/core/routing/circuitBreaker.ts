/**
 * Health of a provider, or of one key of a provider: a circuit breaker.
 *
 * - closed: requests pass. Opens after `consecutiveFailures` counted failures in a row, OR when counted failures
 *   are at least `failureRate` of at least `minRequests` requests in the last `windowMs`.
 * - open: requests are refused until `until` = opening time + max(cooldown, the Retry-After of the failure that
 *   opened it). No timer runs: the state is evaluated at `now`, and the UI schedules its refresh at `until`.
 * - half-open: from `until` on, exactly one request (the probe) is admitted; others are refused at once, so the
 *   router moves to the next candidate instead of queueing behind the probe. Probe success closes the breaker and
 *   restores the base cooldown; a counted probe failure re-opens it with the cooldown doubled (up to a cap). A probe
 *   that ends in an error that does not count (400, auth, content filter) closes it too, since the server
 *   answered; an aborted probe frees the slot for the next request.
 *
 * Outcomes are reported through the {@link BreakerPermit} that {@link CircuitBreaker.acquire} hands out, so a slow
 * answer to a request sent before the breaker opened cannot close it, and a probe's result cannot be confused
 * with another request's. Streaming callers may report success at the first chunk: the provider is healthy then.
 *
 * Which errors count is explicit ({@link COUNTED_KINDS}, STYLE 9): rate limits (429), server errors (5xx),
 * overload (503/529), timeouts and network failures count; bad requests, context length, content filter,
 * authentication (the key's problem, handled by the key pool) and aborts (the user's choice) do not.
 */
import type { CircuitConfig } from '../config/types';
import type { ErrorKind } from '../providers/errors';
import type { Listen } from '../util/emitter';
import { Emitter } from '../util/emitter';
import { formatMs } from '../util/format';
import type { Clock } from './clock';
import { systemClock } from './clock';

export const COUNTED_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'rate_limit',
  'server',
  'overloaded',
  'timeout',
  'network',
]);

/** Whether an error counts as a failure for the breaker. A `ProviderError` fits this parameter. */
export function counts(error: { readonly kind: ErrorKind }): boolean {
  return COUNTED_KINDS.has(error.kind);
}

/** What the breaker needs from a failure; a `ProviderError` fits. */
export interface BreakerFailure {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly retryAfterMs?: number | undefined;
}

/**
 * What the UI shows.
 * - `healthy`: closed.
 * - `cooling_down`: open because the provider throttled us (the opening failure was a 429 or carried a
 *   Retry-After): it works, it asked us to wait until `until`. Tree: "cooling down until 14:32".
 * - `open`: open because requests failed (5xx, overload, timeouts, network): `until` is our own cooldown.
 *   Tree: "circuit open until 14:33".
 * - `half_open`: the cooldown is over; the next request probes (`probeInFlight` once it is sent).
 */
export type HealthState = 'healthy' | 'cooling_down' | 'open' | 'half_open';

export interface BreakerSnapshot {
  readonly state: HealthState;
  /** When open or cooling down: when the probe will be allowed. */
  readonly until?: number;
  readonly probeInFlight: boolean;
  readonly consecutiveFailures: number;
  /** Counted failures / requests with an outcome in the window; 0 without requests. */
  readonly recentFailureRate: number;
  readonly recentRequests: number;
  /** Cooldown the next opening will use (doubles after failed probes, back to the base on close). */
  readonly cooldownMs: number;
  /** Why it opened, for tooltips ("3 consecutive failures", "60% of 10 requests failed", "probe failed"). */
  readonly openedBecause?: string;
  readonly lastError?: { readonly kind: ErrorKind; readonly message: string; readonly at: number };
}

export interface BreakerChange {
  readonly previous: HealthState;
  readonly snapshot: BreakerSnapshot;
}

/** Whether a request would be admitted now (no side effect on the probe slot). */
export type Admission =
  | { readonly ok: true; readonly probe: boolean }
  | { readonly ok: false; readonly waitMs?: number; readonly reason: string };

/** One admitted request. Report exactly one outcome; later calls are ignored. */
export interface BreakerPermit {
  readonly probe: boolean;
  success(now?: number): void;
  /** Counted kinds are failures; other kinds are neutral (and close a half-open breaker, except `aborted`). */
  failure(error: BreakerFailure, now?: number): void;
  /** The request was never sent, or says nothing about health: frees a probe slot. */
  release(): void;
}

export type Acquisition =
  | { readonly ok: true; readonly permit: BreakerPermit }
  | { readonly ok: false; readonly waitMs?: number; readonly reason: string };

export interface BreakerOptions {
  readonly clock?: Clock;
  /** Longest cooldown after repeated failed probes. Default 8 × the configured cooldown. */
  readonly maxCooldownMs?: number;
  /**
   * A probe without an outcome after this long is presumed lost and another request may probe. JUDGEMENT: default
   * 300 s, the adapters' default total request timeout, so a real probe is never doubled up.
   */
  readonly probeTimeoutMs?: number;
  readonly onListenerError?: (error: unknown) => void;
}

type Inner =
  | { readonly kind: 'closed' }
  | { readonly kind: 'open'; readonly until: number; readonly throttled: boolean }
  | { readonly kind: 'half_open'; readonly probeId: number | undefined; readonly probeSince: number };

const DEFAULT_PROBE_TIMEOUT_MS = 300_000;

export class CircuitBreaker {
  private config: CircuitConfig;
  private readonly clock: Clock;
  private readonly maxCooldownOption: number | undefined;
  private readonly probeTimeoutMs: number;
  private inner: Inner = { kind: 'closed' };
  /** Bumped on every state transition; permits from an older epoch do not move the state. */
  private epoch = 0;
  private nextProbeId = 1;
  private consecutive = 0;
  private cooldownMs: number;
  private openedBecause: string | undefined;
  private lastError: BreakerSnapshot['lastError'];
  /** Outcomes in the window, oldest first: times and whether each was a counted failure. */
  private windowTimes: number[] = [];
  private windowFailed: boolean[] = [];
  private windowStart = 0;
  private windowFailures = 0;
  private readonly changed: Emitter<BreakerChange>;
  readonly onDidChange: Listen<BreakerChange>;

  constructor(config: CircuitConfig, options: BreakerOptions = {}) {
    this.config = config;
    this.clock = options.clock ?? systemClock;
    this.maxCooldownOption = options.maxCooldownMs;
    this.probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.cooldownMs = config.cooldownMs;
    this.changed = new Emitter<BreakerChange>(options.onListenerError);
    this.onDidChange = this.changed.event;
  }

  private get maxCooldownMs(): number {
    return Math.max(this.config.cooldownMs, this.maxCooldownOption ?? this.config.cooldownMs * 8);
  }

  /** New thresholds (configuration reloaded); the current state stays. */
  setConfig(config: CircuitConfig): void {
    this.config = config;
    this.cooldownMs = Math.min(Math.max(this.cooldownMs, config.cooldownMs), this.maxCooldownMs);
  }

  /** Would a request be admitted now? For filtering candidates before choosing (STYLE 9). */
  check(now: number = this.clock.now()): Admission {
    this.settle(now);
    const inner = this.inner;
    switch (inner.kind) {
      case 'closed':
        return { ok: true, probe: false };
      case 'open': {
        const label = inner.throttled ? 'cooling down' : 'circuit open';
        const because = this.openedBecause ?? 'failures';
        const reason = `${label} (${because}), probe in ${formatMs(Math.max(0, inner.until - now))}`;
        return { ok: false, waitMs: inner.until - now, reason };
      }
      case 'half_open':
        return inner.probeId === undefined
          ? { ok: true, probe: true }
          : { ok: false, reason: 'circuit half-open, a probe request is in flight' };
    }
  }

  /** Admits a request (taking the probe slot when half-open) and returns its permit. */
  acquire(now: number = this.clock.now()): Acquisition {
    const admission = this.check(now);
    if (!admission.ok) return admission;
    if (!admission.probe) return { ok: true, permit: this.permit(false, this.epoch) };
    const probeId = this.nextProbeId++;
    const previous = this.health();
    this.inner = { kind: 'half_open', probeId, probeSince: now };
    this.emit(previous);
    return { ok: true, permit: this.permit(true, this.epoch, probeId) };
  }

  /** Manual reset: closed, counters cleared, base cooldown. */
  reset(): void {
    const previous = this.health();
    this.transition({ kind: 'closed' });
    this.consecutive = 0;
    this.cooldownMs = this.config.cooldownMs;
    this.openedBecause = undefined;
    this.lastError = undefined;
    this.clearWindow();
    this.emit(previous);
  }

  snapshot(now: number = this.clock.now()): BreakerSnapshot {
    this.settle(now);
    return this.snapshotAt(now);
  }

  dispose(): void {
    this.changed.dispose();
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  private permit(probe: boolean, epoch: number, probeId?: number): BreakerPermit {
    let done = false;
    const once = (action: () => void): void => {
      if (done) return;
      done = true;
      action();
    };
    return {
      probe,
      success: (now = this.clock.now()) => once(() => this.onSuccess(epoch, probeId, now)),
      failure: (error, now = this.clock.now()) => once(() => this.onFailure(epoch, probeId, error, now)),
      release: () => once(() => this.onRelease(epoch, probeId)),
    };
  }

  private isCurrentProbe(epoch: number, probeId: number | undefined): boolean {
    const inner = this.inner;
    return probeId !== undefined && epoch === this.epoch && inner.kind === 'half_open' && inner.probeId === probeId;
  }

  private onSuccess(epoch: number, probeId: number | undefined, now: number): void {
    if (probeId !== undefined) {
      if (this.isCurrentProbe(epoch, probeId)) this.close();
      return;
    }
    if (epoch !== this.epoch || this.inner.kind !== 'closed') return;
    this.record(now, false);
    if (this.consecutive > 0) {
      this.consecutive = 0;
      this.emit('healthy');
    }
  }

  private onFailure(epoch: number, probeId: number | undefined, error: BreakerFailure, now: number): void {
    const counted = counts(error);
    if (probeId !== undefined) {
      if (!this.isCurrentProbe(epoch, probeId)) return;
      if (error.kind === 'aborted') {
        this.freeProbe(now);
      } else if (!counted) {
        this.close();
      } else {
        this.lastError = { kind: error.kind, message: error.message, at: now };
        this.cooldownMs = Math.min(this.cooldownMs * 2, this.maxCooldownMs);
        this.open(now, error, 'probe failed');
      }
      return;
    }
    if (!counted || epoch !== this.epoch || this.inner.kind !== 'closed') return;
    this.consecutive++;
    this.lastError = { kind: error.kind, message: error.message, at: now };
    this.record(now, true);
    const requests = this.windowTimes.length - this.windowStart;
    const rate = requests === 0 ? 0 : this.windowFailures / requests;
    if (this.consecutive >= this.config.consecutiveFailures) {
      this.open(now, error, `${this.consecutive} consecutive failures`);
    } else if (requests >= this.config.minRequests && rate >= this.config.failureRate) {
      this.open(now, error, `${Math.round(rate * 100)}% of ${requests} requests failed`);
    } else {
      this.emit('healthy');
    }
  }

  private onRelease(epoch: number, probeId: number | undefined): void {
    if (this.isCurrentProbe(epoch, probeId)) this.freeProbe(this.clock.now());
  }

  private freeProbe(now: number): void {
    const previous = this.health();
    this.inner = { kind: 'half_open', probeId: undefined, probeSince: now };
    this.emit(previous);
  }

  private open(now: number, error: BreakerFailure, because: string): void {
    const previous = this.health();
    const retryAfter = error.retryAfterMs ?? 0;
    const throttled = error.kind === 'rate_limit' || error.retryAfterMs !== undefined;
    const hint = error.retryAfterMs === undefined ? '' : `, retry after ${formatMs(Math.max(0, retryAfter))}`;
    this.openedBecause = `${because}: ${error.kind}${hint}`;
    this.transition({ kind: 'open', until: now + Math.max(this.cooldownMs, retryAfter), throttled });
    this.emit(previous);
  }

  private close(): void {
    const previous = this.health();
    this.transition({ kind: 'closed' });
    this.consecutive = 0;
    this.cooldownMs = this.config.cooldownMs;
    this.openedBecause = undefined;
    this.clearWindow();
    this.emit(previous);
  }

  private transition(inner: Inner): void {
    this.inner = inner;
    this.epoch++;
  }

  /** Lazy transitions at `now`: open -> half-open when the cooldown is over; a lost probe frees its slot. */
  private settle(now: number): void {
    const inner = this.inner;
    if (inner.kind === 'open' && now >= inner.until) {
      const previous = this.health();
      this.transition({ kind: 'half_open', probeId: undefined, probeSince: now });
      this.emit(previous, now);
    } else if (
      inner.kind === 'half_open' &&
      inner.probeId !== undefined &&
      now - inner.probeSince >= this.probeTimeoutMs
    ) {
      const previous = this.health();
      this.transition({ kind: 'half_open', probeId: undefined, probeSince: now });
      this.emit(previous, now);
    }
  }

  private record(now: number, failed: boolean): void {
    this.prune(now);
    this.windowTimes.push(now);
    this.windowFailed.push(failed);
    if (failed) this.windowFailures++;
  }

  private prune(now: number): void {
    const oldest = now - this.config.windowMs;
    while (this.windowStart < this.windowTimes.length && this.windowTimes[this.windowStart]! <= oldest) {
      if (this.windowFailed[this.windowStart]) this.windowFailures--;
      this.windowStart++;
    }
    if (this.windowStart > 1024 && this.windowStart * 2 > this.windowTimes.length) {
      this.windowTimes = this.windowTimes.slice(this.windowStart);
      this.windowFailed = this.windowFailed.slice(this.windowStart);
      this.windowStart = 0;
    }
  }

  private clearWindow(): void {
    this.windowTimes = [];
    this.windowFailed = [];
    this.windowStart = 0;
    this.windowFailures = 0;
  }

  private health(): HealthState {
    switch (this.inner.kind) {
      case 'closed':
        return 'healthy';
      case 'open':
        return this.inner.throttled ? 'cooling_down' : 'open';
      case 'half_open':
        return 'half_open';
    }
  }

  private snapshotAt(now: number): BreakerSnapshot {
    this.prune(now);
    const requests = this.windowTimes.length - this.windowStart;
    const inner = this.inner;
    return {
      state: this.health(),
      ...(inner.kind === 'open' ? { until: inner.until } : {}),
      probeInFlight: inner.kind === 'half_open' && inner.probeId !== undefined,
      consecutiveFailures: this.consecutive,
      recentFailureRate: requests === 0 ? 0 : this.windowFailures / requests,
      recentRequests: requests,
      cooldownMs: this.cooldownMs,
      ...(this.openedBecause === undefined ? {} : { openedBecause: this.openedBecause }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private emit(previous: HealthState, now: number = this.clock.now()): void {
    if (this.changed.listenerCount === 0) return;
    this.changed.fire({ previous, snapshot: this.snapshotAt(now) });
  }
}

export interface BreakerEntry {
  readonly providerId: string;
  /** Undefined for the provider's own breaker. */
  readonly keyId?: string;
  readonly breaker: CircuitBreaker;
}

export interface RegistryChange extends BreakerChange {
  readonly providerId: string;
  readonly keyId?: string;
}

/** The breakers of every provider and every key, created on first use, with one change event for the tree view. */
export class BreakerRegistry {
  private config: CircuitConfig;
  private readonly breakers = new Map<string, BreakerEntry>();
  private readonly subscriptions: { dispose(): void }[] = [];
  private readonly changed: Emitter<RegistryChange>;
  readonly onDidChange: Listen<RegistryChange>;

  constructor(
    config: CircuitConfig,
    private readonly options: BreakerOptions = {},
  ) {
    this.config = config;
    this.changed = new Emitter<RegistryChange>(options.onListenerError);
    this.onDidChange = this.changed.event;
  }

  /** The provider's breaker, or with `keyId` the breaker of that key of the provider. */
  get(providerId: string, keyId?: string): CircuitBreaker {
    const id = keyId === undefined ? providerId : `${providerId}\u0000${keyId}`;
    const existing = this.breakers.get(id);
    if (existing) return existing.breaker;
    const breaker = new CircuitBreaker(this.config, this.options);
    this.breakers.set(id, { providerId, ...(keyId === undefined ? {} : { keyId }), breaker });
    this.subscriptions.push(
      breaker.onDidChange((change) =>
        this.changed.fire({ ...change, providerId, ...(keyId === undefined ? {} : { keyId }) }),
      ),
    );
    return breaker;
  }

  entries(): readonly BreakerEntry[] {
    return [...this.breakers.values()];
  }

  setConfig(config: CircuitConfig): void {
    this.config = config;
    for (const { breaker } of this.breakers.values()) breaker.setConfig(config);
  }

  resetAll(): void {
    for (const { breaker } of this.breakers.values()) breaker.reset();
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    for (const { breaker } of this.breakers.values()) breaker.dispose();
    this.changed.dispose();
  }
}
