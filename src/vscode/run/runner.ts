/**
 * One run of a command: the selection (or enclosing function) and the command's agent go to the router; a cancellable
 * progress notification shows the route before anything is sent ("anthropic/claude-sonnet-5-5 · complexity 7/10 ·
 * est. $0.012 · reasons"); cancelling aborts the HTTP request. Explain / Review / Ask stream into a Markdown document;
 * Refactor / Fix / Document / Implement / Tests end in a diff to accept (one undoable edit) or reject. Every run,
 * answered or not, ends in the ledger. Errors say what failed and offer what helps.
 */
import * as vscode from 'vscode';

import { describeCached } from '../../core/cache/answerCache';
import type { TaskType } from '../../core/config/types';
import { extractCode, fitIndentation, relocate } from '../../core/routing/answer';
import { describeFailureRecord, describeVerdictRecord, describeVerdictShort, failedCheckLines, shownVerdict } from '../../core/routing/cascade';
import type { Decision, RouteEvent } from '../../core/routing/decision';
import { fallbackCount } from '../../core/routing/decision';
import { candidateName, describeCost, describePlan, PRICE_UNKNOWN_NOTE } from '../../core/routing/describe';
import { EDIT_TASKS } from '../../core/routing/prompts';
import type { RouteRequest } from '../../core/routing/router';
import { formatMs, formatUsd } from '../../core/util/format';
import { notificationText } from '../../core/util/markdown';
import { CommandId, ContextKey } from '../commandIds';
import type { LedgerService } from '../ledgerService';
import { Disposable } from '../lifecycle';
import type { Log } from '../log';
import type { RouterService } from '../routerService';
import { ANSWER_SCHEME, PROPOSAL_SCHEME, VirtualDocuments } from './answers';
import type { CompareOptions, CompareResult } from './compare';
import { runComparison } from './compare';
import type { RunTarget } from './target';
import { findTarget } from './target';


export const TASK_TITLES: Readonly<Record<TaskType, string>> = {
  explain: 'Explain',
  refactor: 'Refactor',
  tests: 'Write Tests',
  review: 'Review',
  document: 'Document',
  fix: 'Fix',
  implement: 'Implement',
  ask: 'Ask',
};

export interface RunOptions {
  readonly forced?: { readonly provider: string; readonly model: string };
  readonly escalate?: boolean;
  readonly instruction?: string;
  readonly exclude?: readonly string[];
  /** The command id for the ledger (default: the task's command). */
  readonly command?: string;
  /** Answer afresh even when the answer cache holds this request ("Ask Again" after a cached answer). */
  readonly noCache?: boolean;
}

/** What a finished run produced (tests and the status bar read it). */
export interface RunResult {
  readonly decision: Decision;
  readonly answer: string;
  readonly recorded: boolean;
  /** The Markdown document or the proposal, when one was shown. */
  readonly document?: vscode.Uri;
}

interface LastRun {
  readonly task: TaskType;
  readonly target: RunTarget | undefined;
  readonly options: RunOptions;
  /** Its decision: "Retry with a Stronger Model" is feedback on it. */
  readonly decision: Decision;
}

/** How long after Accept an Undo of the applied edit still counts as "undone" (feedback). */
const UNDO_WATCH_MS = 30 * 60_000;

export class Runner extends Disposable {
  private readonly documents = this._register(new VirtualDocuments());
  private last: LastRun | undefined;
  private readonly finished = this._register(new vscode.EventEmitter<RunResult>());
  /** A run ended (answered or not). */
  readonly onDidFinish = this.finished.event;

  constructor(
    private readonly routerService: RouterService,
    private readonly ledger: LedgerService,
    private readonly log: Log,
  ) {
    super();
  }

  /** Runs `task` on the active editor's selection (or enclosing function); `ask` also works without an editor. */
  async run(task: TaskType, options: RunOptions = {}): Promise<RunResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    let target: RunTarget | undefined;
    if (editor && editor.document.uri.scheme !== ANSWER_SCHEME && editor.document.uri.scheme !== PROPOSAL_SCHEME) {
      target = await findTarget(editor);
    }
    if (!target && task !== 'ask') {
      void vscode.window.showWarningMessage(
        editor
          ? `Model Router: nothing to ${TASK_TITLES[task].toLowerCase()}. Select some code, or put the cursor inside a function.`
          : `Model Router: open a file and select the code to ${TASK_TITLES[task].toLowerCase()} first.`,
      );
      return undefined;
    }
    let instruction = options.instruction;
    if (task === 'ask' && instruction === undefined) {
      instruction = await vscode.window.showInputBox({
        title: 'Model Router: Ask',
        prompt: target ? `Ask about ${target.source} (${target.origin === 'selection' ? 'the selection' : target.origin === 'function' ? 'the enclosing function' : 'the file'})` : 'Ask a question',
        placeHolder: 'e.g. Is this thread-safe? How would you split this function?',
        ignoreFocusOut: true,
        validateInput: (value) => (value.trim() === '' ? 'Type a question, or press Escape to cancel.' : undefined),
      });
      if (instruction === undefined) return undefined;
    }
    return this.execute(task, target, { ...options, ...(instruction !== undefined ? { instruction } : {}) });
  }

  /** "Compare Models…": the same request on two models side by side, then the user's pick (see compare.ts). */
  compare(options: CompareOptions = {}): Promise<CompareResult | undefined> {
    return runComparison(
      {
        documents: this.documents,
        routerService: this.routerService,
        ledger: this.ledger,
        log: this.log,
        config: async () => (await this.routerService.router()).currentConfig,
        titles: TASK_TITLES,
        footer,
      },
      options,
    );
  }

  /** "Retry with a Stronger Model": the last run again, one tier up, on the same text. */
  async retryStronger(): Promise<RunResult | undefined> {
    const last = this.last;
    if (!last) {
      void vscode.window.showInformationMessage('Model Router: nothing to retry yet. Run a command first.');
      return undefined;
    }
    const { forced: _forced, exclude: _exclude, ...rest } = last.options;
    // The user found that answer not good enough: feedback on it (counted against its model's acceptance).
    if (last.decision.outcome === 'answered') void this.ledger.feedback(last.decision, 'retried-stronger');
    return this.execute(last.task, last.target, { ...rest, escalate: true });
  }

  private async execute(task: TaskType, target: RunTarget | undefined, options: RunOptions): Promise<RunResult | undefined> {
    const router = await this.routerService.router();
    const controller = new AbortController();
    const request: RouteRequest = {
      task,
      text: target?.text ?? '',
      ...(target ? { language: target.document.languageId, source: target.source, fileName: target.document.uri.path.split('/').pop() ?? '' } : {}),
      ...(options.instruction !== undefined ? { instruction: options.instruction } : {}),
      command: options.command ?? commandOf(task),
      ...(options.forced ? { forced: options.forced } : {}),
      ...(options.escalate ? { escalate: true } : {}),
      ...(options.exclude ? { exclude: options.exclude } : {}),
      ...(options.noCache ? { noCache: true } : {}),
      signal: controller.signal,
    };
    const edit = EDIT_TASKS.has(task);
    let answer = '';
    let answerUri: vscode.Uri | undefined;
    let decision: Decision | undefined;
    let plannedFirst: string | undefined;
    // After a failed check, every step of the stronger model's attempt carries why it runs ("qwen: 1 of 2 examples
    // failed → "): VS Code passes progress on at most once per 100 ms, the latest winning, so a step of its own could
    // be merged away before anyone saw it. Cleared by the next verdict.
    let lastVerdict = '';
    let because = '';
    // Key values (of every provider) are redacted from the answer even when one is split across two chunks.
    const redactor = this.log.secrets.stream();

    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Model Router: ${TASK_TITLES[task]}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        for await (const event of router.route(request)) {
          switch (event.type) {
            case 'plan': {
              const { first, parts } = describePlan(event.decision);
              const headline = [first ? candidateName(first) : 'no usable model', ...parts].join(' · ');
              progress.report({ message: headline });
              this.logPlan(event.decision, headline);
              plannedFirst = first ? candidateName(first) : undefined;
              break;
            }
            case 'attempt':
              // The first attempt on the planned model keeps the plan (model, complexity, tier, estimate) on screen:
              // replacing it at once would show the estimate for a few milliseconds only.
              if (event.attempt === 1 && candidateName(event) === plannedFirst) {
                this.log.debug(`Attempt 1 on ${event.provider}/${event.model} with key "${event.keyId}".`);
                break;
              }
              progress.report({ message: `${because}${event.provider}/${event.model}: sending${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}…` });
              this.log.debug(`Attempt ${event.attempt} on ${event.provider}/${event.model} with key "${event.keyId}".`);
              break;
            case 'text': {
              // Kept whole for the diff and the result; bounded: the router stops any answer at routing.maxAnswerChars
              // and never streams a second attempt after the first text, so this is at most that many characters.
              const text = redactor.push(event.text);
              answer += text;
              if (!edit) {
                if (!answerUri) answerUri = await this.openAnswer(task, target, event);
                if (text !== '') this.documents.append(answerUri, text);
              } else {
                progress.report({ message: `${because}writing… ${answer.length} characters` });
              }
              break;
            }
            case 'retry':
              progress.report({ message: `${event.provider}/${event.model}: ${event.reason}; retrying in ${formatMs(event.delayMs)}` });
              this.log.info(`Retry ${event.provider}/${event.model} in ${formatMs(event.delayMs)}: ${event.reason}`);
              break;
            case 'fallback':
              progress.report({ message: `falling back to ${event.provider}/${event.model}: ${event.reason}` });
              this.log.info(`Fallback to ${event.provider}/${event.model}: ${event.reason}`);
              break;
            case 'wait':
              progress.report({ message: `waiting ${formatMs(event.delayMs)}: ${event.reason}` });
              this.log.info(`Waiting ${formatMs(event.delayMs)}: ${event.reason}`);
              break;
            case 'verify':
              progress.report({ message: `${because}${event.model} answered · ${event.description}` });
              this.log.info(`${event.provider}/${event.model} answered; ${event.description}.`);
              break;
            case 'verdict': {
              progress.report({ message: `${event.model}: ${event.description}` });
              lastVerdict = `${event.model}: ${describeVerdictShort(event.verdict)}`;
              because = '';
              const isolation = event.verdict.isolation === 'none' ? ' (not isolated)' : event.verdict.isolation ? ` (isolated: ${event.verdict.isolation})` : '';
              this.log.info(`${event.provider}/${event.model}: ${event.description} in ${formatMs(event.verdict.ms)}${isolation}.`);
              for (const failure of event.verdict.failures) this.log.info(`  failed ${describeFailureRecord(failure)}`);
              break;
            }
            case 'escalate':
              progress.report({ message: `${event.reason} → ${event.to} tier` });
              because = `${lastVerdict || event.reason} → `;
              this.log.info(`Escalating to the ${event.to} tier: ${event.reason}`);
              break;
            case 'done':
              decision = event.decision;
              break;
          }
        }
      },
    );
    const held = redactor.end();
    answer += held;
    if (answerUri && held !== '') this.documents.append(answerUri, held);
    if (!decision) return undefined; // the router always ends with done; defensive
    if (answerUri) this.documents.flush(answerUri);
    const recorded = await this.ledger.record(decision, options.instruction);
    this.logOutcome(decision);
    this.last = { task, target, options, decision };
    void vscode.commands.executeCommand('setContext', ContextKey.canRetry, true);

    let shown = answerUri;
    if (decision.outcome === 'answered' && edit && target) {
      shown = await this.propose(task, target, answer, decision);
    } else if (decision.outcome !== 'answered') {
      this.reportFailure(task, target, options, decision, answerUri);
    }
    if (answerUri && decision.outcome === 'answered') this.documents.append(answerUri, `\n\n---\n*${footer(decision)}*\n`);
    if (answerUri) this.documents.flush(answerUri);
    if (decision.cached && !edit) this.offerAskAgain(task, target, options, decision);
    const result: RunResult = { decision, answer, recorded, ...(shown ? { document: shown } : {}) };
    this.finished.fire(result);
    return result;
  }

  /** A cached answer says so, and offers to ask the model afresh (the new answer replaces the cached one). */
  private offerAskAgain(task: TaskType, target: RunTarget | undefined, options: RunOptions, decision: Decision): void {
    if (!decision.cached) return;
    void vscode.window
      .showInformationMessage(`Model Router: ${TASK_TITLES[task]} answered from the cache: ${describeCached(decision.cached)}.`, 'Ask Again')
      .then(async (choice) => {
        if (choice === 'Ask Again') await this.execute(task, target, { ...options, noCache: true });
      });
  }

  private async openAnswer(task: TaskType, target: RunTarget | undefined, _event: RouteEvent): Promise<vscode.Uri> {
    const name = `${TASK_TITLES[task]}${target ? ` — ${target.source.split('/').pop()}` : ''}.md`;
    const head = `# ${TASK_TITLES[task]}${target ? ` \`${target.source}\`` : ''}\n\n`;
    const uri = this.documents.create(ANSWER_SCHEME, name, head);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
    return uri;
  }

  /** Shows the change as a diff and applies it when the user accepts. */
  private async propose(task: TaskType, target: RunTarget, answer: string, decision: Decision): Promise<vscode.Uri | undefined> {
    const extracted = extractCode(answer);
    if (!extracted) {
      void vscode.window.showWarningMessage(`Model Router: ${decision.chosen ? candidateName(decision.chosen) : 'the model'} answered with no code; nothing to apply.`);
      return undefined;
    }
    const document = target.document;
    const original = document.getText();
    const start = document.offsetAt(target.range.start);
    const end = document.offsetAt(target.range.end);
    // Tests go after the selection; every other edit replaces it.
    const replacement = task === 'tests' ? `${target.text}${target.text.endsWith('\n') ? '' : '\n'}\n${extracted.code}\n` : fitIndentation(target.text, extracted.code);
    const proposed = original.slice(0, start) + replacement + original.slice(end);
    const name = document.uri.path.split('/').pop() ?? 'proposal';
    const proposal = this.documents.create(PROPOSAL_SCHEME, name, proposed);
    const verdict = shownVerdict(decision);
    const checked = verdict ? ` · ${describeVerdictRecord(verdict)}` : '';
    const title = `${name}: ${TASK_TITLES[task]} by ${decision.chosen ? candidateName(decision.chosen) : 'the model'} (proposed${checked})`;
    const failed = failedCheckLines(decision);
    if (failed.length > 0) this.log.warn(`${target.source}: ${failed.join('\n  ')}`);
    await vscode.commands.executeCommand('vscode.diff', document.uri, proposal, title, { preview: true });
    const choice = await vscode.window.showInformationMessage(
      `Model Router: apply the ${TASK_TITLES[task].toLowerCase()} proposed by ${decision.chosen ? candidateName(decision.chosen) : 'the model'} to ${target.source}? (${footer(decision)})${failed.length > 0 ? ` Careful: ${notificationText(this.log.clean(failed.join(' ')))}` : ''}`,
      'Accept',
      'Reject',
    );
    if (choice !== 'Accept') {
      this.log.info(`Proposal for ${target.source} rejected.`);
      void this.ledger.feedback(decision, 'rejected');
      await this.closeDiff(proposal);
      return proposal;
    }
    // The document may have changed while the model answered: find the original text again, never guess.
    let offset = start;
    if (document.version !== target.version) {
      const found = relocate(document.getText(), target.text, start);
      if (found === undefined) {
        const again = await vscode.window.showWarningMessage(
          `Model Router: ${target.source} changed while the model answered and the original code is no longer there unchanged, so the proposal was not applied.`,
          'Copy Proposed Code',
        );
        if (again) await vscode.env.clipboard.writeText(extracted.code);
        return proposal;
      }
      offset = found;
    }
    const range = new vscode.Range(document.positionAt(offset), document.positionAt(offset + target.text.length));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, range, replacement);
    const applied = await vscode.workspace.applyEdit(edit);
    if (!applied) {
      void vscode.window.showErrorMessage(`Model Router: VS Code refused the edit to ${target.source} (is the file read-only?).`);
      return proposal;
    }
    this.log.info(`Proposal applied to ${target.source} (one edit: Undo reverts it).`);
    void this.ledger.feedback(decision, 'accepted');
    this.watchUndo(document, document.positionAt(offset), target.text, decision);
    await this.closeDiff(proposal);
    await vscode.window.showTextDocument(document, { selection: new vscode.Range(range.start, document.positionAt(offset + replacement.length)) });
    return proposal;
  }

  /**
   * Records "undone" when an Undo in `document` brings the original code back where the accepted edit put the
   * proposal (within {@link UNDO_WATCH_MS}; once).
   */
  private watchUndo(document: vscode.TextDocument, start: vscode.Position, original: string, decision: Decision): void {
    const stop = (): void => {
      clearTimeout(timer);
      listener.dispose();
    };
    const timer = setTimeout(stop, UNDO_WATCH_MS);
    const listener = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document !== document || event.reason !== vscode.TextDocumentChangeReason.Undo) return;
      const at = document.offsetAt(start);
      if (document.getText().slice(at, at + original.length) !== original) return;
      stop();
      this.log.info(`The applied proposal was undone.`);
      void this.ledger.feedback(decision, 'undone');
    });
    this._register({ dispose: stop });
  }

  private async closeDiff(proposal: vscode.Uri): Promise<void> {
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        const input = tab.input;
        if (input instanceof vscode.TabInputTextDiff && input.modified.toString() === proposal.toString()) await vscode.window.tabGroups.close(tab);
      }
    }
  }

  private reportFailure(task: TaskType, target: RunTarget | undefined, options: RunOptions, decision: Decision, answerUri: vscode.Uri | undefined): void {
    if (decision.outcome === 'aborted') {
      this.log.info('Cancelled.');
      if (answerUri) this.documents.append(answerUri, '\n\n---\n*Cancelled.*\n');
      return;
    }
    const actions: string[] = [];
    let message: string;
    if (decision.outcome === 'interrupted' && decision.interrupted) {
      const who = `${decision.interrupted.provider}/${decision.interrupted.model}`;
      message = `the answer from ${who} broke off (${decision.error?.message ?? 'stream ended'}). What arrived is ${answerUri ? 'in the document' : 'not applied'}; nothing from another model was spliced in.`;
      if (answerUri) this.documents.append(answerUri, `\n\n---\n*The answer from ${who} broke off here.*\n`);
      if (decision.interrupted.continueWith.length > 0) actions.push(`Retry on ${decision.interrupted.continueWith[0]}`);
    } else {
      message = decision.error?.message ?? 'the request failed.';
    }
    const kind = decision.error?.kind;
    const authFailed = decision.attempts.some((a) => a.errorKind === 'auth');
    const noKey = kind === 'unavailable' && decision.candidates.some((c) => c.keys?.some((key) => key.reason === 'missing'));
    if (authFailed || noKey) actions.push('Set API Key');
    if (kind === 'budget') actions.push('Budget Settings');
    if (kind === 'exhausted' || kind === 'unavailable' || decision.attempts.length > 0) actions.push('Send to Model…');
    actions.push('Show Log');
    this.log.warn(`${TASK_TITLES[task]} failed: ${message}`);
    // The message may quote a provider's error body: no key of any provider, no link a click would follow.
    void vscode.window.showErrorMessage(`Model Router: ${notificationText(this.log.clean(message))}`, ...actions.slice(0, 4)).then(async (choice) => {
      if (!choice) return;
      if (choice === 'Show Log') this.log.show();
      else if (choice === 'Set API Key') await vscode.commands.executeCommand(CommandId.setApiKey, decision.attempts.find((a) => a.errorKind === 'auth')?.provider);
      else if (choice === 'Budget Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'modelRouter.budget');
      else if (choice === 'Send to Model…') await vscode.commands.executeCommand(CommandId.sendToModel, task);
      else if (choice.startsWith('Retry on ') && decision.interrupted) {
        const failed = `${decision.interrupted.provider}/${decision.interrupted.model}`;
        await this.execute(task, target, { ...options, exclude: [...(options.exclude ?? []), failed] });
      }
    });
  }

  private logPlan(decision: Decision, headline: string): void {
    this.log.info(`${decision.agent} (${decision.task}): ${headline}`);
    for (const candidate of decision.candidates) {
      this.log.debug(`  candidate ${candidateName(candidate)} [${candidate.tier}]: ${candidate.status}${candidate.reason ? ` — ${candidate.reason}` : ''}${candidate.estimateUsd !== undefined ? ` (est. ${formatUsd(candidate.estimateUsd)}${candidate.priceUnknown === true ? ` ${PRICE_UNKNOWN_NOTE}` : ''})` : ''}`);
    }
    for (const warning of decision.budgetWarnings) this.log.warn(warning);
  }

  private logOutcome(decision: Decision): void {
    const attempts = decision.attempts
      .map((a) => `${a.provider}/${a.model} key "${a.keyId}" ${a.status}${a.errorKind ? ` (${a.errorKind}${a.httpStatus ? ` ${a.httpStatus}` : ''})` : ''} ${formatMs(a.latencyMs)}`)
      .join('; ');
    this.log.info(`Request ${decision.id} ${decision.outcome}: ${footer(decision)}${attempts ? ` — attempts: ${attempts}` : ''}`);
    for (const a of decision.attempts) {
      if (a.usageImplausible) this.log.warn(`${a.provider}/${a.model}: ${a.usageImplausible}.`);
    }
  }
}

function commandOf(task: TaskType): string {
  const ids: Record<TaskType, string> = {
    explain: CommandId.explain,
    refactor: CommandId.refactor,
    tests: CommandId.writeTests,
    review: CommandId.review,
    document: CommandId.document,
    fix: CommandId.fix,
    implement: CommandId.implement,
    ask: CommandId.ask,
  };
  return ids[task];
}

/** "anthropic/claude-sonnet-5-5 · 1,234 → 456 tokens · $0.0123 · 2.1 s". */
export function footer(decision: Decision): string {
  const parts: string[] = [];
  if (decision.chosen) parts.push(candidateName(decision.chosen));
  if (decision.cached) {
    parts.push(describeCached(decision.cached));
    return parts.join(' · ');
  }
  parts.push(`${decision.usage.inputTokens.toLocaleString('en-US')} → ${decision.usage.outputTokens.toLocaleString('en-US')} tokens`);
  parts.push(describeCost(decision));
  parts.push(formatMs(decision.finishedAt - decision.startedAt));
  const fallbacks = fallbackCount(decision);
  if (decision.escalatedBy === 'verification') parts.push('escalated by a failed check');
  else if (fallbacks > 0) parts.push(`${fallbacks} fallback${fallbacks === 1 ? '' : 's'}`);
  const verdict = shownVerdict(decision);
  if (verdict) parts.push(describeVerdictRecord(verdict));
  return parts.join(' · ');
}
