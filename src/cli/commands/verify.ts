/**
 * `model-router verify`: the verdict on one model answer (pass / fail / unknown) by running what the request says the
 * code must do, in the sandbox; or `--jsonl IN` for many, in input order, up to one line per core at once.
 */
import { availableParallelism } from 'node:os';

import type { TaskType } from '../../core/config/types';
import { TASK_TYPES } from '../../core/config/types';
import { describeFailureRecord, describeVerdictRecord, verdictRecord } from '../../core/routing/cascade';
import type { CheckResult, VerifyRequest } from '../../core/verify/types';
import type { Verifier, VerifierVerdict } from '../../core/verify/verifier';
import { integerOption, oneOf, parseCommand } from '../args';
import { loadConfiguration } from '../context';
import type { ExitCode } from '../exitCodes';
import { EXIT, usageError } from '../exitCodes';
import { readFileInput } from '../input';
import type { CliIo, Output } from '../io';
import type { LineResult } from '../jsonl';
import { describeType, runJsonl } from '../jsonl';
import { createCliVerifier, verifierOptionsOf } from '../verifier';

export const VERIFY_OPTIONS = {
  task: { type: 'string' },
  language: { type: 'string' },
  code: { type: 'string' },
  answer: { type: 'string' },
  instruction: { type: 'string' },
  python: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'memory-mb': { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
  jsonl: { type: 'string' },
  out: { type: 'string' },
} as const;

/** The task when none is given: the answer implements what the code (or the instruction) describes. */
export const DEFAULT_VERIFY_TASK: TaskType = 'implement';

export interface VerifyDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  readonly args: readonly string[];
}

export async function runVerify({ io, out, err, args }: VerifyDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, VERIFY_OPTIONS, 'verify');
  if (positionals.length > 0) throw usageError(`verify takes no FILE argument (got ${positionals.join(' ')}): use --code FILE and --answer FILE.`, 'verify');
  const task = values.task === undefined ? DEFAULT_VERIFY_TASK : oneOf(values.task, TASK_TYPES, 'task', 'verify');
  const timeoutMs = integerOption(values['timeout-ms'], 'timeout-ms', 100, 600_000, 'verify');
  const memoryMb = integerOption(values['memory-mb'], 'memory-mb', 32, 65_536, 'verify');
  // One more than the cores: a run also waits (process start, pipes, the sandbox's set-up), and a spare keeps them busy.
  const concurrency = integerOption(values.concurrency, 'concurrency', 1, 256, 'verify') ?? availableParallelism() + 1;
  if (values.out !== undefined && values.jsonl === undefined) throw usageError('--out goes with --jsonl IN.', 'verify');
  // The user config's `verify:` (python, timeoutMs, memoryMb), the flags over it.
  const configured = verifierOptionsOf((await loadConfiguration(globals, io, err, { quiet: true })).config.verify);
  const python = values.python ?? configured.python;
  const verifierOptions = {
    ...(python ? { python } : {}),
    limits: { ...configured.limits, ...(timeoutMs ? { timeoutMs } : {}), ...(memoryMb ? { memoryMb } : {}) },
  };

  if (values.jsonl !== undefined) {
    if (values.code !== undefined || values.answer !== undefined) throw usageError('give either --jsonl IN or --code/--answer, not both.', 'verify');
    if (values.json) throw usageError('--jsonl already writes JSON (one object per line); drop --json.', 'verify');
    const verifier = await createCliVerifier(verifierOptions);
    const defaults = { task, ...(values.language ? { language: values.language } : {}), ...(values.instruction ? { instruction: values.instruction } : {}) };
    return runJsonl(
      {
        command: 'verify',
        verb: 'verified',
        input: values.jsonl,
        outFile: values.out,
        concurrency,
        work: (record) => verifyRecord(record, defaults, verifier, io.signal),
      },
      '{"id", "task", "language", "text", "completion", "instruction"?}',
      io,
      out,
      err,
    );
  }

  if (values.answer === undefined) throw usageError('nothing to verify: give --answer FILE (the model\'s answer; `-` for stdin) and --code FILE, or --jsonl IN.', 'verify');
  const answerInput = await readFileInput(values.answer, io, 'verify');
  const codeInput = values.code === undefined ? undefined : await readFileInput(values.code, io, 'verify');
  const answer = answerInput.text;
  const code = codeInput?.text ?? '';
  const language = values.language ?? codeInput?.language ?? answerInput.language;
  if (language === undefined) throw usageError('cannot tell the language: give --language (python, javascript, typescript).', 'verify');
  const request: VerifyRequest = {
    task,
    language,
    original: code,
    answer,
    ...(values.instruction ? { instruction: values.instruction } : {}),
    ...(codeInput?.fileName ? { fileName: codeInput.fileName } : {}),
  };
  const verifier = await createCliVerifier(verifierOptions);
  const verdict = await verifier.verify(request, io.signal);
  if (io.signal?.aborted) return EXIT.interrupted;
  if (values.json) out.line(JSON.stringify(verdictJson(undefined, verdict)));
  else printVerdict(verdict, out);
  if (verdict.runtimeMissing) err.line(`model-router verify: ${verdict.reason ?? 'the interpreter is missing'}`);
  return verdict.verdict === 'pass' ? EXIT.ok : verdict.verdict === 'fail' ? EXIT.failed : EXIT.unverified;
}

const MARK: Readonly<Record<CheckResult['status'], string>> = { passed: 'pass', failed: 'FAIL', skipped: 'skip' };

function printVerdict(verdict: VerifierVerdict, out: Output): void {
  const isolation = verdict.isolation ? ` · ${verdict.isolation.level === 'none' ? 'NOT isolated' : `isolated (${verdict.isolation.method})`}` : '';
  out.line(`${verdict.verdict} · ${describeVerdictRecord(verdictRecord(verdict))} · ${Math.round(verdict.ms)} ms${isolation}`);
  for (const result of verdict.results) {
    const what = result.status === 'failed' ? describeFailureRecord(result) : result.status === 'skipped' && result.detail ? `${result.name}: ${result.detail}` : result.name;
    out.line(`  ${MARK[result.status]}  ${result.kind}  ${what}`);
  }
  if (verdict.isolation?.level === 'none') out.line(`note: ${verdict.isolation.description}`);
}

/** The JSON of a verdict: the fields `verify --jsonl` documents. */
function verdictJson(id: unknown, verdict: VerifierVerdict): Record<string, unknown> {
  return {
    ...(id === undefined ? {} : { id }),
    verdict: verdict.verdict,
    checks: verdict.checks,
    passed: verdict.passed,
    failures: verdict.failures.map((f) => ({ kind: f.kind, name: f.name, ...(f.expected !== undefined ? { expected: f.expected } : {}), ...(f.got !== undefined ? { got: f.got } : {}), ...(f.detail !== undefined ? { detail: f.detail } : {}) })),
    ms: Math.round(verdict.ms),
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    ...(verdict.isolation ? { isolation: verdict.isolation.level } : {}),
  };
}

interface Defaults {
  readonly task: TaskType;
  readonly language?: string;
  readonly instruction?: string;
}

async function verifyRecord(record: Record<string, unknown>, defaults: Defaults, verifier: Verifier, signal: AbortSignal | undefined): Promise<LineResult> {
  const { id, task, language, text, completion, instruction } = record;
  const which = `id ${JSON.stringify(id)}`;
  if (typeof completion !== 'string') return { ok: false, message: `${which}: "completion" (the model's raw answer) must be a string (got ${describeType(completion)})` };
  if (text !== undefined && typeof text !== 'string') return { ok: false, message: `${which}: "text" (the code the request was about) must be a string (got ${describeType(text)})` };
  if (task !== undefined && (typeof task !== 'string' || !(TASK_TYPES as readonly string[]).includes(task))) {
    return { ok: false, message: `${which}: "task" must be one of ${TASK_TYPES.join(', ')} (got ${JSON.stringify(task)})` };
  }
  if (language !== undefined && typeof language !== 'string') return { ok: false, message: `${which}: "language" must be a string` };
  if (instruction !== undefined && instruction !== null && typeof instruction !== 'string') return { ok: false, message: `${which}: "instruction" must be a string` };
  const lang = (language) ?? defaults.language;
  if (lang === undefined) return { ok: false, message: `${which}: "language" is missing (python, javascript, typescript), and no --language was given` };
  const instr = (instruction) ?? defaults.instruction;
  const verdict = await verifier.verify(
    {
      task: (task as TaskType | undefined) ?? defaults.task,
      language: lang,
      original: (text) ?? '',
      answer: completion,
      ...(instr ? { instruction: instr } : {}),
    },
    signal,
  );
  return { ok: true, json: JSON.stringify(verdictJson(id, verdict)) };
}
