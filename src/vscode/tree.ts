/**
 * The Model Router activity-bar views. Providers: key set or missing, health (healthy / cooling down until a time /
 * circuit open / down: a local server not running), the last hour's error rate and p50 latency from the ledger, the
 * last connection test, models per tier, today's spend, with Set API Key / Test Connection / Reset Health and Test All
 * Providers. Agents: the chain primary → … → fallback with the reasoning as tooltip, with Reassign… / Open in Settings.
 * Both refresh on configuration, key, health and ledger events; nothing here loads the engine before the view is first
 * shown.
 */
import * as vscode from 'vscode';

import type { AgentConfig, Config, ProviderConfig, Tier } from '../core/config/types';
import { TIERS } from '../core/config/types';
import type { ProviderHealthStats } from '../core/ledger/health';
import type { ConnectionStatus } from '../core/providers/connection';
import { PeriodCalendar } from '../core/routing/budget';
import type { BreakerSnapshot } from '../core/routing/circuitBreaker';
import type { EndpointState } from '../core/routing/endpointHealth';
import type { KeyStatus } from '../core/routing/keyPool';
import { describeWeight } from '../core/routing/performance';
import { formatMs, formatUsd, formatWeight } from '../core/util/format';
import { escapeMarkdown, markdownCode } from '../core/util/markdown';
import { displayUrl } from '../core/util/secrets';
import { ContextKey } from './commandIds';
import type { ConfigService } from './configService';
import { loadEngine } from './engine';
import type { KeyStore } from './keys';
import type { LedgerService } from './ledgerService';
import { Disposable } from './lifecycle';
import type { RouterService } from './routerService';

export const CHAIN_ROLES = ['primary', 'secondary', 'tertiary'] as const;

/** "primary", "secondary", "tertiary", then "fallback" for the last and "fallback N" between. */
export function chainRole(index: number, length: number): string {
  if (index === length - 1 && index >= 1) return 'fallback';
  return CHAIN_ROLES[index] ?? `fallback ${index - 2}`;
}

export type ProviderHealth = {
  readonly state: 'healthy' | 'cooling_down' | 'open' | 'half_open' | 'rejected' | 'down' | 'unknown';
  readonly label: string;
  readonly detail?: string;
  /** When the state ends by itself (cooldown over, 429 penalty served): the tree refreshes then. */
  readonly until?: number;
};

export function describeHealth(snapshot: BreakerSnapshot | undefined): ProviderHealth {
  if (!snapshot) return { state: 'unknown', label: 'healthy (no requests yet)' };
  const until = snapshot.until ? new Date(snapshot.until).toLocaleTimeString() : undefined;
  const why = snapshot.openedBecause ?? snapshot.lastError?.message;
  switch (snapshot.state) {
    case 'healthy':
      // Planning creates a breaker for every provider it considers, so "healthy" alone would claim requests that
      // were never sent to this provider.
      return { state: 'healthy', label: snapshot.recentRequests === 0 && !snapshot.lastError ? 'healthy (no recent requests)' : 'healthy' };
    case 'cooling_down':
      return { state: 'cooling_down', label: `cooling down${until ? ` until ${until}` : ''}`, ...(why ? { detail: why } : {}), ...(snapshot.until ? { until: snapshot.until } : {}) };
    case 'open':
      return { state: 'open', label: `circuit open${until ? ` until ${until}` : ''}`, ...(why ? { detail: why } : {}), ...(snapshot.until ? { until: snapshot.until } : {}) };
    case 'half_open':
      return { state: 'half_open', label: 'half-open: next request probes', ...(why ? { detail: why } : {}) };
  }
}

/**
 * A local endpoint that refused the connection (a local server that is not running): down until a probe answers.
 * Undefined when it is up or was never seen refusing.
 */
export function describeEndpoint(state: EndpointState | undefined): ProviderHealth | undefined {
  if (state?.state !== 'down') return undefined;
  const next = state.retryAt !== undefined ? `; next probe at ${new Date(state.retryAt).toLocaleTimeString()}` : '';
  return { state: 'down', label: 'down: not answering', detail: `${state.reason ?? 'connection refused'}${next}`, ...(state.retryAt !== undefined ? { until: state.retryAt } : {}) };
}

/** The ledger's figures for the description: "12% errors · p50 850 ms" over the last hour; undefined without attempts. */
export function describeLedgerHealth(stats: ProviderHealthStats | undefined): string | undefined {
  if (!stats || stats.attempts === 0) return undefined;
  const parts = [`${Math.round((stats.errorRate ?? 0) * 100)}% errors`];
  if (stats.p50LatencyMs !== undefined) parts.push(`p50 ${formatMs(stats.p50LatencyMs)}`);
  return parts.join(' · ');
}

/** The last connection test for the description: "test ok in 12 ms" / "test failed: network". */
export function describeTest(test: ConnectionStatus): string {
  if (test.result === 'ok') return `test ok in ${formatMs(test.latencyMs ?? 0)}`;
  if (test.result === 'skipped') return 'not tested';
  return `test failed: ${test.refused ? 'nothing listening' : (test.errorKind ?? 'error')}`;
}

/** One key as its pool sees it: rejected by the provider (401/403) or waiting out a 429; undefined when usable. */
export function describeKey(status: KeyStatus | undefined, now: number): ProviderHealth | undefined {
  if (!status) return undefined;
  if (status.authFailed) return { state: 'rejected', label: 'rejected by the provider', detail: 'Set API Key stores a new key' };
  const until = status.limits.penalizedUntil;
  if (until !== undefined && until > now) return { state: 'cooling_down', label: `rate-limited until ${new Date(until).toLocaleTimeString()}`, detail: 'the provider answered 429', until };
  return undefined;
}

/**
 * A provider whose breaker is closed can still be unusable through its keys: every stored key rejected, or every
 * stored key that is not rejected waiting out a 429. Undefined when some stored key is usable.
 */
export function describeKeys(statuses: readonly KeyStatus[], keysSet: readonly string[], now: number): ProviderHealth | undefined {
  const stored = keysSet.map((id) => describeKey(statuses.find((s) => s.keyId === id), now));
  if (stored.length === 0 || stored.some((health) => health === undefined)) return undefined;
  const waiting = stored.filter((health) => health!.state === 'cooling_down').map((health) => health!.until!);
  if (waiting.length === 0) return { state: 'rejected', label: stored.length === 1 ? 'key rejected by the provider' : 'every key rejected by the provider', detail: 'Set API Key stores a new key' };
  const until = Math.min(...waiting);
  return { state: 'cooling_down', label: `cooling down until ${new Date(until).toLocaleTimeString()}`, detail: 'rate-limited: the provider answered 429', until };
}

type ProviderNode =
  | {
      readonly kind: 'provider';
      readonly provider: ProviderConfig;
      readonly keysSet: readonly string[];
      readonly health: ProviderHealth;
      readonly todayUsd: number | undefined;
      /** "weight 1 → 0.62 (errors 20%, p50 3.1 s)"; shown in the description under the load-balance strategy. */
      readonly weight?: { readonly text: string; readonly effective: number; readonly shown: boolean };
      /** The last hour's attempts from the ledger (when it is open). */
      readonly stats: ProviderHealthStats | undefined;
      /** The last connection test of this window (Test Connection, Test All Providers). */
      readonly test: { readonly status: ConnectionStatus; readonly at: number } | undefined;
      /** Output tokens per second of each of its models over the last 7 days (model, speed). */
      readonly speeds: readonly (readonly [string, number])[];
    }
  | { readonly kind: 'models'; readonly provider: ProviderConfig }
  | { readonly kind: 'model'; readonly provider: ProviderConfig; readonly tier: Tier; readonly model: string }
  | { readonly kind: 'key'; readonly provider: ProviderConfig; readonly keyId: string; readonly set: boolean; readonly health: ProviderHealth; readonly tiers: readonly Tier[] };

export class ProvidersTree extends Disposable implements vscode.TreeDataProvider<ProviderNode> {
  private readonly changed = this._register(new vscode.EventEmitter<ProviderNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly configService: ConfigService,
    private readonly keys: KeyStore,
    private readonly routerService: RouterService,
    private readonly ledger: LedgerService,
  ) {
    super();
    const refresh = (): void => this.refresh();
    this._register(configService.onDidChange(refresh));
    this._register(keys.onDidChange(refresh));
    this._register(routerService.onDidChangeHealth(refresh));
    this._register(ledger.onDidRecord(refresh));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The last connection test per provider, shown until the next one. */
  private readonly tests = new Map<string, { readonly status: ConnectionStatus; readonly at: number }>();

  /** Records connection test results (Test Connection, Test All Providers) and shows them. */
  setTestResults(results: ReadonlyMap<string, ConnectionStatus>, at: number = Date.now()): void {
    for (const [id, status] of results) this.tests.set(id, { status, at });
    this.refresh();
  }

  async getChildren(node?: ProviderNode): Promise<ProviderNode[]> {
    const { config } = await this.configService.get();
    if (!node) return this.roots(config);
    if (node.kind === 'provider') {
      const children: ProviderNode[] = [{ kind: 'models', provider: node.provider }];
      if (node.provider.requiresKey) {
        const router = this.routerService.current;
        const statuses = this.routerService.keyStatuses(node.provider.id);
        const now = Date.now();
        for (const key of node.provider.keys) {
          const snapshot = router?.breakers.entries().find((e) => e.providerId === node.provider.id && e.keyId === key.id)?.breaker.snapshot();
          const breaker = describeHealth(snapshot);
          const health = breaker.state === 'healthy' || breaker.state === 'unknown' ? (describeKey(statuses.find((s) => s.keyId === key.id), now) ?? breaker) : breaker;
          children.push({ kind: 'key', provider: node.provider, keyId: key.id, set: node.keysSet.includes(key.id), health, tiers: key.tiers ?? [] });
        }
      }
      return children;
    }
    if (node.kind === 'models') {
      return TIERS.filter((tier) => node.provider.models[tier]).map((tier) => ({ kind: 'model', provider: node.provider, tier, model: node.provider.models[tier]! }));
    }
    return [];
  }

  private async roots(config: Config): Promise<ProviderNode[]> {
    const spend = this.todaySpend(config);
    const stats = this.ledgerHealth();
    const speeds = this.modelSpeeds();
    const weights = this.routerService.effectiveWeights();
    const router = this.routerService.current;
    let anyKey = false;
    let anyUsable = false;
    const nodes: ProviderNode[] = [];
    for (const provider of Object.values(config.providers)) {
      const keysSet: string[] = [];
      if (provider.requiresKey) {
        for (const key of provider.keys) if (await this.keys.has(provider.id, key.id)) keysSet.push(key.id);
        if (keysSet.length > 0) anyKey = true;
      }
      const snapshot = router?.breakers.entries().find((e) => e.providerId === provider.id && e.keyId === undefined)?.breaker.snapshot();
      const endpoint = router?.endpoints.snapshot(provider.id);
      let health = describeEndpoint(endpoint) ?? describeHealth(snapshot);
      if ((health.state === 'healthy' || health.state === 'unknown') && provider.requiresKey) {
        health = describeKeys(this.routerService.keyStatuses(provider.id), keysSet, Date.now()) ?? health;
      }
      // A provider that needs no key (a local server) is usable once something answered there: the start-up probe,
      // a connection test or a request.
      if (provider.enabled && (keysSet.length > 0 || (!provider.requiresKey && endpoint?.state === 'up'))) anyUsable = true;
      // A test older than the endpoint's last change (a probe found the server again, or it went down) is stale.
      const test = this.tests.get(provider.id);
      const current = test && !(endpoint && endpoint.since > test.at) ? test : undefined;
      const weight = weights.find((w) => w.provider === provider.id);
      nodes.push({
        kind: 'provider',
        provider,
        keysSet,
        health,
        todayUsd: spend?.get(provider.id),
        stats: stats?.get(provider.id),
        test: current,
        speeds: speedsOf(speeds, provider.id),
        ...(weight
          ? { weight: { text: describeWeight(weight.weight, weight.performance), effective: weight.effective, shown: config.routing.strategy === 'load-balance' } }
          : {}),
      });
    }
    await vscode.commands.executeCommand('setContext', ContextKey.anyKey, anyKey);
    await vscode.commands.executeCommand('setContext', ContextKey.anyUsable, anyUsable);
    // Whether a keyless local server runs is known only by probing it: building the router probes every local
    // endpoint once (and the tree refreshes when one answers).
    if (!router && Object.values(config.providers).some((p) => p.enabled && !p.requiresKey)) {
      void this.routerService.router().catch(() => undefined);
    }
    // VS Code shows a view's welcome content ("Set API Key", "Import Keys from Environment") only while its tree is
    // empty: until some provider is usable (a key, or a local server that answered), the tree is empty on purpose.
    if (!anyUsable) return [];
    this.refreshAt(nodes.map((node) => (node.kind === 'provider' ? node.health.until : undefined)));
    return nodes;
  }

  private refreshTimer: NodeJS.Timeout | undefined;

  /** Cooldowns and 429 penalties end without any event: refresh when the earliest shown one ends. */
  private refreshAt(times: readonly (number | undefined)[]): void {
    const next = Math.min(...times.filter((t): t is number => t !== undefined && t > Date.now()));
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (!Number.isFinite(next) || this.isDisposed) return;
    this.refreshTimer = setTimeout(() => this.refresh(), Math.min(next - Date.now() + 250, 2 ** 31 - 1));
  }

  override dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    super.dispose();
  }

  /** The last hour's attempts per provider, when the ledger is open (the tree does not open it). */
  private ledgerHealth(): Map<string, ProviderHealthStats> | undefined {
    const store = this.ledger.current;
    if (!store) return undefined;
    return loadEngine().providerHealth(store.db, Date.now());
  }

  /** Output tokens per second per `provider/model` over the last 7 days, when the ledger is open (one query a refresh). */
  private modelSpeeds(): Map<string, number> | undefined {
    const store = this.ledger.current;
    if (!store) return undefined;
    const now = Date.now();
    return loadEngine().modelSpeeds(store.db, now - 7 * 86_400_000, now + 1);
  }

  /** Today's spend per provider, when the ledger is open (the tree does not open it). */
  private todaySpend(config: Config): Map<string, number> | undefined {
    const store = this.ledger.current;
    if (!store) return undefined;
    const now = Date.now();
    const { start, end } = new PeriodCalendar(config.budget.timeZone).interval('day', now);
    const rows = loadEngine().breakdown(store.db, 'provider', { from: start, to: end }, config.budget.timeZone);
    return new Map(rows.map((row) => [row.key, row.costUsd]));
  }

  getTreeItem(node: ProviderNode): vscode.TreeItem {
    switch (node.kind) {
      case 'provider': {
        const { provider, keysSet, health } = node;
        const item = new vscode.TreeItem(provider.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `provider:${provider.id}`;
        const keyText = !provider.requiresKey ? 'no key needed' : keysSet.length > 0 ? (provider.keys.length > 1 ? `${keysSet.length}/${provider.keys.length} keys set` : 'key set') : 'key missing';
        const parts = [keyText, health.label];
        const figures = describeLedgerHealth(node.stats);
        if (figures) parts.push(figures);
        if (node.test) parts.push(describeTest(node.test.status));
        if (node.todayUsd !== undefined && node.todayUsd > 0) parts.push(`${formatUsd(node.todayUsd)} today`);
        if (node.weight?.shown) parts.push(`weight ${formatWeight(node.weight.effective)}`);
        if (!provider.enabled) parts.unshift('disabled');
        item.description = parts.join(' · ');
        item.iconPath = healthIcon(health, provider.requiresKey && keysSet.length === 0, provider.enabled);
        item.contextValue = provider.requiresKey ? `provider.requiresKey.${keysSet.length > 0 ? 'keySet' : 'keyMissing'}` : 'provider.keyless';
        // Labels, ids, URLs and model ids come from config files and settings: escaped, so none can form a link or an
        // image. Not trusted (no command links), no HTML; theme icons only in our own text ($ is escaped in values).
        const tooltip = new vscode.MarkdownString(undefined, true);
        tooltip.isTrusted = false;
        tooltip.supportHtml = false;
        tooltip.appendMarkdown(`**${escapeMarkdown(provider.label)}** (${markdownCode(provider.id)}, ${escapeMarkdown(provider.protocol)})\n\n`);
        const engine = loadEngine();
        tooltip.appendMarkdown(`Endpoint: ${markdownCode(displayUrl(provider.baseUrl ?? engine.SDK_DEFAULT_BASE_URLS[provider.id] ?? '(SDK default)'))}\n\n`);
        tooltip.appendMarkdown(`Keys: ${escapeMarkdown(keyText)} · Health: ${escapeMarkdown(health.label)}${health.detail ? ` (${escapeMarkdown(health.detail)})` : ''}\n\n`);
        if (node.stats) {
          const { stats } = node;
          const hour =
            stats.attempts > 0
              ? `${stats.attempts} attempt${stats.attempts === 1 ? '' : 's'}, ${Math.round((stats.errorRate ?? 0) * 100)}% failed${stats.p50LatencyMs !== undefined ? `, p50 latency ${formatMs(stats.p50LatencyMs)}` : ''}`
              : 'no attempts';
          const last = stats.lastSuccessAt !== undefined ? new Date(stats.lastSuccessAt).toLocaleString() : 'never';
          tooltip.appendMarkdown(`Last hour: ${escapeMarkdown(hour)} · Last success: ${escapeMarkdown(last)}\n\n`);
        }
        if (node.test) {
          const { status, at } = node.test;
          const said = status.message ? ` (${escapeMarkdown(status.message)})` : '';
          tooltip.appendMarkdown(`Connection test at ${escapeMarkdown(new Date(at).toLocaleTimeString())}: ${escapeMarkdown(describeTest(status))}${said}\n\n`);
        }
        tooltip.appendMarkdown(TIERS.map((tier) => `${tier}: ${markdownCode(provider.models[tier] ?? '—')}`).join(' · '));
        if (node.todayUsd !== undefined) tooltip.appendMarkdown(`\n\nToday: ${formatUsd(node.todayUsd)}`);
        if (node.weight) tooltip.appendMarkdown(`\n\nLoad-balance ${escapeMarkdown(node.weight.text)}`);
        if (node.speeds.length > 0) tooltip.appendMarkdown(`\n\nTokens/s (7 days): ${node.speeds.map(([model, speed]) => `${markdownCode(model)} ${speed.toFixed(speed < 10 ? 1 : 0)}`).join(' · ')}`);
        item.tooltip = tooltip;
        item.accessibilityInformation = { label: `${provider.label}: ${parts.join(', ')}` };
        return item;
      }
      case 'models': {
        const item = new vscode.TreeItem('Models', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `models:${node.provider.id}`;
        item.iconPath = new vscode.ThemeIcon('layers');
        item.description = TIERS.map((tier) => node.provider.models[tier] ?? '—').join(' / ');
        return item;
      }
      case 'model': {
        const item = new vscode.TreeItem(`${node.tier}: ${node.model}`, vscode.TreeItemCollapsibleState.None);
        item.id = `model:${node.provider.id}:${node.tier}`;
        item.iconPath = new vscode.ThemeIcon(node.tier === 'light' ? 'circle-small' : node.tier === 'medium' ? 'circle' : 'circle-filled');
        return item;
      }
      case 'key': {
        const item = new vscode.TreeItem(`key "${node.keyId}"`, vscode.TreeItemCollapsibleState.None);
        item.id = `key:${node.provider.id}:${node.keyId}`;
        const parts = [node.set ? 'set' : 'missing'];
        if (node.tiers.length > 0) parts.push(`tiers: ${node.tiers.join(', ')}`);
        if (node.set && node.health.state !== 'unknown' && node.health.state !== 'healthy') parts.push(node.health.label);
        item.description = parts.join(' · ');
        item.iconPath = new vscode.ThemeIcon(node.set ? 'key' : 'circle-slash', node.set ? undefined : new vscode.ThemeColor('disabledForeground'));
        item.contextValue = `key.${node.set ? 'keySet' : 'keyMissing'}`;
        item.tooltip = node.set ? 'Stored in VS Code\'s secret storage.' : 'Not stored: run "Set API Key".';
        return item;
      }
    }
  }
}

/** The speeds of `providerId`'s models, by model name, from a map keyed `provider/model`. */
function speedsOf(speeds: Map<string, number> | undefined, providerId: string): (readonly [string, number])[] {
  const prefix = `${providerId}/`;
  return [...(speeds ?? [])].filter(([key]) => key.startsWith(prefix)).map(([key, speed]) => [key.slice(prefix.length), speed] as const);
}

function healthIcon(health: ProviderHealth, keyMissing: boolean, enabled: boolean): vscode.ThemeIcon {
  if (!enabled) return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  if (health.state === 'open' || health.state === 'rejected' || health.state === 'down') return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
  if (health.state === 'cooling_down' || health.state === 'half_open') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('testing.iconQueued'));
  if (keyMissing) return new vscode.ThemeIcon('key', new vscode.ThemeColor('disabledForeground'));
  return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
}

type AgentNode = { readonly kind: 'agent'; readonly agent: AgentConfig } | { readonly kind: 'link'; readonly agent: AgentConfig; readonly index: number; readonly provider: string; readonly config: Config };

export class AgentsTree extends Disposable implements vscode.TreeDataProvider<AgentNode> {
  private readonly changed = this._register(new vscode.EventEmitter<AgentNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly configService: ConfigService) {
    super();
    this._register(configService.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: AgentNode): Promise<AgentNode[]> {
    const { config } = await this.configService.get();
    if (!node) return Object.values(config.agents).map((agent) => ({ kind: 'agent', agent }));
    if (node.kind === 'agent') {
      const agent = config.agents[node.agent.id] ?? node.agent;
      return agent.chain.map((provider, index) => ({ kind: 'link', agent, index, provider, config }));
    }
    return [];
  }

  getTreeItem(node: AgentNode): vscode.TreeItem {
    if (node.kind === 'agent') {
      const { agent } = node;
      const item = new vscode.TreeItem(agent.id, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `agent:${agent.id}`;
      item.description = agent.chain.join(' → ');
      item.iconPath = new vscode.ThemeIcon('person');
      item.contextValue = 'agent';
      const tooltip = new vscode.MarkdownString();
      tooltip.isTrusted = false;
      tooltip.supportHtml = false;
      tooltip.appendMarkdown(`**${escapeMarkdown(agent.id)}** — ${escapeMarkdown(agent.tasks.join(', '))}\n\n`);
      tooltip.appendMarkdown(`${escapeMarkdown(agent.chain.join(' → '))}\n\n`);
      tooltip.appendText(agent.reasoning);
      item.tooltip = tooltip;
      item.accessibilityInformation = { label: `${agent.id}: ${agent.chain.join(', then ')}` };
      return item;
    }
    const provider = node.config.providers[node.provider];
    const item = new vscode.TreeItem(`${chainRole(node.index, node.agent.chain.length)}: ${provider?.label ?? node.provider}`, vscode.TreeItemCollapsibleState.None);
    item.id = `agent:${node.agent.id}:${node.index}`;
    item.description = provider ? TIERS.map((tier) => provider.models[tier] ?? '—').join(' / ') : 'unknown provider';
    item.iconPath = new vscode.ThemeIcon(node.index === 0 ? 'star-full' : 'arrow-small-right');
    return item;
  }
}
