import assert from 'node:assert/strict';

import { extractCode, fitIndentation, relocate } from '../../src/core/routing/answer';

describe('edit answers become code', () => {
  it('takes the one fenced block and drops the prose around it', () => {
    const answer = 'Here you go:\n\n```ts\nfunction f() {\n  return 1;\n}\n```\n\nI renamed x.';
    assert.deepEqual(extractCode(answer), { code: 'function f() {\n  return 1;\n}', from: 'block' });
  });

  it('takes the longest block when the model adds a usage example', () => {
    const answer = '```py\ndef f(x):\n    return x * 2\n```\nUsage:\n```py\nf(1)\n```';
    assert.deepEqual(extractCode(answer), { code: 'def f(x):\n    return x * 2', from: 'longest-block' });
  });

  it('takes the code before a lone closing fence when the answer continues a block the prompt opened', () => {
    const answer = '\ndef f(x):\n    return x * 2\n```\n\nExplanation:\n- `f` doubles its argument.';
    assert.deepEqual(extractCode(answer), { code: 'def f(x):\n    return x * 2', from: 'half-fenced' });
    const indented = '\n    def area(self):\n        return self.w * self.h\n```\nDone.';
    assert.equal(extractCode(indented)?.code, '    def area(self):\n        return self.w * self.h', 'the first line keeps its indentation');
  });

  it('takes the code after an opening fence that was never closed (an answer cut off)', () => {
    assert.deepEqual(extractCode('Here:\n```python\ndef f(x):\n    return x'), { code: 'def f(x):\n    return x', from: 'half-fenced' });
    assert.deepEqual(extractCode('```\nlet x = 1;\n'), { code: 'let x = 1;', from: 'half-fenced' });
  });

  it('uses the whole answer when there is no fence, and nothing for an empty answer', () => {
    assert.deepEqual(extractCode('  x = 1\n'), { code: 'x = 1', from: 'whole-answer' });
    assert.equal(extractCode('   \n'), undefined);
  });

  it('keeps the indentation and trailing newline of the original selection', () => {
    assert.equal(fitIndentation('    def f():\n        pass\n', 'def f():\n    return 1'), '    def f():\n        return 1\n');
    assert.equal(fitIndentation('x = 1', 'x = 2\n'), 'x = 2');
  });

  it('finds the original text after edits elsewhere, and refuses to guess when it is gone or ambiguous', () => {
    assert.equal(relocate('// new line\nfoo()\nbar()', 'foo()', 0), 12);
    assert.equal(relocate('foo()\nbar()', 'foo()', 0), 0);
    assert.equal(relocate('baz()', 'foo()', 0), undefined);
    assert.equal(relocate('foo()\nfoo()', 'foo()', 3), undefined);
  });
});
