/**
 * What the CLI talks to: the streams, the environment and the working directory, passed in so that tests run
 * `main()` in-process with captured streams and their own environment. Every write goes through {@link Output}, which
 * makes control characters visible and removes the values of key environment variables and base URL passwords (a last
 * line of defence for keys: no message is meant to contain one).
 */
import { once } from 'node:events';

import type { StreamRedactor } from '../core/util/secrets';
import { maskUrlCredentials, SecretScrubber } from '../core/util/secrets';
import { TerminalTextFilter } from '../core/util/terminalText';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** `isTTY` decides whether `ask` and `classify` read text from stdin when no file is given. */
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C (src/cli.ts wires SIGINT to it); absent: never aborted. */
  readonly signal?: AbortSignal;
}

/** Environment variables that hold keys: `*_API_KEY`, `*_API_KEY_<ID>`. */
const KEY_VARIABLE = /_API_KEY(?:_[A-Z0-9_]+)?$/;
/** Environment variables that hold a base URL (its password, if any, is a secret too). */
const URL_VARIABLE = /_BASE_URL$/;

/**
 * A scrubber for every key value in `env` (every `*_API_KEY*` variable, whichever provider it belongs to) and the
 * password of every `*_BASE_URL` variable.
 */
export function secretsOf(env: Readonly<Record<string, string | undefined>>): SecretScrubber {
  const scrubber = new SecretScrubber();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (KEY_VARIABLE.test(name)) scrubber.add(value);
    else if (URL_VARIABLE.test(name)) scrubber.addUrlPasswords([value]);
  }
  return scrubber;
}

/**
 * A stream that never shows a key value nor a terminal control sequence, with backpressure for bulk output. Everything
 * the CLI prints goes through one, so text from outside (answers, error bodies, file contents) is covered wherever it
 * is printed: control characters are made visible ({@link TerminalTextFilter}; tabs and newlines kept), every known
 * key value is replaced by `[redacted]` even when it is split across writes ({@link StreamRedactor}), and messages
 * (not answers, which may quote URLs as examples) have the credentials of any URL masked.
 */
export class Output {
  private lastChar = '\n';
  private readonly filter = new TerminalTextFilter();
  private readonly redactor: StreamRedactor;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    /** Shared by stdout and stderr; the configuration adds its base URL passwords once it is loaded. */
    readonly secrets: SecretScrubber,
  ) {
    this.redactor = secrets.stream();
  }

  /** Writes a message; false when the stream wants {@link drain}. */
  write(text: string): boolean {
    return this.emit(maskUrlCredentials(this.redactor.push(this.filter.push(text))));
  }

  /**
   * Writes a piece of streamed text from a provider (an answer). The end of a piece that could be the start of a key
   * is held until the next piece, {@link endLine} or {@link flush}.
   */
  writeStreamed(text: string): boolean {
    return this.emit(this.redactor.push(this.filter.push(text)));
  }

  line(text = ''): void {
    this.write(`${text}\n`);
  }

  /** Writes whatever is held back, then ends the current line if the output did not. */
  endLine(): void {
    this.flush();
    if (this.lastChar !== '\n') this.write('\n');
  }

  /** Writes whatever is held back (the text ended: it is not a key). */
  flush(): void {
    this.emit(this.redactor.push(this.filter.end()) + this.redactor.end());
  }

  async drain(): Promise<void> {
    await once(this.stream, 'drain');
  }

  private emit(text: string): boolean {
    if (text === '') return true;
    this.lastChar = text[text.length - 1]!;
    return this.stream.write(text);
  }
}

/** Reads a whole stream as UTF-8 text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
