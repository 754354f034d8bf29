/**
 * The status bar item: today's spend against the daily budget and the last route; a click opens the cost dashboard.
 * Warning colour from 90% of the daily (or monthly) budget, error colour at 100%. It opens the ledger a moment after
 * activation (never during it), then follows ledger, configuration and run events.
 */
import * as vscode from 'vscode';

import type { LedgerRecord } from '../core/ledger/record';
import type { PeriodUsage } from '../core/ledger/spend';
import type { Decision } from '../core/routing/decision';
import { candidateName, PRICE_UNKNOWN_NOTE } from '../core/routing/describe';
import { errorMessage } from '../core/util/errorMessage';
import { formatUsd } from '../core/util/format';
import { escapeMarkdown } from '../core/util/markdown';
import type { Isolation } from '../core/verify/types';
import { CommandId } from './commandIds';
import type { ConfigService } from './configService';
import { loadEngine } from './engine';
import type { LedgerService } from './ledgerService';
import { Disposable } from './lifecycle';
import type { Log } from './log';

export type BudgetLevel = 'ok' | 'warning' | 'error';

/** The level of the worst period: error at 100% or more, warning from 90%. */
export function budgetLevel(usage: readonly PeriodUsage[]): BudgetLevel {
  let level: BudgetLevel = 'ok';
  for (const period of usage) {
    if (period.percent === undefined) continue;
    if (period.percent >= 100) return 'error';
    if (period.percent >= 90) level = 'warning';
  }
  return level;
}

/** The last route as the status bar shows it: from this window's last run, or the ledger's latest request. */
export interface LastRoute {
  readonly agent: string;
  readonly chosen?: { readonly provider: string; readonly model: string };
  readonly outcome: string;
  readonly complexity?: number;
  readonly costUsd: number;
  /** An attempt's model had no known price: the cost is an upper estimate. */
  readonly priceUnknown?: boolean;
}

export function lastRouteOf(decision: Decision): LastRoute {
  return {
    agent: decision.agent,
    ...(decision.chosen ? { chosen: decision.chosen } : {}),
    outcome: decision.outcome,
    ...(decision.complexity ? { complexity: decision.complexity.score } : {}),
    costUsd: decision.costUsd,
    ...(decision.attempts.some((a) => a.priceUnknown === true) ? { priceUnknown: true } : {}),
  };
}

function lastRouteOfRecord(record: LedgerRecord): LastRoute {
  return {
    agent: record.agent,
    ...(record.provider !== null && record.model !== null ? { chosen: { provider: record.provider, model: record.model } } : {}),
    outcome: record.outcome,
    ...(record.complexity !== null ? { complexity: record.complexity } : {}),
    costUsd: record.costNano / 1e9,
    ...(record.attempts.some((a) => a.priceUnknown === true) ? { priceUnknown: true } : {}),
  };
}

export function statusText(usage: readonly PeriodUsage[], last: LastRoute | undefined): string {
  const day = usage.find((u) => u.period === 'day');
  let text = `$(graph) ${formatUsd(day?.usedUsd ?? 0)}`;
  if (day?.limitUsd !== undefined) text += ` / ${formatUsd(day.limitUsd)}`;
  if (last?.chosen) text += ` · ${last.chosen.model}`;
  else if (last) text += ` · ${last.outcome}`;
  return text;
}

export class StatusBar extends Disposable {
  private checking: Isolation | undefined;
  private readonly item = this._register(vscode.window.createStatusBarItem('modelRouter.spend', vscode.StatusBarAlignment.Right, 100));
  private last: LastRoute | undefined;
  private usage: readonly PeriodUsage[] = [];

  constructor(
    private readonly configService: ConfigService,
    private readonly ledger: LedgerService,
    private readonly log: Log,
  ) {
    super();
    this.item.name = 'Model Router spend';
    this.item.command = CommandId.openDashboard;
    this.item.text = '$(graph) Model Router';
    this.item.tooltip = 'Model Router: open the cost dashboard';
    this.item.show();
    this._register(ledger.onDidRecord(() => void this.update()));
    this._register(configService.onDidChange(() => void this.update()));
    // A day boundary changes "today" without any event.
    const timer = setInterval(() => void this.update(), 60_000);
    this._register({ dispose: () => clearInterval(timer) });
    const first = setTimeout(() => void this.update(true), 1_500);
    this._register({ dispose: () => clearTimeout(first) });
  }

  /** The last route, shown next to the spend. */
  setLast(decision: Decision): void {
    this.last = lastRouteOf(decision);
    void this.update();
  }

  get text(): string {
    return this.item.text;
  }

  async update(open = false): Promise<void> {
    try {
      const { config } = await this.configService.get();
      const store = open ? await this.ledger.store() : this.ledger.current;
      if (!store) return;
      const engine = loadEngine();
      this.usage = engine.budgetUsage(store.db, config.budget, Date.now());
      // After a reload (or in a new window) the last route is the ledger's latest request.
      if (!this.last) {
        const latest = engine.latestDecisions(store.db, 1)[0];
        if (latest) this.last = lastRouteOfRecord(latest);
      }
      this.render();
    } catch (error) {
      this.log.error(`Status bar: ${errorMessage(error)}`);
    }
  }

  /** How answers are checked on this machine, once the first request that carries checks has found it. */
  setChecking(isolation: Isolation): void {
    this.checking = isolation;
    this.render();
  }

  private render(): void {
    const level = budgetLevel(this.usage);
    this.item.text = statusText(this.usage, this.last);
    this.item.backgroundColor = level === 'ok' ? undefined : new vscode.ThemeColor(level === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    // The last route's agent, provider and model come from the ledger (other windows write it too): escaped.
    const tooltip = new vscode.MarkdownString();
    tooltip.isTrusted = false;
    tooltip.supportHtml = false;
    for (const period of this.usage) {
      const name = period.period === 'day' ? 'Today' : 'This month';
      tooltip.appendMarkdown(
        `${name}: **${formatUsd(period.usedUsd)}**${period.limitUsd !== undefined ? ` of ${formatUsd(period.limitUsd)} (${Math.round(period.percent ?? 0)}%)` : ' (no budget set)'}\n\n`,
      );
    }
    if (this.last) {
      tooltip.appendMarkdown(
        `Last route: ${escapeMarkdown(this.last.agent)} → ${escapeMarkdown(this.last.chosen ? candidateName(this.last.chosen) : this.last.outcome)}${this.last.complexity !== undefined ? ` · complexity ${this.last.complexity}/10` : ''} · ${formatUsd(this.last.costUsd)}${this.last.priceUnknown === true ? ` ${escapeMarkdown(PRICE_UNKNOWN_NOTE)}` : ''}

`,
      );
    }
    if (this.checking) {
      const isolation = this.checking;
      tooltip.appendMarkdown(
        `Checking answers: ${isolation.level === 'none' ? '**not isolated**' : `isolated (${escapeMarkdown(isolation.method)}, ${isolation.level})`}: ${escapeMarkdown(isolation.description)}\n\n`,
      );
    }
    tooltip.appendMarkdown('Click to open the cost dashboard.');
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Model Router: ${this.item.text.replace('$(graph) ', '')} spent today` };
  }
}
