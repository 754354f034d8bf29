/**
 * Client-side rate limits of one key as token buckets (STYLE 10, after Portkey's `rateLimiter.ts`): requests per
 * minute, estimated tokens per minute, requests per day, and a minimum interval between two requests. Keeping
 * under the provider's limits ourselves costs nothing; a 429 costs a round trip and a retry.
 *
 * Buckets refill continuously (capacity / window per millisecond), which is how Anthropic and OpenAI describe
 * their own limits. The daily bucket refills continuously too (a rolling day, not the provider's midnight reset):
 * the difference only matters near exhaustion, and a 429 there penalizes the key until its Retry-After anyway.
 * The minimum interval is a bucket of capacity 1 that refills in `minIntervalMs`.
 */
import type { KeyLimits } from '../config/types';
import type { Clock } from './clock';
import { systemClock } from './clock';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** `providerInterval`: the provider's own minimum interval between two requests on any of its keys. */
export type LimitName = 'rpm' | 'tpm' | 'rpd' | 'minInterval' | 'providerInterval' | 'retryAfter';

export type LimitCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly waitMs: number; readonly limit: LimitName };

/**
 * A token bucket: holds up to `capacity` tokens and refills `capacity` every `windowMs`, continuously. Taking more
 * than the capacity at once is treated as taking the whole capacity: a request larger than the bucket waits for a
 * full bucket and then empties it, instead of waiting forever (the provider answers for itself if it is really too
 * large). The level may go below zero after {@link TokenBucket.take} without a check, or after
 * {@link TokenBucket.adjust}; the debt is then paid back by refill before the next request.
 */
export class TokenBucket {
  private level: number;
  private updatedAt: number;
  private readonly ratePerMs: number;

  constructor(
    readonly capacity: number,
    readonly windowMs: number,
    now: number,
  ) {
    if (!(capacity > 0) || !(windowMs > 0)) throw new RangeError(`invalid token bucket ${capacity}/${windowMs} ms`);
    this.level = capacity;
    this.updatedAt = now;
    this.ratePerMs = capacity / windowMs;
  }

  /** Tokens available at `now` (may be negative while in debt). */
  available(now: number): number {
    this.refill(now);
    return this.level;
  }

  /** Milliseconds until `amount` tokens are available; 0 when they are now. */
  waitMs(amount: number, now: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity);
    // The tolerances keep float residue (1/1500 per ms × 1500 ms ≠ 1) from turning an exact wait into one more ms.
    if (this.level >= need - 1e-9) return 0;
    return Math.max(1, Math.ceil((need - this.level) / this.ratePerMs - 1e-6));
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= Math.min(amount, this.capacity);
  }

  /** Gives back tokens taken for a request that was never sent. */
  refund(amount: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + Math.min(amount, this.capacity));
  }

  /** Corrects the level by `delta` tokens (negative: more was used than estimated). */
  adjust(delta: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level - delta);
  }

  /** The level at `now`, for sharing with other processes (see {@link LimiterState}). */
  state(now: number): BucketState {
    this.refill(now);
    return { level: this.level, at: this.updatedAt, capacity: this.capacity, windowMs: this.windowMs };
  }

  /**
   * Takes over a level another process wrote. A state written under other limits keeps what was used: the same
   * number of tokens missing from the new capacity. A time after `now` (another machine's clock) counts as `now`.
   */
  restore(state: BucketState, now: number): void {
    const used = state.capacity - state.level;
    const level = state.capacity === this.capacity && state.windowMs === this.windowMs ? state.level : this.capacity - used;
    this.level = Math.min(this.capacity, level);
    this.updatedAt = Math.min(state.at, now);
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.level = Math.min(this.capacity, this.level + (now - this.updatedAt) * this.ratePerMs);
      this.updatedAt = now;
    }
  }
}

/** A bucket's level at a time, with the limits it was counted under. */
export interface BucketState {
  readonly level: number;
  readonly at: number;
  readonly capacity: number;
  readonly windowMs: number;
}

export type BucketName = Exclude<LimitName, 'retryAfter' | 'providerInterval'>;

/**
 * What one key's limits have used, as every process sharing the limits file sees it: the buckets' levels and the
 * end of a 429 penalty.
 */
export interface LimiterState {
  readonly buckets: Readonly<Partial<Record<BucketName, BucketState>>>;
  readonly penalizedUntil?: number;
}

/** Whether a state says nothing a fresh limiter would not (every bucket full by `now`, no penalty left). */
export function isIdle(state: LimiterState, now: number): boolean {
  if (state.penalizedUntil !== undefined && state.penalizedUntil > now) return false;
  for (const bucket of Object.values(state.buckets)) {
    if (bucket && bucket.level + Math.max(0, now - bucket.at) * (bucket.capacity / bucket.windowMs) < bucket.capacity - 1e-9) return false;
  }
  return true;
}

export interface KeyLimiterSnapshot {
  /** Set while a 429's Retry-After keeps the key unusable. */
  readonly penalizedUntil?: number;
  /** Whole units left now, per configured limit. */
  readonly remaining: Readonly<Partial<Record<'rpm' | 'tpm' | 'rpd', number>>>;
}

interface NamedBucket {
  readonly limit: BucketName;
  readonly bucket: TokenBucket;
  /** Requests count 1 per request; the TPM bucket counts the request's estimated tokens. */
  readonly perToken: boolean;
}

/** The limits of one key. Absent limits are unlimited. */
export class KeyLimiter {
  private readonly buckets: readonly NamedBucket[];
  private penalizedUntil = 0;

  constructor(
    readonly limits: KeyLimits = {},
    private readonly clock: Clock = systemClock,
  ) {
    const now = clock.now();
    const buckets: NamedBucket[] = [];
    const add = (limit: NamedBucket['limit'], capacity: number | undefined, windowMs: number, perToken: boolean): void => {
      if (capacity === undefined) return;
      buckets.push({ limit, bucket: new TokenBucket(capacity, windowMs, now), perToken });
    };
    add('rpm', limits.rpm, MINUTE_MS, false);
    add('tpm', limits.tpm, MINUTE_MS, true);
    add('rpd', limits.rpd, DAY_MS, false);
    if (limits.minIntervalMs !== undefined && limits.minIntervalMs > 0) {
      buckets.push({ limit: 'minInterval', bucket: new TokenBucket(1, limits.minIntervalMs, now), perToken: false });
    }
    this.buckets = buckets;
  }

  /**
   * Whether a request of `tokens` estimated tokens may go now; if not, how long until every limit allows it and
   * which limit binds (the one with the longest wait).
   */
  check(tokens: number, now: number = this.clock.now()): LimitCheck {
    let waitMs = 0;
    let limit: LimitName | undefined;
    if (now < this.penalizedUntil) {
      waitMs = this.penalizedUntil - now;
      limit = 'retryAfter';
    }
    for (const { limit: name, bucket, perToken } of this.buckets) {
      const wait = bucket.waitMs(perToken ? tokens : 1, now);
      if (wait > waitMs) {
        waitMs = wait;
        limit = name;
      }
    }
    return limit === undefined ? { ok: true } : { ok: false, waitMs, limit };
  }

  /** Consumes one request and `tokens` estimated tokens (the caller checked first, or accepts going into debt). */
  take(tokens: number, now: number = this.clock.now()): void {
    for (const { bucket, perToken } of this.buckets) bucket.take(perToken ? tokens : 1, now);
  }

  /** Checks and, when allowed, takes in one step. */
  tryTake(tokens: number, now: number = this.clock.now()): LimitCheck {
    const result = this.check(tokens, now);
    if (result.ok) this.take(tokens, now);
    return result;
  }

  /** Gives back what {@link take} consumed, for a request that was never sent. */
  refund(tokens: number, now: number = this.clock.now()): void {
    for (const { bucket, perToken } of this.buckets) bucket.refund(perToken ? tokens : 1, now);
  }

  /** After the usage is known: charges (or refunds) the difference between actual and estimated tokens. */
  settleTokens(estimated: number, actual: number, now: number = this.clock.now()): void {
    for (const { bucket, perToken } of this.buckets) if (perToken) bucket.adjust(actual - estimated, now);
  }

  /** After a 429: the key is unusable for `retryAfterMs` (never shortens an earlier, longer penalty). */
  penalize(retryAfterMs: number, now: number = this.clock.now()): void {
    this.penalizedUntil = Math.max(this.penalizedUntil, now + Math.max(0, retryAfterMs));
  }

  /** Whether any limit is configured (RPM, TPM, RPD or a minimum interval). */
  get hasLimits(): boolean {
    return this.buckets.length > 0;
  }

  /** Whether a limit counts tokens (TPM): only then does the actual usage change what is shared. */
  get countsTokens(): boolean {
    return this.buckets.some((b) => b.perToken);
  }

  /** The limiter's use at `now`, to share with other processes. */
  exportState(now: number = this.clock.now()): LimiterState {
    const buckets: Partial<Record<BucketName, BucketState>> = {};
    for (const { limit, bucket } of this.buckets) buckets[limit] = bucket.state(now);
    return this.penalizedUntil > now ? { buckets, penalizedUntil: this.penalizedUntil } : { buckets };
  }

  /**
   * Takes over what other processes used (the shared state is the whole truth: it includes this process's own use,
   * written when it took). Limits the state does not mention keep their level.
   */
  importState(state: LimiterState, now: number = this.clock.now()): void {
    for (const { limit, bucket } of this.buckets) {
      const shared = state.buckets[limit];
      if (shared) bucket.restore(shared, now);
    }
    this.penalizedUntil = state.penalizedUntil ?? 0;
  }

  /** Forgets a penalty (manual reset from the UI). */
  clearPenalty(): void {
    this.penalizedUntil = 0;
  }

  snapshot(now: number = this.clock.now()): KeyLimiterSnapshot {
    const remaining: Partial<Record<'rpm' | 'tpm' | 'rpd', number>> = {};
    for (const { limit, bucket } of this.buckets) {
      if (limit !== 'minInterval') remaining[limit] = Math.max(0, Math.floor(bucket.available(now)));
    }
    return now < this.penalizedUntil ? { penalizedUntil: this.penalizedUntil, remaining } : { remaining };
  }
}
