/**
 * What a JavaScript/TypeScript request says its code must do, read from the request alone (nothing runs):
 * JSDoc `@example` blocks with an expected value, assert/expect lines in the instruction, the calls a refactor's
 * differential check compares, and the "generated tests" entry of Write Tests.
 */
import { Script } from 'node:vm';

import type { TaskType } from '../config/types';
import type { PlannedCheck, VerifyRequest } from './types';
import { CHECKED_TASKS } from './verify';

/** Tasks whose answer is code that replaces or adds to the selection. */
const EDIT_TASKS: readonly TaskType[] = CHECKED_TASKS;

/** `// => 5`, `//=> 5`, `// → 5`, `// -> 5`, `// returns 5`, `// prints 5`, `// Expected output: 5` (MDN), `// throws TypeError`. */
const EXPECTATION = /^\/\/\s*(=>|⇒|→|->|returns?\b:?|prints?\b:?|logs?\b:?|outputs?\b:?|expected output\b:?|throws?\b:?)\s*(.*)$/i;
const ASSERT_START = /(?<![\w$.])(console\.assert|assert(?:\.[A-Za-z]+)?|expect)\s*\(/g;
const ASSERT_STATEMENT = /^(?:await\s+)?(?:console\.assert|assert(?:\.[A-Za-z]+)?|expect)\s*\(/;
const FENCE = /^[ \t]*(```|~~~)[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)^[ \t]*\1[ \t]*$/gm;
const CODE_FENCE_LANGS = new Set(['', 'js', 'javascript', 'ts', 'typescript', 'jsx', 'tsx', 'mjs', 'cjs']);

/** One statement of an example, with the expectation written after it. */
interface Statement {
  code: string;
  expected?: string;
}

export function planJavascript(request: Omit<VerifyRequest, 'answer'>): PlannedCheck[] {
  if (!EDIT_TASKS.includes(request.task)) return [];
  if (request.task === 'tests') {
    return request.original.trim() === '' ? [] : [{ kind: 'test', name: 'the generated tests', source: '' }];
  }
  const blocks = [...jsdocExamples(request.original), ...instructionBlocks(request.instruction ?? '')];
  const checks: PlannedCheck[] = [];
  for (const block of blocks) checks.push(...blockChecks(parseStatements(block)));
  for (const source of findAssertions(instructionProse(request.instruction ?? ''))) {
    checks.push({ kind: 'assert', name: oneLine(source), source });
  }
  const planned = request.task === 'refactor' ? checks.map(toDifferential).filter((c): c is PlannedCheck => c !== undefined) : checks.filter((c) => c.kind !== 'differential');
  const seen = new Set<string>();
  return planned.filter((c) => {
    const key = `${c.kind}\u0000${c.source}\u0000${c.expected ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The text of every `@example` tag of every JSDoc comment, one string per example. */
export function jsdocExamples(code: string): string[] {
  const out: string[] = [];
  for (const comment of code.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const lines = comment
      .replace(/^\/\*\*/, '')
      .replace(/\*\/$/, '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''));
    let current: string[] | undefined;
    for (const line of lines) {
      const tag = /^\s*@(\w+)\s?(.*)$/.exec(line);
      if (tag) {
        if (current) out.push(current.join('\n'));
        current = tag[1] === 'example' ? [tag[2]!.replace(/<caption>[\s\S]*?<\/caption>/, '')] : undefined;
        continue;
      }
      current?.push(line);
    }
    if (current) out.push(current.join('\n'));
  }
  return out
    .map((example) => fromRepl(example.replace(/^[ \t]*(```|~~~).*$/gm, '')))
    .filter((example) => example.trim() !== '');
}

/** The REPL style `> add(2, 3)` with the value on the next line, as `add(2, 3) // => 5`. */
function fromRepl(example: string): string {
  const lines = example.split('\n');
  if (!lines.some((line) => /^\s*> /.test(line))) return example;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const prompt = /^\s*> (.*)$/.exec(lines[i]!);
    const next = lines[i + 1];
    if (prompt && next !== undefined && next.trim() !== '' && !/^\s*(>|\/\/)/.test(next)) {
      out.push(`${prompt[1]!} // => ${next.trim()}`);
      i++;
    } else {
      out.push(prompt ? prompt[1]! : lines[i]!);
    }
  }
  return out.join('\n');
}

/** Code fences of the instruction in JS/TS (or untagged), plus prose lines that carry `// =>`. */
function instructionBlocks(instruction: string): string[] {
  const blocks: string[] = [];
  for (const match of instruction.matchAll(FENCE)) {
    if (CODE_FENCE_LANGS.has((match[2] ?? '').toLowerCase())) blocks.push(match[3] ?? '');
  }
  for (const line of instructionProse(instruction).split('\n')) {
    if (!/\/\/\s*(=>|⇒|→|->|returns?\b)/i.test(line)) continue;
    const ticked = /`([^`]+)`/.exec(line)?.[1];
    blocks.push(ticked && /\/\//.test(ticked) ? ticked : withoutProse(line));
  }
  return blocks;
}

/** `Also: add(2, 3) // => 5` → `add(2, 3) // => 5`: drops leading words until the code before the comment compiles. */
function withoutProse(line: string): string {
  const [code, comment] = splitComment(line);
  const words = code.trim().split(/(?<=\s)/);
  for (let i = 0; i < words.length; i++) {
    const candidate = words.slice(i).join('').trim();
    if (candidate === '' || !/^[\w$([{'"`!-]/.test(candidate)) continue;
    try {
      new Script(`(${candidate.replace(/;$/, '')}\n)`);
      return `${candidate} ${comment ?? ''}`;
    } catch {
      // not code yet: drop one more word
    }
  }
  return line;
}

/** The instruction without its code fences. */
function instructionProse(instruction: string): string {
  return instruction.replace(FENCE, '\n');
}

/** Splits example text into statements, attaching the expectation written after each (same line or next line). */
export function parseStatements(text: string): Statement[] {
  const statements: Statement[] = [];
  let pending: string[] = [];
  let depth = 0;
  let open: Statement | undefined;
  for (const raw of text.split('\n')) {
    const [code, comment] = splitComment(raw);
    if (code.trim() === '') {
      if (comment !== undefined && depth === 0) {
        if (open && open.expected !== undefined && bracketDepth(open.expected) > 0) {
          open.expected += ` ${comment.replace(/^\/\/\s?/, '').trim()}`;
          continue;
        }
        const expectation = expectationOf(comment);
        const last = statements[statements.length - 1];
        if (expectation !== undefined && last && last.expected === undefined) {
          last.expected = expectation;
          open = last;
        }
      }
      continue;
    }
    pending.push(code);
    depth += bracketDepth(code);
    if (depth > 0 || /[,([{=+\-*/%&|^?:.>]\s*$/.test(code) && !/(\+\+|--)\s*$/.test(code)) continue;
    const parts = splitTopLevel(pending.join('\n'));
    pending = [];
    depth = 0;
    open = undefined;
    parts.forEach((part, index) => {
      const statement: Statement = { code: part };
      if (index === parts.length - 1 && comment !== undefined) {
        const expectation = expectationOf(comment);
        if (expectation !== undefined) {
          statement.expected = expectation;
          open = statement;
        }
      }
      statements.push(statement);
    });
  }
  if (pending.length > 0) statements.push(...splitTopLevel(pending.join('\n')).map((code) => ({ code })));
  return statements;
}

function expectationOf(comment: string): string | undefined {
  const match = EXPECTATION.exec(comment.trim());
  if (!match) return undefined;
  let value = match[2]!.trim().replace(/;$/, '').trim();
  const ticked = /^`([^`]*)`$/.exec(value);
  if (ticked) value = ticked[1]!.trim();
  if (/^throws?/i.test(match[1]!)) return `throws ${value}`.trim();
  return value === '' ? undefined : value;
}

/** The checks of one example: each statement with an expectation or an assert, the statements before it as setup. */
function blockChecks(statements: readonly Statement[]): PlannedCheck[] {
  const checks: PlannedCheck[] = [];
  const setup: string[] = [];
  // Examples that declare a variable share state (`s.pop() // => 3` then `s.pop() // => 2`): each check replays the
  // statements before it. Without a declaration the examples are independent calls, and one that loops forever
  // must not take the later ones with it.
  const stateful = statements.some((s) => /^(?:const|let|var)\b/.test(s.code));
  for (const statement of statements) {
    const { code, expected } = statement;
    if (expected !== undefined) {
      const target = valueOf(code);
      const source = [...setup, ...target.setup, target.expr].join(';\n');
      checks.push({ kind: 'example', name: oneLine(`${target.expr} // => ${expected}`), source, expected });
      if (!stateful) continue;
    } else if (ASSERT_STATEMENT.test(code)) {
      checks.push({ kind: 'assert', name: oneLine(code), source: [...setup, code].join(';\n') });
      // An assertion is not setup for the next one: a failing one would fail every later check too.
      continue;
    } else if (!/^(?:const|let|var|function|class|import|export)\b/.test(code) && /\w\s*\(/.test(code)) {
      // A call without an expected value: a differential check for a refactor only.
      checks.push({ kind: 'differential', name: oneLine(code), source: [...setup, stripSemicolon(code)].join(';\n') });
    }
    setup.push(code);
  }
  return checks;
}

/** `console.log(x)` is checked as `x`; `const r = f()` as `r`. */
function valueOf(code: string): { setup: string[]; expr: string } {
  const bare = stripSemicolon(code);
  const logged = /^console\.log\(([\s\S]*)\)$/.exec(bare);
  if (logged && splitArgs(logged[1]!).length === 1) return { setup: [], expr: logged[1]!.trim() };
  const declared = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=/.exec(bare);
  if (declared) return { setup: [bare], expr: declared[1]! };
  return { setup: [], expr: bare };
}

/** For a refactor: the value an example or assert computes, compared between the original and the new code. */
function toDifferential(check: PlannedCheck): PlannedCheck | undefined {
  if (check.kind === 'differential') return check;
  const statements = splitTopLevel(check.source);
  const last = statements.pop() ?? '';
  let call = last;
  if (check.kind === 'assert') {
    const match = /^(?:await\s+)?(console\.assert|assert(?:\.([A-Za-z]+))?|expect)\s*\(/.exec(last);
    if (!match) return undefined;
    const args = splitArgs(balancedFrom(last, match[0].length - 1).slice(1, -1));
    if (args.length === 0) return undefined;
    call = /^(throws|rejects|doesNotThrow|doesNotReject)$/.test(match[2] ?? '') ? `(${args[0]!})()` : args[0]!;
  }
  return { kind: 'differential', name: oneLine(call), source: [...statements, call].join(';\n') };
}

/** assert/expect/console.assert calls found anywhere in text (prose included), with an expect's matcher chain. */
export function findAssertions(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(ASSERT_START)) {
    const start = match.index;
    const open = start + match[0].length - 1;
    const call = balancedFrom(text, open);
    if (!call.endsWith(')')) continue;
    let end = open + call.length;
    if (match[1] === 'expect') {
      const chain = /^(\s*\.\s*(?:not|resolves|rejects))*\s*\.\s*to[A-Z]\w*\s*\(/.exec(text.slice(end));
      if (!chain) continue;
      const args = balancedFrom(text, end + chain[0].length - 1);
      if (!args.endsWith(')')) continue;
      end += chain[0].length - 1 + args.length;
    }
    const source = text.slice(start, end);
    // Jest's failure report (`expect(received).toBe(expected)`) pasted into a Fix request is not a check.
    if (!/^expect\(\s*received\s*\)/.test(source)) out.push(source);
  }
  return out;
}

// ---- a small scanner: strings, template literals and comments are skipped, brackets counted ----

/**
 * Walks `text` from `from`, skipping string and template literals (with their escapes), and calls `visit` with each
 * character outside them and the bracket depth counted up to and including it; stops where `visit` returns true.
 * Returns that index (-1 when it ran to the end) and the depth reached.
 */
function scan(text: string, from: number, visit: (c: string, i: number, depth: number) => boolean | void): { readonly stop: number; readonly depth: number } {
  let depth = 0;
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    if (visit(c, i, depth) === true) return { stop: i, depth };
  }
  return { stop: -1, depth };
}

/** Splits a line into its code and its trailing `//` comment. */
export function splitComment(line: string): [string, string | undefined] {
  const { stop } = scan(line, 0, (c, i) => c === '/' && line[i + 1] === '/');
  return stop < 0 ? [line, undefined] : [line.slice(0, stop).trimEnd(), line.slice(stop)];
}

function bracketDepth(code: string): number {
  return scan(code, 0, () => false).depth;
}

/** The text from an opening bracket to its matching closing one (or to the end when unbalanced or a blank line comes first). */
function balancedFrom(text: string, open: number): string {
  const { stop } = scan(text, open, (c, i, depth) => (depth === 0 && ')]}'.includes(c)) || (c === '\n' && text[i + 1] === '\n'));
  return stop >= 0 && text[stop] !== '\n' ? text.slice(open, stop + 1) : text.slice(open);
}

/** Splits at top-level `;` (and newlines between complete statements). */
export function splitTopLevel(code: string): string[] {
  const parts: string[] = [];
  let start = 0;
  const push = (end: number): void => {
    const part = code.slice(start, end).trim();
    if (part !== '') parts.push(part);
  };
  scan(code, 0, (c, i, depth) => {
    if (depth === 0 && (c === ';' || (c === '\n' && !continues(code, i)))) {
      push(c === ';' ? i + 1 : i);
      start = i + 1;
    }
  });
  push(code.length);
  return parts.map(stripSemicolon).filter((part) => part !== '');
}

/** Whether the statement goes on after the newline at index i (an operator ends this line or starts the next). */
function continues(code: string, i: number): boolean {
  const before = code.slice(0, i).trimEnd();
  const after = code.slice(i + 1).trimStart();
  return /[,([{=+\-*/%&|^?:.]$/.test(before) && !/(\+\+|--)$/.test(before) || /^[.?:+\-*/%&|^=,)\]}]/.test(after) && !/^(\+\+|--)/.test(after);
}

function splitArgs(args: string): string[] {
  const out: string[] = [];
  let start = 0;
  scan(args, 0, (c, i, depth) => {
    if (c === ',' && depth === 0) {
      out.push(args.slice(start, i).trim());
      start = i + 1;
    }
  });
  const last = args.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

function stripSemicolon(code: string): string {
  return code.trim().replace(/;+$/, '').trim();
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
