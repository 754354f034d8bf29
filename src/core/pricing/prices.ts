/**
 * Built-in list prices and default models per tier.
 *
 * Every price is USD per million tokens (see {@link ModelPrice}). `cacheWrite` is Anthropic's 5-minute cache-write
 * price, OpenAI's 30-minute cache-write price where OpenAI publishes one, and otherwise equal to `input` (the provider
 * bills no separate write price). A `longContext` tier applies to the whole request once the prompt (input + cache
 * reads + cache writes) is above its threshold; see cost.ts.
 *
 * Provenance: the sources below were read on 2026-11-23 as stored copies (not live pages); the date in each comment is
 * the date of the copy where it is known. A number marked "unverified" could not be confirmed on the provider's own page
 * and is the best published figure found (the comment says where from); check those first when a bill disagrees.
 *
 * Entries can carry a validity window (`validFrom` inclusive, `validUntil` exclusive, UTC calendar days) for price
 * changes that are already announced; createPriceTable picks the entry in force on its `now`.
 */
import type { BuiltinProviderId } from '../providers/types';
import type { ModelPrice } from './cost';

export interface BuiltinPrice {
  readonly provider: BuiltinProviderId;
  /** Base model id; dated snapshots of it are matched by cost.ts (e.g. `claude-sonnet-4-5-20250929`). */
  readonly model: string;
  readonly price: ModelPrice;
  /** First UTC day (`YYYY-MM-DD`, inclusive) on which this price applies. Absent: since ever. */
  readonly validFrom?: string;
  /** UTC day (`YYYY-MM-DD`, exclusive) from which this price no longer applies. Absent: until further notice. */
  readonly validUntil?: string;
}

export interface TierModels {
  readonly light?: string;
  readonly medium?: string;
  readonly heavy?: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Anthropic
// Source: "Pricing", https://platform.claude.com/docs/en/about-claude/pricing (model table: base input, 5m cache writes,
// cache hits, output; "Long context pricing"), and the model overview pages
// https://platform.claude.com/docs/<locale>/models/<model>/overview (opus-5-5, sonnet-5-5, haiku-5-5; prices in USD).
// Read 2026-11-23 from stored copies (the Haiku 5.5 page is from after its 2026-10-07 release).
// - claude-sonnet-5-5 cacheRead 0.10: unverified. The stored official overview still shows $0.20 (written before the
//   cut); $0.10 from 2026-10-07 is reported by several trackers citing the official pricing page (claudit v1.9.2,
//   PromptFuel v1.0.23, synaps 0.10.2 "0.05x").
// - claude-haiku-5-5 cacheRead 0.01 / 0.05 (long): unverified (the stored official page was cut off before that line);
//   figures from apidog.com "How to Use the Claude Haiku 5.5 API" (2026-10-08) and claudit v1.9.2, which agree.
// - claude-sonnet-4-5 long-context cacheWrite 7.50 / cacheRead 0.60: unverified, the published 1.25x / 0.1x cache
//   multipliers applied to the official long-context input price ($6).
// - claude-sonnet-4-6: a third-party guide (deploybase.ai, 2026-03) says Sonnet 4.6 has no long-context surcharge;
//   unverified, so no long tier is modelled.
// ---------------------------------------------------------------------------------------------------------------------
const ANTHROPIC: readonly BuiltinPrice[] = [
  { provider: 'anthropic', model: 'claude-fable-5-1', price: { input: 10, output: 50, cacheRead: 0.25, cacheWrite: 12.5 } },
  { provider: 'anthropic', model: 'claude-fable-5', price: { input: 10, output: 50, cacheRead: 1, cacheWrite: 12.5 } },
  { provider: 'anthropic', model: 'claude-opus-5-5', price: { input: 4, output: 20, cacheRead: 0.2, cacheWrite: 5 } },
  { provider: 'anthropic', model: 'claude-opus-5', price: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 } },
  { provider: 'anthropic', model: 'claude-opus-4-8', price: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 } },
  { provider: 'anthropic', model: 'claude-opus-4-7', price: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 } },
  { provider: 'anthropic', model: 'claude-opus-4-6', price: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 } },
  { provider: 'anthropic', model: 'claude-opus-4-5', price: { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 } },
  // Retired on the Claude API except through Bedrock / Google Cloud; kept so older configs still price.
  { provider: 'anthropic', model: 'claude-opus-4-1', price: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 } },
  { provider: 'anthropic', model: 'claude-sonnet-5-5', price: { input: 2, output: 10, cacheRead: 0.1, cacheWrite: 2.5 } },
  { provider: 'anthropic', model: 'claude-sonnet-5', price: { input: 2, output: 10, cacheRead: 0.2, cacheWrite: 2.5 } },
  { provider: 'anthropic', model: 'claude-sonnet-4-6', price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    price: {
      input: 3,
      output: 15,
      cacheRead: 0.3,
      cacheWrite: 3.75,
      // Prompts over 200K tokens (1M-context beta) are billed at these rates for the whole request.
      longContext: { thresholdInputTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5 },
    },
  },
  {
    provider: 'anthropic',
    model: 'claude-haiku-5-5',
    price: {
      input: 0.1,
      output: 0.5,
      cacheRead: 0.01,
      cacheWrite: 0.125,
      // "for prompts over 100,000 tokens" (prompt = input + cache reads + cache writes), whole request.
      longContext: { thresholdInputTokens: 100_000, input: 0.5, output: 2.5, cacheRead: 0.05, cacheWrite: 0.625 },
    },
  },
  { provider: 'anthropic', model: 'claude-haiku-4-5', price: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 } },
];

// ---------------------------------------------------------------------------------------------------------------------
// OpenAI
// Source: "Pricing", https://developers.openai.com/api/docs/pricing and the model pages
// https://developers.openai.com/api/docs/models/<model>. Read 2026-11-23 from stored copies.
// GPT-5.6 and GPT-6.x: prompts with more than 272K input tokens pay 2x input and cache rates and 1.5x output for the
// whole request (stated on the gpt-6.2-sol and gpt-5.6-luna model pages); exactly 272,000 is still short-context.
// - gpt-6.2-sol: official model page (input 2, cached 0.10, cache writes 2.50 for 30-minute retention, output 10).
// - gpt-5.6-luna: official model page (0.20 / 0.02 / 1.20; "cache writes are billed at 1.25x the uncached input").
// - gpt-6-astra input/output: official model list (zh-Hans copy); cached 1.00, cache write 12.50 and long-context
//   figures from LiteLLM's GPT-6 Astra announcement (github.com/BerriAI/litellm/discussions/39633): secondary.
// - gpt-6.1-sol, gpt-6-sol, gpt-6-luna, gpt-6.1-terra: secondary, several trackers quoting the official model pages
//   agree (LiteLLM blog posts, codexometer v0.18.4, PromptFuel v1.0.21/v1.0.24, AILSA SubSwitch read 2026-10-01).
// - gpt-6.2-astra (released 2026-11-17): input 8 / output 40 from docs.laozhang.ai (2026-11-18), secondary;
//   cached 0.80, cache write 10 and the long-context figures are unverified (derived from the family's 10% / 1.25x /
//   2x / 1.5x rules).
// - gpt-5.6-sol / gpt-5.6-terra input and output: official model list; their cached, cache-write and long-context
//   figures are unverified (derived from the same rules; terra cached 0.20 also quoted by docs.laozhang.ai).
// - gpt-5, gpt-5-mini, gpt-5-nano, gpt-4.1*, gpt-4o*: long-standing published prices, still listed as older models;
//   gpt-4.1 and gpt-5-mini confirmed by GitHub's docs (github/docs models-and-pricing.yml), the rest unverified in
//   this pass. These predate cache-write pricing, so cacheWrite equals input.
// ---------------------------------------------------------------------------------------------------------------------
const OPENAI: readonly BuiltinPrice[] = [
  {
    provider: 'openai',
    model: 'gpt-6.2-astra',
    price: {
      input: 8,
      output: 40,
      cacheRead: 0.8,
      cacheWrite: 10,
      longContext: { thresholdInputTokens: 272_000, input: 16, output: 60, cacheRead: 1.6, cacheWrite: 20 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-6.2-sol',
    price: {
      input: 2,
      output: 10,
      cacheRead: 0.1,
      cacheWrite: 2.5,
      longContext: { thresholdInputTokens: 272_000, input: 4, output: 15, cacheRead: 0.2, cacheWrite: 5 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-6.1-sol',
    price: {
      input: 2,
      output: 10,
      cacheRead: 0.1,
      cacheWrite: 2.5,
      longContext: { thresholdInputTokens: 272_000, input: 4, output: 15, cacheRead: 0.2, cacheWrite: 5 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-6.1-terra',
    price: {
      input: 1,
      output: 5,
      cacheRead: 0.05,
      cacheWrite: 1.25,
      longContext: { thresholdInputTokens: 272_000, input: 2, output: 7.5, cacheRead: 0.1, cacheWrite: 2.5 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-6-astra',
    price: {
      input: 10,
      output: 50,
      cacheRead: 1,
      cacheWrite: 12.5,
      longContext: { thresholdInputTokens: 272_000, input: 20, output: 75, cacheRead: 2, cacheWrite: 25 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-6-sol',
    price: {
      input: 2,
      output: 10,
      cacheRead: 0.2,
      cacheWrite: 2.5,
      longContext: { thresholdInputTokens: 272_000, input: 4, output: 15, cacheRead: 0.4, cacheWrite: 5 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-6-luna',
    price: {
      input: 0.1,
      output: 0.5,
      cacheRead: 0.01,
      cacheWrite: 0.125,
      longContext: { thresholdInputTokens: 272_000, input: 0.2, output: 0.75, cacheRead: 0.02, cacheWrite: 0.25 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-5.6-sol',
    price: {
      input: 4,
      output: 20,
      cacheRead: 0.4,
      cacheWrite: 5,
      longContext: { thresholdInputTokens: 272_000, input: 8, output: 30, cacheRead: 0.8, cacheWrite: 10 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-5.6-terra',
    price: {
      input: 2,
      output: 12,
      cacheRead: 0.2,
      cacheWrite: 2.5,
      longContext: { thresholdInputTokens: 272_000, input: 4, output: 18, cacheRead: 0.4, cacheWrite: 5 },
    },
  },
  {
    provider: 'openai',
    model: 'gpt-5.6-luna',
    price: {
      input: 0.2,
      output: 1.2,
      cacheRead: 0.02,
      cacheWrite: 0.25,
      longContext: { thresholdInputTokens: 272_000, input: 0.4, output: 1.8, cacheRead: 0.04, cacheWrite: 0.5 },
    },
  },
  { provider: 'openai', model: 'gpt-5', price: { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 } },
  { provider: 'openai', model: 'gpt-5-mini', price: { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0.25 } },
  { provider: 'openai', model: 'gpt-5-nano', price: { input: 0.05, output: 0.4, cacheRead: 0.005, cacheWrite: 0.05 } },
  { provider: 'openai', model: 'gpt-4.1', price: { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2 } },
  { provider: 'openai', model: 'gpt-4.1-mini', price: { input: 0.4, output: 1.6, cacheRead: 0.1, cacheWrite: 0.4 } },
  { provider: 'openai', model: 'gpt-4.1-nano', price: { input: 0.1, output: 0.4, cacheRead: 0.025, cacheWrite: 0.1 } },
  { provider: 'openai', model: 'gpt-4o', price: { input: 2.5, output: 10, cacheRead: 1.25, cacheWrite: 2.5 } },
  { provider: 'openai', model: 'gpt-4o-mini', price: { input: 0.15, output: 0.6, cacheRead: 0.075, cacheWrite: 0.15 } },
];

// ---------------------------------------------------------------------------------------------------------------------
// Google Gemini (Gemini Developer API, paid tier, text input)
// Source: "Gemini Developer API pricing", https://ai.google.dev/gemini-api/docs/pricing, via the verbatim
// transcriptions by API Evangelist of the page as read 2026-09-20 (api-evangelist/gemini) and 2026-10-07
// (api-evangelist/deepmind); "Gemini deprecations", https://ai.google.dev/gemini-api/docs/deprecations. Read 2026-11-23.
// Pro models: "prompts <= 200k tokens" base price, "> 200k" long-context price for the whole request.
// Gemini bills cache storage per hour, which is not modelled; there is no cache-write price, so cacheWrite = input.
// - Every Gemini cacheRead below is unverified (not in the transcriptions): 2.5 Pro 0.125 / 0.25, 2.5 Flash 0.03,
//   2.5 Flash-Lite 0.01 are the last published context-caching prices known to me; 3.1 Pro, 3.5 Flash(-Lite) use the
//   10%-of-input rule; 3.8 Flash 0.075 is from LiteLLM's launch note (github.com/BerriAI/litellm/discussions/39357)
//   and robinebers/openusage#1211, and 0.15 after the promotion is derived.
// - gemini-2.5-pro output 10 / 15, gemini-2.5-flash output 2.50, gemini-2.5-flash-lite input 0.10: from guides that
//   quote the official page (deploybase.ai, 2026-03); the transcriptions only kept the other half of those rows.
// - gemini-3.8-flash: "$0.75 through December 31, 2026", "$1.50 starting January 1, 2027" (output $3.75 / $7.50).
// - gemini-2.5-pro and gemini-2.5-flash shut down on 2026-12-01; from then Google routes their requests to
//   gemini-3.8-flash and gemini-3.5-flash-lite and bills those models' rates (per the deprecations page as quoted by
//   aideprecations.com, read 2026-11-10: secondary). gemini-2.5-flash-lite is not deprecated.
// ---------------------------------------------------------------------------------------------------------------------
const GEMINI_38_FLASH_PROMO: ModelPrice = { input: 0.75, output: 3.75, cacheRead: 0.075, cacheWrite: 0.75 };
const GEMINI_38_FLASH_STANDARD: ModelPrice = { input: 1.5, output: 7.5, cacheRead: 0.15, cacheWrite: 1.5 };
const GEMINI_35_FLASH_LITE: ModelPrice = { input: 0.3, output: 2.5, cacheRead: 0.03, cacheWrite: 0.3 };
const GEMINI_38_FLASH_PROMO_END = '2027-01-01';
const GEMINI_25_SHUTDOWN = '2026-12-01';

const GEMINI: readonly BuiltinPrice[] = [
  {
    provider: 'gemini',
    model: 'gemini-3.1-pro-preview',
    price: {
      input: 2,
      output: 12,
      cacheRead: 0.2,
      cacheWrite: 2,
      longContext: { thresholdInputTokens: 200_000, input: 4, output: 18, cacheRead: 0.4, cacheWrite: 4 },
    },
  },
  { provider: 'gemini', model: 'gemini-3.8-flash', price: GEMINI_38_FLASH_PROMO, validUntil: GEMINI_38_FLASH_PROMO_END },
  { provider: 'gemini', model: 'gemini-3.8-flash', price: GEMINI_38_FLASH_STANDARD, validFrom: GEMINI_38_FLASH_PROMO_END },
  { provider: 'gemini', model: 'gemini-3.5-flash', price: { input: 1.5, output: 9, cacheRead: 0.15, cacheWrite: 1.5 } },
  { provider: 'gemini', model: 'gemini-3.5-flash-lite', price: GEMINI_35_FLASH_LITE },
  {
    provider: 'gemini',
    model: 'gemini-2.5-pro',
    price: {
      input: 1.25,
      output: 10,
      cacheRead: 0.125,
      cacheWrite: 1.25,
      longContext: { thresholdInputTokens: 200_000, input: 2.5, output: 15, cacheRead: 0.25, cacheWrite: 2.5 },
    },
    validUntil: GEMINI_25_SHUTDOWN,
  },
  {
    provider: 'gemini',
    model: 'gemini-2.5-pro',
    price: GEMINI_38_FLASH_PROMO,
    validFrom: GEMINI_25_SHUTDOWN,
    validUntil: GEMINI_38_FLASH_PROMO_END,
  },
  { provider: 'gemini', model: 'gemini-2.5-pro', price: GEMINI_38_FLASH_STANDARD, validFrom: GEMINI_38_FLASH_PROMO_END },
  {
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    price: { input: 0.3, output: 2.5, cacheRead: 0.03, cacheWrite: 0.3 },
    validUntil: GEMINI_25_SHUTDOWN,
  },
  { provider: 'gemini', model: 'gemini-2.5-flash', price: GEMINI_35_FLASH_LITE, validFrom: GEMINI_25_SHUTDOWN },
  { provider: 'gemini', model: 'gemini-2.5-flash-lite', price: { input: 0.1, output: 0.4, cacheRead: 0.01, cacheWrite: 0.1 } },
];

// ---------------------------------------------------------------------------------------------------------------------
// DeepSeek (OpenAI-compatible)
// Source: "Models & Pricing", https://api-docs.deepseek.com/quick_start/pricing (stored copy listing deepseek-flash =
// DeepSeek-V4.1-Flash and deepseek-v4-pro = DeepSeek-V4-Pro-0813; a tracker re-read the same table on 2026-10-27).
// Read 2026-11-23.
// DeepSeek bills peak / off-peak since 2026-08-16: peak is 01:00-04:00 and 06:00-10:00 UTC on weekdays, and off-peak
// is exactly half. A price here has no time of day, so these are the PEAK rates: costs are an upper bound (up to 2x the
// bill off-peak) and a budget stops early rather than late. Override with the off-peak rates to count those instead.
// cacheRead is DeepSeek's "input (cache hit)" price; cache misses are billed at `input`; there is no write price.
// - deepseek-v4-flash: legacy name still accepted, served by V4.1 Flash at the Flash rate (official footnote).
// - deepseek-chat / deepseek-reasoner: retired after 2026-07-24 15:59 UTC (requests fail). Their last price (they then
//   mapped to V4-Flash: 0.14 miss / 0.0028 hit / 0.28 output, tokenmix.ai read 2026-04-30 quoting the official page)
//   applies only up to that day, so today they have no price, like any unknown model.
// ---------------------------------------------------------------------------------------------------------------------
const DEEPSEEK_FLASH_PEAK: ModelPrice = { input: 0.3, output: 1.2, cacheRead: 0.006, cacheWrite: 0.3 };
const DEEPSEEK_V4_FLASH_LAST: ModelPrice = { input: 0.14, output: 0.28, cacheRead: 0.0028, cacheWrite: 0.14 };
const DEEPSEEK_ALIASES_RETIRED = '2026-07-25';

const DEEPSEEK: readonly BuiltinPrice[] = [
  { provider: 'deepseek', model: 'deepseek-flash', price: DEEPSEEK_FLASH_PEAK },
  { provider: 'deepseek', model: 'deepseek-v4-flash', price: DEEPSEEK_FLASH_PEAK },
  { provider: 'deepseek', model: 'deepseek-v4-pro', price: { input: 1.32, output: 3.96, cacheRead: 0.044, cacheWrite: 1.32 } },
  { provider: 'deepseek', model: 'deepseek-chat', price: DEEPSEEK_V4_FLASH_LAST, validUntil: DEEPSEEK_ALIASES_RETIRED },
  { provider: 'deepseek', model: 'deepseek-reasoner', price: DEEPSEEK_V4_FLASH_LAST, validUntil: DEEPSEEK_ALIASES_RETIRED },
];

// Local (LM Studio / Ollama): every model is free; cost.ts prices the `local` provider at 0 without a table entry.

/** All built-in prices. Several entries may share a model when their validity windows do not overlap. */
export const BUILTIN_PRICES: readonly BuiltinPrice[] = Object.freeze([...ANTHROPIC, ...OPENAI, ...GEMINI, ...DEEPSEEK]);

/**
 * Default model per routing tier for each built-in provider (ids as sent to the API). Config may override them.
 * Every hosted default has a built-in price. Gemini's heavy default is a preview model (there is no GA Gemini 3 Pro
 * yet); DeepSeek has two models, so light and medium share Flash. Local ids are Ollama tags and depend on what the
 * user has pulled (LM Studio names them differently); no local heavy default, as a laptop model is not a heavy tier.
 */
export const BUILTIN_TIER_MODELS: Readonly<Record<BuiltinProviderId, TierModels>> = Object.freeze({
  anthropic: { light: 'claude-haiku-5-5', medium: 'claude-sonnet-5-5', heavy: 'claude-opus-5-5' },
  openai: { light: 'gpt-6-luna', medium: 'gpt-6.2-sol', heavy: 'gpt-6.2-astra' },
  gemini: { light: 'gemini-3.5-flash-lite', medium: 'gemini-3.8-flash', heavy: 'gemini-3.1-pro-preview' },
  deepseek: { light: 'deepseek-flash', medium: 'deepseek-flash', heavy: 'deepseek-v4-pro' },
  local: { light: 'qwen2.5-coder:7b', medium: 'qwen2.5-coder:14b' },
});
