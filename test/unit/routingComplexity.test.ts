import assert from 'node:assert/strict';

import type { DevTask } from '../../bench/routingDev.bench';
import { crossValidationFolds, routingFigures } from '../../bench/routingDev.bench';
import type { TaskType, Tier } from '../../src/core/config/types';
import { TASK_TYPES } from '../../src/core/config/types';
import type { ComplexityEstimate, ComplexityInput } from '../../src/core/routing/complexity';
import { estimateComplexity } from '../../src/core/routing/complexity';
import { DEFAULT_TIER_THRESHOLDS, nearestTier, tierDown, tierFor, tierUp } from '../../src/core/routing/tiers';
import { estimateTokens } from '../../src/core/routing/tokenEstimate';

function estimate(text: string, task: TaskType = 'explain', extra: Partial<ComplexityInput> = {}): ComplexityEstimate {
  return estimateComplexity({ text, task, ...extra });
}

function tierOf(result: ComplexityEstimate): Tier {
  return tierFor(result.score, DEFAULT_TIER_THRESHOLDS);
}

const GETTER = 'get name(): string { return this._name; }';

/** A medium TypeScript function: a loop with a few decisions, nesting depth 4. */
const MEDIUM_TS = [
  'export function totals(orders: Order[], limit: number): Map<string, number> {',
  '  const result = new Map<string, number>();',
  '  for (const order of orders) {',
  '    if (order.items.length === 0 || order.cancelled) {',
  '      continue;',
  '    }',
  '    for (const item of order.items) {',
  '      if (item.price > limit && !item.exempt) {',
  '        result.set(item.sku, (result.get(item.sku) ?? 0) + item.price);',
  '      }',
  '    }',
  '  }',
  '  return result;',
  '}',
].join('\n');

/** 300 lines: a connection pool's state machine behind a mutex, nesting depth 9. */
function concurrentStateMachine(): string {
  const lines = [
    "import { Mutex } from 'async-mutex';",
    "type State = 'idle' | 'connecting' | 'open' | 'closing' | 'closed';",
    'export class ConnectionPool {',
    '  private readonly lock = new Mutex();',
    "  private state: State = 'idle';",
    '  private readonly pending: Job[] = [];',
    '  private readonly waiting: Job[] = [];',
    '  private readonly retryLimit = 3;',
    '  private readonly idleTimeoutMs = 30_000;',
    '  private closed = false;',
    '  private opened = 0;',
    '  private failures = 0;',
    '  private lastError: Error | undefined;',
  ];
  for (let i = 0; i < 13; i++) {
    lines.push(
      `  async transition${i}(event: string, retries: number): Promise<void> {`,
      '    const release = await this.lock.acquire();',
      '    try {',
      '      switch (this.state) {',
      "        case 'connecting': {",
      '          for (let attempt = 0; attempt < retries; attempt++) {',
      "            if (event === 'open' && !this.closed) {",
      '              while (this.pending.length > 0) {',
      '                const job = this.pending.shift();',
      '                if (job && job.deadline < Date.now()) { await job.cancel(); }',
      '              }',
      '            }',
      '          }',
      '          break;',
      '        }',
      '        default:',
      "          this.state = event === 'close' ? 'closing' : this.state;",
      '      }',
      '    } finally {',
      '      release();',
      '    }',
      '  }',
    );
  }
  lines.push('}');
  return lines.join('\n');
}

const PYTHON_NESTED = [
  'def walk(tree, visit):',
  '    """Visit every node.',
  '',
  '            Indented docstring lines are not code and do not nest.',
  '    """',
  '    for node in tree:',
  '        if node.children:',
  '            for child in node.children:',
  '                while child:',
  '                    child = visit(',
  '                                child,',
  '                                depth=3,',
  '                    )',
  '  # a comment at an odd indentation',
  '    return None',
].join('\n');

describe('complexity estimate', () => {
  describe('what users see', () => {
    it('scores a one-line getter light, whatever the task', () => {
      for (const task of TASK_TYPES) {
        const result = estimate(GETTER, task, { language: 'typescript' });
        assert.equal(tierOf(result), 'light', `${task}: ${result.score} ${result.reasons.join(', ')}`);
      }
      assert.equal(estimate(GETTER, 'explain', { language: 'typescript' }).score, 1);
    });

    it('scores a 300-line concurrent state machine with deep nesting heavy, even to explain it', () => {
      const code = concurrentStateMachine();
      for (const task of ['explain', 'refactor', 'review'] as const) {
        const result = estimate(code, task, { language: 'typescript' });
        assert.equal(tierOf(result), 'heavy', `${task}: ${result.score} ${result.reasons.join(', ')}`);
        assert.ok(result.score >= 9, `${task}: ${result.score}`);
      }
      const result = estimate(code, 'refactor', { language: 'typescript' });
      assert.equal(result.features.lines, 300);
      assert.ok(result.reasons.includes('300 lines'), result.reasons.join(', '));
      assert.ok(result.reasons.includes('nesting depth 9'), result.reasons.join(', '));
      assert.ok(result.reasons.some((reason) => reason.startsWith('concurrency in the code')), result.reasons.join(', '));
      assert.ok(result.reasons.includes('task: refactor'));
    });

    it('scores a three-line function light to explain', () => {
      const code = 'def area(w, h):\n    """Area of a rectangle."""\n    return w * h\n';
      const result = estimate(code, 'explain', { language: 'python' });
      assert.equal(tierOf(result), 'light', `${result.score} ${result.reasons.join(', ')}`);
      assert.ok(result.score <= 2, `${result.score}`);
    });

    it('puts a 14-line function with two nested loops in the light tier for every task, a change above explaining it', () => {
      // Under about 20 lines the prompt's size and the task decide, not the snippet's structure (complexity.ts,
      // structureWeight); where the change can be checked, the cascade escalates a light answer that fails.
      const explain = estimate(MEDIUM_TS, 'explain', { language: 'typescript' });
      assert.equal(tierOf(explain), 'light', `${explain.score} ${explain.reasons.join(', ')}`);
      for (const task of ['refactor', 'fix', 'review'] as const) {
        const result = estimate(MEDIUM_TS, task, { language: 'typescript' });
        assert.equal(tierOf(result), 'light', `${task}: ${result.score} ${result.reasons.join(', ')}`);
        assert.ok(result.raw > explain.raw, `${task} ranks above explain`);
      }
    });

    it('puts 28 lines of two such functions light to explain and in the middle tier to change', () => {
      const code = `${MEDIUM_TS}\n${MEDIUM_TS.replace('totals', 'subtotals')}`;
      const explain = estimate(code, 'explain', { language: 'typescript' });
      assert.equal(tierOf(explain), 'light', `${explain.score} ${explain.reasons.join(', ')}`);
      const refactor = estimate(code, 'refactor', { language: 'typescript' });
      assert.equal(tierOf(refactor), 'medium', `${refactor.score} ${refactor.reasons.join(', ')}`);
    });

    it('reasons give the real numbers of lines and nesting', () => {
      const result = estimate(MEDIUM_TS, 'explain', { language: 'typescript' });
      assert.equal(result.features.lines, 14);
      assert.equal(result.features.nestingDepth, 4);
      assert.ok(result.reasons.includes('14 lines'), result.reasons.join(', '));
      assert.ok(result.reasons.includes('nesting depth 4'), result.reasons.join(', '));
      assert.ok(result.reasons.includes('6 branches'), result.reasons.join(', '));
      assert.ok(result.reasons.some((reason) => /^~\d+ tokens$/.test(reason)), result.reasons.join(', '));
    });

    it('formats large numbers with thousands separators', () => {
      const code = Array.from({ length: 1200 }, (_, i) => `const value${i} = compute(${i});`).join('\n');
      const result = estimate(code, 'explain', { language: 'typescript' });
      assert.ok(result.reasons.includes('1,200 lines'), result.reasons.join(', '));
      assert.ok(result.reasons.some((reason) => /^~\d{1,3},\d00 tokens$/.test(reason)), result.reasons.join(', '));
    });
  });

  describe('the task', () => {
    // Changing code without breaking it (refactor, fix, review) takes more than writing it from a spec (implement,
    // tests), which takes more than describing it (explain, ask), which takes more than annotating it (document).
    it('ranks the same code: refactor = review = fix > implement = tests > explain = ask > document', () => {
      const raw = (task: TaskType): number => estimate(MEDIUM_TS, task, { language: 'typescript' }).raw;
      assert.equal(raw('refactor'), raw('review'));
      assert.equal(raw('review'), raw('fix'));
      assert.ok(raw('fix') > raw('implement'));
      assert.equal(raw('implement'), raw('tests'));
      assert.ok(raw('tests') > raw('explain'));
      assert.equal(raw('explain'), raw('ask'));
      assert.ok(raw('ask') > raw('document'));
    });

    it('never scores a review or a refactor below an explanation of the same code', () => {
      for (const code of [GETTER, MEDIUM_TS, PYTHON_NESTED, concurrentStateMachine()]) {
        const explain = estimate(code, 'explain').score;
        assert.ok(estimate(code, 'review').score >= explain);
        assert.ok(estimate(code, 'refactor').score >= explain);
      }
    });

    it('names the task in the reasons', () => {
      assert.ok(estimate(MEDIUM_TS, 'tests').reasons.includes('task: tests'));
    });
  });

  describe('the instruction', () => {
    it('ranks a request that mentions a demanding topic above one of the same size that does not, and says which', () => {
      const cases: ReadonlyArray<readonly [string, string, string]> = [
        ['two workers race on this map and it deadlocks under load', 'two workers write on this map and it stops under load', 'concurrency'],
        ['make it thread-safe', 'make it null-safe', 'concurrency'],
        ['sanitize the input against SQL injection', 'check the input against empty values', 'security'],
        ['optimize this, it is too slow for big inputs', 'change this, it is too long for big inputs', 'performance'],
        ['use dynamic programming instead of loops', 'use dynamic dispatching instead of loops', 'algorithms'],
        ['parse the values with a regex', 'read the values with a loop', 'parsing'],
        ['run this inside a distributed transaction', 'run this inside a separate function call', 'distributed systems'],
        ['the migration must keep old rows readable', 'the conversion must keep old rows readable', 'distributed systems'],
      ];
      for (const [instruction, neutral, topic] of cases) {
        const plain = estimate(MEDIUM_TS, 'fix', { language: 'typescript', instruction: neutral });
        const result = estimate(MEDIUM_TS, 'fix', { language: 'typescript', instruction });
        assert.equal(result.features.instructionTokens, plain.features.instructionTokens, `${instruction} / ${neutral}`);
        assert.ok(result.raw > plain.raw, `${instruction}: ${result.raw} <= ${plain.raw}`);
        assert.ok(result.score >= plain.score);
        assert.ok(result.reasons.includes(`instruction mentions ${topic}`), `${instruction}: ${result.reasons.join(', ')}`);
        assert.ok(result.features.instructionTopics.includes(topic));
        assert.deepEqual(plain.features.instructionTopics, [], neutral);
      }
    });

    it('never lets a topic lift a short request above a clearly longer one: topics only break ties of size', () => {
      // A two-line getter whose instruction names every demanding topic, against a 40-line function with a plain ask.
      const short = estimate(GETTER, 'fix', {
        language: 'typescript',
        instruction: 'fix the race condition, the SQL injection and the slow recursive algorithm',
      });
      const long = estimate(MEDIUM_TS, 'fix', { language: 'typescript', instruction: 'fix the bug' });
      assert.ok(short.features.instructionTopics.length >= 3, short.reasons.join(', '));
      assert.ok(long.raw > short.raw, `${long.raw} <= ${short.raw}: ${short.reasons.join(', ')}`);
    });

    it('matches words, not pieces of words', () => {
      const result = estimate(MEDIUM_TS, 'refactor', { instruction: 'move this block to a clock helper and trace it' });
      assert.deepEqual(result.features.instructionTopics, []);
    });

    it('caps the topics together at a fifth of the size term, so naming every topic cannot move a request far', () => {
      const instruction = 'concurrency security distributed transaction performance algorithm regex architecture flaky';
      const result = estimate(GETTER, 'explain', { instruction });
      const contribution = (prefix: string): number =>
        result.contributions
          .filter((c) => c.reason.startsWith(prefix))
          .reduce((sum, c) => sum + c.points, 0);
      const size = contribution('~');
      const topicPoints = contribution('instruction mentions');
      assert.ok(size > 0, result.reasons.join(', '));
      assert.ok(topicPoints > 0 && topicPoints <= 0.2 * size + 0.01, `${topicPoints} of ${size}`);
      assert.equal(result.score, 1 + Math.round(size + topicPoints), result.reasons.join(', '));
    });

    it('lowers the score for a small change, against an instruction of the same size', () => {
      const plain = estimate(MEDIUM_TS, 'fix', { instruction: 'fix the bug in the variable name' });
      const typo = estimate(MEDIUM_TS, 'fix', { instruction: 'fix the typo in the variable name' });
      assert.equal(typo.features.instructionTokens, plain.features.instructionTokens);
      assert.ok(typo.raw < plain.raw, `${typo.raw} >= ${plain.raw}`);
      assert.ok(typo.reasons.includes('instruction asks for a small change (typo)'), typo.reasons.join(', '));
    });

    it('ranks by the size of the whole prompt: a longer instruction weighs more, never less, up to the size cap', () => {
      let previous = -1;
      for (const words of [1, 5, 20, 45, 100, 300, 1000, 3000, 10000]) {
        const instruction = Array.from({ length: words }, (_, i) => `word${i % 7}`).join(' ');
        const result = estimate('', 'ask', { instruction });
        assert.ok(result.raw >= previous, `${words} words: ${result.raw} < ${previous}`);
        previous = result.raw;
      }
      // ~200 tokens 1 point, ~3,000 tokens the cap of 4 (on top of 1, task ask 0)
      assert.equal(previous, 5);
      assert.equal(estimate('', 'ask', { instruction: 'word '.repeat(3) }).reasons.length, 2, 'a short question names no size');
    });

    it('counts the selection and the instruction as one prompt: moving text from one to the other keeps the size points', () => {
      const code = 'const total = items.reduce((sum, item) => sum + item.price * item.count, 0);\n'.repeat(12);
      const ask = 'Explain what this computes and why the total could be wrong when prices are strings. '.repeat(6);
      const sizePoints = (result: ComplexityEstimate): number =>
        result.contributions.find((c) => /^~[\d,]+ tokens with the instruction$/.test(c.reason))?.points ?? Number.NaN;
      const both = estimate(code, 'explain', { language: 'typescript', instruction: ask });
      assert.ok(sizePoints(both) > 0, both.reasons.join(', '));
      const tokens = both.features.tokens + both.features.instructionTokens;
      assert.ok(both.reasons.includes(`~${tokens < 1000 ? Math.round(tokens / 10) * 10 : Math.round(tokens / 100) * 100} tokens with the instruction`));
      const codeOnly = estimate(code, 'explain', { language: 'typescript' });
      const instructionOnly = estimate('', 'explain', { instruction: ask });
      // the prompt's size is one concave function of all its tokens, so it is less than the two sizes added up
      const alone = (result: ComplexityEstimate): number => result.contributions.find((c) => /tokens$/.test(c.reason))?.points ?? 0;
      assert.ok(sizePoints(both) > alone(codeOnly) && sizePoints(both) > alone(instructionOnly));
      assert.ok(sizePoints(both) < alone(codeOnly) + alone(instructionOnly));
    });

    it('reads structure only from a selection of about 20 lines or more', () => {
      const nested = (depth: number, lines: number): string => {
        const head = Array.from({ length: depth }, (_, d) => `${'    '.repeat(d)}if x${d} and y${d}:`).join('\n');
        const body = Array.from({ length: lines }, (_, i) => `${'    '.repeat(depth)}total_${i} = compute_value(x, y) + ${i}`).join('\n');
        return `${head}\n${body}\n`;
      };
      const short = estimate(nested(5, 1), 'fix', { language: 'python' });
      assert.ok(short.features.tokens < 200 && short.features.nestingDepth === 5, JSON.stringify(short.features));
      assert.equal(short.contributions.find((c) => c.reason.startsWith('nesting depth'))?.points ?? 0, 0, short.reasons.join(', '));
      const long = estimate(nested(5, 60), 'fix', { language: 'python' });
      assert.ok(long.features.tokens >= 400, String(long.features.tokens));
      assert.ok((long.contributions.find((c) => c.reason === 'nesting depth 5')?.points ?? 0) > 1, long.reasons.join(', '));
    });
  });

  describe('an empty selection', () => {
    it('scores a question without code sensibly and says no code was selected', () => {
      for (const text of ['', '   \n\t\n']) {
        const simple = estimate(text, 'ask', { instruction: 'What does the spread operator do?' });
        const hard = estimate(text, 'ask', {
          instruction:
            'How should I design idempotent retries for a distributed transaction across three services so that ' +
            'a race between two workers cannot charge a customer twice?',
        });
        for (const result of [simple, hard]) {
          assert.ok(Number.isInteger(result.score) && result.score >= 1 && result.score <= 10);
          assert.ok(result.reasons.includes('no code selected'), result.reasons.join(', '));
          assert.ok(result.reasons.includes('task: ask'));
          assert.equal(result.features.lines, 0);
          assert.equal(result.features.tokens, 0);
        }
        assert.equal(tierOf(simple), 'light');
        // Ranked by size (the longer question first) and the topics named; words alone do not make it heavy work.
        assert.ok(hard.raw > simple.raw, `${hard.raw} <= ${simple.raw}`);
        assert.ok(hard.reasons.includes('instruction mentions distributed systems'), hard.reasons.join(', '));
      }
    });

    it('scores an empty request without an instruction at the minimum', () => {
      const result = estimate('', 'ask');
      assert.equal(result.score, 1);
      assert.deepEqual(result.reasons, ['no code selected', 'task: ask']);
    });
  });

  describe('structure', () => {
    it('counts Python nesting by indentation, skipping docstrings, bracket continuations and comments', () => {
      const result = estimate(PYTHON_NESTED, 'explain', { language: 'python' });
      assert.equal(result.features.nestingFrom, 'indentation');
      assert.equal(result.features.nestingDepth, 5);
      assert.ok(result.reasons.includes('nesting depth 5'), result.reasons.join(', '));
      assert.equal(result.features.branches, 4);
      assert.equal(result.features.functions, 1);
    });

    it('counts Python nesting with tabs and in a selection that starts inside a block', () => {
      const tabs = 'def f(x):\n\tif x:\n\t\tfor y in x:\n\t\t\tprint(y)\n';
      assert.equal(estimate(tabs, 'explain', { language: 'py' }).features.nestingDepth, 3);
      const inner = '        if a:\n            b()\n    return c\n';
      assert.equal(estimate(inner, 'explain', { language: 'python' }).features.nestingDepth, 1);
    });

    it('guesses indentation nesting for an unknown language without braces', () => {
      const result = estimate(PYTHON_NESTED, 'explain');
      assert.equal(result.features.nestingFrom, 'indentation');
      assert.equal(result.features.nestingDepth, 5);
    });

    it('ignores braces, keywords and operators inside strings and comments', () => {
      const code = [
        'function f(a) {',
        "  const s = '{{{ if (x) { while (y) {';",
        '  // if (a && b) { for (;;) { } }',
        '  /* switch (x) { case 1: { } } */',
        '  const t = `template ${a} with { braces } and || or`;',
        '  return s + t;',
        '}',
      ].join('\n');
      const result = estimate(code, 'explain', { language: 'javascript' });
      assert.equal(result.features.nestingDepth, 1);
      assert.equal(result.features.branches, 0);
      assert.equal(result.features.functions, 1);
    });

    it('counts branches: keywords, && || and the conditional operator, not ?. or ??', () => {
      const code = [
        'function pick(a, b) {',
        '  if (a && b || !a) return a?.x ?? b;',
        '  else if (b) { for (const x of b) { while (x) {} } }',
        '  switch (a) { case 1: break; case 2: break; }',
        '  try { g(); } catch (e) {}',
        '  return a ? b : c;',
        '}',
      ].join('\n');
      // if, &&, ||, if, for, while, case, case, catch, ?:
      assert.equal(estimate(code, 'explain', { language: 'typescript' }).features.branches, 10);
    });

    it('counts functions: declarations, methods, arrows and Python defs and lambdas, not calls', () => {
      const ts = [
        'class A {',
        '  constructor(private readonly b: B) {}',
        '  async run(x: number): Promise<Map<string, number[]>> {',
        '    const f = (y: number) => y + 1;',
        '    items.forEach(function (z) { use(z); });',
        '    call(x).then({ ok: true });',
        '    if (check(x)) { return f(x); }',
        '    return { a: make(x), b: { c: 1 } };',
        '  }',
        '}',
      ].join('\n');
      assert.equal(estimate(ts, 'explain', { language: 'typescript' }).features.functions, 4);
      const py = 'def a(x):\n    key = lambda y: y[0]\n    return {k: f(v) for k, v in x} or {}\n';
      assert.equal(estimate(py, 'explain', { language: 'python' }).features.functions, 2);
    });

    it('counts long lines', () => {
      const code = `const a = 1;\nconst b = '${'x'.repeat(150)}';\n`;
      const result = estimate(code, 'explain');
      assert.equal(result.features.longLines, 1);
      assert.ok(result.reasons.includes('a long line'), result.reasons.join(', '));
    });

    it('weighs the language: harder for C++ and Rust, simpler for JSON and YAML', () => {
      const code = MEDIUM_TS;
      const base = estimate(code, 'explain', { language: 'typescript' }).raw;
      assert.ok(estimate(code, 'explain', { language: 'cpp' }).raw > base);
      assert.ok(estimate(code, 'explain', { language: 'rust' }).raw > base);
      assert.ok(estimate(code, 'explain', { language: 'c++' }).reasons.includes('language: cpp (harder language)'));
      const json = '{\n  "name": "model-router",\n  "version": "0.1.0"\n}\n';
      const jsonResult = estimate(json, 'explain', { language: 'json' });
      assert.ok(jsonResult.raw < estimate(json, 'explain', { language: 'javascript' }).raw);
      assert.ok(jsonResult.reasons.includes('language: json (data or markup)'));
    });
  });

  describe('monotonicity', () => {
    const samples: ReadonlyArray<readonly [string, string | undefined]> = [
      [GETTER, 'typescript'],
      [MEDIUM_TS, 'typescript'],
      [PYTHON_NESTED, 'python'],
      [MEDIUM_TS, undefined],
      ['SELECT a, b FROM t WHERE a > 1 -- note\n  AND b IN (SELECT c FROM u);', 'sql'],
    ];

    it('never lowers the score when the same code is repeated', () => {
      for (const [code, language] of samples) {
        for (const task of TASK_TYPES) {
          let previous = estimate(code, task, { language });
          for (let copies = 2; copies <= 12; copies++) {
            const next = estimate(Array.from({ length: copies }, () => code).join('\n'), task, { language });
            assert.ok(next.raw >= previous.raw - 1e-9, `${language} ${task} x${copies}: ${next.raw} < ${previous.raw}`);
            assert.ok(next.score >= previous.score);
            previous = next;
          }
        }
      }
    });

    it('never lowers the score as a selection grows line by line', () => {
      const lines = concurrentStateMachine().split('\n');
      let previous = 0;
      for (let count = 1; count <= lines.length; count++) {
        const raw = estimate(lines.slice(0, count).join('\n'), 'review', { language: 'typescript' }).raw;
        assert.ok(raw >= previous - 1e-9, `${count} lines: ${raw} < ${previous}`);
        previous = raw;
      }
      const pyLines = PYTHON_NESTED.split('\n');
      previous = 0;
      for (let count = 1; count <= pyLines.length; count++) {
        const raw = estimate(pyLines.slice(0, count).join('\n'), 'review', { language: 'python' }).raw;
        assert.ok(raw >= previous - 1e-9, `${count} lines: ${raw} < ${previous}`);
        previous = raw;
      }
    });
  });

  describe('robustness', () => {
    it('returns an integer score in 1..10 for any text', () => {
      let state = 12345;
      const next = (): number => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return state / 4294967296;
      };
      const alphabet = 'ab if for {}()[]"\'`\\/*#-\n\t  ?:&&||=>;,.é漢\r';
      for (let round = 0; round < 300; round++) {
        let text = '';
        const length = Math.floor(next() * 400);
        for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
        const language = ['python', 'typescript', 'rust', undefined, 'sql', 'haskell'][round % 6];
        const result = estimate(text, TASK_TYPES[round % TASK_TYPES.length], { language, instruction: text.slice(0, 50) });
        assert.ok(Number.isInteger(result.score) && result.score >= 1 && result.score <= 10, `${result.score}`);
        assert.ok(Number.isFinite(result.raw));
      }
    });

    it('copes with nesting deeper than it tracks and with unbalanced braces', () => {
      const deep = `${'{'.repeat(400)}x${'}'.repeat(400)}`;
      const result = estimate(deep, 'explain', { language: 'c' });
      assert.equal(result.features.nestingDepth, 400);
      assert.equal(result.score, estimate(deep, 'explain', { language: 'c' }).score);
      assert.equal(estimate('}}}}\nreturn 1;\n}', 'fix', { language: 'java' }).features.nestingDepth, 0);
      const pyDeep = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}if x:`).join('\n');
      assert.ok(estimate(pyDeep, 'explain', { language: 'python' }).features.nestingDepth >= 255);
    });

    it('explains the score: 1 + the points of the reasons', () => {
      const result = estimate(concurrentStateMachine(), 'review', {
        language: 'typescript',
        instruction: 'check the locking',
      });
      const sum = result.contributions.reduce((total, contribution) => total + contribution.points, 0);
      assert.ok(Math.abs(1 + sum - result.raw) < 0.05);
      assert.deepEqual(
        result.reasons,
        result.contributions.map((contribution) => contribution.reason),
      );
    });
  });

  describe('token estimate', () => {
    it('stays near a real tokenizer on code and prose', () => {
      // Reference counts from OpenAI's o200k_base / cl100k_base tokenizers (gpt-tokenizer 4.0.0).
      const cases: ReadonlyArray<readonly [string, number]> = [
        [MEDIUM_TS, 114],
        [PYTHON_NESTED, 77],
        ['Write a function to find the longest common subsequence of two strings.', 14],
      ];
      for (const [text, reference] of cases) {
        const tokens = estimateTokens(text);
        assert.ok(Math.abs(tokens - reference) / reference <= 0.25, `${tokens} vs ${reference}`);
      }
      assert.equal(estimateTokens(''), 0);
      assert.equal(estimateTokens('a'), 1);
    });
  });
});

/** A synthetic dev-set task: weak and strong outcomes, costs 1 and 10. */
function devTask(id: number, weakPassed: boolean, strongPassed: boolean, instruction = 'Write a function.'): DevTask {
  return {
    taskId: `mbpp/${id}`,
    split: 'test',
    instruction,
    tests: [],
    referenceCode: '',
    weakCompletion: '',
    weakPassed,
    strongPassed,
    midPassed: strongPassed,
    largePassed: strongPassed,
    weakCost: 1,
    strongCost: 10,
  };
}

describe('routing dev metric (bench/routingDev.bench.ts)', () => {
  // two tasks only the strong model solves, one both solve, one neither: weak quality 0.25, strong 0.75
  const tasks = [devTask(1, false, true), devTask(2, false, true), devTask(3, true, true), devTask(4, false, false)];

  it('computes APGR as the trapezoid area under the recovered gap, as RouteLLM does', () => {
    // best order: quality .25 .5 .75 .75 .75 -> PGR 0 .5 1 1 1 -> area (0.25 + 0.75 + 1 + 1) / 4
    assert.ok(Math.abs(routingFigures(tasks, [4, 3, 2, 1]).apgr - 0.75) < 1e-12);
    // worst order: PGR 0 0 0 .5 1 -> area (0 + 0 + 0.25 + 0.75) / 4
    assert.ok(Math.abs(routingFigures(tasks, [1, 2, 3, 4]).apgr - 0.25) < 1e-12);
    // equal scores are the random router: exactly 0.5
    assert.ok(Math.abs(routingFigures(tasks, [0, 0, 0, 0]).apgr - 0.5) < 1e-12);
  });

  it('finds the least cost and calls that keep 95% of the strong quality', () => {
    // 0.95 x 0.75 needs both strong-only tasks routed up: 2 x 10 + 2 x 1 of the all-strong 40
    const best = routingFigures(tasks, [4, 3, 2, 1]);
    assert.ok(Math.abs(best.costShareAt95 - 22 / 40) < 1e-12);
    assert.equal(best.callShareAt95, 0.5);
    const worst = routingFigures(tasks, [1, 2, 3, 4]);
    assert.equal(worst.callShareAt95, 1);
  });

  it('splits tasks into disjoint seeded folds that cover every task', () => {
    const many = Array.from({ length: 23 }, (_, i) => devTask(i + 10, i % 2 === 0, true));
    const folds = crossValidationFolds(many, 5, 7);
    assert.equal(folds.length, 5);
    assert.deepEqual(
      folds.flat().sort((a, b) => a - b),
      many.map((_, i) => i),
    );
    assert.ok(folds.every((fold) => fold.length === 4 || fold.length === 5));
    assert.deepEqual(crossValidationFolds(many, 5, 7), folds, 'the same seed gives the same folds');
    assert.notDeepEqual(crossValidationFolds(many, 5, 8), folds);
  });
});

describe('tiers', () => {
  it('maps scores to tiers with inclusive upper bounds', () => {
    const thresholds = { lightMax: 3, mediumMax: 6 };
    const expected: Tier[] = ['light', 'light', 'light', 'medium', 'medium', 'medium', 'heavy', 'heavy', 'heavy', 'heavy'];
    for (let score = 1; score <= 10; score++) assert.equal(tierFor(score, thresholds), expected[score - 1], `${score}`);
    assert.deepEqual(DEFAULT_TIER_THRESHOLDS, thresholds);
  });

  it('follows configured thresholds exactly', () => {
    const thresholds = { lightMax: 2, mediumMax: 8 };
    assert.equal(tierFor(2, thresholds), 'light');
    assert.equal(tierFor(3, thresholds), 'medium');
    assert.equal(tierFor(8, thresholds), 'medium');
    assert.equal(tierFor(9, thresholds), 'heavy');
    assert.equal(tierFor(2.5, thresholds), 'medium');
    // lightMax 0: nothing is light; mediumMax 10: nothing is heavy
    assert.equal(tierFor(1, { lightMax: 0, mediumMax: 10 }), 'medium');
    assert.equal(tierFor(10, { lightMax: 0, mediumMax: 10 }), 'medium');
  });

  it('takes the nearest available tier, the stronger one on a tie', () => {
    assert.equal(nearestTier('medium', ['light', 'medium', 'heavy']), 'medium');
    assert.equal(nearestTier('medium', ['light', 'heavy']), 'heavy');
    assert.equal(nearestTier('medium', ['heavy', 'light']), 'heavy');
    assert.equal(nearestTier('light', ['heavy', 'medium']), 'medium');
    assert.equal(nearestTier('light', ['heavy']), 'heavy');
    assert.equal(nearestTier('heavy', ['light', 'medium']), 'medium');
    assert.equal(nearestTier('heavy', ['light']), 'light');
    assert.equal(nearestTier('light', []), undefined);
  });

  it('steps one tier up and down', () => {
    assert.equal(tierUp('light'), 'medium');
    assert.equal(tierUp('medium'), 'heavy');
    assert.equal(tierUp('heavy'), undefined);
    assert.equal(tierDown('heavy'), 'medium');
    assert.equal(tierDown('medium'), 'light');
    assert.equal(tierDown('light'), undefined);
  });
});
