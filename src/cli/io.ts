/**
 * What the CLI talks to: the streams, the environment and the working directory, passed in so that tests run
 * `main()` in-process with captured streams and their own environment. Every write goes through {@link Output}, which
 * removes the values of key environment variables (a last line of defence: no message is meant to contain one).
 */
import { once } from 'node:events';

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
/** Shorter values are not redacted (they would mangle ordinary text and are no real key). */
const MIN_SECRET_LENGTH = 8;

/** The values of every key variable in `env`, longest first (so a key that contains another is removed whole). */
export function secretsOf(env: Readonly<Record<string, string | undefined>>): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH && KEY_VARIABLE.test(name)) values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** A stream that never shows a key value, with backpressure for bulk output. */
export class Output {
  private lastChar = '\n';

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly secrets: readonly string[],
  ) {}

  /** Writes `text` (with key values replaced by `[redacted]`); false when the stream wants {@link drain}. */
  write(text: string): boolean {
    if (text === '') return true;
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    this.lastChar = out[out.length - 1]!;
    return this.stream.write(out);
  }

  line(text = ''): void {
    this.write(`${text}\n`);
  }

  /** Ends the current line if the last write did not. */
  endLine(): void {
    if (this.lastChar !== '\n') this.write('\n');
  }

  async drain(): Promise<void> {
    await once(this.stream, 'drain');
  }
}

/** Reads a whole stream as UTF-8 text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
