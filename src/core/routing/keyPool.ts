/**
 * The keys of one provider and which of them can take a request now. A key serves some tiers (its tags), has a
 * priority and limits, may be penalized after a 429 (rotation: the next pick takes another key), and is dead after
 * an authentication error until its secret changes.
 *
 * Key VALUES never reach this class: keys are named by id, and a secret is known only by a fingerprint the caller
 * computes (for example the first 12 hex digits of its SHA-256). A new fingerprint revives a dead key.
 */
import type { KeyConfig, Tier } from '../config/types';
import type { Listen } from '../util/emitter';
import { Emitter } from '../util/emitter';
import { formatMs } from '../util/format';
import type { Clock } from './clock';
import { systemClock } from './clock';
import type { KeyLimiterSnapshot, LimiterState, LimitName } from './rateLimiter';
import { KeyLimiter } from './rateLimiter';

/**
 * JUDGEMENT: how long a key rests after a 429 that carried no Retry-After. Long enough that the next pick rotates to
 * another key, short enough that a single-key provider is usable again within the retry policy's backoff range.
 */
export const DEFAULT_PENALTY_MS = 5_000;

/** Why a key could not take the request. `waitMs` is set when the key becomes usable by itself after that long. */
export type KeyUnusable =
  | { readonly keyId: string; readonly reason: 'tier'; readonly message: string }
  | { readonly keyId: string; readonly reason: 'auth'; readonly message: string }
  | { readonly keyId: string; readonly reason: 'missing'; readonly message: string }
  | {
      readonly keyId: string;
      readonly reason: 'limit';
      readonly limit: LimitName;
      readonly waitMs: number;
      readonly message: string;
    }
  | { readonly keyId: string; readonly reason: 'circuit'; readonly waitMs?: number; readonly message: string };

export type KeyPick =
  | { readonly ok: true; readonly keyId: string; readonly skipped: readonly KeyUnusable[] }
  | {
      readonly ok: false;
      /** Shortest wait until some key serving the tier is usable; undefined when none will be by waiting. */
      readonly waitMs?: number;
      readonly skipped: readonly KeyUnusable[];
      readonly message: string;
    };

/** An extra per-key condition, typically the key's circuit breaker (`CircuitBreaker.check`). */
export type KeyGate = (
  keyId: string,
  now: number,
) => { readonly ok: true } | { readonly ok: false; readonly waitMs?: number; readonly reason: string };

export interface KeyStatus {
  readonly keyId: string;
  readonly tiers: readonly Tier[];
  readonly priority: number;
  readonly authFailed: boolean;
  readonly secretMissing: boolean;
  readonly lastUsedAt?: number;
  readonly limits: KeyLimiterSnapshot;
}

export interface KeyPoolOptions {
  readonly clock?: Clock;
  /** Least time between two requests to the provider, whichever key they use (`providers.<id>.minIntervalMs`). */
  readonly minIntervalMs?: number;
  /** Keys tagged for other tiers never serve a request (default false: they serve after the tier's own keys). */
  readonly strictTiers?: boolean;
  /** Penalty after a 429 without Retry-After. Default {@link DEFAULT_PENALTY_MS}. */
  readonly defaultPenaltyMs?: number;
}

interface KeyState {
  config: KeyConfig;
  limiter: KeyLimiter;
  order: number;
  lastUsedAt: number | undefined;
  /** Fingerprint of the secret that failed authentication. */
  deadFingerprint: string | undefined;
  /** Fingerprint of the secret currently stored, when the caller told us. */
  currentFingerprint: string | undefined;
  secretMissing: boolean;
}

/**
 * How a key fits a tier, tried in this order: 0 tagged for it, 1 untagged (serves every tier), 2 tagged for other
 * tiers only (used after the others unless the provider has `strictTiers`).
 */
function tierRankOf(config: KeyConfig, tier: Tier): 0 | 1 | 2 {
  if (!config.tiers || config.tiers.length === 0) return 1;
  return config.tiers.includes(tier) ? 0 : 2;
}

const LIMIT_LABELS: Readonly<Record<LimitName, string>> = {
  rpm: 'requests per minute',
  tpm: 'tokens per minute',
  rpd: 'daily quota used up (requests per day)',
  minInterval: 'minimum interval',
  providerInterval: "the provider's minimum interval between calls",
  retryAfter: 'rate limited by the provider (429)',
};

function sameLimits(a: KeyConfig['limits'], b: KeyConfig['limits']): boolean {
  return (
    a?.rpm === b?.rpm && a?.tpm === b?.tpm && a?.rpd === b?.rpd && a?.minIntervalMs === b?.minIntervalMs
  );
}

/** The id under which the provider's own limiter is shared (no key id can be `*`). */
export const PROVIDER_LIMITER_ID = '*';

export class KeyPool {
  private readonly clock: Clock;
  private readonly defaultPenaltyMs: number;
  private keys = new Map<string, KeyState>();
  /** The provider's minimum interval, over all its keys; undefined without one. */
  private providerLimiter: KeyLimiter | undefined;
  /** Whether keys tagged for other tiers are left out (see {@link KeyPoolOptions.strictTiers}). */
  strictTiers: boolean;
  private readonly changed = new Emitter<void>();
  /** Fires when a key is penalized, dies, is revived, or the keys change (not on every request). */
  readonly onDidChange: Listen<void> = this.changed.event;

  constructor(
    readonly providerId: string,
    keys: readonly KeyConfig[],
    options: KeyPoolOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.defaultPenaltyMs = options.defaultPenaltyMs ?? DEFAULT_PENALTY_MS;
    this.strictTiers = options.strictTiers ?? false;
    this.setMinInterval(options.minIntervalMs);
    this.setKeys(keys);
  }

  /** Sets the provider's minimum interval (0 or undefined: none); an unchanged interval keeps its state. */
  setMinInterval(minIntervalMs: number | undefined): void {
    const ms = minIntervalMs !== undefined && minIntervalMs > 0 ? minIntervalMs : undefined;
    if (ms === this.providerLimiter?.limits.minIntervalMs) return;
    this.providerLimiter = ms === undefined ? undefined : new KeyLimiter({ minIntervalMs: ms }, this.clock);
  }

  /** Replaces the key configuration; keys that stay keep their state (limits restart only when they changed). */
  setKeys(keys: readonly KeyConfig[]): void {
    const next = new Map<string, KeyState>();
    keys.forEach((config, order) => {
      const previous = this.keys.get(config.id);
      if (previous) {
        const limiter = sameLimits(previous.config.limits, config.limits)
          ? previous.limiter
          : new KeyLimiter(config.limits, this.clock);
        next.set(config.id, { ...previous, config, limiter, order });
      } else {
        next.set(config.id, {
          config,
          limiter: new KeyLimiter(config.limits, this.clock),
          order,
          lastUsedAt: undefined,
          deadFingerprint: undefined,
          currentFingerprint: undefined,
          secretMissing: false,
        });
      }
    });
    this.keys = next;
    this.changed.fire();
  }

  get keyIds(): readonly string[] {
    return [...this.keys.keys()];
  }

  /**
   * The best key for a request of `tokens` estimated tokens in `tier`, without consuming anything: among usable keys
   * (secret present, not auth-dead, not penalized, limits allow, gate allows) first the keys tagged for the tier, then
   * untagged keys, then (unless {@link strictTiers}) keys tagged for other tiers; within each the lowest priority
   * value, then the least recently used, then configuration order. Otherwise the shortest wait and why each key was
   * unusable.
   */
  pick(tier: Tier, tokens: number, now: number = this.clock.now(), gate?: KeyGate): KeyPick {
    const skipped: KeyUnusable[] = [];
    let best: KeyState | undefined;
    for (const state of this.keys.values()) {
      const unusable = this.unusable(state, tier, tokens, now, gate);
      if (unusable) {
        skipped.push(unusable);
        continue;
      }
      if (!best || better(state, best, tier)) best = state;
    }
    if (best) return { ok: true, keyId: best.config.id, skipped };
    let waitMs: number | undefined;
    for (const entry of skipped) {
      if ((entry.reason === 'limit' || entry.reason === 'circuit') && entry.waitMs !== undefined) {
        waitMs = waitMs === undefined ? entry.waitMs : Math.min(waitMs, entry.waitMs);
      }
    }
    const message = this.describe(tier, skipped, waitMs);
    return { ok: false, ...(waitMs === undefined ? {} : { waitMs }), skipped, message };
  }

  /** {@link pick}, then consumes the limits of the chosen key and marks it used. */
  acquire(tier: Tier, tokens: number, now: number = this.clock.now(), gate?: KeyGate): KeyPick {
    const result = this.pick(tier, tokens, now, gate);
    if (result.ok) this.take(result.keyId, tokens, now);
    return result;
  }

  /** Consumes one request and `tokens` on the key's limits and marks it used now. */
  take(keyId: string, tokens: number, now: number = this.clock.now()): void {
    const state = this.keys.get(keyId);
    if (!state) return;
    state.limiter.take(tokens, now);
    this.providerLimiter?.take(tokens, now);
    state.lastUsedAt = now;
  }

  /** Gives back a request that was acquired but never sent. */
  refund(keyId: string, tokens: number, now: number = this.clock.now()): void {
    const state = this.keys.get(keyId);
    if (!state) return;
    state.limiter.refund(tokens, now);
    this.providerLimiter?.refund(tokens, now);
  }

  /** Corrects the TPM bucket once the actual usage is known. */
  settleTokens(keyId: string, estimated: number, actual: number, now: number = this.clock.now()): void {
    this.keys.get(keyId)?.limiter.settleTokens(estimated, actual, now);
  }

  /** After a 429 on this key: unusable for the Retry-After (or the default penalty), so the next pick rotates. */
  penalize(keyId: string, retryAfterMs: number | undefined, now: number = this.clock.now()): void {
    const state = this.keys.get(keyId);
    if (!state) return;
    state.limiter.penalize(retryAfterMs ?? this.defaultPenaltyMs, now);
    this.changed.fire();
  }

  /**
   * After an authentication error with the secret whose fingerprint is given: the key is unusable until its secret
   * changes. Ignored (returns false) when the caller already told us of a newer secret: the failing request used
   * the old one.
   */
  markAuthFailed(keyId: string, secretFingerprint: string): boolean {
    const state = this.keys.get(keyId);
    if (!state) return false;
    if (state.currentFingerprint !== undefined && state.currentFingerprint !== secretFingerprint) return false;
    state.deadFingerprint = secretFingerprint;
    state.currentFingerprint = secretFingerprint;
    this.changed.fire();
    return true;
  }

  /**
   * The fingerprint of the secret now stored for the key, or undefined when none is stored. A fingerprint other
   * than the one that failed authentication revives the key.
   */
  setFingerprint(keyId: string, secretFingerprint: string | undefined): void {
    const state = this.keys.get(keyId);
    if (!state) return;
    const wasUsable = !state.secretMissing && !isDead(state);
    state.currentFingerprint = secretFingerprint;
    state.secretMissing = secretFingerprint === undefined;
    if (secretFingerprint !== undefined && secretFingerprint !== state.deadFingerprint) {
      state.deadFingerprint = undefined;
    }
    if (wasUsable !== (!state.secretMissing && !isDead(state))) this.changed.fire();
  }

  /**
   * Why the key cannot take the request now, or undefined when it can: {@link pick}'s test for one key, asked again
   * after the limits were brought up to date with other processes.
   */
  recheck(keyId: string, tier: Tier, tokens: number, now: number = this.clock.now()): KeyUnusable | undefined {
    const state = this.keys.get(keyId);
    if (!state) return { keyId, reason: 'missing', message: `${keyId}: no such key` };
    return this.unusable(state, tier, tokens, now);
  }

  /** Whether taking a request on the key counts against any limit (its own or the provider's interval). */
  hasLimits(keyId: string): boolean {
    return (this.keys.get(keyId)?.limiter.hasLimits ?? false) || this.providerLimiter !== undefined;
  }

  /** Whether the key has a tokens-per-minute limit (then its actual usage is shared after each attempt). */
  countsTokens(keyId: string): boolean {
    return this.keys.get(keyId)?.limiter.countsTokens ?? false;
  }

  /** What each key's limits have used, by key id, to share with other processes. */
  exportStates(now: number = this.clock.now()): Record<string, LimiterState> {
    const out: Record<string, LimiterState> = {};
    for (const [id, state] of this.keys) out[id] = state.limiter.exportState(now);
    if (this.providerLimiter) out[PROVIDER_LIMITER_ID] = this.providerLimiter.exportState(now);
    return out;
  }

  /** Takes over what every process sharing the limits used (keys the states do not name keep theirs). */
  importStates(states: Readonly<Record<string, LimiterState>>, now: number = this.clock.now()): void {
    let penaltiesChanged = false;
    for (const [id, state] of this.keys) {
      const shared = states[id];
      if (!shared) continue;
      const before = state.limiter.snapshot(now).penalizedUntil;
      state.limiter.importState(shared, now);
      if (state.limiter.snapshot(now).penalizedUntil !== before) penaltiesChanged = true;
    }
    const provider = states[PROVIDER_LIMITER_ID];
    if (provider && this.providerLimiter) this.providerLimiter.importState(provider, now);
    if (penaltiesChanged) this.changed.fire();
  }

  /** Manual reset from the UI: forgets penalties (not auth failures: those need a new secret). */
  clearPenalties(): void {
    for (const state of this.keys.values()) state.limiter.clearPenalty();
    this.changed.fire();
  }

  snapshot(now: number = this.clock.now()): readonly KeyStatus[] {
    return [...this.keys.values()].map((state) => ({
      keyId: state.config.id,
      tiers: state.config.tiers ?? [],
      priority: state.config.priority ?? 0,
      authFailed: isDead(state),
      secretMissing: state.secretMissing,
      ...(state.lastUsedAt === undefined ? {} : { lastUsedAt: state.lastUsedAt }),
      limits: state.limiter.snapshot(now),
    }));
  }

  dispose(): void {
    this.changed.dispose();
  }

  private unusable(state: KeyState, tier: Tier, tokens: number, now: number, gate?: KeyGate): KeyUnusable | undefined {
    const keyId = state.config.id;
    if (this.strictTiers && tierRankOf(state.config, tier) === 2) {
      return { keyId, reason: 'tier', message: `${keyId}: serves ${state.config.tiers!.join(', ')} only` };
    }
    if (state.secretMissing) return { keyId, reason: 'missing', message: `${keyId}: no key stored` };
    if (isDead(state)) {
      return { keyId, reason: 'auth', message: `${keyId}: authentication failed; usable again when the key changes` };
    }
    let limit = state.limiter.check(tokens, now);
    const interval = this.providerLimiter?.check(tokens, now);
    if (interval && !interval.ok && (limit.ok || interval.waitMs > limit.waitMs)) limit = { ...interval, limit: 'providerInterval' };
    if (!limit.ok) {
      return {
        keyId,
        reason: 'limit',
        limit: limit.limit,
        waitMs: limit.waitMs,
        message: `${keyId}: ${LIMIT_LABELS[limit.limit]}, usable in ${formatMs(Math.max(0, limit.waitMs))}`,
      };
    }
    if (gate) {
      const gated = gate(keyId, now);
      if (!gated.ok) {
        return {
          keyId,
          reason: 'circuit',
          ...(gated.waitMs === undefined ? {} : { waitMs: gated.waitMs }),
          message: `${keyId}: ${gated.reason}`,
        };
      }
    }
    return undefined;
  }

  private describe(tier: Tier, skipped: readonly KeyUnusable[], waitMs: number | undefined): string {
    if (skipped.length === 0) return `${this.providerId} has no keys`;
    const reasons = skipped.map((entry) => entry.message).join('; ');
    if (skipped.every((entry) => entry.reason === 'tier')) {
      return `no key of ${this.providerId} serves ${tier} work (${reasons})`;
    }
    const head = `no usable key of ${this.providerId} for ${tier} work`;
    return waitMs === undefined ? `${head} (${reasons})` : `${head}, retry after ${formatMs(Math.max(0, waitMs))} (${reasons})`;
  }
}

function isDead(state: KeyState): boolean {
  const dead = state.deadFingerprint;
  return dead !== undefined && (state.currentFingerprint ?? dead) === dead;
}

function better(a: KeyState, b: KeyState, tier: Tier): boolean {
  const rankA = tierRankOf(a.config, tier);
  const rankB = tierRankOf(b.config, tier);
  if (rankA !== rankB) return rankA < rankB;
  const priorityA = a.config.priority ?? 0;
  const priorityB = b.config.priority ?? 0;
  if (priorityA !== priorityB) return priorityA < priorityB;
  const usedA = a.lastUsedAt ?? Number.NEGATIVE_INFINITY;
  const usedB = b.lastUsedAt ?? Number.NEGATIVE_INFINITY;
  if (usedA !== usedB) return usedA < usedB;
  return a.order < b.order;
}
