import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { estimateComplexity } from '../src/core/routing/complexity';
import { estimateTokens } from '../src/core/routing/tokenEstimate';
import type { Figure } from './report';

/**
 * How well the complexity estimator routes on the development set (`../shared/data/routing-dev`: 590 MBPP tasks
 * answered by Llama 3.2 1B, 3.1 8B and 3.3 70B), measured as in RouteLLM (arXiv 2406.18665).
 *
 * - weak = the 1B passed; strong = the 8B or the 70B passed (best of the two: the dataset README's advice, since
 *   single outcomes are noisy and the 70B scores below the 8B).
 * - A router sends the k tasks it ranks hardest to the strong model and the rest to the weak one. k sweeps every
 *   threshold from 0 to N (0..100% strong calls). Tasks with equal scores are split at random, so the curve uses
 *   the expected value inside a tie (a router that scores everything alike is exactly the random router).
 * - quality(k) = mean pass over tasks of the model each task was routed to.
 * - APGR = mean over the sweep of (quality(k) - weak quality) / (strong quality - weak quality). Random: 0.5.
 * - cost share at 95% = the least (cost of the routed mix) / (cost of sending everything to the strong model) at
 *   which quality(k) >= 0.95 x strong quality. Cost per task = (prompt tokens + the model's completion tokens) x
 *   price, with the README's illustrative prices: weak (1B) $0.03 and strong (priced as the 70B) $0.88 per
 *   million tokens; prompt tokens estimated from the instruction plus the tests.
 *
 * The estimator sees what an editor request would: the instruction (MBPP's task sentence plus its tests, which the
 * models saw in their prompts) and the selected code (MBPP's reference solution), task `implement`, language Python.
 * The BENCH figures are on the `test` split (500 tasks); `val` (90) was the only split used for tuning, and the
 * figures for val and for all 590 are printed on `#` lines beside them, with a random router and an oracle (perfect
 * foresight) for scale.
 *
 * Why the estimator's weights are priors and not fitted here: on this set, which tasks the 1B fails while the 8B or
 * 70B passes is nearly independent of the structure of the solution (size, nesting, branches, functions), and the
 * val split is too small to find anything finer (its APGR moves by about +/-0.04 under resampling). A logistic
 * model over the estimator's features fitted on val reaches an APGR of 0.49 to 0.56 on test depending on the label
 * (weak fails, or weak fails and strong passes), no better than the prompt-length baseline, and its weights change
 * sign with the label. Fitting the estimator to MBPP would buy nothing here and cost the
 * editor requests it is actually for (whole files, refactors, concurrency), which this set does not contain.
 */

const MODEL_WEAK = 'llama-3.2-1b-instruct';
const MODEL_8B = 'llama-3.1-8b-instruct';
const MODEL_70B = 'llama-3.3-70b-instruct';
const PRICE_WEAK_PER_TOKEN = 0.03 / 1e6;
const PRICE_STRONG_PER_TOKEN = 0.88 / 1e6;
const QUALITY_KEPT = 0.95;
const DATA_PATH = ['..', 'shared', 'data', 'routing-dev', 'mbpp-llama-ladder.jsonl'] as const;

export interface DevTask {
  readonly taskId: string;
  readonly split: 'val' | 'test';
  readonly instruction: string;
  readonly tests: readonly string[];
  readonly referenceCode: string;
  readonly weakPassed: boolean;
  readonly strongPassed: boolean;
  readonly weakCost: number;
  readonly strongCost: number;
}

interface RawOutcome {
  readonly passed: boolean;
  readonly completion_tokens: number;
}

interface RawTask {
  readonly task_id: string;
  readonly split: 'val' | 'test';
  readonly instruction: string;
  readonly tests: readonly string[];
  readonly reference_code: string;
  readonly outcomes: Readonly<Record<string, RawOutcome>>;
}

function outcome(raw: RawTask, model: string): RawOutcome {
  const result = raw.outcomes[model];
  if (result === undefined) throw new Error(`routing dev set: ${raw.task_id} has no outcome for ${model}`);
  return result;
}

/** The prompt the models saw, as far as the dataset records it: the task sentence and the tests. */
export function promptOf(task: Pick<DevTask, 'instruction' | 'tests'>): string {
  return `${task.instruction}\n${task.tests.join('\n')}`;
}

/** Reads the development set from `../shared/data/routing-dev/` relative to the working directory (the repo root). */
export function loadDevSet(cwd: string = process.cwd()): DevTask[] {
  const path = resolve(cwd, ...DATA_PATH);
  if (!existsSync(path)) {
    throw new Error(
      `routing dev set not found at ${path}: run the bench from the repository root with shared/ beside it ` +
        '(../shared/data/routing-dev/mbpp-llama-ladder.jsonl)',
    );
  }
  const tasks: DevTask[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const raw = JSON.parse(line) as RawTask;
    const weak = outcome(raw, MODEL_WEAK);
    const mid = outcome(raw, MODEL_8B);
    const large = outcome(raw, MODEL_70B);
    const promptTokens = estimateTokens(promptOf(raw));
    tasks.push({
      taskId: raw.task_id,
      split: raw.split,
      instruction: raw.instruction,
      tests: raw.tests,
      referenceCode: raw.reference_code,
      weakPassed: weak.passed,
      strongPassed: mid.passed || large.passed,
      weakCost: (promptTokens + weak.completion_tokens) * PRICE_WEAK_PER_TOKEN,
      strongCost: (promptTokens + large.completion_tokens) * PRICE_STRONG_PER_TOKEN,
    });
  }
  return tasks;
}

export interface RoutingCurve {
  readonly weakQuality: number;
  readonly strongQuality: number;
  /** quality[k] with the k highest-scored tasks on the strong model, k = 0..N. */
  readonly quality: readonly number[];
  /** Cost of the routed mix over the cost of all-strong, k = 0..N. */
  readonly costShare: readonly number[];
}

export interface RoutingFigures {
  readonly tasks: number;
  readonly apgr: number;
  readonly costShareAt95: number;
  readonly callShareAt95: number;
}

/** The quality and cost curve of ranking `tasks` by `scores` (higher: harder, goes to the strong model first). */
export function routingCurve(tasks: readonly DevTask[], scores: readonly number[]): RoutingCurve {
  const n = tasks.length;
  const order = tasks.map((_, index) => index).sort((a, b) => scores[b]! - scores[a]!);
  let weakPasses = 0;
  let strongPasses = 0;
  let weakCostTotal = 0;
  let strongCostTotal = 0;
  for (const task of tasks) {
    weakPasses += task.weakPassed ? 1 : 0;
    strongPasses += task.strongPassed ? 1 : 0;
    weakCostTotal += task.weakCost;
    strongCostTotal += task.strongCost;
  }
  const quality: number[] = [weakPasses / n];
  const costShare: number[] = [weakCostTotal / strongCostTotal];
  let passes = weakPasses;
  let cost = weakCostTotal;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    // a tie group: each of its tasks is equally likely to be among the first ones routed
    let groupGain = 0;
    let groupCost = 0;
    for (let i = start; i < end; i++) {
      const task = tasks[order[i]!]!;
      groupGain += (task.strongPassed ? 1 : 0) - (task.weakPassed ? 1 : 0);
      groupCost += task.strongCost - task.weakCost;
    }
    const size = end - start;
    for (let taken = 1; taken <= size; taken++) {
      quality.push((passes + (groupGain * taken) / size) / n);
      costShare.push((cost + (groupCost * taken) / size) / strongCostTotal);
    }
    passes += groupGain;
    cost += groupCost;
    start = end;
  }
  return { weakQuality: weakPasses / n, strongQuality: strongPasses / n, quality, costShare };
}

export function routingFigures(tasks: readonly DevTask[], scores: readonly number[]): RoutingFigures {
  const curve = routingCurve(tasks, scores);
  const gap = curve.strongQuality - curve.weakQuality;
  let recovered = 0;
  for (const q of curve.quality) recovered += (q - curve.weakQuality) / gap;
  const target = QUALITY_KEPT * curve.strongQuality - 1e-12;
  let costShareAt95 = Number.POSITIVE_INFINITY;
  let callShareAt95 = Number.POSITIVE_INFINITY;
  curve.quality.forEach((q, k) => {
    if (q < target) return;
    costShareAt95 = Math.min(costShareAt95, curve.costShare[k]!);
    callShareAt95 = Math.min(callShareAt95, k / tasks.length);
  });
  return { tasks: tasks.length, apgr: recovered / curve.quality.length, costShareAt95, callShareAt95 };
}

/** The router's ranking: the complexity estimator's continuous score. */
export function routerScore(task: DevTask): number {
  return estimateComplexity({
    text: task.referenceCode,
    task: 'implement',
    language: 'python',
    instruction: promptOf(task),
  }).raw;
}

/** The baseline's ranking: the longer the prompt, the harder. */
export function lengthScore(task: DevTask): number {
  return estimateTokens(promptOf(task));
}

export interface SplitReport {
  readonly split: 'val' | 'test' | 'all';
  readonly router: RoutingFigures;
  readonly lengthBaseline: RoutingFigures;
  readonly random: RoutingFigures;
  /** Perfect foresight: strong-only wins first, weak-only wins last. The ceiling for any router. */
  readonly oracle: RoutingFigures;
}

export function routingDevReport(
  tasks: readonly DevTask[] = loadDevSet(),
  score: (task: DevTask) => number = routerScore,
): SplitReport[] {
  const splits = ['val', 'test', 'all'] as const;
  return splits.map((split) => {
    const subset = split === 'all' ? tasks : tasks.filter((task) => task.split === split);
    return {
      split,
      router: routingFigures(subset, subset.map(score)),
      lengthBaseline: routingFigures(subset, subset.map(lengthScore)),
      random: routingFigures(
        subset,
        subset.map(() => 0),
      ),
      oracle: routingFigures(
        subset,
        subset.map((task) => (task.strongPassed ? 1 : 0) - (task.weakPassed ? 1 : 0)),
      ),
    };
  });
}

function summary(figures: RoutingFigures): string {
  const { apgr, costShareAt95, callShareAt95 } = figures;
  return `apgr ${apgr.toFixed(3)} cost@95 ${costShareAt95.toFixed(3)} calls@95 ${callShareAt95.toFixed(3)}`;
}

/**
 * Targets: APGR >= 0.70 (the issue's). Cost share <= 0.80: keeping 95% of the strong model's quality while paying at
 * most 80% of its bill; a random router needs about 0.9 here (the 1B is far behind, so 95% of the strong quality
 * needs about 89% of the calls). The baseline's targets are what a random router gets: it only has to beat chance.
 */
export async function routingDevBench(): Promise<readonly Figure[]> {
  const reports = routingDevReport();
  for (const report of reports) {
    console.log(
      `# routing.dev ${report.split} (${report.router.tasks} tasks): router ${summary(report.router)}; ` +
        `length ${summary(report.lengthBaseline)}; random ${summary(report.random)}; oracle ${summary(report.oracle)}`,
    );
  }
  const test = reports.find((report) => report.split === 'test')!;
  return [
    { name: 'routing.dev_apgr', value: test.router.apgr, unit: 'ratio', op: '>=', target: 0.7 },
    { name: 'routing.dev_cost_share_at_95', value: test.router.costShareAt95, unit: 'ratio', op: '<=', target: 0.8 },
    { name: 'routing.dev_apgr_length_baseline', value: test.lengthBaseline.apgr, unit: 'ratio', op: '>=', target: 0.5 },
    {
      name: 'routing.dev_cost_share_at_95_length_baseline',
      value: test.lengthBaseline.costShareAt95,
      unit: 'ratio',
      op: '<=',
      target: Math.round(test.random.costShareAt95 * 1000) / 1000,
    },
  ];
}
