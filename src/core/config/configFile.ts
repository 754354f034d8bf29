/**
 * The shape of a configuration FILE (what a user writes in YAML), as opposed to the resolved {@link Config} in
 * types.ts. schemas/model-router.schema.json describes the same shape for validation and editor completion; keep the
 * two in step (test/unit/config.test.ts, "config: schema", checks the enums against types.ts).
 *
 * Objects merge key by key with the layer below; arrays (chains, keys, a key's tiers) replace it whole; `null` (where
 * allowed) removes the lower layer's value.
 */
import type { ModelPrice, PriceOverrides } from '../pricing/cost';
import type { SafetyLevel } from '../providers/types';
import type { AgentId, BudgetAction, CascadeStart, KeyLimits, StrategyName, TaskType, Tier } from './types';

export interface KeyFileEntry {
  readonly id: string;
  readonly tiers?: readonly Tier[];
  readonly priority?: number;
  readonly limits?: KeyLimits;
}

export interface ProviderFileEntry {
  /** Required for a custom id, which must be `openai-compatible` or `vscode-lm` (extension only); fixed for built-in ids. */
  readonly protocol?: 'anthropic' | 'openai' | 'gemini' | 'openai-compatible' | 'vscode-lm';
  readonly label?: string;
  readonly baseUrl?: string;
  readonly enabled?: boolean;
  /** `null` removes a lower layer's model for that tier. */
  readonly models?: Readonly<Partial<Record<Tier, string | null>>>;
  readonly keys?: readonly KeyFileEntry[];
  readonly requiresKey?: boolean;
  readonly free?: boolean;
  /** USD per million tokens for a model of this provider without a known price (user file only). */
  readonly unknownModelPrice?: ModelPrice;
  readonly weight?: number;
  readonly capabilities?: Readonly<Partial<Record<TaskType, number>>>;
  readonly timeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly minIntervalMs?: number;
  readonly strictTiers?: boolean;
  readonly safety?: SafetyLevel;
}

export interface AgentFileEntry {
  readonly chain?: readonly string[];
  readonly reasoning?: string;
}

export interface ConfigFile {
  readonly $schema?: string;
  readonly version?: 1;
  readonly strategy?: StrategyName;
  /** Highest complexity per tier: 1 <= light < medium <= 9. */
  readonly tiers?: { readonly light?: number; readonly medium?: number };
  readonly localFirst?: boolean;
  readonly escalateAfterFailures?: number;
  readonly maxWaitMs?: number;
  readonly maxAnswerChars?: number;
  readonly retry?: {
    readonly maxAttemptsPerCandidate?: number;
    readonly baseDelayMs?: number;
    readonly maxDelayMs?: number;
    readonly retryAfterCapMs?: number;
  };
  readonly circuit?: {
    readonly consecutiveFailures?: number;
    readonly failureRate?: number;
    readonly minRequests?: number;
    readonly windowMs?: number;
    readonly cooldownMs?: number;
  };
  readonly expectedOutputTokens?: Readonly<Partial<Record<Tier, number>>>;
  readonly budget?: {
    /** USD per day; `null` removes a lower layer's limit. */
    readonly daily?: number | null;
    readonly monthly?: number | null;
    readonly onExceed?: BudgetAction;
    readonly timeZone?: string | null;
  };
  readonly pricing?: PriceOverrides;
  readonly ledger?: { readonly storeInstructions?: boolean; readonly retentionDays?: number };
  readonly verify?: {
    readonly cascade?: boolean;
    readonly run?: boolean;
    readonly start?: CascadeStart;
    readonly maxEscalations?: number;
    readonly tellFailures?: boolean;
    readonly python?: string;
    readonly timeoutMs?: number;
    readonly memoryMb?: number;
  };
  readonly cache?: { readonly enabled?: boolean; readonly ttlHours?: number; readonly tasks?: readonly TaskType[] };
  readonly providers?: Readonly<Record<string, ProviderFileEntry>>;
  readonly agents?: Readonly<Partial<Record<AgentId, AgentFileEntry>>>;
}

/**
 * What a settings source (VS Code settings, CLI flags) may set: the file format without `providers`' endpoint, protocol
 * and keys, and without `pricing`. Settings can come from a workspace's `.vscode/settings.json`, so they must not be a
 * way around the workspace rule (never change where a key is sent). Provider entries only tune existing providers.
 * `undefined` means "not set" everywhere.
 */
export type SettingsProviderEntry = Pick<ProviderFileEntry, 'enabled' | 'models' | 'weight' | 'timeoutMs' | 'idleTimeoutMs' | 'minIntervalMs' | 'safety'>;

export type PartialConfigFromSettings = Omit<ConfigFile, '$schema' | 'version' | 'providers' | 'pricing'> & {
  readonly providers?: Readonly<Record<string, SettingsProviderEntry>>;
};

/** Fields of a settings provider entry; anything else is dropped (and reported) at runtime. */
export const SETTINGS_PROVIDER_FIELDS: readonly (keyof SettingsProviderEntry)[] = [
  'enabled',
  'models',
  'weight',
  'timeoutMs',
  'idleTimeoutMs',
  'minIntervalMs',
  'safety',
];
