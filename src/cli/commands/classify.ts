/**
 * `model-router classify`: complexity 1-10, tier and reasons, with no network. One text (a file, `-`, or piped
 * stdin), or `--jsonl IN` for many: one JSON object per line in, one per line out, streamed.
 */
import type { TaskType, TierThresholds } from '../../core/config/types';
import { TASK_TYPES } from '../../core/config/types';
import { estimateComplexity } from '../../core/routing/complexity';
import { tierFor } from '../../core/routing/tiers';
import type { GlobalOptions } from '../args';
import { oneOf, parseCommand } from '../args';
import { loadConfiguration } from '../context';
import type { ExitCode } from '../exitCodes';
import { EXIT, usageError } from '../exitCodes';
import type { InputText } from '../input';
import { readFileInput } from '../input';
import type { CliIo } from '../io';
import type { Output } from '../io';
import { readAll } from '../io';
import type { LineResult } from '../jsonl';
import { describeType, runJsonl } from '../jsonl';

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
    const job = {
      command: 'classify',
      input: values.jsonl,
      outFile: values.out,
      verb: 'classified',
      concurrency: 1,
      work: (record: Record<string, unknown>) => classifyRecord(record, defaults, thresholds),
    };
    return runJsonl(job, '{"id", "text", ...}', io, out, err);
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

/** One input record -> one output line, or why the record is bad (never quoting its text, which may be code). */
function classifyRecord(record: Record<string, unknown>, defaults: Defaults, thresholds: TierThresholds): LineResult {
  const { id, text, task, language, instruction } = record;
  const which = `id ${JSON.stringify(id)}`;
  if (typeof text !== 'string') return { ok: false, message: `${which}: "text" must be a string (got ${describeType(text)})` };
  if (task !== undefined && (typeof task !== 'string' || !(TASK_TYPES as readonly string[]).includes(task))) {
    return { ok: false, message: `${which}: "task" must be one of ${TASK_TYPES.join(', ')} (got ${JSON.stringify(task)})` };
  }
  if (language !== undefined && typeof language !== 'string') return { ok: false, message: `${which}: "language" must be a string` };
  if (instruction !== undefined && typeof instruction !== 'string') return { ok: false, message: `${which}: "instruction" must be a string` };
  const lang = (language) ?? defaults.language;
  const instr = (instruction) ?? defaults.instruction;
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
