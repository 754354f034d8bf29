/**
 * The CLI's exit codes (documented in `model-router --help` and the README) and the error that carries one.
 */

export const EXIT = {
  /** Success. */
  ok: 0,
  /** The work failed: every candidate failed or the answer was cut off (ask); some JSONL lines were bad (classify). */
  failed: 1,
  /** Usage error: unknown command, option, agent, task or provider; a missing or bad argument; an unreadable input. */
  usage: 2,
  /** A configuration file (or an endpoint environment variable) is invalid; nothing was sent or written. */
  config: 3,
  /** Nothing usable: keys missing or rejected, every key rate limited, over budget; status: no provider passed. */
  unavailable: 4,
  /** verify: nothing could be checked (no examples or asserts, no interpreter, a language without checks). */
  unverified: 5,
  /** Interrupted by Ctrl-C (SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as one message on stderr, ending the command with {@link CliError.code}. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error (exit 2) that ends with where to find the command's help. */
export function usageError(message: string, command?: string): CliError {
  const help = command ? `model-router ${command} --help` : 'model-router --help';
  return new CliError(EXIT.usage, `${message}\nRun \`${help}\` for usage.`);
}
