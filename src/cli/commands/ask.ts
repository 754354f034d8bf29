/**
 * `model-router ask`: routes one request through the Router and streams the answer to stdout as it arrives. The
 * plan, retries, fallbacks, waits and the outcome go to stderr; `--json` adds the decision record as the last line of
 * stdout.
 */
import { AnswerCache, describeCached } from '../../core/cache/answerCache';
import { didYouMean } from '../../core/config/diagnostics';
import type { AgentId, Config, TaskType } from '../../core/config/types';
import { AGENT_IDS, TASK_TYPES } from '../../core/config/types';
import { SharedKeyLimits } from '../../core/ledger/keyLimits';
import { recentAttempts } from '../../core/ledger/queries';
import { recordDecisions } from '../../core/ledger/recorder';
import { SharedBudgetHolds } from '../../core/ledger/reservations';
import { PendingSpend } from '../../core/ledger/spend';
import type { LedgerStore } from '../../core/ledger/store';
import { describeVerdictRecord, failedCheckLines, shownVerdict } from '../../core/routing/cascade';
import type { CandidateRecord, Decision, RouteEvent } from '../../core/routing/decision';
import { candidateName, describeCost, describePlan } from '../../core/routing/describe';
import { PERFORMANCE_LOOKBACK_MS } from '../../core/routing/performance';
import type { CascadeVerification, RouteRequest } from '../../core/routing/router';
import { Router } from '../../core/routing/router';
import { LANGUAGE_CHECKS } from '../../core/verify/languages';
import { CHECKED_TASKS, planChecks } from '../../core/verify/verify';
import { oneOf, parseCommand } from '../args';
import { loadConfiguration } from '../context';
import type { Env } from '../environment';
import { describeKeyVariables, environmentKeySource, missingKeys } from '../environment';
import type { ExitCode } from '../exitCodes';
import { EXIT, usageError } from '../exitCodes';
import { formatChain, formatMs } from '../format';
import type { InputText } from '../input';
import { readFileInput } from '../input';
import type { CliIo, Output } from '../io';
import { readAll } from '../io';
import { describeLedgerError, fileAlertMemory, openLedger } from '../ledger';
import { createCliVerifier, verifierOptionsOf } from '../verifier';

/** The options of a routed request, shared by `ask` and `compare` (see {@link cliRouteRequest}). */
export const REQUEST_OPTIONS = {
  agent: { type: 'string' },
  task: { type: 'string' },
  file: { type: 'string' },
  prompt: { type: 'string' },
  language: { type: 'string' },
  model: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const ASK_OPTIONS = {
  ...REQUEST_OPTIONS,
  stronger: { type: 'boolean' },
  exclude: { type: 'string', multiple: true },
  cascade: { type: 'boolean' },
  verify: { type: 'boolean' },
  'no-cache': { type: 'boolean' },
} as const;

export interface AskDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  /** The arguments after `ask`. */
  readonly args: readonly string[];
  /** The whole command line, to print a "continue with" command after an interrupted answer. */
  readonly argv: readonly string[];
}

/**
 * The exit code of a finished request: 0 answered; 130 cancelled by Ctrl-C; 4 when nothing usable was left to send
 * it to (keys missing or rejected, every key rate limited, over budget); 1 otherwise (every candidate failed, or the
 * answer broke off after it had started).
 */
export function exitCodeOf(decision: Decision): ExitCode {
  if (decision.outcome === 'answered') return EXIT.ok;
  if (decision.outcome === 'aborted') return EXIT.interrupted;
  if (decision.outcome === 'interrupted') return EXIT.failed;
  const kind = decision.error?.kind;
  if (kind === 'unavailable' || kind === 'exhausted' || kind === 'budget') return EXIT.unavailable;
  if (decision.attempts.length > 0 && decision.attempts.every((attempt) => attempt.errorKind === 'auth')) return EXIT.unavailable;
  return EXIT.failed;
}

export function parseModel(value: string, config: Config): { provider: string; model: string } {
  const slash = value.indexOf('/');
  const providers = Object.keys(config.providers);
  if (slash <= 0 || slash === value.length - 1) {
    throw usageError(`--model needs PROVIDER/MODEL, e.g. anthropic/${config.providers.anthropic?.models.medium ?? 'MODEL'} (got "${value}"). Providers: ${providers.join(', ')}.`, 'ask');
  }
  const provider = value.slice(0, slash);
  const model = value.slice(slash + 1);
  if (!providers.includes(provider)) {
    const guess = didYouMean(provider, providers);
    throw usageError(`--model ${value}: unknown provider "${provider}"${guess ? ` (did you mean "${guess}"?)` : ''}. Providers: ${providers.join(', ')}.`, 'ask');
  }
  return { provider, model };
}

/** Single-quotes an argument for a POSIX shell when it needs it. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-./:=@,+%]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A skip reason in the CLI's terms: a key that is not stored names its environment variable. */
function explainSkip(candidate: CandidateRecord): string {
  let reason = candidate.reason ?? 'skipped';
  for (const key of candidate.keys ?? []) {
    if (key.reason === 'missing') reason = reason.replace(key.message, `${key.keyId}: ${describeKeyVariables(candidate.provider, key.keyId)} not set`);
  }
  return reason;
}

function planLines(decision: Decision): string[] {
  const planned = decision.candidates.filter((c) => c.status === 'planned');
  const skipped = decision.candidates.filter((c) => c.status === 'skipped');
  const { first, parts: details } = describePlan(decision);
  const parts = [`${decision.agent} → ${first ? candidateName(first) : 'no usable candidate'}`, ...details];
  const lines = [`model-router: ${parts.join(' · ')}`];
  if (planned.length > 1) lines.push(`  then: ${formatChain(planned.slice(1).map(candidateName))}`);
  for (const candidate of skipped) lines.push(`  skipped ${candidateName(candidate)}: ${explainSkip(candidate)}`);
  for (const warning of decision.budgetWarnings) lines.push(`  budget: ${warning}`);
  return lines;
}

/**
 * Verify-then-escalate for this run: when the configuration wants a cascade and the task is one whose answer can be
 * checked. Checks run only with consent (`verify: { run: true }`, --verify or --cascade); without it nothing is
 * probed (the plan needs no interpreter) and a request that carries checks gets one note saying how to turn them on.
 */
async function cascadeVerification(config: Config, allowed: boolean, request: RouteRequest, quiet: boolean, err: Output): Promise<CascadeVerification | undefined> {
  if (!config.verify.cascade || !(CHECKED_TASKS as readonly string[]).includes(request.task)) return undefined;
  if (allowed || config.verify.run) return { verifier: await createCliVerifier(verifierOptionsOf(config.verify)), mayRun: () => true };
  return {
    verifier: {
      plan: (checked) => planChecks(checked, LANGUAGE_CHECKS),
      verify: () => Promise.reject(new Error('checks may not run without --verify')),
    },
    mayRun: () => {
      if (!quiet) {
        err.line('model-router: note: this request carries checks (examples, asserts or tests); pass --verify (or set verify: { run: true } in the config) to let a cheap model answer first, check its code in a sandbox, and escalate only when a check fails.');
      }
      return false;
    },
  };
}

function usageLine(decision: Decision): string {
  const chosen = decision.chosen ? `${decision.chosen.provider}/${decision.chosen.model}` : 'unknown';
  if (decision.cached) return `model-router: answered by ${chosen}, ${describeCached(decision.cached)}; ask again with --no-cache for a new answer`;
  const last = decision.attempts[decision.attempts.length - 1];
  const parts = [`answered by ${chosen} in ${formatMs(last?.latencyMs ?? decision.finishedAt - decision.startedAt)}`];
  if (last?.ttftMs !== undefined) parts[0] += ` (first text after ${formatMs(last.ttftMs)})`;
  if (decision.attempts.length > 1) parts.push(`${decision.attempts.length} attempts`);
  const estimated = decision.attempts.some((a) => a.usageEstimated) ? ' (estimated)' : '';
  parts.push(`${decision.usage.inputTokens} in + ${decision.usage.outputTokens} out tokens${estimated}`);
  parts.push(describeCost(decision));
  const verdict = shownVerdict(decision);
  if (verdict && decision.cascade?.kept !== 'best-failing') parts.push(describeVerdictRecord(verdict));
  return `model-router: ${parts.join(' · ')}`;
}

/** Env variables that would make a provider of the agent's chain usable, for "no usable provider". */
function keyAdvice(decision: Decision, config: Config, env: Env): string | undefined {
  const needed: string[] = [];
  for (const candidate of decision.candidates) {
    const provider = config.providers[candidate.provider];
    if (!provider?.enabled || !provider.requiresKey) continue;
    const missing = missingKeys(env, provider);
    if (missing.length === provider.keys.length && missing[0] !== undefined) {
      needed.push(`${describeKeyVariables(provider.id, missing[0])} (${provider.id})`);
    }
  }
  return needed.length > 0 ? `Set a key in the environment: ${needed.join(', ')}.` : undefined;
}

interface FailureContext {
  readonly config: Config;
  readonly env: Env;
  readonly argv: readonly string[];
  readonly stdinUsed: boolean;
  /** Whether any answer text reached stdout. */
  readonly wroteText: boolean;
}

function failureLines(decision: Decision, { config, env, argv, stdinUsed, wroteText }: FailureContext): string[] {
  const lines: string[] = [];
  if (decision.outcome === 'aborted') {
    lines.push(`model-router: interrupted: the request was cancelled (Ctrl-C)${wroteText ? '; the answer above is incomplete' : ''}.`);
    return lines;
  }
  if (decision.outcome === 'interrupted' && decision.interrupted) {
    const { provider, model, continueWith } = decision.interrupted;
    lines.push(
      `model-router: the answer from ${provider}/${model} broke off after it had started (${decision.error?.message ?? 'stream interrupted'}).`,
      '  The text above is that model\'s partial answer. It is not retried on another model automatically, so two models\' answers are never spliced.',
    );
    if (continueWith.length > 0) {
      const rerun = ['model-router', ...argv.map(shellQuote), '--exclude', `${provider}/${model}`].join(' ');
      lines.push(`  Next candidates: ${formatChain(continueWith)}. To ask again without ${provider}/${model}:`);
      lines.push(`    ${rerun}${stdinUsed ? '   (with the same input on stdin)' : ''}`);
    } else {
      lines.push('  No other candidate is left for this request.');
    }
    return lines;
  }
  const kind = decision.error?.kind;
  if (kind === 'unavailable' || kind === 'budget') {
    const skipped = decision.candidates.filter((c) => c.status === 'skipped');
    lines.push(`model-router: no usable provider for ${decision.agent} (${decision.tier} tier):`);
    if (skipped.length === 0) lines.push(`  ${decision.error?.message ?? 'the chain is empty'}`);
    for (const candidate of skipped) lines.push(`  ${candidateName(candidate)}: ${explainSkip(candidate)}`);
    const advice = keyAdvice(decision, config, env);
    if (advice) lines.push(`  ${advice}`);
    return lines;
  }
  lines.push(`model-router: failed: ${decision.error?.message ?? 'the request failed'}`);
  if (decision.attempts.length > 0) {
    for (const attempt of decision.attempts) {
      const status = attempt.httpStatus !== undefined ? ` ${attempt.httpStatus}` : '';
      lines.push(`  ${attempt.provider}/${attempt.model} (key ${attempt.keyId}): ${attempt.errorKind ?? attempt.status}${status}${attempt.message ? `: ${attempt.message}` : ''}`);
    }
  }
  if (exitCodeOf(decision) === EXIT.unavailable) {
    lines.push('  Every key that was tried was rejected: check the keys in your environment (model-router status tests them).');
  }
  return lines;
}

function eventLine(event: RouteEvent): string | undefined {
  switch (event.type) {
    case 'retry':
      return `model-router: retrying ${event.provider}/${event.model} in ${formatMs(event.delayMs)}: ${event.reason}`;
    case 'fallback':
      return `model-router: falling back to ${event.provider}/${event.model}; ${event.reason}`;
    case 'wait':
      return `model-router: waiting ${formatMs(event.delayMs)}: ${event.reason}`;
    case 'verify':
      return `model-router: ${event.provider}/${event.model} answered · ${event.description}`;
    case 'verdict':
      return `model-router: ${event.description}${event.verdict.isolation === 'none' ? ' (NOT isolated: see model-router verify --help)' : ''}`;
    case 'escalate':
      return `model-router: escalating to the ${event.to} tier: ${event.reason}`;
    default:
      return undefined;
  }
}

/**
 * The request `ask` and `compare` route: the task (the flag, else the agent's first, else ask), the code read from
 * --file or stdin with its language and source, and --prompt as the instruction; a usage error when both are empty.
 */
export function cliRouteRequest(options: {
  readonly values: { readonly prompt?: string; readonly language?: string };
  readonly agent: AgentId | undefined;
  readonly taskFlag: TaskType | undefined;
  readonly input: InputText;
  readonly config: Config;
  readonly command: 'ask' | 'compare';
}): RouteRequest {
  const { values, agent, taskFlag, input, config, command } = options;
  if (input.text.trim() === '' && !values.prompt?.trim()) {
    throw usageError(`nothing to ${command}${command === 'compare' ? ' on' : ''}: give --prompt "question", --file PATH[:START-END], or pipe text on stdin.`, command);
  }
  const task: TaskType = taskFlag ?? (agent ? (config.agents[agent].tasks[0] ?? 'ask') : 'ask');
  const language = values.language ?? input.language;
  return {
    task,
    ...(agent ? { agent } : {}),
    text: input.text,
    ...(language ? { language } : {}),
    ...(values.prompt ? { instruction: values.prompt } : {}),
    ...(input.source ? { source: input.source } : {}),
    ...(input.fileName ? { fileName: input.fileName } : {}),
    command: `cli.${command}`,
  };
}

export async function readInput(values: { file?: string; prompt?: string }, io: CliIo): Promise<{ input: InputText; stdinUsed: boolean }> {
  if (values.file !== undefined) return { input: await readFileInput(values.file, io, 'ask'), stdinUsed: values.file === '-' };
  if (values.prompt === undefined && io.stdin.isTTY !== true) return { input: { text: await readAll(io.stdin) }, stdinUsed: true };
  return { input: { text: '' }, stdinUsed: false };
}

export async function runAsk({ io, out, err, args, argv }: AskDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, ASK_OPTIONS, 'ask');
  if (positionals.length > 0) {
    throw usageError(`ask takes no positional arguments (got: ${positionals.join(' ')}); pass the question with --prompt "..." and code with --file PATH.`, 'ask');
  }
  if (values.agent === undefined && values.task === undefined) {
    throw usageError(`ask needs --agent A or --task T. Agents: ${AGENT_IDS.join(', ')}. Tasks: ${TASK_TYPES.join(', ')}.`, 'ask');
  }
  const agent: AgentId | undefined = values.agent === undefined ? undefined : oneOf(values.agent, AGENT_IDS, 'agent', 'ask');
  const taskFlag: TaskType | undefined = values.task === undefined ? undefined : oneOf(values.task, TASK_TYPES, 'task', 'ask');
  if (values.model !== undefined && values.stronger) throw usageError('--stronger picks a stronger tier, --model picks the model itself: use one of them.', 'ask');
  for (const excluded of values.exclude ?? []) {
    if (!/^[^/]+\/.+$/.test(excluded)) throw usageError(`--exclude needs PROVIDER/MODEL (got "${excluded}").`, 'ask');
  }
  const quiet = values.quiet === true;
  const { config, paths } = await loadConfiguration(globals, io, err, { quiet, noteMissingUserFile: true });
  const forced = values.model === undefined ? undefined : parseModel(values.model, config);
  if (forced && !quiet) {
    const provider = config.providers[forced.provider]!;
    if (!Object.values(provider.models).includes(forced.model)) {
      err.line(`model-router: note: ${forced.model} is not one of ${forced.provider}'s configured models (${Object.values(provider.models).join(', ') || 'none'}); sending it as given.`);
    }
  }
  const { input, stdinUsed } = await readInput(values, io);
  const request: RouteRequest = {
    ...cliRouteRequest({ values, agent, taskFlag, input, config, command: 'ask' }),
    ...(forced ? { forced } : {}),
    ...(values.stronger ? { escalate: true } : {}),
    ...(values.exclude?.length ? { exclude: values.exclude } : {}),
    ...(values['no-cache'] ? { noCache: true } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };

  // The ledger: budgets count every request recorded before (not only this run's), and this request is recorded when
  // it ends. A ledger that cannot be opened never stops the answer: the request is routed without being recorded.
  let store: LedgerStore | undefined;
  try {
    store = await openLedger({ dataDir: paths.dataDir, config, err });
  } catch (error) {
    err.line(`model-router: warning: cannot open the request ledger in ${paths.dataDir} (${describeLedgerError(error)}).`);
    err.line('  This request is answered but NOT recorded, and budgets count only this run\'s spend. Fix the directory or pass --data-dir.');
  }
  // Budget holds live beside the ledger, so concurrent `ask`s and VS Code windows on this data directory see each other.
  const spend =
    store === undefined
      ? undefined
      : new PendingSpend({ db: () => store.db, recover: (error) => store.recover(error), holds: new SharedBudgetHolds(paths.dataDir) });
  const cascadeConfig = values.cascade && !config.verify.cascade ? { ...config, verify: { ...config.verify, cascade: true } } : config;
  const verification = await cascadeVerification(cascadeConfig, values.cascade === true || values.verify === true, request, quiet, err);
  // Exact repeats within the TTL are answered from the cache beside the ledger; --trust-workspace runs and the others
  // never share entries (a trusted workspace's config can shape the prompt).
  const answerCache = config.cache.enabled
    ? {
        store: new AnswerCache(paths.dataDir, { ttlMs: config.cache.ttlHours * 3_600_000, scope: paths.trustWorkspace ? 'trusted' as const : 'untrusted' as const }),
        scrub: (text: string) => err.secrets.scrub(text),
        onError: (error: unknown) => {
          if (!quiet) err.line(`model-router: note: the answer cache in ${paths.dataDir} could not be used (${describeLedgerError(error)}).`);
        },
      }
    : undefined;
  const router = new Router(cascadeConfig, {
    keys: environmentKeySource(io.env),
    ...(answerCache ? { answerCache } : {}),
    ...(verification ? { verification } : {}),
    ...(spend ? { spend } : {}),
    ...(store !== undefined ? { alertMemory: fileAlertMemory(paths.dataDir) } : {}),
    // Key limits (a daily quota) count every CLI run and window on this data directory, across restarts.
    sharedLimits: new SharedKeyLimits(paths.dataDir),
  });
  // Load-balance weights follow how providers performed in earlier runs too (the ledger's last two hours).
  if (store !== undefined) seedPerformance(router, store);
  // Budget alerts (90% and 100%, once per period) go to stderr even with --quiet: they are about money.
  const alerts = router.budget.onAlert((alert) => err.line(alert.message));
  let decision: Decision | undefined;
  let wroteText = false;
  try {
    for await (const event of router.route(request)) {
      if (event.type === 'text') {
        wroteText ||= event.text !== '';
        out.writeStreamed(event.text);
      }
      else if (event.type === 'plan') {
        if (!quiet) for (const line of planLines(event.decision)) err.line(line);
      } else if (event.type === 'done') decision = event.decision;
      else if (!quiet) {
        const line = eventLine(event);
        if (line !== undefined) {
          err.endLine();
          err.line(line);
        }
      }
    }
    // Every finished request is recorded: answered, failed, interrupted, and cancelled too (it may have cost money).
    if (decision !== undefined && store !== undefined) {
      const outcome = await recordDecisions([decision], {
        store,
        spend,
        instruction: values.prompt,
        storeInstruction: config.ledger.storeInstructions,
        // Every key in the environment and every base URL password, not only the answering provider's.
        secrets: err.secrets,
      });
      // A request not recorded keeps its budget hold until this process ends (as in VS Code): other processes then
      // still count what its attempts cost.
      if (!outcome.recorded) {
        err.endLine();
        err.line(`model-router: warning: this request could not be recorded in the ledger (${describeLedgerError(outcome.error)}).`);
      } else if ('holdsError' in outcome) {
        // Its hold is released when this process is gone (the entry's pid); its cost is in the ledger.
        err.endLine();
        err.line(`model-router: warning: could not release this request's budget hold (${describeLedgerError(outcome.holdsError)}).`);
      }
    }
  } finally {
    alerts.dispose();
    router.dispose();
    if (store !== undefined) {
      try {
        await store.close();
      } catch (error) {
        err.endLine();
        err.line(`model-router: warning: could not close the request ledger (${describeLedgerError(error)}).`);
      }
    }
  }
  if (decision === undefined) throw new Error('the router ended without a decision');
  out.endLine();
  if (decision.outcome === 'answered') {
    if (!quiet) err.line(usageLine(decision));
    // About the answer's correctness: shown even with --quiet.
    const failed = failedCheckLines(decision);
    if (failed.length > 0) err.line(`model-router: warning: ${failed.map((line, n) => (n === 0 ? line : `  ${line}`)).join('\n')}`);
    // About money: shown even with --quiet, like budget alerts.
    for (const a of decision.attempts) if (a.usageImplausible) err.line(`model-router: warning: ${a.provider}/${a.model}: ${a.usageImplausible}.`);
  } else {
    for (const line of failureLines(decision, { config, env: io.env, argv, stdinUsed, wroteText })) err.line(line);
  }
  if (values.json) out.line(JSON.stringify(decision));
  return exitCodeOf(decision);
}

/** Feeds the ledger's recent attempts to the router's performance tracker; a failing read only leaves it empty. */
function seedPerformance(router: Router, store: LedgerStore): void {
  try {
    const now = Date.now();
    router.performance.seed(store.read((db) => recentAttempts(db, { from: now - PERFORMANCE_LOOKBACK_MS, to: now + 1 })));
  } catch {
    // The weights then start from this run's own attempts.
  }
}
