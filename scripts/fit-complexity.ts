/**
 * Fits the complexity estimator's instruction model (src/core/routing/complexityModel.ts) on the routing development
 * set and prints what the decision rests on: `npx tsx scripts/fit-complexity.ts` from the repository root (with
 * ../shared/data/routing-dev beside it). Takes a few seconds; reads nothing else and writes nothing.
 *
 * 1. The outcomes, and bounds: what a router that knew the outcomes, whether the light model fails, or how hard each
 *    task is could reach; and a model-based bound (a router that knew each task's true difficulty under a
 *    one-parameter item-response model fitted to the three models' outcomes, simulated).
 * 2. Single features: how well each ranks the tasks where routing up gains, and the tasks the light model fails.
 * 3. Cross-validated (5-fold by task x 10 repeats, refitting on the training folds) routing figures of the estimator,
 *    the prompt-length baseline, learned prompt-only logistic rankers with more features, and the estimator with
 *    other exchange rates between the fitted instruction evidence and the priors (POINTS_PER_LOGIT).
 * 4. The constants to paste into complexityModel.ts, fitted on all tasks.
 */
import { estimateComplexity } from '../src/core/routing/complexity';
import { INSTRUCTION_MODEL, POINTS_PER_LOGIT, instructionLengthFeature } from '../src/core/routing/complexityModel';
import type { InstructionModel } from '../src/core/routing/complexityModel';
import {
  CV_FOLDS,
  CV_REPEATS,
  INSTRUCTION_MODEL_L2,
  crossValidate,
  difficultyScore,
  fitInstructionModel,
  instructionTokensOf,
  lengthFoldScorer,
  lengthScore,
  lightFailsScore,
  loadDevSet,
  logisticRegression,
  oracleScore,
  promptOf,
  routerFoldScorer,
  routerInput,
  routerScore,
  routingFigures,
  strongGain,
} from '../bench/routingDev.bench';
import type { DevTask, FoldScorer, RoutingFigures } from '../bench/routingDev.bench';
import { seededRandom } from '../test/support/seededRandom';

function f3(value: number): string {
  return value.toFixed(3);
}

function summary(figures: RoutingFigures): string {
  return `apgr ${f3(figures.apgr)}  cost@95 ${f3(figures.costShareAt95)}  calls@95 ${f3(figures.callShareAt95)}`;
}

/** Area under the ROC curve of `scores` for `labels` (1 positive), ties counted half. */
function auc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Array<number>(scores.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    for (let i = start; i < end; i++) ranks[order[i]!] = (start + end + 1) / 2;
    start = end;
  }
  let positives = 0;
  let rankSum = 0;
  labels.forEach((label, i) => {
    if (label === 1) {
      positives++;
      rankSum += ranks[i]!;
    }
  });
  const negatives = labels.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / positives / negatives;
}

// ---------------------------------------------------------------------------------------------------------------
// Features a prompt-only ranker could use

interface TaskFeatures {
  readonly instructionLength: number;
  readonly longestInstructionLine: number;
  readonly codeTokens: number;
  readonly nesting: number;
  readonly branches: number;
  readonly functions: number;
}

function featuresOf(task: DevTask): TaskFeatures {
  const estimate = estimateComplexity(routerInput(task));
  const longest = Math.max(...promptOf(task).split('\n').map((line) => line.length));
  return {
    instructionLength: instructionLengthFeature(instructionTokensOf(task)),
    longestInstructionLine: Math.log2(1 + longest / 80),
    codeTokens: Math.log2(1 + estimate.features.tokens / 200),
    nesting: estimate.features.nestingDepth,
    branches: Math.log2(1 + estimate.features.branches / 4),
    functions: estimate.features.functions,
  };
}

/** A learned ranker: logistic regression of the gain label on the named features (standardized on the train folds). */
function logisticScorer(features: Map<DevTask, TaskFeatures>, names: readonly (keyof TaskFeatures)[]): FoldScorer {
  return (train, heldOut) => {
    const rowsOf = (tasks: readonly DevTask[]): number[][] =>
      tasks.map((task) => names.map((name) => features.get(task)![name]));
    const trainRows = rowsOf(train);
    const means = names.map((_, j) => trainRows.reduce((sum, row) => sum + row[j]!, 0) / trainRows.length);
    const sds = names.map((_, j) =>
      Math.sqrt(trainRows.reduce((sum, row) => sum + (row[j]! - means[j]!) ** 2, 0) / trainRows.length) || 1,
    );
    const standardize = (rows: number[][]): number[][] => rows.map((row) => row.map((v, j) => (v - means[j]!) / sds[j]!));
    const beta = logisticRegression(standardize(trainRows), train.map(strongGain), 1);
    return standardize(rowsOf(heldOut)).map((row) => row.reduce((z, v, j) => z + beta[j + 1]! * v, beta[0]!));
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A model-based bound: one latent difficulty per task (Rasch / one-parameter item response model)

/** Nelder-Mead minimization (enough for a handful of smooth parameters). */
function nelderMead(f: (x: number[]) => number, start: number[], step = 0.5, iterations = 4000): number[] {
  const n = start.length;
  let simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + step : v)))];
  let values = simplex.map(f);
  for (let it = 0; it < iterations; it++) {
    const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    simplex = order.map((i) => simplex[i]!);
    values = order.map((i) => values[i]!);
    if (Math.abs(values[n]! - values[0]!) < 1e-10) break;
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((sum, p) => sum + p[j]!, 0) / n);
    const along = (t: number): number[] => centroid.map((c, j) => c + t * (simplex[n]![j]! - c));
    const reflected = along(-1);
    const fr = f(reflected);
    if (fr < values[0]!) {
      const expanded = along(-2);
      const fe = f(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]!) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = along(0.5);
      const fc = f(contracted);
      if (fc < values[n]!) [simplex[n], values[n]] = [contracted, fc];
      else {
        simplex = simplex.map((p) => p.map((v, j) => simplex[0]![j]! + 0.5 * (v - simplex[0]![j]!)));
        values = simplex.map(f);
      }
    }
  }
  return simplex[0]!;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

interface RaschFit {
  /** Ability of the 1B, 8B and 70B. */
  readonly abilities: readonly [number, number, number];
  /** Spread (standard deviation) of the tasks' difficulties. */
  readonly spread: number;
  readonly patterns: ReadonlyArray<{ readonly pattern: string; readonly observed: number; readonly expected: number }>;
}

function fitRasch(tasks: readonly DevTask[]): RaschFit {
  const nodes = Array.from({ length: 121 }, (_, i) => -6 + i * 0.1);
  const rawWeights = nodes.map((z) => Math.exp(-(z * z) / 2));
  const total = rawWeights.reduce((a, b) => a + b, 0);
  const weights = rawWeights.map((w) => w / total);
  const outcomes = tasks.map((task) => [task.weakPassed, task.midPassed, task.largePassed]);
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.map((p) => (p ? '1' : '0')).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const patternProbability = (params: number[], key: string): number => {
    const spread = Math.exp(params[3]!);
    let probability = 0;
    nodes.forEach((z, i) => {
      let p = weights[i]!;
      for (let m = 0; m < 3; m++) {
        const pass = sigmoid(params[m]! - spread * z);
        p *= key[m] === '1' ? pass : 1 - pass;
      }
      probability += p;
    });
    return probability;
  };
  const negativeLogLikelihood = (params: number[]): number => {
    let nll = 0;
    for (const [key, count] of counts) nll -= count * Math.log(patternProbability(params, key));
    return nll;
  };
  const best = nelderMead(negativeLogLikelihood, [0, 0, 0, 0]);
  const patterns = ['000', '001', '010', '011', '100', '101', '110', '111'].map((pattern) => ({
    pattern,
    observed: counts.get(pattern) ?? 0,
    expected: patternProbability(best, pattern) * tasks.length,
  }));
  return { abilities: [best[0]!, best[1]!, best[2]!], spread: Math.exp(best[3]!), patterns };
}

/** Simulated APGR of routers that know each task's true difficulty, on sets of `size` tasks drawn from the fit. */
function simulateBound(fit: RaschFit, size: number, repeats: number): { gain: number; difficulty: number; oracle: number } {
  const next = seededRandom(42);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const sums = { gain: 0, difficulty: 0, oracle: 0 };
  for (let r = 0; r < repeats; r++) {
    const tasks: DevTask[] = [];
    const gain: number[] = [];
    const difficulty: number[] = [];
    for (let i = 0; i < size; i++) {
      const b = fit.spread * normal();
      const p = fit.abilities.map((a) => sigmoid(a - b));
      const [weak, mid, large] = p.map((q) => next() < q);
      tasks.push({
        taskId: `sim/${i}`,
        split: 'test',
        instruction: '',
        tests: [],
        referenceCode: '',
        weakCompletion: '',
        weakPassed: weak!,
        strongPassed: mid! || large!,
        midPassed: mid!,
        largePassed: large!,
        weakCost: 1,
        strongCost: 2,
      });
      gain.push(1 - (1 - p[1]!) * (1 - p[2]!) - p[0]!);
      difficulty.push(b);
    }
    sums.gain += routingFigures(tasks, gain).apgr;
    sums.difficulty += routingFigures(tasks, difficulty).apgr;
    sums.oracle += routingFigures(tasks, tasks.map(oracleScore)).apgr;
  }
  return { gain: sums.gain / repeats, difficulty: sums.difficulty / repeats, oracle: sums.oracle / repeats };
}

// ---------------------------------------------------------------------------------------------------------------

function main(): void {
  const tasks = loadDevSet();
  const test = tasks.filter((task) => task.split === 'test');
  const patterns = new Map<string, number>();
  for (const task of tasks) {
    const key = `1B ${task.weakPassed ? 'pass' : 'fail'}, 8B or 70B ${task.strongPassed ? 'pass' : 'fail'}`;
    patterns.set(key, (patterns.get(key) ?? 0) + 1);
  }
  console.log(`# ${tasks.length} tasks (${test.length} test)`);
  for (const [key, count] of [...patterns].sort()) console.log(`  ${key}: ${count}`);

  console.log('\n# 1. Bounds (in-sample; all tasks | test split)');
  const bound = (name: string, score: (task: DevTask) => number): void => {
    console.log(
      `  ${name.padEnd(44)} ${summary(routingFigures(tasks, tasks.map(score)))} | test apgr ` +
        f3(routingFigures(test, test.map(score)).apgr),
    );
  };
  bound('oracle (knows every outcome)', oracleScore);
  bound('light-fails oracle (knows if the 1B fails)', lightFailsScore);
  bound('difficulty oracle (how many of 3 models fail)', difficultyScore);
  const rasch = fitRasch(tasks);
  console.log(
    `  item-response fit: abilities 1B ${f3(rasch.abilities[0])}, 8B ${f3(rasch.abilities[1])}, ` +
      `70B ${f3(rasch.abilities[2])}; task difficulty spread ${f3(rasch.spread)}`,
  );
  console.log(
    `  outcome patterns (1B 8B 70B) observed/expected: ` +
      rasch.patterns.map((p) => `${p.pattern} ${p.observed}/${p.expected.toFixed(1)}`).join(', '),
  );
  const simulated = simulateBound(rasch, 500, 200);
  console.log(
    `  simulated, 500 tasks x 200: a router that knows each task's true difficulty and ranks by expected gain ` +
      `apgr ${f3(simulated.gain)}; ranking hardest first apgr ${f3(simulated.difficulty)}; outcome oracle ` +
      f3(simulated.oracle),
  );

  console.log('\n# 2. Single features (all tasks): AUC for "routing up gains" and for "the 1B fails"; apgr');
  const features = new Map(tasks.map((task) => [task, featuresOf(task)] as const));
  const gainLabels = tasks.map(strongGain);
  const failLabels = tasks.map((task) => (task.weakPassed ? 0 : 1));
  const single = (name: string, score: (task: DevTask) => number): void => {
    const scores = tasks.map(score);
    console.log(
      `  ${name.padEnd(28)} AUC gain ${f3(auc(scores, gainLabels))}  AUC 1B fails ${f3(auc(scores, failLabels))}  ` +
        `apgr ${f3(routingFigures(tasks, scores).apgr)}`,
    );
  };
  single('prompt tokens (baseline)', lengthScore);
  for (const name of Object.keys(features.get(tasks[0]!)!) as (keyof TaskFeatures)[]) {
    single(name, (task) => features.get(task)![name]);
  }
  single('estimator (committed)', (task) => routerScore(task));

  console.log(`\n# 3. Cross-validated (${CV_FOLDS}-fold by task x ${CV_REPEATS}, refit on the training folds)`);
  const cv = (name: string, scorer: FoldScorer): void => {
    console.log(`  ${name.padEnd(52)} ${summary(crossValidate(tasks, scorer).mean)}`);
  };
  cv('prompt-length baseline', lengthFoldScorer);
  cv(`estimator (${POINTS_PER_LOGIT} points per logit, the committed rate)`, routerFoldScorer);
  for (const rate of [1, 4, 8]) {
    cv(`estimator at ${rate} points per logit`, (train, heldOut) => {
      const fitted = fitInstructionModel(train);
      const model: InstructionModel = { ...fitted, lengthSlope: (fitted.lengthSlope * rate) / POINTS_PER_LOGIT };
      return heldOut.map((task) => routerScore(task, model));
    });
  }
  cv('logistic: instruction length', logisticScorer(features, ['instructionLength']));
  cv('logistic: + longest instruction line', logisticScorer(features, ['instructionLength', 'longestInstructionLine']));
  cv(
    'logistic: + code tokens, nesting, branches, functions',
    logisticScorer(features, ['instructionLength', 'longestInstructionLine', 'codeTokens', 'nesting', 'branches', 'functions']),
  );

  console.log('\n# 4. Fitted on all tasks: paste into src/core/routing/complexityModel.ts');
  const model = fitInstructionModel(tasks);
  console.log(`  L2 ${INSTRUCTION_MODEL_L2}; committed now: ${JSON.stringify(INSTRUCTION_MODEL)}`);
  console.log(`  intercept: ${model.intercept.toFixed(4)},`);
  console.log(`  lengthSlope: ${model.lengthSlope.toFixed(4)},`);
}

main();
