/**
 * Ledger records for tests and benchmarks: {@link ledgerRecord} and {@link ledgerAttempt} build one with sensible
 * defaults (override what the test is about), {@link makeRecord} numbers cheap ones for the store's tests and bench,
 * {@link generateLedgerRecords} yields many realistic ones from a seed; {@link routeDecision} is the router's
 * decision that becomes a record.
 */
import type { Database } from 'sql.js';
import initSqlJs from 'sql.js';

import type { LedgerAttempt, LedgerRecord } from '../../src/core/ledger/record';
import { LEDGER_RECORD_VERSION } from '../../src/core/ledger/record';
import { migrate } from '../../src/core/ledger/schema';
import { insertRecords } from '../../src/core/ledger/write';
import type { Decision } from '../../src/core/routing/decision';
import { seededRandom } from './seededRandom';

/**
 * A router decision as the recorder receives it: an explain request answered by OpenAI after one overloaded Anthropic
 * attempt (2026-11-23 12:00:00 UTC, one second). Override what the test is about.
 */
export function routeDecision(id: string, overrides: Partial<Decision> = {}): Decision {
  const startedAt = Date.parse('2026-11-23T12:00:00Z');
  return {
    id,
    startedAt,
    finishedAt: startedAt + 1_000,
    task: 'explain',
    agent: 'explainer',
    command: 'modelRouter.explain',
    complexity: { score: 4, reasons: ['12 lines', 'task: explain'] },
    requestedTier: 'medium',
    tier: 'medium',
    escalated: false,
    downgraded: false,
    strategy: 'fallback',
    promptTokens: 120,
    estimateUsd: 0.0012,
    budgetWarnings: [],
    candidates: [],
    attempts: [
      { provider: 'anthropic', model: 'claude-sonnet-5-5', keyId: 'work', startedAt: 1, latencyMs: 30, status: 'error', errorKind: 'overloaded', httpStatus: 529, partialOutput: false, costUsd: 0 },
      { provider: 'openai', model: 'gpt-6.2-sol', keyId: 'default', startedAt: 2, latencyMs: 800, ttftMs: 120, status: 'ok', partialOutput: false, usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 10, cacheWriteTokens: 0 }, costUsd: 0.000701 },
    ],
    outcome: 'answered',
    chosen: { provider: 'openai', model: 'gpt-6.2-sol' },
    usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 10, cacheWriteTokens: 0 },
    costUsd: 0.000701,
    ...overrides,
  };
}

export function ledgerAttempt(overrides: Partial<LedgerAttempt> = {}): LedgerAttempt {
  return {
    seq: 0,
    startedAt: Date.parse('2026-03-09T12:00:00Z'),
    provider: 'anthropic',
    model: 'claude-sonnet-5-5',
    keyId: 'default',
    status: 'ok',
    errorKind: null,
    httpStatus: null,
    latencyMs: 1000,
    ttftMs: 300,
    inputTokens: 1000,
    outputTokens: 200,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costNano: 1_000_000,
    usageEstimated: false,
    ...overrides,
  };
}

/**
 * One record. Without `attempts`, it gets one successful attempt copying the record's provider, model, time,
 * latency, ttft, tokens and cost; pass `attempts` to describe fallbacks (the record's totals are not recomputed).
 */
export function ledgerRecord(overrides: Partial<LedgerRecord> & { readonly id: string }): LedgerRecord {
  const { attempts: given, ...rest } = overrides;
  const base: Omit<LedgerRecord, 'attempts'> = {
    v: LEDGER_RECORD_VERSION,
    startedAt: Date.parse('2026-03-09T12:00:00Z'),
    finishedAt: Date.parse('2026-03-09T12:00:01Z'),
    agent: 'explainer',
    command: 'modelRouter.explain',
    task: 'explain',
    complexity: 4,
    reasons: ['12 lines'],
    requestedTier: 'medium',
    tier: 'medium',
    escalated: false,
    downgraded: false,
    forced: false,
    strategy: 'fallback',
    provider: 'anthropic',
    model: 'claude-sonnet-5-5',
    outcome: 'answered',
    errorKind: null,
    errorMessage: null,
    inputTokens: 1000,
    outputTokens: 200,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costNano: 1_000_000,
    estimateNano: null,
    latencyMs: 1000,
    ttftMs: 300,
    fallbacks: 0,
    instruction: null,
    ...rest,
  };
  const attempts =
    given ??
    (base.provider !== null && base.model !== null
      ? [
          ledgerAttempt({
            startedAt: base.startedAt,
            provider: base.provider,
            model: base.model,
            latencyMs: base.latencyMs,
            ttftMs: base.ttftMs,
            inputTokens: base.inputTokens,
            outputTokens: base.outputTokens,
            cacheReadTokens: base.cacheReadTokens,
            cacheWriteTokens: base.cacheWriteTokens,
            costNano: base.costNano,
            status: base.outcome === 'answered' ? 'ok' : 'error',
          }),
        ]
      : []);
  return { ...base, attempts };
}

/**
 * Record number `n` of a stream the store's tests, its child processes and its bench append: a first attempt that
 * failed (overloaded) and a fallback that answered; agent, complexity, input tokens and cost vary with `n`, so sums
 * can be checked. One second apart by default. Written out rather than through {@link ledgerRecord} (whose defaults
 * it shares): the store bench builds its records inside the loop it times, and object spreads cost it ~7 µs each.
 */
export function makeRecord(id: string, n: number, startedAt = Date.parse('2026-11-23T12:00:00Z') + n * 1000): LedgerRecord {
  const costNano = 1_000 + (n % 997) * 13;
  const inputTokens = 100 + (n % 50);
  return {
    v: LEDGER_RECORD_VERSION,
    id,
    startedAt,
    finishedAt: startedAt + 800,
    agent: ['explainer', 'refactorer', 'tester'][n % 3]!,
    command: 'modelRouter.explain',
    task: 'explain',
    complexity: n % 10,
    reasons: ['12 lines', 'task: explain'],
    requestedTier: 'medium',
    tier: 'medium',
    escalated: false,
    downgraded: false,
    forced: false,
    strategy: 'fallback',
    provider: 'openai',
    model: 'gpt-6.2-sol',
    outcome: 'answered',
    errorKind: null,
    errorMessage: null,
    inputTokens,
    outputTokens: 50,
    cacheReadTokens: 10,
    cacheWriteTokens: 0,
    costNano,
    estimateNano: 1_200,
    latencyMs: 800,
    ttftMs: 120,
    fallbacks: 1,
    instruction: null,
    attempts: [
      { seq: 0, startedAt, provider: 'anthropic', model: 'claude-sonnet-5-5', keyId: 'work', status: 'error', errorKind: 'overloaded', httpStatus: 529, latencyMs: 30, ttftMs: null, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costNano: 0, usageEstimated: false },
      { seq: 1, startedAt: startedAt + 30, provider: 'openai', model: 'gpt-6.2-sol', keyId: 'default', status: 'ok', errorKind: null, httpStatus: null, latencyMs: 770, ttftMs: 120, inputTokens, outputTokens: 50, cacheReadTokens: 10, cacheWriteTokens: 0, costNano, usageEstimated: false },
    ],
  };
}

interface ModelProfile {
  readonly provider: string;
  readonly model: string;
  readonly tier: 'light' | 'medium' | 'heavy';
  /** USD per million input / output tokens. */
  readonly input: number;
  readonly output: number;
  readonly ttftMs: number;
  readonly tokensPerS: number;
  readonly failureRate: number;
}

const PROFILES: readonly ModelProfile[] = [
  { provider: 'anthropic', model: 'claude-haiku-5-5', tier: 'light', input: 1, output: 5, ttftMs: 400, tokensPerS: 150, failureRate: 0.02 },
  { provider: 'anthropic', model: 'claude-sonnet-5-5', tier: 'medium', input: 3, output: 15, ttftMs: 700, tokensPerS: 90, failureRate: 0.04 },
  { provider: 'anthropic', model: 'claude-opus-5-5', tier: 'heavy', input: 5, output: 25, ttftMs: 1200, tokensPerS: 60, failureRate: 0.05 },
  { provider: 'openai', model: 'gpt-6-luna', tier: 'light', input: 0.25, output: 2, ttftMs: 350, tokensPerS: 160, failureRate: 0.02 },
  { provider: 'openai', model: 'gpt-6.2-sol', tier: 'medium', input: 1.25, output: 10, ttftMs: 600, tokensPerS: 100, failureRate: 0.03 },
  { provider: 'gemini', model: 'gemini-3.8-flash', tier: 'medium', input: 0.3, output: 2.5, ttftMs: 450, tokensPerS: 200, failureRate: 0.03 },
  { provider: 'deepseek', model: 'deepseek-flash', tier: 'light', input: 0.28, output: 0.42, ttftMs: 900, tokensPerS: 50, failureRate: 0.06 },
  { provider: 'local', model: 'qwen2.5-coder:7b', tier: 'light', input: 0, output: 0, ttftMs: 250, tokensPerS: 40, failureRate: 0.01 },
];

const AGENTS: ReadonlyArray<{ readonly agent: string; readonly task: string }> = [
  { agent: 'implementer', task: 'implement' },
  { agent: 'refactorer', task: 'refactor' },
  { agent: 'tester', task: 'tests' },
  { agent: 'reviewer', task: 'review' },
  { agent: 'explainer', task: 'explain' },
  { agent: 'documenter', task: 'document' },
  { agent: 'fixer', task: 'fix' },
  { agent: 'architect', task: 'ask' },
];

export interface GenerateOptions {
  readonly count: number;
  /** Inclusive start of the spread, epoch ms. */
  readonly from: number;
  /** Exclusive end, epoch ms. */
  readonly to: number;
  readonly seed?: number;
  /** Prefix of the ids (default "r"), so several batches do not collide. */
  readonly idPrefix?: string;
}

/**
 * `count` records evenly spread (with jitter) over [from, to), in time order: agents, complexities, tiers, 1-3
 * attempts (a failed first attempt falls back to another provider), token counts and nano-dollar costs that follow
 * the profile's prices, and a few unanswered requests. Deterministic for a seed.
 */
export function* generateLedgerRecords(options: GenerateOptions): Generator<LedgerRecord> {
  const next = seededRandom(options.seed ?? 1);
  const prefix = options.idPrefix ?? 'r';
  const step = (options.to - options.from) / Math.max(1, options.count);
  for (let i = 0; i < options.count; i += 1) {
    const startedAt = Math.min(options.to - 1, Math.floor(options.from + i * step + next() * step));
    const { agent, task } = AGENTS[Math.floor(next() * AGENTS.length)]!;
    const complexity = Math.floor(next() * 11);
    const tier = complexity <= 3 ? 'light' : complexity <= 6 ? 'medium' : 'heavy';
    const inTier = PROFILES.filter((p) => p.tier === tier);
    const attempts: LedgerAttempt[] = [];
    let at = startedAt;
    let answered: { profile: ModelProfile; attempt: LedgerAttempt } | undefined;
    const tries = 1 + (next() < 0.1 ? 1 : 0) + (next() < 0.02 ? 1 : 0);
    for (let seq = 0; seq < 3 && !answered; seq += 1) {
      const profile = seq === 0 ? inTier[Math.floor(next() * inTier.length)]! : PROFILES[Math.floor(next() * PROFILES.length)]!;
      const fails = seq < tries - 1 || next() < profile.failureRate;
      const inputTokens = 200 + Math.floor(next() * 8000);
      if (fails) {
        const latencyMs = Math.round(50 + next() * 2000);
        attempts.push(ledgerAttempt({
          seq, startedAt: at, provider: profile.provider, model: profile.model, keyId: 'default', status: 'error',
          errorKind: next() < 0.5 ? 'overloaded' : 'rate_limit', httpStatus: next() < 0.5 ? 529 : 429, latencyMs,
          ttftMs: null, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costNano: 0,
        }));
        at += latencyMs;
        continue;
      }
      const outputTokens = 50 + Math.floor(next() * 1500);
      const cacheReadTokens = next() < 0.3 ? Math.floor(inputTokens * next()) : 0;
      const cacheWriteTokens = next() < 0.1 ? Math.floor(inputTokens * 0.5) : 0;
      const ttftMs = Math.round(profile.ttftMs * (0.5 + next()));
      const latencyMs = Math.round(ttftMs + (outputTokens / profile.tokensPerS) * 1000);
      const costNano = Math.round(
        (inputTokens * profile.input + outputTokens * profile.output + cacheReadTokens * profile.input * 0.1 +
          cacheWriteTokens * profile.input * 1.25) * 1000,
      );
      const attempt = ledgerAttempt({
        seq, startedAt: at, provider: profile.provider, model: profile.model, keyId: next() < 0.5 ? 'default' : 'work',
        status: 'ok', latencyMs, ttftMs, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costNano,
      });
      attempts.push(attempt);
      at += latencyMs;
      answered = { profile, attempt };
    }
    const ok = answered?.attempt;
    yield {
      v: LEDGER_RECORD_VERSION,
      id: `${prefix}${i}`,
      startedAt,
      finishedAt: at,
      agent,
      command: `modelRouter.${task}`,
      task,
      complexity,
      reasons: [`${10 + complexity * 20} lines`, `task: ${task}`],
      requestedTier: tier,
      tier,
      escalated: false,
      downgraded: false,
      forced: false,
      strategy: 'fallback',
      provider: answered?.profile.provider ?? null,
      model: answered?.profile.model ?? null,
      outcome: ok ? 'answered' : 'failed',
      errorKind: ok ? null : 'overloaded',
      errorMessage: ok ? null : 'every provider failed',
      inputTokens: ok?.inputTokens ?? 0,
      outputTokens: ok?.outputTokens ?? 0,
      cacheReadTokens: ok?.cacheReadTokens ?? 0,
      cacheWriteTokens: ok?.cacheWriteTokens ?? 0,
      costNano: attempts.reduce((sum, a) => sum + a.costNano, 0),
      estimateNano: null,
      latencyMs: at - startedAt,
      ttftMs: ok?.ttftMs ?? null,
      fallbacks: Math.max(0, new Set(attempts.map((a) => `${a.provider}/${a.model}`)).size - 1),
      instruction: null,
      attempts,
    };
  }
}

/** An in-memory ledger database at the current schema holding `records`. */
export async function dbWith(records: readonly LedgerRecord[]): Promise<Database> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  migrate(db);
  insertRecords(db, records);
  return db;
}
