import assert from 'node:assert/strict';

import { javascriptCheck } from '../../src/core/verify/javascript';
import { ProcessSandbox } from '../../src/core/verify/sandbox';
import type { CheckResult, PlannedCheck, Runtimes, VerifyLanguage, VerifyRequest } from '../../src/core/verify/types';
import { DEFAULT_VERIFY_LIMITS, RuntimeMissingError } from '../../src/core/verify/types';

const sandbox = new ProcessSandbox();
const runtimes: Runtimes = { node: { command: process.execPath, args: [] } };

type Request = Omit<VerifyRequest, 'answer'>;

function plan(request: Partial<Request> & Pick<Request, 'original'>, language: VerifyLanguage = 'javascript'): readonly PlannedCheck[] {
  return javascriptCheck.plan({ task: 'fix', language, ...request }, language);
}

async function check(
  request: Partial<Request> & Pick<Request, 'original'>,
  code: string,
  language: VerifyLanguage = 'javascript',
  options: { timeoutMs?: number; runtimes?: Runtimes } = {},
): Promise<CheckResult[]> {
  const full: Request = { task: 'fix', language, ...request };
  return javascriptCheck.run({
    request: { ...full, answer: code },
    language,
    code,
    planned: javascriptCheck.plan(full, language),
    sandbox,
    runtimes: options.runtimes ?? runtimes,
    limits: { ...DEFAULT_VERIFY_LIMITS, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
  });
}

const summary = (results: readonly CheckResult[]): string[] => results.map((r) => `${r.kind} ${r.status}: ${r.name}`);
const byName = (results: readonly CheckResult[], name: string): CheckResult => {
  const found = results.find((r) => r.name === name);
  assert.ok(found, `no result named ${name} in ${JSON.stringify(summary(results))}`);
  return found;
};

const ADD = `/**
 * Adds two numbers.
 * @example
 * add(2, 3) // => 5
 */
function add(a, b) {
  return a + b;
}`;

describe('JavaScript/TypeScript checks: planning from the request', () => {
  it('recognises the JSDoc styles // => 5, //=> 5, // returns 5, // → 5 and the expected value on the next line', () => {
    const original = `/**
 * @example
 * add(2, 3) // => 5
 * add(1, 1) //=> 2
 * add(0, 4) // returns 4
 * add(5, 5) // → 10
 * @example
 * add(7, 1)
 * // => 8
 * @param a first
 */
function add(a, b) { return a + b; }`;
    const checks = plan({ original });
    assert.deepEqual(
      checks.map((c) => [c.kind, c.expected, c.source.split(';\n').pop()]),
      [
        ['example', '5', 'add(2, 3)'],
        ['example', '2', 'add(1, 1)'],
        ['example', '4', 'add(0, 4)'],
        ['example', '10', 'add(5, 5)'],
        ['example', '8', 'add(7, 1)'],
      ],
    );
  });

  it('recognises TypeScript examples with types, setup lines, calls over several lines, console.log(...) and const results', () => {
    const original = `/**
 * A stack.
 * @example
 * const s = new Stack<number>();
 * s.push(1);
 * s.push(2);
 * s.peek(); // => 2
 * console.log(s.size()) // => 2
 * const all: number[] = s.toArray(); // => [1, 2]
 * @example
 * merge(
 *   { a: 1 },
 *   { b: 2 },
 * )
 * // => { a: 1, b: 2 }
 */
class Stack<T> {}`;
    const checks = plan({ original }, 'typescript');
    assert.deepEqual(
      checks.map((c) => c.name),
      ['s.peek() // => 2', 's.size() // => 2', 'all // => [1, 2]', 'merge( { a: 1 }, { b: 2 }, ) // => { a: 1, b: 2 }'],
    );
    assert.match(checks[0]!.source, /^const s = new Stack<number>\(\);\ns\.push\(1\);\ns\.push\(2\);\ns\.peek\(\)$/);
  });

  it('finds assert, assert.equal/strictEqual/deepStrictEqual, console.assert and expect matchers in the instruction, prose and fences', () => {
    const instruction = [
      'Make sure assert.equal(add(1, 2), 3) and `expect(add(2, 2)).toBe(4)` hold, and console.assert(add(0, 0) === 0).',
      '```ts',
      'assert(add(1, 1) === 2);',
      'assert.strictEqual(add(2, 1), 3);',
      'assert.deepStrictEqual([add(1, 1)], [2]);',
      'expect(add(0.1, 0.2)).toBeCloseTo(0.3);',
      'expect(pair(1)).toEqual([1, 1]);',
      'expect(pair(2)).toStrictEqual([2, 2]);',
      'expect(add(1, 0)).toBeTruthy();',
      'expect(add(0, 0)).not.toBeTruthy();',
      'expect(add(0, 0)).toBeFalsy();',
      'expect(() => add()).toThrow(TypeError);',
      '```',
      'I expect (this) to be easy.',
      'It failed with: expect(received).toBe(expected) // Object.is equality',
    ].join('\n');
    const checks = plan({ original: 'function add(a, b) { return a + b; }', instruction }, 'typescript');
    assert.ok(checks.every((c) => c.kind === 'assert'));
    assert.deepEqual(checks.map((c) => c.source), [
      'assert(add(1, 1) === 2)',
      'assert.strictEqual(add(2, 1), 3)',
      'assert.deepStrictEqual([add(1, 1)], [2])',
      'expect(add(0.1, 0.2)).toBeCloseTo(0.3)',
      'expect(pair(1)).toEqual([1, 1])',
      'expect(pair(2)).toStrictEqual([2, 2])',
      'expect(add(1, 0)).toBeTruthy()',
      'expect(add(0, 0)).not.toBeTruthy()',
      'expect(add(0, 0)).toBeFalsy()',
      'expect(() => add()).toThrow(TypeError)',
      'assert.equal(add(1, 2), 3)',
      'expect(add(2, 2)).toBe(4)',
      'console.assert(add(0, 0) === 0)',
    ]);
  });

  it('recognises the MDN style: console.log(x) with // Expected output: on the next line', () => {
    const original = '/**\n * @example\n * const a = [1, 2, 3];\n * console.log(a.includes(2));\n * // Expected output: true\n */';
    assert.deepEqual(plan({ original }).map((c) => [c.name, c.source]), [['a.includes(2) // => true', 'const a = [1, 2, 3];\na.includes(2)']]);
  });

  it('recognises the REPL style: > call, then the value on the next line', () => {
    const original = '/**\n * @example\n * > add(2, 3)\n * 5\n * > add(1, 1)\n * 2\n */\nfunction add(a, b) { return a + b; }';
    assert.deepEqual(plan({ original }).map((c) => c.name), ['add(2, 3) // => 5', 'add(1, 1) // => 2']);
  });

  it('recognises an example written in the instruction, in prose or in a fence', () => {
    const instruction = 'It should work like this: clamp(5, 0, 3) // => 3\n```js\nclamp(-1, 0, 3) // returns 0\n```';
    assert.deepEqual(
      plan({ original: 'function clamp(x, lo, hi) {}', instruction }).map((c) => c.name),
      ['clamp(-1, 0, 3) // => 0', 'clamp(5, 0, 3) // => 3'],
    );
  });

  it('turns examples (with or without an expected value) and asserts into differential calls for a refactor', () => {
    const original = `/**
 * @example
 * slug('A B') // => 'a-b'
 * @example
 * slug('Hello World')
 */
function slug(s) { return s.toLowerCase().replace(/ /g, '-'); }`;
    const checks = plan({ task: 'refactor', original, instruction: 'keep assert.equal(slug("x y"), "x-y") true' });
    assert.deepEqual(checks.map((c) => [c.kind, c.source]), [
      ['differential', "slug('A B')"],
      ['differential', "slug('Hello World')"],
      ['differential', 'slug("x y")'],
    ]);
  });

  it('without an expected value an example is no check for a fix; a request with nothing to check plans nothing', () => {
    assert.deepEqual(plan({ original: '/** @example\n * add(1, 2)\n */\nfunction add(a, b) { return a + b; }' }), []);
    assert.deepEqual(plan({ original: 'function add(a, b) { return a + b; }', instruction: 'make it faster' }), []);
    assert.deepEqual(plan({ task: 'explain', original: ADD }), []);
  });

  it('plans one "generated tests" entry for Write Tests when there is code to test', () => {
    assert.deepEqual(plan({ task: 'tests', original: ADD }), [{ kind: 'test', name: 'the generated tests', source: '' }]);
    assert.deepEqual(plan({ task: 'tests', original: '  ' }), []);
  });
});

describe('JavaScript/TypeScript checks: running an answer', function () {
  this.timeout(30_000);

  it('passes a correct answer and fails a wrong one with the expected and the actual value', async () => {
    const request = { original: ADD, instruction: 'also expect(add(2, 2)).toBe(4)' };
    assert.deepEqual(summary(await check(request, ADD)), [
      'parse passed: the code parses',
      'example passed: add(2, 3) // => 5',
      'assert passed: expect(add(2, 2)).toBe(4)',
    ]);
    const wrong = await check(request, ADD.replace('a + b', 'a - b'));
    assert.deepEqual(byName(wrong, 'add(2, 3) // => 5'), { kind: 'example', name: 'add(2, 3) // => 5', status: 'failed', expected: '5', got: '-1' });
    const failedAssert = byName(wrong, 'expect(add(2, 2)).toBe(4)');
    assert.equal(failedAssert.status, 'failed');
    assert.equal(failedAssert.expected, '4');
    assert.equal(failedAssert.got, '0');
  });

  it('compares expected literals by deep equality: arrays, strings, objects, booleans, undefined, NaN; awaits promises', async () => {
    const original = `/**
 * @example
 * pair(1) // => [1, 1]
 * name() // => 'abc'
 * obj() // => { a: 1, b: [2] }
 * yes() // => true
 * nothing() // => undefined
 * nan() // => NaN
 * later() // => 7
 * fails() // throws RangeError
 */`;
    const code = `function pair(x) { return [x, x]; }
function name() { return "abc"; }
function obj() { return { b: [2], a: 1 }; }
function yes() { return true; }
function nothing() {}
function nan() { return 0 / 0; }
async function later() { await new Promise((r) => setTimeout(r, 5)); return 7; }
function fails() { throw new RangeError('no'); }`;
    const results = await check({ original }, code);
    assert.deepEqual(results.filter((r) => r.status !== 'passed'), []);
    assert.equal(results.length, 9);
    const wrong = await check({ original }, code.replace('return [x, x]', 'return [x, x + 1]').replace('return 7', 'return 8').replace("throw new RangeError('no')", 'return 1'));
    assert.deepEqual(
      wrong.filter((r) => r.status === 'failed').map((r) => [r.name, r.expected, r.got]),
      [
        ['pair(1) // => [1, 1]', '[1, 1]', '[1, 2]'],
        ['later() // => 7', '7', '8'],
        ['fails() // => throws RangeError', 'throws RangeError', '1'],
      ],
    );
  });

  it('skips, with a reason and without counting it, an example whose expected value is not a JavaScript literal', async () => {
    const original = '/**\n * @example\n * load() // => Promise<number>\n * sum(1, 2) // => the sum of both\n */';
    const results = await check({ original }, 'async function load() { return 1; }\nfunction sum(a, b) { return a + b; }');
    assert.deepEqual(results.map((r) => r.status), ['passed', 'skipped', 'skipped']);
    assert.match(results[1]!.detail!, /not a JavaScript literal.*Promise<number>/);
  });

  it('skips an assertion about a name neither the selection nor the answer defines, but fails one the answer dropped', async () => {
    const request = { original: ADD, instruction: 'Keep assert(condition) style checks, and assert.equal(add(1, 1), 2).' };
    assert.deepEqual(summary(await check(request, ADD)), [
      'parse passed: the code parses',
      'example passed: add(2, 3) // => 5',
      'assert skipped: assert(condition)',
      'assert passed: assert.equal(add(1, 1), 2)',
    ]);
    const renamed = await check(request, 'function sum(a, b) { return a + b; }');
    assert.equal(byName(renamed, 'assert.equal(add(1, 1), 2)').status, 'failed');
    assert.match(byName(renamed, 'assert.equal(add(1, 1), 2)').detail!, /ReferenceError: add is not defined/);
    assert.equal(byName(renamed, 'add(2, 3) // => 5').status, 'failed');
    const implement = { task: 'implement' as const, original: '', instruction: 'Write isPrime. assert(isPrime(7)) and assert(!isPrime(8)).' };
    const misnamed = await check(implement, 'function is_prime(n) { return n > 1; }');
    assert.deepEqual(misnamed.map((r) => r.status), ['passed', 'failed', 'failed']);
    const placeholder = await check({ original: ADD, instruction: 'assert(ok_value)' }, 'function add(a, b) { return a + b; }\nconst w = 1;');
    assert.equal(byName(placeholder, 'assert(ok_value)').status, 'skipped');
  });

  it('fails the parse check on a syntax error, with the message', async () => {
    const results = await check({ original: ADD }, 'function add(a, b {\n  return a + b;\n}');
    assert.equal(results[0]!.kind, 'parse');
    assert.equal(results[0]!.status, 'failed');
    assert.match(results[0]!.detail!, /SyntaxError/);
    assert.equal(results[1]!.status, 'skipped');
  });

  it('does not fail a class method answered alone for a method selected alone (but does for a whole class), and skips parse when the selection is a fragment too', async () => {
    const selection = '  /** @example new Circle(1).area() // => 3 */\n  area(): number {\n    return 3 * this.r ** 2;\n  }';
    const method = await check({ original: selection }, 'area(): number {\n  return Math.PI * this.r ** 2;\n}', 'typescript');
    assert.deepEqual(method[0], { kind: 'parse', name: 'the code parses', status: 'passed', detail: 'parses as class members (a fragment)' });
    assert.equal(method[1]!.status, 'skipped');
    const whole = await check({ original: `class Circle {\n${selection}\n}` }, 'area(): number {\n  return Math.PI * this.r ** 2;\n}', 'typescript');
    assert.equal(whole[0]!.status, 'failed');
    assert.match(whole[0]!.detail!, /only as class members .* the selection was complete code/);
    const cut = await check({ original: '  if (x > 1) {\n    return x;' }, '  if (x > 2) {\n    return x;');
    assert.equal(cut[0]!.status, 'skipped');
    assert.match(cut[0]!.detail!, /selection does not parse on its own either/);
  });

  it('runs TypeScript with interfaces, generics, enums and export/import after stripping the types', async () => {
    const code = `import { strict as nodeAssert } from 'node:assert';
export interface Box<T> { value: T }
export enum Color { Red, Green }
export function wrap<T>(value: T): Box<T> { return { value }; }
export const first = <T,>(items: readonly T[]): T | undefined => items[0];
export default class Counter { private n = 0; inc(): number { nodeAssert.ok(true); return ++this.n; } }`;
    const original = `/**
 * @example
 * wrap<number>(2) // => { value: 2 }
 * Color.Green // => 1
 * first(['a', 'b']) // => 'a'
 * const c = new Counter(); c.inc(); c.inc() // => 2
 */`;
    const results = await check({ original }, code, 'typescript');
    assert.deepEqual(summary(results), [
      'parse passed: the code parses',
      'example passed: wrap<number>(2) // => { value: 2 }',
      'example passed: Color.Green // => 1',
      "example passed: first(['a', 'b']) // => 'a'",
      'example passed: c.inc() // => 2',
    ]);
  });

  it('parses JSX (a .tsx selection) instead of failing it', async () => {
    const component = 'export function Hello({ name }: { name: string }) {\n  return <div className="hi">{name}</div>;\n}';
    const results = await check({ original: component, instruction: 'expect(1).toBe(1)' }, component, 'typescript');
    assert.equal(results[0]!.status, 'passed');
  });

  it('ignores a result line the answer prints itself: a wrong answer cannot make itself pass', async () => {
    const forged = [
      '{"k":"ready"}',
      '{"k":"result","i":0,"status":"passed"}',
      'x {"k":"result","i":0,"status":"passed"}',
    ];
    const code = `const fs = require('fs');
${forged.map((line) => `console.log(${JSON.stringify(line)}); process.stdout.write(${JSON.stringify(line + '\n')}); fs.writeSync(1, ${JSON.stringify(line + '\n')});`).join('\n')}
function add(a, b) { console.log('{"k":"result","i":0,"status":"passed"}'); return a - b; }`;
    const results = await check({ original: ADD }, code);
    assert.equal(byName(results, 'add(2, 3) // => 5').status, 'failed');
    assert.equal(byName(results, 'add(2, 3) // => 5').got, '-1');
  });

  it('an answer that ends its process cannot pass: the check it ended fails, the later ones are not run', async () => {
    const original = '/**\n * @example\n * stop(1) // => 1\n * ok(2) // => 2\n */';
    const exit = await check({ original }, 'function stop(x) { process.exit(0); }\nfunction ok(x) { return x; }');
    assert.deepEqual(exit.map((r) => r.status), ['passed', 'failed', 'passed']);
    assert.match(exit[1]!.got!, /process\.exit\(0\)/);
    const escaped = await check({ original }, 'function stop(x) { this.constructor.constructor("return process")().exit(0); }\nfunction ok(x) { return x; }');
    assert.deepEqual(escaped.map((r) => r.status), ['passed', 'failed', 'skipped']);
    assert.match(escaped[1]!.detail!, /stopped during this check: the process exited before it reported/);
  });

  it('fails the one check that loops forever and still runs the others', async () => {
    const original = '/**\n * @example\n * ok(1) // => 1\n * spin(1) // => 1\n * ok(2) // => 2\n */';
    const results = await check({ original }, 'function ok(x) { return x; }\nfunction spin(x) { while (true) {} }', 'javascript', { timeoutMs: 3000 });
    assert.deepEqual(results.map((r) => r.status), ['passed', 'passed', 'failed', 'passed']);
    assert.match(results[2]!.detail!, /did not finish in \d+ ms/);
  });

  it('fails every check with the error when the code throws at load, and names a require that cannot be loaded', async () => {
    const thrown = await check({ original: ADD }, 'throw new Error("boom");\nfunction add(a, b) { return a + b; }');
    assert.equal(thrown[1]!.status, 'failed');
    assert.match(thrown[1]!.detail!, /throws when loaded: Error: boom/);
    const lodash = await check({ original: ADD }, "const _ = require('lodash');\nfunction add(a, b) { return _.add(a, b); }");
    assert.match(lodash[1]!.detail!, /require\('lodash'\): a check can load only Node's built-in modules/);
    const builtin = await check({ original: ADD }, "const path = require('node:path');\nfunction add(a, b) { return Number(path.basename(String(a + b))); }");
    assert.equal(builtin[1]!.status, 'passed');
  });

  it('refactor: the differential check catches a behaviour change and passes an equivalent rewrite', async () => {
    const original = `/**
 * @example
 * total([1, 2, 3]) // => 6
 * @example
 * total([])
 * total(null)
 */
function total(items) {
  let sum = 0;
  for (let i = 0; i < items.length; i++) sum += items[i];
  return sum;
}`;
    const request = { task: 'refactor' as const, original };
    const same = await check(request, 'const total = (items) => items.reduce((a, b) => a + b, 0);');
    assert.deepEqual(summary(same), [
      'parse passed: the code parses',
      'differential passed: total([1, 2, 3])',
      'differential passed: total([])',
      'differential passed: total(null)',
    ]);
    const changed = await check(request, 'const total = (items) => (items ?? []).reduce((a, b) => a + b, 1);');
    assert.deepEqual(changed.map((r) => [r.name, r.status, r.expected, r.got]), [
      ['the code parses', 'passed', undefined, undefined],
      ['total([1, 2, 3])', 'failed', '6', '7'],
      ['total([])', 'failed', '0', '1'],
      ['total(null)', 'failed', "throws TypeError: Cannot read properties of null (reading 'length')", '1'],
    ]);
  });

  it('Write Tests (jest style): reports each test by its describe > it path; a bug in the code fails only its test', async () => {
    const original = `export function add(a: number, b: number): number { return a + b; }
export function sub(a: number, b: number): number { return a + b; }`;
    const tests = `import { describe, it, expect, beforeEach } from 'vitest';
import { add, sub } from './math';
describe('math', () => {
  let base: number;
  beforeEach(() => { base = 10; });
  describe('add', () => {
    it('adds', () => { expect(add(base, 2)).toBe(12); });
    test('is async-safe', async () => { await Promise.resolve(); expect(add(1, 1)).toEqual(2); });
  });
  it('subtracts', () => { expect(sub(base, 2)).toBe(8); });
});`;
    const results = await check({ task: 'tests', original, fileName: 'math.ts' }, tests, 'typescript');
    assert.deepEqual(summary(results), [
      'parse passed: the code parses',
      'test passed: math > add > adds',
      'test passed: math > add > is async-safe',
      'test failed: math > subtracts',
    ]);
    assert.equal(results[3]!.expected, '8');
    assert.equal(results[3]!.got, '12');
  });

  it('Write Tests (mocha + assert style, require of a relative path): per-test results', async () => {
    const original = 'function slug(s) { return s.toLowerCase().split(" ").join("-"); }\nfunction trim(s) { return s; }\nmodule.exports = { slug, trim };';
    const tests = `const assert = require('assert');
const { slug, trim } = require('../src/strings');
describe('slug', function () {
  this.timeout(1000);
  it('lowercases', function () { assert.strictEqual(slug('AB'), 'ab'); });
  it('joins words', function (done) { setTimeout(() => { assert.equal(slug('a b'), 'a-b'); done(); }, 1); });
});
describe('trim', function () {
  it('trims', function () { assert.equal(trim(' x '), 'x'); });
});`;
    const results = await check({ task: 'tests', original, fileName: 'strings.js' }, tests);
    assert.deepEqual(summary(results), [
      'parse passed: the code parses',
      'test passed: slug > lowercases',
      'test passed: slug > joins words',
      'test failed: trim > trims',
    ]);
    assert.equal(results[3]!.expected, '"x"');
    assert.equal(results[3]!.got, '" x "');
  });

  it('Write Tests (node:test with a test context, options argument, skip)', async () => {
    const original = 'export const double = (x) => x * 2;';
    const tests = `import test, { describe } from 'node:test';
import assert from 'node:assert/strict';
import { double } from './double.js';
describe('double', () => {
  test('doubles', (t) => { assert.equal(double(2), 4); });
  test('doubles negatives', { timeout: 100 }, async (t) => { assert.equal(double(-2), -3); });
  test.skip('later', () => {});
});`;
    const results = await check({ task: 'tests', original }, tests);
    assert.deepEqual(summary(results), [
      'parse passed: the code parses',
      'test passed: double > doubles',
      'test failed: double > doubles negatives',
      'test skipped: double > later',
    ]);
    assert.equal(results[2]!.got, '-4');
  });

  it('Write Tests: test.each, jest.fn() call matchers and .rejects work; jest.mock is skipped with a reason', async () => {
    const original = 'export function each(items, fn) { items.forEach((x) => fn(x)); }\nexport async function fail() { throw new RangeError("no"); }';
    const tests = `import { each, fail } from './util';
test.each([[1, 2], [2, 4]])('doubles %i', (x, y) => { expect(x * 2).toBe(y); });
test('calls back', () => { const cb = jest.fn(); each([1, 2], cb); expect(cb).toHaveBeenCalledTimes(2); expect(cb).toHaveBeenCalledWith(2); });
test('rejects', async () => { await expect(fail()).rejects.toThrow(RangeError); });
test('mocks', () => { jest.mock('./util'); });`;
    const results = await check({ task: 'tests', original }, tests);
    assert.deepEqual(summary(results), [
      'parse passed: the code parses',
      'test passed: doubles 1',
      'test passed: doubles 2',
      'test passed: calls back',
      'test passed: rejects',
      'test skipped: mocks',
    ]);
    assert.match(results[5]!.detail!, /jest\.mock\(\) .* is not supported/);
  });

  it('Write Tests: a test that loops forever fails alone; chai is skipped with a reason', async () => {
    const original = 'function id(x) { return x; }';
    const looping = await check({ task: 'tests', original }, "it('loops', () => { while (true) {} });\nit('works', () => { expect(id(1)).toBe(1); });", 'javascript', { timeoutMs: 3000 });
    assert.deepEqual(looping.map((r) => `${r.name} ${r.status}`), ['the code parses passed', 'loops failed', 'works passed']);
    const chai = await check({ task: 'tests', original }, "const { expect } = require('chai');\nit('x', () => expect(id(1)).to.equal(1));");
    assert.equal(chai[1]!.status, 'skipped');
    assert.match(chai[1]!.detail!, /chai/);
  });

  it('keeps expected and got under 200 characters and details under 300', async () => {
    const original = '/**\n * @example\n * big() // => "short"\n */';
    const results = await check({ original }, 'function big() { return "x".repeat(5000); }');
    assert.equal(results[1]!.status, 'failed');
    assert.ok(results[1]!.got!.length <= 200);
    const thrown = await check({ original }, `function big() { throw new Error("${'y'.repeat(2000)}"); }`);
    assert.ok(thrown[1]!.detail!.length <= 300);
  });

  it('throws RuntimeMissingError when there is no Node or it cannot start', async () => {
    await assert.rejects(check({ original: ADD }, ADD, 'javascript', { runtimes: {} }), RuntimeMissingError);
    await assert.rejects(
      check({ original: ADD }, ADD, 'javascript', { runtimes: { node: { command: '/nonexistent/node', args: [] } } }),
      (error: unknown) => error instanceof RuntimeMissingError && error.runtime === 'node' && /could not be started/.test(error.message),
    );
  });
});
