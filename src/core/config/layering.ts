/**
 * Layering: built-in defaults < user file < workspace file (trusted workspaces only) < settings, into one
 * {@link Config}. Objects merge key by key; arrays (chains, keys, a key's tiers) replace the lower layer's whole; `null`
 * (where the schema allows it) removes the lower layer's value.
 *
 * The workspace rule: a workspace file comes with a cloned repository, so it may set only what an allow-list permits
 * (WORKSPACE_ALLOWED below): how requests are routed among the providers the user set up (strategy, tiers, agent
 * chains, escalation, waits, circuit, and per existing provider its models, weight, capabilities, timeouts, label, and
 * turning it off). Anything else (budgets, prices, the ledger, expected output tokens, retry attempts, and per provider
 * endpoints, protocols, keys, `requiresKey`, `free`, the unknown-model price, a new provider) is dropped with a warning
 * diagnostic at its key that says it belongs in the user file. Settings cannot touch endpoints, protocols, keys or prices
 * at all (VS Code settings can come from a workspace too; package.json scopes the money settings to the user).
 */
import type { PriceOverrides } from '../pricing/cost';
import { createPriceTable } from '../pricing/cost';
import { errorMessage } from '../util/errorMessage';
import type { ConfigFile, PartialConfigFromSettings, ProviderFileEntry } from './configFile';
import { SETTINGS_PROVIDER_FIELDS } from './configFile';
import { configToFile } from './convert';
import { AGENT_TASKS, deepFreeze, DEFAULT_CONFIG } from './defaults';
import type { ConfigDiagnostic, ConfigPath } from './diagnostics';
import { didYouMean, formatKeyPath } from './diagnostics';
import type { ConfigLayer, Locate } from './load';
import { loadConfigText, validateConfigValue } from './load';
import type { AgentConfig, AgentId, Config, KeyConfig, ProviderConfig, Tier } from './types';
import { AGENT_IDS, TIERS } from './types';

export interface ConfigFileInput {
  readonly file: string;
  readonly text: string;
  /** The file's size when it was read with {@link readConfigFile} (a file over the bound arrives unread). */
  readonly bytes?: number;
}

export interface ResolveConfigInput {
  readonly user?: ConfigFileInput;
  readonly workspace?: ConfigFileInput;
  /** Whether the workspace is trusted (VS Code's workspace trust); an untrusted workspace file is not even parsed. */
  readonly workspaceTrusted: boolean;
  readonly settings?: PartialConfigFromSettings;
  /** The configuration in force before; returned unchanged when a file does not validate (see {@link resolveConfig}). */
  readonly previous?: Config;
}

export interface ConfigResolution {
  readonly config: Config;
  /** Problems in the files and settings, with file, line, column and key. */
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** Human sentences about what was left out and why, e.g. "workspace config ignored: the workspace is not trusted". */
  readonly ignored: readonly string[];
}

/** One file as the resolver sees it. */
export interface FileLayerInput {
  readonly file: string;
  /** The layer to apply: the current parse when it validates, else the last good one, if any. */
  readonly layer?: ConfigLayer;
  /** Diagnostics of the file's current text. */
  readonly diagnostics: readonly ConfigDiagnostic[];
  /** The current text does not validate. */
  readonly invalid: boolean;
}

export interface ResolveLayersInput {
  readonly user?: FileLayerInput;
  readonly workspace?: FileLayerInput;
  readonly workspaceTrusted: boolean;
  readonly settings?: PartialConfigFromSettings;
}

type Role = 'user' | 'workspace' | 'settings';

interface Source {
  readonly role: Role;
  readonly file: string;
  readonly locate?: Locate;
}

type Json = Record<string, unknown>;

const SETTINGS_FILE = 'settings';

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** `over` merged into `base`: objects key by key, anything else (arrays included) replaces; `null` deletes. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(over)) return clone(over);
  const out: Json = isPlainObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    if (value === null) {
      delete out[key];
    } else {
      out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key], value) : clone(value);
    }
  }
  return out;
}

function roleLabel(role: Role): string {
  return role === 'settings' ? 'settings' : `${role} config`;
}

function position(source: Source, path: ConfigPath, at: 'value' | 'key' = 'value'): { line?: number; column?: number } {
  return source.locate?.(path, at) ?? {};
}

function diagnostic(
  source: Source,
  path: ConfigPath,
  message: string,
  severity: ConfigDiagnostic['severity'],
  at: 'value' | 'key' = 'value',
): ConfigDiagnostic {
  return { file: source.file, ...position(source, path, at), key: formatKeyPath(path), message, severity };
}

/** The sentence for a file whose current text does not validate. */
function invalidFileSentence(role: Role, file: string, outcome: 'last-good' | 'unused' | 'previous'): string {
  const head = `${roleLabel(role)} ${file} has errors (see diagnostics)`;
  switch (outcome) {
    case 'last-good':
      return `${head}: its last good version stays in force until it is fixed`;
    case 'previous':
      return `${head}: the previous configuration stays in force until it is fixed`;
    case 'unused':
      return `${head} and no earlier version of it was valid: it is not used until it is fixed`;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The workspace allow-list
// ---------------------------------------------------------------------------------------------------------------------

/** A tree of the paths a layer may set: `true` allows the whole value, an object allows only its keys (`*`: any key). */
interface AllowList {
  readonly [key: string]: true | AllowList;
}

/**
 * What a workspace file may set: how requests are routed among the providers the user set up. Not listed, so never
 * from a workspace: budgets, prices, the ledger (retention, stored instructions), expected output tokens (they size
 * the budget estimate), retry attempts (each can cost), and per provider: endpoints, protocols, keys, `requiresKey`,
 * `free` and the unknown-model price. Providers are handled in {@link Resolver.workspaceRules} (only existing ones).
 */
const WORKSPACE_ALLOWED: AllowList = {
  $schema: true,
  version: true,
  strategy: true,
  tiers: { light: true, medium: true },
  localFirst: true,
  escalateAfterFailures: true,
  maxWaitMs: true,
  retry: { baseDelayMs: true, maxDelayMs: true, retryAfterCapMs: true },
  circuit: true,
  agents: { '*': { chain: true, reasoning: true } },
};

/** What a workspace file may set on a provider the defaults or the user file define. */
const WORKSPACE_PROVIDER_ALLOWED: AllowList = {
  label: true,
  enabled: true,
  models: { light: true, medium: true, heavy: true },
  weight: true,
  capabilities: true,
  timeoutMs: true,
  idleTimeoutMs: true,
};

const NOT_IN_WORKSPACE =
  'is ignored: a workspace config may not set it (it decides money, data, keys or endpoints); it belongs in your user ' +
  'config file';

/** `value` with only the allowed keys; `reject` is called with the path of each key dropped. */
function filterAllowed(value: Json, allow: AllowList, path: ConfigPath, reject: (path: ConfigPath) => void): Json {
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    const rule = Object.hasOwn(allow, key) ? allow[key] : allow['*'];
    if (rule === undefined) {
      reject([...path, key]);
    } else if (rule === true || !isPlainObject(child)) {
      out[key] = child;
    } else {
      out[key] = filterAllowed(child, rule, [...path, key], reject);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Applying one layer
// ---------------------------------------------------------------------------------------------------------------------

class Resolver {
  state: ConfigFile = configToFile(DEFAULT_CONFIG);
  readonly diagnostics: ConfigDiagnostic[] = [];
  readonly ignored: string[] = [];
  /** Who last set each agent's chain, who last touched each price, who introduced each custom provider. */
  readonly chainSource = new Map<AgentId, Source>();
  readonly priceSource = new Map<string, Source>();
  readonly providerSource = new Map<string, Source>();

  /** Settings: provider entries are restricted first, then each setting is validated on its own. */
  applySettings(settings: PartialConfigFromSettings, diagnostics: ConfigDiagnostic[]): void {
    const restricted = this.settingsRules(settings);
    this.apply({ role: 'settings', file: SETTINGS_FILE }, validSettings(restricted, diagnostics));
  }

  apply(source: Source, data: ConfigFile): void {
    let layer: ConfigFile = data;
    if (source.role === 'workspace') layer = this.workspaceRules(source, layer);
    layer = this.tierRule(source, layer);

    for (const id of Object.keys(layer.providers ?? {})) {
      if (this.state.providers?.[id] === undefined) this.providerSource.set(id, source);
    }
    for (const key of Object.keys(layer.pricing ?? {})) this.priceSource.set(key, source);
    const agents: Json = {};
    for (const [id, entry] of Object.entries(layer.agents ?? {}) as [AgentId, { chain?: readonly string[]; reasoning?: string }][]) {
      if (entry.chain !== undefined) {
        this.chainSource.set(id, source);
        // A new chain without a reasoning must not keep the lower layer's reasoning, which argued for another chain.
        agents[id] =
          entry.reasoning === undefined
            ? { ...entry, reasoning: `Set in your ${roleLabel(source.role)} (no reasoning given): ${entry.chain.join(' → ')}.` }
            : entry;
      } else {
        agents[id] = entry;
      }
    }
    if (layer.agents !== undefined) layer = { ...layer, agents };
    this.state = deepMerge(this.state, layer) as ConfigFile;
  }

  /**
   * The workspace allow-list: keeps only what {@link WORKSPACE_ALLOWED} lists, for providers the defaults or the user
   * file already define; everything else is dropped with a warning at its key.
   */
  private workspaceRules(source: Source, input: ConfigFile): ConfigFile {
    const reject = (path: ConfigPath, message: string): void => {
      this.diagnostics.push(diagnostic(source, path, message, 'warning', 'key'));
    };
    const { providers: raw, ...rest } = input;
    const data = filterAllowed(rest, WORKSPACE_ALLOWED, [], (path) =>
      reject(path, `${formatKeyPath(path)} ${NOT_IN_WORKSPACE}`),
    ) as ConfigFile;
    if (raw === undefined || !isPlainObject(raw)) return data;
    const providers: Record<string, ProviderFileEntry> = {};
    for (const [id, entry] of Object.entries(raw)) {
      const existing = this.state.providers?.[id];
      if (existing === undefined) {
        reject(
          ['providers', id],
          `providers.${id} is ignored: a workspace config may not add a provider (it would decide where your code is ` +
            `sent); it belongs in your user config file`,
        );
        continue;
      }
      if (!isPlainObject(entry)) continue;
      for (const field of ['baseUrl', 'protocol'] as const) {
        // The same value as below is no change; anything else would move where the provider's key is sent.
        if (entry[field] !== undefined && entry[field] !== existing[field]) {
          reject(
            ['providers', id, field],
            `providers.${id}.${field} is ignored: a workspace config may not change where an existing provider's key is ` +
              `sent; it belongs in your user config file (the provider's other settings apply)`,
          );
        }
      }
      const kept = filterAllowed(entry, WORKSPACE_PROVIDER_ALLOWED, ['providers', id], (path) => {
        const field = path[path.length - 1];
        if ((field === 'baseUrl' || field === 'protocol') && entry[field] !== undefined) return; // handled above
        reject(path, `${formatKeyPath(path)} ${NOT_IN_WORKSPACE}`);
      }) as Record<string, unknown>;
      if (kept.enabled === true && existing.enabled === false) {
        delete kept.enabled;
        reject(
          ['providers', id, 'enabled'],
          `providers.${id}.enabled is ignored: a workspace config may turn a provider off but not turn on one your user ` +
            `config turns off; it belongs in your user config file`,
        );
      }
      providers[id] = kept;
    }
    return { ...data, providers };
  }

  private settingsRules(data: ConfigFile): ConfigFile {
    if (!isPlainObject(data.providers)) return data; // absent, or wrong and reported by validation
    const providers: Record<string, ProviderFileEntry> = {};
    for (const [id, entry] of Object.entries(data.providers)) {
      if (this.state.providers?.[id] === undefined) {
        this.ignored.push(`settings: providers.${id} ignored: settings can only tune a provider a config file or the defaults define`);
        continue;
      }
      if (!isPlainObject(entry)) {
        providers[id] = entry;
        continue;
      }
      const kept: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(entry)) {
        if ((SETTINGS_PROVIDER_FIELDS as readonly string[]).includes(field)) {
          kept[field] = value;
        } else {
          this.ignored.push(
            `settings: providers.${id}.${field} ignored: settings may only set ${SETTINGS_PROVIDER_FIELDS.join(', ')} ` +
              `of a provider (endpoints, protocols and keys belong in your user config)`,
          );
        }
      }
      providers[id] = kept;
    }
    return { ...data, providers };
  }

  private tierRule(source: Source, data: ConfigFile): ConfigFile {
    if (data.tiers === undefined) return data;
    const light = data.tiers.light ?? this.state.tiers?.light ?? DEFAULT_CONFIG.routing.tiers.lightMax;
    const medium = data.tiers.medium ?? this.state.tiers?.medium ?? DEFAULT_CONFIG.routing.tiers.mediumMax;
    if (light >= 1 && light < medium && medium <= 9) return data;
    const field = data.tiers.medium !== undefined ? 'medium' : 'light';
    this.diagnostics.push(
      diagnostic(
        source,
        ['tiers', field],
        `tiers would be light ${light}, medium ${medium} with the layers below; they must satisfy 1 <= light < medium <= 9, ` +
          `so this ${roleLabel(source.role)}'s tiers are not used`,
        'error',
      ),
    );
    return { ...data, tiers: undefined };
  }

  // -------------------------------------------------------------------------------------------------------------------
  // The final Config
  // -------------------------------------------------------------------------------------------------------------------

  build(): Config {
    const providers = this.buildProviders();
    const known = new Set(Object.keys(providers));
    const agents = {} as Record<AgentId, AgentConfig>;
    for (const id of AGENT_IDS) agents[id] = this.buildAgent(id, known);
    const freeProviders = Object.values(providers)
      .filter((provider) => provider.free)
      .map((provider) => provider.id);
    const s = this.state;
    const defaults = DEFAULT_CONFIG.routing;
    const budget = s.budget ?? {};
    return deepFreeze<Config>({
      providers,
      agents,
      routing: {
        strategy: s.strategy ?? defaults.strategy,
        tiers: {
          lightMax: s.tiers?.light ?? defaults.tiers.lightMax,
          mediumMax: s.tiers?.medium ?? defaults.tiers.mediumMax,
        },
        localFirst: s.localFirst ?? defaults.localFirst,
        escalateAfterFailures: s.escalateAfterFailures ?? defaults.escalateAfterFailures,
        maxWaitMs: s.maxWaitMs ?? defaults.maxWaitMs,
        maxAnswerChars: s.maxAnswerChars ?? defaults.maxAnswerChars,
        retry: { ...defaults.retry, ...s.retry },
        circuit: { ...defaults.circuit, ...s.circuit },
        expectedOutputTokens: { ...defaults.expectedOutputTokens, ...s.expectedOutputTokens },
      },
      budget: {
        onExceed: budget.onExceed ?? DEFAULT_CONFIG.budget.onExceed,
        ...(typeof budget.daily === 'number' ? { dailyUsd: budget.daily } : {}),
        ...(typeof budget.monthly === 'number' ? { monthlyUsd: budget.monthly } : {}),
        ...(typeof budget.timeZone === 'string' ? { timeZone: budget.timeZone } : {}),
      },
      pricing: this.buildPricing(freeProviders),
      ledger: { ...DEFAULT_CONFIG.ledger, ...s.ledger },
      verify: { ...DEFAULT_CONFIG.verify, ...s.verify },
      cache: { ...DEFAULT_CONFIG.cache, ...s.cache },
    });
  }

  private buildProviders(): Record<string, ProviderConfig> {
    const providers: Record<string, ProviderConfig> = {};
    for (const [id, entry] of Object.entries(this.state.providers ?? {})) {
      const source = this.providerSource.get(id);
      if (entry.protocol === undefined || (entry.protocol === 'openai-compatible' && entry.baseUrl === undefined)) {
        // Only a custom provider can get here (built-in ones have both from the defaults).
        if (source !== undefined) {
          this.diagnostics.push(
            diagnostic(
              source,
              ['providers', id],
              `providers.${id} has no ${entry.protocol === undefined ? 'protocol' : 'baseUrl'}: a custom provider needs ` +
                `"protocol: openai-compatible" and a baseUrl such as http://localhost:1234/v1; it is left out`,
              'error',
              'key',
            ),
          );
        }
        continue;
      }
      const declaredKeys: readonly KeyConfig[] = entry.keys ?? [];
      const requiresKey = entry.requiresKey ?? declaredKeys.length > 0;
      const keys = requiresKey && declaredKeys.length === 0 ? [{ id: 'default' }] : declaredKeys;
      const models: Partial<Record<Tier, string>> = {};
      for (const tier of TIERS) {
        const model = entry.models?.[tier];
        if (typeof model === 'string') models[tier] = model;
      }
      providers[id] = {
        id,
        protocol: entry.protocol,
        label: entry.label ?? id,
        ...(entry.baseUrl !== undefined ? { baseUrl: entry.baseUrl } : {}),
        enabled: entry.enabled ?? true,
        models,
        keys: clone(keys),
        requiresKey,
        // VS Code's language models cost nothing here (the user's Copilot plan pays) unless a price is set.
        free: entry.free ?? (entry.protocol === 'vscode-lm' && entry.unknownModelPrice === undefined),
        ...(entry.unknownModelPrice !== undefined ? { unknownModelPrice: clone(entry.unknownModelPrice) } : {}),
        weight: entry.weight ?? 1,
        capabilities: { ...entry.capabilities },
        ...(entry.timeoutMs !== undefined ? { timeoutMs: entry.timeoutMs } : {}),
        ...(entry.idleTimeoutMs !== undefined ? { idleTimeoutMs: entry.idleTimeoutMs } : {}),
        ...(entry.minIntervalMs !== undefined && entry.minIntervalMs > 0 ? { minIntervalMs: entry.minIntervalMs } : {}),
        strictTiers: entry.strictTiers ?? false,
        ...(entry.safety !== undefined ? { safety: entry.safety } : {}),
      };
    }
    return providers;
  }

  private buildAgent(id: AgentId, known: ReadonlySet<string>): AgentConfig {
    const entry = this.state.agents?.[id] ?? {};
    const source = this.chainSource.get(id);
    const chain = this.cleanChain(id, entry.chain ?? DEFAULT_CONFIG.agents[id].chain, known, source);
    if (chain.length > 0) {
      return { id, tasks: AGENT_TASKS[id], chain, reasoning: entry.reasoning ?? DEFAULT_CONFIG.agents[id].reasoning };
    }
    const fallback = DEFAULT_CONFIG.agents[id].chain.filter((provider) => known.has(provider));
    if (source !== undefined) {
      this.diagnostics.push(
        diagnostic(source, ['agents', id, 'chain'], `agents.${id}.chain has no known provider left; the built-in chain is used`, 'warning'),
      );
    }
    return { id, tasks: AGENT_TASKS[id], chain: fallback, reasoning: DEFAULT_CONFIG.agents[id].reasoning };
  }

  private cleanChain(id: AgentId, chain: readonly string[], known: ReadonlySet<string>, source: Source | undefined): string[] {
    const out: string[] = [];
    chain.forEach((provider, index) => {
      const path = ['agents', id, 'chain', index];
      let problem: string | undefined;
      if (out.includes(provider)) {
        problem = `agents.${id}.chain lists "${provider}" twice; the later one is dropped`;
      } else if (!known.has(provider)) {
        const suggestion = didYouMean(provider, known);
        const guess = suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : '';
        problem = `agents.${id}.chain names unknown provider "${provider}"${guess}; it is dropped (known: ${[...known].join(', ')})`;
      } else {
        out.push(provider);
      }
      if (problem !== undefined && source !== undefined) this.diagnostics.push(diagnostic(source, path, problem, 'warning'));
    });
    return out;
  }

  private buildPricing(freeProviders: readonly string[]): PriceOverrides {
    const pricing = (this.state.pricing ?? {});
    try {
      createPriceTable(pricing, { freeProviders });
      return clone(pricing);
    } catch {
      // Find the offending entries one by one; keep the rest.
    }
    const kept: Record<string, PriceOverrides[string]> = {};
    for (const [key, price] of Object.entries(pricing)) {
      try {
        createPriceTable({ [key]: price }, { freeProviders });
        kept[key] = clone(price);
      } catch (error) {
        const source = this.priceSource.get(key);
        const message = `${errorMessage(error)}; this price override is not used`;
        if (source !== undefined) this.diagnostics.push(diagnostic(source, ['pricing', key], message, 'error', 'key'));
      }
    }
    return kept;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------------------

/** Settings split into independently valid pieces: one bad setting must not drop the others. */
function validSettings(settings: ConfigFile, diagnostics: ConfigDiagnostic[]): ConfigFile {
  let valid: ConfigFile = {};
  const sectioned = new Set(['agents', 'providers', 'budget', 'retry', 'circuit', 'ledger', 'verify', 'cache', 'expectedOutputTokens']);
  for (const [key, value] of Object.entries(settings) as [string, unknown][]) {
    if (value === undefined) continue;
    const pieces: Json[] =
      sectioned.has(key) && isPlainObject(value)
        ? Object.entries(value)
            .filter(([, inner]) => inner !== undefined)
            .map(([name, inner]) => ({ [key]: { [name]: inner } }))
        : [{ [key]: value }];
    for (const piece of pieces) {
      const problems = validateConfigValue(SETTINGS_FILE, piece);
      if (problems.length === 0) {
        valid = deepMerge(valid, piece) as ConfigFile;
      } else {
        diagnostics.push(...problems.map((problem) => ({ ...problem, message: `${problem.message}; this setting is not used` })));
      }
    }
  }
  return valid;
}

// ---------------------------------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Resolves already loaded layers (see {@link ConfigStore}, which keeps each file's last good layer). Never throws:
 * every problem is a diagnostic or an `ignored` sentence.
 */
export function resolveLayers(input: ResolveLayersInput): ConfigResolution {
  const resolver = new Resolver();
  const fileDiagnostics: ConfigDiagnostic[] = [];
  const applyFile = (role: 'user' | 'workspace', file: FileLayerInput | undefined): void => {
    if (file === undefined) return;
    fileDiagnostics.push(...file.diagnostics);
    if (file.invalid) resolver.ignored.push(invalidFileSentence(role, file.file, file.layer !== undefined ? 'last-good' : 'unused'));
    if (file.layer !== undefined) {
      resolver.apply({ role, file: file.file, locate: file.layer.locate }, file.layer.data);
    }
  };
  applyFile('user', input.user);
  if (input.workspace !== undefined && !input.workspaceTrusted) {
    resolver.ignored.push(`workspace config ignored: the workspace is not trusted (${input.workspace.file})`);
  } else {
    applyFile('workspace', input.workspace);
  }
  if (input.settings !== undefined) resolver.applySettings(input.settings, fileDiagnostics);
  const config = resolver.build();
  return { config, diagnostics: [...fileDiagnostics, ...resolver.diagnostics], ignored: resolver.ignored };
}

function loadFile(input: ConfigFileInput): FileLayerInput {
  const result = loadConfigText(input.file, input.text, input.bytes);
  return result.ok
    ? { file: input.file, layer: result.layer, diagnostics: result.diagnostics, invalid: false }
    : { file: input.file, diagnostics: result.diagnostics, invalid: true };
}

/**
 * Parses, validates and layers the given texts. Stateless: when a file does not validate and `previous` is given,
 * `previous` is returned unchanged with the file's diagnostics ("the last good configuration stays in force"); without
 * `previous` the invalid file is left out. {@link ConfigStore} does better: it keeps each file's last good layer, so one
 * bad edit of one file does not hold back changes to the others.
 */
export function resolveConfig(input: ResolveConfigInput): ConfigResolution {
  const user = input.user !== undefined ? loadFile(input.user) : undefined;
  const workspace =
    input.workspace === undefined
      ? undefined
      : input.workspaceTrusted
        ? loadFile(input.workspace)
        : { file: input.workspace.file, diagnostics: [], invalid: false };
  const resolution = resolveLayers({
    ...(user !== undefined ? { user } : {}),
    ...(workspace !== undefined ? { workspace } : {}),
    workspaceTrusted: input.workspaceTrusted,
    ...(input.settings !== undefined ? { settings: input.settings } : {}),
  });
  const invalid = [
    ...(user?.invalid === true ? [{ role: 'user' as const, file: user.file }] : []),
    ...(workspace?.invalid === true && input.workspaceTrusted ? [{ role: 'workspace' as const, file: workspace.file }] : []),
  ];
  if (input.previous === undefined || invalid.length === 0) return resolution;
  const unused = new Set(invalid.map(({ role, file }) => invalidFileSentence(role, file, 'unused')));
  return {
    config: input.previous,
    diagnostics: [...(user?.diagnostics ?? []), ...(workspace?.diagnostics ?? [])],
    ignored: [
      ...resolution.ignored.filter((sentence) => !unused.has(sentence)),
      ...invalid.map(({ role, file }) => invalidFileSentence(role, file, 'previous')),
    ],
  };
}
