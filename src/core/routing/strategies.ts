import type { StrategyName, TaskType } from '../config/types';

/** What a strategy may look at to order the viable candidates. */
export interface StrategyCandidate {
  readonly provider: string;
  readonly model: string;
  /** Position in the agent's chain (0 = primary). */
  readonly chainIndex: number;
  readonly estimateUsd: number | undefined;
  /** Task fit 0..1 (absent = 0.5). */
  readonly capability: number;
  /** Load-balance weight (> 0). */
  readonly weight: number;
  /** Observed, decayed median time to first token; undefined when never measured. */
  readonly p50Ms: number | undefined;
}

export interface StrategyContext {
  readonly task: TaskType;
  readonly random: () => number;
}

type Comparator = (a: StrategyCandidate, b: StrategyCandidate) => number;

const byChain: Comparator = (a, b) => a.chainIndex - b.chainIndex;

/** Unknown values sort after known ones; ties keep chain order. */
function ascendingKnown(pick: (c: StrategyCandidate) => number | undefined): Comparator {
  return (a, b) => {
    const x = pick(a);
    const y = pick(b);
    if (x === undefined && y === undefined) return byChain(a, b);
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return x - y || byChain(a, b);
  };
}

/**
 * Orders candidates by the strategy: fallback keeps chain order; cost puts the cheapest estimate first (unknown
 * prices last); capability the best task fit first; load-balance draws a weighted random order (Efraimidis-Spirakis:
 * key = u^(1/weight), highest first); latency the lowest observed p50 first (unmeasured last).
 */
export function orderCandidates<T extends StrategyCandidate>(
  candidates: readonly T[],
  strategy: StrategyName,
  context: StrategyContext,
): T[] {
  const list = [...candidates];
  switch (strategy) {
    case 'fallback':
      return list.sort(byChain);
    case 'cost':
      return list.sort(ascendingKnown((c) => c.estimateUsd));
    case 'capability':
      return list.sort((a, b) => b.capability - a.capability || byChain(a, b));
    case 'latency':
      return list.sort(ascendingKnown((c) => c.p50Ms));
    case 'load-balance': {
      const keyed = list.map((c) => ({ c, key: Math.pow(Math.max(context.random(), Number.MIN_VALUE), 1 / c.weight) }));
      keyed.sort((a, b) => b.key - a.key);
      return keyed.map((k) => k.c);
    }
  }
}
