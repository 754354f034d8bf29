import { createHash, randomUUID } from 'node:crypto';

import type { AnswerCacheStore } from '../cache/answerCache';
import { answerCacheKey } from '../cache/answerCache';
import type { AgentId, Config, KeyConfig, ProviderConfig, TaskType, Tier } from '../config/types';
import { TIERS } from '../config/types';
import type { PriceTable } from '../pricing/cost';
import { costOf, createPriceTable, estimateCost, providerPriceOptions } from '../pricing/cost';
import type { ConnectionStatus } from '../providers/connection';
import { testProviderConnection } from '../providers/connection';
import { describeRetryAfter, ProviderError } from '../providers/errors';
import { createProvider, DEFAULT_MAX_OUTPUT_TOKENS } from '../providers/registry';
import type { ChatMessage, ChatProvider, ProviderSettings, Usage } from '../providers/types';
import { ZERO_USAGE } from '../providers/types';
import { errorMessage } from '../util/errorMessage';
import { formatMs } from '../util/format';
import type { VerifyRequest } from '../verify/types';
import type { Verifier } from '../verify/verifier';
import type { CheckPlan } from '../verify/verify';
import { CHECKED_TASKS } from '../verify/verify';
import type { AlertMemory, SpendSource } from './budget';
import { BudgetGate, InMemorySpend } from './budget';
import { checkAnswer, collectText, describePlanned, describeVerdictRecord, feedbackFor, holdText, lastAnswered } from './cascade';
import type { BreakerPermit } from './circuitBreaker';
import { BreakerRegistry, counts } from './circuitBreaker';
import type { Clock } from './clock';
import { systemClock } from './clock';
import { estimateComplexity } from './complexity';
import type { AttemptRecord, CandidateRecord, CascadeRecord, Decision, FailureKind, RouteEvent, SkipCode, VerdictRecord } from './decision';
import type { EndpointBackoff, ProbeOutcome } from './endpointHealth';
import { EndpointHealth, isLoopbackUrl } from './endpointHealth';
import type { KeyUnusable } from './keyPool';
import { KeyPool } from './keyPool';
import { LatencyTracker } from './latency';
import type { ProviderPerformance } from './performance';
import { effectiveWeight, PerformanceTracker } from './performance';
import type { Prompt } from './prompts';
import { buildPrompt } from './prompts';
import { nextDelay } from './retryPolicy';
import type { SharedLimitStore } from './sharedLimits';
import { orderCandidates } from './strategies';
import { nearestTier, tierDown, tierFor, tierRank, tierUp } from './tiers';
import { estimateTokens, TokenCounter } from './tokenEstimate';
import { boundUsage } from './usageBounds';

/** Where the router gets key values: SecretStorage in the extension, environment variables in the CLI. */
export interface KeySource {
  get(providerId: string, keyId: string): Promise<string | undefined> | string | undefined;
  /** Tells a person where to set a missing key (ends "No API key for ..." messages). */
  hint?(providerId: string): string;
}

export interface RouteRequest {
  readonly task: TaskType;
  /** Default: the agent bound to the task. */
  readonly agent?: AgentId;
  /** The selection (may be empty for a free question). */
  readonly text: string;
  readonly language?: string;
  readonly instruction?: string;
  /** Where the text comes from, e.g. `src/a.ts:10-42`. */
  readonly source?: string;
  /** The command that asked, for the ledger (e.g. `modelRouter.explain`). */
  readonly command?: string;
  /** Skip complexity and use this model; health, limits and budgets still apply. */
  readonly forced?: { readonly provider: string; readonly model: string };
  /** "Retry with a stronger model": one tier above what complexity says. */
  readonly escalate?: boolean;
  /** Candidates (`provider/model`) not to try, e.g. after an interrupted stream. */
  readonly exclude?: readonly string[];
  /** The file's base name (`shapes.py`): generated tests import the code under it. */
  readonly fileName?: string;
  /** Earlier turns of a conversation (the Chat view, `vscode.lm` callers), oldest first; see {@link buildPrompt}. */
  readonly history?: readonly ChatMessage[];
  /** Answer afresh even when the answer cache holds this request (the new answer replaces the cached one). */
  readonly noCache?: boolean;
  readonly signal?: AbortSignal;
}

/** The answer cache as the router uses it: where entries live and how an answer is cleaned before it is kept. */
export interface RouterAnswerCache {
  readonly store: AnswerCacheStore;
  /** Removes key values and passwords from an answer before it is written to disk. */
  readonly scrub?: (text: string) => string;
  /** A cache that cannot be read or written never fails a request: the error is reported here. */
  readonly onError?: (error: unknown) => void;
}

/** Verify-then-escalate: the checks and whether they may run. Without it every request is routed by complexity. */
export interface CascadeVerification {
  /** Finds the checks a request carries and gives the verdict on an answer (src/core/verify). */
  readonly verifier: {
    plan(request: Parameters<Verifier['plan']>[0]): CheckPlan | Promise<CheckPlan>;
    verify: Verifier['verify'];
  };
  /**
   * Whether checks may run for this request: a trusted workspace and the user's consent (the extension may ask
   * now), or `verify.run` / `--verify` in the CLI. Asked only when the request carries checks.
   */
  mayRun(plan: CheckPlan, request: RouteRequest): Promise<boolean> | boolean;
}

export interface RouterOptions {
  readonly keys: KeySource;
  readonly spend?: SpendSource;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Builds an adapter; default the provider registry. */
  readonly createProvider?: (settings: ProviderSettings) => ChatProvider;
  readonly onListenerError?: (error: unknown) => void;
  /** Where raised budget alerts are remembered (default: in memory, once per period per process). */
  readonly alertMemory?: AlertMemory;
  /** Verify-then-escalate for edit tasks; absent: routing by complexity only. */
  readonly verification?: CascadeVerification;
  /**
   * Key limits shared with other processes (the ledger folder's `key-limits.json`); absent: limits count this
   * process only.
   */
  readonly sharedLimits?: SharedLimitStore;
  /**
   * Probe a loopback endpoint that refused a connection in the background (its models endpoint, with a bounded
   * backoff) until it answers; only then is it tried again. Off (a CLI run): it is tried again after the backoff.
   */
  readonly probeEndpoints?: boolean;
  /** Backoff of those probes (default 2 s doubling to 60 s). */
  readonly endpointBackoff?: EndpointBackoff;
  /** Exact repeats answered from here (see `config.cache`); absent: no cache. */
  readonly answerCache?: RouterAnswerCache;
}

/** Longest a background probe of a down endpoint may take. */
const PROBE_TIMEOUT_MS = 3_000;

/** Whether something answered at the endpoint in a connection test: ok, or an HTTP error (even 401), not a failure to connect. */
function endpointAnswered(status: ConnectionStatus): boolean {
  if (status.result === 'ok') return true;
  return status.result === 'failed' && status.errorKind !== 'network' && status.errorKind !== 'timeout' && status.errorKind !== 'aborted';
}

/** Longest extra wait after a retry sleep when the key's Retry-After has not quite ended (timer vs wall clock). */
const RETRY_WAKE_SLACK_MS = 250;

/** Key id used for providers that need no key (local servers), so limits and breakers still apply per endpoint. */
const KEYLESS_ID = 'none';

/** How often one attempt may find its key taken by another process between the pick and the send before giving up. */
const MAX_SHARED_REFUSALS = 4;

interface Planned {
  readonly record: CandidateRecord;
  readonly provider: ProviderConfig;
  readonly model: string;
  readonly chainIndex: number;
  /** Set when the candidate was dropped only for a while: how long until it can be tried, and why. */
  waitMs?: number;
  waitFor?: 'limit' | 'circuit';
}

/** Key values read during one route, by provider and key id. */
type SecretCache = Map<string, string | undefined>;

/** One route() call: what every step of planning and attempting reads, instead of positional parameters. */
interface Run {
  readonly request: RouteRequest;
  readonly decision: Decision;
  /** The prompt sent; a cascade's escalation adds what the cheaper answer failed. */
  prompt: Prompt;
  promptTokens: number;
  /** Key values read during this route, by provider and key id. */
  readonly secrets: SecretCache;
  /** A cascade holds text back until it is checked, so a stream that breaks may still fall back. */
  readonly holdText: boolean;
}

/** How one tier's attempts ended: answered, or the error the request ends with. */
type TierEnd =
  | { readonly answered: true }
  | { readonly answered: false; readonly error: { kind: FailureKind; message: string; retryAfterMs?: number } };

/** An answer a cascade checked. */
interface CheckedAnswer {
  readonly text: string;
  readonly verdict: VerdictRecord;
  readonly chosen: NonNullable<Decision['chosen']>;
}

/** Drops a candidate before sending, with its reason in words and as a code. */
function skipCandidate(record: CandidateRecord, code: SkipCode, reason: string, keys?: readonly KeyUnusable[]): void {
  record.status = 'skipped';
  record.skip = code;
  record.reason = reason;
  if (keys !== undefined) record.keys = keys;
}

/** What the checks see of a request (the answer comes later). */
function checkedRequest(request: RouteRequest): Omit<VerifyRequest, 'answer'> {
  return {
    task: request.task,
    language: request.language,
    original: request.text,
    ...(request.instruction ? { instruction: request.instruction } : {}),
    ...(request.fileName ? { fileName: request.fileName } : {}),
  };
}

/**
 * Whether a request is about code, so Gemini's safety filter (which blocks harmless code as a false positive: a
 * `kill` of a process, an exploit test, a parser of hostile input) is off for it unless the provider says otherwise:
 * every task on a selection, and a free question with one.
 */
function isAboutCode(request: RouteRequest): boolean {
  return request.task !== 'ask' || request.text.trim() !== '';
}

function promptTokensOf(prompt: Prompt): number {
  return estimateTokens(prompt.system) + prompt.messages.reduce((n, m) => n + estimateTokens(m.content), 0);
}

interface Plan {
  readonly ordered: readonly Planned[];
  readonly shortestWaitMs?: number;
  /** True when every candidate that frees up by waiting is held back by its keys' rate limits. */
  readonly onlyLimits: boolean;
}

function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

function usageTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}

/** The first `length` characters of `text`, one fewer when the cut would split a surrogate pair (an emoji). */
function cutAt(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/**
 * The router: complexity -> tier -> candidates along the agent's chain -> drop the unavailable ones (disabled, no
 * model, open circuit, no usable key, over a limit, over budget) -> order by strategy -> try in order, retrying
 * retryable errors with backoff on the same candidate and rotating keys on 429, then falling to the next.
 * It is the only retry loop (the adapters never retry). Every request ends with a {@link Decision}.
 */
export class Router {
  private config: Config;
  private prices: PriceTable;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly keySource: KeySource;
  private readonly makeProvider: (settings: ProviderSettings) => ChatProvider;
  readonly breakers: BreakerRegistry;
  readonly latency: LatencyTracker;
  /** Error rate and latency per provider, decayed, for the load-balance weights (see performance.ts). */
  readonly performance = new PerformanceTracker();
  readonly budget: BudgetGate;
  /** Loopback endpoints that refused a connection: skipped while down (see {@link EndpointHealth}). */
  readonly endpoints: EndpointHealth;
  private readonly pools = new Map<string, KeyPool>();
  /** Adapters by provider, key id and secret fingerprint, so SDK clients (and their connections) are reused. */
  private readonly clients = new Map<string, ChatProvider>();
  /** Failed requests in a row per agent and tier, for escalation. */
  private readonly failuresInRow = new Map<string, number>();
  /** Verify-then-escalate (see {@link CascadeVerification}); replaceable when the user's consent changes. */
  verification: CascadeVerification | undefined;
  private readonly sharedLimits: SharedLimitStore | undefined;
  /** The answer cache; replaceable when the workspace's trust changes (trusted and untrusted never share one). */
  answerCache: RouterAnswerCache | undefined;

  constructor(config: Config, options: RouterOptions) {
    this.config = config;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.keySource = options.keys;
    this.makeProvider = options.createProvider ?? createProvider;
    const listenerError = options.onListenerError ? { onListenerError: options.onListenerError } : {};
    this.breakers = new BreakerRegistry(config.routing.circuit, { clock: this.clock, ...listenerError });
    this.latency = new LatencyTracker({ clock: this.clock });
    this.budget = new BudgetGate(config.budget, options.spend ?? new InMemorySpend(), {
      clock: this.clock,
      ...listenerError,
      ...(options.alertMemory ? { alertMemory: options.alertMemory } : {}),
    });
    this.prices = this.priceTable(config);
    this.verification = options.verification;
    this.sharedLimits = options.sharedLimits;
    this.answerCache = options.answerCache;
    this.endpoints = new EndpointHealth({
      clock: this.clock,
      ...listenerError,
      ...(options.endpointBackoff ? { backoff: options.endpointBackoff } : {}),
      ...(options.probeEndpoints ? { probe: (id: string, signal: AbortSignal) => this.probeEndpoint(id, signal) } : {}),
    });
  }

  /**
   * The connection test of one provider (`model-router status`, Test Connection, Test All Providers) with this
   * router's keys and adapters; its outcome also tells the endpoint health (a refused loopback endpoint goes down,
   * any answer brings it back).
   */
  async testConnection(providerId: string, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<ConnectionStatus> {
    const provider = this.config.providers[providerId];
    if (!provider) return { result: 'skipped', message: `unknown provider "${providerId}"` };
    const status = await this.connectionTest(provider, options.timeoutMs, options.signal);
    if (endpointAnswered(status)) this.endpoints.markUp(provider.id);
    else if (status.result === 'failed' && status.refused && isLoopbackUrl(provider.baseUrl)) {
      this.endpoints.markDown(provider.id, status.message ?? 'connection refused');
    }
    return status;
  }

  /** The shared connection test (core/providers/connection.ts) with this router's keys and adapters. */
  private connectionTest(provider: ProviderConfig, timeoutMs: number, signal: AbortSignal | undefined): Promise<ConnectionStatus> {
    return testProviderConnection(provider, {
      keyValue: (keyId) => this.keySource.get(provider.id, keyId),
      keyHint: () => this.keySource.hint?.(provider.id) ?? 'Set its API key.',
      timeoutMs,
      createProvider: this.makeProvider,
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Probes every enabled provider whose endpoint is on this machine once (at start), in parallel, so local-first knows
   * whether the local server runs before the first request. Needs `probeEndpoints`.
   */
  async probeLocalEndpoints(): Promise<void> {
    const local = Object.values(this.config.providers).filter((p) => p.enabled && isLoopbackUrl(p.baseUrl));
    // A provider without the key it needs is not tested (nothing would be sent), so it is not probed either: a
    // skipped test says nothing about whether its endpoint listens, and must not show it down.
    const testable = await Promise.all(local.map((p) => this.hasKeyToTest(p)));
    await Promise.all(local.filter((_, i) => testable[i]).map((p) => this.endpoints.probeNow(p.id)));
  }

  private async hasKeyToTest(provider: ProviderConfig): Promise<boolean> {
    if (!provider.requiresKey) return true;
    for (const key of provider.keys) if (await this.keySource.get(provider.id, key.id)) return true;
    return false;
  }

  /** One background probe: the connection test, bounded to a few seconds. */
  private async probeEndpoint(providerId: string, signal: AbortSignal): Promise<ProbeOutcome> {
    const provider = this.config.providers[providerId];
    if (!provider || !provider.enabled) return { up: false, reason: 'not configured' };
    const status = await this.connectionTest(provider, PROBE_TIMEOUT_MS, signal);
    return endpointAnswered(status) ? { up: true } : { up: false, reason: status.message ?? 'no answer' };
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** Applies a new configuration; health, limits and latency history carry over. */
  setConfig(config: Config): void {
    const previous = this.config;
    this.config = config;
    // An endpoint that moved (the local server's port changed from Ollama's to LM Studio's) is a new endpoint: what
    // was known about the old address is forgotten, and a local one is probed at once.
    for (const provider of Object.values(config.providers)) {
      if (previous.providers[provider.id]?.baseUrl === provider.baseUrl) continue;
      this.endpoints.reset(provider.id);
      if (this.endpoints.probing && provider.enabled && isLoopbackUrl(provider.baseUrl)) void this.endpoints.probeNow(provider.id);
    }
    this.prices = this.priceTable(config);
    this.breakers.setConfig(config.routing.circuit);
    this.budget.setConfig(config.budget);
    for (const [id, pool] of this.pools) {
      const provider = config.providers[id];
      if (provider) {
        pool.setKeys(this.poolKeys(provider));
        pool.setMinInterval(provider.minIntervalMs);
        pool.strictTiers = provider.strictTiers;
      }
    }
    this.clients.clear();
  }

  /** The key pool of a provider (created on first use); the tree view reads its snapshot. */
  pool(providerId: string): KeyPool {
    let pool = this.pools.get(providerId);
    if (!pool) {
      const provider = this.config.providers[providerId];
      pool = new KeyPool(providerId, provider ? this.poolKeys(provider) : [], {
        clock: this.clock,
        ...(provider?.minIntervalMs !== undefined ? { minIntervalMs: provider.minIntervalMs } : {}),
        strictTiers: provider?.strictTiers ?? false,
      });
      this.pools.set(providerId, pool);
    }
    return pool;
  }

  /**
   * The key source changed (a key stored or removed): re-reads the secrets of the providers whose pools exist, so a key
   * that failed authentication and was replaced shows as usable at once, not only at the next request.
   */
  async keysChanged(): Promise<void> {
    for (const id of this.pools.keys()) {
      const provider = this.config.providers[id];
      if (provider) await this.refreshKeys(provider, new Map());
    }
  }

  /**
   * Each enabled provider's configured load-balance weight and the effective one (weight × (1 − 0.5 × error rate) ×
   * 1 / (1 + p50 / 10 s)), with the figures behind it, for the tree, the dashboard and "Rebalance...".
   */
  effectiveWeights(now: number = this.clock.now()): { readonly provider: string; readonly weight: number; readonly effective: number; readonly performance: ProviderPerformance }[] {
    return Object.values(this.config.providers)
      .filter((p) => p.enabled)
      .map((p) => {
        const performance = this.performance.get(p.id, now);
        return { provider: p.id, weight: p.weight, effective: effectiveWeight(p.weight, performance), performance };
      });
  }

  /** Manual "Reset Provider Health": closes the provider's breakers and forgets 429 penalties. */
  resetHealth(providerId?: string): void {
    for (const entry of this.breakers.entries()) {
      if (providerId === undefined || entry.providerId === providerId) entry.breaker.reset();
    }
    for (const [id, pool] of this.pools) {
      if (providerId !== undefined && id !== providerId) continue;
      pool.clearPenalties();
      // Other processes must forget the penalties too, or the next read brings them back.
      void this.shareLimits(id, (p) => p.clearPenalties()).catch(() => undefined);
    }
    this.endpoints.reset(providerId);
    this.failuresInRow.clear();
  }

  dispose(): void {
    this.endpoints.dispose();
    this.breakers.dispose();
    this.budget.dispose();
    for (const pool of this.pools.values()) pool.dispose();
  }

  /** The agent bound to a task. */
  agentFor(task: TaskType): AgentId {
    for (const agent of Object.values(this.config.agents)) if (agent.tasks.includes(task)) return agent.id;
    return 'architect';
  }

  /**
   * Routes one request. Yields a `plan` (before anything is sent), then attempts, text, retries and fallbacks, and
   * always ends with `done` carrying the decision. Never throws for provider failures: they end in the decision.
   *
   * An edit task whose request carries checks (examples, asserts, the original code of a refactor, code to run
   * generated tests against) is routed as a cascade when checks may run: see {@link routeCascade}.
   */
  async *route(request: RouteRequest): AsyncGenerator<RouteEvent, void, undefined> {
    const { run, cascade } = await this.begin(request, true);
    const { decision, prompt } = run;
    if (cascade) {
      yield* this.routeCascade(run, cascade);
      return;
    }
    const planned = await this.plan(run);
    yield { type: 'plan', decision };
    yield* this.routeTier(request, run, planned, prompt);
  }

  /**
   * The plan of a request without sending anything (no cascade: "which models would take this"): complexity, tier,
   * and the candidates in order with their estimates and skip reasons. Compare Models picks its two models from it.
   */
  async preview(request: RouteRequest): Promise<Decision> {
    const { run } = await this.begin(request, false);
    await this.plan(run);
    return run.decision;
  }

  /** A new route's decision and run; the cascade's plan when `cascade` and the request is one. */
  private async begin(request: RouteRequest, cascadeAllowed: boolean): Promise<{ run: Run; cascade: CheckPlan | undefined }> {
    const config = this.config;
    const agentId = request.agent ?? this.agentFor(request.task);
    const prompt = buildPrompt(request);
    const promptTokens = promptTokensOf(prompt);
    const complexity = request.forced
      ? undefined
      : estimateComplexity({
          text: request.text,
          task: request.task,
          ...(request.language ? { language: request.language } : {}),
          ...(request.instruction ? { instruction: request.instruction } : {}),
        });
    const requestedTier = complexity
      ? tierFor(complexity.score, config.routing.tiers)
      : this.tierOfModel(request.forced!.provider, request.forced!.model);
    const cascade = cascadeAllowed ? await this.cascadePlan(request) : undefined;
    let tier = requestedTier;
    let escalated = false;
    if (cascade) {
      if (config.verify.start === 'cheapest') tier = TIERS[0];
    } else if (!request.forced) {
      const limit = config.routing.escalateAfterFailures;
      const failures = this.failuresInRow.get(`${agentId}/${tier}`) ?? 0;
      if (request.escalate || (limit > 0 && failures >= limit)) {
        const up = tierUp(tier);
        if (up) {
          tier = up;
          escalated = true;
        }
      }
    }
    const decision: Decision = {
      id: randomUUID(),
      startedAt: this.clock.now(),
      finishedAt: 0,
      task: request.task,
      agent: agentId,
      ...(request.command ? { command: request.command } : {}),
      complexity: complexity ? { score: complexity.score, reasons: complexity.reasons } : undefined,
      requestedTier,
      tier,
      escalated,
      ...(cascade ? { cascade: this.cascadeRecord(agentId, cascade, tier, promptTokens) } : {}),
      downgraded: false,
      strategy: config.routing.strategy,
      ...(request.forced ? { forced: request.forced } : {}),
      promptTokens,
      estimateUsd: undefined,
      budgetWarnings: [],
      candidates: [],
      attempts: [],
      outcome: 'failed',
      usage: ZERO_USAGE,
      costUsd: 0,
    };
    // Secrets read while planning, reused by the attempts (SecretStorage reads are not free); re-read on a re-plan.
    const run: Run = { request, decision, prompt, promptTokens, secrets: new Map(), holdText: cascade !== undefined };
    return { run, cascade };
  }

  /** One tier's attempts for a request routed by complexity, through the answer cache when it serves the request. */
  private async *routeTier(request: RouteRequest, run: Run, planned: Plan, prompt: Prompt): AsyncGenerator<RouteEvent, void, undefined> {
    const { decision } = run;
    const cache = this.cacheFor(request);
    const first = planned.ordered[0];
    const key = cache && first ? answerCacheKey({ provider: first.provider.id, model: first.model, task: request.task, ...prompt }) : undefined;
    if (cache && first && key !== undefined && !request.noCache) {
      const hit = await this.cacheGet(cache, key);
      if (hit && !request.signal?.aborted) {
        // Answered from the cache: nothing is sent, nothing is spent; the decision says when the answer was given.
        decision.chosen = { provider: hit.provider, model: hit.model };
        decision.cached = { from: hit.createdAt, savedUsd: hit.costUsd };
        yield { type: 'text', text: hit.answer };
        yield this.finish(decision);
        return;
      }
    }
    const collected: string[] | undefined = key !== undefined ? [] : undefined;
    const end = yield* (collected ? collectText(this.attemptTier(run, planned), collected) : this.attemptTier(run, planned));
    if (end.answered && cache && collected && decision.chosen) {
      const answering = lastAnswered(decision);
      // The key of the model that answered (a fallback answers under its own model's key).
      const answeredKey = answerCacheKey({ ...decision.chosen, task: request.task, ...prompt });
      if (answering && collected.length > 0) {
        const text = collected.join('');
        await this.cachePut(cache, answeredKey, {
          provider: decision.chosen.provider,
          model: decision.chosen.model,
          task: request.task,
          createdAt: this.clock.now(),
          answer: cache.scrub ? cache.scrub(text) : text,
          costUsd: answering.costUsd,
          usage: answering.usage ?? ZERO_USAGE,
        });
      }
    }
    yield this.finish(decision, end.answered ? undefined : end.error);
  }

  /** The answer cache when it serves this request: enabled, the task is cached, the request is no cascade. */
  private cacheFor(request: RouteRequest): RouterAnswerCache | undefined {
    const cache = this.answerCache;
    const settings = this.config.cache;
    if (!cache || !settings.enabled || !settings.tasks.includes(request.task)) return undefined;
    return cache;
  }

  private async cacheGet(cache: RouterAnswerCache, key: string): ReturnType<AnswerCacheStore['get']> {
    try {
      return await cache.store.get(key);
    } catch (error) {
      cache.onError?.(error);
      return undefined;
    }
  }

  private async cachePut(cache: RouterAnswerCache, key: string, entry: Parameters<AnswerCacheStore['put']>[1]): Promise<void> {
    try {
      await cache.store.put(key, entry);
    } catch (error) {
      cache.onError?.(error);
    }
  }

  /**
   * The cascade's plan: the checks the request carries, when the configuration wants a cascade, checks may run
   * (trust and consent, asked only now that there is something to run), and the request is not forced or "retry
   * stronger". Undefined: route by complexity.
   */
  private async cascadePlan(request: RouteRequest): Promise<CheckPlan | undefined> {
    const verification = this.verification;
    if (!verification || !this.config.verify.cascade || request.forced || request.escalate) return undefined;
    if (!(CHECKED_TASKS as readonly string[]).includes(request.task)) return undefined;
    const plan = await verification.verifier.plan(checkedRequest(request));
    if (plan.checks.length === 0) return undefined;
    return (await verification.mayRun(plan, request)) ? plan : undefined;
  }

  /**
   * Verify-then-escalate. The first answer comes from the cheapest tier (or the complexity tier); its text is held
   * back while its code is checked. `pass` shows it; `fail` goes one tier up (at most `verify.maxEscalations`),
   * telling the stronger model what failed; `unknown` keeps it unless the complexity asked for a higher tier. When
   * the strongest answer fails too, or an escalation cannot happen (budget, no candidate), the answer that passed
   * the most checks is shown with its failures. Budget, health, limits and keys apply at every step.
   */
  private async *routeCascade(run: Run, plan: CheckPlan): AsyncGenerator<RouteEvent, void, undefined> {
    const { request, decision } = run;
    const verifier = this.verification!.verifier;
    const cascade = decision.cascade!;
    /** The answer to show when no later one is better: the failing one that passed most checks, or an unchecked one. */
    let best: { readonly answer: CheckedAnswer; readonly how: 'unknown' | 'best-failing' } | undefined;
    for (let step = 0; ; step++) {
      const planned = await this.plan(run);
      if (step === 0) yield { type: 'plan', decision };
      const held: string[] = [];
      const end = yield* holdText(this.attemptTier(run, planned), held);
      if (!end.answered) {
        if (best && decision.outcome === 'failed') {
          // The stronger tier could not answer (over budget, nothing available, every candidate failed): the cheaper
          // answer is shown with its failures, and why it was not escalated.
          cascade.blocked = end.error.message;
          yield* this.keep(run, best.answer, best.how);
          return;
        }
        yield this.finish(decision, end.error);
        return;
      }
      const answer = held.join('');
      const chosen = decision.chosen!;
      const attempt = lastAnswered(decision);
      cascade.steps += 1;
      yield { type: 'verify', provider: chosen.provider, model: chosen.model, checks: plan.checks.length, description: describePlanned(plan) };
      const verdict = await checkAnswer(verifier, { ...checkedRequest(request), answer }, request.signal);
      if (attempt) attempt.verification = verdict;
      yield { type: 'verdict', provider: chosen.provider, model: chosen.model, verdict, description: describeVerdictRecord(verdict) };
      if (request.signal?.aborted) {
        decision.outcome = 'aborted';
        yield this.finish(decision, { kind: 'aborted', message: 'The request was cancelled.' });
        return;
      }
      const current = { text: answer, verdict, chosen };
      if (verdict.verdict === 'pass') {
        yield* this.keep(run, current, 'pass');
        return;
      }
      if (verdict.verdict === 'unknown') {
        // Nothing could be checked after all: today's complexity routing decides whether this tier is enough.
        if (tierRank(decision.requestedTier) <= tierRank(decision.tier)) {
          yield* this.keep(run, current, 'unknown');
          return;
        }
        best = { answer: current, how: 'unknown' };
        yield { type: 'escalate', from: decision.tier, to: decision.requestedTier, reason: `not checked (${verdict.reason ?? 'nothing to check'}); the complexity asks for the ${decision.requestedTier} tier` };
        decision.tier = decision.requestedTier;
        continue;
      }
      // An answer nothing could check beats one known to fail; among failing ones, the most checks passed (the
      // stronger model's on a tie).
      if (!best || (best.how === 'best-failing' && verdict.passed >= best.answer.verdict.passed)) best = { answer: current, how: 'best-failing' };
      const up = tierUp(decision.tier);
      if (!up || step >= this.config.verify.maxEscalations) {
        yield* this.keep(run, best.answer, best.how);
        return;
      }
      yield { type: 'escalate', from: decision.tier, to: up, reason: describeVerdictRecord(verdict) };
      decision.tier = up;
      decision.escalatedBy = 'verification';
      if (this.config.verify.tellFailures) {
        run.prompt = buildPrompt({ ...request, feedback: feedbackFor(verdict) });
        run.promptTokens = promptTokensOf(run.prompt);
      }
    }
  }

  /** A new cascade's record, with what the request would cost on the strongest tier (the first chain provider with a model for it). */
  private cascadeRecord(agentId: AgentId, plan: CheckPlan, startTier: Tier, promptTokens: number): CascadeRecord {
    const strongest = TIERS[TIERS.length - 1]!;
    let strongEstimateUsd: number | undefined;
    for (const id of this.config.agents[agentId]?.chain ?? []) {
      const provider = this.config.providers[id];
      const model = provider?.enabled ? this.modelFor(provider, strongest) : undefined;
      if (!model) continue;
      strongEstimateUsd = estimateCost(this.prices.charge(id, model).price, promptTokens, this.config.routing.expectedOutputTokens[strongest]);
      break;
    }
    return { planned: plan.checks.length, startTier, steps: 0, ...(strongEstimateUsd !== undefined ? { strongEstimateUsd } : {}) };
  }

  /** Ends a cascade showing `kept`: its text (held back until now) and the decision naming its model. */
  private *keep(run: Run, kept: CheckedAnswer, how: NonNullable<CascadeRecord['kept']>): Generator<RouteEvent, void, undefined> {
    run.decision.cascade!.kept = how;
    run.decision.chosen = kept.chosen;
    if (kept.text !== '') yield { type: 'text', text: kept.text };
    yield this.finish(run.decision);
  }

  /**
   * Tries the planned candidates of the decision's tier in order (retries, key rotation, fallbacks), waiting once for
   * a rate limit that frees up soon and re-planning after it. Sets the decision's outcome on a stop.
   */
  private async *attemptTier(run: Run, first: Plan): AsyncGenerator<RouteEvent, TierEnd, undefined> {
    const { request, decision } = run;
    const agentId = decision.agent;
    let planned = first;
    let lastError: ProviderError | undefined;
    let waited = false;
    for (;;) {
      // Candidates dropped only because their keys are rate limited tell how long until one frees up.
      let shortestWait = planned.shortestWaitMs;
      let attemptedAny = false;
      for (let index = 0; index < planned.ordered.length; index++) {
        const candidate = planned.ordered[index]!;
        const result = yield* this.tryCandidate(run, candidate);
        if (result.kind === 'answered') {
          this.failuresInRow.delete(`${agentId}/${decision.tier}`);
          return { answered: true };
        }
        if (result.kind === 'stop') {
          if (result.error.kind === 'aborted') {
            decision.outcome = 'aborted';
          } else {
            decision.outcome = 'interrupted';
            decision.interrupted = {
              provider: candidate.provider.id,
              model: candidate.model,
              continueWith: planned.ordered.slice(index + 1).map((c) => `${c.provider.id}/${c.model}`),
            };
            this.countFailure(agentId, decision.tier);
          }
          return { answered: false, error: { kind: result.error.kind, message: result.error.message } };
        }
        if (result.kind === 'unavailable') {
          if (result.waitMs !== undefined) shortestWait = Math.min(shortestWait ?? Infinity, result.waitMs);
        } else {
          attemptedAny = true;
          lastError = result.error;
        }
        const next = planned.ordered[index + 1];
        if (next) {
          yield {
            type: 'fallback',
            provider: next.provider.id,
            model: next.model,
            reason: `${candidate.provider.id}/${candidate.model}: ${candidate.record.reason ?? result.kind}`,
          };
        }
      }
      if (!attemptedAny && shortestWait !== undefined) {
        // Nothing could be sent because every key was limited: wait once if that is short enough, else say when.
        if (!waited && shortestWait <= this.config.routing.maxWaitMs) {
          waited = true;
          const why = planned.onlyLimits ? 'all candidates are rate limited' : 'every candidate is rate limited or cooling down';
          yield { type: 'wait', delayMs: shortestWait, reason: `${why}; ${describeRetryAfter(shortestWait)}` };
          try {
            await this.clock.sleep(shortestWait, request.signal);
          } catch {
            return { answered: false, error: { kind: 'aborted', message: 'The request was cancelled while waiting for a rate limit.' } };
          }
          planned = await this.plan(run);
          continue;
        }
        const wait = formatMs(shortestWait);
        return {
          answered: false,
          error: {
            kind: 'exhausted',
            message: planned.onlyLimits
              ? `All keys exhausted: every candidate is rate limited; retry after ${wait}. ${this.skipSummary(decision)}`
              : `Every candidate is rate limited or cooling down after failures; retry after ${wait}. ${this.skipSummary(decision)}`,
            retryAfterMs: shortestWait,
          },
        };
      }
      if (attemptedAny) this.countFailure(agentId, decision.tier);
      return {
        answered: false,
        error: lastError
          ? {
              kind: lastError.kind,
              message: `Every candidate failed. Last: ${lastError.message}`,
              ...(lastError.retryAfterMs !== undefined ? { retryAfterMs: lastError.retryAfterMs } : {}),
            }
          : this.unavailable(decision),
      };
    }
  }

  // ---- Planning ----------------------------------------------------------------------------------------------

  /** Builds the candidate list (with skip reasons), applies the budget gate (downgrading tiers if configured). */
  private async plan(run: Run): Promise<Plan> {
    const { request, decision, promptTokens, secrets } = run;
    const excluded = new Set(request.exclude ?? []);
    for (;;) {
      const candidates = await this.candidates(request, decision.agent, decision.tier, promptTokens, excluded, secrets);
      const viable = candidates.filter((c) => c.record.status === 'planned');
      let downgradeWanted = false;
      for (const candidate of viable) {
        const estimate = candidate.record.estimateUsd ?? 0;
        const verdict = await this.budget.check(estimate, this.clock.now());
        if (verdict.action === 'allow') continue;
        if (verdict.action === 'warn') {
          if (!decision.budgetWarnings.includes(verdict.message)) decision.budgetWarnings.push(verdict.message);
          continue;
        }
        if (verdict.action === 'downgrade') downgradeWanted = true;
        skipCandidate(candidate.record, 'over-budget', `over budget: ${verdict.message}`);
      }
      const remaining = viable.filter((c) => c.record.status === 'planned');
      const lower = tierDown(decision.tier);
      if (remaining.length === 0 && downgradeWanted && lower && !request.forced) {
        decision.tier = lower;
        decision.downgraded = true;
        continue;
      }
      const ordered = this.order(remaining, request.task, decision.tier);
      decision.estimateUsd = ordered[0]?.record.estimateUsd;
      let shortestWaitMs: number | undefined;
      let onlyLimits = true;
      for (const c of candidates) {
        if (c.waitMs === undefined) continue;
        shortestWaitMs = Math.min(shortestWaitMs ?? Infinity, c.waitMs);
        if (c.waitFor !== 'limit') onlyLimits = false;
      }
      // Keep the decision's candidate list in trying order, skipped ones after.
      decision.candidates = [
        ...ordered.map((c) => c.record),
        ...candidates.filter((c) => c.record.status === 'skipped').map((c) => c.record),
      ];
      return { ordered, onlyLimits, ...(shortestWaitMs !== undefined ? { shortestWaitMs } : {}) };
    }
  }

  private async candidates(
    request: RouteRequest,
    agentId: AgentId,
    tier: Tier,
    promptTokens: number,
    excluded: ReadonlySet<string>,
    secrets: SecretCache,
  ): Promise<Planned[]> {
    const config = this.config;
    let chain: readonly string[];
    if (request.forced) chain = [request.forced.provider];
    else {
      chain = config.agents[agentId]?.chain ?? [];
      // Local-first moves the local provider to the front for light work, but only for agents whose chain has it:
      // leaving it out of a chain is how a person keeps an agent off the local model.
      const local = config.providers['local'];
      if (tier === 'light' && config.routing.localFirst && local?.enabled && chain.includes('local') && chain[0] !== 'local') {
        const health = this.breakers.get('local').check(this.clock.now());
        if (health.ok && this.endpoints.check('local').ok) chain = ['local', ...chain.filter((id) => id !== 'local')];
      }
    }
    const out: Planned[] = [];
    for (let chainIndex = 0; chainIndex < chain.length; chainIndex++) {
      const providerId = chain[chainIndex]!;
      const provider = config.providers[providerId];
      const model = request.forced
        ? request.forced.model
        : provider
          ? this.modelFor(provider, tier)
          : undefined;
      const expectedOutput = config.routing.expectedOutputTokens[tier];
      // A model without a known price is estimated at a ceiling (never 0), so a budget cannot wave it through as free.
      const charge = model ? this.prices.charge(providerId, model) : undefined;
      const estimateUsd = charge ? estimateCost(charge.price, promptTokens, expectedOutput) : undefined;
      const record: CandidateRecord = {
        provider: providerId,
        model,
        tier,
        status: 'planned',
        estimateUsd,
        ...(charge?.unknown ? { priceUnknown: true } : {}),
      };
      const skip = (code: SkipCode, reason: string): void => skipCandidate(record, code, reason);
      const endpoint = this.endpoints.check(providerId);
      const planned: Planned = { record, provider: provider!, model: model ?? '', chainIndex };
      out.push(planned);
      if (!provider) skip('unknown-provider', `unknown provider "${providerId}"`);
      else if (!provider.enabled) skip('disabled', 'disabled in the configuration');
      else if (!model) skip('no-model', `no model configured for the ${tier} tier`);
      else if (excluded.has(`${providerId}/${model}`)) skip('excluded', 'excluded by the caller (already tried)');
      else if (!endpoint.ok) skip('endpoint-down', endpoint.reason);
      else {
        const circuit = this.breakers.get(providerId).check(this.clock.now());
        if (!circuit.ok) {
          skip('circuit-open', circuit.reason);
          if (circuit.waitMs !== undefined) {
            planned.waitMs = circuit.waitMs;
            planned.waitFor = 'circuit';
          }
          continue;
        }
        await this.refreshKeys(provider, secrets);
        await this.readSharedLimits(providerId);
        const pick = this.pool(providerId).pick(tier, promptTokens + expectedOutput, this.clock.now(), this.keyGate(providerId));
        if (!pick.ok) {
          skipCandidate(record, 'keys', pick.message, pick.skipped);
          if (pick.waitMs !== undefined) {
            planned.waitMs = pick.waitMs;
            planned.waitFor = 'limit';
          }
        }
      }
    }
    if (request.forced && out[0]?.record.status === 'skipped') {
      out[0].record.reason = `forced model ${request.forced.provider}/${request.forced.model} cannot run: ${out[0].record.reason}`;
    }
    return out;
  }

  private order(viable: readonly Planned[], task: TaskType, tier: Tier): Planned[] {
    const strategyView = viable.map((c) => ({
      planned: c,
      provider: c.provider.id,
      model: c.model,
      chainIndex: c.chainIndex,
      estimateUsd: c.record.estimateUsd,
      capability: c.provider.capabilities[task] ?? 0.5,
      // The configured weight adjusted by how the provider has performed lately (performance.ts).
      weight: effectiveWeight(c.provider.weight > 0 ? c.provider.weight : 1, this.performance.get(c.provider.id, this.clock.now())),
      p50Ms: this.latency.p50(c.provider.id, c.model),
    }));
    const ordered = orderCandidates(strategyView, this.config.routing.strategy, { task, random: this.random }).map(
      (v) => v.planned,
    );
    // Local-first: light work goes to the healthy local provider whatever the strategy.
    if (tier === 'light' && this.config.routing.localFirst) {
      const local = ordered.findIndex((c) => c.provider.id === 'local');
      if (local > 0) ordered.unshift(...ordered.splice(local, 1));
    }
    return ordered;
  }

  // ---- Calling -----------------------------------------------------------------------------------------------

  private async *tryCandidate(
    run: Run,
    candidate: Planned,
  ): AsyncGenerator<
    RouteEvent,
    | { kind: 'answered' }
    | { kind: 'stop'; error: ProviderError }
    | { kind: 'failed'; error: ProviderError }
    | { kind: 'unavailable'; waitMs?: number },
    undefined
  > {
    const { request, decision, promptTokens, secrets } = run;
    const provider = candidate.provider;
    const tier = decision.tier;
    const tokens = promptTokens + this.config.routing.expectedOutputTokens[tier];
    const pool = this.pool(provider.id);
    let attempt = 0;
    let lastError: ProviderError | undefined;
    /** Whether the wait after the last retry sleep was already topped up (at most once per retry). */
    let toppedUp = false;
    /** Times another process took the picked key's last request between the pick and the send. */
    let refusals = 0;
    for (;;) {
      if (request.signal?.aborted) {
        return { kind: 'stop', error: new ProviderError({ provider: provider.id, kind: 'aborted', message: 'The request was cancelled.' }) };
      }
      if (attempt > 0 || refusals > 0) await this.readSharedLimits(provider.id);
      const now = this.clock.now();
      const pick = pool.pick(tier, tokens, now, this.keyGate(provider.id));
      if (!pick.ok && attempt > 0 && !toppedUp && pick.waitMs !== undefined && pick.waitMs <= RETRY_WAKE_SLACK_MS) {
        // A timer may fire a millisecond before the wall clock reaches the end of the Retry-After the key sits out:
        // wait the rest instead of giving up on a retry that was planned for exactly this moment.
        toppedUp = true;
        try {
          await this.clock.sleep(pick.waitMs + 1, request.signal);
        } catch {
          return { kind: 'stop', error: new ProviderError({ provider: provider.id, kind: 'aborted', message: 'The request was cancelled.' }) };
        }
        continue;
      }
      if (!pick.ok) {
        if (attempt === 0) {
          skipCandidate(candidate.record, 'keys', pick.message, pick.skipped);
          return { kind: 'unavailable', ...(pick.waitMs !== undefined ? { waitMs: pick.waitMs } : {}) };
        }
        candidate.record.reason = lastError?.message ?? pick.message;
        return lastError ? { kind: 'failed', error: lastError } : { kind: 'unavailable' };
      }
      const providerPermit = this.breakers.get(provider.id).acquire(now);
      if (!providerPermit.ok) {
        candidate.record.reason = providerPermit.reason;
        if (attempt === 0) {
          skipCandidate(candidate.record, 'circuit-open', providerPermit.reason);
          return { kind: 'unavailable', ...(providerPermit.waitMs !== undefined ? { waitMs: providerPermit.waitMs } : {}) };
        }
        return lastError ? { kind: 'failed', error: lastError } : { kind: 'unavailable' };
      }
      const keyPermit = this.breakers.get(provider.id, pick.keyId).acquire(now);
      if (!keyPermit.ok) {
        providerPermit.permit.release();
        candidate.record.reason = keyPermit.reason;
        return lastError ? { kind: 'failed', error: lastError } : { kind: 'unavailable' };
      }
      // The budget is checked again on the estimate and the attempt's maximum cost held, in one step, so concurrent
      // requests (other windows, CLI runs) cannot together pass a limit the plan saw room for.
      const budget = await this.budget.hold(candidate.record.estimateUsd ?? 0, this.maxCostUsd(candidate, promptTokens), decision.id, decision.startedAt);
      if (budget.action === 'warn' && !decision.budgetWarnings.includes(budget.message)) decision.budgetWarnings.push(budget.message);
      else if (budget.action !== 'allow') {
        providerPermit.permit.release();
        keyPermit.permit.release();
        candidate.record.reason = `over budget: ${budget.message}`;
        if (attempt === 0) {
          skipCandidate(candidate.record, 'over-budget', candidate.record.reason);
          return { kind: 'unavailable' };
        }
        return lastError ? { kind: 'failed', error: lastError } : { kind: 'unavailable' };
      }
      const secret = await this.secretOf(provider, pick.keyId, secrets);
      if (!(await this.takeShared(provider.id, pick.keyId, tier, tokens))) {
        // Another window or CLI run took what was left of this key meanwhile: pick again on the shared state.
        providerPermit.permit.release();
        keyPermit.permit.release();
        if (++refusals < MAX_SHARED_REFUSALS) continue;
        candidate.record.reason = 'its keys were taken by other processes while this request waited';
        return lastError ? { kind: 'failed', error: lastError } : { kind: 'unavailable' };
      }
      attempt += 1;
      yield { type: 'attempt', provider: provider.id, model: candidate.model, keyId: pick.keyId, attempt };
      const outcome = yield* this.call(run, candidate, pick.keyId, secret, tokens, [providerPermit.permit, keyPermit.permit]);
      if (outcome === undefined) {
        decision.chosen = { provider: provider.id, model: candidate.model };
        return { kind: 'answered' };
      }
      const error = outcome;
      lastError = error;
      candidate.record.reason = error.message;
      if (error.kind === 'aborted' || error.partialOutput) return { kind: 'stop', error };
      if (error.refused && isLoopbackUrl(provider.baseUrl)) {
        // Nothing listens at this local endpoint: a retry would be refused too. Down until a probe (or the backoff)
        // says otherwise; the next candidate at once.
        this.endpoints.markDown(provider.id, error.message);
        candidate.record.reason = `${error.message} Not retried (local endpoint); skipped until it answers again.`;
        return { kind: 'failed', error };
      }
      if (error.kind === 'auth' && secret !== undefined) {
        pool.markAuthFailed(pick.keyId, fingerprint(secret));
        continue; // another key of this provider, if it has one; else the pick fails and we move on
      }
      if (error.kind === 'auth') return { kind: 'failed', error };
      if (error.kind === 'rate_limit') {
        // Every process sharing the limits rests the key, not only this one.
        await this.shareLimits(provider.id, (p) => p.penalize(pick.keyId, error.retryAfterMs, this.clock.now()));
        const other = pool.pick(tier, tokens, this.clock.now(), this.keyGate(provider.id));
        if (other.ok) continue; // rotate to another key at once
      }
      const retry = nextDelay(attempt, error, this.config.routing.retry, this.random);
      if (!retry.retry) return { kind: 'failed', error };
      yield { type: 'retry', provider: provider.id, model: candidate.model, delayMs: retry.delayMs, reason: error.message };
      toppedUp = false;
      try {
        await this.clock.sleep(retry.delayMs, request.signal);
      } catch {
        return { kind: 'stop', error: new ProviderError({ provider: provider.id, kind: 'aborted', message: 'The request was cancelled.' }) };
      }
    }
  }

  /** One attempt: streams text out, records the attempt; returns undefined on success, else the error. */
  private async *call(
    run: Run,
    candidate: Planned,
    keyId: string,
    secret: string | undefined,
    estimatedTokens: number,
    permits: readonly BreakerPermit[],
  ): AsyncGenerator<RouteEvent, ProviderError | undefined, undefined> {
    const { request, decision, prompt, promptTokens } = run;
    const provider = candidate.provider;
    const started = this.clock.now();
    const startedPerf = performance.now();
    const attempt: AttemptRecord = {
      provider: provider.id,
      model: candidate.model,
      keyId,
      startedAt: started,
      latencyMs: 0,
      status: 'error',
      partialOutput: false,
      costUsd: 0,
    };
    decision.attempts.push(attempt);
    let usage: Usage | undefined;
    // The answer is counted, never kept: the caller has the text, and an endless stream must not grow this process.
    let outputChars = 0;
    const outputTokens = new TokenCounter();
    const maxChars = this.config.routing.maxAnswerChars;
    try {
      const client = this.client(provider, keyId, secret);
      const safety = provider.safety ?? (isAboutCode(request) ? 'block_none' : undefined);
      const stream = client.stream({
        model: candidate.model,
        system: prompt.system,
        messages: prompt.messages,
        ...(safety !== undefined ? { safety } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      for await (const chunk of stream) {
        if (chunk.type === 'text') {
          // Health is reported once the answer is complete: a stream cut halfway is a failure.
          if (attempt.ttftMs === undefined) attempt.ttftMs = performance.now() - startedPerf;
          const room = maxChars - outputChars;
          const text = chunk.text.length > room ? cutAt(chunk.text, room) : chunk.text;
          if (text) {
            outputChars += text.length;
            outputTokens.add(text);
            yield { type: 'text', text };
          }
          // Leaving the loop closes the provider's stream, which closes the HTTP request.
          if (text.length < chunk.text.length) throw this.answerTooLong(provider, candidate.model, maxChars);
        } else if (chunk.type === 'usage') usage = chunk.usage;
      }
      attempt.status = 'ok';
      for (const permit of permits) permit.success();
      this.endpoints.markUp(provider.id);
      if (attempt.ttftMs !== undefined) this.latency.record(provider.id, candidate.model, attempt.ttftMs);
      return undefined;
    } catch (caught) {
      let error = ProviderError.is(caught)
        ? caught
        : new ProviderError({
            provider: provider.id,
            kind: 'server',
            message: `${provider.label}: ${errorMessage(caught)}`,
          });
      // Whatever failed once text was shown (the provider, the size limit, this process), the answer on screen is this
      // attempt's: the router must not retry or fall back, or the caller would get a second answer after the first.
      // A cascade holds the text back until it is checked: nothing was shown, so a retry or the next candidate may
      // answer (the adapter's own "output had started" is cleared).
      if (run.holdText) {
        if (error.partialOutput) error = error.withPartialOutput(false);
      } else if (outputChars > 0 && !error.partialOutput) error = error.withPartialOutput();
      attempt.errorKind = error.kind;
      if (error.status !== undefined) attempt.httpStatus = error.status;
      attempt.message = error.message;
      if (error.retryAfterMs !== undefined) attempt.retryAfterMs = error.retryAfterMs;
      attempt.partialOutput = error.partialOutput;
      // A refused local endpoint is the endpoint health's business (down, probed), not the breaker's: counting it
      // would open the circuit and keep the endpoint out for a cooldown after it is back.
      const refusedLocally = error.refused && isLoopbackUrl(provider.baseUrl);
      for (const permit of permits) {
        if (error.kind === 'aborted' || refusedLocally) permit.release();
        else permit.failure(error);
      }
      return error;
    } finally {
      attempt.latencyMs = performance.now() - startedPerf;
      if (attempt.status === 'ok' || (attempt.errorKind !== undefined && counts({ kind: attempt.errorKind }))) {
        this.performance.record({
          provider: provider.id,
          at: started,
          ok: attempt.status === 'ok',
          ...(attempt.errorKind !== undefined ? { errorKind: attempt.errorKind } : {}),
          latencyMs: attempt.latencyMs,
        });
      }
      let finalUsage: Usage = ZERO_USAGE;
      if (usage !== undefined) {
        const promptChars = prompt.system.length + prompt.messages.reduce((n, m) => n + m.content.length, 0);
        const bounded = boundUsage(usage, { promptChars, promptTokens, outputChars, outputTokens: outputTokens.tokens });
        finalUsage = bounded.usage;
        if (bounded.implausible !== undefined) {
          attempt.usageEstimated = true;
          attempt.usageImplausible = bounded.implausible;
        }
      } else if (attempt.status === 'ok' || outputChars > 0) {
        finalUsage = { ...ZERO_USAGE, inputTokens: promptTokens, outputTokens: outputTokens.tokens };
        attempt.usageEstimated = true;
      }
      attempt.usage = finalUsage;
      const charge = this.prices.charge(provider.id, candidate.model);
      attempt.costUsd = costOf(charge.price, finalUsage);
      if (charge.unknown) attempt.priceUnknown = true;
      decision.usage = addUsage(decision.usage, finalUsage);
      decision.costUsd += attempt.costUsd;
      const pool = this.pool(provider.id);
      const actualTokens = usageTokens(finalUsage) || estimatedTokens;
      if (pool.countsTokens(keyId)) await this.shareLimits(provider.id, (p) => p.settleTokens(keyId, estimatedTokens, actualTokens));
      else pool.settleTokens(keyId, estimatedTokens, actualTokens);
      // Also at no cost: the attempt's hold ends either way. A failure here (the shared holds' lock kept for
      // seconds, a full disk) must not lose the answer or its record: the cost is in the decision, and an unsettled
      // hold ends with this process.
      try {
        await this.budget.record(attempt.costUsd, this.clock.now(), decision.id);
      } catch (error) {
        const message = `Model Router: this attempt's cost could not be shared with other windows and processes (${errorMessage(error)}); it is recorded with the request`;
        if (!decision.budgetWarnings.includes(message)) decision.budgetWarnings.push(message);
      }
    }
  }

  /** The error that ends an answer longer than `routing.maxAnswerChars` (after the text up to the limit was shown). */
  private answerTooLong(provider: ProviderConfig, model: string, maxChars: number): ProviderError {
    return new ProviderError({
      provider: provider.id,
      kind: 'server',
      retryable: false,
      providerCode: 'answer_too_long',
      message: `${provider.label} ${model}: answer exceeded ${maxChars.toLocaleString('en-US')} characters; stopped (raise maxAnswerChars in the configuration file for longer answers).`,
    });
  }

  // ---- Helpers -----------------------------------------------------------------------------------------------

  /** Brings the provider's key limits up to date with what every process sharing them used (no lock). */
  private async readSharedLimits(providerId: string): Promise<void> {
    if (!this.sharedLimits) return;
    try {
      this.pool(providerId).importStates(await this.sharedLimits.read(providerId), this.clock.now());
    } catch {
      // An unreadable file limits nothing more than this process's own counts do.
    }
  }

  /**
   * Takes one request (and its tokens) on the key, counted for every process sharing the limits: under the lock the
   * shared state is read, the key checked again and taken, and the result written. False when another process took
   * what was left since the pick. When the shared file cannot be used, counts in this process only.
   */
  private async takeShared(providerId: string, keyId: string, tier: Tier, tokens: number): Promise<boolean> {
    const pool = this.pool(providerId);
    const store = this.sharedLimits;
    // Without any limit there is nothing to count (a 429's penalty is shared when it happens).
    if (!store || !pool.hasLimits(keyId)) {
      pool.take(keyId, tokens, this.clock.now());
      return true;
    }
    try {
      return await store.update(providerId, this.clock.now(), (states) => {
        const now = this.clock.now();
        pool.importStates(states, now);
        if (pool.recheck(keyId, tier, tokens, now)) return { result: false };
        pool.take(keyId, tokens, now);
        return { states: pool.exportStates(now), result: true };
      });
    } catch {
      pool.take(keyId, tokens, this.clock.now());
      return true;
    }
  }

  /** Changes the provider's key limits (a penalty, a TPM correction) for every process sharing them. */
  private async shareLimits(providerId: string, change: (pool: KeyPool) => void): Promise<void> {
    const pool = this.pool(providerId);
    const store = this.sharedLimits;
    if (!store) {
      change(pool);
      return;
    }
    try {
      await store.update(providerId, this.clock.now(), (states) => {
        pool.importStates(states, this.clock.now());
        change(pool);
        return { states: pool.exportStates(this.clock.now()), result: undefined };
      });
    } catch {
      change(pool);
    }
  }

  /**
   * The most an attempt on `candidate` can cost: the prompt plus the provider's output limit (`max_tokens` where the
   * protocol sends one; elsewhere the same figure stands for it, and the answer-size cap stops a longer answer).
   */
  private maxCostUsd(candidate: Planned, promptTokens: number): number {
    const { price } = this.prices.charge(candidate.provider.id, candidate.model);
    const maxOutput = Math.max(this.config.routing.expectedOutputTokens.heavy, DEFAULT_MAX_OUTPUT_TOKENS);
    return estimateCost(price, promptTokens, maxOutput);
  }

  private finish(decision: Decision, error?: { kind: FailureKind; message: string; retryAfterMs?: number }): RouteEvent {
    decision.finishedAt = this.clock.now();
    if (error) {
      decision.error = error;
      if (decision.outcome === 'failed' && error.kind === 'aborted') decision.outcome = 'aborted';
    } else decision.outcome = 'answered';
    return { type: 'done', decision };
  }

  private skipSummary(decision: Decision): string {
    return decision.candidates
      .filter((c) => c.status === 'skipped')
      .map((c) => `${c.provider}${c.model ? `/${c.model}` : ''}: ${c.reason}`)
      .join('; ');
  }

  private unavailable(decision: Decision): { kind: FailureKind; message: string } {
    const skipped = decision.candidates.filter((c) => c.status === 'skipped');
    const overBudget = skipped.length > 0 && skipped.every((c) => c.skip === 'over-budget');
    const reasons = this.skipSummary(decision);
    if (decision.forced && skipped[0]) return { kind: overBudget ? 'budget' : 'unavailable', message: skipped[0].reason ?? 'cannot run' };
    return {
      kind: overBudget ? 'budget' : 'unavailable',
      message: skipped.length
        ? `No candidate can take this request (${decision.agent}, ${decision.tier} tier). ${reasons}`
        : `The agent "${decision.agent}" has no providers in its chain.`,
    };
  }

  private countFailure(agent: AgentId, tier: Tier): void {
    const key = `${agent}/${tier}`;
    this.failuresInRow.set(key, (this.failuresInRow.get(key) ?? 0) + 1);
  }

  private modelFor(provider: ProviderConfig, tier: Tier): string | undefined {
    const available = TIERS.filter((t) => provider.models[t]);
    const nearest = nearestTier(tier, available);
    return nearest ? provider.models[nearest] : undefined;
  }

  /** The tier a forced model is configured for at its provider (medium when it is not configured). */
  private tierOfModel(providerId: string, model: string): Tier {
    const provider = this.config.providers[providerId];
    for (const tier of TIERS) if (provider?.models[tier] === model) return tier;
    return 'medium';
  }

  private poolKeys(provider: ProviderConfig): readonly KeyConfig[] {
    return provider.requiresKey ? provider.keys : provider.keys.length > 0 ? provider.keys : [{ id: KEYLESS_ID }];
  }

  private keyGate(providerId: string): (keyId: string, now: number) => { ok: true } | { ok: false; waitMs?: number; reason: string } {
    return (keyId, now) => {
      const admission = this.breakers.get(providerId, keyId).check(now);
      return admission.ok ? { ok: true } : admission;
    };
  }

  /** Tells the pool which keys have secrets now (a changed secret revives a key that failed authentication). */
  private async refreshKeys(provider: ProviderConfig, secrets: SecretCache): Promise<void> {
    const pool = this.pool(provider.id);
    for (const key of this.poolKeys(provider)) {
      if (!provider.requiresKey) {
        pool.setFingerprint(key.id, KEYLESS_ID);
        continue;
      }
      const secret = (await this.keySource.get(provider.id, key.id)) || undefined;
      secrets.set(`${provider.id}\u0000${key.id}`, secret);
      pool.setFingerprint(key.id, secret ? fingerprint(secret) : undefined);
    }
  }

  private async secretOf(provider: ProviderConfig, keyId: string, secrets: SecretCache): Promise<string | undefined> {
    if (!provider.requiresKey && keyId === KEYLESS_ID) return undefined;
    const id = `${provider.id}\u0000${keyId}`;
    if (secrets.has(id)) return secrets.get(id);
    return (await this.keySource.get(provider.id, keyId)) || undefined;
  }

  private client(provider: ProviderConfig, keyId: string, secret: string | undefined): ChatProvider {
    const id = `${provider.id}\u0000${keyId}\u0000${secret ? fingerprint(secret) : ''}`;
    let client = this.clients.get(id);
    if (!client) {
      client = this.makeProvider({
        id: provider.id,
        protocol: provider.protocol,
        label: provider.label,
        requiresKey: provider.requiresKey,
        ...(secret ? { apiKey: secret } : {}),
        ...(provider.baseUrl ? { baseUrl: provider.baseUrl } : {}),
        ...(provider.timeoutMs ? { timeoutMs: provider.timeoutMs } : {}),
        ...(provider.idleTimeoutMs ? { idleTimeoutMs: provider.idleTimeoutMs } : {}),
        ...(this.keySource.hint ? { keyHint: this.keySource.hint(provider.id) } : {}),
      });
      this.clients.set(id, client);
    }
    return client;
  }

  private priceTable(config: Config): PriceTable {
    return createPriceTable(config.pricing, { ...providerPriceOptions(Object.values(config.providers)), now: new Date(this.clock.now()) });
  }
}
