/**
 * What the user did with an answer: a diff accepted, rejected or undone, "Retry with a Stronger Model", a comparison
 * pick. Each is a journal line like a request's (so it is durable, merged from every window and CLI run, and kept for
 * `ledger.retentionDays`), but it becomes a `feedback` row (schema 8), never a request: see {@link feedbackRecord}.
 *
 * A feedback line names the request it is about and repeats that request's agent, task and model, so the dashboard
 * and the recommendations group it without a join (and still can after the request aged out).
 */
import { randomUUID } from 'node:crypto';

import type { Database } from 'sql.js';

import type { LedgerRecord } from './record';
import { LEDGER_RECORD_VERSION } from './record';
import type { TimeRange } from './rollups';
import { schemaVersion } from './schema';
import { sqlNumber, StatementCache } from './sqlite';

export const FEEDBACK_KINDS = [
  /** A proposed diff was applied. */
  'accepted',
  /** A proposed diff was rejected (or dismissed). */
  'rejected',
  /** An applied diff was undone. */
  'undone',
  /** "Retry with a Stronger Model" right after this answer. */
  'retried-stronger',
  /** A comparison: this answer was picked over the other. */
  'compare-win',
  /** A comparison: the other answer was picked. */
  'compare-loss',
  /** A comparison: both answers were fine. */
  'compare-both',
  /** A comparison: neither answer was good. */
  'compare-neither',
] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export interface LedgerFeedback {
  /** The request (decision id) the feedback is about. */
  readonly requestId: string;
  readonly kind: FeedbackKind;
  readonly agent: string;
  readonly task: string;
  readonly provider: string;
  readonly model: string;
  /** A comparison's id: the two requests compared share it. */
  readonly comparison?: string;
}

/**
 * A feedback event as a journal line: a record with `feedback` set, no attempts and no cost. {@link insertRecords}
 * writes it to the `feedback` table (on a ledger before schema 8 it is skipped), never to `requests`.
 */
export function feedbackRecord(feedback: LedgerFeedback, at: number, id: string = randomUUID()): LedgerRecord {
  return {
    v: LEDGER_RECORD_VERSION,
    id: `feedback:${id}`,
    startedAt: at,
    finishedAt: at,
    agent: feedback.agent,
    command: null,
    task: feedback.task,
    complexity: null,
    reasons: [],
    requestedTier: '',
    tier: '',
    escalated: false,
    downgraded: false,
    forced: false,
    strategy: '',
    provider: feedback.provider,
    model: feedback.model,
    outcome: 'feedback',
    errorKind: null,
    errorMessage: null,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costNano: 0,
    estimateNano: null,
    latencyMs: 0,
    ttftMs: null,
    fallbacks: 0,
    instruction: null,
    feedback,
    attempts: [],
  };
}

export function isFeedbackKind(value: unknown): value is FeedbackKind {
  return typeof value === 'string' && (FEEDBACK_KINDS as readonly string[]).includes(value);
}

/** What the user did with one agent's answers from one model, over a window. */
export interface FeedbackSummary {
  readonly agent: string;
  readonly provider: string;
  readonly model: string;
  readonly accepted: number;
  readonly rejected: number;
  readonly undone: number;
  readonly retriedStronger: number;
  readonly compareWins: number;
  readonly compareLosses: number;
  readonly compareBoth: number;
  readonly compareNeither: number;
  /** Answers the user judged: accepted + rejected + retried stronger (an undo turns an accept into a rejection). */
  readonly judged: number;
  /** (accepted - undone) / judged, 0..1; null when nothing was judged. */
  readonly acceptanceRate: number | null;
  /** What the judged answers cost, USD (from their requests still in the ledger). */
  readonly judgedCostUsd: number;
}

/** Per agent and model, the feedback recorded in `range` (newest ledgers only: empty before schema 8). */
export function feedbackSummaries(db: Database, range: TimeRange): FeedbackSummary[] {
  if (schemaVersion(db) < 8) return [];
  const statements = new StatementCache(db);
  const rows = new Map<string, { agent: string; provider: string; model: string; counts: Map<string, number>; costNano: number }>();
  try {
    statements.each(
      `SELECT f.agent, f.provider, f.model, f.kind, COUNT(*), TOTAL(r.cost_nano)
       FROM feedback f LEFT JOIN requests r ON r.id = f.request_id
       WHERE f.at BETWEEN ? AND ? GROUP BY 1, 2, 3, 4`,
      [range.from, range.to - 1],
      (row) => {
        const [agent, provider, model, kind] = [String(row[0]), String(row[1]), String(row[2]), String(row[3])];
        const key = `${agent}\u0000${provider}\u0000${model}`;
        let entry = rows.get(key);
        if (!entry) rows.set(key, (entry = { agent, provider, model, counts: new Map(), costNano: 0 }));
        entry.counts.set(kind, sqlNumber(row[4]));
        if (kind === 'accepted' || kind === 'rejected' || kind === 'retried-stronger') entry.costNano += sqlNumber(row[5]);
      },
    );
  } finally {
    statements.free();
  }
  const out: FeedbackSummary[] = [];
  for (const { agent, provider, model, counts, costNano } of rows.values()) {
    const n = (kind: FeedbackKind): number => counts.get(kind) ?? 0;
    const judged = n('accepted') + n('rejected') + n('retried-stronger');
    const kept = Math.max(0, n('accepted') - n('undone'));
    out.push({
      agent, provider, model,
      accepted: n('accepted'),
      rejected: n('rejected'),
      undone: n('undone'),
      retriedStronger: n('retried-stronger'),
      compareWins: n('compare-win'),
      compareLosses: n('compare-loss'),
      compareBoth: n('compare-both'),
      compareNeither: n('compare-neither'),
      judged,
      acceptanceRate: judged > 0 ? kept / judged : null,
      judgedCostUsd: costNano / 1e9,
    });
  }
  return out.sort((a, b) => a.agent.localeCompare(b.agent) || b.judged - a.judged || `${a.provider}/${a.model}`.localeCompare(`${b.provider}/${b.model}`));
}
