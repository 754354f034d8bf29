import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';

import { main } from '../src/cli/main';
import { createCliVerifier } from '../src/cli/verifier';
import type { Figure } from './report';
import { median } from './report';
import type { DevTask, RoutingFigures } from './routingDev.bench';
import { lengthScore, loadDevSet, routerScore, routingFigures } from './routingDev.bench';

/**
 * Verify-then-escalate on the development set, measured the way the dataset README says (and without reading its
 * answer key inside the router): the cheap model (Llama 1B) answers each MBPP task; the request shows the task
 * sentence and MBPP's FIRST test as the example (`assert f(...) == ...`); `model-router verify --jsonl` checks the
 * 1B's raw answer by running only what the request shows; a failed check sends the task to the strong model (best
 * of 8B/70B). Quality is then measured on ALL of MBPP's tests (the dataset's recorded outcomes).
 *
 * The cascade's ranking for the RouteLLM curve: failed checks first, then the answers nothing could check (ordered
 * by prompt length, the baseline a prompt-only score must at least match), then the passed ones (also by length),
 * so k = the number of failed checks is the cascade's own operating point and the rest of the curve is what
 * escalating more would buy. Every task pays the cheap call (the cascade always asks the cheap model first).
 * Nothing here is fitted to MBPP: the checks are the product's, unchanged.
 */

const VERDICT_RANK: Readonly<Record<string, number>> = { fail: 2, unknown: 1, pass: 0 };

interface Line {
  readonly id: string;
  readonly verdict: string;
}

/** The request a user would send for the task: the sentence and the first test as an example. */
function requestOf(task: DevTask): Record<string, unknown> {
  return {
    id: task.taskId,
    task: 'implement',
    language: 'python',
    text: '',
    instruction: `${task.instruction}\nYour code should pass this test:\n${task.tests[0] ?? ''}`,
    completion: task.weakCompletion,
  };
}

function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

async function verifyAll(tasks: readonly DevTask[]): Promise<{ readonly verdicts: Map<string, string>; readonly perSecond: number; readonly counts: Record<string, number> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'model-router-bench-verify-'));
  try {
    const input = path.join(dir, 'in.jsonl');
    const output = path.join(dir, 'out.jsonl');
    await writeFile(input, tasks.map((task) => JSON.stringify(requestOf(task))).join('\n') + '\n');
    let stderr = '';
    const started = performance.now();
    const code = await main(['verify', '--jsonl', input, '--out', output], {
      stdout: sink(),
      stderr: new Writable({ write: (chunk, _e, cb) => ((stderr += String(chunk)), cb()) }),
      stdin: Readable.from([]),
      env: { PATH: process.env.PATH ?? '' },
      cwd: dir,
    });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`verify --jsonl exited ${code}: ${stderr.slice(0, 500)}`);
    const verdicts = new Map<string, string>();
    const counts: Record<string, number> = { pass: 0, fail: 0, unknown: 0 };
    for (const line of (await readFile(output, 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      const parsed = JSON.parse(line) as Line;
      verdicts.set(parsed.id, parsed.verdict);
      counts[parsed.verdict] = (counts[parsed.verdict] ?? 0) + 1;
    }
    return { verdicts, perSecond: tasks.length / seconds, counts };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function summary(figures: RoutingFigures): string {
  return `apgr ${figures.apgr.toFixed(3)} cost@95 ${figures.costShareAt95.toFixed(3)} calls@95 ${figures.callShareAt95.toFixed(3)}`;
}

const THREE_EXAMPLES = {
  task: 'implement' as const,
  language: 'python',
  original: [
    'def clamp(value, low, high):',
    '    """Limits value to the range [low, high].',
    '',
    '    >>> clamp(5, 0, 10)',
    '    5',
    '    >>> clamp(-3, 0, 10)',
    '    0',
    '    >>> clamp(42, 0, 10)',
    '    10',
    '    """',
    '',
  ].join('\n'),
  answer: '```python\ndef clamp(value, low, high):\n    return max(low, min(high, value))\n```\n',
};

async function pythonExamplesMs(): Promise<{ readonly checked: number; readonly baseline: number }> {
  const verifier = await createCliVerifier({});
  const samples: number[] = [];
  for (let i = 0; i < 25; i++) {
    const started = performance.now();
    const verdict = await verifier.verify(THREE_EXAMPLES);
    samples.push(performance.now() - started);
    if (verdict.verdict !== 'pass' || verdict.checks !== 3) throw new Error(`verify bench: expected 3 passing examples, got ${verdict.verdict} ${verdict.passed}/${verdict.checks} (${verdict.reason ?? ''})`);
  }
  // The baseline: the same interpreter started bare (no sandbox, no checker), in the same run.
  const python = verifier.runtimes.python;
  if (!python) throw new Error('verify bench: no Python interpreter found');
  const plain: number[] = [];
  for (let i = 0; i < 25; i++) {
    const started = performance.now();
    spawnSync(python.command, [...python.args, '-I', '-S', '-B', '-c', 'pass']);
    plain.push(performance.now() - started);
  }
  return { checked: median(samples), baseline: median(plain) };
}

export async function verifyBench(): Promise<readonly Figure[]> {
  const tasks = loadDevSet();
  const { verdicts, perSecond, counts } = await verifyAll(tasks);
  console.log(`# verify.dev: ${tasks.length} answers of the 1B checked: ${counts.pass} pass, ${counts.fail} fail, ${counts.unknown} unknown, ${perSecond.toFixed(1)} per second`);
  const cascadeScore = (task: DevTask): number => (VERDICT_RANK[verdicts.get(task.taskId) ?? 'unknown'] ?? 1) * 1e9 + lengthScore(task);
  const test = tasks.filter((task) => task.split === 'test');
  const cascade = routingFigures(test, test.map(cascadeScore), { cheapAlwaysPaid: true });
  const promptOnly = routingFigures(test, test.map((task) => routerScore(task)));
  const length = routingFigures(test, test.map(lengthScore));
  const escalated = test.filter((task) => verdicts.get(task.taskId) === 'fail');
  const kept = test.length - escalated.length;
  const quality = test.reduce((sum, task) => sum + ((verdicts.get(task.taskId) === 'fail' ? task.strongPassed : task.weakPassed) ? 1 : 0), 0) / test.length;
  const strongQuality = test.reduce((sum, task) => sum + (task.strongPassed ? 1 : 0), 0) / test.length;
  const cost = test.reduce((sum, task) => sum + task.weakCost + (verdicts.get(task.taskId) === 'fail' ? task.strongCost : 0), 0);
  const strongCost = test.reduce((sum, task) => sum + task.strongCost, 0);
  console.log(`# routing.dev test (${test.length} tasks): cascade ${summary(cascade)}; prompt-only ${summary(promptOnly)}; length ${summary(length)}`);
  console.log(
    `# routing.dev cascade operating point (escalate failed checks only): ${escalated.length} escalated, ${kept} kept on the cheap model; ` +
      `quality ${quality.toFixed(3)} (strong ${strongQuality.toFixed(3)}), cost ${(cost / strongCost).toFixed(3)} of always-strong`,
  );
  const examples = await pythonExamplesMs();
  console.log(`# verify.python_examples: median ${examples.checked.toFixed(1)} ms; the same interpreter started bare (-c pass) ${examples.baseline.toFixed(1)} ms`);
  return [
    { name: 'routing.dev_cascade_apgr', value: cascade.apgr, unit: 'ratio', op: '>=', target: 0.65 },
    { name: 'routing.dev_cascade_cost_share_at_95', value: cascade.costShareAt95, unit: 'ratio', op: '<=', target: Math.round(promptOnly.costShareAt95 * 1000) / 1000 },
    { name: 'verify.python_examples_ms', value: examples.checked, unit: 'ms', op: '<=', target: 150 },
    { name: 'verify.jsonl_per_s', value: perSecond, unit: 'per_s', op: '>=', target: 20 },
  ];
}
