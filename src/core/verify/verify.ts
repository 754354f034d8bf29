/**
 * Verify-then-escalate, the part both shells call: which checks a request carries (before any model answered), and
 * the verdict on one answer (its code extracted from the markdown, run by its language's check in the sandbox).
 */
import { extractCode } from '../routing/answer';
import type { Sandbox } from './sandbox';
import type {
  CheckResult,
  LanguageCheck,
  PlannedCheck,
  Runtimes,
  Verdict,
  VerifyLanguage,
  VerifyLimits,
  VerifyRequest,
} from './types';
import { DEFAULT_VERIFY_LIMITS, RuntimeMissingError } from './types';

const LANGUAGE_IDS: Readonly<Record<string, VerifyLanguage>> = {
  python: 'python',
  python3: 'python',
  py: 'python',
  javascript: 'javascript',
  javascriptreact: 'javascript',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  node: 'javascript',
  typescript: 'typescript',
  typescriptreact: 'typescript',
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
};

/** The language whose checks apply to an editor language id (or a common alias); undefined when none do. */
export function verifyLanguageOf(language: string | undefined): VerifyLanguage | undefined {
  if (language === undefined) return undefined;
  return LANGUAGE_IDS[language.trim().toLowerCase()];
}

/** Task types whose answer is code that can be run. Explain, review, document and free questions are not checked. */
export const CHECKED_TASKS = ['implement', 'fix', 'refactor', 'tests'] as const;

export interface VerifyDeps {
  readonly checks: readonly LanguageCheck[];
  readonly sandbox: Sandbox;
  readonly runtimes: Runtimes;
  readonly limits?: VerifyLimits;
  readonly signal?: AbortSignal;
  /** Clock for `ms` (tests). */
  readonly now?: () => number;
}

export interface CheckPlan {
  readonly language: VerifyLanguage | undefined;
  readonly checks: readonly PlannedCheck[];
  /** Why nothing can be checked (empty `checks`). */
  readonly reason?: string;
  /** The interpreter the checks would need is missing (the user gets one notice). */
  readonly runtimeMissing?: keyof Runtimes;
}

function checkFor(checks: readonly LanguageCheck[], language: VerifyLanguage): LanguageCheck | undefined {
  return checks.find((check) => check.languages.includes(language));
}

/** The checks a request carries, found without running anything: the router decides on the cascade with this. */
export function planChecks(request: Omit<VerifyRequest, 'answer'>, checks: readonly LanguageCheck[]): CheckPlan {
  if (!(CHECKED_TASKS as readonly string[]).includes(request.task)) {
    return { language: undefined, checks: [], reason: `a ${request.task} answer is not code that can be run` };
  }
  const language = verifyLanguageOf(request.language);
  if (language === undefined) {
    return { language, checks: [], reason: `no checks for ${request.language ?? 'an unknown language'} (Python, JavaScript and TypeScript are checked)` };
  }
  const check = checkFor(checks, language);
  if (check === undefined) return { language, checks: [], reason: `no checks for ${language}` };
  const planned = check.plan(request, language);
  if (planned.length === 0) {
    return { language, checks: planned, reason: nothingToCheck(request.task) };
  }
  return { language, checks: planned };
}

function nothingToCheck(task: string): string {
  return task === 'tests'
    ? 'no code to run the tests against'
    : task === 'refactor'
      ? 'no example calls to compare the original and the refactored code on'
      : 'no examples or asserts in the selection or the instruction';
}

/**
 * The verdict on one answer. `pass`: every check ran and passed; `fail`: one failed or the code does not parse;
 * `unknown`: nothing could be checked (no checks, no interpreter, a language without checks). Never throws for
 * what the answer does; a missing interpreter is `unknown` with `runtimeMissing` set so the caller can tell the
 * user once.
 */
export async function verifyAnswer(request: VerifyRequest, deps: VerifyDeps): Promise<Verdict & { readonly runtimeMissing?: string }> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const elapsed = (): number => Math.round(now() - started);
  const plan = planChecks(request, deps.checks);
  if (plan.language === undefined) return unknown(plan.reason ?? 'nothing to check', elapsed());
  const check = checkFor(deps.checks, plan.language);
  if (check === undefined) return unknown(plan.reason ?? 'nothing to check', elapsed());
  const extracted = extractCode(request.answer);
  if (extracted === undefined) {
    const failure: CheckResult = { kind: 'parse', name: 'the answer has code', status: 'failed', detail: 'the answer is empty' };
    return { verdict: 'fail', checks: 0, passed: 0, failures: [failure], results: [failure], ms: elapsed() };
  }
  let results: CheckResult[];
  try {
    results = await check.run({
      request,
      language: plan.language,
      code: extracted.code,
      planned: plan.checks,
      sandbox: deps.sandbox,
      runtimes: deps.runtimes,
      limits: deps.limits ?? DEFAULT_VERIFY_LIMITS,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  } catch (error) {
    if (error instanceof RuntimeMissingError) return { ...unknown(error.message, elapsed()), runtimeMissing: error.runtime };
    throw error;
  }
  return verdictOf(results, elapsed(), deps.sandbox, plan.reason);
}

/** The verdict of a list of results: the parse check can fail an answer but does not count as a check that ran. */
export function verdictOf(results: readonly CheckResult[], ms: number, sandbox: Sandbox | undefined, reason?: string): Verdict {
  const failures = results.filter((result) => result.status === 'failed');
  const counted = results.filter((result) => result.kind !== 'parse' && result.status !== 'skipped');
  const passed = counted.filter((result) => result.status === 'passed').length;
  const skipped = results.filter((result) => result.kind !== 'parse' && result.status === 'skipped').length;
  const verdict = failures.length > 0 ? 'fail' : counted.length === 0 ? 'unknown' : 'pass';
  const note =
    verdict === 'unknown'
      ? (reason ?? (skipped > 0 ? `${skipped} check(s) skipped, none could be compared` : 'nothing to check'))
      : skipped > 0
        ? `${skipped} check(s) skipped`
        : undefined;
  return {
    verdict,
    checks: counted.length,
    passed,
    failures,
    results,
    ms,
    ...(sandbox ? { isolation: sandbox.isolation } : {}),
    ...(note ? { reason: note } : {}),
  };
}

function unknown(reason: string, ms: number): Verdict {
  return { verdict: 'unknown', checks: 0, passed: 0, failures: [], results: [], ms, reason };
}
