/**
 * The decision record: everything the router decided and did for one request. The ledger stores it, the UI shows
 * it, the CLI prints it with `--json`. It never holds a key (only key ids) nor the user's code.
 */
import type { AgentId, TaskType, Tier } from '../config/types';
import type { ErrorKind } from '../providers/errors';
import type { Usage } from '../providers/types';
import type { CheckKind, CheckResult, IsolationLevel, VerdictKind } from '../verify/types';
import type { KeyUnusable } from './keyPool';

/** One failed check as a decision keeps it: short (each text at most {@link VERDICT_TEXT_MAX} characters). */
export type CheckFailureRecord = Omit<CheckResult, 'status'>;

/** The verdict on one attempt's answer (verify-then-escalate). */
export interface VerdictRecord {
  readonly verdict: VerdictKind;
  /** Checks that ran (the parse check and skipped ones not counted). */
  readonly checks: number;
  readonly passed: number;
  /** The kinds of the checks that ran (examples, asserts...), each once. */
  readonly kinds: readonly CheckKind[];
  /** The first few failures ({@link VERDICT_FAILURES_MAX}). */
  readonly failures: readonly CheckFailureRecord[];
  /** How many checks failed in all (may exceed `failures.length`). */
  readonly failed: number;
  readonly ms: number;
  /** How the run was isolated; undefined when nothing ran. */
  readonly isolation?: IsolationLevel;
  /** Why nothing could be checked, or a note. */
  readonly reason?: string;
}

export const VERDICT_FAILURES_MAX = 5;
export const VERDICT_TEXT_MAX = 200;

/** Why a candidate was dropped before sending, as a code (the `reason` says it in words). */
export type SkipCode =
  | 'unknown-provider'
  | 'disabled'
  | 'no-model'
  | 'excluded'
  | 'circuit-open'
  /** A local endpoint refused the connection and has not answered since (see EndpointHealth). */
  | 'endpoint-down'
  /** No key could take it: see `keys` for each key's reason (missing, rejected, rate limited, wrong tier...). */
  | 'keys'
  | 'over-budget';

export interface CandidateRecord {
  readonly provider: string;
  readonly model: string | undefined;
  readonly tier: Tier;
  /** `planned`: in the order to try; `skipped`: dropped before sending, with the reason. */
  status: 'planned' | 'skipped';
  reason?: string;
  /** Set with `skipped`: the reason as a code, for callers that act on it (never parse `reason`). */
  skip?: SkipCode;
  /** With `skip: 'keys'`: why each key of the provider could not take the request. */
  keys?: readonly KeyUnusable[];
  /** Estimated cost in USD of this candidate for this request (undefined without a model). */
  readonly estimateUsd: number | undefined;
  /** The model has no known price: `estimateUsd` is an upper estimate (see PriceTable.charge). */
  readonly priceUnknown?: boolean;
}

export interface AttemptRecord {
  readonly provider: string;
  readonly model: string;
  /** The key's id, never the key. */
  readonly keyId: string;
  readonly startedAt: number;
  latencyMs: number;
  /** Time to the first text, when any arrived. */
  ttftMs?: number;
  status: 'ok' | 'error';
  errorKind?: ErrorKind;
  httpStatus?: number;
  message?: string;
  retryAfterMs?: number;
  /** Whether text had streamed before this attempt failed. */
  partialOutput: boolean;
  usage?: Usage;
  /** True when the router estimated the usage: the provider reported none, or reported implausible numbers. */
  usageEstimated?: boolean;
  /** Set when the provider's usage was not believed (negative, not a number, more than was sent or received): why. */
  usageImplausible?: string;
  costUsd: number;
  /** The model has no known price: `costUsd` is an upper estimate, booked against the budget as such. */
  priceUnknown?: boolean;
  /** A cascade checked this attempt's answer: the verdict. */
  verification?: VerdictRecord;
}

/** What a cascade (verify-then-escalate) did for the request. */
export interface CascadeRecord {
  /** The checks the request carries (planned before any answer). */
  readonly planned: number;
  /** The tier the first answer came from. */
  readonly startTier: Tier;
  /** Answers checked (one per tier tried). */
  steps: number;
  /** Which answer was shown: one that passed, one nothing could check, or the best of those that failed. */
  kept?: 'pass' | 'unknown' | 'best-failing';
  /** Why an escalation could not happen (budget, no candidate, every candidate failed): the cheaper answer is shown. */
  blocked?: string;
  /** What the request would cost on the strongest tier (prompt + its expected output): what a kept answer saved. */
  readonly strongEstimateUsd?: number;
}

/** Why a request ended without an answer, beyond the provider's own error kinds. */
export type FailureKind = ErrorKind | 'exhausted' | 'budget' | 'unavailable';

export type Outcome = 'answered' | 'failed' | 'interrupted' | 'aborted';

export interface Decision {
  readonly id: string;
  readonly startedAt: number;
  finishedAt: number;
  readonly task: TaskType;
  readonly agent: AgentId;
  readonly command?: string;
  /** Undefined when the model was forced (complexity is skipped). */
  readonly complexity: { readonly score: number; readonly reasons: readonly string[] } | undefined;
  /** The tier the complexity asked for, before escalation and budget downgrades. */
  readonly requestedTier: Tier;
  tier: Tier;
  escalated: boolean;
  /** Set when a failed check sent the request up a tier (verify-then-escalate). */
  escalatedBy?: 'verification';
  /** Set when the request was routed as a cascade. */
  cascade?: CascadeRecord;
  downgraded: boolean;
  readonly strategy: string;
  readonly forced?: { readonly provider: string; readonly model: string };
  readonly promptTokens: number;
  /** Estimated cost of the first planned candidate. */
  estimateUsd: number | undefined;
  /** Budget warnings raised before sending (onExceed: warn). */
  budgetWarnings: string[];
  candidates: CandidateRecord[];
  attempts: AttemptRecord[];
  outcome: Outcome;
  chosen?: { readonly provider: string; readonly model: string };
  usage: Usage;
  costUsd: number;
  error?: { readonly kind: FailureKind; readonly message: string; readonly retryAfterMs?: number };
  /**
   * Set when a stream broke after output had started: the partial answer is the failed model's alone, and
   * `continueWith` lists the candidates a continuation would try (as `provider/model`).
   */
  interrupted?: { readonly provider: string; readonly model: string; readonly continueWith: readonly string[] };
  /**
   * Set when the answer came from the answer cache: nothing was sent and nothing spent. `from`: when the cached
   * answer was given (epoch ms); `savedUsd`: what it cost then.
   */
  cached?: { readonly from: number; readonly savedUsd: number };
}

/** How many other models the request fell back to: the distinct provider/model pairs it tried, less the first. */
export function fallbackCount(decision: Pick<Decision, 'attempts'>): number {
  return Math.max(0, new Set(decision.attempts.map((a) => `${a.provider}/${a.model}`)).size - 1);
}

export type RouteEvent =
  | { readonly type: 'plan'; readonly decision: Decision }
  | { readonly type: 'attempt'; readonly provider: string; readonly model: string; readonly keyId: string; readonly attempt: number }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'retry'; readonly provider: string; readonly model: string; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'fallback'; readonly provider: string; readonly model: string; readonly reason: string }
  | { readonly type: 'wait'; readonly delayMs: number; readonly reason: string }
  /** A cascade checks the answer that just arrived (its text is held back until the verdict). */
  | { readonly type: 'verify'; readonly provider: string; readonly model: string; readonly checks: number; readonly description: string }
  | { readonly type: 'verdict'; readonly provider: string; readonly model: string; readonly verdict: VerdictRecord; readonly description: string }
  /** A failed check sends the request one tier up. */
  | { readonly type: 'escalate'; readonly from: Tier; readonly to: Tier; readonly reason: string }
  | { readonly type: 'done'; readonly decision: Decision };
