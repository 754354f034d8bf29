/**
 * The cost dashboard page: its state and its messages. It sends `ready`, then draws each `update` (a whole aggregate
 * snapshot) and each `recommendations` and `verified` message; actions go back as typed messages, and the requests
 * that expect an answer through {@link Requests} (src/webview/protocol.ts says which reply each gets). The range and
 * the expanded decision rows survive a reload through `setState`.
 *
 * Each section is a render function in sections/ that takes what it shows and returns the section's contents; this
 * class keeps the containers and calls them. Every ledger string reaches the page through `textContent` or an
 * attribute (dom.ts), never as markup.
 */
import type { DashboardData, DashboardDecision, DashboardRange } from '../../src/core/ledger/dashboard';
import type { HostMessage, RecommendationView, WebviewMessage } from '../../src/webview/protocol';
import { DASHBOARD_PROTOCOL_VERSION, isRange, isReply } from '../../src/webview/protocol';
import { SpendChart } from './chart';
import { h, icon, replaceChildren } from './dom';
import { formatTime } from './format';
import { Requests } from './requests';
import { breakdownCards } from './sections/breakdowns';
import { budgetCards } from './sections/budgets';
import { decisionsSection } from './sections/decisions';
import { emptySection } from './sections/empty';
import { feedbackSection } from './sections/feedback';
import { modelsSection } from './sections/models';
import { rangeAfterKey, rangeButtons } from './sections/range';
import type { RecommendationsState } from './sections/recommendations';
import { recommendationsSection } from './sections/recommendations';
import { SPEND_CAPTION, spendLabel, spendTable } from './sections/spend';
import { summaryTiles } from './sections/summary';
import type { VerifiedState } from './sections/verified';
import { verifiedSection } from './sections/verified';
import { button } from './widgets';

export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface PageState {
  readonly rangeDays: DashboardRange;
  readonly expanded: readonly string[];
}

function readState(api: VsCodeApi): PageState | undefined {
  const state = api.getState() as Partial<PageState> | undefined;
  if (!state || !isRange(state.rangeDays)) return undefined;
  const expanded = Array.isArray(state.expanded) ? state.expanded.filter((id): id is string => typeof id === 'string').slice(0, 50) : [];
  return { rangeDays: state.rangeDays, expanded };
}

export class DashboardApp {
  private data: DashboardData | undefined;
  private rangeDays: DashboardRange = 30;
  private expanded = new Set<string>();
  private olderDecisions: DashboardDecision[] = [];
  private moreDecisions = false;
  private recommendations: RecommendationsState | undefined;
  /** The range's verified-routing figures (they follow the snapshot: counted from the raw requests). */
  private verified: VerifiedState | undefined;
  private readonly requests: Requests;
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
    this.requests = new Requests((message) => this.post(message));
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
        button('refresh', 'Refresh', () => this.post({ type: 'refresh' }), 'secondary', 'refresh'),
        button('export', 'Export CSV', () => void this.exportCosts('csv'), 'secondary', 'export-csv'),
        button('export', 'Export JSON', () => void this.exportCosts('json'), 'secondary', 'export-json'),
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

  private say(text: string): void {
    this.status.textContent = text;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Messages from the host
  // -------------------------------------------------------------------------------------------------------------

  private receive(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const typed = message as HostMessage;
    if (isReply(typed)) {
      this.requests.settle(typed);
      return;
    }
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
      case 'verified': {
        if (typed.rangeDays !== this.rangeDays) return;
        const { type: _type, ...verified } = typed;
        this.verified = verified;
        if (this.data && !this.data.empty) this.renderVerified();
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
      replaceChildren(this.emptyState, ...emptySection((command) => this.post({ type: 'runCommand', command })));
      this.emptyState.hidden = false;
      this.chart.destroy();
      return;
    }
    this.emptyState.hidden = true;
    this.rangeGroup.hidden = false;
    this.content.hidden = false;
    replaceChildren(this.budgets, ...budgetCards(data));
    replaceChildren(this.summary, ...summaryTiles(data));
    this.renderChart(data);
    replaceChildren(this.breakdowns, ...breakdownCards(data));
    replaceChildren(this.feedbackEl, ...feedbackSection(data));
    replaceChildren(this.models, ...modelsSection(data));
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
  // Sections that change between snapshots
  // -------------------------------------------------------------------------------------------------------------

  private renderRange(): void {
    replaceChildren(this.rangeGroup, ...rangeButtons(this.rangeDays, { select: (days) => this.selectRange(days), key: (event, days) => this.rangeKey(event, days) }));
  }

  private renderChart(data: DashboardData): void {
    this.chartCaption.textContent = SPEND_CAPTION;
    this.canvas.setAttribute('aria-label', spendLabel(data));
    this.chart.update(data.spend);
    replaceChildren(this.chartTable, spendTable(data));
  }

  private renderVerified(): void {
    replaceChildren(this.verifiedEl, ...verifiedSection(this.verified));
  }

  private renderRecommendations(): void {
    replaceChildren(
      this.recommendationsEl,
      ...recommendationsSection({ recommendations: this.recommendations, applying: this.applying, apply: (item) => void this.apply(item) }),
    );
  }

  private renderDecisions(): void {
    const data = this.data;
    if (!data) return;
    replaceChildren(
      this.decisionsEl,
      ...decisionsSection({
        data,
        older: this.olderDecisions,
        more: this.moreDecisions,
        expanded: this.expanded,
        toggle: (id) => this.toggle(id),
        loadMore: () => void this.loadMore(),
      }),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Actions
  // -------------------------------------------------------------------------------------------------------------

  private rangeKey(event: KeyboardEvent, days: DashboardRange): void {
    const next = rangeAfterKey(event.key, days);
    if (next === undefined) return;
    event.preventDefault();
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

  private async exportCosts(format: 'csv' | 'json'): Promise<void> {
    this.say(`Exporting ${format.toUpperCase()}…`);
    const reply = await this.requests.send('export', { format });
    this.say(reply.ok ? `Exported the last ${this.rangeDays} days as ${format.toUpperCase()}.` : (reply.message ?? 'Export failed.'));
  }

  private async apply(item: RecommendationView): Promise<void> {
    this.applying.add(item.id);
    this.renderRecommendations();
    const reply = await this.requests.send('applyRecommendation', { id: item.id });
    this.applying.delete(item.id);
    this.say(reply.ok ? `Applied: ${item.title}.` : (reply.message ?? 'Not applied.'));
    this.renderRecommendations();
  }

  private toggle(id: string): void {
    if (this.expanded.has(id)) this.expanded.delete(id);
    else this.expanded.add(id);
    this.saveState();
    this.renderDecisions();
    this.decisionsEl.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(`decision-${id}`)}"]`)?.focus();
  }

  private async loadMore(): Promise<void> {
    const data = this.data;
    if (!data) return;
    const all = [...data.decisions.decisions, ...this.olderDecisions];
    const last = all[all.length - 1];
    if (!last) return;
    const reply = await this.requests.send('loadDecisions', { before: { startedAt: last.startedAt, id: last.id } });
    if (reply.type === 'decisions') {
      const known = new Set(all.map((d) => d.id));
      this.olderDecisions = [...this.olderDecisions, ...reply.page.decisions.filter((d) => !known.has(d.id))];
      this.moreDecisions = reply.page.more;
      this.renderDecisions();
    } else if (!reply.ok) {
      this.say(reply.message ?? 'Could not load more decisions.');
    }
  }
}
