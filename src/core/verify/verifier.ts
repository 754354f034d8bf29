/**
 * One object per process that checks answers: the machine's sandbox and interpreters, detected once, and the checks
 * of every language. The extension and the CLI build one each (the composition root / the `verify` and `ask`
 * commands) and the router asks it for a plan before the first attempt and a verdict after each answer.
 */
import type { Sandbox } from './sandbox';
import type { LanguageCheck, Runtimes, Verdict, VerifyLimits, VerifyRequest } from './types';
import { DEFAULT_VERIFY_LIMITS } from './types';
import type { CheckPlan } from './verify';
import { planChecks, verifyAnswer } from './verify';

export interface VerifierDeps {
  readonly checks: readonly LanguageCheck[];
  readonly sandbox: Sandbox;
  readonly runtimes: Runtimes;
  readonly limits?: Partial<VerifyLimits>;
}

export type VerifierVerdict = Verdict & { readonly runtimeMissing?: string };

export class Verifier {
  readonly limits: VerifyLimits;

  constructor(private readonly deps: VerifierDeps) {
    this.limits = { ...DEFAULT_VERIFY_LIMITS, ...deps.limits };
  }

  get sandbox(): Sandbox {
    return this.deps.sandbox;
  }

  get runtimes(): Runtimes {
    return this.deps.runtimes;
  }

  /** The checks a request carries; none (with the reason) when its language's interpreter is missing. */
  plan(request: Omit<VerifyRequest, 'answer'>): CheckPlan {
    const plan = planChecks(request, this.deps.checks);
    if (plan.checks.length === 0 || plan.language === undefined) return plan;
    const runtime = plan.language === 'python' ? 'python' : 'node';
    if (this.deps.runtimes[runtime] === undefined) {
      return { language: plan.language, checks: [], reason: `${runtime === 'python' ? 'no Python interpreter found (set verify.python)' : 'no Node.js runtime found'}`, runtimeMissing: runtime };
    }
    return plan;
  }

  verify(request: VerifyRequest, signal?: AbortSignal): Promise<VerifierVerdict> {
    return verifyAnswer(request, {
      checks: this.deps.checks,
      sandbox: this.deps.sandbox,
      runtimes: this.deps.runtimes,
      limits: this.limits,
      ...(signal ? { signal } : {}),
    });
  }
}
