/** The CLI's {@link Verifier}: this machine's sandbox and interpreters (node = the CLI's own runtime). */
import type { VerifyConfig } from '../core/config/types';
import { createVerifier } from '../core/verify/create';
import type { VerifyLimits } from '../core/verify/types';
import type { Verifier } from '../core/verify/verifier';

export interface CliVerifierOptions {
  /** The Python command (`--python`, `verify.python` of the user config), default python3. */
  readonly python?: string;
  readonly limits?: Partial<VerifyLimits>;
}

/** The options from the configuration's `verify` section. */
export function verifierOptionsOf(verify: VerifyConfig): CliVerifierOptions {
  return { ...(verify.python ? { python: verify.python } : {}), limits: { timeoutMs: verify.timeoutMs, memoryMb: verify.memoryMb } };
}

export function createCliVerifier(options: CliVerifierOptions): Promise<Verifier> {
  return createVerifier({ host: 'cli', ...options });
}
