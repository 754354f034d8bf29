/**
 * The JavaScript/TypeScript check: plans from the request (javascriptPlan.ts), then runs one Node process per answer
 * (the harness in nodeHarness.ts) through the sandbox.
 *
 * In this (host) process: TypeScript types are stripped and import/export turned into CommonJS with sucrase (pure
 * JavaScript, shipped in the bundle; esbuild is a devDependency only), and the answer is compiled with vm.Script
 * without running it: that is the parse check. Nothing of the answer runs here.
 */
import { randomBytes } from 'node:crypto';
import { Script } from 'node:vm';

import { transform } from 'sucrase';

import { errorMessage } from '../util/errorMessage';
import { planJavascript, splitTopLevel } from './javascriptPlan';
import { NODE_HARNESS } from './nodeHarness';
import type { SandboxResult } from './sandbox';
import type { CheckResult, CheckRun, LanguageCheck, PlannedCheck, VerifyLanguage } from './types';
import { RuntimeMissingError } from './types';

/** Time kept out of the checks' share for starting Node and reporting. */
const STARTUP_RESERVE_MS = 700;

export const javascriptCheck: LanguageCheck = {
  languages: ['javascript', 'typescript'],
  plan: (request) => planJavascript(request),
  run: runJavascript,
};

type Form = 'script' | 'class members' | 'statements';
type Parsed = { ok: true; form: Form; js: string } | { ok: false; error: string };

/** Strips TypeScript and turns import/export into CommonJS; throws sucrase's syntax error. */
export function toCommonJs(code: string, language: VerifyLanguage, jsx = false): string {
  const transforms: ('typescript' | 'imports' | 'jsx')[] = [];
  if (language === 'typescript') transforms.push('typescript');
  if (jsx) transforms.push('jsx');
  // Only when there is a module keyword: the imports transform adds "use strict", which changes sloppy code.
  if (/(^|[^\w$.])(import|export)\b/.test(code)) transforms.push('imports');
  if (transforms.length === 0) return code;
  return transform(code, { transforms, disableESTransforms: true }).code;
}

/** Parses code as a script, else as class members (a method selected alone), else as statements of a function body. */
export function parseJavascript(code: string, language: VerifyLanguage, filename: string): Parsed {
  const attempts: [Form, (text: string) => string][] = [
    ['script', (text) => text],
    ['class members', (text) => `class __Fragment__ {\n${text}\n}`],
    ['statements', (text) => `async function __fragment__() {\n${text}\n}`],
  ];
  let first: string | undefined;
  // JSX (a .jsx/.tsx file) only when the code does not parse without it: its calls need React to run.
  for (const jsx of [false, true]) {
    if (jsx && !/<[A-Za-z>]/.test(code)) break;
    for (const [form, wrap] of attempts) {
      try {
        const js = toCommonJs(wrap(code), language, jsx);
        new Script(js, { filename });
        return { ok: true, form, js };
      } catch (error) {
        first ??= syntaxMessage(error, form === 'script' ? 0 : 1);
      }
    }
  }
  return { ok: false, error: first ?? 'does not parse' };
}

function syntaxMessage(error: unknown, lineOffset: number): string {
  if (!(error instanceof Error)) return String(error);
  // vm.Script puts "file:line" as the first line of the stack; sucrase puts "(line:column)" in the message.
  const where = /^[^\n]*:(\d+)\n/.exec(error.stack ?? '')?.[1];
  const line = where !== undefined ? ` (line ${Number(where) - lineOffset})` : '';
  return `${error.name}: ${error.message}${line}`;
}

async function runJavascript(input: CheckRun): Promise<CheckResult[]> {
  const node = input.runtimes.node;
  if (!node) {
    throw new RuntimeMissingError('node', 'Node.js was not found, so JavaScript/TypeScript answers cannot be checked; install Node.js (or put it on PATH) to check them.');
  }
  const { request, language, planned } = input;
  const ext = language === 'typescript' ? 'ts' : 'js';
  const results: CheckResult[] = [];

  const answer = parseJavascript(input.code, language, `answer.${ext}`);
  const original = request.original.trim() === '' ? undefined : parseJavascript(request.original, language, request.fileName ?? `original.${ext}`);
  let answerSkip: string | undefined;
  if (answer.ok && answer.form !== 'script' && original?.ok && original.form === 'script') {
    // The selection was complete code: a fragment in its place (a method without its class) would break the file.
    results.push({ kind: 'parse', name: 'the code parses', status: 'failed', detail: `the answer parses only as ${answer.form} (a fragment), but the selection was complete code` });
    answerSkip = 'not run: the answer is a fragment of the code it replaces';
  } else if (answer.ok) {
    results.push({ kind: 'parse', name: 'the code parses', status: 'passed', ...(answer.form === 'script' ? {} : { detail: `parses as ${answer.form} (a fragment)` }) });
    if (answer.form !== 'script') answerSkip = `not run: the answer is a fragment (${answer.form}) that cannot run on its own`;
  } else if (original && !original.ok) {
    results.push({ kind: 'parse', name: 'the code parses', status: 'skipped', detail: cut('the selection does not parse on its own either (a fragment), so the answer is not judged on it', 300) });
    answerSkip = 'not run: the answer does not parse on its own';
  } else {
    results.push({ kind: 'parse', name: 'the code parses', status: 'failed', detail: cut(answer.error, 300) });
    answerSkip = 'not run: the answer does not parse';
  }

  const testEntry = planned.findIndex((check) => check.kind === 'test');
  const checks = planned.filter((check) => check.kind !== 'test' && check.kind !== 'parse');
  if (checks.length === 0 && testEntry < 0) return results;

  const job: Record<string, unknown> = {
    mode: testEntry >= 0 ? 'tests' : 'checks',
    budgetMs: Math.max(200, input.limits.timeoutMs - STARTUP_RESERVE_MS),
    loadMs: Math.max(100, Math.min(1000, Math.floor((input.limits.timeoutMs - STARTUP_RESERVE_MS) / 4))),
  };
  if (testEntry >= 0) {
    if (answerSkip) return [...results, { kind: 'test', name: planned[testEntry]!.name, status: 'skipped', detail: answerSkip }];
    job.tests = answer.ok ? answer.js : '';
    job.moduleName = request.fileName ?? `module.${ext}`;
    if (!original) job.originalSkip = 'there is no current code to test';
    else if (!original.ok || original.form !== 'script') job.originalSkip = 'the current code is a fragment that cannot run on its own';
    else job.original = original.js;
  } else {
    if (answerSkip !== undefined || !answer.ok) {
      return [...results, ...checks.map((c): CheckResult => ({ kind: c.kind, name: c.name, status: 'skipped', detail: answerSkip ?? 'not run' }))];
    }
    job.answer = answer.js;
    job.originalText = request.original;
    if (original?.ok && original.form === 'script') job.original = original.js;
    else job.originalSkip = original ? 'the original selection is a fragment that cannot run on its own' : 'there is no original code';
    job.checks = checks.map((check) => harnessCheck(check, language));
  }

  const nonce = randomBytes(16).toString('hex');
  const run = await input.sandbox.run({
    command: node.command,
    args: [...node.args, 'harness.js'],
    files: { 'harness.js': NODE_HARNESS },
    stdin: `${nonce}\n${JSON.stringify(job)}`,
    ...(node.env ? { env: node.env } : {}),
    timeoutMs: input.limits.timeoutMs,
    memoryMb: input.limits.memoryMb,
    maxOutputBytes: input.limits.maxOutputBytes,
    ...(input.signal ? { signal: input.signal } : {}),
  });
  input.signal?.throwIfAborted();
  if (run.spawnError !== undefined) {
    throw new RuntimeMissingError('node', `Node.js could not be started to check the answer (${node.command}): ${run.spawnError}`);
  }
  const messages = reports(run.stdout, nonce);
  if (!messages.some((m) => m.k === 'ready')) {
    if (!run.timedOut && !run.outputCapped) {
      throw new RuntimeMissingError('node', `Node.js (${node.command}) did not run the checks: ${cut(run.stderr.trim() || `exit code ${run.exitCode}`, 200)}`);
    }
  }
  const stopped = stopReason(run, input.limits.timeoutMs);
  if (testEntry >= 0) return [...results, ...testResults(messages, stopped)];
  return [...results, ...checkResults(checks, messages, stopped)];
}

interface Report {
  k: string;
  i?: number;
  name?: string;
  names?: string[];
  status?: CheckResult['status'];
  expected?: string;
  got?: string;
  detail?: string;
}

/** The harness's lines: only those that start with this run's nonce (anything the code printed is ignored). */
function reports(stdout: string, nonce: string): Report[] {
  const out: Report[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`${nonce} `)) continue;
    try {
      const value: unknown = JSON.parse(line.slice(nonce.length + 1));
      if (value && typeof value === 'object' && typeof (value as Report).k === 'string') out.push(value as Report);
    } catch {
      // a cut line: ignored
    }
  }
  return out;
}

function stopReason(run: SandboxResult, timeoutMs: number): string | undefined {
  if (run.timedOut) return `the run hit its ${timeoutMs} ms time limit (an endless loop in a timer or promise?)`;
  if (run.outputCapped) return 'the run printed more than the output limit';
  if (run.exitCode === 0) return 'the process exited before it reported (the code ended it)';
  const how = run.signal ? `killed by ${run.signal} (out of memory?)` : `exit code ${run.exitCode}`;
  const err = run.stderr.trim().split('\n').slice(-1)[0] ?? '';
  return `the process ended (${how})${err ? `: ${err}` : ''}`;
}

function fromReport(kind: PlannedCheck['kind'], name: string, report: Report): CheckResult {
  const status = report.status === 'passed' || report.status === 'skipped' ? report.status : 'failed';
  return {
    kind,
    name,
    status,
    ...(report.expected !== undefined ? { expected: cut(String(report.expected), 200) } : {}),
    ...(report.got !== undefined ? { got: cut(String(report.got), 200) } : {}),
    ...(report.detail !== undefined ? { detail: cut(String(report.detail), 300) } : {}),
  };
}

function checkResults(checks: readonly PlannedCheck[], messages: readonly Report[], stopped: string | undefined): CheckResult[] {
  const done = new Map<number, Report>();
  const startedAt = new Set<number>();
  for (const m of messages) {
    if (m.k === 'result' && typeof m.i === 'number') done.set(m.i, m);
    if (m.k === 'start' && typeof m.i === 'number') startedAt.add(m.i);
  }
  const loading = messages.some((m) => m.k === 'load') && startedAt.size === 0;
  const reason = stopped ?? 'the run ended without reporting';
  let stoppedAt: string | undefined;
  return checks.map((check, i) => {
    const report = done.get(i);
    if (report) return fromReport(check.kind, check.name, report);
    if (loading) return { kind: check.kind, name: check.name, status: 'failed', detail: cut(`the answer stopped the run while loading: ${reason}`, 300) };
    if (startedAt.has(i)) {
      stoppedAt = check.name;
      return { kind: check.kind, name: check.name, status: 'failed', detail: cut(`stopped during this check: ${reason}`, 300) };
    }
    return { kind: check.kind, name: check.name, status: 'skipped', detail: cut(`not run: the run stopped${stoppedAt ? ` at ${stoppedAt}` : ''} (${reason})`, 300) };
  });
}

function testResults(messages: readonly Report[], stopped: string | undefined): CheckResult[] {
  const names = messages.find((m) => m.k === 'tests')?.names;
  const tests = messages.filter((m) => m.k === 'test');
  const reason = stopped ?? 'the run ended without reporting';
  if (!names) {
    if (tests.length > 0) return tests.map((t) => fromReport('test', String(t.name ?? 'the generated tests'), t));
    return [{ kind: 'test', name: 'the generated tests', status: 'failed', detail: cut(`the tests stopped the run while loading: ${reason}`, 300) }];
  }
  const done = new Map<number, Report>();
  const startedAt = new Set<number>();
  for (const m of messages) {
    if (m.k === 'test' && typeof m.i === 'number') done.set(m.i, m);
    if (m.k === 'start' && typeof m.i === 'number') startedAt.add(m.i);
  }
  return names.map((raw, i) => {
    const name = cut(String(raw), 200);
    const report = done.get(i);
    if (report) return fromReport('test', name, report);
    if (startedAt.has(i)) return { kind: 'test', name, status: 'failed', detail: cut(`stopped during this test: ${reason}`, 300) };
    return { kind: 'test', name, status: 'skipped', detail: cut(`not run: ${reason}`, 300) };
  });
}

/** What the harness runs for one planned check: the source as a block (its value is the last statement's). */
function harnessCheck(check: PlannedCheck, language: VerifyLanguage): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: check.kind };
  try {
    let text: string;
    if (/\bawait\b/.test(check.source)) {
      const statements = splitTopLevel(check.source);
      const last = statements.pop() ?? 'undefined';
      text = `(async () => {\n${statements.map((s) => `${s};\n`).join('')}return (\n${last}\n);\n})()`;
    } else {
      text = `{\n${check.source}\n}`;
    }
    out.script = language === 'typescript' ? transform(text, { transforms: ['typescript'], disableESTransforms: true }).code : text;
  } catch (error) {
    out.skip = cut(`the check does not parse: ${errorMessage(error)}`, 300);
  }
  if (check.kind === 'example' && check.expected !== undefined) {
    const throws = /^throws?\b\s*(.*)$/i.exec(check.expected);
    if (throws) out.throws = /^[A-Z][\w$]*$/.test(throws[1]!.split(/\s/)[0] ?? '') ? throws[1]!.split(/\s/)[0] : '';
    else out.expected = check.expected;
  }
  return out;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
