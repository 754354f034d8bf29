import { spawn } from 'node:child_process';

import { javascriptCheck } from '../src/core/verify/javascript';
import { ProcessSandbox } from '../src/core/verify/sandbox';
import type { VerifyLanguage, VerifyRequest } from '../src/core/verify/types';
import { DEFAULT_VERIFY_LIMITS } from '../src/core/verify/types';
import type { Figure } from './report';
import { percentile } from './report';

/**
 * JavaScript/TypeScript answers checked per second, two at a time (the machine's 2 cores), through the real
 * ProcessSandbox and `node`: a mix of a TypeScript fix with JSDoc examples and an expect() line, a wrong answer, a
 * refactor (differential) and Write Tests (jest style). One Node process per answer. Also the p95 time of one answer,
 * and the rate against bare `node -e 0` starts at the same concurrency (the machine's load moves both alike).
 */

const ORIGINAL = `/**
 * Sums the prices of the items, with the discount in percent.
 * @example
 * total([{ price: 10 }, { price: 5 }]) // => 15
 * total([{ price: 10 }], 50) // => 5
 * total([]) // => 0
 */
export function total(items: { price: number }[], discount: number = 0): number {
  let sum = 0;
  for (const item of items) sum += item.price;
  return sum * (1 - discount / 100);
}`;

const CASES: ReadonlyArray<{ request: Omit<VerifyRequest, 'answer'>; code: string; language: VerifyLanguage }> = [
  { request: { task: 'fix', language: 'typescript', original: ORIGINAL, instruction: 'expect(total([{ price: 1 }])).toBe(1)' }, code: ORIGINAL, language: 'typescript' },
  { request: { task: 'fix', language: 'typescript', original: ORIGINAL }, code: ORIGINAL.replace('sum += item.price', 'sum += item.price + 1'), language: 'typescript' },
  {
    request: { task: 'refactor', language: 'typescript', original: ORIGINAL },
    code: 'export const total = (items: { price: number }[], discount = 0): number => items.reduce((s, i) => s + i.price, 0) * (1 - discount / 100);',
    language: 'typescript',
  },
  {
    request: { task: 'tests', language: 'typescript', original: ORIGINAL, fileName: 'cart.ts' },
    code: "import { total } from './cart';\ndescribe('total', () => {\n  it('sums', () => expect(total([{ price: 2 }, { price: 3 }])).toBe(5));\n  it('discounts', () => expect(total([{ price: 10 }], 10)).toBeCloseTo(9));\n});",
    language: 'typescript',
  },
];

export async function verifyJavascriptBench(): Promise<readonly Figure[]> {
  const sandbox = new ProcessSandbox();
  const runtimes = { node: { command: process.execPath, args: [] } };
  const one = async (index: number): Promise<number> => {
    const { request, code, language } = CASES[index % CASES.length]!;
    const started = performance.now();
    await javascriptCheck.run({
      request: { ...request, answer: code },
      language,
      code,
      planned: javascriptCheck.plan(request, language),
      sandbox,
      runtimes,
      limits: DEFAULT_VERIFY_LIMITS,
    });
    return performance.now() - started;
  };
  const bare = (): Promise<number> => new Promise((resolve) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } }).on('close', () => resolve(0)));
  await one(0);
  const total = 48;
  const twoAtATime = async (run: (index: number) => Promise<number>): Promise<{ perSecond: number; samples: number[] }> => {
    const samples: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      [0, 1].map(async () => {
        while (next < total) samples.push(await run(next++));
      }),
    );
    return { perSecond: total / ((performance.now() - started) / 1000), samples };
  };
  // Bare `node -e 0` before and after, at the same concurrency: what the machine allows right now.
  const before = await twoAtATime(bare);
  const checked = await twoAtATime(one);
  const after = await twoAtATime(bare);
  const bareRate = (before.perSecond + after.perSecond) / 2;
  return [
    { name: 'verify.javascript_answers_per_s', value: checked.perSecond, unit: 'answers/s', op: '>=', target: 20 },
    { name: 'verify.javascript_answer_p95_ms', value: percentile(checked.samples, 95), unit: 'ms', op: '<=', target: 200 },
    // Share of a bare Node start-up's rate that checking keeps (1 = checking costs nothing beyond starting Node).
    { name: 'verify.javascript_vs_bare_node_ratio', value: checked.perSecond / bareRate, unit: 'ratio', op: '>=', target: 0.6 },
  ];
}
