/**
 * Tiers from complexity scores, and moving between tiers: the nearest tier a provider has, one tier up for
 * escalation ("retry with a stronger model").
 */
import type { Tier, TierThresholds } from '../config/types';
import { TIERS } from '../config/types';

/**
 * Default thresholds: 1-3 light, 4-6 medium, 7-10 heavy. With the estimator's points (complexity.ts) light is a
 * short snippet with an ordinary task (under 2.5 points on top of the base 1), heavy needs 5.5 points or more: a few
 * hundred lines, or a smaller piece with deep nesting, concurrency and a demanding task or instruction. On the
 * development set (MBPP functions of 1-20 lines, task implement) the scores fall between 2 and 7, mostly light and
 * medium, which matches those tasks: a 1B model solves a third of them and an 8B model half.
 */
export const DEFAULT_TIER_THRESHOLDS: TierThresholds = { lightMax: 3, mediumMax: 6 };

/** The tier of a complexity score: `score <= lightMax` light, `<= mediumMax` medium, above heavy. */
export function tierFor(score: number, thresholds: TierThresholds = DEFAULT_TIER_THRESHOLDS): Tier {
  if (score <= thresholds.lightMax) return 'light';
  if (score <= thresholds.mediumMax) return 'medium';
  return 'heavy';
}

/** 0 for light, 1 for medium, 2 for heavy. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/**
 * The available tier nearest to `wanted`: `wanted` itself when available; else the closest by rank, and on a tie
 * the stronger one (the work was judged at least that hard). Undefined when nothing is available.
 */
export function nearestTier(wanted: Tier, available: readonly Tier[]): Tier | undefined {
  const wantedRank = tierRank(wanted);
  let best: Tier | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const tier of available) {
    const rank = tierRank(tier);
    if (rank < 0) continue;
    const distance = Math.abs(rank - wantedRank);
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && rank > tierRank(best))) {
      best = tier;
      bestDistance = distance;
    }
  }
  return best;
}

/** One tier stronger, or undefined from heavy. */
export function tierUp(tier: Tier): Tier | undefined {
  return TIERS[tierRank(tier) + 1];
}

/** One tier weaker (budget downgrade), or undefined from light. */
export function tierDown(tier: Tier): Tier | undefined {
  const rank = tierRank(tier);
  return rank > 0 ? TIERS[rank - 1] : undefined;
}
