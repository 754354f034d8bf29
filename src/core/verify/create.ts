/**
 * Builds the {@link Verifier} of a process: the best sandbox this machine offers and its interpreters, detected
 * once, with the checks of every language. The CLI (`verify`, `ask --verify`) and the extension (VerifyService) call it.
 */
import { detectSandbox } from './isolation';
import { LANGUAGE_CHECKS } from './languages';
import { detectRuntimes } from './runtimes';
import type { VerifyLimits } from './types';
import { Verifier } from './verifier';

export interface CreateVerifierOptions {
  /** The Python command line (`python3`, `py -3`, a path); default python3 (`py -3` on Windows). */
  readonly python?: string;
  /** `cli`: process.execPath is node; `extension-host`: it runs as node with ELECTRON_RUN_AS_NODE=1. */
  readonly host: 'cli' | 'extension-host';
  readonly limits?: Partial<VerifyLimits>;
}

export async function createVerifier(options: CreateVerifierOptions): Promise<Verifier> {
  const [sandbox, runtimes] = await Promise.all([
    detectSandbox(),
    detectRuntimes({ host: options.host, ...(options.python ? { python: options.python } : {}) }),
  ]);
  return new Verifier({ checks: LANGUAGE_CHECKS, sandbox, runtimes, ...(options.limits ? { limits: options.limits } : {}) });
}
