/**
 * `model-router compare`: the same request on two models at once (the routed one and `--model`, or the two cheapest
 * that fit), both answers printed one after the other under "A:" and "B:" headings once both are in; `--pick` records
 * which was better (feedback on both answers, as the extension's Compare Models… does). Both requests are recorded.
 */
import { randomUUID } from 'node:crypto';

import type { AgentId, TaskType } from '../../core/config/types';
import { AGENT_IDS, TASK_TYPES } from '../../core/config/types';
import { feedbackRecord } from '../../core/ledger/feedback';
import type { LedgerRecord } from '../../core/ledger/record';
import { recordDecisions } from '../../core/ledger/recorder';
import { SharedBudgetHolds } from '../../core/ledger/reservations';
import { PendingSpend } from '../../core/ledger/spend';
import type { LedgerStore } from '../../core/ledger/store';
import type { ComparedModel, ComparePick } from '../../core/routing/compare';
import { COMPARE_PICKS, compareModels, comparisonFeedback } from '../../core/routing/compare';
import type { Decision } from '../../core/routing/decision';
import { describeCost } from '../../core/routing/describe';
import type { RouteRequest } from '../../core/routing/router';
import { Router } from '../../core/routing/router';
import { formatMs } from '../../core/util/format';
import { oneOf, parseCommand } from '../args';
import { loadConfiguration } from '../context';
import { environmentKeySource } from '../environment';
import type { ExitCode } from '../exitCodes';
import { EXIT, usageError } from '../exitCodes';
import type { CliIo, Output } from '../io';
import { describeLedgerError, fileAlertMemory, openLedger } from '../ledger';
import { cliRouteRequest, parseModel, readInput, REQUEST_OPTIONS } from './ask';

export const COMPARE_OPTIONS = {
  ...REQUEST_OPTIONS,
  pick: { type: 'string' },
} as const;

export interface CompareDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  readonly args: readonly string[];
}

const nameOf = (m: { provider: string; model: string }): string => `${m.provider}/${m.model}`;

async function collect(router: Router, request: RouteRequest, model: ComparedModel): Promise<{ text: string; decision: Decision }> {
  let text = '';
  let decision: Decision | undefined;
  for await (const event of router.route({ ...request, forced: { provider: model.provider, model: model.model } })) {
    if (event.type === 'text') text += event.text;
    else if (event.type === 'done') decision = event.decision;
  }
  if (!decision) throw new Error('the router ended without a decision');
  return { text, decision };
}

function resultLine(label: string, model: ComparedModel, decision: Decision): string {
  if (decision.outcome !== 'answered') return `model-router: ${label} ${nameOf(model)}: ${decision.outcome}: ${decision.error?.message ?? 'no answer'}`;
  const last = decision.attempts[decision.attempts.length - 1];
  return `model-router: ${label} ${nameOf(model)} in ${formatMs(last?.latencyMs ?? 0)} · ${decision.usage.inputTokens} in + ${decision.usage.outputTokens} out tokens · ${describeCost(decision)}`;
}

export async function runCompare({ io, out, err, args }: CompareDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, COMPARE_OPTIONS, 'compare');
  if (positionals.length > 0) throw usageError(`compare takes no positional arguments (got: ${positionals.join(' ')}).`, 'compare');
  if (values.agent === undefined && values.task === undefined) {
    throw usageError(`compare needs --agent A or --task T. Agents: ${AGENT_IDS.join(', ')}. Tasks: ${TASK_TYPES.join(', ')}.`, 'compare');
  }
  const agent: AgentId | undefined = values.agent === undefined ? undefined : oneOf(values.agent, AGENT_IDS, 'agent', 'compare');
  const taskFlag: TaskType | undefined = values.task === undefined ? undefined : oneOf(values.task, TASK_TYPES, 'task', 'compare');
  const pick: ComparePick | undefined = values.pick === undefined ? undefined : oneOf(values.pick, COMPARE_PICKS, 'pick', 'compare');
  const quiet = values.quiet === true;
  const { config, paths } = await loadConfiguration(globals, io, err, { quiet });
  const withModel = values.model === undefined ? undefined : parseModel(values.model, config);
  const { input } = await readInput(values, io);
  const request: RouteRequest = {
    ...cliRouteRequest({ values, agent, taskFlag, input, config, command: 'compare' }),
    noCache: true,
    ...(io.signal ? { signal: io.signal } : {}),
  };
  let store: LedgerStore | undefined;
  try {
    store = await openLedger({ dataDir: paths.dataDir, config, err });
  } catch (error) {
    err.line(`model-router: warning: cannot open the request ledger in ${paths.dataDir} (${describeLedgerError(error)}); nothing is recorded.`);
  }
  const spend =
    store === undefined ? undefined : new PendingSpend({ db: () => store.db, recover: (error) => store.recover(error), holds: new SharedBudgetHolds(paths.dataDir) });
  const router = new Router(config, {
    keys: environmentKeySource(io.env),
    ...(spend ? { spend } : {}),
    ...(store !== undefined ? { alertMemory: fileAlertMemory(paths.dataDir) } : {}),
  });
  const alerts = router.budget.onAlert((alert) => err.line(alert.message));
  try {
    const pair = compareModels(await router.preview(request), withModel);
    if ('reason' in pair) {
      err.line(`model-router: cannot compare: ${pair.reason}.`);
      return EXIT.unavailable;
    }
    if (!quiet) err.line(`model-router: comparing A ${nameOf(pair.a)} and B ${nameOf(pair.b)}`);
    const [a, b] = await Promise.all([collect(router, request, pair.a), collect(router, request, pair.b)]);
    out.line(`=== A: ${nameOf(pair.a)} ===`);
    out.writeStreamed(a.text);
    out.endLine();
    out.line('');
    out.line(`=== B: ${nameOf(pair.b)} ===`);
    out.writeStreamed(b.text);
    out.endLine();
    if (!quiet) {
      err.line(resultLine('A', pair.a, a.decision));
      err.line(resultLine('B', pair.b, b.decision));
    }
    const both = a.decision.outcome === 'answered' && b.decision.outcome === 'answered';
    if (pick && !both) err.line('model-router: --pick is not recorded: one of the two did not answer.');
    if (store !== undefined) {
      const picks: LedgerRecord[] = [];
      if (pick && both) {
        const comparison = randomUUID();
        const [kindA, kindB] = comparisonFeedback(pick);
        const now = Date.now();
        for (const [decision, kind] of [[a.decision, kindA], [b.decision, kindB]] as const) {
          picks.push(feedbackRecord({ requestId: decision.id, kind, agent: decision.agent, task: decision.task, provider: decision.chosen!.provider, model: decision.chosen!.model, comparison }, now));
        }
        if (!quiet) err.line(`model-router: recorded: A ${kindA}, B ${kindB}`);
      }
      const outcome = await recordDecisions([a.decision, b.decision], {
        store,
        spend,
        instruction: values.prompt,
        storeInstruction: config.ledger.storeInstructions,
        secrets: err.secrets,
        extra: picks,
      });
      // Said the same way whether the write failed or the budget holds could not be released after it.
      if (!outcome.recorded || 'holdsError' in outcome) {
        const error = outcome.recorded ? outcome.holdsError : outcome.error;
        err.line(`model-router: warning: the comparison could not be recorded in the ledger (${describeLedgerError(error)}).`);
      }
    }
    if (values.json) out.line(JSON.stringify({ a: a.decision, b: b.decision, ...(pick ? { pick } : {}) }));
    return both ? EXIT.ok : EXIT.failed;
  } finally {
    alerts.dispose();
    router.dispose();
    if (store !== undefined) await store.close().catch(() => undefined);
  }
}
