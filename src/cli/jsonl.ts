/**
 * `--jsonl IN [--out OUT]` for the commands that take many inputs (classify, verify): one JSON object per line in,
 * one per line out IN INPUT ORDER, up to `concurrency` lines worked on at once. A bad line gets a clear message on
 * stderr (never quoting the line, which may be code) and the rest goes on.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { errorMessage } from '../core/util/errorMessage';
import { SecretScrubber } from '../core/util/secrets';
import type { ExitCode } from './exitCodes';
import { CliError, EXIT, usageError } from './exitCodes';
import type { CliIo } from './io';
import { Output } from './io';

export type LineResult = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly message: string };

export interface JsonlJob {
  readonly command: string;
  /** The input file, or `-` for stdin. */
  readonly input: string;
  /** The output file; undefined or `-` for stdout. */
  readonly outFile: string | undefined;
  /** Lines worked on at once (1 = one after another). */
  readonly concurrency: number;
  /** Past participle for the summary: "2 of 4 line(s) could not be classified". */
  readonly verb: string;
  /** One parsed input line -> one output line, or why the line is bad. */
  readonly work: (record: Record<string, unknown>) => LineResult | Promise<LineResult>;
}

/** Lines read ahead per worker: room for the others to go on while the oldest line is still being worked on. */
const PENDING_PER_SLOT = 16;

/** Output is written in blocks of about this many characters, waiting for the stream to drain between them. */
const FLUSH_CHARS = 64 * 1024;

export function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

/** Parses one line as a JSON object with an `id` (string or number). */
export function parseRecord(line: string, shape: string): { readonly ok: true; readonly record: Record<string, unknown> } | { readonly ok: false; readonly message: string } {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    return { ok: false, message: `not valid JSON (${errorMessage(error)})` };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { ok: false, message: `expected a JSON object ${shape}, got ${describeType(record)}` };
  }
  const { id } = record as Record<string, unknown>;
  if (typeof id !== 'string' && typeof id !== 'number') return { ok: false, message: `"id" must be a string or a number (got ${describeType(id)})` };
  return { ok: true, record: record as Record<string, unknown> };
}

export async function runJsonl(job: JsonlJob, shape: string, io: CliIo, stdout: Output, err: Output): Promise<ExitCode> {
  const { command, input, outFile } = job;
  const inputPath = input === '-' ? undefined : path.resolve(io.cwd, input);
  const source = inputPath === undefined ? io.stdin : createReadStream(inputPath);
  if (inputPath !== undefined) {
    try {
      await once(source, 'open');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw usageError(`cannot read ${input}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}.`, command);
    }
  }
  let fileStream: ReturnType<typeof createWriteStream> | undefined;
  if (outFile !== undefined && outFile !== '-') {
    fileStream = createWriteStream(path.resolve(io.cwd, outFile));
    try {
      await once(fileStream, 'open');
    } catch (error) {
      if (inputPath !== undefined) (source as ReturnType<typeof createReadStream>).destroy();
      throw usageError(`cannot write ${outFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, command);
    }
  }
  // Results hold ids, numbers and computed text, never a key: a file needs no redaction (JSON escapes controls).
  const out = fileStream === undefined ? stdout : new Output(fileStream, new SecretScrubber());
  const where = input === '-' ? 'stdin' : input;

  let buffer = '';
  const flush = async (): Promise<void> => {
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk)) await out.drain();
  };
  let written = 0;
  let bad = 0;
  const emit = async (lineNumber: number, result: LineResult): Promise<void> => {
    if (result.ok) {
      buffer += `${result.json}\n`;
      written++;
      if (buffer.length >= FLUSH_CHARS) await flush();
    } else {
      bad++;
      err.line(`model-router ${command}: ${where}:${lineNumber}: ${result.message}; line skipped.`);
    }
  };
  // At most `concurrency` lines are worked on at once; finished lines wait in `window` for the older ones, so one
  // slow line (a check that runs into its time limit) does not leave the other workers idle.
  const slots = Math.max(1, job.concurrency);
  let running = 0;
  const waiting: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (running < slots) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  const settle = async (line: string): Promise<LineResult> => {
    const parsed = parseRecord(line, shape);
    if (!parsed.ok) return parsed;
    await acquire();
    try {
      return await job.work(parsed.record);
    } catch (error) {
      return { ok: false, message: `id ${JSON.stringify(parsed.record.id)}: ${errorMessage(error)}` };
    } finally {
      release();
    }
  };

  // Lines in flight, oldest first: written in input order as soon as the oldest is done.
  const window: { readonly lineNumber: number; readonly result: Promise<LineResult> }[] = [];
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let lineNumber = 0;
  let interrupted = false;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (io.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (line.trim() === '') continue;
      window.push({ lineNumber, result: settle(line) });
      while (window.length >= slots * PENDING_PER_SLOT) {
        const oldest = window.shift()!;
        await emit(oldest.lineNumber, await oldest.result);
      }
    }
    while (window.length > 0) {
      const oldest = window.shift()!;
      await emit(oldest.lineNumber, await oldest.result);
    }
    await flush();
  } catch (error) {
    throw new CliError(EXIT.usage, `cannot read ${input}: ${errorMessage(error)}.`);
  } finally {
    lines.close();
    if (fileStream !== undefined) {
      const finished = once(fileStream, 'close');
      fileStream.end();
      await finished;
    }
  }
  if (interrupted) {
    err.line(`model-router ${command}: interrupted after line ${lineNumber - 1}; ${written} line(s) written.`);
    return EXIT.interrupted;
  }
  if (bad > 0) {
    err.line(`model-router ${command}: ${bad} of ${written + bad} line(s) could not be ${job.verb} (see above); the other ${written} were written.`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
