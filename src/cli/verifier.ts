/** The CLI's {@link Verifier}: this machine's sandbox and interpreters (node = the CLI's own runtime). */
import { ProcessSandbox } from '../core/verify/sandbox';
import type { VerifyConfig } from '../core/config/types';
import type { VerifyLimits } from '../core/verify/types';
import { Verifier } from '../core/verify/verifier';
import { LANGUAGE_CHECKS } from '../core/verify/languages';

export interface CliVerifierOptions {
  /** The Python command (`--python`, `verify.python` of the user config), default python3. */
  readonly python?: string;
  readonly limits?: Partial<VerifyLimits>;
}

/** The options from the configuration's `verify` section. */
export function verifierOptionsOf(verify: VerifyConfig): CliVerifierOptions {
  return { ...(verify.python ? { python: verify.python } : {}), limits: { timeoutMs: verify.timeoutMs, memoryMb: verify.memoryMb } };
}

export async function createCliVerifier(options: CliVerifierOptions): Promise<Verifier> {
  const python = (options.python ?? 'python3').split(/\s+/).filter(Boolean);
  return new Verifier({
    checks: LANGUAGE_CHECKS,
    sandbox: new ProcessSandbox(),
    runtimes: {
      python: { command: python[0]!, args: python.slice(1) },
      node: { command: process.execPath, args: [] },
    },
    ...(options.limits ? { limits: options.limits } : {}),
  });
}
