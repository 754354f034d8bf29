/**
 * The host side of the cost dashboard without `vscode`: it answers the webview's messages and keeps it up to date.
 * The panel (dashboardPanel.ts) gives it a `post` function and forwards what the webview sends; tests drive it the
 * same way in plain Node (test/unit/dashboardController.test.ts, including 1,000 malformed messages).
 *
 * - Nothing is posted before the webview's `ready`; then a snapshot (`update`), then the recommendations (slower on
 *   a large ledger, so they never hold up the first paint).
 * - A recorded request or a settings change (host `onDidChange`) updates the page after a short debounce; while the
 *   panel is hidden the update waits until it shows again. Snapshots never run two at a time: a change during one
 *   runs one more after it.
 * - Recommendations read the range's rows: after a ledger change they are recomputed at most once a minute (a
 *   settings change, a range change or an applied recommendation recompute them at once).
 * - The verified-routing figures (`verified`) read the range's raw requests too: they follow each snapshot, after
 *   a ledger change at most every {@link DashboardControllerOptions.verifiedIntervalMs} (a range, settings or
 *   refresh at once).
 * - Every message is validated ({@link parseWebviewMessage}); an invalid one is logged and ignored, and no message
 *   can throw out of {@link DashboardController.receive}.
 */
import type {
  DashboardData,
  DashboardDecisionPage,
  DashboardRange,
  DashboardRecommendation,
  DashboardVerified,
} from '../../core/ledger/dashboard';
import type { DecisionCursor } from '../../core/ledger/queries';
import type { Listen } from '../../core/util/emitter';
import { errorMessage } from '../../core/util/errorMessage';
import type {
  DashboardCommand,
  HostMessage,
  RecommendationView,
  ReplyBody,
  ReplyTo,
  RequestMessage,
  WebviewMessage,
} from '../../webview/protocol';
import { parseWebviewMessage } from '../../webview/protocol';
import type { DisposableLike } from '../lifecycle';

/** What changed: a request was recorded (or another window's merged in), or settings that the dashboard shows. */
export type DashboardChange = 'ledger' | 'config';

/**
 * What the dashboard needs from the extension; the container implements it over the ledger store, the
 * configuration and the settings bridge. `vscode.Event<DashboardChange>` fits `onDidChange`.
 */
export interface DashboardHost {
  /** `dashboardSnapshot(store.db, config.budget, { now: Date.now(), rangeDays })`. */
  snapshot(rangeDays: DashboardRange): Promise<DashboardData>;
  /** `dashboardDecisions(store.db, DASHBOARD_DECISIONS, before)`. */
  decisions(before: DecisionCursor): Promise<DashboardDecisionPage>;
  /** `dashboardRecommendations(store.db, config, { now: Date.now(), rangeDays })`. */
  recommendations(rangeDays: DashboardRange): Promise<readonly DashboardRecommendation[]>;
  /** `dashboardVerified(store.db, config.budget, { now: Date.now(), rangeDays })`. */
  verified(rangeDays: DashboardRange): Promise<DashboardVerified>;
  /** Fires after a request was recorded or a setting the dashboard shows changed. */
  readonly onDidChange: Listen<DashboardChange>;
  /**
   * Shows a save dialog offering `dashboardExport(...).fileName` and writes `.content`. Resolves true when written,
   * false when the user cancelled; rejects when writing failed.
   */
  exportCosts(format: 'csv' | 'json', rangeDays: DashboardRange): Promise<boolean>;
  /**
   * Asks the user to confirm (a modal naming each agent's new chain, `recommendation.changes`), then writes those
   * chains to the settings. Resolves true when applied, false when the user declined.
   */
  applyRecommendation(recommendation: DashboardRecommendation): Promise<boolean>;
}

/** The log calls the controller makes; `vscode.LogOutputChannel` fits. */
export interface DashboardLog {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

export interface DashboardControllerOptions {
  readonly host: DashboardHost;
  /** Posts to the webview (`webview.postMessage`). May reject or return false when the panel is gone. */
  readonly post: (message: HostMessage) => PromiseLike<boolean> | boolean | void;
  readonly log: DashboardLog;
  /** Runs one of the empty state's commands. */
  readonly runCommand: (command: DashboardCommand) => PromiseLike<unknown> | void;
  /** The range until the webview says otherwise (a restored panel passes its saved range). */
  readonly rangeDays?: DashboardRange;
  /** Whether the panel is visible now (updates wait while it is hidden). Default: always. */
  readonly isVisible?: () => boolean;
  /** Told when the range changes, so a serializer can keep it. */
  readonly onRangeChange?: (rangeDays: DashboardRange) => void;
  /** Delay that gathers bursts of changes into one update (default 250 ms). */
  readonly debounceMs?: number;
  /** Least time between two recommendation runs caused by ledger changes (default 60 s). */
  readonly recommendationsIntervalMs?: number;
  /** Least time between two verified-routing counts caused by ledger changes (default 10 s). */
  readonly verifiedIntervalMs?: number;
  /** Clock for the intervals above (tests). */
  readonly now?: () => number;
}


/** How many rejected messages are logged as warnings before the rest go to the debug level. */
const WARNED_REJECTIONS = 5;

export class DashboardController implements DisposableLike {
  private rangeDays: DashboardRange;
  private ready = false;
  private disposed = false;
  private readonly subscription: DisposableLike;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  /** A snapshot is being built; `again` asks for one more after it. */
  private snapshotRunning: Promise<void> | undefined;
  private snapshotAgain = false;
  /** Changes arrived while the panel was hidden. */
  private stale = false;
  /** Recommendations and verified-routing counts: each after a snapshot, when due (see {@link ThrottledJob}). */
  private readonly recommendationsJob: ThrottledJob;
  private readonly verifiedJob: ThrottledJob;
  private recommendationList: readonly DashboardRecommendation[] = [];
  /** The range whose recommendations the page shows (no "loading" state when refreshing those). */
  private recommendationsShown: DashboardRange | undefined;
  private forceRecommendations = false;
  private rejected = 0;

  constructor(private readonly options: DashboardControllerOptions) {
    this.rangeDays = options.rangeDays ?? 30;
    const job = (intervalMs: number, run: (rangeDays: DashboardRange) => Promise<JobOutcome>): ThrottledJob =>
      new ThrottledJob({
        intervalMs,
        now: () => this.options.now?.() ?? Date.now(),
        isDisposed: () => this.disposed,
        range: () => this.rangeDays,
        run,
      });
    this.recommendationsJob = job(options.recommendationsIntervalMs ?? 60_000, (rangeDays) => this.postRecommendations(rangeDays));
    this.verifiedJob = job(options.verifiedIntervalMs ?? 10_000, (rangeDays) => this.postVerified(rangeDays));
    this.subscription = options.host.onDidChange((change) => this.changed(change));
  }

  /** The range shown (what a serializer saves). */
  get range(): DashboardRange {
    return this.rangeDays;
  }

  /** How many messages were rejected so far (tests, logs). */
  get rejectedMessages(): number {
    return this.rejected;
  }

  /** Handles one message from the webview. Never throws; an invalid message is logged and ignored. */
  receive(raw: unknown): void {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.rejected += 1;
      const line = `Dashboard: ignored a message from the webview: ${parsed.reason}`;
      if (this.rejected <= WARNED_REJECTIONS) this.options.log.warn(line);
      else this.options.log.debug(line);
      return;
    }
    try {
      this.handle(parsed.message);
    } catch (error) {
      this.options.log.error(`Dashboard: handling ${parsed.message.type} failed: ${errorMessage(error)}`);
    }
  }

  /** The panel became visible or hidden. */
  visibilityChanged(visible: boolean): void {
    if (visible && this.stale && this.ready) {
      this.stale = false;
      this.scheduleSnapshot(0);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.subscription.dispose();
    if (this.debounce) clearTimeout(this.debounce);
    this.recommendationsJob.dispose();
    this.verifiedJob.dispose();
  }

  private handle(message: WebviewMessage): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (message.rangeDays !== undefined) this.setRange(message.rangeDays);
        void this.refresh(true);
        return;
      case 'setRange':
        if (message.rangeDays === this.rangeDays) return;
        this.setRange(message.rangeDays);
        void this.refresh(true);
        return;
      case 'refresh':
        void this.refresh(true);
        return;
      case 'export':
        void this.answer(message, () => this.exportCosts(message.format));
        return;
      case 'applyRecommendation':
        // An applied recommendation changes the settings: everything is recomputed once the page has the reply.
        void this.answer(message, () => this.apply(message.id)).then((reply) => {
          if (reply.ok) void this.refresh(true);
        });
        return;
      case 'loadDecisions':
        void this.answer(message, () => this.loadDecisions(message.before));
        return;
      case 'runCommand':
        void Promise.resolve()
          .then(() => this.options.runCommand(message.command))
          .catch((error: unknown) => this.options.log.warn(`Dashboard: command ${message.command} failed: ${errorMessage(error)}`));
        return;
      case 'rendered':
        this.options.log.trace(`Dashboard: rendered an update in ${Math.round(message.ms)} ms`);
        return;
    }
  }

  private setRange(rangeDays: DashboardRange): void {
    this.rangeDays = rangeDays;
    this.recommendationList = [];
    this.recommendationsShown = undefined;
    this.options.onRangeChange?.(rangeDays);
  }

  private changed(change: DashboardChange): void {
    if (this.disposed || !this.ready) return;
    if (this.options.isVisible && !this.options.isVisible()) {
      this.stale = true;
      if (change === 'config') {
        this.recommendationsJob.expire();
        this.verifiedJob.expire();
      }
      return;
    }
    this.scheduleSnapshot(this.options.debounceMs ?? 250, change === 'config');
  }

  private scheduleSnapshot(delayMs: number, forceRecommendations = false): void {
    this.forceRecommendations ||= forceRecommendations;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const force = this.forceRecommendations;
      this.forceRecommendations = false;
      void this.refresh(force);
    }, delayMs);
  }

  /** A snapshot now (or right after the running one), then the recommendations when due (or `force`). */
  private async refresh(forceRecommendations: boolean): Promise<void> {
    if (forceRecommendations) {
      this.recommendationsJob.expire();
      this.verifiedJob.expire();
    }
    if (this.snapshotRunning) {
      this.snapshotAgain = true;
      return this.snapshotRunning;
    }
    this.snapshotRunning = (async () => {
      do {
        this.snapshotAgain = false;
        await this.postSnapshot();
      } while (this.snapshotAgain && !this.disposed);
    })();
    try {
      await this.snapshotRunning;
    } finally {
      this.snapshotRunning = undefined;
    }
    this.verifiedJob.whenDue();
    this.recommendationsJob.whenDue();
  }

  private async postSnapshot(): Promise<void> {
    const rangeDays = this.rangeDays;
    try {
      const data = await this.options.host.snapshot(rangeDays);
      if (this.disposed || rangeDays !== this.rangeDays) {
        this.snapshotAgain = !this.disposed;
        return;
      }
      await this.post({ type: 'update', data });
    } catch (error) {
      this.options.log.error(`Dashboard: reading the ledger failed: ${errorMessage(error)}`);
      await this.post({ type: 'error', message: `Could not read the ledger: ${errorMessage(error)}` });
    }
  }

  /** One computation of the recommendations for `rangeDays`, posted to the page. */
  private async postRecommendations(rangeDays: DashboardRange): Promise<JobOutcome> {
    if (this.recommendationsShown !== rangeDays) await this.post({ type: 'recommendations', rangeDays, state: 'loading' });
    try {
      const list = await this.options.host.recommendations(rangeDays);
      if (this.disposed) return 'disposed';
      if (rangeDays !== this.rangeDays) return 'stale';
      this.recommendationList = list;
      const items: RecommendationView[] = list.map(({ action: _action, ...view }) => view);
      await this.post({ type: 'recommendations', rangeDays, state: 'ready', items });
      this.recommendationsShown = rangeDays;
    } catch (error) {
      this.options.log.error(`Dashboard: computing recommendations failed: ${errorMessage(error)}`);
      await this.post({ type: 'recommendations', rangeDays, state: 'error', message: errorMessage(error) });
    }
    return 'done';
  }

  /** One count of the verified-routing figures for `rangeDays`, posted to the page. */
  private async postVerified(rangeDays: DashboardRange): Promise<JobOutcome> {
    try {
      const data = await this.options.host.verified(rangeDays);
      if (this.disposed) return 'disposed';
      if (rangeDays !== this.rangeDays) return 'stale';
      await this.post({ type: 'verified', rangeDays, state: 'ready', data });
    } catch (error) {
      this.options.log.error(`Dashboard: counting verified requests failed: ${errorMessage(error)}`);
      await this.post({ type: 'verified', rangeDays, state: 'error', message: errorMessage(error) });
    }
    return 'done';
  }

  /**
   * Answers a request: `work` returns the reply its type allows ({@link ReplyBody}, from the protocol's
   * `DashboardRequests`), posted with the request's id. `work` catches its own failures and says them in the reply.
   * Resolves with the reply once it was posted.
   */
  private async answer<M extends RequestMessage>(request: M, work: () => Promise<ReplyBody<M['type']>>): Promise<ReplyBody<M['type']>> {
    const reply = await work();
    // ReplyBody<T> plus the id is ReplyTo<T>; the compiler cannot see through the generic spread.
    await this.post({ ...reply, requestId: request.requestId } as unknown as ReplyTo);
    return reply;
  }

  private async exportCosts(format: 'csv' | 'json'): Promise<ReplyBody<'export'>> {
    try {
      const written = await this.options.host.exportCosts(format, this.rangeDays);
      return { type: 'reply', ok: written, ...(written ? {} : { message: 'Export cancelled.' }) };
    } catch (error) {
      this.options.log.error(`Dashboard: export failed: ${errorMessage(error)}`);
      return { type: 'reply', ok: false, message: `Export failed: ${errorMessage(error)}` };
    }
  }

  private async apply(id: string): Promise<ReplyBody<'applyRecommendation'>> {
    const recommendation = this.recommendationList.find((r) => r.id === id);
    if (!recommendation) {
      this.options.log.warn(`Dashboard: no current recommendation has the id ${JSON.stringify(id.slice(0, 80))}`);
      return { type: 'reply', ok: false, message: 'This recommendation no longer applies.' };
    }
    try {
      const applied = await this.options.host.applyRecommendation(recommendation);
      if (applied) this.recommendationList = this.recommendationList.filter((r) => r !== recommendation);
      return { type: 'reply', ok: applied, ...(applied ? {} : { message: 'Not applied.' }) };
    } catch (error) {
      this.options.log.error(`Dashboard: applying ${id} failed: ${errorMessage(error)}`);
      return { type: 'reply', ok: false, message: `Could not apply it: ${errorMessage(error)}` };
    }
  }

  private async loadDecisions(before: DecisionCursor): Promise<ReplyBody<'loadDecisions'>> {
    try {
      return { type: 'decisions', page: await this.options.host.decisions(before) };
    } catch (error) {
      this.options.log.error(`Dashboard: loading decisions failed: ${errorMessage(error)}`);
      return { type: 'reply', ok: false, message: `Could not load more decisions: ${errorMessage(error)}` };
    }
  }

  /** Posts unless disposed; a failed post (panel closing) is logged, never thrown. */
  private async post(message: HostMessage): Promise<void> {
    if (this.disposed || !this.ready) return;
    try {
      await this.options.post(message);
    } catch (error) {
      this.options.log.debug(`Dashboard: posting ${message.type} failed: ${errorMessage(error)}`);
    }
  }
}

/** How one run of a {@link ThrottledJob} ended: `stale` when the range changed meanwhile (it runs again). */
type JobOutcome = 'done' | 'stale' | 'disposed';

/**
 * A range-bound computation the panel runs after snapshots (recommendations, verified-routing counts): one run at a
 * time (asked while it runs, it runs once more), at most one per `intervalMs` unless {@link expire} was called, and a
 * run whose range changed while it ran is done again for the new range.
 */
class ThrottledJob {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: {
      readonly intervalMs: number;
      readonly now: () => number;
      readonly isDisposed: () => boolean;
      readonly range: () => DashboardRange;
      readonly run: (rangeDays: DashboardRange) => Promise<JobOutcome>;
    },
  ) {}

  /** The next {@link whenDue} runs at once. */
  expire(): void {
    this.lastAt = Number.NEGATIVE_INFINITY;
  }

  /** Runs now when the interval has passed, else once when it will have (one timer at most). */
  whenDue(): void {
    if (this.options.isDisposed()) return;
    const now = this.options.now();
    const due = this.lastAt + this.options.intervalMs;
    if (now >= due) {
      void this.start();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.start();
      }, due - now);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private async start(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const rangeDays = this.options.range();
        this.lastAt = this.options.now();
        const outcome = await this.options.run(rangeDays);
        if (outcome === 'disposed') return;
        if (outcome === 'stale') this.again = true;
      } while (this.again && !this.options.isDisposed());
    } finally {
      this.running = false;
    }
  }
}
