/**
 * The settings bridge: reads the `modelRouter.*` VS Code settings into the settings layer of the configuration
 * (see src/core/config/layering.ts: defaults < user YAML < workspace YAML < settings).
 *
 * No `vscode` import: it reads through {@link SettingsReader}, which `vscode.workspace.getConfiguration('modelRouter')`
 * satisfies as it is, so it is unit-tested in plain Node.
 *
 * Rules:
 * - Only values a person EXPLICITLY set count. The manifest's defaults (e.g. each agent's built-in chain, shown in the
 *   Settings editor) are never applied here: they would hide the YAML config, which sits below the settings.
 * - An allow-list ({@link WORKSPACE_SETTING_KEYS}: strategy, preset, tiers, local-first, escalation, agent chains, log
 *   level) may come from a workspace: its value is the folder's, else the workspace's, else the user's (the first one
 *   set). EVERY other setting (budgets, the ledger, models per provider, the config file path, the local server URL,
 *   and any setting added later unless it is put on the list) is read from the user's settings only (`globalValue`),
 *   whatever a workspace says: a cloned repository must not raise your budget, keep your prompts, pick a pricier or
 *   unpriced model, or redirect where requests go. A workspace value for one of them is reported in `problems`. The
 *   manifest scopes them `application` or `machine` and lists them in `restrictedConfigurations`.
 * - An invalid value never throws: it is left out (the next scope's valid value, the YAML's or the built-in one
 *   applies) and `problems` gets a sentence naming the setting, what is wrong and what to do.
 *
 * Presets: `modelRouter.preset` rewrites every agent's chain, computed from the resolved configuration (models, prices,
 * capability ratings, custom providers), so it cannot be computed here. {@link resolveWithSettings} resolves twice:
 * once without the preset, then with the preset's chains put into the settings layer for every agent whose chain
 * setting is not explicitly set. Precedence of a chain: built-in < YAML < preset < explicit `modelRouter.agents.<id>`.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

import type { AgentFileEntry, PartialConfigFromSettings, SettingsProviderEntry } from '../core/config/configFile';
import { didYouMean } from '../core/config/diagnostics';
import type { ConfigResolution } from '../core/config/layering';
import type { PresetAssignment } from '../core/config/presets';
import type { AgentId, BudgetAction, Config, PresetName, StrategyName, Tier } from '../core/config/types';
import { AGENT_IDS, BUDGET_ACTIONS, PRESETS, STRATEGIES, TIERS } from '../core/config/types';
import type { BuiltinProviderId } from '../core/providers/types';
import { BUILTIN_PROVIDER_IDS } from '../core/providers/types';
import { errorMessage } from '../core/util/errorMessage';

// RUNTIME imports stay light: this file is part of dist/extension.js, which activation loads, and esbuild.js fails that
// build if an SDK, yaml or ajv gets in. So nothing here imports defaults.ts (it pulls in the provider registry and its
// SDKs), load.ts (yaml, ajv) or presets.ts (the price table): the preset computation is passed in (the engine's
// `presetAssignments`), and the few constants needed are repeated below, checked against the core by
// test/unit/settings.test.ts and test/unit/manifest.test.ts. The built-in provider ids come from providers/types.ts,
// which imports nothing.

/** Whether `timeZone` is an IANA zone this runtime knows (as load.ts isValidTimeZone). */
function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Every agent's chain and reasoning under a preset: the core's `presetAssignments` (through the engine). */
export type PresetAssigner = (config: Config, preset: PresetName) => Readonly<Record<AgentId, PresetAssignment>>;

/** What `vscode.WorkspaceConfiguration.inspect` returns (the fields this module reads). */
export interface SettingInspection<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** `vscode.workspace.getConfiguration('modelRouter')` fits as it is; keys are relative to `modelRouter`. */
export interface SettingsReader {
  inspect<T>(key: string): SettingInspection<T> | undefined;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `none` or a core preset: the values of `modelRouter.preset`. */
export const PRESET_SETTING_VALUES = ['none', ...PRESETS] as const;

export interface ExtensionSettings {
  /** Only what the user explicitly set (and what is valid), in the file format; never the manifest's defaults. */
  readonly config: PartialConfigFromSettings;
  /** The preset to apply over the YAML chains (see {@link resolveWithSettings}); undefined for `none` or unset. */
  readonly preset?: PresetName;
  /** The user YAML file (user settings only; a leading `~` expanded); undefined: the default path. */
  readonly configFile?: string;
  /** The local server's OpenAI-compatible endpoint (user settings only; http or https); undefined: built-in default. */
  readonly localBaseUrl?: string;
  readonly logLevel: LogLevel;
  /** May checks run model-written code: never, after asking once (default), or always (trusted workspaces only). */
  readonly verifyRun: VerifyRun;
  /** One sentence per invalid or ignored setting: which setting, what was wrong, what is used instead, what to do. */
  readonly problems: readonly string[];
}

/** The settings section: `modelRouter.<key>`. */
export const SETTINGS_SECTION = 'modelRouter';

/** Keys (relative to {@link SETTINGS_SECTION}) other than the per-agent and per-provider ones. */
export const SettingKey = {
  strategy: 'strategy',
  preset: 'preset',
  lightMax: 'tiers.lightMax',
  mediumMax: 'tiers.mediumMax',
  localFirst: 'localFirst',
  escalateAfterFailures: 'escalateAfterFailures',
  budgetDaily: 'budget.dailyUsd',
  budgetMonthly: 'budget.monthlyUsd',
  budgetOnExceed: 'budget.onExceed',
  budgetTimeZone: 'budget.timeZone',
  configFile: 'configFile',
  localServerBaseUrl: 'localServer.baseUrl',
  logLevel: 'log.level',
  ledgerStoreInstructions: 'ledger.storeInstructions',
  ledgerRetentionDays: 'ledger.retentionDays',
  verifyRun: 'verify.run',
  verifyCascade: 'verify.cascade',
  verifyMaxEscalations: 'verify.maxEscalations',
  verifyPython: 'verify.python',
  geminiSafety: 'safety.gemini',
  cacheEnabled: 'cache.enabled',
  cacheTtlHours: 'cache.ttlHours',
} as const;

/** `modelRouter.safety.gemini`: `auto` leaves it to the YAML config or the built-in rule (off for code). */
export const SAFETY_SETTING_VALUES = ['auto', 'block_none', 'block_only_high', 'default'] as const;

/** `modelRouter.verify.run`: whether model-written code may run to check it (verify-then-escalate). */
export const VERIFY_RUN_VALUES = ['off', 'ask', 'on'] as const;
export type VerifyRun = (typeof VERIFY_RUN_VALUES)[number];

/** `agents.implementer`: the chain setting of one agent (relative to `modelRouter`). */
export function agentChainSettingKey(agent: AgentId): `agents.${AgentId}` {
  return `agents.${agent}`;
}

/** `models.anthropic`: the per-tier models setting of one built-in provider (relative to `modelRouter`). */
export function providerModelsSettingKey(provider: BuiltinProviderId): `models.${BuiltinProviderId}` {
  return `models.${provider}`;
}

/** `minIntervalMs.anthropic`: the least time between two requests to one built-in provider (relative to `modelRouter`). */
export function providerMinIntervalSettingKey(provider: BuiltinProviderId): `minIntervalMs.${BuiltinProviderId}` {
  return `minIntervalMs.${provider}`;
}

/** `weights.anthropic`: the load-balance weight of one built-in provider (relative to `modelRouter`). */
export function providerWeightSettingKey(provider: BuiltinProviderId): `weights.${BuiltinProviderId}` {
  return `weights.${provider}`;
}

/**
 * The allow-list: settings a workspace (or folder) may set, because they only decide how requests are routed among
 * the providers the user set up. Nothing on it decides money, data, keys or endpoints.
 */
export const WORKSPACE_SETTING_KEYS: readonly string[] = [
  SettingKey.strategy,
  SettingKey.preset,
  SettingKey.lightMax,
  SettingKey.mediumMax,
  SettingKey.localFirst,
  SettingKey.escalateAfterFailures,
  SettingKey.logLevel,
  ...AGENT_IDS.map(agentChainSettingKey),
];

/** Every key {@link readSettings} reads (relative to `modelRouter`); the manifest test compares it to package.json. */
export const SETTING_KEYS: readonly string[] = [
  ...Object.values(SettingKey),
  ...AGENT_IDS.map(agentChainSettingKey),
  ...BUILTIN_PROVIDER_IDS.map(providerModelsSettingKey),
  ...BUILTIN_PROVIDER_IDS.map(providerMinIntervalSettingKey),
  ...BUILTIN_PROVIDER_IDS.map(providerWeightSettingKey),
];

/** Settings read from the user's settings only (manifest scope `application` or `machine`): all but the allow-list. */
export const USER_ONLY_SETTING_KEYS: readonly string[] = SETTING_KEYS.filter((key) => !WORKSPACE_SETTING_KEYS.includes(key));

// ---------------------------------------------------------------------------------------------------------------------
// Reading one setting
// ---------------------------------------------------------------------------------------------------------------------

type Scope = 'workspaceFolderValue' | 'workspaceValue' | 'globalValue';

const ALL_SCOPES: readonly Scope[] = ['workspaceFolderValue', 'workspaceValue', 'globalValue'];
const USER_SCOPE: readonly Scope[] = ['globalValue'];

const SCOPE_LABEL: Readonly<Record<Scope, string>> = {
  workspaceFolderValue: 'folder settings',
  workspaceValue: 'workspace settings',
  globalValue: 'user settings',
};

type Check<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

function ok<T>(value: T): Check<T> {
  return { ok: true, value };
}

function bad<T>(why: string): Check<T> {
  return { ok: false, why };
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return 'a value that cannot be shown';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Reader {
  readonly problems: string[] = [];

  constructor(private readonly reader: SettingsReader) {}

  private inspect(key: string): SettingInspection<unknown> | undefined {
    try {
      return this.reader.inspect<unknown>(key);
    } catch (error) {
      this.problems.push(`modelRouter.${key} could not be read (${errorMessage(error)}); it is ignored.`);
      return undefined;
    }
  }

  /**
   * The first valid value among the scopes, in order. Each invalid value before it is reported with `instead` (what
   * applies in its place: the next scope's value, or `fallback`) and `fix`. `absent` values (e.g. `null` for "no
   * limit") count as not set.
   */
  pick<T>(
    key: string,
    check: (value: unknown) => Check<T>,
    options: { readonly fallback: string; readonly fix: string; readonly absent?: (value: unknown) => boolean },
  ): T | undefined {
    const inspection = this.inspect(key);
    if (inspection === undefined) return undefined;
    // Not on the allow-list: the user's value only.
    const userOnly = !WORKSPACE_SETTING_KEYS.includes(key);
    const scopes = userOnly ? USER_SCOPE : ALL_SCOPES;
    if (userOnly) {
      for (const scope of ['workspaceFolderValue', 'workspaceValue'] as const) {
        if (inspection[scope] !== undefined) {
          this.problems.push(
            `modelRouter.${key} in your ${SCOPE_LABEL[scope]} is ignored: only your user settings may set it (a workspace ` +
              `could otherwise change your budget, your ledger, which models you pay for or where requests go). Set it in your ` +
              `user settings.`,
          );
        }
      }
    }
    const rejected: { scope: Scope; why: string }[] = [];
    let found: { scope: Scope; value: T } | undefined;
    for (const scope of scopes) {
      const raw = inspection[scope];
      if (raw === undefined || options.absent?.(raw) === true) continue;
      const result = check(raw);
      if (result.ok) {
        found = { scope, value: result.value };
        break;
      }
      rejected.push({ scope, why: result.why });
    }
    for (const { scope, why } of rejected) {
      const instead = found !== undefined ? `the value in your ${SCOPE_LABEL[found.scope]}` : options.fallback;
      this.problems.push(`modelRouter.${key} in your ${SCOPE_LABEL[scope]} ${why}; using ${instead}. ${options.fix}`);
    }
    return found?.value;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------------------

function oneOf<T extends string>(values: readonly T[], what: string): (value: unknown) => Check<T> {
  return (value) =>
    typeof value === 'string' && (values as readonly string[]).includes(value)
      ? ok(value as T)
      : bad(`is ${show(value)}, which is not ${what} (${values.join(', ')})`);
}

function boolean(value: unknown): Check<boolean> {
  return typeof value === 'boolean' ? ok(value) : bad(`is ${show(value)}, not true or false`);
}

function integer(min: number, max: number): (value: unknown) => Check<number> {
  return (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? ok(value)
      : bad(`is ${show(value)}, but must be a whole number from ${min} to ${max === Infinity ? 'up' : max}`);
}

function numberIn(min: number, max: number): (value: unknown) => Check<number> {
  return (value) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? ok(value)
      : bad(`is ${show(value)}, but must be a number from ${min} to ${max}`);
}

function positiveUsd(value: unknown): Check<number> {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? ok(value)
    : bad(`is ${show(value)}, but must be an amount in USD greater than 0`);
}

function positiveHours(value: unknown): Check<number> {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 8760
    ? ok(value)
    : bad(`is ${show(value)}, but must be a number of hours greater than 0 and at most 8760`);
}

function timeZone(value: unknown): Check<string> {
  if (typeof value !== 'string') return bad(`is ${show(value)}, not a time zone name`);
  return isValidTimeZone(value.trim()) ? ok(value.trim()) : bad(`is ${show(value)}, which is not an IANA time zone this runtime knows`);
}

const BUILTIN_IDS: readonly string[] = BUILTIN_PROVIDER_IDS;

function chain(agent: AgentId): (value: unknown) => Check<string[]> {
  return (value) => {
    if (!Array.isArray(value)) return bad(`is ${show(value)}, not a list of provider ids`);
    const out: string[] = [];
    const wrong: string[] = [];
    for (const item of value) {
      if (typeof item === 'string' && BUILTIN_IDS.includes(item)) {
        if (!out.includes(item)) out.push(item); // a repeated id adds nothing: the chain already tried it
      } else {
        const guess = typeof item === 'string' ? didYouMean(item, BUILTIN_IDS) : undefined;
        wrong.push(`${show(item)}${guess !== undefined ? ` (did you mean "${guess}"?)` : ''}`);
      }
    }
    if (wrong.length > 0) {
      return bad(
        `lists ${wrong.join(', ')}, not ${wrong.length === 1 ? 'a built-in provider id' : 'built-in provider ids'} ` +
          `(${BUILTIN_IDS.join(', ')}); a chain with a custom provider goes in the YAML config under agents.${agent}.chain`,
      );
    }
    return out.length > 0 ? ok(out) : bad('is an empty list; a chain needs at least one provider');
  };
}

function tierModels(value: unknown): Check<Partial<Record<Tier, string>>> {
  if (!isRecord(value)) return bad(`is ${show(value)}, not an object with light, medium and heavy model ids`);
  const out: Partial<Record<Tier, string>> = {};
  const wrong: string[] = [];
  for (const [tier, model] of Object.entries(value)) {
    if (!(TIERS as readonly string[]).includes(tier)) {
      wrong.push(`"${tier}" is not a tier (${TIERS.join(', ')})`);
    } else if (typeof model !== 'string' || model.trim() === '') {
      wrong.push(`${tier} is ${show(model)}, not a model id`);
    } else {
      out[tier as Tier] = model.trim();
    }
  }
  return wrong.length > 0 ? bad(`is wrong: ${wrong.join('; ')}`) : ok(out);
}

function configFilePath(value: unknown): Check<string | undefined> {
  if (typeof value !== 'string') return bad(`is ${show(value)}, not a file path`);
  const path = value.trim();
  if (path === '') return ok(undefined);
  const expanded = path === '~' || path.startsWith('~/') || path.startsWith('~\\') ? join(homedir(), path.slice(1)) : path;
  return isAbsolute(expanded) ? ok(expanded) : bad(`is ${show(value)}, a relative path; it must be absolute (or start with ~)`);
}

function httpUrl(value: unknown): Check<string | undefined> {
  if (typeof value !== 'string') return bad(`is ${show(value)}, not a URL`);
  const text = value.trim();
  if (text === '') return ok(undefined);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad(`is ${show(value)}, which is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad(`is ${show(value)}, but only http:// and https:// URLs are supported`);
  if (url.username !== '' || url.password !== '') return bad('contains a user name or password; put no credentials in a URL');
  return ok(text);
}

const isNull = (value: unknown): boolean => value === null;

function nonEmptyString(what: string): (value: unknown) => Check<string> {
  return (value) => (typeof value === 'string' && value.trim() !== '' ? ok(value.trim()) : bad(`is ${show(value)}, not ${what}`));
}

// ---------------------------------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------------------------------

const CONFIG_VALUE = "the YAML config's value or the built-in default";

/** Reads every `modelRouter.*` setting. Never throws: invalid values are left out and described in `problems`. */
export function readSettings(reader: SettingsReader): ExtensionSettings {
  const r = new Reader(reader);

  // Routing.
  const strategy = r.pick<StrategyName>(SettingKey.strategy, oneOf(STRATEGIES, 'a strategy'), {
    fallback: CONFIG_VALUE,
    fix: 'Pick a strategy from the list in the Settings editor.',
  });
  const preset = r.pick(SettingKey.preset, oneOf(PRESET_SETTING_VALUES, 'a preset'), {
    fallback: 'no preset',
    fix: 'Pick none, cost, performance or balanced.',
  });
  const tierFix = 'Use whole numbers with 1 <= lightMax < mediumMax <= 9.';
  let lightMax = r.pick(SettingKey.lightMax, integer(1, 8), { fallback: CONFIG_VALUE, fix: tierFix });
  let mediumMax = r.pick(SettingKey.mediumMax, integer(2, 9), { fallback: CONFIG_VALUE, fix: tierFix });
  if (lightMax !== undefined && mediumMax !== undefined && lightMax >= mediumMax) {
    r.problems.push(
      `modelRouter.tiers.lightMax (${lightMax}) must be below modelRouter.tiers.mediumMax (${mediumMax}); using ` +
        `${CONFIG_VALUE} for both. ${tierFix}`,
    );
    lightMax = undefined;
    mediumMax = undefined;
  }
  const localFirst = r.pick(SettingKey.localFirst, boolean, { fallback: CONFIG_VALUE, fix: 'Tick or untick it in the Settings editor.' });
  const escalateAfterFailures = r.pick(SettingKey.escalateAfterFailures, integer(0, Infinity), {
    fallback: CONFIG_VALUE,
    fix: 'Use 0 to never escalate, or the number of failures in a row after which requests go one tier up.',
  });

  // Agents and models.
  const agents: Partial<Record<AgentId, AgentFileEntry>> = {};
  for (const agent of AGENT_IDS) {
    const value = r.pick(agentChainSettingKey(agent), chain(agent), {
      fallback: "the preset's, the YAML config's or the built-in chain",
      fix: 'Pick providers from the drop-downs in the Settings editor.',
    });
    if (value !== undefined) agents[agent] = { chain: value };
  }
  const providers: Record<string, SettingsProviderEntry> = {};
  for (const provider of BUILTIN_PROVIDER_IDS) {
    const models = r.pick(providerModelsSettingKey(provider), tierModels, {
      fallback: "the YAML config's or the built-in models",
      fix: 'Give a model id for any of light, medium and heavy, e.g. {"heavy": "some-model"}.',
    });
    const minIntervalMs = r.pick(providerMinIntervalSettingKey(provider), integer(0, 3_600_000), {
      absent: isNull,
      fallback: "the YAML config's interval, if any",
      fix: 'Use a whole number of milliseconds from 0 to 3600000, or leave it empty.',
    });
    const weight = r.pick(providerWeightSettingKey(provider), numberIn(0, 1000), {
      absent: isNull,
      fallback: "the YAML config's weight, else 1",
      fix: 'Use a number from 0 to 1000 (0: never first), or leave it empty.',
    });
    const entry: SettingsProviderEntry = {
      ...(models !== undefined && Object.keys(models).length > 0 ? { models } : {}),
      ...(minIntervalMs !== undefined ? { minIntervalMs } : {}),
      ...(weight !== undefined ? { weight } : {}),
    };
    if (Object.keys(entry).length > 0) providers[provider] = entry;
  }
  const geminiSafety = r.pick(SettingKey.geminiSafety, oneOf(SAFETY_SETTING_VALUES, 'a safety level'), {
    absent: (value) => value === 'auto',
    fallback: "the YAML config's providers.gemini.safety, else off for requests about code",
    fix: 'Pick auto, block_none, block_only_high or default in your user settings.',
  });
  if (geminiSafety !== undefined && geminiSafety !== 'auto') providers['gemini'] = { ...providers['gemini'], safety: geminiSafety };

  // Budgets (user settings only).
  const budgetFix = 'Set an amount in USD greater than 0 in your user settings, or leave it empty for no limit.';
  const daily = r.pick(SettingKey.budgetDaily, positiveUsd, { absent: isNull, fallback: "the YAML config's limit, if any", fix: budgetFix });
  const monthly = r.pick(SettingKey.budgetMonthly, positiveUsd, { absent: isNull, fallback: "the YAML config's limit, if any", fix: budgetFix });
  const onExceed = r.pick<BudgetAction>(SettingKey.budgetOnExceed, oneOf(BUDGET_ACTIONS, 'a budget action'), {
    fallback: CONFIG_VALUE,
    fix: 'Pick block, downgrade or warn.',
  });
  const zone = r.pick(SettingKey.budgetTimeZone, timeZone, {
    absent: (value) => value === null || value === '',
    fallback: "the YAML config's time zone or the system's",
    fix: 'Use an IANA name such as Europe/Berlin, America/New_York or UTC, or leave it empty for the system time zone.',
  });

  // Ledger (user settings only).
  const storeInstructions = r.pick(SettingKey.ledgerStoreInstructions, boolean, {
    fallback: CONFIG_VALUE,
    fix: 'Tick or untick it in your user settings.',
  });
  const retentionDays = r.pick(SettingKey.ledgerRetentionDays, integer(1, 36_500), {
    fallback: CONFIG_VALUE,
    fix: 'Use a whole number of days from 1 to 36500 in your user settings.',
  });

  // Files, endpoint, log.
  const configFile = r.pick(SettingKey.configFile, configFilePath, {
    fallback: 'the default user config ($XDG_CONFIG_HOME/model-router/config.yaml, else ~/.config/model-router/config.yaml)',
    fix: 'Give an absolute path (a leading ~ means your home folder), or leave it empty for the default.',
  });
  const localBaseUrl = r.pick(SettingKey.localServerBaseUrl, httpUrl, {
    fallback: "the YAML config's or the built-in endpoint",
    fix: 'Use the server\'s OpenAI-compatible URL, e.g. http://localhost:11434/v1 (Ollama) or http://localhost:1234/v1 (LM Studio).',
  });
  // Verify-then-escalate (user settings only: a workspace must not make your machine run code, or choose the program).
  const verifyRun = r.pick<VerifyRun>(SettingKey.verifyRun, oneOf(VERIFY_RUN_VALUES, 'a choice'), {
    fallback: 'ask',
    fix: 'Pick off, ask or on in your user settings.',
  });
  const verifyCascade = r.pick(SettingKey.verifyCascade, boolean, { fallback: CONFIG_VALUE, fix: 'Tick or untick it in your user settings.' });
  const maxEscalations = r.pick(SettingKey.verifyMaxEscalations, integer(0, 2), {
    fallback: CONFIG_VALUE,
    fix: 'Use 0, 1 or 2 (the tiers a failed check may climb) in your user settings.',
  });
  const python = r.pick(SettingKey.verifyPython, nonEmptyString('an interpreter command such as python3'), {
    absent: (value) => value === '',
    fallback: "the YAML config's, the Python extension's interpreter or python3",
    fix: 'Give the command that starts Python, e.g. python3, /usr/bin/python3 or py -3.',
  });
  // The answer cache (user settings only: it keeps answer text on disk and decides whether a request is paid for).
  const cacheEnabled = r.pick(SettingKey.cacheEnabled, boolean, { fallback: CONFIG_VALUE, fix: 'Tick or untick it in your user settings.' });
  const cacheTtlHours = r.pick(SettingKey.cacheTtlHours, positiveHours, {
    fallback: CONFIG_VALUE,
    fix: 'Use a number of hours greater than 0 and at most 8760 (a year) in your user settings.',
  });
  const logLevel = r.pick<LogLevel>(SettingKey.logLevel, oneOf(LOG_LEVELS, 'a log level'), {
    fallback: 'info',
    fix: 'Pick trace, debug, info, warn or error.',
  });

  const budget = {
    ...(daily !== undefined ? { daily } : {}),
    ...(monthly !== undefined ? { monthly } : {}),
    ...(onExceed !== undefined ? { onExceed } : {}),
    ...(zone !== undefined ? { timeZone: zone } : {}),
  };
  const ledger = {
    ...(storeInstructions !== undefined ? { storeInstructions } : {}),
    ...(retentionDays !== undefined ? { retentionDays } : {}),
  };
  const verify = {
    ...(verifyCascade !== undefined ? { cascade: verifyCascade } : {}),
    ...(maxEscalations !== undefined ? { maxEscalations } : {}),
    ...(python !== undefined ? { python } : {}),
  };
  const cache = {
    ...(cacheEnabled !== undefined ? { enabled: cacheEnabled } : {}),
    ...(cacheTtlHours !== undefined ? { ttlHours: cacheTtlHours } : {}),
  };
  const tiers = { ...(lightMax !== undefined ? { light: lightMax } : {}), ...(mediumMax !== undefined ? { medium: mediumMax } : {}) };
  const config: PartialConfigFromSettings = {
    ...(strategy !== undefined ? { strategy } : {}),
    ...(Object.keys(tiers).length > 0 ? { tiers } : {}),
    ...(localFirst !== undefined ? { localFirst } : {}),
    ...(escalateAfterFailures !== undefined ? { escalateAfterFailures } : {}),
    ...(Object.keys(budget).length > 0 ? { budget } : {}),
    ...(Object.keys(ledger).length > 0 ? { ledger } : {}),
    ...(Object.keys(verify).length > 0 ? { verify } : {}),
    ...(Object.keys(cache).length > 0 ? { cache } : {}),
    ...(Object.keys(providers).length > 0 ? { providers } : {}),
    ...(Object.keys(agents).length > 0 ? { agents } : {}),
  };
  return {
    config,
    ...(preset !== undefined && preset !== 'none' ? { preset } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
    ...(localBaseUrl !== undefined ? { localBaseUrl } : {}),
    logLevel: logLevel ?? 'info',
    verifyRun: verifyRun ?? 'ask',
    problems: r.problems,
  };
}

/**
 * The settings layer with the preset applied: `settings.config` plus, for every agent whose chain setting is not
 * explicitly set, the preset's chain and reasoning computed by `assign` from `base` (the configuration resolved WITHOUT
 * the preset, so the preset follows the YAML's models, prices, custom and disabled providers). Without a preset:
 * `settings.config` itself.
 */
export function settingsLayerWithPreset(settings: ExtensionSettings, base: Config, assign: PresetAssigner): PartialConfigFromSettings {
  if (settings.preset === undefined) return settings.config;
  const assignments = assign(base, settings.preset);
  const agents: Partial<Record<AgentId, AgentFileEntry>> = { ...settings.config.agents };
  for (const agent of AGENT_IDS) {
    if (agents[agent]?.chain === undefined) {
      agents[agent] = { chain: [...assignments[agent].chain], reasoning: assignments[agent].reasoning };
    }
  }
  return { ...settings.config, agents };
}

/**
 * Resolves the configuration with the settings layer, preset included. `resolve` layers the files under the given
 * settings layer, e.g. `(layer) => store.resolve({ user, workspace, workspaceTrusted, settings: layer })`; `assign` is the
 * engine's `presetAssignments`. With a preset, `resolve` is called twice (first without the preset, to compute the
 * preset from the resolved providers) and the second resolution is returned; without one, once.
 */
export function resolveWithSettings(
  settings: ExtensionSettings,
  resolve: (layer: PartialConfigFromSettings) => ConfigResolution,
  assign: PresetAssigner,
): ConfigResolution {
  const first = resolve(settings.config);
  if (settings.preset === undefined) return first;
  return resolve(settingsLayerWithPreset(settings, first.config, assign));
}
