/**
 * A decision's plan in words, the same in the CLI's stderr line and the extension's progress notification and log:
 * "anthropic/claude-sonnet-5-5 · complexity 7/10 · medium tier · est. $0.012 · 212 lines, nesting depth 6".
 */
import { formatUsd } from '../util/format';
import type { CandidateRecord, Decision } from './decision';

/** What a cost or estimate of a model without a known price is followed by, wherever it is shown. */
export const PRICE_UNKNOWN_NOTE = '(price unknown: upper estimate)';

/** A decision's cost, e.g. `$0.0123`, or `$0.0450 (price unknown: upper estimate)` when an attempt's model has no known price. */
export function describeCost(decision: Decision): string {
  const unknown = decision.attempts.some((attempt) => attempt.priceUnknown === true);
  return unknown ? `${formatUsd(decision.costUsd)} ${PRICE_UNKNOWN_NOTE}` : formatUsd(decision.costUsd);
}

/** `provider/model`, or the provider alone when it has no model for the tier. */
export function candidateName(candidate: { readonly provider: string; readonly model: string | undefined }): string {
  return candidate.model ? `${candidate.provider}/${candidate.model}` : candidate.provider;
}

export interface PlanDescription {
  /** The first planned candidate, when any. */
  readonly first: CandidateRecord | undefined;
  /** Complexity (or "forced model"), tier with escalation/downgrade, estimate, reasons; in that order. */
  readonly parts: readonly string[];
}

export function describePlan(decision: Decision): PlanDescription {
  const first = decision.candidates.find((c) => c.status === 'planned');
  const parts: string[] = [];
  if (decision.forced) parts.push('forced model (complexity not estimated)');
  else if (decision.complexity) parts.push(`complexity ${decision.complexity.score}/10`);
  let tier = `${decision.tier} tier`;
  if (decision.escalated) tier += ` (escalated from ${decision.requestedTier})`;
  if (decision.downgraded) tier += ' (downgraded: budget)';
  if (decision.cascade) tier += ` first, checked by ${decision.cascade.planned} ${decision.cascade.planned === 1 ? 'check' : 'checks'}, escalated only if one fails`;
  parts.push(tier);
  if (first) parts.push(`est. ${formatUsd(decision.estimateUsd)}${first.priceUnknown === true ? ` ${PRICE_UNKNOWN_NOTE}` : ''}`);
  if (decision.complexity && decision.complexity.reasons.length > 0) parts.push(decision.complexity.reasons.join(', '));
  return { first, parts };
}
