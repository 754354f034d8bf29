import * as vscode from 'vscode';

import { ViewId } from './commandIds';
import { ConfigService } from './configService';
import { LedgerDashboardHost } from './dashboard/dashboardHost';
import { DashboardPanel, registerDashboardSerializer } from './dashboard/dashboardPanel';
import { KeyStore } from './keys';
import { LedgerService } from './ledgerService';
import { Disposable } from './lifecycle';
import { LM_VENDOR, RouterChatProvider } from './lm/routerChatProvider';
import { Log } from './log';
import { RouterService } from './routerService';
import { Runner } from './run/runner';
import { StatusBar } from './statusBar';
import { AgentsTree, ProvidersTree } from './tree';
import { VerifyService } from './verifyService';

/** Name of the output channel; also what a person picks in the Output panel's dropdown. */
export const outputChannelName = 'Model Router';

/**
 * The extension's services, built once by `activate()` (GitLens `src/container.ts`). Every service is created here
 * and owned through `_register()`, so disposing the container (VS Code does, through `context.subscriptions`)
 * releases everything. Building it is cheap: no service loads the engine (SDKs, sql.js, YAML) until first used.
 *
 * The container is passed to whoever needs it; it is never reachable through a module-level variable. The only
 * static state is a private flag that makes a second {@link Container.create} fail loudly while one container is
 * alive; disposing the container clears it, so a deactivate/activate cycle in the same host still works.
 */
export class Container extends Disposable {
  static #alive = false;

  /** Builds the container. Throws if one is already alive. */
  public static create(context: vscode.ExtensionContext): Container {
    if (Container.#alive) {
      throw new Error('Model Router: the container is already built; activate() must run only once.');
    }
    Container.#alive = true;
    try {
      return new Container(context);
    } catch (error) {
      Container.#alive = false;
      throw error;
    }
  }

  /** The extension's log; its level follows "Developer: Set Log Level…" and `modelRouter.log.level`. */
  public readonly log: Log;
  /** The extension's version, from its package.json. */
  public readonly version: string;
  public readonly keys: KeyStore;
  public readonly configService: ConfigService;
  public readonly ledger: LedgerService;
  public readonly verifyService: VerifyService;
  public readonly routerService: RouterService;
  public readonly runner: Runner;
  public readonly statusBar: StatusBar;
  public readonly providersTree: ProvidersTree;
  public readonly agentsTree: AgentsTree;
  public readonly dashboardHost: LedgerDashboardHost;
  /** "Model Router: auto" and the agents as language models of VS Code (Chat's picker, `vscode.lm`). */
  public readonly chatModels: RouterChatProvider;

  private constructor(private readonly context: vscode.ExtensionContext) {
    super();
    this.version = readVersion(context);
    this.log = new Log(this._register(vscode.window.createOutputChannel(outputChannelName, { log: true })));
    this.keys = this._register(new KeyStore(context.secrets, this.log));
    this.configService = this._register(new ConfigService(this.keys, this.log));
    this.ledger = this._register(new LedgerService(vscode.Uri.joinPath(context.globalStorageUri, 'ledger'), this.configService, this.log, this.keys));
    this.verifyService = this._register(new VerifyService(this.configService, this.log));
    this.routerService = this._register(new RouterService(this.configService, this.keys, this.ledger, this.log, context.globalState, this.verifyService.verification));
    this.runner = this._register(new Runner(this.routerService, this.ledger, this.log));
    this.statusBar = this._register(new StatusBar(this.configService, this.ledger, this.log));
    this._register(this.runner.onDidFinish((result) => this.statusBar.setLast(result.decision)));
    this.chatModels = this._register(new RouterChatProvider(this.version, this.configService, this.routerService, this.ledger, this.log));
    this._register(vscode.lm.registerLanguageModelChatProvider(LM_VENDOR, this.chatModels));
    this._register(this.chatModels.onDidFinish((result) => this.statusBar.setLast(result.decision)));
    this._register(this.verifyService.onDidDetect((isolation) => this.statusBar.setChecking(isolation)));
    this.providersTree = this._register(new ProvidersTree(this.configService, this.keys, this.routerService, this.ledger));
    this.agentsTree = this._register(new AgentsTree(this.configService));
    this._register(vscode.window.createTreeView(ViewId.providers, { treeDataProvider: this.providersTree, showCollapseAll: true }));
    this._register(vscode.window.createTreeView(ViewId.agents, { treeDataProvider: this.agentsTree, showCollapseAll: true }));
    this.dashboardHost = this._register(new LedgerDashboardHost(this.configService, this.ledger, this.log, () => this.verifyService.knownIsolation, () =>
        this.routerService.effectiveWeights().map((w) => ({
          provider: w.provider,
          weight: w.weight,
          effective: w.effective,
          errorRate: w.performance.errorRate,
          p50Ms: w.performance.p50Ms ?? null,
          measured: w.performance.evidence >= 1,
        })),
      ));
    this._register(registerDashboardSerializer(context.extensionUri, this.dashboardHost, this.log));
    this._register({ dispose: () => DashboardPanel.current?.dispose() });
  }

  public get extensionUri(): vscode.Uri {
    return this.context.extensionUri;
  }

  public refreshViews(): void {
    this.providersTree.refresh();
    this.agentsTree.refresh();
    void this.statusBar.update(true);
  }

  public openDashboard(): DashboardPanel {
    return DashboardPanel.createOrShow(this.context.extensionUri, this.dashboardHost, this.log);
  }

  public override dispose(): void {
    try {
      super.dispose();
    } finally {
      Container.#alive = false;
    }
  }
}

function readVersion(context: vscode.ExtensionContext): string {
  const manifest: unknown = context.extension.packageJSON;
  if (typeof manifest === 'object' && manifest !== null && 'version' in manifest) {
    const version: unknown = manifest.version;
    if (typeof version === 'string') {
      return version;
    }
  }
  return 'unknown';
}
