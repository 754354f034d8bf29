/**
 * Measures the Python check on the routing dev set (MBPP, Llama ladder): the request is the task sentence plus MBPP's
 * FIRST test as an assert example, the answer is Llama-3.2-1B's completion (code extracted with extractCode), and the
 * verdict is compared with the answer key's result of that first test. Nothing is tuned to it: it is measured only.
 *
 * The source generated every completion after a prompt that had already opened a ```python fence, so a completion is
 * code, a closing fence and prose. `--prefill-fence` puts that opening fence back before extracting (the answer as
 * the model wrote it); without it the completion is extracted as stored.
 *
 *   npx tsx scripts/verify-python-dev.ts [--prefill-fence] [--python /path/to/python3] [--limit N] [--concurrency 2]
 *     [--show-disagreements]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { extractCode } from '../src/core/routing/answer';
import { pythonCheck } from '../src/core/verify/python';
import { ProcessSandbox } from '../src/core/verify/sandbox';
import type { CheckResult, VerdictKind } from '../src/core/verify/types';
import { DEFAULT_VERIFY_LIMITS } from '../src/core/verify/types';

const DATA = '/work/shared/data/routing-dev/mbpp-llama-ladder.jsonl';
const MODEL = 'llama-3.2-1b-instruct';

interface Row {
  readonly task_id: string;
  readonly instruction: string;
  readonly tests: readonly string[];
  readonly outcomes: Record<string, { completion: string; passed: boolean; test_results: readonly boolean[] }>;
}

/** The key's test_results are NOT in the order of `tests`: every mixed list in the file is sorted (false first), so
 * test_results[0] is "some test failed". Only a uniform list says what the first test gave. */
function uniform(results: readonly boolean[]): boolean {
  return results.every((value) => value === results[0]);
}

function argument(flag: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** The verdict rule the orchestrator applies: a failed check (parse included) fails; any check run and all passed passes. */
function verdictOf(results: readonly CheckResult[]): VerdictKind {
  if (results.some((result) => result.status === 'failed')) return 'fail';
  return results.some((result) => result.kind !== 'parse' && result.status === 'passed') ? 'pass' : 'unknown';
}

async function main(): Promise<void> {
  const python = argument('--python') ?? execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  const limit = Number(argument('--limit') ?? Infinity);
  const concurrency = Number(argument('--concurrency') ?? 2);
  const rows = readFileSync(DATA, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Row)
    .slice(0, limit);
  const sandbox = new ProcessSandbox();
  const outcomes: Array<{ id: string; verdict: VerdictKind; key: boolean; uniform: boolean; all: boolean; results: CheckResult[]; from: string; ms: number }> = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const row = rows[next++]!;
      const outcome = row.outcomes[MODEL]!;
      const instruction = `${row.instruction}\n${row.tests[0]}`;
      const request = { task: 'implement' as const, language: 'python', original: '', instruction };
      const answer = process.argv.includes('--prefill-fence') ? `\`\`\`python\n${outcome.completion}` : outcome.completion;
      const extracted = extractCode(answer);
      const code = extracted?.code ?? '';
      const t = performance.now();
      const results = await pythonCheck.run({
        request: { ...request, answer },
        language: 'python',
        code,
        planned: pythonCheck.plan(request, 'python'),
        sandbox,
        runtimes: { python: { command: python, args: [] } },
        limits: DEFAULT_VERIFY_LIMITS,
      });
      outcomes.push({ id: row.task_id, verdict: verdictOf(results), key: outcome.test_results[0] === true, uniform: uniform(outcome.test_results), all: outcome.passed === true, results, from: extracted?.from ?? 'none', ms: performance.now() - t });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const count = (verdict: VerdictKind): number => outcomes.filter((o) => o.verdict === verdict).length;
  const decided = outcomes.filter((o) => o.verdict !== 'unknown');
  const agree = decided.filter((o) => (o.verdict === 'pass') === o.key).length;
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  console.log(`answers ${outcomes.length}  pass ${count('pass')}  fail ${count('fail')}  unknown ${count('unknown')}`);
  console.log(`key (first test passed) ${outcomes.filter((o) => o.key).length}`);
  console.log(`agreement on decided ${agree}/${decided.length} = ${(agree / decided.length).toFixed(3)}`);
  const sure = decided.filter((o) => o.uniform);
  const sureAgree = sure.filter((o) => (o.verdict === 'pass') === o.key).length;
  console.log(`agreement where the key is uniform (all tests pass or all fail) ${sureAgree}/${sure.length} = ${(sureAgree / sure.length).toFixed(3)}`);
  console.log(`verdict pass and every MBPP test passes ${outcomes.filter((o) => o.verdict === 'pass' && o.all).length}/${count('pass')}; verdict fail and some test fails ${outcomes.filter((o) => o.verdict === 'fail' && !o.all).length}/${count('fail')}`);
  console.log(`false pass (verdict pass, key fail) ${decided.filter((o) => o.verdict === 'pass' && !o.key).length}`);
  console.log(`false fail (verdict fail, key pass) ${decided.filter((o) => o.verdict === 'fail' && o.key).length}`);
  console.log(`unknown with key pass ${outcomes.filter((o) => o.verdict === 'unknown' && o.key).length}`);
  console.log(`parse failed ${outcomes.filter((o) => o.results[0]?.status === 'failed').length}; extraction: ${['block', 'longest-block', 'whole-answer', 'none'].map((f) => `${f} ${outcomes.filter((o) => o.from === f).length}`).join(', ')}`);
  console.log(`run ms median ${ms[Math.floor(ms.length / 2)]!.toFixed(0)} p90 ${ms[Math.floor(ms.length * 0.9)]!.toFixed(0)}; ${(outcomes.length / seconds).toFixed(1)} answers/s at concurrency ${concurrency}`);
  if (process.argv.includes('--show-disagreements')) {
    for (const o of outcomes) {
      if (o.verdict === 'unknown' || (o.verdict === 'pass') !== o.key) {
        const failure = o.results.find((r) => r.status !== 'passed') ?? o.results[o.results.length - 1];
        console.log(`${o.id} verdict=${o.verdict} key=${o.key} uniform=${o.uniform} from=${o.from} ${failure?.kind}:${failure?.status} ${failure?.detail ?? ''} ${failure?.expected ?? ''} ${failure?.got ?? ''}`);
      }
    }
  }
}

void main();
