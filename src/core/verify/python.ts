/**
 * The Python check: plans from the request (doctest examples, asserts, refactor calls, Write Tests) without running
 * anything, then runs one answer's checks in ONE Python process (pythonHarness.ts) through the sandbox.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { PYTHON_HARNESS } from './pythonHarness';
import type { SandboxResult } from './sandbox';
import type { CheckKind, CheckResult, CheckRun, CheckStatus, LanguageCheck, PlannedCheck, Runtime, VerifyRequest } from './types';
import { RuntimeMissingError } from './types';

/** The setting that names the interpreter; every "Python is missing" message points at it. */
export const PYTHON_SETTING = 'modelRouter.verify.python';

/** Interpreter flags: isolated (no user site, no PYTHON* variables, no script folder on sys.path), no site import
 * (the harness adds site-packages only when the code imports a non-stdlib module), no .pyc files. */
export const PYTHON_FLAGS = ['-I', '-S', '-B'] as const;

/** Time kept back from `limits.timeoutMs` for the interpreter's start and the last result line. */
const START_MARGIN_MS = 400;
const MAX_SHORT = 200;
const MAX_DETAIL = 300;
/** Checks taken from one request at most (a pasted test file can hold hundreds of asserts). */
const MAX_PLANNED = 50;
const NAME_CHARS = 120;

// ------------------------------------------------------------------------------------------------------ planning

/** A doctest example found in text: the source without prompts and the expected output as written. */
export interface DoctestExample {
  readonly source: string;
  readonly want: string;
}

/** doctest's own example pattern (doctest.DocTestParser._EXAMPLE_RE): a `>>>` line, `...` lines, then the want. */
const EXAMPLE = /^( *)>>>(?: .*|)$(?:\n *\.\.\.(?: .*|)$)*\n?((?:(?! *$)(?! *>>>).+$\n?)*)/gm;

/**
 * The doctest examples in a text (a docstring's content or the instruction), the way doctest reads them: any
 * indentation, so plain doctests, Google `Example:` and NumPy `Examples` sections are all found. The want stops at a
 * blank line, the next `>>>`, a line indented less than the prompt, a closing fence or a closing triple quote.
 */
export function findDoctestExamples(text: string): DoctestExample[] {
  const examples: DoctestExample[] = [];
  const expanded = text.replace(/\r\n?/g, '\n').replace(/\t/g, '        ');
  for (const match of expanded.matchAll(EXAMPLE)) {
    const indent = match[1]!.length;
    const block = match[0];
    const lines = block.split('\n');
    const sourceLines: string[] = [];
    let index = 0;
    for (; index < lines.length; index++) {
      const line = lines[index]!;
      const prompt = index === 0 ? '>>>' : '...';
      if (!line.slice(indent).startsWith(prompt) || (index > 0 && !/^ *\.\.\./.test(line))) break;
      sourceLines.push(line.slice(indent + 4));
    }
    const wantLines: string[] = [];
    for (; index < lines.length; index++) {
      let line = lines[index]!;
      if (line.trim() === '') break;
      if (/^ *(```|~~~)/.test(line)) break;
      const leading = /^ */.exec(line)![0].length;
      if (leading < indent) break;
      const closing = /("""|''')\s*$/.exec(line);
      if (closing) {
        line = line.slice(0, closing.index);
        if (line.trim() !== '') wantLines.push(line.slice(indent));
        break;
      }
      wantLines.push(line.slice(indent));
    }
    const source = sourceLines.join('\n').replace(/\s+$/, '');
    if (source.trim() === '') continue;
    examples.push({ source, want: wantLines.join('\n') });
  }
  return examples;
}

interface StringSpan {
  readonly start: number;
  readonly end: number;
  /** The string's content, escapes resolved for non-raw strings (what doctest sees at run time). */
  readonly value?: string;
  readonly triple: boolean;
}

/** Strings and comments of Python source, so docstrings can be read and asserts inside strings ignored. */
function pythonStrings(code: string): StringSpan[] {
  const spans: StringSpan[] = [];
  const pattern = /#[^\n]*|([rRbBuUfF]{0,2})("""|'''|"|')/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(code)) !== null) {
    if (match[0].startsWith('#')) continue;
    const prefix = match[1] ?? '';
    const quote = match[2]!;
    const raw = /r/i.test(prefix);
    const bodyStart = match.index + match[0].length;
    let position = bodyStart;
    let end = -1;
    while (position < code.length) {
      const char = code[position]!;
      if (char === '\\') {
        position += 2;
        continue;
      }
      if (quote.length === 1 && char === '\n') break;
      if (code.startsWith(quote, position)) {
        end = position;
        break;
      }
      position++;
    }
    if (end < 0) end = Math.min(position, code.length);
    const body = code.slice(bodyStart, end);
    spans.push({ start: match.index, end: end + quote.length, value: raw ? body : unescapePython(body), triple: quote.length === 3 });
    pattern.lastIndex = end + quote.length;
  }
  return spans;
}

function unescapePython(body: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"', '\n': '', r: '\r', '0': '\0' };
  return body.replace(/\\(.)/gs, (whole, char: string) => simple[char] ?? whole);
}

/**
 * The assert statements in a text, from `assert` to the end of the statement: brackets and strings are followed
 * across lines; several asserts on one line (`assert f(1) == 1; assert f(2) == 4`, or joined by `,` or `and`) are
 * split; a trailing period, comma or backtick of prose is dropped. `topLevelOnly`: only lines that start with
 * `assert` at the text's smallest indentation (the selection: not asserts inside a function body).
 */
export function findAsserts(text: string, topLevelOnly = false): string[] {
  const normalized = text.replace(/\r\n?/g, '\n');
  const strings = pythonStrings(normalized).filter((span) => span.triple);
  const inString = (offset: number): boolean => strings.some((span) => offset > span.start && offset < span.end);
  const indents = normalized
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => /^[ \t]*/.exec(line)![0].length);
  const minIndent = indents.length > 0 ? Math.min(...indents) : 0;
  const found: string[] = [];
  const start = topLevelOnly ? /^[ \t]*assert\b/gm : /(?<![\w.])assert\b(?=[\s(])/g;
  let match: RegExpExecArray | null;
  let resumeAt = 0;
  while ((match = start.exec(normalized)) !== null) {
    const at = match.index + (match[0].length - 'assert'.length);
    if (at < resumeAt || inString(at)) continue;
    if (topLevelOnly && at - match.index !== minIndent) continue;
    const statement = readStatement(normalized, at);
    resumeAt = statement.end;
    start.lastIndex = Math.max(start.lastIndex, statement.end);
    if (looksLikePython(statement.text)) found.push(statement.text);
  }
  return found;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'for', 'lambda', 'None', 'True', 'False', 'await', 'async']);

/** Prose that happens to contain the word "assert" ("do not assert anything else") is not an assert statement: two
 * names in a row (neither a keyword) is not Python. */
function looksLikePython(statement: string): boolean {
  const body = statement
    .replace(/^assert\s*/, '')
    .replace(/("|')(?:\\.|(?!\1).)*\1/g, '0')
    .trim();
  if (body === '') return false;
  const keyword = (word: string, at: number): boolean => KEYWORDS.has(word) && (word !== 'else' || /\bif\b/.test(body.slice(0, at)));
  for (const match of body.matchAll(/([A-Za-z_]\w*)\s+(?=([A-Za-z_]\w*))/g)) {
    const second = match.index + match[0].length;
    if (!keyword(match[1]!, match.index) && !keyword(match[2]!, second)) return false;
  }
  return true;
}

/** Reads one assert statement from `at`: to the end of the line with brackets balanced, a `;`, or the next assert.
 * Comments are dropped and the lines of a bracketed statement joined with a space. */
function readStatement(text: string, at: number): { text: string; end: number } {
  let depth = 0;
  let position = at + 'assert'.length;
  let quote = '';
  let lines = 0;
  let out = 'assert';
  for (; position < text.length; position++) {
    const char = text[position]!;
    if (quote !== '') {
      out += char;
      if (char === '\\') {
        out += text[position + 1] ?? '';
        position++;
      } else if (text.startsWith(quote, position)) {
        out += quote.slice(1);
        position += quote.length - 1;
        quote = '';
      } else if (char === '\n' && quote.length === 1) quote = '';
      continue;
    }
    if (char === '"' || char === "'") {
      quote = text.startsWith(char.repeat(3), position) ? char.repeat(3) : char;
      out += quote;
      position += quote.length - 1;
      continue;
    }
    if (char === '#') {
      const newline = text.indexOf('\n', position);
      position = (newline < 0 ? text.length : newline) - 1;
      continue;
    }
    if (char === '\n') {
      lines++;
      if (depth === 0 || lines > 30) break;
      out += ' ';
      continue;
    }
    if ((char === ';' || char === '`') && depth === 0) break;
    if (depth === 0 && /^assert\b/.test(text.slice(position, position + 7)) && /[\s,;]/.test(text[position - 1] ?? '')) break;
    if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth = Math.max(0, depth - 1);
    out += char;
  }
  let statement = out.replace(/[ \t]+/g, ' ').trim();
  for (;;) {
    const trimmed = statement.replace(/(?:\s*(?:,|\.|:|\band)\s*)$/, '').trim();
    if (trimmed === statement) break;
    statement = trimmed;
  }
  return { text: statement, end: Math.max(position, at + 1) };
}

/** The left side of a top-level `==` in an assert (the call a refactor compares), else the asserted expression. */
export function callOfAssert(statement: string): string {
  const body = statement.replace(/^assert\s*/, '');
  let depth = 0;
  let quote = '';
  for (let index = 0; index < body.length; index++) {
    const char = body[index]!;
    if (quote !== '') {
      if (char === '\\') index++;
      else if (char === quote) quote = '';
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    else if (depth === 0 && body.startsWith('==', index)) return body.slice(0, index).trim();
    else if (depth === 0 && char === ',') return body.slice(0, index).trim();
  }
  return body.trim();
}

function nameOf(text: string): string {
  const line = text.split('\n')[0]!;
  const more = text.includes('\n') ? ' …' : '';
  return line.length > NAME_CHARS ? `${line.slice(0, NAME_CHARS - 1)}…` : line + more;
}

/** The examples in the selection's docstrings (and other triple-quoted strings) plus those in the instruction. */
function requestExamples(original: string, instruction: string): DoctestExample[] {
  const fromSelection = pythonStrings(original)
    .filter((span) => span.triple && span.value !== undefined && span.value.includes('>>>'))
    .flatMap((span) => findDoctestExamples(span.value!));
  return [...fromSelection, ...findDoctestExamples(instruction)];
}

/** Tasks whose answer is the (whole) new code, so the request's examples and asserts apply to it. */
const CODE_TASKS = new Set(['implement', 'fix', 'document']);

export function planPython(request: Omit<VerifyRequest, 'answer'>): PlannedCheck[] {
  const original = request.original ?? '';
  const instruction = request.instruction ?? '';
  if (request.task === 'tests') {
    return original.trim() === '' ? [] : [{ kind: 'test', name: 'the generated tests', source: '' }];
  }
  if (request.task !== 'refactor' && !CODE_TASKS.has(request.task)) return [];
  const examples = requestExamples(original, instruction);
  const asserts = [...findAsserts(instruction), ...findAsserts(original, true)];
  const planned: PlannedCheck[] = [];
  const seen = new Set<string>();
  const add = (check: PlannedCheck): void => {
    const key = `${check.kind}\n${check.source}\n${check.expected ?? ''}`;
    if (seen.has(key) || planned.length >= MAX_PLANNED) return;
    seen.add(key);
    planned.push(check);
  };
  if (request.task === 'refactor') {
    if (original.trim() === '') return [];
    for (const example of examples) add({ kind: 'differential', name: nameOf(example.source), source: example.source });
    for (const statement of asserts) add({ kind: 'differential', name: nameOf(callOfAssert(statement)), source: statement });
    return planned;
  }
  for (const example of examples) add({ kind: 'example', name: `>>> ${nameOf(example.source)}`, source: example.source, expected: example.want });
  for (const statement of asserts) add({ kind: 'assert', name: nameOf(statement), source: statement });
  return planned;
}

// ------------------------------------------------------------------------------------------------------ running

/** A file name the generated tests can import the current code by (`shapes.py` -> module `shapes`). */
function moduleFileOf(fileName: string | undefined): string | undefined {
  if (fileName === undefined) return undefined;
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const stem = base.replace(/\.pyw?$/i, '');
  return /^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(stem) ? `${stem}.py` : undefined;
}

interface HarnessLine {
  readonly ready?: boolean;
  readonly start?: number | string;
  readonly r?: Partial<CheckResult>;
  readonly crash?: string;
  readonly done?: boolean;
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function bounded(value: unknown, limit: number, singleLine: boolean): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value.replace(CONTROL, '?');
  if (singleLine) text = text.replace(/\s+/g, ' ').trim();
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

const KINDS: readonly CheckKind[] = ['parse', 'example', 'assert', 'differential', 'test'];
const STATUSES: readonly CheckStatus[] = ['passed', 'failed', 'skipped'];

/** A result line from the harness, bounded and validated (the values came from the checked code's reprs). */
function toResult(raw: Partial<CheckResult>, fallback: { kind: CheckKind; name: string }): CheckResult {
  const kind = KINDS.includes(raw.kind as CheckKind) ? (raw.kind as CheckKind) : fallback.kind;
  const status = STATUSES.includes(raw.status as CheckStatus) ? (raw.status as CheckStatus) : 'failed';
  const result: { -readonly [K in keyof CheckResult]: CheckResult[K] } = {
    kind,
    name: bounded(raw.name, NAME_CHARS + 40, true) ?? fallback.name,
    status,
  };
  const expected = bounded(raw.expected, MAX_SHORT, false);
  const got = bounded(raw.got, MAX_SHORT, false);
  const detail = bounded(raw.detail, MAX_DETAIL, true);
  if (expected !== undefined) result.expected = expected;
  if (got !== undefined) result.got = got;
  if (detail !== undefined) result.detail = detail;
  return result;
}

function readLines(stdout: string, nonce: string): HarnessLine[] {
  const prefix = `${nonce} `;
  const lines: HarnessLine[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    try {
      const value: unknown = JSON.parse(line.slice(prefix.length));
      if (value !== null && typeof value === 'object') lines.push(value);
    } catch {
      // a cut line (output limit): ignored
    }
  }
  return lines;
}

/** Why the run stopped before every result came back, for the checks that did not finish. */
function stopCause(result: SandboxResult, crash: string | undefined, timeoutMs: number): string {
  if (crash !== undefined) return `the checker failed: ${crash}`;
  if (result.timedOut) return `the run hit its ${timeoutMs} ms time limit`;
  if (result.outputCapped) return 'the run passed its output limit';
  const stderr = bounded(result.stderr.trim().split('\n').slice(-1)[0] ?? '', 160, true);
  const how = result.signal !== null ? `signal ${result.signal}` : `exit code ${String(result.exitCode)}`;
  return `the Python process ended (${how}) before this check finished${stderr ? `: ${stderr}` : ''}`;
}

function missingPython(message: string): RuntimeMissingError {
  return new RuntimeMissingError('python', `${message} Set ${PYTHON_SETTING} to the path of a Python 3.8 or newer interpreter (python3).`);
}

export async function runPython(input: CheckRun): Promise<CheckResult[]> {
  const python = input.runtimes.python;
  if (python === undefined) throw missingPython('No Python interpreter was found, so Python answers cannot be checked.');
  const { request, limits } = input;
  const tests = request.task === 'tests';
  const checks = input.planned.filter((check) => check.kind !== 'test' && check.kind !== 'parse');
  const nonce = randomBytes(16).toString('hex');
  const moduleFile = tests ? (moduleFileOf(request.fileName) ?? 'solution.py') : undefined;
  const budgetMs = Math.max(200, limits.timeoutMs - START_MARGIN_MS);
  const payload = {
    nonce,
    mode: tests ? 'tests' : 'checks',
    code: input.code,
    original: request.original,
    checks: tests ? [] : checks.map((check) => ({ kind: check.kind, name: check.name, source: check.source, expected: check.expected })),
    budgetMs,
    moduleFile,
  };
  const compiled = await compiledHarness(python);
  const run = await input.sandbox.run({
    command: python.command,
    args: [...python.args, ...PYTHON_FLAGS, ...(compiled ? [compiled] : ['-c', PYTHON_HARNESS])],
    files: tests && moduleFile !== undefined && request.original.trim() !== '' ? { [moduleFile]: request.original } : undefined,
    stdin: JSON.stringify(payload),
    env: python.env,
    ...(compiled ? { visible: [dirname(compiled)] } : {}),
    timeoutMs: limits.timeoutMs,
    memoryMb: limits.memoryMb,
    maxOutputBytes: limits.maxOutputBytes,
    signal: input.signal,
  });
  input.signal?.throwIfAborted();
  if (run.spawnError !== undefined) {
    throw missingPython(`Python could not be started ("${python.command}": ${bounded(run.spawnError, 200, true) ?? 'unknown error'}).`);
  }
  const lines = readLines(run.stdout, nonce);
  const ready = lines.some((line) => line.ready === true);
  if (!ready && !run.timedOut && !run.outputCapped && run.signal === null) {
    const stderr = bounded(run.stderr.trim().split('\n').slice(-1)[0] ?? '', 200, true);
    throw missingPython(`"${python.command}" did not run the Python checker (exit code ${String(run.exitCode)}${stderr ? `: ${stderr}` : ''}).`);
  }
  const crash = lines.find((line) => typeof line.crash === 'string')?.crash;
  const done = lines.some((line) => line.done === true);
  const cause = stopCause(run, crash, limits.timeoutMs);
  const reported = lines.filter((line) => line.r !== undefined && typeof line.r === 'object').map((line) => line.r!);
  const results: CheckResult[] = [];
  const parse = reported[0];
  if (parse === undefined || parse.kind !== 'parse') {
    // Nothing came back (the machine is too slow to start Python in time, or the checker failed): nothing ran.
    results.push({ kind: 'parse', name: 'parse', status: 'skipped', detail: bounded(`not checked: ${cause}`, MAX_DETAIL, true) });
    for (const check of tests ? [] : checks) results.push({ kind: check.kind, name: check.name, status: 'skipped', detail: 'not run' });
    return results;
  }
  results.push(toResult(parse, { kind: 'parse', name: 'parse' }));
  const rest = reported.slice(1);
  const started = lines.filter((line) => line.start !== undefined).map((line) => line.start!);
  if (tests) {
    for (const raw of rest) results.push(toResult(raw, { kind: 'test', name: 'test' }));
    if (!done) {
      const lastStarted = started[started.length - 1];
      if (typeof lastStarted === 'string' && !rest.some((raw) => raw.name === lastStarted)) {
        results.push({ kind: 'test', name: lastStarted.slice(0, NAME_CHARS), status: 'failed', detail: bounded(cause, MAX_DETAIL, true) });
      } else if (rest.length === 0) {
        results.push({ kind: 'test', name: 'the generated tests', status: 'failed', detail: bounded(cause, MAX_DETAIL, true) });
      }
    }
    return results;
  }
  for (const [index, check] of checks.entries()) {
    const raw = rest[index];
    if (raw !== undefined) {
      results.push(toResult(raw, { kind: check.kind, name: check.name }));
      continue;
    }
    // The run stopped early: the check it was in failed (or all of them, when loading never finished).
    const loaded = started.some((value) => typeof value === 'number');
    if (!loaded) results.push({ kind: check.kind, name: check.name, status: 'failed', detail: bounded(`while loading the code, ${cause}`, MAX_DETAIL, true) });
    else if (started.includes(index)) results.push({ kind: check.kind, name: check.name, status: 'failed', detail: bounded(cause, MAX_DETAIL, true) });
    else results.push({ kind: check.kind, name: check.name, status: 'skipped', detail: bounded(`not run: ${cause}`, MAX_DETAIL, true) });
  }
  return results;
}

/**
 * The harness compiled once per interpreter and process into a private folder (0700, removed at exit), so each run
 * loads bytecode instead of compiling a thousand lines again (about 15 ms of each answer's 70). Compiling runs no
 * model code (py_compile only parses). Undefined when it cannot be made: the run then passes the source with -c.
 */
const compiledHarnesses = new Map<string, Promise<string | undefined>>();

function compiledHarness(python: Runtime): Promise<string | undefined> {
  const key = [python.command, ...python.args].join('\u0000');
  let compiled = compiledHarnesses.get(key);
  if (compiled === undefined) {
    compiled = compileHarness(python).catch(() => undefined);
    compiledHarnesses.set(key, compiled);
  }
  return compiled;
}

let harnessDir: string | undefined;

async function compileHarness(python: Runtime): Promise<string | undefined> {
  if (harnessDir === undefined) {
    harnessDir = await mkdtemp(join(tmpdir(), 'model-router-harness-'));
    const dir = harnessDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const name = `harness-${createHash('sha256').update(PYTHON_HARNESS).update(python.command).digest('hex').slice(0, 16)}`;
  const source = join(harnessDir, `${name}.py`);
  const target = join(harnessDir, `${name}.pyc`);
  await writeFile(source, PYTHON_HARNESS, { mode: 0o600 });
  const ok = await new Promise<boolean>((resolve) => {
    const child = execFile(
      python.command,
      [...python.args, '-I', '-S', '-B', '-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', source, target],
      { timeout: 10_000, env: { PATH: process.env.PATH ?? '', ...python.env } },
      (error) => resolve(error === null),
    );
    child.stdin?.end();
  });
  return ok ? target : undefined;
}

export const pythonCheck: LanguageCheck = {
  languages: ['python'],
  plan: (request) => planPython(request),
  run: (input) => runPython(input),
};
