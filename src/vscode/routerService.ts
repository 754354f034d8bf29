/**
 * The one Router of this window, built on first use with the configuration in force, the SecretStorage keys and the
 * ledger's spend. Health (circuit breakers, rate-limit penalties, latency history) lives in it and survives
 * configuration changes (`setConfig`). Budget alerts become notifications; breaker changes refresh the tree.
 * Endpoints on this machine (a local server) are probed once when the router is built and, while one refuses
 * connections, in the background until it answers (see EndpointHealth), so local-first never pays a failed request.
 */
import * as vscode from 'vscode';

import type { Config } from '../core/config/types';
import type { ChatProvider, ProviderSettings } from '../core/providers/types';
import type { AlertMemory } from '../core/routing/budget';
import type { KeyStatus } from '../core/routing/keyPool';
import type { CascadeVerification, Router, RouterAnswerCache } from '../core/routing/router';
import { errorMessage } from '../core/util/errorMessage';
import type { ConfigService } from './configService';
import { loadEngine } from './engine';
import type { KeyStore } from './keys';
import type { LedgerService } from './ledgerService';
import { Disposable } from './lifecycle';
import type { ConsentMemory } from './lm/vscodeLmProvider';
import { VSCODE_LM_PROTOCOL, VscodeLmProvider } from './lm/vscodeLmProvider';
import type { Log } from './log';

export class RouterService extends Disposable {
  private instance: Promise<Router> | undefined;
  private built: Router | undefined;
  /** Providers whose key pool changes (429 penalties, rejected keys) already fire {@link onDidChangeHealth}. */
  private readonly watchedPools = new Set<string>();
  private readonly healthChanged = this._register(new vscode.EventEmitter<void>());
  /** `vscode-lm` vendors whose consent the user refused in this window: asked once, then skipped. */
  private readonly refusedVendors: ConsentMemory = new Map();
  /** A circuit opened, closed or started cooling down; a key was penalised or reset; a local endpoint went down or came back. */
  readonly onDidChangeHealth = this.healthChanged.event;

  constructor(
    private readonly configService: ConfigService,
    private readonly keys: KeyStore,
    private readonly ledger: LedgerService,
    private readonly log: Log,
    private readonly memento?: vscode.Memento,
    private readonly verification?: CascadeVerification,
  ) {
    super();
    this._register(
      configService.onDidChange((state) => {
        const router = this.built;
        if (!router) return;
        router.setConfig(state.config);
        router.answerCache = this.answerCache(state.config);
      }),
    );
    // Trust granted: this window's answers go to (and come from) the trusted workspaces' cache from now on.
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.configService.get().then(({ config }) => {
          if (this.built) this.built.answerCache = this.answerCache(config);
        });
      }),
    );
    // A replaced key that had been rejected is usable again at once (the tree stops saying "key rejected").
    this._register(
      keys.onDidChange(() => {
        const router = this.built;
        if (router) void router.keysChanged().then(() => this.healthChanged.fire(), (error: unknown) => this.log.error(String(error)));
      }),
    );
    this._register({ dispose: () => this.built?.dispose() });
  }

  /** The router if built already (views that must not build it). */
  get current(): Router | undefined {
    return this.built;
  }

  router(): Promise<Router> {
    this.instance ??= this.build();
    return this.instance;
  }

  /**
   * The keys of a provider as the router sees them (rejected by the provider, waiting out a 429), or none before the
   * router is built. From the first call on, changes to them fire {@link onDidChangeHealth}.
   */
  keyStatuses(providerId: string): readonly KeyStatus[] {
    const router = this.built;
    if (!router) return [];
    const pool = router.pool(providerId);
    if (!this.watchedPools.has(providerId)) {
      this.watchedPools.add(providerId);
      this._register(pool.onDidChange(() => this.healthChanged.fire()));
    }
    return pool.snapshot();
  }

  /** "Reset Provider Health": closes breakers and forgets rate-limit penalties (all providers when none is named). */
  resetHealth(providerId?: string): void {
    this.built?.resetHealth(providerId);
    this.healthChanged.fire();
  }

  /** An adapter for `settings`: VS Code's language models (`vscode-lm`) are reachable only here, the rest over the SDKs. */
  createProvider(settings: ProviderSettings): ChatProvider {
    return settings.protocol === VSCODE_LM_PROTOCOL ? new VscodeLmProvider(settings.id, this.refusedVendors) : loadEngine().createProvider(settings);
  }

  private async build(): Promise<Router> {
    const engine = loadEngine();
    const { config } = await this.configService.get();
    const cache = this.answerCache(config);
    const router = new engine.Router(config, {
      keys: this.keys,
      probeEndpoints: true,
      // VS Code's language models (`vscode-lm`) are reachable only here; every other protocol gets the SDK adapter.
      createProvider: (settings) => this.createProvider(settings),
      spend: this.ledger.spend(),
      sharedLimits: this.ledger.sharedLimits(),
      ...(this.verification ? { verification: this.verification } : {}),
      ...(cache ? { answerCache: cache } : {}),
      ...(this.memento ? { alertMemory: mementoAlertMemory(this.memento) } : {}),
      onListenerError: (error) => this.log.error(`A listener failed: ${errorMessage(error)}`),
    });
    router.breakers.onDidChange((change) => {
      const who = change.keyId ? `${change.providerId} (key ${change.keyId})` : change.providerId;
      const why = change.snapshot.openedBecause ? ` because ${change.snapshot.openedBecause}` : '';
      const until = change.snapshot.until ? ` until ${new Date(change.snapshot.until).toLocaleTimeString()}` : '';
      // The breakers also report changes within a state (a failure counted, a reset); only a new state is news.
      const line = `Health of ${who}: ${change.previous} → ${change.snapshot.state}${why}${until}.`;
      if (change.previous !== change.snapshot.state) this.log.info(line);
      else this.log.trace(line);
      this.healthChanged.fire();
    });
    router.endpoints.onDidChange(({ providerId, state, previous, reset }) => {
      if (reset) this.log.info(`${providerId}: its endpoint state was reset; it is tried (and probed) again.`);
      else if (state.state === 'down') this.log.warn(`${providerId} is down: ${state.reason ?? 'connection refused'}; skipped and probed in the background until it answers.`);
      else if (previous === 'down') this.log.info(`${providerId} answers again${state.probes ? ` (after ${state.probes} probe${state.probes === 1 ? '' : 's'})` : ''}.`);
      else this.log.debug(`${providerId} answers.`);
      this.healthChanged.fire();
    });
    router.budget.onAlert((alert) => {
      this.log.warn(alert.message);
      const show = alert.threshold >= 1 ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
      void show(alert.message, 'Open Cost Dashboard', 'Budget Settings').then((choice) => {
        if (choice === 'Open Cost Dashboard') void vscode.commands.executeCommand('modelRouter.openDashboard');
        else if (choice === 'Budget Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'modelRouter.budget');
      });
    });
    this.built = router;
    // Load-balance weights start from how providers performed lately in every window and CLI run (the ledger).
    void this.ledger
      .store()
      .then((store) => {
        if (!store) return;
        const now = Date.now();
        router.performance.seed(store.read((db) => engine.recentAttempts(db, { from: now - engine.PERFORMANCE_LOOKBACK_MS, to: now + 1 })));
        this.healthChanged.fire();
      })
      .catch((error: unknown) => this.log.warn(`Provider performance could not be read from the ledger: ${errorMessage(error)}`));
    // Once at start: whether the local server runs, before local-first sends it anything (and whether a keyless
    // local server makes the Providers tree usable).
    void router.probeLocalEndpoints().catch((error: unknown) => this.log.error(`Probing local endpoints failed: ${errorMessage(error)}`));
    return router;
  }

  /** Each enabled provider's configured and effective load-balance weight (none before the router is built). */
  effectiveWeights(): ReturnType<Router['effectiveWeights']> {
    return this.built?.effectiveWeights() ?? [];
  }

  /**
   * The answer cache beside the ledger (shared by every window), when `cache.enabled`: trusted and untrusted
   * workspaces each have their own, so an answer shaped by a trusted workspace's config never shows in another one.
   */
  private answerCache(config: Config): RouterAnswerCache | undefined {
    if (!config.cache.enabled) return undefined;
    const engine = loadEngine();
    return {
      store: new engine.AnswerCache(this.ledger.folder, {
        ttlMs: config.cache.ttlHours * 3_600_000,
        scope: vscode.workspace.isTrusted ? 'trusted' : 'untrusted',
      }),
      scrub: (text) => this.log.secrets.scrub(text),
      onError: (error) => this.log.warn(`Answer cache: ${errorMessage(error)}`),
    };
  }
}

const ALERTS_KEY = 'modelRouter.budgetAlertsRaised';

/** Raised budget alerts in the global state: a reloaded window does not raise today's 90% alert again. */
function mementoAlertMemory(memento: vscode.Memento): AlertMemory {
  const read = (): Record<string, string> => memento.get<Record<string, string>>(ALERTS_KEY) ?? {};
  return {
    get: (slot) => read()[slot],
    set: (slot, periodKey) => void memento.update(ALERTS_KEY, { ...read(), [slot]: periodKey }),
  };
}
