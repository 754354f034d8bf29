/**
 * The built-in configuration: what applies before any file or setting. Every file layer is merged over it.
 */
import { BUILTIN_TIER_MODELS } from '../pricing/prices';
import { BUILTIN_PROVIDERS } from '../providers/registry';
import type { BuiltinProviderId } from '../providers/types';
import { BUILTIN_PROVIDER_IDS } from '../providers/types';
import type { AgentConfig, AgentId, Config, ProviderConfig, TaskType } from './types';

/** The command (task) each agent serves. */
export const AGENT_TASKS: Readonly<Record<AgentId, readonly TaskType[]>> = {
  implementer: ['implement'],
  refactorer: ['refactor'],
  tester: ['tests'],
  reviewer: ['review'],
  explainer: ['explain'],
  documenter: ['document'],
  fixer: ['fix'],
  architect: ['ask'],
};

/**
 * Task fit 0..1 per built-in provider, for the capability strategy and the performance / balanced presets.
 *
 * JUDGEMENT, not measurement: these are our own ratings of the default models per tier (see BUILTIN_TIER_MODELS), based
 * on the providers' positioning (frontier coding models at Anthropic and OpenAI, Gemini strong on long context and cheap
 * Flash tiers, DeepSeek a capable low-cost coder, a 7-14B local model good for prose and small edits only). No
 * benchmark in this repository backs the individual numbers; override them per provider under `capabilities:`. Rules
 * of thumb used: code-changing tasks (refactor, fix, implement, tests) and review separate strong from weak models most,
 * so they spread widest; explain and document are forgiving, so even the local model scores 0.6 there.
 */
export const BUILTIN_CAPABILITIES: Readonly<Record<BuiltinProviderId, Readonly<Record<TaskType, number>>>> = {
  anthropic: { explain: 0.85, refactor: 0.95, tests: 0.9, review: 0.95, document: 0.85, fix: 0.95, implement: 0.95, ask: 0.9 },
  openai: { explain: 0.85, refactor: 0.9, tests: 0.9, review: 0.9, document: 0.85, fix: 0.9, implement: 0.9, ask: 0.9 },
  gemini: { explain: 0.85, refactor: 0.8, tests: 0.8, review: 0.8, document: 0.85, fix: 0.8, implement: 0.8, ask: 0.85 },
  deepseek: { explain: 0.75, refactor: 0.8, tests: 0.8, review: 0.75, document: 0.75, fix: 0.8, implement: 0.8, ask: 0.75 },
  local: { explain: 0.6, refactor: 0.4, tests: 0.4, review: 0.35, document: 0.6, fix: 0.4, implement: 0.4, ask: 0.45 },
};

function builtinProvider(id: BuiltinProviderId): ProviderConfig {
  const builtin = BUILTIN_PROVIDERS[id];
  const provider: ProviderConfig = {
    id,
    protocol: builtin.protocol,
    label: builtin.label,
    enabled: true,
    models: { ...BUILTIN_TIER_MODELS[id] },
    keys: builtin.requiresKey ? [{ id: 'default' }] : [],
    requiresKey: builtin.requiresKey,
    free: id === 'local',
    // Load-balance weight: neutral. Nothing measured says one provider should take more traffic than another.
    weight: 1,
    capabilities: { ...BUILTIN_CAPABILITIES[id] },
    strictTiers: false,
  };
  return builtin.baseUrl === undefined ? provider : { ...provider, baseUrl: builtin.baseUrl };
}

function agent(id: AgentId, chain: readonly string[], reasoning: string): AgentConfig {
  return { id, tasks: AGENT_TASKS[id], chain, reasoning };
}

/**
 * Default chains. Strategy `fallback` tries them in order; with `localFirst`, light work goes to the local model first
 * whenever it is healthy, whatever the chain says, so hosted-first chains still cost nothing on easy selections.
 */
const DEFAULT_AGENTS: Readonly<Record<AgentId, AgentConfig>> = {
  implementer: agent(
    'implementer',
    ['anthropic', 'openai', 'deepseek', 'gemini', 'local'],
    'New code from a signature and a docstring has to compile and follow the surrounding conventions on the first try, ' +
      'so the most reliable code writers lead: Claude, then GPT. DeepSeek writes solid code at a fraction of the price, ' +
      'Gemini comes next, and the local model is the last resort when every hosted provider is down or over budget.',
  ),
  refactorer: agent(
    'refactorer',
    ['anthropic', 'openai', 'gemini', 'deepseek', 'local'],
    'A refactor must keep behaviour identical across the whole selection, which rewards careful reasoning over long ' +
      'code: Claude first, GPT second, Gemini third for its long context, DeepSeek as a cheaper fallback. The local ' +
      'model comes last: a subtly wrong refactor costs more than it saves.',
  ),
  tester: agent(
    'tester',
    ['openai', 'anthropic', 'deepseek', 'gemini', 'local'],
    'Good tests need breadth (edge cases, error paths) more than elegance, and you run them anyway, so a mistake ' +
      'shows: GPT and Claude enumerate cases thoroughly, DeepSeek writes serviceable tests cheaply, then Gemini, then ' +
      'the local model.',
  ),
  reviewer: agent(
    'reviewer',
    ['anthropic', 'openai', 'gemini', 'deepseek'],
    'A review is only worth reading if it finds real bugs without burying them in noise: the strongest reasoning ' +
      'models lead (Claude, then GPT), Gemini follows for long files, DeepSeek is the budget fallback. No local model: ' +
      'a weak review gives false confidence.',
  ),
  explainer: agent(
    'explainer',
    ['local', 'gemini', 'openai', 'anthropic'],
    'Explanations are forgiving: a small model gets the gist right and you read the answer anyway, so the free local ' +
      'model goes first (your code stays on your machine), then Gemini Flash (cheap and fast), with GPT and Claude ' +
      'for when the others are unavailable.',
  ),
  documenter: agent(
    'documenter',
    ['local', 'gemini', 'deepseek', 'openai', 'anthropic'],
    'Doc comments describe code that is already there, a job small models do well and you review in the diff: the ' +
      'free local model first, then the cheap Gemini and DeepSeek, with GPT and Claude only as fallbacks.',
  ),
  fixer: agent(
    'fixer',
    ['anthropic', 'openai', 'deepseek', 'gemini', 'local'],
    'Fixing a bug means finding its cause, not silencing the symptom: Claude and GPT reason best about why code ' +
      'fails, DeepSeek is a capable and cheap third, and Gemini and the local model keep you working during an outage.',
  ),
  architect: agent(
    'architect',
    ['openai', 'anthropic', 'gemini', 'deepseek'],
    'Free-form design questions reward broad knowledge and weighing trade-offs: GPT first, Claude a close second, ' +
      'Gemini for questions that need a lot of code in context, DeepSeek as an inexpensive fallback.',
  ),
};

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
  }
  return value;
}

/** The built-in configuration (deeply frozen). */
export const DEFAULT_CONFIG: Config = deepFreeze<Config>({
  providers: Object.fromEntries(BUILTIN_PROVIDER_IDS.map((id) => [id, builtinProvider(id)])),
  agents: DEFAULT_AGENTS,
  routing: {
    strategy: 'fallback',
    tiers: { lightMax: 3, mediumMax: 6 },
    localFirst: true,
    escalateAfterFailures: 2,
    maxWaitMs: 10_000,
    // JUDGEMENT: twice the longest answer any current model can give (about 128k output tokens, ~500k characters).
    maxAnswerChars: 1_000_000,
    retry: { maxAttemptsPerCandidate: 2, baseDelayMs: 500, maxDelayMs: 8_000, retryAfterCapMs: 60_000 },
    circuit: { consecutiveFailures: 3, failureRate: 0.5, minRequests: 6, windowMs: 60_000, cooldownMs: 30_000 },
    // JUDGEMENT: typical answer lengths. A light answer is a short explanation or a small edit (~500 tokens); a medium
    // one rewrites a function or two (~1,500); a heavy one rewrites a large selection (~4,000, just under the adapters'
    // default output cap of 4,096). Used only for estimates before sending.
    expectedOutputTokens: { light: 500, medium: 1_500, heavy: 4_000 },
  },
  budget: { onExceed: 'warn' },
  pricing: {},
  ledger: { storeInstructions: false, retentionDays: 90 },
  // JUDGEMENT: two escalations reach heavy from light; 5 s covers a Python or Node start plus a few examples on a
  // slow laptop; 512 MiB is plenty for examples and small tests, and far below what would hurt the machine.
  verify: { cascade: true, run: false, start: 'cheapest', maxEscalations: 2, tellFailures: true, timeoutMs: 5_000, memoryMb: 512 },
  // JUDGEMENT: explain and review describe code in a read-only document; the same question about the same code a
  // second time (the document closed and reopened, the command run again by accident, another window) wants the same
  // answer, and paying again for it is waste. Document, refactor, fix, implement and tests end in a diff: running one
  // again on the same code usually means "the last one was not good, try again", and a cached copy would be exactly
  // the answer the user did not want; a free question asked again is the same. A day covers a working session.
  cache: { enabled: true, ttlHours: 24, tasks: ['explain', 'review'] },
});
