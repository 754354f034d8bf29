/**
 * The request ledger in the extension's global storage folder (one ledger per user, shared by every window: each
 * window's extension host writes its own journal; no window waits for another to record). Opened on first use, so
 * sql.js loads after activation. Every routed request is appended here; the tree, the status bar and the dashboard
 * read from here and listen to {@link LedgerService.onDidRecord}.
 */
import * as vscode from 'vscode';

import type { FeedbackKind } from '../core/ledger/feedback';
import type { SharedKeyLimits } from '../core/ledger/keyLimits';
import type { LedgerRecord } from '../core/ledger/record';
import type { PendingSpend } from '../core/ledger/spend';
import type { LedgerStore } from '../core/ledger/store';
import type { Decision } from '../core/routing/decision';
import { errorMessage } from '../core/util/errorMessage';
import type { ConfigService } from './configService';
import { loadEngine, sqlWasmPath } from './engine';
import type { KeyStore } from './keys';
import { Disposable } from './lifecycle';
import type { Log } from './log';

export class LedgerService extends Disposable {
  private opening: Promise<LedgerStore | undefined> | undefined;
  private opened: LedgerStore | undefined;
  private failureShown = false;
  private spendSource: PendingSpend | undefined;
  private limits: SharedKeyLimits | undefined;
  private readonly recorded = this._register(new vscode.EventEmitter<LedgerRecord | undefined>());
  /** A request was recorded (the record), or other windows' records were merged (undefined). */
  readonly onDidRecord = this.recorded.event;

  constructor(
    private readonly directory: vscode.Uri,
    private readonly configService: ConfigService,
    private readonly log: Log,
    private readonly keys: Pick<KeyStore, 'rememberAll'>,
  ) {
    super();
    this._register({ dispose: () => void this.opened?.close() });
    // Other windows write the same ledger; pick up their records when this window gets focus.
    this._register(
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused && this.opened) void this.opened.refresh().then(() => this.recorded.fire(undefined), () => undefined);
      }),
    );
  }

  /** The open store, or undefined when it cannot be opened (the user has been told once). */
  store(): Promise<LedgerStore | undefined> {
    this.opening ??= this.open();
    return this.opening;
  }

  /** The ledger's folder (the answer cache lives beside it). */
  get folder(): string {
    return this.directory.fsPath;
  }

  /** The store if it is open already (views that must not open it). */
  get current(): LedgerStore | undefined {
    return this.opened;
  }

  /**
   * Budget spend: the ledger plus the cost and holds of requests still running, in this window and in every other
   * window and CLI run using the same ledger folder (the holds are shared there), so concurrent requests cannot
   * together pass a budget.
   */
  spend(): PendingSpend {
    const engine = loadEngine();
    this.spendSource ??= new engine.PendingSpend({
      db: () => this.opened?.db,
      recover: async (error) => this.opened?.recover(error),
      holds: new engine.SharedBudgetHolds(this.directory.fsPath),
    });
    return this.spendSource;
  }

  /**
   * Key limits (RPM, TPM, RPD, minimum intervals, 429 penalties) shared with every other window and CLI run using the
   * same ledger folder, so a daily quota holds across them and across restarts.
   */
  sharedLimits(): SharedKeyLimits {
    const engine = loadEngine();
    this.limits ??= new engine.SharedKeyLimits(this.directory.fsPath);
    return this.limits;
  }

  /** Appends the request's record (durable when this resolves); returns false when it could not be recorded. */
  async record(decision: Decision, instruction: string | undefined): Promise<boolean> {
    const engine = loadEngine();
    const { config } = await this.configService.get();
    // Every stored key of every provider, and the base URL passwords, are scrubbed from the record: an error body may
    // quote a key other than the one this request used.
    await this.keys.rememberAll();
    this.log.secrets.addUrlPasswords(Object.values(config.providers).map((provider) => provider.baseUrl));
    const store = await this.store();
    if (!store) return false;
    // Until the record is durable its cost stays pending, so budgets still count it (for this session at least).
    const outcome = await engine.recordDecisions([decision], {
      store,
      spend: this.spendSource,
      instruction,
      storeInstruction: config.ledger.storeInstructions,
      secrets: this.log.secrets,
    });
    if (!outcome.recorded) {
      this.log.error(`The request ${decision.id} could not be recorded in the ledger: ${errorMessage(outcome.error)}`);
      void vscode.window.showWarningMessage('Model Router: this request could not be recorded in the usage ledger; budgets may undercount it.', 'Show Log').then((choice) => {
        if (choice) this.log.show();
      });
      return false;
    }
    if ('holdsError' in outcome) this.log.warn(`Budget holds: ${errorMessage(outcome.holdsError)}`);
    this.recorded.fire(outcome.records[0]);
    return true;
  }

  /**
   * Records what the user did with the answer of `decision` (a diff accepted, rejected or undone, a retry on a stronger
   * model, a comparison pick). Never fails the caller: a feedback line that cannot be written is logged.
   */
  async feedback(decision: Decision, kind: FeedbackKind, comparison?: string): Promise<boolean> {
    if (!decision.chosen) return false;
    const engine = loadEngine();
    const record = engine.feedbackRecord(
      { requestId: decision.id, kind, agent: decision.agent, task: decision.task, provider: decision.chosen.provider, model: decision.chosen.model, ...(comparison ? { comparison } : {}) },
      Date.now(),
    );
    try {
      const store = await this.store();
      if (!store) return false;
      await store.append(record);
      this.log.debug(`Feedback on ${decision.id} (${decision.chosen.provider}/${decision.chosen.model}): ${kind}.`);
      this.recorded.fire(undefined);
      return true;
    } catch (error) {
      this.log.warn(`Feedback on ${decision.id} could not be recorded: ${errorMessage(error)}`);
      return false;
    }
  }

  private async open(): Promise<LedgerStore | undefined> {
    const engine = loadEngine();
    const { config } = await this.configService.get();
    try {
      const store = await engine.LedgerStore.open({
        dir: this.directory.fsPath,
        wasmPath: sqlWasmPath(),
        retentionDays: config.ledger.retentionDays,
        // Appends are durable in the journal at once. Compaction builds the file in a worker thread (this thread stalls
        // ~4 ms: bench ledger.compaction_block_ms) but rewrites the whole file: at most once a minute, and for a large
        // ledger at most 1 MiB/s on average (a 500 MB ledger of a million requests: every 8 minutes), and on close.
        compactIntervalMs: 60_000,
        compactBytesPerSecond: 1024 * 1024,
        onNotice: (message) => {
          this.log.warn(`Ledger: ${message}`);
          void vscode.window.showWarningMessage(`Model Router ledger: ${message}`);
        },
      });
      this.opened = store;
      this.log.info(`Ledger opened in ${this.directory.fsPath} (${store.count()} requests).`);
      return store;
    } catch (error) {
      this.log.error(`The ledger in ${this.directory.fsPath} could not be opened: ${errorMessage(error)}`);
      if (!this.failureShown) {
        this.failureShown = true;
        void vscode.window.showErrorMessage('Model Router: the usage ledger could not be opened, so requests are not recorded and budgets count only this session.', 'Show Log').then((choice) => {
          if (choice) this.log.show();
        });
      }
      this.opening = undefined;
      return undefined;
    }
  }
}
