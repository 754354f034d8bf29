/**
 * "Model Router: Compare Models…": the same request (the selection, a task) on two models at once, each streaming into
 * its own read-only document side by side (A beside the code, B beside A), then a question: which is better (A, B,
 * both fine, neither)? Both requests go to the ledger like any other (command `modelRouter.compareModels`), and the
 * pick is feedback on both answers (compare-win / compare-loss / compare-both / compare-neither), which the
 * dashboard counts per model. The models: the routed one and one the user picks, or the two cheapest that fit.
 */
import { randomUUID } from 'node:crypto';

import * as vscode from 'vscode';

import type { Config, TaskType } from '../../core/config/types';
import { TIERS } from '../../core/config/types';
import type { ComparedModel, ComparePick } from '../../core/routing/compare';
import { compareModels, comparisonFeedback, usableModels } from '../../core/routing/compare';
import type { Decision } from '../../core/routing/decision';
import type { RouteRequest } from '../../core/routing/router';
import { formatUsd } from '../../core/util/format';
import { notificationText } from '../../core/util/markdown';
import { CommandId } from '../commandIds';
import type { LedgerService } from '../ledgerService';
import type { Log } from '../log';
import type { RouterService } from '../routerService';
import type { VirtualDocuments } from './answers';
import { ANSWER_SCHEME, PROPOSAL_SCHEME } from './answers';
import type { RunTarget } from './target';
import { findTarget } from './target';

/** The tasks a comparison offers (a free question needs an instruction: use Ask twice). */
const COMPARE_TASKS: readonly TaskType[] = ['explain', 'review', 'refactor', 'fix', 'document', 'implement', 'tests'];

export interface CompareDeps {
  readonly documents: VirtualDocuments;
  readonly routerService: RouterService;
  readonly ledger: LedgerService;
  readonly log: Log;
  readonly config: () => Promise<Config>;
  readonly titles: Readonly<Record<TaskType, string>>;
  readonly footer: (decision: Decision) => string;
}

export interface CompareOptions {
  readonly task?: TaskType;
  /** `provider/model` to compare with the routed model; `cheapest` for the two cheapest that fit; absent: ask. */
  readonly with?: string;
}

export interface CompareResult {
  readonly a: Decision;
  readonly b: Decision;
  readonly pick: ComparePick | undefined;
  readonly comparison: string;
}

const nameOf = (m: { provider: string; model: string }): string => `${m.provider}/${m.model}`;

export async function runComparison(deps: CompareDeps, options: CompareOptions = {}): Promise<CompareResult | undefined> {
  const editor = vscode.window.activeTextEditor;
  let target: RunTarget | undefined;
  if (editor && editor.document.uri.scheme !== ANSWER_SCHEME && editor.document.uri.scheme !== PROPOSAL_SCHEME) target = await findTarget(editor);
  if (!editor || !target) {
    void vscode.window.showWarningMessage('Model Router: select the code to compare models on first (or put the cursor inside a function).');
    return undefined;
  }
  let task = options.task;
  if (!task) {
    const picked = await vscode.window.showQuickPick(
      COMPARE_TASKS.map((t) => ({ label: deps.titles[t], task: t })),
      { title: 'Model Router: Compare Models… (1/2)', placeHolder: `What should both models do with ${target.source}?` },
    );
    if (!picked) return undefined;
    task = picked.task;
  }
  const router = await deps.routerService.router();
  const request: RouteRequest = {
    task,
    text: target.text,
    language: target.document.languageId,
    source: target.source,
    fileName: target.document.uri.path.split('/').pop() ?? '',
    command: CommandId.compareModels,
    noCache: true,
  };
  const preview = await router.preview(request);
  const routed = usableModels(preview)[0];
  let withModel = options.with;
  if (withModel === undefined) {
    const config = await deps.config();
    type Item = vscode.QuickPickItem & { value?: string };
    const cheapest = compareModels(preview);
    const items: Item[] = [
      {
        label: 'The two cheapest that fit',
        detail: 'reason' in cheapest ? cheapest.reason : `${nameOf(cheapest.a)} (est. ${formatUsd(cheapest.a.estimateUsd)}) and ${nameOf(cheapest.b)} (est. ${formatUsd(cheapest.b.estimateUsd)})`,
        value: 'cheapest',
      },
      { label: routed ? `Compare ${nameOf(routed)} (routed) with…` : 'Compare with…', kind: vscode.QuickPickItemKind.Separator },
    ];
    for (const provider of Object.values(config.providers)) {
      if (!provider.enabled) continue;
      const seen = new Set<string>();
      for (const tier of TIERS) {
        const model = provider.models[tier];
        if (!model || seen.has(model) || (routed && nameOf(routed) === `${provider.id}/${model}`)) continue;
        seen.add(model);
        items.push({ label: `${provider.id}/${model}`, description: tier, value: `${provider.id}/${model}` });
      }
    }
    const picked = await vscode.window.showQuickPick(items, { title: 'Model Router: Compare Models… (2/2)', placeHolder: 'Which two models?' });
    if (!picked?.value) return undefined;
    withModel = picked.value;
  }
  let pair: ReturnType<typeof compareModels>;
  if (withModel === 'cheapest') pair = compareModels(preview);
  else {
    const slash = withModel.indexOf('/');
    pair = compareModels(preview, { provider: withModel.slice(0, slash), model: withModel.slice(slash + 1) });
  }
  if ('reason' in pair) {
    void vscode.window.showWarningMessage(`Model Router: cannot compare: ${notificationText(pair.reason)}.`);
    return undefined;
  }
  const { a, b } = pair;
  deps.log.info(`Compare ${deps.titles[task]} on ${target.source}: A ${nameOf(a)}, B ${nameOf(b)}.`);

  const column = editor.viewColumn ?? vscode.ViewColumn.One;
  const open = async (label: 'A' | 'B', model: ComparedModel, offset: number): Promise<vscode.Uri> => {
    const uri = deps.documents.create(ANSWER_SCHEME, `Compare ${label} — ${model.provider}-${model.model}.md`, `# ${label}: ${nameOf(model)}\n\n${deps.titles[task]} \`${target.source}\`\n\n`);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    await vscode.window.showTextDocument(document, { viewColumn: column + offset, preview: false, preserveFocus: true });
    return uri;
  };
  const uriA = await open('A', a, 1);
  const uriB = await open('B', b, 2);
  const controller = new AbortController();
  const stream = async (model: ComparedModel, uri: vscode.Uri): Promise<Decision | undefined> => {
    const redactor = deps.log.secrets.stream();
    let decision: Decision | undefined;
    for await (const event of router.route({ ...request, forced: { provider: model.provider, model: model.model }, signal: controller.signal })) {
      if (event.type === 'text') deps.documents.append(uri, redactor.push(event.text));
      else if (event.type === 'done') decision = event.decision;
    }
    deps.documents.append(uri, redactor.end());
    if (decision) {
      deps.documents.append(uri, decision.outcome === 'answered' ? `\n\n---\n*${deps.footer(decision)}*\n` : `\n\n---\n*${decision.outcome}: ${decision.error?.message ?? 'no answer'}*\n`);
      await deps.ledger.record(decision, undefined);
    }
    deps.documents.flush(uri);
    return decision;
  };
  const [decisionA, decisionB] = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Model Router: comparing ${nameOf(a)} and ${nameOf(b)}`, cancellable: true },
    async (_progress, token) => {
      token.onCancellationRequested(() => controller.abort());
      return Promise.all([stream(a, uriA), stream(b, uriB)]);
    },
  );
  if (!decisionA || !decisionB) return undefined;
  const comparison = randomUUID();
  if (decisionA.outcome !== 'answered' || decisionB.outcome !== 'answered') {
    const failed = [decisionA, decisionB].filter((d) => d.outcome !== 'answered').map((d) => `${d.forced ? nameOf(d.forced) : 'a model'}: ${d.error?.message ?? d.outcome}`);
    void vscode.window.showWarningMessage(`Model Router: the comparison is incomplete: ${notificationText(deps.log.clean(failed.join('; ')))}`);
    return { a: decisionA, b: decisionB, pick: undefined, comparison };
  }
  const buttons = ['A is better', 'B is better', 'Both fine', 'Neither'] as const;
  const choice = await vscode.window.showInformationMessage(
    `Model Router: which answer is better? A: ${nameOf(a)} (${formatUsd(decisionA.costUsd)}) · B: ${nameOf(b)} (${formatUsd(decisionB.costUsd)})`,
    ...buttons,
  );
  const pick: ComparePick | undefined = choice === buttons[0] ? 'a' : choice === buttons[1] ? 'b' : choice === buttons[2] ? 'both' : choice === buttons[3] ? 'neither' : undefined;
  if (pick) {
    const [kindA, kindB] = comparisonFeedback(pick);
    await deps.ledger.feedback(decisionA, kindA, comparison);
    await deps.ledger.feedback(decisionB, kindB, comparison);
    deps.log.info(`Comparison ${comparison}: ${choice} (A ${nameOf(a)}: ${kindA}, B ${nameOf(b)}: ${kindB}).`);
  }
  return { a: decisionA, b: decisionB, pick, comparison };
}
