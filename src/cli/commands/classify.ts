/**
 * `model-router classify`: complexity 1-10, tier and reasons, with no network. One text (a file, `-`, or piped
 * stdin), or `--jsonl IN` for many: one JSON object per line in, one per line out, streamed.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { TaskType, TierThresholds } from '../../core/config/types';
import { TASK_TYPES } from '../../core/config/types';
import { estimateComplexity } from '../../core/routing/complexity';
import { SecretScrubber } from '../../core/util/secrets';
import { tierFor } from '../../core/routing/tiers';
import type { GlobalOptions } from '../args';
import { oneOf, parseCommand } from '../args';
import { loadConfiguration } from '../context';
import { CliError, EXIT, usageError } from '../exitCodes';
import type { ExitCode } from '../exitCodes';
import { readFileInput } from '../input';
import type { InputText } from '../input';
import type { CliIo } from '../io';
import { Output, readAll } from '../io';

export const CLASSIFY_OPTIONS = {
  task: { type: 'string' },
  language: { type: 'string' },
  instruction: { type: 'string' },
  json: { type: 'boolean' },
  jsonl: { type: 'string' },
  out: { type: 'string' },
} as const;

/** The task when none is given: `explain` adds no points, so the score is about the code (and instruction) alone. */
export const DEFAULT_CLASSIFY_TASK: TaskType = 'explain';

interface Defaults {
  readonly task: TaskType;
  readonly language?: string;
  readonly instruction?: string;
}

export interface ClassifyDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  readonly args: readonly string[];
}

export async function runClassify({ io, out, err, args }: ClassifyDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, CLASSIFY_OPTIONS, 'classify');
  const task = values.task === undefined ? DEFAULT_CLASSIFY_TASK : oneOf(values.task, TASK_TYPES, 'task', 'classify');
  const defaults: Defaults = {
    task,
    ...(values.language ? { language: values.language } : {}),
    ...(values.instruction ? { instruction: values.instruction } : {}),
  };
  if (positionals.length > 1) throw usageError(`classify takes one FILE (or -), got ${positionals.length}: ${positionals.join(' ')}.`, 'classify');
  if (values.out !== undefined && values.jsonl === undefined) throw usageError('--out goes with --jsonl IN.', 'classify');
  if (values.jsonl !== undefined) {
    if (positionals.length > 0) throw usageError('give either --jsonl IN or a FILE, not both.', 'classify');
    if (values.json) throw usageError('--jsonl already writes JSON (one object per line); drop --json.', 'classify');
    const thresholds = await thresholdsFrom(globals, io, err);
    return classifyJsonl(values.jsonl, values.out, defaults, thresholds, io, out, err);
  }

  let input: InputText;
  const file = positionals[0];
  if (file !== undefined) input = await readFileInput(file, io, 'classify');
  else if (io.stdin.isTTY !== true) input = { text: await readAll(io.stdin) };
  else if (defaults.instruction !== undefined) input = { text: '' };
  else throw usageError('nothing to classify: give a FILE, `-` for stdin, pipe text in, or --instruction S.', 'classify');
  const thresholds = await thresholdsFrom(globals, io, err);
  const language = defaults.language ?? input.language;
  const estimate = estimateComplexity({
    text: input.text,
    task,
    ...(language ? { language } : {}),
    ...(defaults.instruction ? { instruction: defaults.instruction } : {}),
  });
  const tier = tierFor(estimate.score, thresholds);
  if (values.json) {
    out.line(
      JSON.stringify({
        complexity: estimate.score,
        tier,
        reasons: estimate.reasons,
        raw: Math.round(estimate.raw * 100) / 100,
        task,
        language: estimate.features.language ?? null,
      }),
    );
    return EXIT.ok;
  }
  out.line(`complexity ${estimate.score}/10 · ${tier} tier (light <= ${thresholds.lightMax}, medium <= ${thresholds.mediumMax}, heavy above)`);
  out.line('reasons:');
  for (const contribution of estimate.contributions) {
    const points = contribution.points === 0 ? '' : ` (${contribution.points > 0 ? '+' : ''}${contribution.points})`;
    out.line(`  - ${contribution.reason}${points}`);
  }
  return EXIT.ok;
}

async function thresholdsFrom(globals: GlobalOptions, io: CliIo, err: Output): Promise<TierThresholds> {
  return (await loadConfiguration(globals, io, err, { noteMissingUserFile: true })).config.routing.tiers;
}

type LineResult = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly message: string };

function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

/** One input line -> one output line, or why the line is bad (never quoting its text, which may be code). */
function classifyLine(line: string, defaults: Defaults, thresholds: TierThresholds): LineResult {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    return { ok: false, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { ok: false, message: `expected a JSON object {"id", "text", ...}, got ${describeType(record)}` };
  }
  const { id, text, task, language, instruction } = record as Record<string, unknown>;
  if (typeof id !== 'string' && typeof id !== 'number') return { ok: false, message: `"id" must be a string or a number (got ${describeType(id)})` };
  const which = `id ${JSON.stringify(id)}`;
  if (typeof text !== 'string') return { ok: false, message: `${which}: "text" must be a string (got ${describeType(text)})` };
  if (task !== undefined && (typeof task !== 'string' || !(TASK_TYPES as readonly string[]).includes(task))) {
    return { ok: false, message: `${which}: "task" must be one of ${TASK_TYPES.join(', ')} (got ${JSON.stringify(task)})` };
  }
  if (language !== undefined && typeof language !== 'string') return { ok: false, message: `${which}: "language" must be a string` };
  if (instruction !== undefined && typeof instruction !== 'string') return { ok: false, message: `${which}: "instruction" must be a string` };
  const lang = (language as string | undefined) ?? defaults.language;
  const instr = (instruction as string | undefined) ?? defaults.instruction;
  const estimate = estimateComplexity({
    text,
    task: (task as TaskType | undefined) ?? defaults.task,
    ...(lang ? { language: lang } : {}),
    ...(instr ? { instruction: instr } : {}),
  });
  return {
    ok: true,
    json: JSON.stringify({ id, complexity: estimate.score, tier: tierFor(estimate.score, thresholds), reasons: estimate.reasons }),
  };
}

/** Output is written in blocks of about this many characters, waiting for the stream to drain between them. */
const FLUSH_CHARS = 64 * 1024;

async function classifyJsonl(
  input: string,
  outFile: string | undefined,
  defaults: Defaults,
  thresholds: TierThresholds,
  io: CliIo,
  stdout: Output,
  err: Output,
): Promise<ExitCode> {
  const inputPath = input === '-' ? undefined : path.resolve(io.cwd, input);
  const source = inputPath === undefined ? io.stdin : createReadStream(inputPath);
  if (inputPath !== undefined) {
    try {
      await once(source, 'open');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw usageError(`cannot read ${input}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}.`, 'classify');
    }
  }
  let fileStream: ReturnType<typeof createWriteStream> | undefined;
  if (outFile !== undefined && outFile !== '-') {
    fileStream = createWriteStream(path.resolve(io.cwd, outFile));
    try {
      await once(fileStream, 'open');
    } catch (error) {
      if (inputPath !== undefined) (source as ReturnType<typeof createReadStream>).destroy();
      throw usageError(`cannot write ${outFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, 'classify');
    }
  }
  // Results hold ids, numbers and computed reasons, never a key: the file needs no redaction (JSON escapes controls).
  const out = fileStream === undefined ? stdout : new Output(fileStream, new SecretScrubber());

  let buffer = '';
  const flush = async (): Promise<void> => {
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk)) await out.drain();
  };
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let lineNumber = 0;
  let written = 0;
  let bad = 0;
  let interrupted = false;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (io.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (line.trim() === '') continue;
      const result = classifyLine(line, defaults, thresholds);
      if (result.ok) {
        buffer += `${result.json}\n`;
        written++;
        if (buffer.length >= FLUSH_CHARS) await flush();
      } else {
        bad++;
        err.line(`model-router classify: ${input === '-' ? 'stdin' : input}:${lineNumber}: ${result.message}; line skipped.`);
      }
    }
    await flush();
  } catch (error) {
    throw new CliError(EXIT.usage, `cannot read ${input}: ${error instanceof Error ? error.message : String(error)}.`);
  } finally {
    lines.close();
    if (fileStream !== undefined) {
      const finished = once(fileStream, 'close');
      fileStream.end();
      await finished;
    }
  }
  if (interrupted) {
    err.line(`model-router classify: interrupted after line ${lineNumber - 1}; ${written} line(s) written.`);
    return EXIT.interrupted;
  }
  if (bad > 0) {
    err.line(`model-router classify: ${bad} of ${written + bad} line(s) could not be classified (see above); the other ${written} were written.`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
