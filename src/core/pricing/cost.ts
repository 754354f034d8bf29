/**
 * Prices and costs. A {@link PriceTable} answers "what does this provider charge for this model" from the built-in list
 * (prices.ts) plus the user's overrides; {@link costOf} and {@link estimateCost} turn a price and token counts into USD.
 *
 * Arithmetic: a price is USD per million tokens, so `tokens * price` is micro-dollars. Costs are computed as doubles,
 * converted to nano-dollars (1e-9 USD) and rounded to the nearest integer once per record ({@link costNanoUsd}); the
 * USD value ({@link costOf}) is that integer divided by 1e9. So a cost is exact to the nano-dollar (`$10.5` is exactly
 * 10.5, 1,234 tokens at $0.028 is exactly 0.000034552), and summing the integer nano-dollar values of many records is
 * exact up to 2^53 nano-dollars (about $9 million). Sub-nano-dollar remainders are rounded per record.
 */
import type { BuiltinProviderId, Usage } from '../providers/types';
import type { BuiltinPrice } from './prices';
import { BUILTIN_PRICES } from './prices';

/** A higher tier that applies to the whole request when its prompt is above the threshold. */
export type LongContextPrice = {
  /** The tier applies when input + cache-read + cache-write tokens are strictly greater than this. */
  readonly thresholdInputTokens: number;
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
};

/**
 * List price of a model, USD per million tokens. `cacheRead` defaults to `input` (no cache discount) and `cacheWrite`
 * to `input` (no separate write price); the same defaults apply inside `longContext`, relative to its own `input`.
 */
export type ModelPrice = {
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
  readonly longContext?: LongContextPrice;
};

/**
 * Price overrides from config, keyed by `"provider/model"` (that provider only) or `"model"` (any provider). A key
 * naming a known model merges its fields over the built-in price (a given `longContext` replaces the built-in one
 * whole); any other key adds a model and must give at least `input` and `output`.
 */
export type PriceOverrides = Readonly<Record<string, Partial<ModelPrice>>>;

export interface PriceTableOptions {
  /** Providers whose every model costs 0 (besides `local`, which always does), e.g. custom local servers. */
  readonly freeProviders?: Iterable<string>;
  /** Picks the built-in prices in force on this day (UTC). Default: the current time. */
  readonly now?: Date;
  /**
   * Per provider, the price charged for a model the table does not know (the user's `unknownModelPrice`). Without one,
   * an unknown model is charged at the ceiling described at {@link PriceTable.charge}.
   */
  readonly unknownModelPrices?: Readonly<Record<string, ModelPrice>>;
}

export type PriceSource = 'builtin' | 'override' | 'free';

export interface PriceMatch {
  readonly price: ModelPrice;
  /** The table key that matched (lower case), e.g. `claude-sonnet-4-5` for `claude-sonnet-4-5-20250929`; `*` if free. */
  readonly matchedModel: string;
  readonly source: PriceSource;
}

/** The price to estimate and book a request with; `unknown` when the model has no known price (see {@link PriceTable.charge}). */
export interface ChargedPrice {
  readonly price: ModelPrice;
  /** The model has no known price: `price` is an upper estimate, and everything showing the cost must say so. */
  readonly unknown: boolean;
}

export interface PriceTable {
  /** The price of `model` at `providerId`, or `undefined` when unknown (the caller decides what that means). */
  priceOf(providerId: string, model: string): ModelPrice | undefined;
  /** Like {@link priceOf}, and says which entry matched and where it came from. */
  lookup(providerId: string, model: string): PriceMatch | undefined;
  /** Whether every model of the provider costs 0. */
  isFree(providerId: string): boolean;
  /**
   * The price to estimate and book `model` at `providerId` with. Never 0 for a model without a known price at a
   * provider that is not free (a budget must never let it through as free): the provider's configured
   * `unknownModelPrice`, else the highest rate of each kind among the provider's known models, else among all known
   * models.
   */
  charge(providerId: string, model: string): ChargedPrice;
}

const FREE_PRICE: ModelPrice = Object.freeze({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
const BUILTIN_PROVIDERS: ReadonlySet<string> = new Set<BuiltinProviderId>([
  'anthropic',
  'openai',
  'gemini',
  'deepseek',
  'local',
]);
const NANO_PER_MICRO = 1000;
const NANO_PER_USD = 1e9;

// ------------------------------------------------------------------------------------------------------------------
// Cost
// ------------------------------------------------------------------------------------------------------------------

interface Rates {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

function ratesFor(price: ModelPrice, promptTokens: number): Rates {
  const long = price.longContext;
  const tier = long !== undefined && promptTokens > long.thresholdInputTokens ? long : price;
  return {
    input: tier.input,
    output: tier.output,
    cacheRead: tier.cacheRead ?? tier.input,
    cacheWrite: tier.cacheWrite ?? tier.input,
  };
}

function checkTokens(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`Token count ${name} must be a finite number >= 0, got ${formatValue(value)}`);
  }
  return value;
}

/**
 * Cost of a usage record in nano-dollars (integer, 1e-9 USD). The long-context tier, if any, is chosen by the whole
 * prompt (input + cache reads + cache writes) and then applies to every token of the record, output included.
 * Throws a RangeError for a negative or non-finite token count.
 */
export function costNanoUsd(price: ModelPrice, usage: Usage): number {
  const input = checkTokens('inputTokens', usage.inputTokens);
  const output = checkTokens('outputTokens', usage.outputTokens);
  const cacheRead = checkTokens('cacheReadTokens', usage.cacheReadTokens);
  const cacheWrite = checkTokens('cacheWriteTokens', usage.cacheWriteTokens);
  const rates = ratesFor(price, input + cacheRead + cacheWrite);
  const micro =
    input * rates.input + output * rates.output + cacheRead * rates.cacheRead + cacheWrite * rates.cacheWrite;
  return Math.round(micro * NANO_PER_MICRO);
}

/** Cost of a usage record in USD, exact to the nano-dollar (see {@link costNanoUsd}). */
export function costOf(price: ModelPrice, usage: Usage): number {
  return costNanoUsd(price, usage) / NANO_PER_USD;
}

/**
 * Expected cost in USD of a request not yet sent: every prompt token at the uncached input price (a cache hit can only
 * make it cheaper), the tier chosen by `inputTokens`.
 */
export function estimateCost(price: ModelPrice, inputTokens: number, expectedOutputTokens: number): number {
  return costOf(price, {
    inputTokens,
    outputTokens: expectedOutputTokens,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  });
}

// ------------------------------------------------------------------------------------------------------------------
// Validation
// ------------------------------------------------------------------------------------------------------------------

const PRICE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'longContext'] as const;
const LONG_FIELDS = ['thresholdInputTokens', 'input', 'output', 'cacheRead', 'cacheWrite'] as const;

function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === undefined) {
    return 'undefined';
  }
  try {
    // JSON.stringify gives undefined for a function or symbol, and throws on a cycle (a YAML alias can make one).
    return JSON.stringify(value) ?? `a ${typeof value}`;
  } catch {
    return Array.isArray(value) ? 'a list' : 'an object';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Fail = (message: string) => never;

function checkFields(value: Record<string, unknown>, allowed: readonly string[], path: string, fail: Fail): void {
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) {
      fail(`unknown field "${path}${field}" (allowed: ${allowed.join(', ')})`);
    }
  }
}

function checkRate(value: unknown, field: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${field} must be a finite number >= 0 (USD per million tokens), got ${formatValue(value)}`);
  }
  return value;
}

function checkLongContext(value: unknown, fail: Fail): LongContextPrice {
  if (!isRecord(value)) {
    fail(`longContext must be an object with thresholdInputTokens, input and output, got ${formatValue(value)}`);
  }
  checkFields(value, LONG_FIELDS, 'longContext.', fail);
  const threshold = value.thresholdInputTokens;
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold <= 0) {
    fail(`longContext.thresholdInputTokens must be a whole number > 0, got ${formatValue(threshold)}`);
  }
  const long: { -readonly [K in keyof LongContextPrice]: LongContextPrice[K] } = {
    thresholdInputTokens: threshold,
    input: checkRate(value.input, 'longContext.input', fail),
    output: checkRate(value.output, 'longContext.output', fail),
  };
  if (value.cacheRead !== undefined) {
    long.cacheRead = checkRate(value.cacheRead, 'longContext.cacheRead', fail);
  }
  if (value.cacheWrite !== undefined) {
    long.cacheWrite = checkRate(value.cacheWrite, 'longContext.cacheWrite', fail);
  }
  return long;
}

/** Validates the fields present in `value` (a partial price); returns them with `undefined` ones dropped. */
function checkPartialPrice(value: unknown, fail: Fail): Partial<ModelPrice> {
  if (!isRecord(value)) {
    fail(`expected an object such as { "input": 3, "output": 15 }, got ${formatValue(value)}`);
  }
  checkFields(value, PRICE_FIELDS, '', fail);
  const partial: { -readonly [K in keyof ModelPrice]?: ModelPrice[K] } = {};
  for (const field of ['input', 'output', 'cacheRead', 'cacheWrite'] as const) {
    if (value[field] !== undefined) {
      partial[field] = checkRate(value[field], field, fail);
    }
  }
  if (value.longContext !== undefined) {
    partial.longContext = checkLongContext(value.longContext, fail);
  }
  return partial;
}

function completePrice(partial: Partial<ModelPrice>, fail: Fail): ModelPrice {
  const missing = (['input', 'output'] as const).filter((field) => partial[field] === undefined);
  if (missing.length > 0) {
    fail(`not a built-in model, so the price needs both input and output (missing: ${missing.join(', ')})`);
  }
  return Object.freeze({ ...partial }) as ModelPrice;
}

// ------------------------------------------------------------------------------------------------------------------
// Table
// ------------------------------------------------------------------------------------------------------------------

/** Lower-cased, trimmed model id; Gemini's `models/` resource prefix is dropped. */
function normalizeModel(model: string): string {
  const id = model.trim().toLowerCase();
  return id.startsWith('models/') ? id.slice('models/'.length) : id;
}

function normalizeProvider(providerId: string): string {
  return providerId.trim().toLowerCase();
}

/**
 * A segment after a known id that marks a snapshot of the same model rather than a different model: a date or build
 * number (two or more digits: `20250929`, `2024`, `07`, `001`), `latest`, `preview`, `exp`, or a version tag (`v2`).
 */
const SNAPSHOT_SEGMENT = /^(?:\d{2,}|latest|preview|exp|v\d+)$/;

/**
 * Whether `model` is `key` or a snapshot of it: `key` followed by `-` or `@` and snapshot segments only. So
 * `gpt-4o-mini-2024-07-18` is a `gpt-4o-mini` (and not a `gpt-4o`: `mini` is not a snapshot segment), and `gpt-4omni`,
 * `gpt-5.1` or `claude-opus-4-9` are not priced as `gpt-4o`, `gpt-5` or `claude-opus-4`.
 */
function isSnapshotOf(model: string, key: string): boolean {
  if (model === key) {
    return true;
  }
  if (!model.startsWith(key)) {
    return false;
  }
  const rest = model.slice(key.length);
  if (rest[0] !== '-' && rest[0] !== '@') {
    return false;
  }
  return rest
    .slice(1)
    .split(/[-@]/)
    .every((segment) => SNAPSHOT_SEGMENT.test(segment));
}

interface Entry {
  /** Lower-cased provider id, or undefined for a model-only override (any provider). */
  readonly provider: string | undefined;
  readonly model: string;
  readonly price: ModelPrice;
  readonly source: 'builtin' | 'override';
  /** Tie-break between entries matching with the same key length: provider override > model override > built-in. */
  readonly rank: number;
}

function utcDay(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError('PriceTableOptions.now is an invalid Date');
  }
  return date.toISOString().slice(0, 10);
}

function inForce(entry: BuiltinPrice, day: string): boolean {
  return (entry.validFrom === undefined || day >= entry.validFrom) && (entry.validUntil === undefined || day < entry.validUntil);
}

function builtinEntries(day: string): Entry[] {
  const entries = new Map<string, Entry>();
  for (const builtin of BUILTIN_PRICES) {
    if (!inForce(builtin, day)) {
      continue;
    }
    const id = `${builtin.provider}/${builtin.model}`;
    const fail: Fail = (message) => {
      throw new Error(`Invalid built-in price "${id}": ${message}`);
    };
    if (entries.has(id)) {
      fail(`two entries are in force on ${day}`);
    }
    const price = completePrice(checkPartialPrice(builtin.price, fail), fail);
    entries.set(id, { provider: builtin.provider, model: normalizeModel(builtin.model), price, source: 'builtin', rank: 1 });
  }
  return [...entries.values()];
}

/** Where an override key applies: one `(provider, model)` scope, or two for an ambiguous `a/b` key. */
function overrideScopes(key: string): { provider: string | undefined; model: string }[] {
  const normalized = key.trim().toLowerCase();
  const slash = normalized.indexOf('/');
  if (slash < 0) {
    return [{ provider: undefined, model: normalizeModel(normalized) }];
  }
  const provider = normalized.slice(0, slash);
  const model = normalizeModel(normalized.slice(slash + 1));
  if (BUILTIN_PROVIDERS.has(provider)) {
    return [{ provider, model }];
  }
  // Not a built-in provider: either a custom provider's "provider/model" or a model id containing a slash
  // (e.g. "meta-llama/llama-3.1-70b"). Register both; each only matches lookups of its own shape.
  return [
    { provider, model },
    { provider: undefined, model: normalized },
  ];
}

function overrideEntries(overrides: unknown, builtins: readonly Entry[], free: ReadonlySet<string>): Entry[] {
  if (overrides === undefined || overrides === null) {
    return [];
  }
  if (!isRecord(overrides)) {
    throw new Error(
      `Invalid price overrides: expected an object keyed by "provider/model" or "model", got ${formatValue(overrides)}`,
    );
  }
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    const fail: Fail = (message) => {
      throw new Error(`Invalid price override "${key}": ${message}`);
    };
    const scopes = overrideScopes(key);
    if (scopes.some((scope) => scope.model === '' || scope.provider === '')) {
      fail('expected "provider/model" or "model"');
    }
    const partial = checkPartialPrice(value, fail);
    for (const scope of scopes) {
      if (scope.provider !== undefined && free.has(scope.provider)) {
        fail(`provider "${scope.provider}" is free: its models always cost 0`);
      }
      const base = bestMatch(
        builtins.filter((entry) => scope.provider === undefined || entry.provider === scope.provider),
        scope.model,
      );
      const price =
        base === undefined ? completePrice(partial, fail) : (Object.freeze({ ...base.price, ...partial }) as ModelPrice);
      entries.push({
        provider: scope.provider,
        model: scope.model,
        price,
        source: 'override',
        rank: scope.provider === undefined ? 2 : 3,
      });
    }
  }
  return entries;
}

/** The entry `model` is a snapshot of with the longest key; on equal keys, the higher rank. */
function bestMatch(entries: readonly Entry[], model: string): Entry | undefined {
  let best: Entry | undefined;
  for (const entry of entries) {
    if (!isSnapshotOf(model, entry.model)) {
      continue;
    }
    if (
      best === undefined ||
      entry.model.length > best.model.length ||
      (entry.model.length === best.model.length && entry.rank > best.rank)
    ) {
      best = entry;
    }
  }
  return best;
}

/** Field by field, the highest rate among `prices` (cache rates default to the input rate, as in {@link ratesFor}). */
function highestRates(prices: readonly ModelPrice[]): ModelPrice | undefined {
  if (prices.length === 0) return undefined;
  let input = 0;
  let output = 0;
  let cacheRead = 0;
  let cacheWrite = 0;
  for (const price of prices) {
    input = Math.max(input, price.input);
    output = Math.max(output, price.output);
    cacheRead = Math.max(cacheRead, price.cacheRead ?? price.input);
    cacheWrite = Math.max(cacheWrite, price.cacheWrite ?? price.input);
  }
  return Object.freeze({ input, output, cacheRead, cacheWrite });
}

class MergedPriceTable implements PriceTable {
  private readonly ceilings = new Map<string, ModelPrice>();

  constructor(
    private readonly entries: readonly Entry[],
    private readonly free: ReadonlySet<string>,
    private readonly configured: ReadonlyMap<string, ModelPrice>,
  ) {}

  charge(providerId: string, model: string): ChargedPrice {
    const match = this.lookup(providerId, model);
    if (match !== undefined) return { price: match.price, unknown: false };
    return { price: this.ceiling(normalizeProvider(providerId)), unknown: true };
  }

  private ceiling(provider: string): ModelPrice {
    let ceiling = this.ceilings.get(provider);
    if (ceiling === undefined) {
      ceiling =
        this.configured.get(provider) ??
        highestRates(this.entries.filter((entry) => entry.provider === provider).map((entry) => entry.price)) ??
        highestRates(this.entries.map((entry) => entry.price)) ??
        FREE_PRICE; // no known price at all: only with an empty built-in list
      this.ceilings.set(provider, ceiling);
    }
    return ceiling;
  }

  isFree(providerId: string): boolean {
    return this.free.has(normalizeProvider(providerId));
  }

  priceOf(providerId: string, model: string): ModelPrice | undefined {
    return this.lookup(providerId, model)?.price;
  }

  lookup(providerId: string, model: string): PriceMatch | undefined {
    const provider = normalizeProvider(providerId);
    if (this.free.has(provider)) {
      return { price: FREE_PRICE, matchedModel: '*', source: 'free' };
    }
    const candidates = this.entries.filter((entry) => entry.provider === undefined || entry.provider === provider);
    const best = bestMatch(candidates, normalizeModel(model));
    return best === undefined ? undefined : { price: best.price, matchedModel: best.model, source: best.source };
  }
}

/** The price-table options a configuration's providers give: which are free, and their unknown-model prices. */
export function providerPriceOptions(
  providers: Iterable<{ readonly id: string; readonly free: boolean; readonly unknownModelPrice?: ModelPrice }>,
): Pick<PriceTableOptions, 'freeProviders' | 'unknownModelPrices'> {
  const freeProviders: string[] = [];
  const unknownModelPrices: Record<string, ModelPrice> = {};
  for (const provider of providers) {
    if (provider.free) freeProviders.push(provider.id);
    if (provider.unknownModelPrice !== undefined) unknownModelPrices[provider.id] = provider.unknownModelPrice;
  }
  return { freeProviders, unknownModelPrices };
}

/**
 * Builds the price table from the built-in list (the entries in force on `options.now`) and `overrides`. The `local`
 * provider and `options.freeProviders` cost 0 for any model. A model without a known price at any other provider is
 * charged at a ceiling ({@link PriceTable.charge}): `options.unknownModelPrices[provider]`, else the highest rates of
 * the provider's known models (longContext tiers aside), else the highest of all known models. Throws an Error naming the key and the value when an
 * override is invalid: a negative or non-finite price, an unknown field, a new model without input or output, a
 * malformed long-context tier, or a price for a free provider.
 */
export function createPriceTable(overrides?: PriceOverrides, options: PriceTableOptions = {}): PriceTable {
  const free = new Set<string>(['local']);
  for (const providerId of options.freeProviders ?? []) {
    free.add(normalizeProvider(providerId));
  }
  const builtins = builtinEntries(utcDay(options.now ?? new Date()));
  const configured = new Map<string, ModelPrice>();
  for (const [providerId, price] of Object.entries(options.unknownModelPrices ?? {})) {
    const fail: Fail = (message) => {
      throw new Error(`Invalid unknownModelPrice of provider "${providerId}": ${message}`);
    };
    configured.set(normalizeProvider(providerId), completePrice(checkPartialPrice(price, fail), fail));
  }
  return new MergedPriceTable([...builtins, ...overrideEntries(overrides, builtins, free)], free, configured);
}
