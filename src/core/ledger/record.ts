/**
 * What the ledger keeps of one routed request: a flat, JSON-serializable copy of the router's decision record.
 * It is what a journal line holds and what becomes one `requests` row and one `attempts` row per attempt. It never
 * holds a key (only key ids) nor the user's code; the instruction only when the user allowed it.
 */
import { redact } from '../providers/errors';
import type { Decision } from '../routing/decision';
import { fallbackCount } from '../routing/decision';
import { SecretScrubber } from '../util/secrets';
import { sanitizeTerminalText } from '../util/terminalText';
import type { LedgerFeedback } from './feedback';

export const LEDGER_RECORD_VERSION = 1;

export interface LedgerAttempt {
  readonly seq: number;
  readonly startedAt: number;
  readonly provider: string;
  readonly model: string;
  readonly keyId: string;
  readonly status: 'ok' | 'error';
  readonly errorKind: string | null;
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  readonly ttftMs: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** Cost in whole nano-dollars (1e-9 USD), so sums are exact. */
  readonly costNano: number;
  readonly usageEstimated: boolean;
  /**
   * The model had no known price: `costNano` is an upper estimate (the provider's most expensive known model, or the
   * user's `unknownModelPrice`). Absent in records written before it existed, and when false.
   */
  readonly priceUnknown?: true;
  /** A cascade checked this attempt's answer (absent otherwise, and in records written before schema 6). */
  readonly verification?: LedgerVerification;
}

/**
 * A verdict as the ledger keeps it. The failing checks' names and values are excerpts of code, so they are kept
 * only when the user allowed storing instructions (`ledger.storeInstructions`); counts always.
 */
export interface LedgerVerification {
  readonly verdict: 'pass' | 'fail' | 'unknown';
  readonly checks: number;
  readonly passed: number;
  readonly failed: number;
  readonly ms: number;
  readonly isolation: string | null;
  readonly failures?: readonly { readonly kind: string; readonly name: string; readonly expected?: string; readonly got?: string; readonly detail?: string }[];
}

/** What a cascade did for the request. */
export interface LedgerCascade {
  /** pass | unknown | best-failing (absent when the request ended without an answer). */
  readonly kept: string | null;
  /** Answers checked. */
  readonly steps: number;
  /** The tier the first answer came from. */
  readonly startTier: string;
  /** What the request would have cost on the strongest tier (prompt + its expected output), for "saved". */
  readonly strongEstimateNano: number | null;
}

export interface LedgerRecord {
  readonly v: typeof LEDGER_RECORD_VERSION;
  /** The decision id: idempotent, so a record replayed from a journal twice is stored once. */
  readonly id: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly agent: string;
  readonly command: string | null;
  readonly task: string;
  readonly complexity: number | null;
  readonly reasons: readonly string[];
  readonly requestedTier: string;
  readonly tier: string;
  readonly escalated: boolean;
  readonly downgraded: boolean;
  readonly forced: boolean;
  readonly strategy: string;
  readonly provider: string | null;
  readonly model: string | null;
  readonly outcome: string;
  readonly errorKind: string | null;
  readonly errorMessage: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly costNano: number;
  readonly estimateNano: number | null;
  /** Whole request, first attempt start to the end. */
  readonly latencyMs: number;
  /** Time to first text of the answering attempt. */
  readonly ttftMs: number | null;
  readonly fallbacks: number;
  /** Only when the user allowed storing instructions. */
  readonly instruction: string | null;
  /** Set when a failed check escalated the request (verify-then-escalate). */
  readonly escalatedBy?: 'verification';
  /** Set when the request was routed as a cascade. */
  readonly cascade?: LedgerCascade;
  /**
   * Set when the answer came from the answer cache (no attempt, no cost): when the cached answer was given (epoch
   * ms) and what it cost then, in nano-dollars (what this request saved). Absent in records written before schema 7.
   */
  readonly cached?: { readonly from: number; readonly savedNano: number };
  /**
   * Set on a feedback line (what the user did with an earlier answer; see feedback.ts): not a request. It becomes a
   * `feedback` row (schema 8) and nothing else.
   */
  readonly feedback?: LedgerFeedback;
  readonly attempts: readonly LedgerAttempt[];
}

export interface RecordOptions {
  /** The instruction text, stored only when `storeInstruction` is true. */
  readonly instruction?: string;
  readonly storeInstruction?: boolean;
  /**
   * Every key value and base URL password the caller knows, of ALL providers and key ids: an error body from a
   * gateway in front of two providers may quote the other one's key. Without it, only key-shaped strings and URL
   * credentials are removed.
   */
  readonly secrets?: SecretScrubber;
}

/**
 * Every text field of a record made safe to store, export and print: control characters made visible (tabs and line
 * breaks kept), known key values and passwords replaced, URL credentials masked; free text (the error message, the
 * instruction) also loses anything shaped like a key. The id is left alone (it is the router's own).
 */
function cleanRecord(record: LedgerRecord, secrets: SecretScrubber): LedgerRecord {
  const clean = (text: string): string => secrets.scrub(sanitizeTerminalText(text));
  const free = (text: string | null): string | null => (text === null ? null : redact(clean(text)));
  const name = (text: string | null): string | null => (text === null ? null : clean(text));
  return {
    ...record,
    agent: clean(record.agent),
    command: name(record.command),
    task: clean(record.task),
    reasons: record.reasons.map(clean),
    requestedTier: clean(record.requestedTier),
    tier: clean(record.tier),
    strategy: clean(record.strategy),
    provider: name(record.provider),
    model: name(record.model),
    outcome: clean(record.outcome),
    errorKind: name(record.errorKind),
    errorMessage: free(record.errorMessage),
    instruction: free(record.instruction),
    attempts: record.attempts.map((attempt) => ({
      ...attempt,
      provider: clean(attempt.provider),
      model: clean(attempt.model),
      keyId: clean(attempt.keyId),
      errorKind: name(attempt.errorKind),
      ...(attempt.verification
        ? {
            verification: {
              ...attempt.verification,
              ...(attempt.verification.failures
                ? {
                    failures: attempt.verification.failures.map((f) => ({
                      kind: clean(f.kind),
                      name: free(f.name) ?? '',
                      ...(f.expected !== undefined ? { expected: free(f.expected) ?? '' } : {}),
                      ...(f.got !== undefined ? { got: free(f.got) ?? '' } : {}),
                      ...(f.detail !== undefined ? { detail: free(f.detail) ?? '' } : {}),
                    })),
                  }
                : {}),
            },
          }
        : {}),
    })),
  };
}

const toNano = (usd: number): number => Math.round(usd * 1e9);

export function toLedgerRecord(decision: Decision, options: RecordOptions = {}): LedgerRecord {
  return cleanRecord(rawRecord(decision, options), options.secrets ?? new SecretScrubber());
}

function rawRecord(decision: Decision, options: RecordOptions): LedgerRecord {
  const answering = decision.attempts.find((a) => a.status === 'ok');
  return {
    v: LEDGER_RECORD_VERSION,
    id: decision.id,
    startedAt: decision.startedAt,
    finishedAt: decision.finishedAt,
    agent: decision.agent,
    command: decision.command ?? null,
    task: decision.task,
    complexity: decision.complexity?.score ?? null,
    reasons: decision.complexity?.reasons ?? [],
    requestedTier: decision.requestedTier,
    tier: decision.tier,
    escalated: decision.escalated,
    downgraded: decision.downgraded,
    forced: decision.forced !== undefined,
    strategy: decision.strategy,
    provider: decision.chosen?.provider ?? null,
    model: decision.chosen?.model ?? null,
    outcome: decision.outcome,
    errorKind: decision.error?.kind ?? null,
    errorMessage: decision.error?.message ?? null,
    inputTokens: decision.usage.inputTokens,
    outputTokens: decision.usage.outputTokens,
    cacheReadTokens: decision.usage.cacheReadTokens,
    cacheWriteTokens: decision.usage.cacheWriteTokens,
    costNano: decision.attempts.reduce((sum, a) => sum + toNano(a.costUsd), 0),
    estimateNano: decision.estimateUsd === undefined ? null : toNano(decision.estimateUsd),
    latencyMs: Math.max(0, decision.finishedAt - decision.startedAt),
    ttftMs: answering?.ttftMs ?? null,
    fallbacks: fallbackCount(decision),
    instruction: options.storeInstruction && options.instruction ? options.instruction : null,
    ...(decision.escalatedBy ? { escalatedBy: decision.escalatedBy } : {}),
    ...(decision.cascade
      ? {
          cascade: {
            kept: decision.cascade.kept ?? null,
            steps: decision.cascade.steps,
            startTier: decision.cascade.startTier,
            strongEstimateNano: decision.cascade.strongEstimateUsd === undefined ? null : toNano(decision.cascade.strongEstimateUsd),
          },
        }
      : {}),
    ...(decision.cached ? { cached: { from: decision.cached.from, savedNano: toNano(decision.cached.savedUsd) } } : {}),
    attempts: decision.attempts.map((a, seq) => ({
      seq,
      startedAt: a.startedAt,
      provider: a.provider,
      model: a.model,
      keyId: a.keyId,
      status: a.status,
      errorKind: a.errorKind ?? null,
      httpStatus: a.httpStatus ?? null,
      latencyMs: a.latencyMs,
      ttftMs: a.ttftMs ?? null,
      inputTokens: a.usage?.inputTokens ?? 0,
      outputTokens: a.usage?.outputTokens ?? 0,
      cacheReadTokens: a.usage?.cacheReadTokens ?? 0,
      cacheWriteTokens: a.usage?.cacheWriteTokens ?? 0,
      costNano: toNano(a.costUsd),
      usageEstimated: a.usageEstimated ?? false,
      ...(a.priceUnknown === true ? { priceUnknown: true as const } : {}),
      ...(a.verification
        ? {
            verification: {
              verdict: a.verification.verdict,
              checks: a.verification.checks,
              passed: a.verification.passed,
              failed: a.verification.failed,
              ms: a.verification.ms,
              isolation: a.verification.isolation ?? null,
              ...(options.storeInstruction ? { failures: a.verification.failures } : {}),
            },
          }
        : {}),
    })),
  };
}
