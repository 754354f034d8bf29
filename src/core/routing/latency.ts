/**
 * Observed time to first token per provider and model, for the latency strategy: a decayed median.
 *
 * Each model keeps its last `capacity` samples (default 32) in a ring, so an update is O(1); a query computes a
 * weighted median over them, O(k log k) with k = 32. A sample's weight halves twice over:
 * - every `halfLifeSamples` newer samples of the same model (default 10), so the median follows a shift in latency
 *   within a burst of requests (after about 10 slow answers the median is slow), and
 * - every `halfLifeMs` of age (default 10 minutes), so an answer from this morning counts less than one from five
 *   minutes ago when both are in the ring.
 * Time decay alone cannot move a median (all weights shrink alike when nothing new arrives), so the total weight is
 * reported as well: when it falls under `staleWeight` the estimate is marked `stale`, and the latency strategy can
 * send that model a request again instead of avoiding it forever on the strength of one slow spell.
 */
import type { Clock } from './clock';
import { systemClock } from './clock';

export interface LatencyOptions {
  readonly clock?: Clock;
  /** Samples kept per model. Default 32. */
  readonly capacity?: number;
  /** Weight halves every this many newer samples. Default 10. */
  readonly halfLifeSamples?: number;
  /** Weight halves every this many milliseconds of age. Default 600,000 (10 minutes). */
  readonly halfLifeMs?: number;
  /** Total weight under which an estimate is stale. Default 0.5 (one sample older than one time half-life). */
  readonly staleWeight?: number;
}

export interface LatencyEstimate {
  /** Decayed median time to first token. */
  readonly p50Ms: number;
  /** Samples held (at most the capacity). */
  readonly samples: number;
  /** Sum of the decayed weights: the evidence behind the estimate. */
  readonly weight: number;
  readonly stale: boolean;
  readonly lastAt: number;
}

interface Ring {
  readonly values: number[];
  readonly times: number[];
  /** Sequence number of each slot's sample. */
  readonly seqs: number[];
  /** Samples ever recorded; the next sample's sequence number. */
  count: number;
}

export class LatencyTracker {
  private readonly clock: Clock;
  private readonly capacity: number;
  private readonly halfLifeSamples: number;
  private readonly halfLifeMs: number;
  private readonly staleWeight: number;
  private readonly rings = new Map<string, Ring>();

  constructor(options: LatencyOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.capacity = Math.max(1, Math.floor(options.capacity ?? 32));
    this.halfLifeSamples = options.halfLifeSamples ?? 10;
    this.halfLifeMs = options.halfLifeMs ?? 600_000;
    this.staleWeight = options.staleWeight ?? 0.5;
  }

  /** Records one time to first token. O(1). */
  record(providerId: string, modelId: string, ttftMs: number, at: number = this.clock.now()): void {
    if (!Number.isFinite(ttftMs) || ttftMs < 0) return;
    const id = key(providerId, modelId);
    let ring = this.rings.get(id);
    if (!ring) {
      ring = { values: [], times: [], seqs: [], count: 0 };
      this.rings.set(id, ring);
    }
    const slot = ring.count % this.capacity;
    ring.values[slot] = ttftMs;
    ring.times[slot] = at;
    ring.seqs[slot] = ring.count;
    ring.count++;
  }

  /** The decayed median, or undefined without samples. */
  p50(providerId: string, modelId: string, now: number = this.clock.now()): number | undefined {
    return this.estimate(providerId, modelId, now)?.p50Ms;
  }

  estimate(providerId: string, modelId: string, now: number = this.clock.now()): LatencyEstimate | undefined {
    const ring = this.rings.get(key(providerId, modelId));
    if (!ring || ring.count === 0) return undefined;
    const size = ring.values.length;
    const newest = ring.count - 1;
    let lastAt = Number.NEGATIVE_INFINITY;
    for (let slot = 0; slot < size; slot++) lastAt = Math.max(lastAt, ring.times[slot]!);
    // Weights relative to the newest sample (no underflow after a long idle time); the common factor for the time
    // since then does not move the median and is applied to the total only.
    const weighted: { value: number; weight: number }[] = [];
    let relativeTotal = 0;
    for (let slot = 0; slot < size; slot++) {
      const weight =
        0.5 ** ((newest - ring.seqs[slot]!) / this.halfLifeSamples) *
        0.5 ** ((lastAt - ring.times[slot]!) / this.halfLifeMs);
      weighted.push({ value: ring.values[slot]!, weight });
      relativeTotal += weight;
    }
    weighted.sort((a, b) => a.value - b.value);
    let p50Ms = weighted[weighted.length - 1]!.value;
    let cumulative = 0;
    for (const entry of weighted) {
      cumulative += entry.weight;
      if (cumulative >= relativeTotal / 2) {
        p50Ms = entry.value;
        break;
      }
    }
    const total = relativeTotal * 0.5 ** (Math.max(0, now - lastAt) / this.halfLifeMs);
    return { p50Ms, samples: size, weight: total, stale: total < this.staleWeight, lastAt };
  }

  /** Forgets one provider's samples, or all. */
  clear(providerId?: string): void {
    if (providerId === undefined) {
      this.rings.clear();
      return;
    }
    const prefix = `${providerId}\u0000`;
    for (const id of [...this.rings.keys()]) if (id.startsWith(prefix)) this.rings.delete(id);
  }
}

function key(providerId: string, modelId: string): string {
  return `${providerId}\u0000${modelId}`;
}
