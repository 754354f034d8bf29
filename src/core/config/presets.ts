/**
 * Presets rewrite every agent's chain at once: cost-optimized, performance-optimized, balanced.
 *
 * Orders are computed from the configuration, not fixed lists, so they follow the user's models, price overrides,
 * capability ratings and custom providers:
 * - cost: cheapest first, by the estimated price of one typical light + medium + heavy request with each provider's
 *   models for those tiers (free providers cost 0; a provider whose price is unknown goes last);
 * - performance: best capability rating for the agent's task first (see BUILTIN_CAPABILITIES), cost ignored;
 * - balanced: strongest first for review, refactor and free questions; cheapest first for explain and document; for
 *   implement, tests and fix the providers rated at least {@link GOOD_ENOUGH} for the task come first, cheapest first,
 *   then the rest by rating.
 * Ties keep a fixed order (cost: local, deepseek, gemini, openai, anthropic; performance: the reverse), then custom ids
 * alphabetically. Disabled providers are left out.
 */
import type { PriceTable } from '../pricing/cost';
import { createPriceTable, estimateCost, providerPriceOptions } from '../pricing/cost';
import { formatUsd } from '../util/format';
import type { AgentId, Config, PresetName, ProviderConfig, TaskType, Tier } from './types';
import { AGENT_IDS, TIERS } from './types';

export interface PresetAssignment {
  readonly chain: string[];
  readonly reasoning: string;
}

export interface PresetOptions {
  /** Prices in force on this day (default: now). */
  readonly now?: Date;
}

/** Balanced preset: a rating at or above this counts as capable enough for implement, tests and fix. */
export const GOOD_ENOUGH = 0.75;

/**
 * Prompt tokens of a typical request per tier, for the cost order. JUDGEMENT: a light request is a short selection
 * (~1k tokens with the system prompt), a medium one a function or two (~3k), a heavy one a large selection (~8k).
 */
const TYPICAL_PROMPT_TOKENS: Readonly<Record<Tier, number>> = { light: 1_000, medium: 3_000, heavy: 8_000 };

const CHEAP_ORDER = ['local', 'deepseek', 'gemini', 'openai', 'anthropic'];
const STRONG_ORDER = [...CHEAP_ORDER].reverse();

const STRONG_TASKS: ReadonlySet<TaskType> = new Set<TaskType>(['review', 'refactor', 'ask']);
const CHEAP_TASKS: ReadonlySet<TaskType> = new Set<TaskType>(['explain', 'document']);

const WHY: Readonly<Record<TaskType, string>> = {
  review: 'a review that misses a real bug costs more than the tokens it saves',
  refactor: 'a refactor that subtly changes behaviour costs more than the tokens it saves',
  ask: 'open design questions reward the broadest knowledge and the most careful reasoning',
  explain: 'explanations are forgiving: a small model gets the gist right and you read the answer anyway',
  document: 'doc comments describe code that is already there, and you review them in the diff',
  implement: 'new code has to be right, but most of it is routine',
  tests: 'tests have to be right, but you run them and a weak one shows at once',
  fix: 'a fix has to find the real cause, but most bugs are not subtle',
};

/** The model a provider uses for `tier`: its own, else the nearest tier it has (lower first on a tie). */
function modelFor(provider: ProviderConfig, tier: Tier): string | undefined {
  const index = TIERS.indexOf(tier);
  for (let distance = 0; distance < TIERS.length; distance++) {
    for (const candidate of [TIERS[index - distance], TIERS[index + distance]]) {
      const model = candidate === undefined ? undefined : provider.models[candidate];
      if (model !== undefined) return model;
    }
  }
  return undefined;
}

/** Estimated USD of one typical request per tier; 0 when free, Infinity when a price is unknown. */
function typicalCost(config: Config, table: PriceTable, provider: ProviderConfig): number {
  if (provider.free || table.isFree(provider.id)) return 0;
  let total = 0;
  for (const tier of TIERS) {
    const model = modelFor(provider, tier);
    const price = model === undefined ? undefined : table.priceOf(provider.id, model);
    if (price === undefined) return Infinity;
    total += estimateCost(price, TYPICAL_PROMPT_TOKENS[tier], config.routing.expectedOutputTokens[tier]);
  }
  return total;
}

function tieBreak(order: readonly string[]): (a: string, b: string) => number {
  const rank = (id: string): number => (order.includes(id) ? order.indexOf(id) : order.length);
  return (a, b) => rank(a) - rank(b) || a.localeCompare(b);
}

function rating(provider: ProviderConfig, task: TaskType): number {
  return provider.capabilities[task] ?? 0.5;
}

function money(usd: number): string {
  if (usd === 0) return 'free';
  if (!Number.isFinite(usd)) return 'price unknown';
  return `~${formatUsd(usd)}`;
}

class Orders {
  private readonly providers: ProviderConfig[];
  private readonly costs = new Map<string, number>();

  constructor(config: Config, options: PresetOptions) {
    this.providers = Object.values(config.providers).filter((provider) => provider.enabled);
    const table = createPriceTable(config.pricing, {
      ...providerPriceOptions(this.providers),
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
    for (const provider of this.providers) this.costs.set(provider.id, typicalCost(config, table, provider));
  }

  cheapest(ids: readonly string[] = this.providers.map((provider) => provider.id)): string[] {
    const tie = tieBreak(CHEAP_ORDER);
    return [...ids].sort((a, b) => this.cost(a) - this.cost(b) || tie(a, b));
  }

  strongest(task: TaskType): string[] {
    const tie = tieBreak(STRONG_ORDER);
    return [...this.providers].sort((a, b) => rating(b, task) - rating(a, task) || tie(a.id, b.id)).map((provider) => provider.id);
  }

  goodEnoughCheapest(task: TaskType): { capable: string[]; rest: string[] } {
    const capable = this.providers.filter((provider) => rating(provider, task) >= GOOD_ENOUGH).map((provider) => provider.id);
    const rest = this.strongest(task).filter((id) => !capable.includes(id));
    return { capable: this.cheapest(capable), rest };
  }

  cost(id: string): number {
    return this.costs.get(id) ?? Infinity;
  }

  costList(ids: readonly string[]): string {
    return ids.map((id) => `${id} (${money(this.cost(id))})`).join(' → ');
  }

  ratingList(ids: readonly string[], task: TaskType): string {
    const byId = new Map(this.providers.map((provider) => [provider.id, provider]));
    return ids.map((id) => `${id} ${rating(byId.get(id)!, task)}`).join(' → ');
  }
}

const COST_BASIS = 'estimated price of one typical light, medium and heavy request with the configured models';

function assign(orders: Orders, preset: PresetName, task: TaskType): PresetAssignment {
  if (preset === 'cost' || (preset === 'balanced' && CHEAP_TASKS.has(task))) {
    const chain = orders.cheapest();
    const lead = preset === 'cost' ? 'Cost-optimized preset: cheapest first' : `Balanced preset: ${WHY[task]}, so cheapest first`;
    return {
      chain,
      reasoning: `${lead} (${COST_BASIS}): ${orders.costList(chain)}. The pricier providers only step in when the cheaper ones fail, are rate-limited or over budget.`,
    };
  }
  if (preset === 'performance' || STRONG_TASKS.has(task)) {
    const chain = orders.strongest(task);
    const lead =
      preset === 'performance'
        ? `Performance-optimized preset: the providers rated best for ${task} first, whatever they cost`
        : `Balanced preset: ${WHY[task]}, so the providers rated best for ${task} come first`;
    return { chain, reasoning: `${lead} (capability ratings: ${orders.ratingList(chain, task)}).` };
  }
  const { capable, rest } = orders.goodEnoughCheapest(task);
  const chain = [...capable, ...rest];
  const restText = rest.length > 0 ? `, then the others by rating (${orders.ratingList(rest, task)})` : '';
  return {
    chain,
    reasoning:
      `Balanced preset: ${WHY[task]}, so the cheapest of the providers rated at least ${GOOD_ENOUGH} for ${task} lead ` +
      `(${orders.costList(capable)})${restText}.`,
  };
}

/** Every agent's new chain and reasoning under `preset`. */
export function presetAssignments(
  config: Config,
  preset: PresetName,
  options: PresetOptions = {},
): Record<AgentId, PresetAssignment> {
  const orders = new Orders(config, options);
  const out = {} as Record<AgentId, PresetAssignment>;
  for (const id of AGENT_IDS) {
    const task = config.agents[id].tasks[0] ?? 'ask';
    out[id] = assign(orders, preset, task);
  }
  return out;
}

/** Every agent's new chain under `preset` (reasonings: {@link presetAssignments}). */
export function applyPreset(config: Config, preset: PresetName, options: PresetOptions = {}): Record<AgentId, string[]> {
  const assignments = presetAssignments(config, preset, options);
  const out = {} as Record<AgentId, string[]>;
  for (const id of AGENT_IDS) out[id] = assignments[id].chain;
  return out;
}
