/**
 * "Compare Models": the same request on two models, side by side, and the user's pick. Which two (the routed model and
 * one the user chose, or the two cheapest that fit), and what each pick means as feedback on each answer.
 */
import type { FeedbackKind } from '../ledger/feedback';
import type { CandidateRecord, Decision } from './decision';

export interface ComparedModel {
  readonly provider: string;
  readonly model: string;
  /** Estimated cost of the request on it (USD), when known. */
  readonly estimateUsd: number | undefined;
}

/** The user's verdict on a comparison. */
export const COMPARE_PICKS = ['a', 'b', 'both', 'neither'] as const;
export type ComparePick = (typeof COMPARE_PICKS)[number];

const name = (c: { provider: string; model: string | undefined }): string => `${c.provider}/${c.model ?? ''}`;

/** The candidates a preview planned (usable now: key, health, limits, budget), each model once, in the router's order. */
export function usableModels(preview: Decision): ComparedModel[] {
  const seen = new Set<string>();
  const out: ComparedModel[] = [];
  for (const c of preview.candidates) {
    if (c.status !== 'planned' || c.model === undefined || seen.has(name(c))) continue;
    seen.add(name(c));
    out.push({ provider: c.provider, model: c.model, estimateUsd: c.estimateUsd });
  }
  return out;
}

/**
 * The two models to compare. With `picked`: the routed model (the first planned candidate) as A and `picked` as B; a
 * pick equal to the routed model takes the next usable one as A. Without: the two cheapest usable models (by their
 * estimate; unknown estimates last, then the router's order). Undefined, with the reason, when fewer than two differ.
 */
export function compareModels(
  preview: Decision,
  picked?: { readonly provider: string; readonly model: string },
): { readonly a: ComparedModel; readonly b: ComparedModel } | { readonly reason: string } {
  const usable = usableModels(preview);
  if (picked) {
    const a = usable.find((m) => name(m) !== name(picked));
    if (!a) return { reason: `no other model can take this request now (${describeSkipped(preview.candidates)})` };
    const known = usable.find((m) => name(m) === name(picked));
    return { a, b: known ?? { ...picked, estimateUsd: undefined } };
  }
  const sorted = usable
    .map((m, order) => ({ m, order }))
    .sort((x, y) => (x.m.estimateUsd ?? Infinity) - (y.m.estimateUsd ?? Infinity) || x.order - y.order)
    .map(({ m }) => m);
  if (sorted.length < 2) return { reason: `fewer than two models can take this request now (${describeSkipped(preview.candidates)})` };
  return { a: sorted[0]!, b: sorted[1]! };
}

function describeSkipped(candidates: readonly CandidateRecord[]): string {
  const skipped = candidates.filter((c) => c.status === 'skipped').map((c) => `${name(c)}: ${c.reason ?? 'skipped'}`);
  return skipped.length > 0 ? `skipped: ${skipped.join('; ')}` : 'the agent\'s chain has one model for this tier';
}

/** What a pick records on answer A and answer B. */
export function comparisonFeedback(pick: ComparePick): readonly [FeedbackKind, FeedbackKind] {
  switch (pick) {
    case 'a':
      return ['compare-win', 'compare-loss'];
    case 'b':
      return ['compare-loss', 'compare-win'];
    case 'both':
      return ['compare-both', 'compare-both'];
    case 'neither':
      return ['compare-neither', 'compare-neither'];
  }
}
