/**
 * The dashboard's data and actions, from the ledger and the configuration in force: what the panel
 * (dashboardPanel.ts, through dashboardController.ts) asks for. Every number comes from the ledger's dashboard queries (src/core/ledger/dashboard.ts);
 * the host sends aggregates, never raw rows. An empty snapshot is returned while the ledger cannot be opened (the
 * user has been told why).
 */
import type { Database } from 'sql.js';
import * as vscode from 'vscode';

import type { AgentId } from '../../core/config/types';
import { AGENT_IDS } from '../../core/config/types';
import type { DashboardData, DashboardDecisionPage, DashboardRange, DashboardRecommendation, DashboardVerified, DashboardWeight } from '../../core/ledger/dashboard';
import type { DecisionCursor } from '../../core/ledger/queries';
import type { LedgerStore } from '../../core/ledger/store';
import type { Isolation } from '../../core/verify/types';
import { writeAgentChains } from '../agentChains';
import type { ConfigService } from '../configService';
import { loadEngine, sqlWasmPath } from '../engine';
import type { LedgerService } from '../ledgerService';
import { Disposable } from '../lifecycle';
import type { Log } from '../log';
import type { DashboardChange, DashboardHost } from './dashboardController';

export class LedgerDashboardHost extends Disposable implements DashboardHost {
  private readonly changed = this._register(new vscode.EventEmitter<DashboardChange>());
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly configService: ConfigService,
    private readonly ledger: LedgerService,
    private readonly log: Log,
    /** How checks run here, once found (VerifyService): shown in the Verified routing section. */
    private readonly isolation: () => Isolation | undefined = () => undefined,
    /** The router's load-balance weights (RouterService.effectiveWeights); none before it is built. */
    private readonly weights: () => readonly DashboardWeight[] = () => [],
  ) {
    super();
    this._register(ledger.onDidRecord(() => this.changed.fire('ledger')));
    this._register(configService.onDidChange(() => this.changed.fire('config')));
  }

  async snapshot(rangeDays: DashboardRange): Promise<DashboardData> {
    const { config } = await this.configService.get();
    const store = await this.store();
    const engine = loadEngine();
    if (!store) {
      // An empty in-memory ledger gives the empty state with the budgets in force.
      return engine.dashboardSnapshot(await this.emptyDb(), config.budget, { now: Date.now(), rangeDays });
    }
    const data = engine.dashboardSnapshot(store.db, config.budget, { now: Date.now(), rangeDays });
    const weights = this.weights();
    return weights.length > 0 ? { ...data, weights } : data;
  }

  async decisions(before: DecisionCursor): Promise<DashboardDecisionPage> {
    const store = await this.store();
    const engine = loadEngine();
    return engine.dashboardDecisions(store?.db ?? (await this.emptyDb()), engine.DASHBOARD_DECISIONS, before);
  }

  async recommendations(rangeDays: DashboardRange): Promise<readonly DashboardRecommendation[]> {
    const { config } = await this.configService.get();
    const store = await this.store();
    if (!store) return [];
    return loadEngine().dashboardRecommendations(store.db, config, { now: Date.now(), rangeDays });
  }

  async verified(rangeDays: DashboardRange): Promise<DashboardVerified> {
    const { config } = await this.configService.get();
    const store = await this.store();
    const engine = loadEngine();
    const data = engine.dashboardVerified(store?.db ?? (await this.emptyDb()), config.budget, { now: Date.now(), rangeDays });
    const isolation = this.isolation();
    return isolation ? { ...data, isolation: { level: isolation.level, method: isolation.method, description: isolation.description } } : data;
  }

  async exportCosts(format: 'csv' | 'json', rangeDays: DashboardRange): Promise<boolean> {
    const { config } = await this.configService.get();
    const store = await this.store();
    if (!store) throw new Error('the usage ledger could not be opened (see the log)');
    const { fileName, content } = loadEngine().dashboardExport(store.db, config.budget, { now: Date.now(), rangeDays, format });
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'Model Router: export costs',
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, fileName) } : {}),
      filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
    });
    if (!target) return false;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(content));
    this.log.info(`Costs of the last ${rangeDays} days exported to ${target.fsPath} (${format.toUpperCase()}).`);
    void vscode.window.showInformationMessage(`Model Router: costs exported to ${vscode.workspace.asRelativePath(target)}.`);
    return true;
  }

  async applyRecommendation(recommendation: DashboardRecommendation): Promise<boolean> {
    const changes = Object.entries(recommendation.changes).filter((entry): entry is [AgentId, readonly string[]] =>
      (AGENT_IDS as readonly string[]).includes(entry[0]),
    );
    if (changes.length === 0) return false;
    const detail = changes.map(([agent, chain]) => `${agent}: ${chain.join(' → ')}`).join('\n');
    const choice = await vscode.window.showInformationMessage(
      recommendation.title,
      { modal: true, detail: `${recommendation.detail}\n\nThis writes your user settings:\n${detail}` },
      'Apply',
    );
    if (choice !== 'Apply') return false;
    await writeAgentChains(changes, this.log);
    this.log.info(`Recommendation applied (${recommendation.id}): ${detail.replace(/\n/g, '; ')}`);
    return true;
  }

  private store(): Promise<LedgerStore | undefined> {
    return this.ledger.store();
  }

  private empty: Promise<Database> | undefined;
  /** An empty, migrated in-memory ledger for the empty state when the real one cannot be opened. */
  private emptyDb(): Promise<Database> {
    this.empty ??= loadEngine().emptyLedgerDatabase({ wasmPath: sqlWasmPath() });
    return this.empty;
  }
}
