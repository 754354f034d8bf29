/**
 * Verify-then-escalate: the types shared by the checks (one per language), the sandboxed runner and the router.
 * Nothing here imports vscode: the extension and the CLI use the same checks.
 */
import type { TaskType } from '../config/types';
import type { Sandbox } from './sandbox';

/** Languages whose answers can be run. Others get the verdict `unknown`. */
export const VERIFY_LANGUAGES = ['python', 'javascript', 'typescript'] as const;
export type VerifyLanguage = (typeof VERIFY_LANGUAGES)[number];

/** What one check runs. */
export type CheckKind =
  /** The answer's code parses in its language (no execution). */
  | 'parse'
  /** A usage example with an expected result: a doctest `>>>` line, a JSDoc `@example` with `// => value`. */
  | 'example'
  /** An assertion shown in the request: `assert f(2) == 4`, `expect(f(2)).toBe(4)`. */
  | 'assert'
  /** Refactor: the original and the proposed code give the same result on the same call. */
  | 'differential'
  /** Write Tests: one generated test run against the current code. */
  | 'test';

/** A request's answer to check. */
export interface VerifyRequest {
  readonly task: TaskType;
  /** The editor's language id (or an alias such as `py`, `ts`); undefined when unknown. */
  readonly language: string | undefined;
  /** The code the request was about (the selection); '' when there was none. */
  readonly original: string;
  /** The model's raw answer: markdown, prose and fences included. */
  readonly answer: string;
  /** The user's instruction, which may carry examples or asserts ("should pass: assert f(2) == 4"). */
  readonly instruction?: string;
  /** The file the selection is in (base name, such as `shapes.py`): generated tests import it by that name. */
  readonly fileName?: string;
}

/** One check as planned from the request, before anything runs. */
export interface PlannedCheck {
  readonly kind: CheckKind;
  /** Shown to the user: `>>> add(2, 3)`, `assert f(2) == 4`, `test_adds_two`. */
  readonly name: string;
  /** Source of the check in the request's language (the call, the assert line, the doctest source). */
  readonly source: string;
  /** Expected output as written (doctest `want`, JSDoc `// => 4`); undefined when the check carries its own. */
  readonly expected?: string;
}

export type CheckStatus = 'passed' | 'failed' | 'skipped';

/** The outcome of one check. */
export interface CheckResult {
  readonly kind: CheckKind;
  readonly name: string;
  readonly status: CheckStatus;
  /** For a failure: what the request said it must give and what it gave (short, single-line where possible). */
  readonly expected?: string;
  readonly got?: string;
  /** For a failure or a skip: a short excerpt of the error or the reason. */
  readonly detail?: string;
}

/**
 * How well a run is kept from the machine:
 * - `full`: no network, the file system read-only except the temp folder (a sized tmpfs), /tmp and /run hidden (no
 *   Unix sockets there), its own process tree (bubblewrap, or a user+mount+network+pid namespace);
 * - `network`: no network and its own process tree, but it can write where the user can (unshare without mounts,
 *   macOS sandbox-exec);
 * - `none`: a plain child process (limits and a temp folder only).
 */
export type IsolationLevel = 'full' | 'network' | 'none';

export interface Isolation {
  readonly level: IsolationLevel;
  /** What provides it: `bwrap`, `unshare`, `sandbox-exec` or `process`. */
  readonly method: 'bwrap' | 'unshare' | 'sandbox-exec' | 'process';
  /** One sentence for the status, the log and the consent modal. */
  readonly description: string;
}

export type VerdictKind = 'pass' | 'fail' | 'unknown';

/** The verdict on one answer. */
export interface Verdict {
  /** `pass`: every check ran and passed; `fail`: one failed (or the code does not parse); `unknown`: nothing ran. */
  readonly verdict: VerdictKind;
  /** Checks that ran (passed + failed; the parse check is not counted, skipped ones neither). */
  readonly checks: number;
  readonly passed: number;
  /** Failed checks, in order. */
  readonly failures: readonly CheckResult[];
  /** Every check, skipped ones included, in order. */
  readonly results: readonly CheckResult[];
  /** Wall time of the whole verification, sandbox included. */
  readonly ms: number;
  /** How the run was isolated; undefined when nothing ran. */
  readonly isolation?: Isolation;
  /** Why the verdict is `unknown`, or a note (for example "2 examples skipped: output is not a literal"). */
  readonly reason?: string;
}

/** How to start an interpreter: the program, its leading arguments and extra environment. */
export interface Runtime {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** The interpreters a machine offers; a missing one makes its language's verdicts `unknown`. */
export interface Runtimes {
  readonly python?: Runtime;
  /** Node (the CLI's `node`, or the extension host's own runtime with ELECTRON_RUN_AS_NODE=1). */
  readonly node?: Runtime;
}

export interface VerifyLimits {
  /** Wall time for one answer's run (all its checks), default 5,000 ms. */
  readonly timeoutMs: number;
  /** Memory for the run, default 512 MiB. */
  readonly memoryMb: number;
  /** stdout + stderr bytes kept, default 1 MiB. */
  readonly maxOutputBytes: number;
}

export const DEFAULT_VERIFY_LIMITS: VerifyLimits = { timeoutMs: 5_000, memoryMb: 512, maxOutputBytes: 1 << 20 };

/** Everything one language's check needs to run an answer. */
export interface CheckRun {
  readonly request: VerifyRequest;
  readonly language: VerifyLanguage;
  /** The code extracted from the answer (fences and prose removed). */
  readonly code: string;
  readonly planned: readonly PlannedCheck[];
  readonly sandbox: Sandbox;
  readonly runtimes: Runtimes;
  readonly limits: VerifyLimits;
  readonly signal?: AbortSignal;
}

/** One language's checks: find what the request says the code must do, then run it. */
export interface LanguageCheck {
  readonly languages: readonly VerifyLanguage[];
  /**
   * The checks the REQUEST carries, found before any model answered and without running anything: examples and
   * asserts in the selection and the instruction, the calls a refactor's differential check will compare, and for
   * Write Tests one `test` entry standing for "the generated tests" (the answer's own tests are found at run time).
   * An empty plan means nothing can be checked: the router keeps complexity routing for that request.
   */
  plan(request: Omit<VerifyRequest, 'answer'>, language: VerifyLanguage): readonly PlannedCheck[];
  /**
   * Runs the parse check and then the planned checks, returning one result per check (the parse check first).
   * A missing interpreter or a run that could not start throws `RuntimeMissingError`.
   */
  run(input: CheckRun): Promise<CheckResult[]>;
}

/** The interpreter a language needs is not there: the verdict is `unknown` and the user gets one notice. */
export class RuntimeMissingError extends Error {
  constructor(
    readonly runtime: keyof Runtimes,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeMissingError';
  }
}
