/**
 * The pieces of verify-then-escalate the router uses around its attempts: holding an answer's text back until it is
 * checked, the verdict as the decision keeps it (bounded), the words for progress, and what the stronger model is
 * told about the failures.
 */
import { errorMessage } from '../util/errorMessage';
import type { CheckResult, Verdict, VerifyRequest } from '../verify/types';
import type { CheckPlan } from '../verify/verify';
import type { AttemptRecord, CheckFailureRecord, Decision, RouteEvent, VerdictRecord } from './decision';
import { VERDICT_FAILURES_MAX, VERDICT_TEXT_MAX } from './decision';

/**
 * Passes every event of `events` on except text, which is collected in `into` (reset when a new attempt starts, so
 * a stream that broke and fell back leaves nothing behind); returns what `events` returns.
 */
export async function* holdText<R>(events: AsyncGenerator<RouteEvent, R, undefined>, into: string[]): AsyncGenerator<RouteEvent, R, undefined> {
  for (;;) {
    const step = await events.next();
    if (step.done) return step.value;
    const event = step.value;
    if (event.type === 'text') into.push(event.text);
    else {
      if (event.type === 'attempt') into.length = 0;
      yield event;
    }
  }
}

/**
 * Passes every event on, and keeps a copy of the answering attempt's text in `into` (a new attempt starts it afresh),
 * up to `maxChars`: past that `into` is emptied and nothing more is kept (an answer that long is not cached).
 */
export async function* collectText<R>(events: AsyncGenerator<RouteEvent, R, undefined>, into: string[], maxChars = 256 * 1024): AsyncGenerator<RouteEvent, R, undefined> {
  let chars = 0;
  let overflow = false;
  for (;;) {
    const step = await events.next();
    if (step.done) return step.value;
    const event = step.value;
    if (event.type === 'attempt') {
      into.length = 0;
      chars = 0;
      overflow = false;
    } else if (event.type === 'text' && !overflow) {
      chars += event.text.length;
      if (chars > maxChars) {
        overflow = true;
        into.length = 0;
      } else into.push(event.text);
    }
    yield event;
  }
}

/**
 * The verdict on an answer as the decision keeps it. A check that cannot run for a reason of this machine (the
 * sandbox failed to start, a temp folder could not be made) is `unknown` with the reason: the answer is never lost
 * to the checker.
 */
export async function checkAnswer(
  verifier: { verify(request: VerifyRequest, signal?: AbortSignal): Promise<Verdict> },
  request: VerifyRequest,
  signal: AbortSignal | undefined,
): Promise<VerdictRecord> {
  const started = performance.now();
  try {
    return verdictRecord(await verifier.verify(request, signal));
  } catch (error) {
    const message = errorMessage(error);
    return { verdict: 'unknown', checks: 0, passed: 0, kinds: [], failed: 0, failures: [], ms: Math.round(performance.now() - started), reason: shortText(`the checks could not run: ${message}`) };
  }
}

/** The decision's last attempt that answered. */
export function lastAnswered(decision: Decision): AttemptRecord | undefined {
  for (let i = decision.attempts.length - 1; i >= 0; i--) if (decision.attempts[i]!.status === 'ok') return decision.attempts[i];
  return undefined;
}

/** The verdict on the answer the decision shows (its chosen model's last checked attempt); undefined outside a cascade. */
export function shownVerdict(decision: Decision): VerdictRecord | undefined {
  if (!decision.cascade || !decision.chosen) return undefined;
  for (let i = decision.attempts.length - 1; i >= 0; i--) {
    const attempt = decision.attempts[i]!;
    if (attempt.verification && attempt.provider === decision.chosen.provider && attempt.model === decision.chosen.model) return attempt.verification;
  }
  return undefined;
}

/**
 * When the answer shown failed its checks (the strongest one failed too, or an escalation was blocked): a headline
 * and one line per failure; empty otherwise.
 */
export function failedCheckLines(decision: Decision): string[] {
  const cascade = decision.cascade;
  if (cascade?.kept !== 'best-failing') return [];
  const verdict = shownVerdict(decision);
  const lines = [`this answer FAILED its checks${cascade.blocked ? ` (no stronger model could take it: ${cascade.blocked})` : ' (no stronger tier did better)'}:`];
  for (const failure of verdict?.failures ?? []) lines.push(`- ${describeFailureRecord(failure)}`);
  if (verdict && verdict.failed > verdict.failures.length) lines.push(`- and ${verdict.failed - verdict.failures.length} more`);
  return lines;
}

/** `text` on one line and at most `max` characters (an ellipsis marks a cut). */
export function shortText(text: string, max = VERDICT_TEXT_MAX): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function failureRecord(result: CheckResult): CheckFailureRecord {
  return {
    kind: result.kind,
    name: shortText(result.name),
    ...(result.expected !== undefined ? { expected: shortText(result.expected) } : {}),
    ...(result.got !== undefined ? { got: shortText(result.got) } : {}),
    ...(result.detail !== undefined ? { detail: shortText(result.detail) } : {}),
  };
}

/** The verdict as a decision (and the ledger) keeps it: counts, the first few failures, short texts. */
export function verdictRecord(verdict: Verdict): VerdictRecord {
  return {
    verdict: verdict.verdict,
    checks: verdict.checks,
    passed: verdict.passed,
    kinds: [...new Set(verdict.results.filter((r) => r.kind !== 'parse' && r.status !== 'skipped').map((r) => r.kind))],
    failed: verdict.failures.length,
    failures: verdict.failures.slice(0, VERDICT_FAILURES_MAX).map(failureRecord),
    ms: Math.round(verdict.ms),
    ...(verdict.isolation ? { isolation: verdict.isolation.level } : {}),
    ...(verdict.reason ? { reason: shortText(verdict.reason) } : {}),
  };
}

const NOUNS: Readonly<Record<string, readonly [string, string]>> = {
  example: ['example', 'examples'],
  assert: ['assert', 'asserts'],
  differential: ['unchanged-behaviour check', 'unchanged-behaviour checks'],
  test: ['generated tests', 'generated tests'],
  parse: ['parse check', 'parse checks'],
};

function nounFor(kinds: ReadonlySet<string>, count: number): string {
  if (kinds.size === 1) {
    const pair = NOUNS[[...kinds][0]!];
    if (pair) return count === 1 ? pair[0] : pair[1];
  }
  return count === 1 ? 'check' : 'checks';
}

/** "checking 3 examples", "running the generated tests". */
export function describePlanned(plan: CheckPlan): string {
  const kinds = new Set(plan.checks.map((check) => check.kind));
  if (kinds.size === 1 && kinds.has('test')) return 'running the generated tests';
  return `checking ${plan.checks.length} ${nounFor(kinds, plan.checks.length)}`;
}

/** "checked: 2/2 examples pass", "checked: 1 of 3 asserts failed (f(2): expected 4, got 5)", "not checked: ...". */
export function describeVerdictRecord(verdict: VerdictRecord): string {
  if (verdict.verdict === 'unknown') return `not checked: ${verdict.reason ?? 'nothing to check'}`;
  const kinds = new Set(verdict.kinds);
  if (verdict.verdict === 'pass') return `checked: ${verdict.passed}/${verdict.checks} ${nounFor(kinds, verdict.checks)} pass`;
  const first = verdict.failures[0];
  if (first?.kind === 'parse') return `check failed: the code does not parse (${first.detail ?? 'syntax error'})`;
  return `checked: ${verdict.failed} of ${verdict.checks} ${nounFor(kinds, verdict.checks)} failed${first ? ` (${describeFailureRecord(first)})` : ''}`;
}

/**
 * The verdict in a few words, for a line that says more beside it ("1 of 2 examples failed", "the code does not
 * parse", "not checked"): the progress of an escalated run carries it while the stronger model works.
 */
export function describeVerdictShort(verdict: VerdictRecord): string {
  if (verdict.verdict === 'unknown') return 'not checked';
  const noun = nounFor(new Set(verdict.kinds), verdict.checks);
  if (verdict.verdict === 'pass') return `${verdict.passed}/${verdict.checks} ${noun} pass`;
  if (verdict.failures[0]?.kind === 'parse') return 'the code does not parse';
  return `${verdict.failed} of ${verdict.checks} ${noun} failed`;
}

export function describeFailureRecord(failure: CheckFailureRecord): string {
  if (failure.expected !== undefined || failure.got !== undefined) return `${failure.name}: expected ${failure.expected ?? '?'}, got ${failure.got ?? '?'}`;
  return failure.detail ? `${failure.name}: ${failure.detail}` : failure.name;
}

/** What the stronger model is told when a cheaper answer failed its checks. */
export function feedbackFor(verdict: VerdictRecord): string {
  const lines = verdict.failures.map((failure) => `- ${describeFailureRecord(failure)}`);
  const more = verdict.failed > verdict.failures.length ? `\n- and ${verdict.failed - verdict.failures.length} more` : '';
  return (
    `A previous answer to this request was checked by running the examples and tests it must pass, and failed ` +
    `${verdict.failed} of ${Math.max(verdict.checks, verdict.failed)}:\n${lines.join('\n')}${more}\n` +
    'Make sure your code passes every one of them.'
  );
}
