/**
 * The resolved configuration every part of the core reads: built-in defaults, then the user YAML, then the
 * workspace YAML (trusted workspaces only), then explicit settings (the extension passes VS Code settings in).
 * Key VALUES never appear here: a key is named by (provider id, key id) and its secret lives in SecretStorage
 * (extension) or an environment variable (CLI).
 */
import type { ModelPrice, PriceOverrides } from '../pricing/cost';
import type { ProviderProtocol, SafetyLevel } from '../providers/types';

export const TIERS = ['light', 'medium', 'heavy'] as const;
export type Tier = (typeof TIERS)[number];

export const TASK_TYPES = ['explain', 'refactor', 'tests', 'review', 'document', 'fix', 'implement', 'ask'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const AGENT_IDS = [
  'implementer',
  'refactorer',
  'tester',
  'reviewer',
  'explainer',
  'documenter',
  'fixer',
  'architect',
] as const;
export type AgentId = (typeof AGENT_IDS)[number];

export const STRATEGIES = ['fallback', 'cost', 'capability', 'load-balance', 'latency'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export const PRESETS = ['cost', 'performance', 'balanced'] as const;
/** cost-optimized, performance-optimized, balanced: each rewrites every agent's chain at once. */
export type PresetName = (typeof PRESETS)[number];

export const BUDGET_ACTIONS = ['block', 'downgrade', 'warn'] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

/** Limits of one key, enforced as token buckets. Absent: unlimited. */
export interface KeyLimits {
  /** Requests per minute. */
  readonly rpm?: number;
  /** Estimated tokens (prompt + expected output) per minute. */
  readonly tpm?: number;
  /** Requests per day. */
  readonly rpd?: number;
  /** Least time between two requests on this key, in milliseconds. */
  readonly minIntervalMs?: number;
}

/** One key of a provider: its id names the secret; tags steer which work it takes. */
export interface KeyConfig {
  /** Stable id, e.g. `default`, `work`, `personal`. The secret is stored under (provider, id). */
  readonly id: string;
  /** Workload tiers this key serves; absent or empty: all tiers. */
  readonly tiers?: readonly Tier[];
  /** Lower is tried first among usable keys. Default 0. */
  readonly priority?: number;
  readonly limits?: KeyLimits;
}

export interface ProviderConfig {
  readonly id: string;
  readonly protocol: ProviderProtocol;
  /** Human name for messages and the tree view. */
  readonly label: string;
  /** Endpoint; undefined = the SDK's default for built-in providers. */
  readonly baseUrl?: string;
  readonly enabled: boolean;
  /** Model per tier; a tier without one falls to the nearest tier that has one. */
  readonly models: Readonly<Partial<Record<Tier, string>>>;
  /** At least one key entry (`default`) for providers that need keys. */
  readonly keys: readonly KeyConfig[];
  /** Whether the provider needs a key at all (local servers do not). */
  readonly requiresKey: boolean;
  /** Every model costs 0 (local servers). */
  readonly free: boolean;
  /**
   * USD per million tokens to estimate and book a model without a known price; absent: the highest rates of the
   * provider's known models (see PriceTable.charge).
   */
  readonly unknownModelPrice?: ModelPrice;
  /** Load-balance weight (default 1). */
  readonly weight: number;
  /** Task fit 0..1 for the capability strategy; absent tasks count 0.5. */
  readonly capabilities: Readonly<Partial<Record<TaskType, number>>>;
  readonly timeoutMs?: number;
  readonly idleTimeoutMs?: number;
  /** Least time between two requests to this provider, whichever key they use (besides each key's own). */
  readonly minIntervalMs?: number;
  /**
   * Keys tagged for other tiers never take a request. Default false: keys tagged for the request's tier go first,
   * then untagged keys, then the others, before the next candidate.
   */
  readonly strictTiers: boolean;
  /**
   * Gemini's safety filter for the four harm categories: `block_none`, `block_only_high`, or `default` (the API's own
   * thresholds). Absent: `block_none` for requests about code (every task but a free question without a selection),
   * the API's defaults otherwise. Ignored by providers without such a filter.
   */
  readonly safety?: SafetyLevel;
}

export interface AgentConfig {
  readonly id: AgentId;
  /** Tasks (commands) this agent serves. */
  readonly tasks: readonly TaskType[];
  /** Ordered provider ids: primary, secondary, tertiary, fallback... Duplicates are dropped when read. */
  readonly chain: readonly string[];
  /** Why this chain; shown as the tree item's tooltip. */
  readonly reasoning: string;
}

export interface TierThresholds {
  /** Complexity <= lightMax is light. */
  readonly lightMax: number;
  /** Complexity <= mediumMax (and > lightMax) is medium; above is heavy. */
  readonly mediumMax: number;
}

export interface RetryConfig {
  /** Attempts on one candidate (first try included) before moving to the next. */
  readonly maxAttemptsPerCandidate: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Longest Retry-After honoured; longer ones move to the next candidate. */
  readonly retryAfterCapMs: number;
}

export interface CircuitConfig {
  /** Opens after this many consecutive counted failures. */
  readonly consecutiveFailures: number;
  /** Or when the failure rate in the window reaches this (0..1) ... */
  readonly failureRate: number;
  /** ... over at least this many requests ... */
  readonly minRequests: number;
  /** ... in this window. */
  readonly windowMs: number;
  /** Stays open at least this long (and at least the Retry-After that opened it). */
  readonly cooldownMs: number;
}

export interface RoutingConfig {
  readonly strategy: StrategyName;
  readonly tiers: TierThresholds;
  /** Light work goes to the local provider when it is healthy. */
  readonly localFirst: boolean;
  /** Failures of a tier (in a row, per agent) after which requests go one tier up. 0 disables. */
  readonly escalateAfterFailures: number;
  /** Longest wait for a rate-limited key before failing with "all keys exhausted". */
  readonly maxWaitMs: number;
  /**
   * Longest answer, in characters, one request may stream. Past it the stream is stopped and the request ends as
   * interrupted with "answer exceeded N characters; stopped" (a server that never stops must not fill memory or
   * the ledger's cost).
   */
  readonly maxAnswerChars: number;
  readonly retry: RetryConfig;
  readonly circuit: CircuitConfig;
  /** Expected output tokens per tier, for cost estimates and TPM before sending. */
  readonly expectedOutputTokens: Readonly<Record<Tier, number>>;
}

export interface BudgetConfig {
  /** USD per day; undefined: no daily limit. */
  readonly dailyUsd?: number;
  /** USD per month; undefined: no monthly limit. */
  readonly monthlyUsd?: number;
  readonly onExceed: BudgetAction;
  /** IANA time zone for day and month boundaries; undefined: the system's. */
  readonly timeZone?: string;
}

export interface LedgerConfig {
  /** Store the user's instruction text in the ledger (never the code). Default false. */
  readonly storeInstructions: boolean;
  readonly retentionDays: number;
}

/** Where a cascade's first answer comes from. */
export const CASCADE_STARTS = ['cheapest', 'complexity'] as const;
export type CascadeStart = (typeof CASCADE_STARTS)[number];

/**
 * Verify-then-escalate for edit tasks (implement, fix, refactor, tests): the first answer comes from a cheap tier, its
 * code is checked by running what the request says it must do (in a sandbox), and only a failed check escalates.
 * From the defaults and the user file only (never a workspace: it runs programs and spends money).
 */
export interface VerifyConfig {
  /** Route edit tasks as a cascade when their request carries checks and checks may run. Default true. */
  readonly cascade: boolean;
  /**
   * CLI: checks may run (`ask --verify` also allows it). The extension asks instead (`modelRouter.verify.run`:
   * off | ask | on). Default false: running model-written code needs the user's yes.
   */
  readonly run: boolean;
  /** The first answer: the cheapest tier the agent's chain allows, or the tier the complexity score gives. */
  readonly start: CascadeStart;
  /** Tiers a failed check may climb. Default 2 (light -> medium -> heavy). */
  readonly maxEscalations: number;
  /** Tell the stronger model what failed (the failing checks, expected vs got). Default true. */
  readonly tellFailures: boolean;
  /** The Python interpreter command; undefined: `python3` (`py -3` on Windows). */
  readonly python?: string;
  /** Wall time of one answer's checks. Default 5,000 ms. */
  readonly timeoutMs: number;
  /** Memory of one answer's run. Default 512 MiB. */
  readonly memoryMb: number;
}

/**
 * The answer cache: an exact repeat (same task, model, instruction and code) within `ttlHours` is answered from the
 * data directory at $0. From the defaults, the user file and user settings only (it keeps answer text on disk).
 */
export interface CacheConfig {
  readonly enabled: boolean;
  readonly ttlHours: number;
  /** The tasks whose answers are cached (default explain, review). */
  readonly tasks: readonly TaskType[];
}

export interface Config {
  readonly providers: Readonly<Record<string, ProviderConfig>>;
  readonly agents: Readonly<Record<AgentId, AgentConfig>>;
  readonly routing: RoutingConfig;
  readonly budget: BudgetConfig;
  readonly pricing: PriceOverrides;
  readonly ledger: LedgerConfig;
  readonly verify: VerifyConfig;
  readonly cache: CacheConfig;
}
