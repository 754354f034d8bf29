/**
 * Recommendations computed from the ledger's rows over a window, each with what it would save and an action a UI
 * can apply ({@link applyRecommendationAction}). No recommendation is made from too little data: every kind has a
 * minimum count, in {@link DEFAULT_RECOMMENDATION_THRESHOLDS}.
 *
 * - cheaper-tier: an agent whose scored requests are mostly low-complexity (complexity <= the light threshold) but
 *   are answered by a model above the light tier (not its provider's configured light model: the provider has no
 *   light model and fell to a bigger one, or the tier was escalated or forced). Saving: what those requests cost
 *   minus their estimated cost at the cheapest priced, non-free light-tier model among the agent's chain providers
 *   (average tokens of the group × that model's price, × the count, via the price table). Action: put that provider
 *   at the head of the agent's chain. Not made when that provider already leads the chain (reordering cannot help).
 *   Free (local) providers are not proposed: their quality differs, and `localFirst` is the setting for that.
 * - failing-head: a provider whose first attempts (seq 0) for an agent fail often. Time lost: the summed latency of
 *   those failed first attempts (time spent before the fallback started). Action: swap it with the next provider in
 *   the agent's chain.
 * - slow-model: a model whose p50 time to first token, among successful attempts of requests of one tier, is more
 *   than `slowFactor` × the median of its peers' p50s in that tier (peers: other models of the tier with enough
 *   samples; median of an even count is the mean of the middle two). Time saved: (p50 − peer median) × its
 *   samples. Action: demote its provider below the fastest peer's provider in every chain where it stands ahead.
 *
 * - rejected-head: the answers of an agent's first provider are rejected (diff rejected, undone, or retried on a
 *   stronger model) at least `headRejectionRate` of the time over at least `minJudged` judged answers (feedback.ts),
 *   and another provider of the chain does better (the best accepted with `minJudged` answers, else the next one).
 *   Saving: what the rejected answers cost. Action: put that provider first.
 * - accepted-cheaper: a provider behind the head whose answers for the agent are accepted at least
 *   `acceptedRate` of the time over at least `minJudged`, and cost less per answer than the head's. Saving: the
 *   difference per answer × the head's judged answers. Action: put it first. (A head accepted that often is left
 *   alone: nothing to apply.)
 *
 * Where the numbers come from ({@link RecommendationSource}): on a ledger at schema 4 or later, from the rollups
 * of migration 4 for the whole UTC days and hours of the window (`answered_daily` / `answered_hourly`,
 * `first_attempt_hourly`, and `ttft_hourly`, which keeps every TTFT value so medians stay exact), and from the raw
 * rows only for the ragged minutes at its ends; otherwise from every row of the window. Both give the same
 * recommendations with the same figures (test/unit/ledgerRecommendations.test.ts compares them); ties are broken by
 * name, so the order does not depend on the order rows were read in.
 */
import type { Database, SqlValue } from 'sql.js';

import type { AgentConfig, Config } from '../config/types';
import type { PriceTable } from '../pricing/cost';
import { costNanoUsd, createPriceTable, providerPriceOptions } from '../pricing/cost';
import { formatMs, formatUsd } from '../util/format';
import { feedbackSummaries } from './feedback';
import { NANO_PER_USD } from './queries';
import type { ReadOptions, SumsOf, TimeRange } from './rollups';
import { ANSWERED, FIRST_ATTEMPTS, median, percentileOfSorted, rollupPieces, sumRange, TTFTS } from './rollups';
import { schemaVersion } from './schema';
import { sqlNumber, StatementCache } from './sqlite';

export interface RecommendationThresholds {
  /** cheaper-tier: scored (complexity known), answered requests of the agent in the window. */
  readonly minAgentRequests: number;
  /** cheaper-tier: share of those at or below the light threshold. */
  readonly lowComplexityShare: number;
  /** cheaper-tier: low-complexity requests answered above the light tier. */
  readonly minOverservedRequests: number;
  /** failing-head: first attempts of (agent, provider). */
  readonly minFirstAttempts: number;
  /** failing-head: share of them that failed. */
  readonly headFailureRate: number;
  /** slow-model: successful attempts with a TTFT, per model and tier (the model and each peer). */
  readonly minTtftSamples: number;
  /** slow-model: p50 above this × the peers' median. */
  readonly slowFactor: number;
  /** rejected-head, accepted-cheaper: answers the user judged (accepted, rejected, retried stronger) per provider. */
  readonly minJudged: number;
  /** rejected-head: share of the head's judged answers rejected or undone. */
  readonly headRejectionRate: number;
  /** accepted-cheaper: share of a cheaper provider's judged answers accepted (and not undone). */
  readonly acceptedRate: number;
}

export const DEFAULT_RECOMMENDATION_THRESHOLDS: RecommendationThresholds = Object.freeze({
  minAgentRequests: 20,
  lowComplexityShare: 0.6,
  minOverservedRequests: 10,
  minFirstAttempts: 20,
  headFailureRate: 0.2,
  minTtftSamples: 20,
  slowFactor: 2,
  minJudged: 10,
  headRejectionRate: 0.5,
  acceptedRate: 0.9,
});

export type RecommendationAction =
  /** Set the agent's chain to this order. */
  | { readonly type: 'reassign'; readonly agent: string; readonly chain: readonly string[] }
  /** In every chain where `provider` comes before `below`, move it to right after `below`. */
  | { readonly type: 'demote'; readonly provider: string; readonly below: string };

interface Base {
  readonly title: string;
  readonly detail: string;
  /** Estimated USD saved over a window like this one (0 for time recommendations). */
  readonly savingsUsd: number;
  /** Estimated milliseconds saved over a window like this one (0 for money recommendations). */
  readonly savedMs: number;
  readonly action: RecommendationAction;
}

export type Recommendation =
  | (Base & {
      readonly kind: 'cheaper-tier';
      readonly agent: string;
      readonly requests: number;
      readonly lowComplexity: number;
      readonly overserved: number;
      readonly actualUsd: number;
      readonly estimatedUsd: number;
      readonly target: { readonly provider: string; readonly model: string };
    })
  | (Base & {
      readonly kind: 'failing-head';
      readonly agent: string;
      readonly provider: string;
      readonly firstAttempts: number;
      readonly failures: number;
      readonly failureRate: number;
    })
  | (Base & {
      readonly kind: 'slow-model';
      readonly tier: string;
      readonly provider: string;
      readonly model: string;
      readonly samples: number;
      readonly ttftP50Ms: number;
      readonly peerMedianMs: number;
      readonly fastest: { readonly provider: string; readonly model: string; readonly ttftP50Ms: number };
    })
  | (Base & {
      readonly kind: 'rejected-head' | 'accepted-cheaper';
      readonly agent: string;
      /** The provider the advice is about (the rejected head, or the well-accepted cheaper one). */
      readonly provider: string;
      readonly judged: number;
      /** Share of the provider's judged answers kept, 0..1. */
      readonly acceptanceRate: number;
      /** The provider to put first. */
      readonly first: string;
    });

/**
 * 'rollups': the rollup tables for whole hours and days, raw rows at the edges (needs schema 4; the default when the
 * ledger has it). 'rows': every row of the window (the definition the rollups must match; slow on a large ledger).
 */
export type RecommendationSource = 'rollups' | 'rows';

export interface RecommendationOptions {
  readonly thresholds?: Partial<RecommendationThresholds>;
  /** Defaults to a table from the config's price overrides and free providers. */
  readonly prices?: PriceTable;
  /** Defaults to 'rollups' on a ledger at schema 4 or later, else 'rows'. */
  readonly source?: RecommendationSource;
}

/** The source to read: rollups only when asked for (or by default) and the ledger has them. */
function sourceOf(db: Database, source: RecommendationSource | undefined): RecommendationSource {
  return source !== 'rows' && schemaVersion(db) >= 4 ? 'rollups' : 'rows';
}

/** SQLite's BINARY order of TEXT (UTF-8 bytes, i.e. code points), so ties sort the same whichever path read them. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i += 1;
  }
  return a.length - b.length;
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const order = compareText(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return 0;
}

const num = sqlNumber;

/** All recommendations for the window: money first (largest saving first), then time (largest first). */
export function recommendations(
  db: Database,
  config: Config,
  range: TimeRange,
  options: RecommendationOptions = {},
): Recommendation[] {
  const thresholds = { ...DEFAULT_RECOMMENDATION_THRESHOLDS, ...options.thresholds };
  const prices =
    options.prices ??
    createPriceTable(config.pricing, providerPriceOptions(Object.values(config.providers)));
  const source = sourceOf(db, options.source);
  const money: Recommendation[] = cheaperTierRecommendations(db, config, range, thresholds, prices, source);
  money.push(...feedbackRecommendations(db, config, range, thresholds));
  money.sort((a, b) => b.savingsUsd - a.savingsUsd);
  const time = [
    ...failingHeadRecommendations(db, config, range, thresholds, source),
    ...slowModelRecommendations(db, range, thresholds, source),
  ].sort((a, b) => b.savedMs - a.savedMs);
  return [...money, ...time];
}

const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`;

function agentConfig(config: Config, agent: string): AgentConfig | undefined {
  return (config.agents as Readonly<Record<string, AgentConfig>>)[agent];
}

interface UsageGroup {
  readonly provider: string;
  readonly model: string;
  readonly count: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly costNano: number;
}

/** Answered, scored requests with a model of one agent, provider, model and side of the light threshold. */
interface AnsweredRow {
  readonly agent: string;
  readonly provider: string;
  readonly model: string;
  readonly low: boolean;
  readonly sums: SumsOf<typeof ANSWERED>;
}

/** How a source reads the ledger: through the rollups, or every row (`rawOnly`). */
function readOptions(db: Database, source: RecommendationSource): ReadOptions {
  return { version: schemaVersion(db), rawOnly: source === 'rows' };
}

/**
 * The window's answered rows (a cached answer is none: see rollups.ts {@link ANSWERED}), ordered by agent, provider,
 * model, low (false first).
 */
function answeredRows(db: Database, range: TimeRange, lightMax: number, source: RecommendationSource): AnsweredRow[] {
  const statements = new StatementCache(db);
  try {
    const byComplexity = sumRange(statements, ANSWERED, range, { ...readOptions(db, source), by: ['agent', 'provider', 'model', 'complexity'] });
    const rows = new Map<string, AnsweredRow>();
    for (const { keys: { agent, provider, model, complexity }, sums } of byComplexity.values()) {
      const low = Number(complexity) <= lightMax;
      const id = [agent, provider, model, low ? '1' : '0'].join('\u0000');
      const row = rows.get(id);
      if (!row) rows.set(id, { agent, provider, model, low, sums: { ...sums } });
      else for (const name of Object.keys(sums) as (keyof typeof sums)[]) row.sums[name] += sums[name];
    }
    return [...rows.values()].sort((a, b) => compareKeys([a.agent, a.provider, a.model, a.low ? '1' : '0'], [b.agent, b.provider, b.model, b.low ? '1' : '0']));
  } finally {
    statements.free();
  }
}

export function cheaperTierRecommendations(
  db: Database,
  config: Config,
  range: TimeRange,
  thresholds: RecommendationThresholds,
  prices: PriceTable,
  source?: RecommendationSource,
): Extract<Recommendation, { kind: 'cheaper-tier' }>[] {
  const perAgent = new Map<string, { total: number; low: number; groups: UsageGroup[] }>();
  for (const row of answeredRows(db, range, config.routing.tiers.lightMax, sourceOf(db, source))) {
    let entry = perAgent.get(row.agent);
    if (!entry) {
      entry = { total: 0, low: 0, groups: [] };
      perAgent.set(row.agent, entry);
    }
    const { requests: count, input_tokens: inputTokens, output_tokens: outputTokens, cost_nano: costNano } = row.sums;
    entry.total += count;
    if (!row.low) continue;
    entry.low += count;
    if (config.providers[row.provider]?.models.light === row.model) continue;
    entry.groups.push({
      provider: row.provider, model: row.model, count, inputTokens, outputTokens,
      cacheReadTokens: row.sums.cache_read_tokens, cacheWriteTokens: row.sums.cache_write_tokens, costNano,
    });
  }
  const result: Extract<Recommendation, { kind: 'cheaper-tier' }>[] = [];
  for (const [agent, { total, low, groups }] of perAgent) {
    const overserved = groups.reduce((sum, g) => sum + g.count, 0);
    const agentCfg = agentConfig(config, agent);
    if (!agentCfg || total < thresholds.minAgentRequests || low / total < thresholds.lowComplexityShare) continue;
    if (overserved < thresholds.minOverservedRequests) continue;
    const actualNano = groups.reduce((sum, g) => sum + g.costNano, 0);
    let best: { provider: string; model: string; nano: number } | undefined;
    for (const providerId of agentCfg.chain) {
      const provider = config.providers[providerId];
      const model = provider?.models.light;
      if (!provider || !provider.enabled || provider.free || prices.isFree(providerId) || model === undefined) continue;
      const price = prices.priceOf(providerId, model);
      if (!price) continue;
      // Average tokens per request, so a long-context price applies as it would per request.
      const nano = groups.reduce(
        (sum, g) =>
          sum +
          g.count *
            costNanoUsd(price, {
              inputTokens: g.inputTokens / g.count,
              outputTokens: g.outputTokens / g.count,
              cacheReadTokens: g.cacheReadTokens / g.count,
              cacheWriteTokens: g.cacheWriteTokens / g.count,
            }),
        0,
      );
      if (!best || nano < best.nano) best = { provider: providerId, model, nano };
    }
    if (!best || best.nano >= actualNano || agentCfg.chain[0] === best.provider) continue;
    const savingsUsd = (actualNano - best.nano) / NANO_PER_USD;
    const chain = [best.provider, ...agentCfg.chain.filter((p) => p !== best.provider)];
    result.push({
      kind: 'cheaper-tier',
      agent,
      requests: total,
      lowComplexity: low,
      overserved,
      actualUsd: actualNano / NANO_PER_USD,
      estimatedUsd: best.nano / NANO_PER_USD,
      target: { provider: best.provider, model: best.model },
      savingsUsd,
      savedMs: 0,
      title: `${agent}: light work goes to premium models`,
      detail:
        `${percent(low / total)} of ${agent}'s ${total} requests were light (complexity <= ${config.routing.tiers.lightMax}), ` +
        `yet ${overserved} of them were answered above the light tier for ${formatUsd(actualNano / NANO_PER_USD)}. ` +
        `${best.provider}/${best.model} would have cost about ${formatUsd(best.nano / NANO_PER_USD)}: ` +
        `put ${best.provider} first in ${agent}'s chain to save about ${formatUsd(savingsUsd)}.`,
      action: { type: 'reassign', agent, chain },
    });
  }
  return result;
}

/** First attempts (seq 0) of the window per agent and provider, ordered by agent, then provider. */
function firstAttemptRows(
  db: Database,
  range: TimeRange,
  source: RecommendationSource,
): { agent: string; provider: string; firstAttempts: number; failures: number; lostMs: number }[] {
  const statements = new StatementCache(db);
  try {
    const rows = sumRange(statements, FIRST_ATTEMPTS, range, { ...readOptions(db, source), by: ['agent', 'provider'] });
    return [...rows.values()]
      .sort((a, b) => compareKeys([a.keys.agent, a.keys.provider], [b.keys.agent, b.keys.provider]))
      .map(({ keys: { agent, provider }, sums }) => ({
        agent, provider, firstAttempts: sums.attempts, failures: sums.failures, lostMs: sums.failed_latency_ms,
      }));
  } finally {
    statements.free();
  }
}

export function failingHeadRecommendations(
  db: Database,
  config: Config,
  range: TimeRange,
  thresholds: RecommendationThresholds,
  source?: RecommendationSource,
): Extract<Recommendation, { kind: 'failing-head' }>[] {
  const result: Extract<Recommendation, { kind: 'failing-head' }>[] = [];
  for (const { agent, provider, firstAttempts, failures, lostMs } of firstAttemptRows(db, range, sourceOf(db, source))) {
    const failureRate = firstAttempts > 0 ? failures / firstAttempts : 0;
    if (firstAttempts < thresholds.minFirstAttempts || failureRate < thresholds.headFailureRate) continue;
    const chain = agentConfig(config, agent)?.chain;
    const at = chain?.indexOf(provider) ?? -1;
    if (!chain || at < 0 || at === chain.length - 1) continue;
    const reordered = [...chain];
    reordered[at] = chain[at + 1]!;
    reordered[at + 1] = provider;
    result.push({
      kind: 'failing-head',
      agent,
      provider,
      firstAttempts,
      failures,
      failureRate,
      savingsUsd: 0,
      savedMs: lostMs,
      title: `${provider} often fails first for ${agent}`,
      detail:
        `${failures} of ${firstAttempts} first attempts (${percent(failureRate)}) at ${provider} failed for ${agent}, ` +
        `costing ${formatMs(lostMs)} before the fallback. Move ${chain[at + 1]} ahead of ${provider}.`,
      action: { type: 'reassign', agent, chain: reordered },
    });
  }
  return result;
}

/** Feedback per provider of an agent (its models together). */
interface ProviderFeedback {
  judged: number;
  kept: number;
  rejected: number;
  costUsd: number;
}

const TASK_NOUNS: Readonly<Record<string, string>> = {
  explainer: 'explanations', refactorer: 'refactors', tester: 'tests', reviewer: 'reviews', documenter: 'documentation',
  fixer: 'fixes', implementer: 'implementations', architect: 'answers',
};

/** rejected-head and accepted-cheaper, from what users did with the answers (see feedback.ts). */
export function feedbackRecommendations(
  db: Database,
  config: Config,
  range: TimeRange,
  thresholds: RecommendationThresholds,
): Extract<Recommendation, { kind: 'rejected-head' | 'accepted-cheaper' }>[] {
  const byAgent = new Map<string, Map<string, ProviderFeedback>>();
  for (const row of feedbackSummaries(db, range)) {
    let providers = byAgent.get(row.agent);
    if (!providers) byAgent.set(row.agent, (providers = new Map<string, ProviderFeedback>()));
    const entry = providers.get(row.provider) ?? { judged: 0, kept: 0, rejected: 0, costUsd: 0 };
    const kept = Math.max(0, row.accepted - row.undone);
    entry.judged += row.judged;
    entry.kept += kept;
    entry.rejected += row.judged - kept;
    entry.costUsd += row.judgedCostUsd;
    providers.set(row.provider, entry);
  }
  const result: Extract<Recommendation, { kind: 'rejected-head' | 'accepted-cheaper' }>[] = [];
  for (const [agent, providers] of [...byAgent].sort((a, b) => compareText(a[0], b[0]))) {
    const chain = agentConfig(config, agent)?.chain;
    const head = chain?.[0];
    if (!chain || head === undefined || chain.length < 2) continue;
    const noun = TASK_NOUNS[agent] ?? 'answers';
    const rate = (f: ProviderFeedback): number => (f.judged > 0 ? f.kept / f.judged : 0);
    const perAnswer = (f: ProviderFeedback): number => (f.judged > 0 ? f.costUsd / f.judged : 0);
    const moveFirst = (provider: string): string[] => [provider, ...chain.filter((p) => p !== provider)];
    const others = chain.slice(1).flatMap((p) => {
      const f = providers.get(p);
      return f && f.judged >= thresholds.minJudged ? [{ provider: p, f }] : [];
    });
    const headFeedback = providers.get(head);
    if (headFeedback && headFeedback.judged >= thresholds.minJudged && 1 - rate(headFeedback) >= thresholds.headRejectionRate) {
      const better = others.filter((o) => rate(o.f) > rate(headFeedback)).sort((a, b) => rate(b.f) - rate(a.f) || compareText(a.provider, b.provider))[0];
      const first = better?.provider ?? chain[1]!;
      const wasted = headFeedback.judged > 0 ? headFeedback.costUsd * (headFeedback.rejected / headFeedback.judged) : 0;
      result.push({
        kind: 'rejected-head', agent, provider: head, judged: headFeedback.judged, acceptanceRate: rate(headFeedback), first,
        savingsUsd: wasted,
        savedMs: 0,
        title: `${noun} from ${head} are rejected ${percent(1 - rate(headFeedback))} of the time: move ${first} first`,
        detail:
          `${headFeedback.rejected} of ${headFeedback.judged} ${agent} answers from ${head} were rejected, undone or retried on a stronger model ` +
          `(${formatUsd(wasted)} spent on them).${better ? ` ${first}'s are kept ${percent(rate(better.f))} of the time.` : ''} Put ${first} first.`,
        action: { type: 'reassign', agent, chain: moveFirst(first) },
      });
      continue;
    }
    const headCost = headFeedback ? perAnswer(headFeedback) : undefined;
    for (const { provider, f } of others) {
      if (rate(f) < thresholds.acceptedRate || headCost === undefined || perAnswer(f) >= headCost) continue;
      const saving = (headCost - perAnswer(f)) * headFeedback!.judged;
      result.push({
        kind: 'accepted-cheaper', agent, provider, judged: f.judged, acceptanceRate: rate(f), first: provider,
        savingsUsd: saving,
        savedMs: 0,
        title: `${provider}'s ${noun} are accepted ${percent(rate(f))} of the time and cost less: move it first`,
        detail:
          `${f.kept} of ${f.judged} ${agent} answers from ${provider} were kept, at ${formatUsd(perAnswer(f))} each against ${formatUsd(headCost)} ` +
          `from ${head}. Putting ${provider} first would have saved about ${formatUsd(saving)}.`,
        action: { type: 'reassign', agent, chain: moveFirst(provider) },
      });
      break;
    }
  }
  return result;
}

/** Parses comma-separated numbers as `ttft_hourly` stores them (SQLite's or JavaScript's shortest round-trip text). */
function parseNumbers(text: string): number[] {
  try {
    return JSON.parse(`[${text}]`) as number[];
  } catch {
    // Not JSON: "Inf" from SQLite (no record holds one: the journal is JSON).
    return text.split(',').map((value) => (/^-?inf/i.test(value) ? (value.startsWith('-') ? -Infinity : Infinity) : Number(value)));
  }
}

/**
 * TTFTs of the window's successful attempts per request tier, provider and model, ordered by those; values of
 * groups under `minSamples` are left out (only their count is known), the others ascending.
 */
function ttftGroups(
  db: Database,
  range: TimeRange,
  minSamples: number,
  source: RecommendationSource,
): { tier: string; provider: string; model: string; n: number; sorted: Float64Array }[] {
  const statements = new StatementCache(db);
  try {
    const groups = new Map<string, { keys: string[]; n: number; values: number[]; texts: string[] }>();
    const group = (tier: SqlValue, provider: SqlValue, model: SqlValue): { n: number; values: number[]; texts: string[] } => {
      const keys = [String(tier), String(provider), String(model)];
      const id = keys.join('\u0000');
      let entry = groups.get(id);
      if (!entry) groups.set(id, (entry = { keys, n: 0, values: [], texts: [] }));
      return entry;
    };
    // Values, not sums: the raw rows' TTFTs one by one, the rollup's lists whole.
    const { raw } = TTFTS;
    const read = readOptions(db, source);
    for (const { table, lo, hi } of rollupPieces(TTFTS, range, read)) {
      if (!table) {
        statements.each(
          `SELECT ${raw.keys.tier}, ${raw.keys.provider}, ${raw.keys.model}, a.ttft_ms FROM ${raw.from}
           WHERE ${raw.time} >= ? AND ${raw.time} < ? AND ${raw.where(read.version)}`,
          [lo, hi],
          (row) => {
            const entry = group(row[0]!, row[1]!, row[2]!);
            entry.n += 1;
            entry.values.push(num(row[3]));
          },
        );
        continue;
      }
      statements.each(
        `SELECT tier, provider, model, samples, ${table.list!.column} FROM ${table.name} WHERE ${table.unit} >= ? AND ${table.unit} < ?`,
        [lo, hi],
        (row) => {
          const entry = group(row[0]!, row[1]!, row[2]!);
          entry.n += num(row[3]);
          entry.texts.push(String(row[4]));
        },
      );
    }
    return [...groups.values()]
      .sort((a, b) => compareKeys(a.keys, b.keys))
      .map(({ keys: [tier, provider, model], n, values, texts }) => {
        if (n < minSamples) return { tier: tier!, provider: provider!, model: model!, n, sorted: new Float64Array(0) };
        const sorted = new Float64Array(n);
        sorted.set(values);
        let at = values.length;
        if (texts.length > 0) {
          for (const value of parseNumbers(texts.join(','))) sorted[at++] = value;
        }
        if (at !== n) throw new Error(`ttft_hourly of ${tier}/${provider}/${model} holds ${at} values for ${n} samples`);
        return { tier: tier!, provider: provider!, model: model!, n, sorted: sorted.sort() };
      });
  } finally {
    statements.free();
  }
}

export function slowModelRecommendations(
  db: Database,
  range: TimeRange,
  thresholds: RecommendationThresholds,
  source?: RecommendationSource,
): Extract<Recommendation, { kind: 'slow-model' }>[] {
  const byTier = new Map<string, { provider: string; model: string; n: number; p50: number }[]>();
  for (const entry of ttftGroups(db, range, thresholds.minTtftSamples, sourceOf(db, source))) {
    if (entry.n < thresholds.minTtftSamples) continue;
    const list = byTier.get(entry.tier) ?? [];
    list.push({ provider: entry.provider, model: entry.model, n: entry.n, p50: percentileOfSorted(entry.sorted, 50) });
    byTier.set(entry.tier, list);
  }
  const result: Extract<Recommendation, { kind: 'slow-model' }>[] = [];
  for (const [tier, models] of byTier) {
    for (const model of models) {
      const peers = models.filter((m) => m !== model);
      if (peers.length === 0) continue;
      const peerMedianMs = median(peers.map((p) => p.p50));
      if (!(model.p50 > thresholds.slowFactor * peerMedianMs)) continue;
      const fastest = peers.reduce((a, b) => (b.p50 < a.p50 ? b : a));
      if (fastest.provider === model.provider) continue;
      const savedMs = (model.p50 - peerMedianMs) * model.n;
      result.push({
        kind: 'slow-model',
        tier,
        provider: model.provider,
        model: model.model,
        samples: model.n,
        ttftP50Ms: model.p50,
        peerMedianMs,
        fastest: { provider: fastest.provider, model: fastest.model, ttftP50Ms: fastest.p50 },
        savingsUsd: 0,
        savedMs,
        title: `${model.provider}/${model.model} is slow for ${tier} work`,
        detail:
          `Its median time to first token is ${Math.round(model.p50)} ms over ${model.n} ${tier} requests, against ` +
          `${Math.round(peerMedianMs)} ms for its peers; ${fastest.provider}/${fastest.model} takes ${Math.round(fastest.p50)} ms. ` +
          `Preferring ${fastest.provider} would save about ${formatMs(savedMs)} of waiting.`,
        action: { type: 'demote', provider: model.provider, below: fastest.provider },
      });
    }
  }
  return result;
}

/** The chains after applying `action` (only the agents it changes), for a UI to write back. */
export function applyRecommendationAction(
  agents: Readonly<Record<string, { readonly chain: readonly string[] }>>,
  action: RecommendationAction,
): Record<string, readonly string[]> {
  if (action.type === 'reassign') return agents[action.agent] ? { [action.agent]: [...action.chain] } : {};
  const changed: Record<string, readonly string[]> = {};
  for (const [agent, { chain }] of Object.entries(agents)) {
    const from = chain.indexOf(action.provider);
    const to = chain.indexOf(action.below);
    if (from < 0 || to < 0 || from > to) continue;
    const rest = chain.filter((p) => p !== action.provider);
    rest.splice(rest.indexOf(action.below) + 1, 0, action.provider);
    changed[agent] = rest;
  }
  return changed;
}

