import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { harnessModule } from '../../scripts/gen-python-harness';
import { callOfAssert, findAsserts, findDoctestExamples, pythonCheck } from '../../src/core/verify/python';
import { PYTHON_HARNESS } from '../../src/core/verify/pythonHarness';
import { ProcessSandbox } from '../../src/core/verify/sandbox';
import type { CheckResult, PlannedCheck, VerifyLimits, VerifyRequest } from '../../src/core/verify/types';
import { DEFAULT_VERIFY_LIMITS, RuntimeMissingError } from '../../src/core/verify/types';

/** The real interpreter these tests run (resolved once, past any shim, as the extension resolves its setting). */
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const sandbox = new ProcessSandbox();

type Request = Omit<VerifyRequest, 'answer'>;

function request(overrides: Partial<Request>): Request {
  return { task: 'fix', language: 'python', original: '', instruction: '', ...overrides };
}

async function check(req: Request, code: string, limits: VerifyLimits = DEFAULT_VERIFY_LIMITS, planned?: readonly PlannedCheck[]): Promise<CheckResult[]> {
  return pythonCheck.run({
    request: { ...req, answer: code },
    language: 'python',
    code,
    planned: planned ?? pythonCheck.plan(req, 'python'),
    sandbox,
    runtimes: { python: { command: PYTHON, args: [] } },
    limits,
  });
}

function statuses(results: readonly CheckResult[]): string[] {
  return results.map((result) => `${result.kind}:${result.status}`);
}

const ADD = `def add(a, b):
    """Add two numbers.

    >>> add(2, 3)
    5
    >>> add(-1, 1)
    0
    >>> [add(i, i) for i in range(3)]
    [0, 2, 4]
    """
    return a + b
`;

describe('verify/python: finding what the request says the code must do (nothing runs)', () => {
  it('plain doctest in a docstring: each >>> line with its expected output', () => {
    assert.deepEqual(
      pythonCheck.plan(request({ original: ADD }), 'python').map((c) => [c.kind, c.source, c.expected]),
      [
        ['example', 'add(2, 3)', '5'],
        ['example', 'add(-1, 1)', '0'],
        ['example', '[add(i, i) for i in range(3)]', '[0, 2, 4]'],
      ],
    );
  });

  it('Google style "Example:" / "Examples:" sections are recognised', () => {
    const code = `def mean(values):
    """Mean of the values.

    Args:
        values: numbers.

    Returns:
        The mean.

    Example:
        >>> mean([1, 2, 3])
        2.0

    Examples:
        >>> mean([4])
        4.0
    """
    return sum(values) / len(values)
`;
    assert.deepEqual(
      pythonCheck.plan(request({ original: code }), 'python').map((c) => [c.source, c.expected]),
      [
        ['mean([1, 2, 3])', '2.0'],
        ['mean([4])', '4.0'],
      ],
    );
  });

  it('NumPy style "Examples\\n--------" section is recognised, with the closing quotes on the want line dropped', () => {
    const code = `def clip(x, lo, hi):
    """
    Clip x into [lo, hi].

    Parameters
    ----------
    x : int

    Examples
    --------
    >>> clip(5, 0, 3)
    3
    >>> clip(-1, 0, 3)
    0"""
    return max(lo, min(x, hi))
`;
    assert.deepEqual(
      pythonCheck.plan(request({ original: code }), 'python').map((c) => [c.source, c.expected]),
      [
        ['clip(5, 0, 3)', '3'],
        ['clip(-1, 0, 3)', '0'],
      ],
    );
  });

  it('multi-line examples: "..." continuation lines join the source', () => {
    const examples = findDoctestExamples(`
    >>> total = 0
    >>> for i in range(3):
    ...     total += i
    >>> total
    3
`);
    assert.deepEqual(examples, [
      { source: 'total = 0', want: '' },
      { source: 'for i in range(3):\n    total += i', want: '' },
      { source: 'total', want: '3' },
    ]);
  });

  it('expected exception (Traceback), ELLIPSIS directive and <BLANKLINE> are kept as doctest reads them', () => {
    const examples = findDoctestExamples(`
>>> parse("x")
Traceback (most recent call last):
    ...
ValueError: not a number: 'x'
>>> list(range(20))  # doctest: +ELLIPSIS
[0, 1, ..., 19]
>>> print("a\\n\\nb")
a
<BLANKLINE>
b
`);
    assert.deepEqual(examples, [
      { source: 'parse("x")', want: "Traceback (most recent call last):\n    ...\nValueError: not a number: 'x'" },
      { source: 'list(range(20))  # doctest: +ELLIPSIS', want: '[0, 1, ..., 19]' },
      { source: 'print("a\\n\\nb")', want: 'a\n<BLANKLINE>\nb' },
    ]);
  });

  it('a docstring escape is read as Python reads it (\\\\n in the source is \\n in the example)', () => {
    const code = 'def show(s):\n    """\n    >>> show("a\\\\tb")\n    \'a\\\\tb\'\n    """\n    return s\n';
    assert.deepEqual(findDoctestExamples('>>> x\n1'), [{ source: 'x', want: '1' }]);
    assert.deepEqual(
      pythonCheck.plan(request({ original: code }), 'python').map((c) => [c.source, c.expected]),
      [['show("a\\tb")', "'a\\tb'"]],
    );
  });

  it('instruction asserts in prose: after a colon, one per line, several on one line, a trailing period dropped', () => {
    assert.deepEqual(findAsserts('Write sq. It should pass these tests: assert sq(2) == 4.'), ['assert sq(2) == 4']);
    assert.deepEqual(findAsserts('Tests:\nassert sq(2) == 4\nassert sq(3) == 9\n'), ['assert sq(2) == 4', 'assert sq(3) == 9']);
    assert.deepEqual(findAsserts('must satisfy assert sq(1) == 1; assert sq(2) == 4, and `assert sq(0) == 0`'), [
      'assert sq(1) == 1',
      'assert sq(2) == 4',
      'assert sq(0) == 0',
    ]);
    assert.deepEqual(findAsserts('Make sure the assertion holds, and do not assert anything else.'), []);
    assert.deepEqual(findAsserts('assert x in items and not is_empty(items)'), ['assert x in items and not is_empty(items)']);
  });

  it('instruction asserts inside a ```python fence, including one spread over lines in brackets', () => {
    const instruction = [
      'Implement merge so that these pass:',
      '```python',
      'assert merge([1, 3], [2]) == [1, 2, 3]',
      'assert merge(',
      '    [], [5, "a;b"]',
      ') == [5, "a;b"]  # strings with ; are fine',
      '```',
    ].join('\n');
    assert.deepEqual(findAsserts(instruction), ['assert merge([1, 3], [2]) == [1, 2, 3]', 'assert merge( [], [5, "a;b"] ) == [5, "a;b"]']);
  });

  it("selection asserts: only top-level ones, not a function body's own invariants nor text in a docstring", () => {
    const original = 'def f(x):\n    """assert nothing here"""\n    assert x > 0\n    return x\n\nassert f(2) == 2\n';
    assert.deepEqual(findAsserts(original, true), ['assert f(2) == 2']);
  });

  it('refactor: one differential check per example and assert call, no expected values', () => {
    const planned = pythonCheck.plan(request({ task: 'refactor', original: ADD, instruction: 'keep assert add(1, 1) == 2' }), 'python');
    assert.deepEqual(
      planned.map((c) => [c.kind, c.name, c.expected]),
      [
        ['differential', 'add(2, 3)', undefined],
        ['differential', 'add(-1, 1)', undefined],
        ['differential', '[add(i, i) for i in range(3)]', undefined],
        ['differential', 'add(1, 1)', undefined],
      ],
    );
    assert.equal(callOfAssert('assert is_even(4), "four is even"'), 'is_even(4)');
  });

  it('Write Tests: one entry for the generated tests when there is current code; explain and empty requests plan nothing', () => {
    assert.deepEqual(pythonCheck.plan(request({ task: 'tests', original: ADD }), 'python').map((c) => c.kind), ['test']);
    assert.deepEqual(pythonCheck.plan(request({ task: 'tests', original: '' }), 'python'), []);
    assert.deepEqual(pythonCheck.plan(request({ task: 'explain', original: ADD }), 'python'), []);
    assert.deepEqual(pythonCheck.plan(request({ task: 'fix', original: 'def f():\n    return 1\n', instruction: 'make it faster' }), 'python'), []);
  });
});

describe('verify/python: running an answer in python3 through the process sandbox', function () {
  this.timeout(30_000);

  it('a correct answer passes every example and assert; a wrong one fails each with expected and got', async () => {
    const req = request({ original: ADD, instruction: 'should pass: assert add(10, 5) == 15' });
    assert.deepEqual(statuses(await check(req, ADD)), ['parse:passed', 'example:passed', 'example:passed', 'example:passed', 'assert:passed']);
    const wrong = await check(req, ADD.replace('a + b', 'a - b'));
    assert.deepEqual(statuses(wrong), ['parse:passed', 'example:failed', 'example:failed', 'example:failed', 'assert:failed']);
    assert.deepEqual([wrong[1]!.expected, wrong[1]!.got], ['5', '-1']);
    assert.deepEqual([wrong[4]!.expected, wrong[4]!.got], ['15', '5']);
  });

  it('doctest rules apply: an expected Traceback, ELLIPSIS, +SKIP and <BLANKLINE>', async () => {
    const original = `def parse(text):
    """
    >>> parse("12")
    12
    >>> parse("x")
    Traceback (most recent call last):
        ...
    ValueError: not a number: 'x'
    >>> list(range(parse("20")))  # doctest: +ELLIPSIS
    [0, 1, ..., 19]
    >>> parse("never")  # doctest: +SKIP
    0
    >>> print("a\\\\n\\\\nb")
    a
    <BLANKLINE>
    b
    """
    if not text.isdigit():
        raise ValueError("not a number: %r" % text)
    return int(text)
`;
    const req = request({ original });
    const good = await check(req, original);
    assert.deepEqual(statuses(good), ['parse:passed', 'example:passed', 'example:passed', 'example:passed', 'example:skipped', 'example:passed']);
    assert.equal(good[4]!.detail, 'doctest: +SKIP');
    const noRaise = await check(req, original.replace('raise ValueError("not a number: %r" % text)', 'return 0'));
    assert.equal(noRaise[2]!.status, 'failed');
    assert.match(noRaise[2]!.expected ?? '', /ValueError: not a number/);
    assert.equal(noRaise[2]!.got, '0');
  });

  it('an object repr with a memory address is skipped with a reason, not counted as a failure', async () => {
    const original = 'class Box:\n    """\n    >>> Box()\n    <Box object at 0x7f3a2c1d0e80>\n    """\n';
    const results = await check(request({ original }), original);
    assert.equal(results[1]!.status, 'skipped');
    assert.match(results[1]!.detail ?? '', /memory address/);
  });

  it('an answer with a syntax error fails the parse check and nothing else runs', async () => {
    const results = await check(request({ original: ADD }), 'def add(a, b)\n    return a + b\n');
    assert.equal(results[0]!.status, 'failed');
    assert.match(results[0]!.detail ?? '', /SyntaxError: expected ':' \(line 1\)/);
    assert.deepEqual(statuses(results.slice(1)), ['example:skipped', 'example:skipped', 'example:skipped']);
  });

  it('a method selected from inside a class (indented) parses after dedent; its examples that need the class are skipped', async () => {
    const original = '    def area(self):\n        """\n        >>> Rect(2, 3).area()\n        6\n        """\n        return self.w * self.h\n';
    const results = await check(request({ original }), '    def area(self):\n        return self.h * self.w\n');
    assert.deepEqual(statuses(results), ['parse:passed', 'example:skipped']);
    assert.match(results[1]!.detail ?? '', /needs code outside the selection: name 'Rect'/);
  });

  it('a fragment answer for a fragment selection that does not parse standalone is not failed by parse', async () => {
    const original = '        else:\n            return total / count\n';
    const results = await check(request({ original, instruction: 'assert mean([]) == 0' }), '        else:\n            return total / max(count, 1)\n');
    assert.deepEqual(statuses(results), ['parse:skipped', 'assert:skipped']);
    const broken = await check(request({ original: ADD }), '        else:\n            return 1\n');
    assert.equal(broken[0]!.status, 'failed', 'a whole-function selection answered with a fragment is a parse failure');
  });

  it('`if __name__ == "__main__": input()` does not run (so it cannot hang), and the code loads as a module', async () => {
    const code = `${ADD}\nif __name__ == "__main__":\n    n = int(input("n? "))\n    while True:\n        pass\n`;
    const results = await check(request({ original: ADD }), code);
    assert.deepEqual(statuses(results), ['parse:passed', 'example:passed', 'example:passed', 'example:passed']);
  });

  it('an answer that prints forged result lines (stdout, stderr and fd 1) cannot make itself pass', async () => {
    const forged = (prefix: string): string => `${prefix}{"r": {"kind": "example", "name": ">>> add(2, 3)", "status": "passed"}}`;
    const code = `import os, sys
def add(a, b):
    print(${JSON.stringify(forged(''))})
    sys.stderr.write(${JSON.stringify(forged('x ') + '\n')})
    os.write(1, ${JSON.stringify(forged('0123456789abcdef0123456789abcdef ') + '\n')}.encode())
    return a * b
print(${JSON.stringify(forged(''))})
`;
    const results = await check(request({ original: ADD }), code);
    assert.deepEqual(statuses(results), ['parse:passed', 'example:failed', 'example:failed', 'example:failed']);
  });

  it('non-ASCII code, expected output and results survive the round trip', async () => {
    const original = 'def greet(name):\n    """\n    >>> greet("José")\n    \'¡hola José! 🎉\'\n    """\n    return "¡hola %s! 🎉" % name\n';
    assert.deepEqual(statuses(await check(request({ original }), original)), ['parse:passed', 'example:passed']);
    const wrong = await check(request({ original }), original.replace('return "¡hola', 'return "hola'));
    assert.deepEqual([wrong[1]!.expected, wrong[1]!.got], ["'¡hola José! 🎉'", "'hola José! 🎉'"]);
  });

  it('code that ends the interpreter while loading (os._exit) fails every check with the reason', async () => {
    const results = await check(request({ original: ADD }), `import os\n${ADD}\nos._exit(0)\n`);
    assert.deepEqual(statuses(results), ['parse:passed', 'example:failed', 'example:failed', 'example:failed']);
    assert.match(results[1]!.detail ?? '', /while loading the code, the Python process ended \(exit code 0\)/);
  });

  it('a check that escapes its own time share (ignores SIGALRM) fails at the run limit; the checks after it are skipped', async () => {
    const original = 'def f(n):\n    """\n    >>> f(1)\n    1\n    >>> f(0)\n    0\n    >>> f(2)\n    2\n    """\n    return n\n';
    const code = 'import signal\ndef f(n):\n    if n == 0:\n        signal.signal(signal.SIGALRM, signal.SIG_IGN)\n        while True:\n            pass\n    return n\n';
    const results = await check(request({ original }), code, { ...DEFAULT_VERIFY_LIMITS, timeoutMs: 1_500 });
    assert.deepEqual(statuses(results), ['parse:passed', 'example:passed', 'example:failed', 'example:skipped']);
    assert.match(results[2]!.detail ?? '', /the run hit its 1500 ms time limit/);
  });

  it('an exception while loading fails every check with that error', async () => {
    const results = await check(request({ original: ADD }), `import nothing_like_this_module\n${ADD}`);
    assert.deepEqual(statuses(results), ['parse:passed', 'example:failed', 'example:failed', 'example:failed']);
    assert.match(results[1]!.detail ?? '', /loading the code raised ModuleNotFoundError: No module named 'nothing_like_this_module'/);
  });

  it('an endless loop in one check fails that check with a timeout; the checks after it still run', async () => {
    const original = 'def f(n):\n    """\n    >>> f(1)\n    1\n    >>> f(0)\n    0\n    >>> f(2)\n    2\n    """\n    return n\n';
    const code = 'def f(n):\n    while n == 0:\n        try:\n            pass\n        except:\n            pass\n    return n\n';
    const results = await check(request({ original }), code, { ...DEFAULT_VERIFY_LIMITS, timeoutMs: 3_000 });
    assert.deepEqual(statuses(results), ['parse:passed', 'example:passed', 'example:failed', 'example:passed']);
    assert.match(results[2]!.detail ?? '', /timed out after \d+ ms/);
  });

  it('refactor: the differential check catches a behaviour change and passes an equivalent rewrite', async () => {
    const original = `def normalize(words):
    """
    >>> normalize(["B", "a", "b"])
    ['a', 'b']
    >>> normalize([])
    []
    """
    out = []
    for w in words:
        if w.lower() not in out:
            out.append(w.lower())
    return sorted(out)
`;
    const req = request({ task: 'refactor', original, instruction: 'simplify; assert normalize(["Z"]) == ["z"]' });
    const equivalent = 'def normalize(words):\n    return sorted({w.lower() for w in words})\n';
    assert.deepEqual(statuses(await check(req, equivalent)), ['parse:passed', 'differential:passed', 'differential:passed', 'differential:passed']);
    const changed = await check(req, 'def normalize(words):\n    return sorted(set(words))\n');
    assert.deepEqual(statuses(changed), ['parse:passed', 'differential:failed', 'differential:passed', 'differential:failed']);
    assert.deepEqual([changed[1]!.expected, changed[1]!.got], ["['a', 'b']", "['B', 'a', 'b']"]);
    const raises = await check(req, 'def normalize(words):\n    return sorted({w.lower() for w in words}) if words else None.x\n');
    assert.equal(raises[2]!.status, 'failed');
    assert.match(raises[2]!.got ?? '', /raises AttributeError/);
  });

  it('Write Tests: pytest-style and unittest tests run against the current code, one result per test', async () => {
    const original = 'def add(a, b):\n    return a + b\n\ndef div(a, b):\n    return a // b  # bug: floor division\n';
    const tests = `import unittest
import pytest
from calc import add, div

def test_add():
    assert add(2, 3) == 5

def test_div():
    assert div(7, 2) == 3.5

def test_div_by_zero():
    with pytest.raises(ZeroDivisionError):
        div(1, 0)

def test_approx():
    assert add(0.1, 0.2) == pytest.approx(0.3)

@pytest.mark.parametrize("a,b,want", [(1, 1, 2), (2, 2, 4)])
def test_param(a, b, want):
    assert add(a, b) == want

def test_needs_fixture(monkeypatch):
    pass

class TestCalc(unittest.TestCase):
    def test_add_negative(self):
        self.assertEqual(add(-1, -1), -2)

    def test_div_exact(self):
        self.assertEqual(div(9, 3), 3)

if __name__ == "__main__":
    unittest.main()
`;
    const req = request({ task: 'tests', original, fileName: 'calc.py' });
    const results = await check(req, tests);
    assert.deepEqual(
      results.map((r) => `${r.name}:${r.status}`),
      [
        'parse:passed',
        'test_add:passed',
        'test_div:failed',
        'test_div_by_zero:passed',
        'test_approx:passed',
        'test_param[0]:passed',
        'test_param[1]:passed',
        'test_needs_fixture:skipped',
        'TestCalc.test_add_negative:passed',
        'TestCalc.test_div_exact:passed',
      ],
    );
    const failed = results[2]!;
    assert.deepEqual([failed.expected, failed.got], ['3.5', '3']);
    assert.match(failed.detail ?? '', /AssertionError: assert div\(7, 2\) == 3\.5/);
    assert.match(results[7]!.detail ?? '', /fixture 'monkeypatch'/);
  });

  it('Write Tests: tests importing a module name the file does not have still get the current code; a unittest failure says why', async () => {
    const original = 'def double(x):\n    return x + x + 1\n';
    const tests = 'import unittest\nfrom solution import double\n\nclass T(unittest.TestCase):\n    def test_double(self):\n        self.assertEqual(double(2), 4)\n';
    const results = await check(request({ task: 'tests', original }), tests);
    assert.deepEqual(statuses(results), ['parse:passed', 'test:failed']);
    assert.match(results[1]!.detail ?? '', /AssertionError: 5 != 4/);
  });

  it('Write Tests for a method selected without its class: tests that need the class are skipped, not failed', async () => {
    const original = '    def area(self):\n        return self.w * self.h\n';
    const tests = 'def test_area():\n    assert Rect(2, 3).area() == 6\n\ndef test_broken():\n    assert undefined_in_tests() == 1\n';
    const results = await check(request({ task: 'tests', original }), tests);
    assert.deepEqual(statuses(results), ['parse:passed', 'test:skipped', 'test:skipped']);
    assert.match(results[1]!.detail ?? '', /needs code outside the selection: name 'Rect'/);
  });

  it('the shipped harness string is python_harness.py as it is in the source tree (regenerated after every edit)', () => {
    const folder = resolve(__dirname, '../../src/core/verify');
    const python = readFileSync(resolve(folder, 'python_harness.py'), 'utf8');
    assert.equal(PYTHON_HARNESS, python);
    assert.equal(readFileSync(resolve(folder, 'pythonHarness.ts'), 'utf8'), harnessModule(python));
  });

  it('a missing interpreter throws RuntimeMissingError naming the setting', async () => {
    const run = (runtimes: { python?: { command: string; args: string[] } }): Promise<CheckResult[]> =>
      pythonCheck.run({
        request: { ...request({ original: ADD }), answer: ADD },
        language: 'python',
        code: ADD,
        planned: pythonCheck.plan(request({ original: ADD }), 'python'),
        sandbox,
        runtimes,
        limits: DEFAULT_VERIFY_LIMITS,
      });
    for (const runtimes of [{}, { python: { command: '/nonexistent/python3.99', args: [] } }]) {
      await assert.rejects(run(runtimes), (error: unknown) => {
        assert.ok(error instanceof RuntimeMissingError);
        assert.equal(error.runtime, 'python');
        assert.match(error.message, /modelRouter\.verify\.python/);
        return true;
      });
    }
  });
});
