import assert from 'node:assert/strict';

import { checkAnswer, describeVerdictRecord, describeVerdictShort, feedbackFor, holdText, verdictRecord } from '../../src/core/routing/cascade';
import type { RouteEvent } from '../../src/core/routing/decision';
import type { Verdict } from '../../src/core/verify/types';

const verdict = (overrides: Partial<Verdict>): Verdict => ({ verdict: 'pass', checks: 0, passed: 0, failures: [], results: [], ms: 12.4, ...overrides });

describe('cascade: the pieces the router uses around its attempts', () => {
  it('holds text back, passes every other event on, and forgets the text of an attempt that broke off', async () => {
    async function* events(): AsyncGenerator<RouteEvent, string, undefined> {
      yield { type: 'attempt', provider: 'p', model: 'm', keyId: 'k', attempt: 1 };
      yield { type: 'text', text: 'half an ans' };
      yield { type: 'retry', provider: 'p', model: 'm', delayMs: 10, reason: 'broke' };
      yield { type: 'attempt', provider: 'p', model: 'm', keyId: 'k', attempt: 2 };
      yield { type: 'text', text: 'whole ' };
      yield { type: 'text', text: 'answer' };
      return 'ended';
    }
    const held: string[] = [];
    const seen: string[] = [];
    const gen = holdText(events(), held);
    let step = await gen.next();
    while (!step.done) {
      seen.push(step.value.type);
      step = await gen.next();
    }
    assert.equal(step.value, 'ended');
    assert.deepEqual(seen, ['attempt', 'retry', 'attempt'], 'no text reaches the caller');
    assert.equal(held.join(''), 'whole answer');
  });

  it('keeps a verdict short: counts, kinds, the first five failures on one line each, at most 200 characters', () => {
    const failures = Array.from({ length: 7 }, (_, i) => ({ kind: 'example' as const, name: `f(${i})`, status: 'failed' as const, expected: String(i), got: `${'x'.repeat(500)}\nsecond line` }));
    const record = verdictRecord(
      verdict({ verdict: 'fail', checks: 8, passed: 1, failures, results: [{ kind: 'parse', name: 'parses', status: 'passed' }, { kind: 'example', name: 'f(9)', status: 'passed' }, ...failures] }),
    );
    assert.equal(record.failed, 7);
    assert.equal(record.failures.length, 5);
    assert.deepEqual(record.kinds, ['example']);
    assert.ok(record.failures.every((f) => (f.got ?? '').length <= 200 && !(f.got ?? '').includes('\n')));
    assert.equal(record.ms, 12);
    assert.match(describeVerdictRecord(record), /^checked: 7 of 8 examples failed \(f\(0\): expected 0, got x+…\)$/);
    assert.match(feedbackFor(record), /failed 7 of 8:\n- f\(0\): expected 0, got x+…\n(- .*\n){4}- and 2 more\nMake sure your code passes every one of them\.$/);
  });

  it('describes a pass, a parse failure and nothing to check in the words the progress shows', () => {
    assert.equal(describeVerdictRecord(verdictRecord(verdict({ checks: 2, passed: 2, results: [{ kind: 'example', name: 'a', status: 'passed' }, { kind: 'example', name: 'b', status: 'passed' }] }))), 'checked: 2/2 examples pass');
    assert.equal(describeVerdictRecord(verdictRecord(verdict({ checks: 1, passed: 1, results: [{ kind: 'assert', name: 'a', status: 'passed' }] }))), 'checked: 1/1 assert pass');
    const parse = { kind: 'parse' as const, name: 'parses', status: 'failed' as const, detail: 'SyntaxError: invalid syntax (line 2)' };
    assert.equal(describeVerdictRecord(verdictRecord(verdict({ verdict: 'fail', failures: [parse], results: [parse] }))), 'check failed: the code does not parse (SyntaxError: invalid syntax (line 2))');
    assert.equal(describeVerdictRecord(verdictRecord(verdict({ verdict: 'unknown', reason: 'no examples or asserts' }))), 'not checked: no examples or asserts');
  });

  it('says a verdict in a few words for the progress of the stronger model that runs because of it', () => {
    const failed = (i: number) => ({ kind: 'assert' as const, name: `f(${i})`, status: 'failed' as const, expected: '1', got: '2' });
    const passed = { kind: 'assert' as const, name: 'g', status: 'passed' as const };
    assert.equal(describeVerdictShort(verdictRecord(verdict({ verdict: 'fail', checks: 3, passed: 1, failures: [failed(1), failed(2)], results: [passed, failed(1), failed(2)] }))), '2 of 3 asserts failed');
    assert.equal(describeVerdictShort(verdictRecord(verdict({ verdict: 'fail', checks: 1, passed: 0, failures: [failed(1)], results: [failed(1)] }))), '1 of 1 assert failed');
    assert.equal(describeVerdictShort(verdictRecord(verdict({ checks: 2, passed: 2, results: [{ kind: 'example', name: 'a', status: 'passed' }, { kind: 'example', name: 'b', status: 'passed' }] }))), '2/2 examples pass');
    const parse = { kind: 'parse' as const, name: 'parses', status: 'failed' as const, detail: 'SyntaxError: invalid syntax (line 2)' };
    assert.equal(describeVerdictShort(verdictRecord(verdict({ verdict: 'fail', failures: [parse], results: [parse] }))), 'the code does not parse');
    assert.equal(describeVerdictShort(verdictRecord(verdict({ verdict: 'unknown', reason: 'no examples or asserts' }))), 'not checked');
  });

  it('turns a checker that cannot run into "unknown" with the reason, never a lost answer', async () => {
    const record = await checkAnswer({ verify: () => Promise.reject(new Error('bwrap: cannot create a user namespace')) }, { task: 'implement', language: 'python', original: '', answer: 'x' }, undefined);
    assert.equal(record.verdict, 'unknown');
    assert.match(record.reason ?? '', /the checks could not run: bwrap: cannot create a user namespace/);
  });
});
