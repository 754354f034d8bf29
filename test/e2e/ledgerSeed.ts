/**
 * A ledger history written before the extension opens the ledger, for test/e2e/dashboardActions.test.ts: the
 * journal another VS Code window (a process that has exited since) left in the extension's global storage
 * `ledger/` folder. The store merges such journals on open (src/core/ledger/store.ts) exactly as it merges those of
 * windows running beside it.
 *
 * Each record is what the extension itself would have written: a router {@link Decision} made into a ledger line by
 * the extension's own `toLedgerRecord` (src/core/ledger/record.ts), in the journal's own format (journal.ts: one JSON
 * record a line, `journal-<pid>-<hex>.jsonl`). The numbers are the router's own too: complexity from
 * `estimateComplexity` on the code explained, its tier from `tierFor`, and each attempt's cost from the built-in
 * price table, so the seeded rows look like routed requests, not fixtures.
 *
 * The story (the last 5 days): a person explains small functions of billing/invoice.py with the explainer chain
 * gemini → openai → anthropic. Every selection is light work (complexity 1-3) and Gemini's light model answers it;
 * each time they also ran "Retry with a Stronger Model", which asks one tier up (escalated, medium): Gemini's medium
 * model answers, or, three times, Gemini is overloaded (503, retried once) and OpenAI's medium model answers. That is
 * 20 scored, light explainer requests, 10 of them answered above the light tier: the thresholds of the cheaper-tier
 * recommendation (src/core/ledger/recommendations.ts: at least 20 requests, 60% light, 10 answered above the light
 * tier), reached with the fewest rows. Older, and of other agents (they change no recommendation): a review 20 days
 * ago and a design question 60 days ago, so the 7 / 30 / 90 day ranges each hold a different number of requests.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { AgentId, TaskType, Tier } from '../../src/core/config/types';
import { type LedgerRecord, toLedgerRecord } from '../../src/core/ledger/record';
import { costNanoUsd, createPriceTable } from '../../src/core/pricing/cost';
import type { ErrorKind } from '../../src/core/providers/errors';
import type { Usage } from '../../src/core/providers/types';
import { estimateComplexity } from '../../src/core/routing/complexity';
import type { AttemptRecord, Decision } from '../../src/core/routing/decision';
import { tierFor } from '../../src/core/routing/tiers';
import { GLOBAL_STORAGE_PATH } from './harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const prices = createPriceTable();

/** The explainer chain of the story (user settings), and the chain the recommendation must propose. */
export const SEED_EXPLAINER_CHAIN = ['gemini', 'openai', 'anthropic'] as const;

/** Small functions of billing/invoice.py and its helpers: what was explained. */
const SNIPPETS: readonly string[] = [
  'def cents_to_euros(cents: int) -> str:\n    return f"{cents / 100:.2f} EUR"\n',
  'def is_weekend(day: int) -> bool:\n    return day in (5, 6)\n',
  '@dataclass(frozen=True)\nclass Line:\n    sku: str\n    quantity: int\n    unit_cents: int\n',
  'def vat(net: int, rate: float) -> int:\n    """VAT in cents."""\n    return round(net * rate)\n',
  'def discount_for(quantity: int) -> float:\n    if quantity >= 100:\n        return 0.1\n    if quantity >= 10:\n        return 0.05\n    return 0\n',
  'def line_net(line: Line) -> int:\n    return line.quantity * line.unit_cents\n',
  'def is_empty(lines: list[Line]) -> bool:\n    return all(line.quantity <= 0 for line in lines)\n',
  'def skus(lines: list[Line]) -> set[str]:\n    return {line.sku for line in lines}\n',
  'def gross(net: int, vat_rate: float) -> int:\n    return round(net * (1 + vat_rate))\n',
  'def format_sku(sku: str) -> str:\n    return sku.strip().upper()\n',
];

interface AttemptPlan {
  provider: string;
  model: string;
  /** Failed attempts: the error and HTTP status (no usage, no cost). */
  error?: { kind: ErrorKind; httpStatus: number; message: string };
  latencyMs: number;
  ttftMs?: number;
}

interface RequestPlan {
  startedAt: number;
  task: TaskType;
  agent: AgentId;
  command: string;
  text: string;
  instruction?: string;
  escalate?: boolean;
  attempts: AttemptPlan[];
  usage: { input: number; output: number };
}

/** The decision the router would have made for `plan`, as the extension turns it into a ledger record. */
function recordOf(plan: RequestPlan): LedgerRecord {
  const complexity = estimateComplexity({
    text: plan.text,
    task: plan.task,
    language: 'python',
    ...(plan.instruction ? { instruction: plan.instruction } : {}),
  });
  const requestedTier = tierFor(complexity.score, DEFAULT_CONFIG.routing.tiers);
  const up: Record<Tier, Tier> = { light: 'medium', medium: 'heavy', heavy: 'heavy' };
  const tier = plan.escalate ? up[requestedTier] : requestedTier;
  const usage: Usage = { inputTokens: plan.usage.input, outputTokens: plan.usage.output, cacheReadTokens: 0, cacheWriteTokens: 0 };
  let at = plan.startedAt;
  const attempts: AttemptRecord[] = plan.attempts.map((a) => {
    const startedAt = at;
    at += a.latencyMs + (a.error ? 500 : 0); // the retry waits its back-off after a failure
    if (a.error) {
      return {
        provider: a.provider, model: a.model, keyId: 'default', startedAt, latencyMs: a.latencyMs, status: 'error',
        errorKind: a.error.kind, httpStatus: a.error.httpStatus, message: a.error.message, partialOutput: false, costUsd: 0,
      };
    }
    const price = prices.priceOf(a.provider, a.model);
    if (!price) throw new Error(`no built-in price for ${a.provider}/${a.model}`);
    return {
      provider: a.provider, model: a.model, keyId: 'default', startedAt, latencyMs: a.latencyMs,
      ...(a.ttftMs !== undefined ? { ttftMs: a.ttftMs } : {}),
      status: 'ok', httpStatus: 200, partialOutput: false, usage, costUsd: costNanoUsd(price, usage) / 1e9,
    };
  });
  const answer = plan.attempts[plan.attempts.length - 1]!;
  const decision: Decision = {
    id: randomUUID(),
    startedAt: plan.startedAt,
    finishedAt: at,
    task: plan.task,
    agent: plan.agent,
    command: plan.command,
    complexity: { score: complexity.score, reasons: complexity.reasons },
    requestedTier,
    tier,
    escalated: tier !== requestedTier,
    downgraded: false,
    strategy: 'fallback',
    promptTokens: plan.usage.input,
    estimateUsd: undefined,
    budgetWarnings: [],
    candidates: [],
    attempts,
    outcome: 'answered',
    chosen: { provider: answer.provider, model: answer.model },
    usage,
    costUsd: attempts.reduce((sum, a) => sum + a.costUsd, 0),
  };
  return toLedgerRecord(decision);
}

export interface LedgerSeed {
  /** Every seeded record, oldest first. */
  readonly records: readonly LedgerRecord[];
  /** The light explanations (answered by Gemini's light model). */
  readonly explains: readonly LedgerRecord[];
  /** Their "Retry with a Stronger Model" runs (escalated to medium: above the light tier). */
  readonly retries: readonly LedgerRecord[];
  /** The review 20 days ago (in the 30 and 90 day ranges, not in 7). */
  readonly review20d: LedgerRecord;
  /** The design question 60 days ago (only in the 90 day range). */
  readonly ask60d: LedgerRecord;
  /** The journal's path relative to code-server's user data dir, and its content. */
  readonly file: string;
  readonly content: string;
}

/** The journal of a window that has exited, with the story above, relative to `now`. */
export function ledgerSeed(now: number): LedgerSeed {
  const explains: LedgerRecord[] = [];
  const retries: LedgerRecord[] = [];
  const overloaded = { kind: 'overloaded' as const, httpStatus: 503, message: 'The model is overloaded. Please try again later.' };
  for (let i = 0; i < SNIPPETS.length; i++) {
    // From about 4 days ago to 2 hours ago, never across "now".
    const startedAt = now - (2 + (SNIPPETS.length - 1 - i) * 11) * HOUR - 17 * 60_000 * i;
    const text = SNIPPETS[i]!;
    const input = 1_800 + 140 * i;
    const output = 380 + 35 * i;
    explains.push(
      recordOf({
        startedAt, task: 'explain', agent: 'explainer', command: 'modelRouter.explain', text,
        attempts: [{ provider: 'gemini', model: 'gemini-3.5-flash-lite', latencyMs: 900 + 40 * i, ttftMs: 310 + 10 * i }],
        usage: { input, output },
      }),
    );
    const fellBack = i % 3 === 2; // 3 of 10
    retries.push(
      recordOf({
        startedAt: startedAt + 3 * 60_000, task: 'explain', agent: 'explainer', command: 'modelRouter.explain', text, escalate: true,
        attempts: fellBack
          ? [
              { provider: 'gemini', model: 'gemini-3.8-flash', error: overloaded, latencyMs: 420 },
              { provider: 'gemini', model: 'gemini-3.8-flash', error: overloaded, latencyMs: 390 },
              { provider: 'openai', model: 'gpt-6.2-sol', latencyMs: 2_600 + 50 * i, ttftMs: 700 + 20 * i },
            ]
          : [{ provider: 'gemini', model: 'gemini-3.8-flash', latencyMs: 1_700 + 60 * i, ttftMs: 450 + 15 * i }],
        // The stronger model writes a longer answer.
        usage: { input, output: output * 2 },
      }),
    );
  }
  const review20d = recordOf({
    startedAt: now - 20 * DAY, task: 'review', agent: 'reviewer', command: 'modelRouter.review',
    text: SNIPPETS.join('\n'),
    attempts: [{ provider: 'anthropic', model: 'claude-sonnet-5-5', latencyMs: 6_400, ttftMs: 1_100 }],
    usage: { input: 5_200, output: 1_400 },
  });
  const ask60d = recordOf({
    startedAt: now - 60 * DAY, task: 'ask', agent: 'architect', command: 'modelRouter.ask', text: SNIPPETS[4]!,
    instruction: 'Should the discount tiers live in a table instead of code?',
    attempts: [{ provider: 'openai', model: 'gpt-6.2-sol', latencyMs: 5_100, ttftMs: 900 }],
    usage: { input: 2_300, output: 1_100 },
  });
  const records = [...explains, ...retries, review20d, ask60d].sort((a, b) => a.startedAt - b.startedAt);
  // The pid of a process that has exited: the journal of a window closed since (the store compacts it into
  // ledger.sqlite and deletes it, as it does with any dead window's journal).
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
  const file = path.join(GLOBAL_STORAGE_PATH, 'ledger', `journal-${deadPid}-${randomBytes(6).toString('hex')}.jsonl`);
  const content = records.map((r) => `${JSON.stringify(r)}\n`).join('');
  return { records, explains, retries, review20d, ask60d, file, content };
}
