/**
 * How each provider has been performing, for load-balance weights: the orchestrator seed's multiplier
 *
 *   effective weight = weight × (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s)
 *
 * from the attempts this process made and (seeded at start) the ledger's recent attempts, every sample weighted by
 * 0.5^(age / half-life).
 *
 * JUDGEMENT: the half-life is 30 minutes. The circuit breaker already reacts within a minute to an outage, so the
 * weights need not; they should say how a provider has served this working session. With 30 minutes, an error from an
 * hour ago counts a quarter and one from this morning almost nothing, so a provider that recovered gets its share back
 * within the hour; and a burst of five failures in a minute cannot outweigh a day's successes for long. The ledger seed
 * reads 4 half-lives back (2 hours): older attempts weigh under 1/16.
 *
 * Which attempts count: for the error rate, the failures the circuit breaker counts (rate limits, server errors,
 * overload, timeouts, network), never a cancel, a rejected key, a bad request or a content filter (the request's
 * problem, not the provider's); for p50, the whole time of successful attempts (what a person waits for). A
 * provider with under one sample's worth of decayed evidence is unmeasured: multiplier 1 (so it gets tried).
 */
import type { ErrorKind } from '../providers/errors';
import { formatMs, formatWeight } from '../util/format';
import { counts } from './circuitBreaker';

export const PERFORMANCE_HALF_LIFE_MS = 30 * 60_000;
/** The p50 at which the latency factor halves the weight. */
export const LATENCY_SCALE_MS = 10_000;
/** How far back the ledger seed reads. */
export const PERFORMANCE_LOOKBACK_MS = 4 * PERFORMANCE_HALF_LIFE_MS;
/** Decayed evidence under which a provider counts as unmeasured. */
const MIN_EVIDENCE = 1;
/** Latency samples kept per provider (the newest). */
const MAX_SAMPLES = 64;

export interface ProviderPerformance {
  /** Decayed share of counted failures among counted attempts, 0..1 (0 when unmeasured). */
  readonly errorRate: number;
  /** Decayed median time of successful attempts; undefined when none. */
  readonly p50Ms?: number;
  /** Decayed number of attempts behind the figures. */
  readonly evidence: number;
  /** (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s); 1 when unmeasured. */
  readonly multiplier: number;
}

/** An attempt as the tracker needs it (from the router, or a ledger row). */
export interface ObservedAttempt {
  readonly provider: string;
  readonly at: number;
  readonly ok: boolean;
  /** An ErrorKind (from a ledger row, any text): only failures of the kinds above count; a success has none. */
  readonly errorKind?: string;
  readonly latencyMs: number;
}

/** The multiplier of the formula for an error rate and a p50 (undefined: no latency factor). */
export function performanceMultiplier(errorRate: number, p50Ms: number | undefined): number {
  const rate = Math.min(1, Math.max(0, Number.isFinite(errorRate) ? errorRate : 0));
  const latency = p50Ms !== undefined && Number.isFinite(p50Ms) && p50Ms > 0 ? 1 / (1 + p50Ms / LATENCY_SCALE_MS) : 1;
  return (1 - 0.5 * rate) * latency;
}

/** `weight` × the provider's multiplier (a weight of 0 stays 0: "never first"). */
export function effectiveWeight(weight: number, performance: ProviderPerformance | undefined): number {
  return weight * (performance?.multiplier ?? 1);
}

interface Tally {
  /** Decayed counted attempts and failures, as of `at`. */
  total: number;
  errors: number;
  at: number;
  readonly samples: { readonly ms: number; readonly at: number }[];
}

export class PerformanceTracker {
  private readonly tallies = new Map<string, Tally>();

  constructor(private readonly halfLifeMs: number = PERFORMANCE_HALF_LIFE_MS) {}

  /** Adds one attempt; attempts that say nothing of the provider (a cancel, a bad request) are ignored. */
  record(attempt: ObservedAttempt): void {
    const failureCounts = !attempt.ok && attempt.errorKind !== undefined && isCounted(attempt.errorKind);
    if (!attempt.ok && !failureCounts) return;
    let tally = this.tallies.get(attempt.provider);
    if (!tally) {
      tally = { total: 0, errors: 0, at: attempt.at, samples: [] };
      this.tallies.set(attempt.provider, tally);
    }
    // Samples may arrive out of order (a ledger seed): decay the tally to the later time, the sample to it.
    if (attempt.at >= tally.at) this.decayTo(tally, attempt.at);
    const weight = attempt.at >= tally.at ? 1 : this.factor(tally.at - attempt.at);
    tally.total += weight;
    if (!attempt.ok) tally.errors += weight;
    if (attempt.ok && Number.isFinite(attempt.latencyMs) && attempt.latencyMs >= 0) {
      tally.samples.push({ ms: attempt.latencyMs, at: attempt.at });
      if (tally.samples.length > MAX_SAMPLES) {
        tally.samples.sort((a, b) => a.at - b.at);
        tally.samples.splice(0, tally.samples.length - MAX_SAMPLES);
      }
    }
  }

  /** Adds attempts read from the ledger (any order). */
  seed(attempts: Iterable<ObservedAttempt>): void {
    for (const attempt of attempts) this.record(attempt);
  }

  /** The provider's figures at `now`. */
  get(provider: string, now: number): ProviderPerformance {
    const tally = this.tallies.get(provider);
    if (!tally) return { errorRate: 0, evidence: 0, multiplier: 1 };
    const decay = now > tally.at ? this.factor(now - tally.at) : 1;
    const total = tally.total * decay;
    if (total < MIN_EVIDENCE) return { errorRate: 0, evidence: total, multiplier: 1 };
    const errorRate = tally.errors / tally.total;
    const p50Ms = this.median(tally, now);
    return {
      errorRate,
      ...(p50Ms !== undefined ? { p50Ms } : {}),
      evidence: total,
      multiplier: performanceMultiplier(errorRate, p50Ms),
    };
  }

  /** Providers with any observation. */
  get providers(): readonly string[] {
    return [...this.tallies.keys()];
  }

  private median(tally: Tally, now: number): number | undefined {
    if (tally.samples.length === 0) return undefined;
    const weighted = tally.samples.map((s) => ({ ms: s.ms, w: this.factor(Math.max(0, now - s.at)) })).sort((a, b) => a.ms - b.ms);
    const half = weighted.reduce((n, s) => n + s.w, 0) / 2;
    let cumulative = 0;
    for (const s of weighted) {
      cumulative += s.w;
      if (cumulative >= half) return s.ms;
    }
    return weighted[weighted.length - 1]!.ms;
  }

  private decayTo(tally: Tally, at: number): void {
    const f = this.factor(at - tally.at);
    tally.total *= f;
    tally.errors *= f;
    tally.at = at;
  }

  private factor(ageMs: number): number {
    return Math.pow(0.5, ageMs / this.halfLifeMs);
  }
}

function isCounted(kind: string): boolean {
  return counts({ kind: kind as ErrorKind });
}


/**
 * "weight 2 → 1.1 (errors 20%, p50 3.1 s)" or "weight 2 (no recent attempts)": the configured and effective
 * load-balance weight and why, for the tree, the dashboard and "Rebalance...".
 */
export function describeWeight(weight: number, performance: ProviderPerformance): string {
  if (performance.evidence < MIN_EVIDENCE) return `weight ${formatWeight(weight)} (no recent attempts)`;
  const why = [`errors ${Math.round(performance.errorRate * 100)}%`];
  if (performance.p50Ms !== undefined) why.push(`p50 ${formatMs(performance.p50Ms)}`);
  return `weight ${formatWeight(weight)} → ${formatWeight(effectiveWeight(weight, performance))} (${why.join(', ')})`;
}
