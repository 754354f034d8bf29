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
 */
import type { Database } from 'sql.js';
import type { AgentConfig, Config } from '../config/types';
import { costNanoUsd, createPriceTable } from '../pricing/cost';
import type { PriceTable } from '../pricing/cost';
import { NANO_PER_USD, forEachRow, percentileOfSorted } from './queries';
import type { TimeRange } from './queries';

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
}

export const DEFAULT_RECOMMENDATION_THRESHOLDS: RecommendationThresholds = Object.freeze({
  minAgentRequests: 20,
  lowComplexityShare: 0.6,
  minOverservedRequests: 10,
  minFirstAttempts: 20,
  headFailureRate: 0.2,
  minTtftSamples: 20,
  slowFactor: 2,
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
    });

export interface RecommendationOptions {
  readonly thresholds?: Partial<RecommendationThresholds>;
  /** Defaults to a table from the config's price overrides and free providers. */
  readonly prices?: PriceTable;
}

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
    createPriceTable(config.pricing, {
      freeProviders: Object.values(config.providers).filter((p) => p.free).map((p) => p.id),
    });
  const money = cheaperTierRecommendations(db, config, range, thresholds, prices).sort((a, b) => b.savingsUsd - a.savingsUsd);
  const time = [
    ...failingHeadRecommendations(db, config, range, thresholds),
    ...slowModelRecommendations(db, range, thresholds),
  ].sort((a, b) => b.savedMs - a.savedMs);
  return [...money, ...time];
}

const usd = (value: number): string => `$${value.toFixed(2)}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
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

export function cheaperTierRecommendations(
  db: Database,
  config: Config,
  range: TimeRange,
  thresholds: RecommendationThresholds,
  prices: PriceTable,
): Extract<Recommendation, { kind: 'cheaper-tier' }>[] {
  const perAgent = new Map<string, { total: number; low: number; groups: UsageGroup[] }>();
  forEachRow(
    db,
    `SELECT agent, provider, model, complexity <= ? AS low, COUNT(*), TOTAL(input_tokens), TOTAL(output_tokens),
       TOTAL(cache_read_tokens), TOTAL(cache_write_tokens), TOTAL(cost_nano)
     FROM requests
     WHERE started_at BETWEEN ? AND ? AND outcome = 'answered' AND complexity IS NOT NULL AND model IS NOT NULL
     GROUP BY agent, provider, model, low`,
    [config.routing.tiers.lightMax, range.from, range.to - 1],
    (row) => {
      const agent = String(row[0]);
      let entry = perAgent.get(agent);
      if (!entry) {
        entry = { total: 0, low: 0, groups: [] };
        perAgent.set(agent, entry);
      }
      const count = Number(row[4]);
      entry.total += count;
      if (Number(row[3]) !== 1) return;
      entry.low += count;
      const provider = String(row[1]);
      const model = String(row[2]);
      if (config.providers[provider]?.models.light === model) return;
      entry.groups.push({
        provider, model, count, inputTokens: Number(row[5]), outputTokens: Number(row[6]),
        cacheReadTokens: Number(row[7]), cacheWriteTokens: Number(row[8]), costNano: Number(row[9]),
      });
    },
  );
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
        `yet ${overserved} of them were answered above the light tier for ${usd(actualNano / NANO_PER_USD)}. ` +
        `${best.provider}/${best.model} would have cost about ${usd(best.nano / NANO_PER_USD)}: ` +
        `put ${best.provider} first in ${agent}'s chain to save about ${usd(savingsUsd)}.`,
      action: { type: 'reassign', agent, chain },
    });
  }
  return result;
}

export function failingHeadRecommendations(
  db: Database,
  config: Config,
  range: TimeRange,
  thresholds: RecommendationThresholds,
): Extract<Recommendation, { kind: 'failing-head' }>[] {
  const result: Extract<Recommendation, { kind: 'failing-head' }>[] = [];
  forEachRow(
    db,
    `SELECT r.agent, a.provider, COUNT(*), TOTAL(a.status = 'error'),
       TOTAL(CASE WHEN a.status = 'error' THEN a.latency_ms ELSE 0 END)
     FROM attempts a JOIN requests r ON r.id = a.request_id
     WHERE a.seq = 0 AND a.started_at BETWEEN ? AND ?
     GROUP BY r.agent, a.provider`,
    [range.from, range.to - 1],
    (row) => {
      const agent = String(row[0]);
      const provider = String(row[1]);
      const firstAttempts = Number(row[2]);
      const failures = Number(row[3]);
      const lostMs = Number(row[4]);
      const failureRate = firstAttempts > 0 ? failures / firstAttempts : 0;
      if (firstAttempts < thresholds.minFirstAttempts || failureRate < thresholds.headFailureRate) return;
      const chain = agentConfig(config, agent)?.chain;
      const at = chain?.indexOf(provider) ?? -1;
      if (!chain || at < 0 || at === chain.length - 1) return;
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
          `costing ${seconds(lostMs)} before the fallback. Move ${chain[at + 1]} ahead of ${provider}.`,
        action: { type: 'reassign', agent, chain: reordered },
      });
    },
  );
  return result;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function slowModelRecommendations(
  db: Database,
  range: TimeRange,
  thresholds: RecommendationThresholds,
): Extract<Recommendation, { kind: 'slow-model' }>[] {
  const samples = new Map<string, { tier: string; provider: string; model: string; values: number[] }>();
  forEachRow(
    db,
    `SELECT r.tier, a.provider, a.model, a.ttft_ms
     FROM attempts a JOIN requests r ON r.id = a.request_id
     WHERE a.started_at BETWEEN ? AND ? AND a.status = 'ok' AND a.ttft_ms IS NOT NULL`,
    [range.from, range.to - 1],
    (row) => {
      const key = `${String(row[0])}\u0000${String(row[1])}\u0000${String(row[2])}`;
      let entry = samples.get(key);
      if (!entry) {
        entry = { tier: String(row[0]), provider: String(row[1]), model: String(row[2]), values: [] };
        samples.set(key, entry);
      }
      entry.values.push(Number(row[3]));
    },
  );
  const byTier = new Map<string, { provider: string; model: string; n: number; p50: number }[]>();
  for (const entry of samples.values()) {
    if (entry.values.length < thresholds.minTtftSamples) continue;
    const sorted = entry.values.sort((a, b) => a - b);
    const list = byTier.get(entry.tier) ?? [];
    list.push({ provider: entry.provider, model: entry.model, n: sorted.length, p50: percentileOfSorted(sorted, 50) });
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
          `Preferring ${fastest.provider} would save about ${seconds(savedMs)} of waiting.`,
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

