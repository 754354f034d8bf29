import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { ComplexityInput } from '../src/core/routing/complexity';
import { estimateComplexity } from '../src/core/routing/complexity';
import { estimateTokens } from '../src/core/routing/tokenEstimate';
import { seededRandom } from '../test/support/seededRandom';
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
 * - APGR = the area under PGR(k) = (quality(k) - weak quality) / (strong quality - weak quality) against the share
 *   of strong calls k/N, by the trapezoid rule: RouteLLM's definition (routellm/evals/evaluate.py integrates the
 *   accuracy curve with np.trapz and normalizes by the weak and strong areas), with every k instead of RouteLLM's
 *   ten thresholds. Random: exactly 0.5.
 * - cost share at 95% = the least (cost of the routed mix) / (cost of sending everything to the strong model) at
 *   which quality(k) >= 0.95 x strong quality (RouteLLM's "95% of GPT-4 quality"; here about 90% of the gap). Cost
 *   per task = (prompt tokens + the model's completion tokens) x price, with the README's illustrative prices: weak
 *   (1B) $0.03 and strong (priced as the 70B, with the 70B's completion tokens) $0.88 per million tokens; prompt
 *   tokens estimated from the instruction plus the tests.
 *
 * The estimator sees what an editor request would: the instruction (MBPP's task sentence plus its tests, which the
 * models saw in their prompts) and the selected code (MBPP's reference solution), task `implement`, language Python.
 *
 * Nothing is fitted to this set (the team's rule: the router is judged on data it never saw). The score is checked
 * here, never tuned here. The `_cv` figures average the same rankings over held-out folds (5-fold by task, repeated
 * 10 times with seeded shuffles), paired with the length baseline on the same folds, so the per-fold differences
 * say how often the score is ahead; with nothing trained, they measure the spread of the comparison, not
 * overfitting (a figure averaged over folds of ~118 tasks differs a little from the same ranking's figure on all
 * 590: compare `_cv` figures with each other).
 *
 * Bounds, printed on `#` lines. The oracle knows every outcome (strong-only wins first, weak-only wins last). Two
 * more show what a complexity score can reach even when perfect: "light fails" knows whether the 1B fails and ranks
 * those tasks first (a score that only says "too hard for the light model", however accurate, does no better
 * unless it also knows whether the strong models pass), and "difficulty" knows how many of the three models fail
 * and ranks the hardest first. On this set they reach about 0.70 and 0.44:
 * the hardest tasks are the ones no model solves, so routing them up gains nothing, and which tasks the 1B fails is
 * noisy (one sample at temperature 0.7). No prompt-only score comes near the 0.70 target here; checking the light
 * model's answer does (verify.bench.ts, the cascade).
 */

const MODEL_WEAK = 'llama-3.2-1b-instruct';
const MODEL_8B = 'llama-3.1-8b-instruct';
const MODEL_70B = 'llama-3.3-70b-instruct';
const PRICE_WEAK_PER_TOKEN = 0.03 / 1e6;
const PRICE_STRONG_PER_TOKEN = 0.88 / 1e6;
const QUALITY_KEPT = 0.95;
const DATA_PATH = ['..', 'shared', 'data', 'routing-dev', 'mbpp-llama-ladder.jsonl'] as const;

/** Cross-validation: folds and repeats (each a seeded shuffle). */
export const CV_FOLDS = 5;
export const CV_REPEATS = 10;

export interface DevTask {
  readonly taskId: string;
  readonly split: 'val' | 'test';
  readonly instruction: string;
  readonly tests: readonly string[];
  readonly referenceCode: string;
  /** The 1B's raw answer (markdown and prose included): what a cascade checks. Never read its outcome with it. */
  readonly weakCompletion: string;
  readonly weakPassed: boolean;
  readonly strongPassed: boolean;
  /** The two strong models' own outcomes (strongPassed is either). */
  readonly midPassed: boolean;
  readonly largePassed: boolean;
  readonly weakCost: number;
  readonly strongCost: number;
}

interface RawOutcome {
  readonly passed: boolean;
  readonly completion_tokens: number;
  readonly completion: string;
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
      weakCompletion: weak.completion,
      weakPassed: weak.passed,
      strongPassed: mid.passed || large.passed,
      midPassed: mid.passed,
      largePassed: large.passed,
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

export interface CurveOptions {
  /**
   * A cascade: every task is first answered by the weak model, so a task sent on to the strong one costs both calls
   * (the cost share is still against sending everything straight to the strong model).
   */
  readonly cheapAlwaysPaid?: boolean;
}

/** The quality and cost curve of ranking `tasks` by `scores` (higher: harder, goes to the strong model first). */
export function routingCurve(tasks: readonly DevTask[], scores: readonly number[], options: CurveOptions = {}): RoutingCurve {
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
      groupCost += options.cheapAlwaysPaid ? task.strongCost : task.strongCost - task.weakCost;
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

export function routingFigures(tasks: readonly DevTask[], scores: readonly number[], options: CurveOptions = {}): RoutingFigures {
  const curve = routingCurve(tasks, scores, options);
  const gap = curve.strongQuality - curve.weakQuality;
  const n = curve.quality.length - 1;
  // trapezoid rule over k/N = 0..1, as RouteLLM's np.trapz
  let area = 0;
  for (let k = 1; k <= n; k++) {
    area += ((curve.quality[k - 1]! - curve.weakQuality) / gap + (curve.quality[k]! - curve.weakQuality) / gap) / 2;
  }
  const target = QUALITY_KEPT * curve.strongQuality - 1e-12;
  let costShareAt95 = Number.POSITIVE_INFINITY;
  let callShareAt95 = Number.POSITIVE_INFINITY;
  curve.quality.forEach((q, k) => {
    if (q < target) return;
    costShareAt95 = Math.min(costShareAt95, curve.costShare[k]!);
    callShareAt95 = Math.min(callShareAt95, k / tasks.length);
  });
  return { tasks: tasks.length, apgr: area / n, costShareAt95, callShareAt95 };
}

/** What the estimator sees for a task: the prompt as instruction, the reference solution as the selection. */
export function routerInput(task: DevTask): ComplexityInput {
  return { text: task.referenceCode, task: 'implement', language: 'python', instruction: promptOf(task) };
}

/** The router's ranking: the complexity estimator's continuous score. */
export function routerScore(task: DevTask): number {
  return estimateComplexity(routerInput(task)).raw;
}

/** The baseline's ranking: the longer the prompt, the harder. */
export function lengthScore(task: DevTask): number {
  return estimateTokens(promptOf(task));
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-validation

/** `k` folds of task indices after a seeded shuffle of the tasks sorted by id (every task is one MBPP problem). */
export function crossValidationFolds(tasks: readonly DevTask[], k: number, seed: number): number[][] {
  const byId = tasks.map((_, index) => index).sort((a, b) => taskNumber(tasks[a]!) - taskNumber(tasks[b]!));
  const next = seededRandom(seed);
  for (let i = byId.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [byId[i], byId[j]] = [byId[j]!, byId[i]!];
  }
  return Array.from({ length: k }, (_, fold) => byId.filter((_, position) => position % k === fold));
}

function taskNumber(task: DevTask): number {
  const number = Number(task.taskId.replace(/^\D+/, ''));
  return Number.isFinite(number) ? number : 0;
}

/** Scores the held-out tasks (`train` is there for a scorer that learns; none of ours does). */
export type FoldScorer = (train: readonly DevTask[], heldOut: readonly DevTask[]) => number[];

export interface CrossValidated {
  /** Figures averaged over every held-out fold of every repeat. */
  readonly mean: RoutingFigures;
  /** One entry per held-out fold (repeat-major), for paired comparisons on the same folds. */
  readonly folds: readonly RoutingFigures[];
}

export function crossValidate(
  tasks: readonly DevTask[],
  scorer: FoldScorer,
  k = CV_FOLDS,
  repeats = CV_REPEATS,
): CrossValidated {
  const folds: RoutingFigures[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const split = crossValidationFolds(tasks, k, 1000 + repeat);
    for (const fold of split) {
      const inFold = new Set(fold);
      const heldOut = fold.map((index) => tasks[index]!);
      const train = tasks.filter((_, index) => !inFold.has(index));
      folds.push(routingFigures(heldOut, scorer(train, heldOut)));
    }
  }
  const average = (pick: (figures: RoutingFigures) => number): number =>
    folds.reduce((sum, figures) => sum + pick(figures), 0) / folds.length;
  return {
    mean: {
      tasks: tasks.length,
      apgr: average((figures) => figures.apgr),
      costShareAt95: average((figures) => figures.costShareAt95),
      callShareAt95: average((figures) => figures.callShareAt95),
    },
    folds,
  };
}

export const routerFoldScorer: FoldScorer = (_train, heldOut) => heldOut.map((task) => routerScore(task));

export const lengthFoldScorer: FoldScorer = (_train, heldOut) => heldOut.map(lengthScore);

// ---------------------------------------------------------------------------------------------------------------
// Report

/** Perfect foresight: strong-only wins first, weak-only wins last. The ceiling for any router. */
export function oracleScore(task: DevTask): number {
  return (task.strongPassed ? 1 : 0) - (task.weakPassed ? 1 : 0);
}

/** Knows whether the light model fails, nothing more: the best a "too hard for the light model?" estimate can do. */
export function lightFailsScore(task: DevTask): number {
  return task.weakPassed ? 0 : 1;
}

/** Knows how many of the three models fail and ranks the hardest first: a perfect difficulty ranking. */
export function difficultyScore(task: DevTask): number {
  return (task.weakPassed ? 0 : 1) + (task.midPassed ? 0 : 1) + (task.largePassed ? 0 : 1);
}

export interface SplitReport {
  readonly split: 'val' | 'test' | 'all';
  readonly router: RoutingFigures;
  readonly lengthBaseline: RoutingFigures;
  readonly random: RoutingFigures;
  /** Perfect foresight: strong-only wins first, weak-only wins last. The ceiling for any router. */
  readonly oracle: RoutingFigures;
  /** Perfect knowledge of whether the light model fails. */
  readonly lightFailsOracle: RoutingFigures;
  /** Perfect difficulty ranking (how many of the three models fail). */
  readonly difficultyOracle: RoutingFigures;
}

export function routingDevReport(
  tasks: readonly DevTask[] = loadDevSet(),
  score: (task: DevTask) => number = (task) => routerScore(task),
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
      oracle: routingFigures(subset, subset.map(oracleScore)),
      lightFailsOracle: routingFigures(subset, subset.map(lightFailsScore)),
      difficultyOracle: routingFigures(subset, subset.map(difficultyScore)),
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
 * The `_cv` figures have the same targets as their in-sample twins.
 */
export async function routingDevBench(): Promise<readonly Figure[]> {
  const tasks = loadDevSet();
  const reports = routingDevReport(tasks);
  for (const report of reports) {
    console.log(
      `# routing.dev ${report.split} (${report.router.tasks} tasks): router ${summary(report.router)}; ` +
        `length ${summary(report.lengthBaseline)}; random ${summary(report.random)}`,
    );
    console.log(
      `# routing.dev ${report.split} bounds: oracle ${summary(report.oracle)}; ` +
        `light-fails oracle ${summary(report.lightFailsOracle)}; difficulty oracle ${summary(report.difficultyOracle)}`,
    );
  }
  const router = crossValidate(tasks, routerFoldScorer);
  const length = crossValidate(tasks, lengthFoldScorer);
  const random = crossValidate(tasks, (_train, heldOut) => heldOut.map(() => 0));
  const differences = router.folds.map((figures, i) => figures.apgr - length.folds[i]!.apgr);
  const meanDifference = differences.reduce((sum, d) => sum + d, 0) / differences.length;
  const wins = differences.filter((d) => d > 0).length;
  console.log(
    `# routing.dev cv (${CV_FOLDS}-fold x ${CV_REPEATS}, all ${tasks.length} tasks, per held-out fold of ` +
      `~${Math.round(tasks.length / CV_FOLDS)}): router ${summary(router.mean)}; length ${summary(length.mean)}; ` +
      `random ${summary(random.mean)}`,
  );
  console.log(
    `# routing.dev cv: router - length apgr ${meanDifference >= 0 ? '+' : ''}${meanDifference.toFixed(3)} ` +
      `on average, router ahead on ${wins} of ${differences.length} folds`,
  );
  const test = reports.find((report) => report.split === 'test')!;
  const randomCost = (figures: RoutingFigures): number => Math.round(figures.costShareAt95 * 1000) / 1000;
  return [
    { name: 'routing.dev_apgr', value: test.router.apgr, unit: 'ratio', op: '>=', target: 0.7 },
    { name: 'routing.dev_cost_share_at_95', value: test.router.costShareAt95, unit: 'ratio', op: '<=', target: 0.8 },
    { name: 'routing.dev_apgr_length_baseline', value: test.lengthBaseline.apgr, unit: 'ratio', op: '>=', target: 0.5 },
    {
      name: 'routing.dev_cost_share_at_95_length_baseline',
      value: test.lengthBaseline.costShareAt95,
      unit: 'ratio',
      op: '<=',
      target: randomCost(test.random),
    },
    { name: 'routing.dev_apgr_cv', value: router.mean.apgr, unit: 'ratio', op: '>=', target: 0.7 },
    { name: 'routing.dev_cost_share_at_95_cv', value: router.mean.costShareAt95, unit: 'ratio', op: '<=', target: 0.8 },
    { name: 'routing.dev_apgr_cv_length_baseline', value: length.mean.apgr, unit: 'ratio', op: '>=', target: 0.5 },
    {
      name: 'routing.dev_cost_share_at_95_cv_length_baseline',
      value: length.mean.costShareAt95,
      unit: 'ratio',
      op: '<=',
      target: randomCost(random.mean),
    },
  ];
}
