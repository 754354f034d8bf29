/**
 * The cost dashboard page. It sends `ready`, then draws each `update` (a whole aggregate snapshot) and each
 * `recommendations` message; actions go back as typed messages (protocol.ts). The range and the expanded decision
 * rows survive a reload through `setState`.
 *
 * Every ledger string reaches the page through `textContent` or an attribute (dom.ts), never as markup.
 */
import type {
  DashboardBudget,
  DashboardData,
  DashboardDecision,
  DashboardRange,
  DashboardVerdict,
  DashboardVerified,
} from '../../src/core/ledger/dashboard';
import type { BreakdownRow } from '../../src/core/ledger/queries';
import { DASHBOARD_PROTOCOL_VERSION } from '../../src/webview/protocol';
import type { DashboardCommand, HostMessage, RecommendationView, WebviewMessage } from '../../src/webview/protocol';
import { SpendChart, providerColorVar } from './chart';
import { h, icon, replaceChildren } from './dom';
import { formatMs, formatUsd, formatWeight } from '../../src/core/util/format';
import {
  commandLabel,
  formatCount,
  formatDayKey,
  formatFailure,
  formatLatency,
  formatMonthKey,
  formatPercent,
  formatTime,
  formatTimestamp,
  formatTokens,
  formatVerdict,
} from './format';

export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface PageState {
  readonly rangeDays: DashboardRange;
  readonly expanded: readonly string[];
}

const RANGES: readonly DashboardRange[] = [7, 30, 90];

function readState(api: VsCodeApi): PageState | undefined {
  const state = api.getState() as Partial<PageState> | undefined;
  if (!state || !RANGES.includes(state.rangeDays as DashboardRange)) return undefined;
  const expanded = Array.isArray(state.expanded) ? state.expanded.filter((id): id is string => typeof id === 'string').slice(0, 50) : [];
  return { rangeDays: state.rangeDays as DashboardRange, expanded };
}

const OUTCOME_ICONS: Readonly<Record<string, [string, string]>> = {
  answered: ['pass', 'ok'],
  failed: ['error', 'bad'],
  blocked: ['circle-slash', 'warn'],
  cancelled: ['circle-slash', 'muted'],
  aborted: ['circle-slash', 'muted'],
};

function outcomeBadge(outcome: string): HTMLElement {
  const [name, tone] = OUTCOME_ICONS[outcome] ?? ['info', 'muted'];
  return h('span', { class: ['outcome', `tone-${tone}`] }, icon(name), ` ${outcome}`);
}

const VERDICT_TONES: Readonly<Record<DashboardVerdict['verdict'], string>> = { pass: 'ok', fail: 'bad', unknown: 'muted' };

/** What a verdict's tooltip says: the counts, then each stored failure (ledger text: an attribute, never markup). */
function verdictTitle(verdict: DashboardVerdict): string {
  const head =
    verdict.verdict === 'pass'
      ? `Its code passed ${verdict.passed} of ${verdict.checks} checks (examples, asserts or tests the request carries).`
      : verdict.verdict === 'fail'
        ? `Its code failed ${verdict.failed} of ${Math.max(verdict.checks, verdict.failed)} checks.`
        : 'Nothing in the request could be run to check it.';
  const failures = (verdict.failures ?? []).map((f) => `• ${formatFailure(f)}`);
  const more = verdict.failed > failures.length && failures.length > 0 ? [`• and ${verdict.failed - failures.length} more`] : [];
  return [head, ...failures, ...more].join('\n');
}

/** "✓ 3/3 checked" and friends, with the failures in the tooltip. */
function verdictBadge(verdict: DashboardVerdict): HTMLElement {
  return h(
    'span',
    { class: ['verdict', `tone-${VERDICT_TONES[verdict.verdict]}`], attrs: { title: verdictTitle(verdict), 'data-testid': 'verdict' } },
    formatVerdict(verdict),
  );
}

const KEPT_WORDS: Readonly<Record<string, string>> = {
  pass: 'an answer that passed its checks',
  unknown: 'an answer nothing could check',
  'best-failing': 'the answer that failed fewest checks (none passed them all)',
};

function table(caption: string, headers: readonly (string | [string, string])[], testId: string): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const element = h(
    'table',
    { class: 'data', attrs: { 'data-testid': testId } },
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...headers.map((header) => {
          const [label, cls] = typeof header === 'string' ? [header, ''] : header;
          return h('th', { class: cls || undefined, attrs: { scope: 'col' } }, label);
        }),
      ),
    ),
    body,
  );
  return { table: element, body };
}

/** A number cell; `extra`: a column that gives way in a narrow panel (dashboard.css, `.extra`). */
const num = (text: string, testId?: string, extra = false): HTMLTableCellElement =>
  h('td', { class: ['num', extra && 'extra'], attrs: testId ? { 'data-testid': testId } : {} }, text);

/** A bar whose width shows a share (set through the CSSOM: the CSP allows no inline style attribute). */
function shareBar(share: number, colorVar?: string): HTMLElement {
  const fill = h('span', { class: 'share-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  if (colorVar) fill.style.backgroundColor = `var(${colorVar})`;
  return h('span', { class: 'share', attrs: { 'aria-hidden': 'true' } }, fill);
}

export class DashboardApp {
  private data: DashboardData | undefined;
  private rangeDays: DashboardRange = 30;
  private expanded = new Set<string>();
  private olderDecisions: DashboardDecision[] = [];
  private moreDecisions = false;
  private recommendations: { rangeDays: DashboardRange; state: 'loading' | 'ready' | 'error'; items: readonly RecommendationView[]; message?: string } | undefined;
  /** The range's verified-routing figures (they follow the snapshot: counted from the raw requests). */
  private verified: { rangeDays: DashboardRange; data?: DashboardVerified; message?: string } | undefined;
  private nextRequestId = 1;
  private readonly pending = new Map<number, (message: HostMessage) => void>();
  private readonly applying = new Set<string>();
  /** The range whose "Loading the last N days…" the status line shows until its snapshot arrives. */
  private loadingRange: DashboardRange | undefined;

  private readonly header: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly rangeGroup: HTMLElement;
  private readonly status: HTMLElement;
  private readonly errorBanner: HTMLElement;
  private readonly emptyState: HTMLElement;
  private readonly content: HTMLElement;
  private readonly budgets: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly chartSection: HTMLElement;
  private readonly chartTable: HTMLElement;
  private readonly chartCaption: HTMLElement;
  private readonly breakdowns: HTMLElement;
  private readonly models: HTMLElement;
  private readonly feedbackEl: HTMLElement;
  private readonly verifiedEl: HTMLElement;
  private readonly recommendationsEl: HTMLElement;
  private readonly decisionsEl: HTMLElement;
  private readonly chart: SpendChart;
  private readonly canvas: HTMLCanvasElement;

  constructor(private readonly api: VsCodeApi, private readonly root: HTMLElement) {
    const restored = readState(api);
    if (restored) {
      this.rangeDays = restored.rangeDays;
      this.expanded = new Set(restored.expanded);
    }
    this.subtitle = h('p', { class: 'subtitle', attrs: { 'data-testid': 'subtitle' } });
    this.rangeGroup = h('div', { class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': 'Range' } });
    this.header = h(
      'header',
      { class: 'page-header' },
      h('div', { class: 'title' }, h('h1', {}, icon('graph'), ' Model Router costs'), this.subtitle),
      h(
        'div',
        { class: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Dashboard actions' } },
        this.rangeGroup,
        this.button('refresh', 'Refresh', () => this.post({ type: 'refresh' }), 'secondary', 'refresh'),
        this.button('export', 'Export CSV', () => this.exportCosts('csv'), 'secondary', 'export-csv'),
        this.button('export', 'Export JSON', () => this.exportCosts('json'), 'secondary', 'export-json'),
      ),
    );
    this.status = h('p', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite', 'data-testid': 'status' } });
    this.errorBanner = h('div', { class: 'banner error', attrs: { role: 'alert', hidden: true } });
    this.emptyState = h('section', { class: 'empty', attrs: { hidden: true, 'data-testid': 'empty-state', 'aria-labelledby': 'empty-title' } });
    this.budgets = h('section', { class: 'budgets', attrs: { 'aria-label': 'Budgets' } });
    this.summary = h('section', { class: 'summary', attrs: { 'aria-label': 'Totals for the range' } });
    this.canvas = h('canvas', { attrs: { role: 'img', 'data-testid': 'spend-chart' } });
    this.chartCaption = h('h2', { attrs: { id: 'spend-title' } }, 'Spend per day');
    this.chartTable = h('div', { class: 'chart-table' });
    this.chartSection = h(
      'section',
      { class: 'card wide', attrs: { 'aria-labelledby': 'spend-title' } },
      this.chartCaption,
      h('div', { class: 'chart-box' }, this.canvas),
      h('details', { class: 'as-table' }, h('summary', {}, 'Show the chart as a table'), this.chartTable),
    );
    this.breakdowns = h('div', { class: 'pair' });
    this.models = h('section', { class: 'card wide', attrs: { 'aria-labelledby': 'models-title' } });
    this.feedbackEl = h('section', { class: 'card wide', attrs: { 'aria-labelledby': 'feedback-title', 'data-testid': 'feedback' } });
    this.verifiedEl = h('section', { class: 'card wide', attrs: { 'aria-labelledby': 'verified-title', 'data-testid': 'verified' } });
    this.recommendationsEl = h('section', { class: 'card wide', attrs: { 'aria-labelledby': 'recommendations-title', 'data-testid': 'recommendations' } });
    this.decisionsEl = h('section', { class: 'card wide decisions', attrs: { 'aria-labelledby': 'decisions-title' } });
    this.content = h(
      'div',
      { class: 'content', attrs: { hidden: true } },
      this.budgets,
      this.summary,
      this.chartSection,
      this.breakdowns,
      this.models,
      this.feedbackEl,
      this.verifiedEl,
      this.recommendationsEl,
      this.decisionsEl,
    );
    this.chart = new SpendChart(this.canvas);
    replaceChildren(root, this.header, this.errorBanner, this.status, this.emptyState, this.content);
    this.renderRange();
    window.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
    // The theme changed (VS Code sets the body's class): redraw the canvas with the new colours.
    new MutationObserver(() => this.chart.restyle()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    const ready: WebviewMessage = restored
      ? { type: 'ready', protocol: DASHBOARD_PROTOCOL_VERSION, rangeDays: restored.rangeDays }
      : { type: 'ready', protocol: DASHBOARD_PROTOCOL_VERSION };
    this.api.postMessage(ready);
  }

  private post(message: WebviewMessage): void {
    this.api.postMessage(message);
  }

  private saveState(): void {
    this.api.setState({ rangeDays: this.rangeDays, expanded: [...this.expanded].slice(-50) } satisfies PageState);
  }

  private request(build: (requestId: number) => WebviewMessage, onReply: (message: HostMessage) => void): void {
    const requestId = this.nextRequestId++;
    this.pending.set(requestId, onReply);
    this.post(build(requestId));
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private button(
    iconName: string,
    label: string,
    onClick: () => void,
    kind: 'primary' | 'secondary' = 'primary',
    testId?: string,
  ): HTMLButtonElement {
    return h(
      'button',
      { class: ['button', kind], attrs: { type: 'button', 'data-testid': testId }, on: { click: onClick } },
      icon(iconName),
      h('span', {}, label),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Messages from the host
  // -------------------------------------------------------------------------------------------------------------

  private receive(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const typed = message as HostMessage;
    switch (typed.type) {
      case 'update': {
        const received = performance.now();
        this.update(typed.data);
        requestAnimationFrame(() => this.post({ type: 'rendered', ms: performance.now() - received }));
        return;
      }
      case 'recommendations':
        if (typed.rangeDays !== this.rangeDays) return;
        this.recommendations = {
          rangeDays: typed.rangeDays,
          state: typed.state,
          items: typed.state === 'ready' ? typed.items : (this.recommendations?.items ?? []),
          ...(typed.state === 'error' ? { message: typed.message } : {}),
        };
        this.renderRecommendations();
        return;
      case 'verified':
        if (typed.rangeDays !== this.rangeDays) return;
        this.verified = typed.state === 'ready' ? { rangeDays: typed.rangeDays, data: typed.data } : { rangeDays: typed.rangeDays, message: typed.message };
        if (this.data && !this.data.empty) this.renderVerified();
        return;
      case 'decisions':
      case 'reply': {
        const handler = this.pending.get(typed.requestId);
        this.pending.delete(typed.requestId);
        handler?.(typed);
        return;
      }
      case 'error':
        this.errorBanner.hidden = false;
        replaceChildren(this.errorBanner, icon('error'), ' ', typed.message);
        this.root.setAttribute('aria-busy', 'false');
        return;
    }
  }

  private update(data: DashboardData): void {
    // Everything is redrawn: remember which control had the focus and give it back afterwards.
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.['focusKey'];
    const rangeChanged = this.data?.rangeDays !== data.rangeDays;
    this.data = data;
    this.rangeDays = data.rangeDays;
    this.errorBanner.hidden = true;
    this.root.setAttribute('aria-busy', 'false');
    if (this.loadingRange === data.rangeDays) {
      // Unless an action said something since.
      if (this.status.textContent === `Loading the last ${data.rangeDays} days…`) this.say('');
      this.loadingRange = undefined;
    }
    this.mergeDecisions(data);
    this.saveState();
    this.renderRange();
    this.subtitle.textContent = `Last ${data.rangeDays} days · ${data.timeZone} · updated ${formatTime(data.generatedAt, data.timeZone, data.generatedAt)}`;
    if (rangeChanged && this.recommendations?.rangeDays !== data.rangeDays) this.recommendations = undefined;
    if (this.verified?.rangeDays !== data.rangeDays) this.verified = undefined;
    if (data.empty) {
      this.content.hidden = true;
      this.rangeGroup.hidden = true;
      this.renderEmpty();
      this.emptyState.hidden = false;
      this.chart.destroy();
      return;
    }
    this.emptyState.hidden = true;
    this.rangeGroup.hidden = false;
    this.content.hidden = false;
    this.renderBudgets(data);
    this.renderSummary(data);
    this.renderChart(data);
    this.renderBreakdowns(data);
    this.renderModels(data);
    this.renderVerified();
    this.renderRecommendations();
    this.renderDecisions();
    if (focusKey) this.root.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  /** A live update replaces the first page; older pages loaded before stay below it (no duplicates). */
  private mergeDecisions(data: DashboardData): void {
    const first = data.decisions.decisions;
    const last = first[first.length - 1];
    const ids = new Set(first.map((d) => d.id));
    this.olderDecisions = last
      ? this.olderDecisions.filter((d) => !ids.has(d.id) && (d.startedAt < last.startedAt || (d.startedAt === last.startedAt && d.id < last.id)))
      : [];
    this.moreDecisions = this.olderDecisions.length > 0 ? this.moreDecisions : data.decisions.more;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Header
  // -------------------------------------------------------------------------------------------------------------

  private renderRange(): void {
    const buttons = RANGES.map((days) => {
      const checked = days === this.rangeDays;
      return h(
        'button',
        {
          class: ['segment', checked && 'checked'],
          attrs: {
            type: 'button',
            role: 'radio',
            'aria-checked': checked ? 'true' : 'false',
            tabindex: checked ? 0 : -1,
            'data-testid': `range-${days}`,
            'data-focus-key': `range-${days}`,
          },
          on: {
            click: () => this.selectRange(days),
            keydown: (event) => this.rangeKey(event as KeyboardEvent, days),
          },
        },
        `${days} days`,
      );
    });
    replaceChildren(this.rangeGroup, ...buttons);
  }

  private rangeKey(event: KeyboardEvent, days: DashboardRange): void {
    const step = event.key === 'ArrowRight' || event.key === 'ArrowDown' ? 1 : event.key === 'ArrowLeft' || event.key === 'ArrowUp' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = RANGES[(RANGES.indexOf(days) + step + RANGES.length) % RANGES.length]!;
    this.selectRange(next);
    this.rangeGroup.querySelector<HTMLButtonElement>(`[data-testid="range-${next}"]`)?.focus();
  }

  private selectRange(days: DashboardRange): void {
    if (days === this.rangeDays) return;
    this.rangeDays = days;
    this.expanded.clear();
    this.olderDecisions = [];
    this.recommendations = undefined;
    this.verified = undefined;
    this.saveState();
    this.renderRange();
    this.root.setAttribute('aria-busy', 'true');
    this.loadingRange = days;
    this.say(`Loading the last ${days} days…`);
    this.post({ type: 'setRange', rangeDays: days });
  }

  private exportCosts(format: 'csv' | 'json'): void {
    this.say(`Exporting ${format.toUpperCase()}…`);
    this.request(
      (requestId) => ({ type: 'export', requestId, format }),
      (reply) => {
        if (reply.type !== 'reply') return;
        this.say(reply.ok ? `Exported the last ${this.rangeDays} days as ${format.toUpperCase()}.` : (reply.message ?? 'Export failed.'));
      },
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Empty state
  // -------------------------------------------------------------------------------------------------------------

  private renderEmpty(): void {
    const command = (name: DashboardCommand): void => this.post({ type: 'runCommand', command: name });
    replaceChildren(
      this.emptyState,
      h('div', { class: 'empty-icon' }, icon('graph')),
      h('h2', { attrs: { id: 'empty-title' } }, 'No routed requests yet'),
      h('p', {}, 'Every request Model Router sends is recorded here with its model, tokens, cost and latency. To make the first one:'),
      h(
        'ol',
        {},
        h('li', {}, 'Set an API key for a provider, or start a local server (LM Studio on port 1234, Ollama on 11434).'),
        h('li', {}, 'Select some code in an editor.'),
        h('li', {}, 'Run ', h('strong', {}, 'Model Router: Explain'), ' from the Command Palette (', h('kbd', {}, 'Ctrl+Shift+P'), ' or ', h('kbd', {}, '⇧⌘P'), ').'),
      ),
      h('p', {}, 'This page updates as soon as the request finishes.'),
      h(
        'div',
        { class: 'actions' },
        this.button('key', 'Set API Key…', () => command('setApiKey'), 'primary', 'empty-set-key'),
        this.button('settings-gear', 'Open Settings', () => command('openSettings'), 'secondary', 'empty-settings'),
      ),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Budgets and totals
  // -------------------------------------------------------------------------------------------------------------

  private budgetCard(budget: DashboardBudget): HTMLElement {
    const period = budget.period;
    const title = period === 'day' ? 'Today' : 'This month';
    const when = period === 'day' ? formatDayKey(budget.periodKey) : formatMonthKey(budget.periodKey);
    const limit =
      budget.limitUsd === null
        ? h('span', { attrs: { 'data-testid': `budget-${period}-limit` } }, `No ${period === 'day' ? 'daily' : 'monthly'} budget set`)
        : h('span', {}, 'of ', h('span', { attrs: { 'data-testid': `budget-${period}-limit` } }, formatUsd(budget.limitUsd)), period === 'day' ? ' daily budget' : ' monthly budget');
    const children: HTMLElement[] = [
      h('div', { class: 'card-head' }, h('h2', {}, title), h('span', { class: 'muted' }, when)),
      h('div', { class: 'amount', attrs: { 'data-testid': `budget-${period}-used` } }, formatUsd(budget.usedUsd)),
      h('div', { class: 'muted' }, limit),
    ];
    if (budget.limitUsd !== null) {
      const percent = budget.percent;
      const fill = h('span', { class: 'meter-fill' });
      fill.style.width = `${Math.min(100, percent ?? 100)}%`;
      children.push(
        h(
          'div',
          {
            class: 'meter',
            attrs: {
              role: 'meter',
              'aria-label': `${title}: share of the budget used`,
              'aria-valuemin': 0,
              'aria-valuemax': 100,
              'aria-valuenow': Math.round(Math.min(100, percent ?? 100)),
              'aria-valuetext': percent === null ? 'over a budget of $0' : formatPercent(percent / 100),
            },
          },
          fill,
        ),
        h(
          'div',
          { class: ['meter-label', `tone-${budget.status}`] },
          budget.status === 'over' ? icon('error') : budget.status === 'warning' ? icon('warning') : null,
          budget.status === 'ok' ? null : ' ',
          h('span', { attrs: { 'data-testid': `budget-${period}-percent` } }, percent === null ? 'over budget' : `${formatPercent(percent / 100)} used`),
          budget.status === 'over' ? ' · over budget' : budget.status === 'warning' ? ' · nearly spent' : '',
        ),
      );
    }
    return h('div', { class: ['card', 'budget', `status-${budget.status}`], attrs: { 'data-testid': `budget-${period}` } }, ...children);
  }

  private renderBudgets(data: DashboardData): void {
    replaceChildren(this.budgets, this.budgetCard(data.budgets.day), this.budgetCard(data.budgets.month));
  }

  private renderSummary(data: DashboardData): void {
    const t = data.totals;
    const tile = (label: string, value: string, testId: string, note?: string): HTMLElement =>
      h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value', attrs: { 'data-testid': testId } }, value), note ? h('div', { class: 'muted small' }, note) : null);
    replaceChildren(
      this.summary,
      tile(`Spend, ${data.rangeDays} days`, formatUsd(t.costUsd), 'summary-cost', t.requests > 0 ? `${formatUsd(t.costUsd / t.requests)} per request` : undefined),
      tile('Requests', formatCount(t.requests), 'summary-requests'),
      tile('Answered', formatPercent(t.successRate), 'summary-success', `${formatCount(t.answered)} of ${formatCount(t.requests)}`),
      tile('Tokens in / out', `${formatTokens(t.inputTokens)} / ${formatTokens(t.outputTokens)}`, 'summary-tokens', t.cacheRead > 0 ? `${formatTokens(t.cacheRead)} read from cache` : undefined),
    );
  }

  private renderChart(data: DashboardData): void {
    const spend = data.spend;
    const total = spend.totalUsd.reduce((sum, usd) => sum + usd, 0);
    this.chartCaption.textContent = `Spend per day, by provider`;
    this.canvas.setAttribute('aria-label', `Daily spend by provider over the last ${data.rangeDays} days: ${formatUsd(total)} in total. The table below has the numbers.`);
    this.chart.update(spend);
    const { table: element, body } = table(`Daily spend by provider, last ${data.rangeDays} days`, ['Day', ...spend.providers, ['Total', 'num']], 'spend-table');
    element.querySelectorAll('th').forEach((th, i) => i > 0 && th.classList.add('num'));
    spend.days.forEach((day, d) => {
      body.appendChild(
        h(
          'tr',
          { attrs: { 'data-testid': 'spend-row', 'data-day': day } },
          h('td', {}, formatDayKey(day)),
          ...spend.providers.map((_, i) => num(formatUsd(spend.usdByProvider[i]![d]!))),
          num(formatUsd(spend.totalUsd[d]!), 'spend-total'),
        ),
      );
    });
    replaceChildren(this.chartTable, element);
  }

  private breakdownTable(title: string, id: string, rows: readonly BreakdownRow[], total: number, nameHeader: string, colored: boolean): HTMLElement {
    const { table: element, body } = table(title, [nameHeader, ['Requests', 'num'], ['Answered', 'num'], ['Cost', 'num'], ['Share', 'share-col']], `${id}-table`);
    rows.forEach((row, i) => {
      const share = total > 0 ? row.costUsd / total : 0;
      body.appendChild(
        h(
          'tr',
          { attrs: { 'data-testid': `${id}-row`, 'data-key': row.key } },
          h('td', { class: 'name', attrs: { 'data-testid': 'key' } }, row.key),
          num(formatCount(row.requests), 'requests'),
          num(formatPercent(row.successRate), 'success'),
          num(formatUsd(row.costUsd), 'cost'),
          h('td', { class: 'share-col' }, shareBar(share, colored ? providerColorVar(row.key.split('/')[0]!, i) : undefined), h('span', { class: 'muted small' }, ` ${formatPercent(share)}`)),
        ),
      );
    });
    const empty = rows.length === 0 ? h('p', { class: 'muted' }, `No requests in the last ${this.rangeDays} days.`) : null;
    return h('section', { class: 'card', attrs: { 'aria-labelledby': `${id}-title` } }, h('h2', { attrs: { id: `${id}-title` } }, title), empty ?? h('div', { class: 'scroll' }, element));
  }

  private renderBreakdowns(data: DashboardData): void {
    replaceChildren(
      this.breakdowns,
      this.breakdownTable('By agent', 'agent', data.byAgent, data.totals.costUsd, 'Agent', false),
      this.breakdownTable('By model', 'model', data.byModel, data.totals.costUsd, 'Model', true),
    );
  }

  private renderModels(data: DashboardData): void {
    const { table: element, body } = table(
      'Per model: every request sent to it, retries and fallbacks included',
      ['Model', ['Requests', 'num'], ['Success', 'num'], ['p50', 'num'], ['p95', 'num'], ['Tokens in', 'num'], ['Tokens out', 'num'], ['Cost', 'num'], ['Tokens/s', 'num']],
      'models-table',
    );
    for (const m of data.models) {
      body.appendChild(
        h(
          'tr',
          { attrs: { 'data-testid': 'models-row', 'data-key': `${m.provider}/${m.model}` } },
          h('td', { class: 'name' }, h('span', { class: 'muted' }, `${m.provider}/`), m.model),
          num(formatCount(m.requests), 'requests'),
          num(formatPercent(m.successRate), 'success'),
          num(formatLatency(m.latencyP50Ms), 'p50'),
          num(formatLatency(m.latencyP95Ms), 'p95'),
          num(formatTokens(m.inputTokens), 'input'),
          num(formatTokens(m.outputTokens), 'output'),
          num(formatUsd(m.costUsd), 'cost'),
          num(m.tokensPerSecond === null ? '—' : m.tokensPerSecond.toFixed(m.tokensPerSecond < 10 ? 1 : 0), 'tokens-per-second'),
        ),
      );
    }
    this.renderFeedback(data);
    replaceChildren(
      this.models,
      h('h2', { attrs: { id: 'models-title' } }, 'Models'),
      h('p', { class: 'muted small' }, 'Every request sent to a model, retries and fallbacks included; latency of the successful ones (median and 95th percentile).'),
      data.models.length === 0 ? h('p', { class: 'muted' }, `No requests in the last ${data.rangeDays} days.`) : h('div', { class: 'scroll' }, element),
      ...this.weightsTable(data),
    );
  }

  /** Load-balance weights: configured and effective (weight × (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s)). */
  private weightsTable(data: DashboardData): HTMLElement[] {
    const weights = data.weights ?? [];
    if (weights.length === 0) return [];
    const { table: element, body } = table(
      'Load-balance weight per provider: configured, and adjusted by its recent error rate and median latency',
      ['Provider', ['Weight', 'num'], ['Effective', 'num'], ['Errors', 'num'], ['p50', 'num']],
      'weights-table',
    );
    for (const w of weights) {
      body.appendChild(
        h(
          'tr',
          { attrs: { 'data-testid': 'weights-row', 'data-key': w.provider } },
          h('td', { class: 'name' }, w.provider),
          num(formatWeight(w.weight), 'weight'),
          num(formatWeight(w.effective), 'effective'),
          num(w.measured ? formatPercent(w.errorRate) : '—', 'errors'),
          num(formatLatency(w.p50Ms), 'p50'),
        ),
      );
    }
    return [
      h('h3', { attrs: { id: 'weights-title' } }, 'Load-balance weights'),
      h(
        'p',
        { class: 'muted small' },
        'Effective weight = weight × (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s), over the attempts of the last hours (half-life 30 minutes). Used by the load-balance strategy; "Model Router: Rebalance..." edits the weights.',
      ),
      h('div', { class: 'scroll' }, element),
    ];
  }

  /** What users did with the answers, per agent and model: acceptance and comparison picks. */
  private renderFeedback(data: DashboardData): void {
    const rows = data.feedback ?? [];
    const { table: element, body } = table(
      'Per agent and model: what you did with the answers',
      ['Agent', 'Model', ['Accepted', 'num'], ['Rejected', 'num'], ['Undone', 'num'], ['Retried stronger', 'num'], ['Acceptance', 'num'], ['Comparison wins', 'num'], ['Losses', 'num'], ['Both fine', 'num'], ['Neither', 'num']],
      'feedback-table',
    );
    for (const f of rows) {
      body.appendChild(
        h(
          'tr',
          { attrs: { 'data-testid': 'feedback-row', 'data-key': `${f.agent} ${f.provider}/${f.model}` } },
          h('td', { attrs: { 'data-testid': 'agent' } }, f.agent),
          h('td', { class: 'name', attrs: { 'data-testid': 'model' } }, h('span', { class: 'muted' }, `${f.provider}/`), f.model),
          num(formatCount(f.accepted), 'accepted'),
          num(formatCount(f.rejected), 'rejected'),
          num(formatCount(f.undone), 'undone'),
          num(formatCount(f.retriedStronger), 'retried'),
          num(f.acceptanceRate === null ? '—' : formatPercent(f.acceptanceRate), 'acceptance'),
          num(formatCount(f.compareWins), 'wins'),
          num(formatCount(f.compareLosses), 'losses'),
          num(formatCount(f.compareBoth), 'both'),
          num(formatCount(f.compareNeither), 'neither'),
        ),
      );
    }
    const cached = data.cached && data.cached.requests > 0
      ? h('p', { class: 'muted small', attrs: { 'data-testid': 'cached-summary' } }, `${formatCount(data.cached.requests)} answered from the cache, saving ${formatUsd(data.cached.savedUsd)}.`)
      : null;
    replaceChildren(
      this.feedbackEl,
      h('h2', { attrs: { id: 'feedback-title' } }, 'Feedback'),
      h('p', { class: 'muted small' }, 'Diffs accepted, rejected or undone, "Retry with a Stronger Model", and the picks of Compare Models. Acceptance: accepted and not undone, of the answers judged.'),
      cached,
      rows.length === 0 ? h('p', { class: 'muted' }, `No feedback in the last ${data.rangeDays} days.`) : h('div', { class: 'scroll' }, element),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Verified routing (verify-then-escalate)
  // -------------------------------------------------------------------------------------------------------------

  private renderVerified(): void {
    const title = h('h2', { attrs: { id: 'verified-title' } }, icon('verified'), ' Verified routing');
    const state = this.verified;
    if (!state) {
      replaceChildren(this.verifiedEl, title, h('p', { class: 'muted', attrs: { 'data-testid': 'verified-loading' } }, icon('loading', 'codicon-modifier-spin'), ' Counting verified requests…'));
      return;
    }
    if (!state.data) {
      replaceChildren(this.verifiedEl, title, h('p', { class: 'tone-over' }, icon('error'), ` Could not count verified requests: ${state.message ?? ''}`));
      return;
    }
    const v = state.data;
    if (v.requests === 0) {
      replaceChildren(
        this.verifiedEl,
        title,
        h(
          'p',
          { class: 'muted', attrs: { 'data-testid': 'verified-empty' } },
          `No verified requests in the last ${state.rangeDays} days. With `,
          h('code', {}, 'modelRouter.verify.run'),
          ' set to ask or on, Implement, Fix, Refactor and Write Tests are answered by a cheap model first; its code is checked by running the examples, asserts and tests the request carries, and only a failed check sends the request to a stronger model. This section then shows how many answers stayed on the cheap tier and what that saved.',
        ),
      );
      return;
    }
    const tile = (label: string, value: string, testId: string, note?: string): HTMLElement =>
      h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value', attrs: { 'data-testid': testId } }, value), note ? h('div', { class: 'muted small', attrs: { 'data-testid': `${testId}-note` } }, note) : null);
    const share = (n: number): string => `${formatPercent(n / v.requests)} of them`;
    const saved = v.savedNano / 1e9;
    const savedNote =
      v.estimated === 0
        ? 'no request has a strongest-tier estimate'
        : `${formatUsd(v.costNano / 1e9)} spent against ${formatUsd(v.strongNano / 1e9)} on the strongest tier` +
          (v.estimated < v.requests ? ` (${formatCount(v.estimated)} of ${formatCount(v.requests)} requests have an estimate)` : '');
    replaceChildren(
      this.verifiedEl,
      title,
      h('p', { class: 'muted small' }, 'Edit requests answered by the cheapest tier first, its code checked by running what the request says it must do; a failed check escalates one tier.'),
      v.isolation
        ? h(
            'p',
            { class: v.isolation.level === 'none' ? 'small tone-over' : 'muted small', attrs: { 'data-testid': 'verified-isolation' } },
            icon(v.isolation.level === 'none' ? 'warning' : 'shield'),
            // The description is this extension's own text (isolation.ts), shown as text like everything here.
            v.isolation.level === 'none' ? ` Checks run NOT isolated here: ${v.isolation.description}.` : ` Checks run isolated here (${v.isolation.method}): ${v.isolation.description}.`,
          )
        : null,
      h(
        'div',
        { class: 'summary' },
        tile('Verified requests', formatCount(v.requests), 'verified-requests', v.unanswered > 0 ? `${formatCount(v.unanswered)} without an answer` : undefined),
        tile('Kept on the first tier', formatCount(v.keptFirst), 'verified-kept', `${share(v.keptFirst)} · ${formatCount(v.keptFirstPassed)} passed their checks`),
        tile('Escalated by a failed check', formatCount(v.escalated), 'verified-escalated', share(v.escalated)),
        tile('Shown although failing', formatCount(v.bestFailing), 'verified-failing', v.notChecked > 0 ? `${formatCount(v.notChecked)} kept without a check` : share(v.bestFailing)),
        tile(saved < 0 ? 'Cost more than the strongest tier' : 'Saved', formatUsd(Math.abs(saved)), 'verified-saved', savedNote),
      ),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Recommendations
  // -------------------------------------------------------------------------------------------------------------

  private renderRecommendations(): void {
    const title = h('h2', { attrs: { id: 'recommendations-title' } }, icon('lightbulb'), ' Recommendations');
    const state = this.recommendations;
    if (!state || (state.state === 'loading' && state.items.length === 0)) {
      replaceChildren(this.recommendationsEl, title, h('p', { class: 'muted', attrs: { 'data-testid': 'recommendations-loading' } }, icon('loading', 'codicon-modifier-spin'), ' Looking for savings in the ledger…'));
      return;
    }
    if (state.state === 'error') {
      replaceChildren(this.recommendationsEl, title, h('p', { class: 'tone-over' }, icon('error'), ` Could not compute recommendations: ${state.message ?? ''}`));
      return;
    }
    if (state.items.length === 0) {
      replaceChildren(this.recommendationsEl, title, h('p', { class: 'muted', attrs: { 'data-testid': 'recommendations-none' } }, `Nothing to recommend for the last ${state.rangeDays} days: routing looks right for what the ledger shows.`));
      return;
    }
    const list = h('ul', { class: 'recommendations' });
    for (const item of state.items) {
      const saving =
        item.savingsUsd > 0
          ? h('span', { class: 'saving', attrs: { 'data-testid': 'saving' } }, icon('pass'), ` Saves about ${formatUsd(item.savingsUsd)} per ${state.rangeDays} days`)
          : h('span', { class: 'saving', attrs: { 'data-testid': 'saving' } }, icon('history'), ` Saves about ${formatMs(item.savedMs)} of waiting per ${state.rangeDays} days`);
      const changes = Object.entries(item.changes).map(([agent, chain]) =>
        h('li', {}, h('strong', {}, agent), ': ', chain.join(' → ')),
      );
      const busy = this.applying.has(item.id);
      const apply = h(
        'button',
        {
          class: ['button', 'primary'],
          attrs: { type: 'button', 'data-testid': 'apply', 'aria-label': `Apply: ${item.title}`, disabled: busy, 'data-focus-key': `apply-${item.id}` },
          on: { click: () => this.apply(item) },
        },
        icon(busy ? 'loading' : 'check', busy ? 'codicon-modifier-spin' : undefined),
        h('span', {}, busy ? 'Applying…' : 'Apply…'),
      );
      list.appendChild(
        h(
          'li',
          { class: 'recommendation', attrs: { 'data-testid': 'recommendation', 'data-id': item.id } },
          h('div', { class: 'rec-main' }, h('h3', {}, item.title), h('p', {}, item.detail), saving, h('div', { class: 'muted small' }, 'Writes: '), h('ul', { class: 'changes' }, ...changes)),
          h('div', { class: 'rec-action' }, apply),
        ),
      );
    }
    replaceChildren(this.recommendationsEl, title, list);
  }

  private apply(item: RecommendationView): void {
    this.applying.add(item.id);
    this.renderRecommendations();
    this.request(
      (requestId) => ({ type: 'applyRecommendation', requestId, id: item.id }),
      (reply) => {
        this.applying.delete(item.id);
        if (reply.type === 'reply') this.say(reply.ok ? `Applied: ${item.title}.` : (reply.message ?? 'Not applied.'));
        this.renderRecommendations();
      },
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Decisions
  // -------------------------------------------------------------------------------------------------------------

  private renderDecisions(): void {
    const data = this.data;
    if (!data) return;
    const decisions = [...data.decisions.decisions, ...this.olderDecisions];
    const { table: element, body } = table(
      'Latest routing decisions, newest first',
      [['', 'expander'], 'Time', 'Command · agent', 'Complexity', 'Model', ['Fallbacks', 'num extra'], ['Tokens in / out', 'num extra'], ['Cost', 'num'], ['Latency', 'num extra'], 'Outcome'],
      'decisions-table',
    );
    decisions.forEach((decision, index) => {
      const open = this.expanded.has(decision.id);
      const detailsId = `attempts-${index}`;
      const time = formatTime(decision.startedAt, data.timeZone, data.generatedAt);
      const toggle = h(
        'button',
        {
          class: 'icon-button',
          attrs: {
            type: 'button',
            'aria-expanded': open ? 'true' : 'false',
            'aria-controls': detailsId,
            'aria-label': `${open ? 'Hide' : 'Show'} the attempts of the request at ${time}`,
            'data-focus-key': `decision-${decision.id}`,
            'data-testid': 'expand',
          },
          on: { click: () => this.toggle(decision.id) },
        },
        icon(open ? 'chevron-down' : 'chevron-right'),
      );
      const model = decision.model ? `${decision.provider ?? ''}/${decision.model}` : '—';
      body.appendChild(
        h(
          'tr',
          { class: ['decision', open && 'open'], attrs: { 'data-testid': 'decision-row', 'data-id': decision.id } },
          h('td', { class: 'expander' }, toggle),
          h('td', { class: 'time', attrs: { title: formatTimestamp(decision.startedAt, data.timeZone), 'data-testid': 'time' } }, time),
          h('td', { attrs: { 'data-testid': 'command' } }, commandLabel(decision.command, decision.task), h('span', { class: 'muted' }, ` · ${decision.agent}`)),
          h(
            'td',
            { attrs: { title: decision.reasons.join('; '), 'data-testid': 'complexity' } },
            decision.complexity === null ? '—' : String(decision.complexity),
            h('span', { class: 'tier' }, decision.tier),
            decision.escalated ? h('span', { class: 'tag' }, 'escalated') : null,
            decision.escalatedBy === 'verification' ? h('span', { class: ['tag', 'by-check'], attrs: { 'data-testid': 'escalated-by' } }, '↑ by a failed check') : null,
            decision.downgraded ? h('span', { class: 'tag' }, 'downgraded') : null,
            decision.forced ? h('span', { class: 'tag' }, 'forced') : null,
          ),
          h('td', { class: 'name', attrs: { 'data-testid': 'model' } }, model),
          num(decision.fallbacks > 0 ? String(decision.fallbacks) : '0', 'fallbacks', true),
          num(`${formatTokens(decision.inputTokens)} / ${formatTokens(decision.outputTokens)}`, 'tokens', true),
          num(
            decision.attempts.some((a) => a.priceUnknown === true) ? `${formatUsd(decision.costUsd)} (price unknown)` : formatUsd(decision.costUsd),
            'cost',
          ),
          num(formatMs(decision.latencyMs), 'latency', true),
          h(
            'td',
            { attrs: { 'data-testid': 'outcome' } },
            outcomeBadge(decision.outcome),
            decision.verdict ? h('div', {}, verdictBadge(decision.verdict)) : null,
            decision.cached
              ? h('div', { class: 'muted small', attrs: { 'data-testid': 'cached' } }, `cached from ${formatTime(decision.cached.from, data.timeZone, data.generatedAt)} (saved ${formatUsd(decision.cached.savedUsd)})`)
              : null,
          ),
        ),
      );
      const details = h('tr', { class: 'attempts', attrs: { id: detailsId, hidden: !open, 'data-testid': 'attempts-row' } });
      if (open) details.appendChild(h('td', { attrs: { colspan: 10 } }, this.attemptsOf(decision, data.timeZone)));
      body.appendChild(details);
    });
    const more = this.moreDecisions
      ? h('div', { class: 'more' }, this.button('chevron-down', 'Load older decisions', () => this.loadMore(), 'secondary', 'load-more'))
      : null;
    replaceChildren(
      this.decisionsEl,
      h('h2', { attrs: { id: 'decisions-title' } }, 'Latest routing decisions'),
      decisions.length === 0 ? h('p', { class: 'muted' }, 'No decisions yet.') : h('div', { class: 'scroll' }, element),
      more,
    );
  }

  private attemptsOf(decision: DashboardDecision, timeZone: string): HTMLElement {
    const { table: element, body } = table(
      'Attempts of this request, in order',
      ['#', ['Started', 'extra'], 'Provider / model', 'Key', 'Result', ['HTTP', 'num'], ['Latency', 'num'], ['First token', 'num'], ['Tokens in / out', 'num'], ['Cost', 'num']],
      'attempts-table',
    );
    for (const a of decision.attempts) {
      body.appendChild(
        h(
          'tr',
          { attrs: { 'data-testid': 'attempt-row' } },
          h('td', {}, String(a.seq + 1)),
          h('td', { class: 'extra' }, formatTime(a.startedAt, timeZone, decision.startedAt)),
          h('td', { class: 'name' }, `${a.provider}/${a.model}`),
          h('td', {}, a.keyId),
          h(
            'td',
            { attrs: { 'data-testid': 'attempt-result' } },
            a.status === 'ok' ? outcomeBadge('answered') : h('span', { class: ['outcome', 'tone-bad'] }, icon('error'), ` ${a.errorKind ?? 'error'}`),
            a.verification ? h('div', {}, verdictBadge(a.verification)) : null,
          ),
          num(a.httpStatus === null ? '—' : String(a.httpStatus)),
          num(formatMs(a.latencyMs)),
          num(formatMs(a.ttftMs)),
          num(`${formatTokens(a.inputTokens)} / ${formatTokens(a.outputTokens)}`),
          num(a.priceUnknown === true ? `${formatUsd(a.costUsd)} (price unknown: upper estimate)` : formatUsd(a.costUsd)),
        ),
      );
    }
    const facts = h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Complexity'),
      h('dd', {}, decision.complexity === null ? 'not scored' : `${decision.complexity} / 10 → ${decision.requestedTier}${decision.tier !== decision.requestedTier ? `, sent ${decision.tier}` : ''}`),
      h('dt', {}, 'Why'),
      h('dd', {}, decision.reasons.length > 0 ? decision.reasons.join(', ') : '—'),
      h('dt', {}, 'Strategy'),
      h('dd', {}, decision.strategy),
      decision.cascade ? h('dt', {}, 'Checks') : null,
      decision.cascade
        ? h(
            'dd',
            { attrs: { 'data-testid': 'cascade' } },
            `${decision.cascade.steps === 1 ? '1 answer' : `${decision.cascade.steps} answers`} checked, from the ${decision.cascade.startTier} tier` +
              (decision.escalatedBy === 'verification' ? `, escalated to ${decision.tier} by a failed check` : '') +
              `; shown: ${decision.cascade.kept === null ? 'none (no answer)' : KEPT_WORDS[decision.cascade.kept]}`,
          )
        : null,
      decision.errorMessage ? h('dt', {}, 'Error') : null,
      decision.errorMessage ? h('dd', { class: 'tone-bad' }, decision.errorKind ? `${decision.errorKind}: ${decision.errorMessage}` : decision.errorMessage) : null,
    );
    const failed = decision.attempts.filter((a) => (a.verification?.failures?.length ?? 0) > 0);
    const failures = failed.length > 0
      ? h(
          'div',
          { class: 'failures', attrs: { 'data-testid': 'failures' } },
          ...failed.map((a) =>
            h(
              'div',
              {},
              h('div', { class: 'muted small' }, `Failed checks of attempt ${a.seq + 1} (${a.provider}/${a.model}):`),
              h('ul', {}, ...a.verification!.failures!.map((f) => h('li', { attrs: { 'data-testid': 'failure' } }, formatFailure(f)))),
            ),
          ),
        )
      : null;
    return h('div', { class: 'attempts-box' }, facts, decision.attempts.length > 0 ? element : h('p', { class: 'muted' }, 'No attempt was made.'), failures);
  }

  private toggle(id: string): void {
    if (this.expanded.has(id)) this.expanded.delete(id);
    else this.expanded.add(id);
    this.saveState();
    this.renderDecisions();
    this.decisionsEl.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(`decision-${id}`)}"]`)?.focus();
  }

  private loadMore(): void {
    const data = this.data;
    if (!data) return;
    const all = [...data.decisions.decisions, ...this.olderDecisions];
    const last = all[all.length - 1];
    if (!last) return;
    this.request(
      (requestId) => ({ type: 'loadDecisions', requestId, before: { startedAt: last.startedAt, id: last.id } }),
      (reply) => {
        if (reply.type === 'decisions') {
          const known = new Set(all.map((d) => d.id));
          this.olderDecisions = [...this.olderDecisions, ...reply.page.decisions.filter((d) => !known.has(d.id))];
          this.moreDecisions = reply.page.more;
          this.renderDecisions();
        } else if (reply.type === 'reply' && !reply.ok) {
          this.say(reply.message ?? 'Could not load more decisions.');
        }
      },
    );
  }
}
