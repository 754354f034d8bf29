import { execFileSync } from 'node:child_process';
import { pythonCheck } from '../src/core/verify/python';
import { ProcessSandbox } from '../src/core/verify/sandbox';
import { DEFAULT_VERIFY_LIMITS } from '../src/core/verify/types';
import type { VerifyRequest } from '../src/core/verify/types';
import { median } from './report';
import type { Figure } from './report';

/**
 * The Python check's cost per answer, sandbox included (one `python3 -I -S -B` process per answer):
 * - `verify.python_3_examples_median_ms`: a function with 3 doctest examples plus an instruction assert, checked
 *   100 times after a warm-up, one at a time;
 * - `verify.python_answers_per_s`: 200 such answers checked with 2 at a time (the 2-core target; the CLI adds its
 *   own start-up on top, which is not measured here).
 * Skipped (no figures) when there is no python3 on the PATH.
 */

const ORIGINAL = `def add(a, b):
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
const ANSWER = ORIGINAL.replace('return a + b', 'total = a\n    total += b\n    return total');

export async function verifyPythonBench(): Promise<readonly Figure[]> {
  let python: string;
  try {
    python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  } catch {
    console.log('# verify.python: no python3 on the PATH, skipped');
    return [];
  }
  const request: Omit<VerifyRequest, 'answer'> = { task: 'fix', language: 'python', original: ORIGINAL, instruction: 'keep assert add(1, 1) == 2' };
  const planned = pythonCheck.plan(request, 'python');
  const sandbox = new ProcessSandbox();
  const once = async (): Promise<number> => {
    const started = performance.now();
    const results = await pythonCheck.run({
      request: { ...request, answer: ANSWER },
      language: 'python',
      code: ANSWER,
      planned,
      sandbox,
      runtimes: { python: { command: python, args: [] } },
      limits: DEFAULT_VERIFY_LIMITS,
    });
    if (results.length !== 5 || results.some((result) => result.status !== 'passed')) throw new Error(`unexpected results: ${JSON.stringify(results)}`);
    return performance.now() - started;
  };
  await once();
  const samples: number[] = [];
  for (let i = 0; i < 100; i++) samples.push(await once());
  const total = 200;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      await once();
    }
  };
  await Promise.all([worker(), worker()]);
  const perSecond = total / ((performance.now() - started) / 1000);
  return [
    { name: 'verify.python_3_examples_median_ms', value: median(samples), unit: 'ms', op: '<=', target: 150 },
    { name: 'verify.python_answers_per_s', value: perSecond, unit: 'answers/s', op: '>=', target: 20 },
  ];
}
