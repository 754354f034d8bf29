/**
 * The cost dashboard as a person sees it inside the real workbench, for test/e2e/dashboard.test.ts: its editor tab,
 * its page (in VS Code web a webview is `iframe.webview.ready` holding `iframe#active-frame`), the numbers it shows,
 * whether it wears the workbench's theme and whether anything on it is cut off; and the ledger on disk, read without
 * the extension, to say what was recorded.
 *
 * Kept out of harness.ts on purpose (that file is being finished by someone else); the selectors of the page are
 * the `data-testid`s of media/dashboard/app.ts, the same ones test/dashboard/ uses standalone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { FrameLocator, Locator } from 'playwright-core';
import type { SqlValue } from 'sql.js';
import initSqlJs from 'sql.js';

import type { E2ESession} from './harness';
import { poll, STEP_TIMEOUT_MS } from './harness';

/** The panel's title (src/vscode/dashboard/dashboardPanel.ts DASHBOARD_TITLE). */
export const DASHBOARD_TAB = 'Model Router Costs';

/** One row of "Latest routing decisions", as its cells read. */
export interface DecisionRowText {
  id: string;
  time: string;
  command: string;
  complexity: string;
  model: string;
  fallbacks: string;
  tokens: string;
  cost: string;
  latency: string;
  outcome: string;
}

/** One row of a breakdown ("By agent", "By model") or of "Models". */
export interface KeyedRowText {
  key: string;
  requests: string;
  cost: string;
}

/** What the page shows, as text. */
export interface DashboardText {
  /** `main#app[aria-busy]` is "false": a snapshot was drawn. */
  drawn: boolean;
  /** The "No routed requests yet" state is shown. */
  empty: boolean;
  /** The error banner's text, when shown. */
  error: string;
  subtitle: string;
  today: { used: string; limit: string; percent: string };
  month: { used: string; limit: string; percent: string };
  summary: { cost: string; requests: string; tokens: string };
  decisions: DecisionRowText[];
  byAgent: KeyedRowText[];
  byModel: KeyedRowText[];
  models: KeyedRowText[];
  /** The chart's canvas has a size and its accessible summary. */
  chart: { width: number; height: number; label: string };
}

/** One recommendation as the page lists it. */
export interface RecommendationText {
  id: string;
  title: string;
  detail: string;
  /** "Saves about $0.052 per 30 days". */
  saving: string;
  /** What applying writes, one line per agent: "explainer: openai → gemini → anthropic". */
  changes: string[];
  apply: { label: string; disabled: boolean };
}

/** Colours of the page and of the workbench around it. */
export interface ThemeReport {
  /** The webview body's classes (VS Code sets vscode-dark / vscode-light / vscode-high-contrast). */
  bodyClass: string;
  /** `--vscode-editor-background` and `--vscode-foreground` as VS Code injected them into the page. */
  editorBackgroundVar: string;
  foregroundVar: string;
  /** Computed colours of the page. */
  bodyBackground: string;
  bodyColor: string;
  cardBackground: string;
  cardBorder: string;
  /** The computed background of the workbench's editor area around the webview (rgb). */
  workbenchEditorBackground: string;
  /** The workbench's own `--vscode-foreground`. */
  workbenchForeground: string;
}

/** Something on the page that does not fit where it is drawn. */
export interface LayoutProblem {
  what: string;
  detail: string;
}

export class DashboardView {
  constructor(private readonly vs: E2ESession) {}

  /** The page inside the webview's two iframes. */
  get frame(): FrameLocator {
    return this.vs.webview();
  }

  /** The dashboard's editor tab. */
  tab(options: { active?: boolean } = {}): Locator {
    return this.vs.editorTab(DASHBOARD_TAB, options);
  }

  /** "Model Router: Open Cost Dashboard" from the palette; waits for its tab and a drawn snapshot. */
  async openFromPalette(options: { screenshot?: string } = {}): Promise<DashboardText> {
    await this.vs.runCommand('Model Router: Open Cost Dashboard', options.screenshot ? { screenshot: options.screenshot } : {});
    await this.tab({ active: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    return this.waitFor((page) => page.drawn, 'a drawn snapshot');
  }

  /** Reads the page (throws while the frames are not there yet). */
  async read(): Promise<DashboardText> {
    return this.frame.locator('body').evaluate((body) => {
      const text = (el: Element | null | undefined): string => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
      const byTestId = (root: ParentNode, id: string): Element | null => root.querySelector(`[data-testid="${id}"]`);
      const isShown = (el: Element | null): boolean => !!el && (el as HTMLElement).offsetParent !== null;
      const keyed = (testId: string): { key: string; requests: string; cost: string }[] =>
        Array.from(body.querySelectorAll(`[data-testid="${testId}"]`)).map((row) => ({
          key: row.getAttribute('data-key') ?? '',
          requests: text(byTestId(row, 'requests')),
          cost: text(byTestId(row, 'cost')),
        }));
      const budget = (period: string): { used: string; limit: string; percent: string } => ({
        used: text(byTestId(body, `budget-${period}-used`)),
        limit: text(byTestId(body, `budget-${period}-limit`)),
        percent: text(byTestId(body, `budget-${period}-percent`)),
      });
      const app = body.querySelector('main#app');
      const banner = body.querySelector('.banner.error');
      const canvas = byTestId(body, 'spend-chart') as HTMLCanvasElement | null;
      return {
        drawn: app?.getAttribute('aria-busy') === 'false',
        empty: isShown(byTestId(body, 'empty-state')),
        error: isShown(banner) ? text(banner) : '',
        subtitle: text(byTestId(body, 'subtitle')),
        today: budget('day'),
        month: budget('month'),
        summary: {
          cost: text(byTestId(body, 'summary-cost')),
          requests: text(byTestId(body, 'summary-requests')),
          tokens: text(byTestId(body, 'summary-tokens')),
        },
        decisions: Array.from(body.querySelectorAll('[data-testid="decision-row"]')).map((row) => ({
          id: row.getAttribute('data-id') ?? '',
          time: text(byTestId(row, 'time')),
          command: text(byTestId(row, 'command')),
          complexity: text(byTestId(row, 'complexity')),
          model: text(byTestId(row, 'model')),
          fallbacks: text(byTestId(row, 'fallbacks')),
          tokens: text(byTestId(row, 'tokens')),
          cost: text(byTestId(row, 'cost')),
          latency: text(byTestId(row, 'latency')),
          outcome: text(byTestId(row, 'outcome')),
        })),
        byAgent: keyed('agent-row'),
        byModel: keyed('model-row'),
        models: keyed('models-row'),
        chart: {
          width: canvas?.clientWidth ?? 0,
          height: canvas?.clientHeight ?? 0,
          label: canvas?.getAttribute('aria-label') ?? '',
        },
      };
    });
  }

  /** Polls the page until `condition` holds; returns what it showed then. */
  async waitFor(condition: (page: DashboardText) => boolean, what: string, timeout = STEP_TIMEOUT_MS * 2): Promise<DashboardText> {
    let last: DashboardText | undefined;
    await poll(
      async () => condition((last = await this.read())),
      timeout,
      () => `the dashboard does not show ${what}; it shows: ${JSON.stringify(last ?? '(no page)')}`,
    );
    return last!;
  }

  /** The recommendations as listed (empty while they load or when there are none; see {@link recommendationsState}). */
  async recommendations(): Promise<RecommendationText[]> {
    return this.frame.locator('[data-testid="recommendation"]').evaluateAll((items) =>
      items.map((item) => {
        const text = (el: Element | null | undefined): string => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
        const apply = item.querySelector<HTMLButtonElement>('[data-testid="apply"]');
        return {
          id: item.getAttribute('data-id') ?? '',
          title: text(item.querySelector('h3')),
          detail: text(item.querySelector('.rec-main > p')),
          saving: text(item.querySelector('[data-testid="saving"]')),
          changes: Array.from(item.querySelectorAll('ul.changes > li')).map((li) => text(li)),
          apply: { label: text(apply), disabled: apply?.disabled ?? true },
        };
      }),
    );
  }

  /** What the Recommendations card shows: the list, "nothing to recommend", still loading, or an error. */
  async recommendationsState(): Promise<'list' | 'none' | 'loading' | 'error' | 'absent'> {
    return this.frame.locator('body').evaluate((body) => {
      const card = body.querySelector('[data-testid="recommendations"]');
      if (!card || (card as HTMLElement).offsetParent === null) return 'absent';
      if (card.querySelector('[data-testid="recommendation"]')) return 'list';
      if (card.querySelector('[data-testid="recommendations-none"]')) return 'none';
      if (card.querySelector('[data-testid="recommendations-loading"]')) return 'loading';
      return 'error';
    });
  }

  /** Polls until the Recommendations card shows its list (or `state`); returns the items. */
  async waitForRecommendations(state: 'list' | 'none' = 'list', timeout = STEP_TIMEOUT_MS * 2): Promise<RecommendationText[]> {
    let shown = '';
    await poll(
      async () => (shown = await this.recommendationsState()) === state,
      timeout,
      async () => `the Recommendations card shows "${shown}", not "${state}": ${await this.frame.locator('[data-testid="recommendations"]').innerText().catch(() => '(none)')}`,
    );
    return this.recommendations();
  }

  /** Clicks the Apply button of the recommendation `id` (the host then asks in a modal dialog). */
  async clickApply(id: string): Promise<void> {
    await this.frame.locator(`[data-testid="recommendation"][data-id="${id}"] [data-testid="apply"]`).click();
  }

  /** The page's status line (what it says after an action: "Applied: …", "Export cancelled.", …). */
  async status(): Promise<string> {
    return ((await this.frame.locator('[data-testid="status"]').textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  /** Polls until the status line matches `pattern`; returns it. */
  async waitForStatus(pattern: RegExp, timeout = STEP_TIMEOUT_MS): Promise<string> {
    let text = '';
    await poll(async () => pattern.test((text = await this.status())), timeout, () => `the page's status line says "${text}", not ${pattern}`);
    return text;
  }

  /** The range buttons: which one is checked. */
  async checkedRange(): Promise<number | undefined> {
    const checked = this.frame.locator('[role="radiogroup"] [role="radio"][aria-checked="true"]');
    const id = (await checked.count()) === 1 ? await checked.getAttribute('data-testid') : null;
    return id ? Number(id.replace('range-', '')) : undefined;
  }

  /** Clicks the range button "N days" and waits for a snapshot of that range (the subtitle says "Last N days"). */
  async selectRange(days: 7 | 30 | 90): Promise<DashboardText> {
    await this.frame.locator(`[data-testid="range-${days}"]`).click();
    return this.waitFor((page) => page.drawn && page.subtitle.startsWith(`Last ${days} days`), `the last ${days} days`);
  }

  /** The rows of the chart's table ("Show the chart as a table"): one per day of the range. */
  async spendRows(): Promise<{ day: string; total: string }[]> {
    return this.frame.locator('[data-testid="spend-row"]').evaluateAll((rows) =>
      rows.map((row) => ({
        day: row.getAttribute('data-day') ?? '',
        total: (row.querySelector('[data-testid="spend-total"]')?.textContent ?? '').trim(),
      })),
    );
  }

  /** Clicks "Export CSV" or "Export JSON" in the page's toolbar. */
  async clickExport(format: 'csv' | 'json'): Promise<void> {
    await this.frame.locator(`[data-testid="export-${format}"]`).click();
  }

  /** Scrolls the page so that the element with this data-testid is in view (for a screenshot of it). */
  async scrollTo(testId: string): Promise<void> {
    await this.frame.locator(`[data-testid="${testId}"]`).first().scrollIntoViewIfNeeded();
  }

  /** Scrolls back to the top of the page. */
  async scrollToTop(): Promise<void> {
    await this.frame.locator('body').evaluate(() => window.scrollTo(0, 0));
  }

  /** Expands the decision row `id` and returns the attempts it shows (provider/model and cost of each). */
  async expandDecision(id: string): Promise<{ model: string; cost: string; result: string }[]> {
    const row = this.frame.locator(`[data-testid="decision-row"][data-id="${id}"]`);
    const toggle = row.locator('[data-testid="expand"]');
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    const attempts = this.frame.locator(`[data-testid="decision-row"][data-id="${id}"] + [data-testid="attempts-row"] [data-testid="attempt-row"]`);
    await attempts.first().waitFor({ timeout: STEP_TIMEOUT_MS });
    return attempts.evaluateAll((rows) =>
      rows.map((tr) => {
        const cells = Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim());
        return { model: cells[2] ?? '', result: cells[4] ?? '', cost: cells[9] ?? '' };
      }),
    );
  }

  /**
   * Leaves a mark in the page's window; {@link hasMark} tells later whether it is the same page (not reloaded or
   * reopened since).
   */
  async mark(name: string): Promise<void> {
    await this.frame.locator('body').evaluate((_body, mark) => {
      (window as unknown as Record<string, unknown>)[`__mr_${mark}`] = true;
    }, name);
  }

  async hasMark(name: string): Promise<boolean> {
    return this.frame.locator('body').evaluate((_body, mark) => (window as unknown as Record<string, unknown>)[`__mr_${mark}`] === true, name);
  }

  /** The page's colours next to the workbench's. */
  async theme(): Promise<ThemeReport> {
    const inPage = await this.frame.locator('body').evaluate((body) => {
      const root = getComputedStyle(document.documentElement);
      const style = getComputedStyle(body);
      const card = body.querySelector('.card');
      const cardStyle = card ? getComputedStyle(card) : undefined;
      return {
        bodyClass: body.getAttribute('class') ?? '',
        editorBackgroundVar: root.getPropertyValue('--vscode-editor-background').trim(),
        foregroundVar: root.getPropertyValue('--vscode-foreground').trim(),
        bodyBackground: style.backgroundColor,
        bodyColor: style.color,
        cardBackground: cardStyle?.backgroundColor ?? '',
        cardBorder: cardStyle?.borderTopColor ?? '',
      };
    });
    const outside = await this.vs.page.locator('.monaco-workbench').evaluate((workbench) => {
      // A probe element takes the workbench's editor background through the same variable the page uses.
      const probe = document.createElement('div');
      probe.style.backgroundColor = 'var(--vscode-editor-background)';
      probe.style.color = 'var(--vscode-foreground)';
      workbench.appendChild(probe);
      const style = getComputedStyle(probe);
      const result = { workbenchEditorBackground: style.backgroundColor, workbenchForeground: style.color };
      probe.remove();
      return result;
    });
    return { ...inPage, ...outside };
  }

  /**
   * What does not fit: the page scrolling sideways, a text wider than the box that clips it, a table wider than its
   * card (it then scrolls inside the card: the columns on the right are out of sight), a canvas drawn at zero size,
   * and anything of the page's top (header, budgets, totals) sticking out of the webview on the right.
   */
  async layoutProblems(): Promise<LayoutProblem[]> {
    return this.frame.locator('body').evaluate((body) => {
      const problems: { what: string; detail: string }[] = [];
      const name = (el: Element): string => {
        const testId = el.getAttribute('data-testid');
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        return `<${el.tagName.toLowerCase()}${testId ? ` data-testid="${testId}"` : ''}${cls}> "${(el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40)}"`;
      };
      const page = document.scrollingElement ?? document.documentElement;
      if (page.scrollWidth > page.clientWidth + 1) {
        problems.push({ what: 'the page scrolls sideways', detail: `${page.scrollWidth}px of content in ${page.clientWidth}px` });
      }
      const viewport = document.documentElement.clientWidth;
      for (const el of Array.from(body.querySelectorAll('h1, h2, .subtitle, .toolbar, .button, .segment, .amount, .tile, .tile-value, .meter-label, .card-head'))) {
        const box = el.getBoundingClientRect();
        if ((el as HTMLElement).offsetParent === null) continue;
        if (box.right > viewport + 1) problems.push({ what: 'sticks out of the webview on the right', detail: `${name(el)}: right edge ${Math.round(box.right)}px > ${viewport}px` });
        const style = getComputedStyle(el);
        const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
        if (clips && el.scrollWidth > el.clientWidth + 1) problems.push({ what: 'text clipped', detail: `${name(el)}: ${el.scrollWidth}px in ${el.clientWidth}px` });
      }
      for (const scroller of Array.from(body.querySelectorAll('.scroll, .attempts-box'))) {
        if ((scroller as HTMLElement).offsetParent === null) continue;
        if (scroller.scrollWidth > scroller.clientWidth + 1) {
          const table = scroller.querySelector('table');
          problems.push({
            what: 'table wider than its card (scrolls inside it)',
            detail: `${table ? name(table).slice(0, 60) : name(scroller)}: ${scroller.scrollWidth}px in ${scroller.clientWidth}px`,
          });
        }
      }
      const canvas = body.querySelector<HTMLCanvasElement>('[data-testid="spend-chart"]');
      if (canvas && canvas.offsetParent !== null && (canvas.clientWidth < 50 || canvas.clientHeight < 50)) {
        problems.push({ what: 'chart not drawn at a usable size', detail: `${canvas.clientWidth}x${canvas.clientHeight}` });
      }
      return problems;
    });
  }

  /** The webview's size in the workbench (CSS pixels). */
  async size(): Promise<{ width: number; height: number }> {
    return this.frame.locator('body').evaluate(() => ({ width: document.documentElement.clientWidth, height: window.innerHeight }));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The ledger on disk
// ---------------------------------------------------------------------------------------------------------------

/** A request as the ledger recorded it (the fields the dashboard shows). */
export interface LedgerRequest {
  id: string;
  startedAt: number;
  agent: string;
  command: string | null;
  provider: string | null;
  model: string | null;
  outcome: string;
  inputTokens: number;
  outputTokens: number;
  costNano: number;
  /** Set when the answer came from the answer cache: when it was given, and what it saved. */
  cached?: { from: number; savedNano: number };
}

let sqlJs: ReturnType<typeof initSqlJs> | undefined;

/**
 * Every request in the ledger directory `dir` (the extension's global storage): the per-process journals
 * (`journal-*.jsonl`, one record a line) and the compacted `ledger.sqlite`, merged by id. Journals are read first: a
 * compaction deletes a journal only after a `ledger.sqlite` holding its records is on disk, so a record is in one or
 * the other whichever moment this runs.
 */
export async function readLedgerRequests(dir: string): Promise<LedgerRequest[]> {
  const byId = new Map<string, LedgerRequest>();
  for (const r of journalEntries(dir) as (LedgerRequest & { feedback?: unknown })[]) {
    // A feedback line (what the user did with an answer) is no request.
    if (r.feedback !== undefined) continue;
    byId.set(r.id, {
      id: r.id,
      startedAt: r.startedAt,
      agent: r.agent,
      command: r.command,
      provider: r.provider,
      model: r.model,
      outcome: r.outcome,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      costNano: r.costNano,
      ...(r.cached ? { cached: r.cached } : {}),
    });
  }
  const rows = await queryLedgerFile(
    dir,
    'SELECT id, started_at, agent, command, provider, model, outcome, input_tokens, output_tokens, cost_nano, cached_from, saved_nano FROM requests',
  );
  for (const row of rows) {
    const [id, startedAt, agent, command, provider, model, outcome, inputTokens, outputTokens, costNano, cachedFrom, savedNano] = row;
    byId.set(String(id), {
      id: String(id),
      startedAt: Number(startedAt),
      agent: String(agent),
      command: command === null ? null : String(command),
      provider: provider === null ? null : String(provider),
      model: model === null ? null : String(model),
      outcome: String(outcome),
      inputTokens: Number(inputTokens),
      outputTokens: Number(outputTokens),
      costNano: Number(costNano),
      ...(cachedFrom !== null && cachedFrom !== undefined ? { cached: { from: Number(cachedFrom), savedNano: Number(savedNano) } } : {}),
    });
  }
  return [...byId.values()].sort((a, b) => a.startedAt - b.startedAt);
}

/**
 * Every line of the per-process journals in `dir` (`journal-*.jsonl`), parsed. Journals are read before the file: a
 * compaction deletes a journal only after a `ledger.sqlite` holding its lines is on disk. A journal deleted
 * meanwhile (its lines are in the file) and a line being written are skipped.
 */
function journalEntries(dir: string): unknown[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const entries: unknown[] = [];
  for (const name of names.filter((n) => /^journal-\d+-[0-9a-f]+\.jsonl$/.test(n))) {
    let content = '';
    try {
      content = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      continue;
    }
    for (const line of content.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line));
      } catch {
        // a line being written
      }
    }
  }
  return entries;
}

/** The rows of `sql` on the compacted `ledger.sqlite` in `dir`; none while there is no file yet. */
async function queryLedgerFile(dir: string, sql: string): Promise<SqlValue[][]> {
  const file = path.join(dir, 'ledger.sqlite');
  if (!fs.existsSync(file)) return [];
  sqlJs ??= initSqlJs();
  const SQL = await sqlJs;
  const db = new SQL.Database(fs.readFileSync(file));
  try {
    return db.exec(sql)[0]?.values ?? [];
  } finally {
    db.close();
  }
}

/** One feedback line of the ledger (what the user did with an answer). */
export interface LedgerFeedbackLine {
  requestId: string;
  kind: string;
  provider: string;
  model: string;
  comparison?: string;
}

/** Every feedback line in the journals of `dir` (a compaction moves them into `ledger.sqlite`'s feedback table). */
export async function readLedgerFeedback(dir: string): Promise<LedgerFeedbackLine[]> {
  const byId = new Map<string, LedgerFeedbackLine>();
  for (const r of journalEntries(dir) as { id: string; feedback?: LedgerFeedbackLine }[]) if (r.feedback) byId.set(r.id, r.feedback);
  for (const row of await queryLedgerFile(dir, 'SELECT id, request_id, kind, provider, model, comparison FROM feedback')) {
    byId.set(String(row[0]), { requestId: String(row[1]), kind: String(row[2]), provider: String(row[3]), model: String(row[4]), ...(row[5] !== null ? { comparison: String(row[5]) } : {}) });
  }
  return [...byId.values()];
}

/** Waits until the ledger in `dir` holds `count` requests; returns them, oldest first. */
export async function waitForLedgerRequests(dir: string, count: number, timeout = STEP_TIMEOUT_MS): Promise<LedgerRequest[]> {
  let requests: LedgerRequest[] = [];
  await poll(
    async () => (requests = await readLedgerRequests(dir)).length >= count,
    timeout,
    () => `the ledger in ${dir} holds ${requests.length} requests, not ${count}: ${JSON.stringify(requests)}`,
  );
  return requests;
}
