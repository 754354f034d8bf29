import type { LedgerRecord } from '../../src/core/ledger/record';
import { LEDGER_RECORD_VERSION } from '../../src/core/ledger/record';

/** A synthetic ledger record with two attempts; cost depends on `n` so sums can be checked. */
export function makeRecord(id: string, n: number, startedAt = Date.parse('2026-11-23T12:00:00Z') + n * 1000): LedgerRecord {
  const costNano = 1_000 + (n % 997) * 13;
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
    inputTokens: 100 + (n % 50),
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
      { seq: 1, startedAt: startedAt + 30, provider: 'openai', model: 'gpt-6.2-sol', keyId: 'default', status: 'ok', errorKind: null, httpStatus: null, latencyMs: 770, ttftMs: 120, inputTokens: 100 + (n % 50), outputTokens: 50, cacheReadTokens: 10, cacheWriteTokens: 0, costNano, usageEstimated: false },
    ],
  };
}
