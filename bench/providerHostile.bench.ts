import { execFile } from 'node:child_process';
import { join } from 'node:path';

import type { Figure } from './report';
import type { StreamMemoryResult } from './streamMemory.child';

/**
 * Memory of a provider that never stops talking: peak RSS growth while the router streams an endless answer until
 * `routing.maxAnswerChars` stops it, against a normal answer of the same length in the same run. Before the answer was
 * counted instead of kept, the endless stream grew the process without bound (2 GB in the field).
 */
const MAX_ANSWER_CHARS = 1_000_000;
const RUNS = 3;

function runChild(scenario: 'endless' | 'normal'): Promise<StreamMemoryResult> {
  const child = join(__dirname, 'streamMemory.child.ts');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '-r', 'tsx/cjs', child, scenario, String(MAX_ANSWER_CHARS)],
      { cwd: join(__dirname, '..'), maxBuffer: 1 << 20, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${scenario}: ${error.message}\n${stderr}`));
        const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as StreamMemoryResult;
        const expected = scenario === 'endless' ? 'interrupted' : 'answered';
        if (result.outcome !== expected) return reject(new Error(`${scenario}: outcome ${result.outcome}, expected ${expected}`));
        resolve(result);
      },
    );
  });
}

/** Median of three runs of each scenario, interleaved. */
export async function providerHostileBench(): Promise<readonly Figure[]> {
  const endless: number[] = [];
  const normal: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    normal.push((await runChild('normal')).peakGrowthMb);
    endless.push((await runChild('endless')).peakGrowthMb);
  }
  const mid = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const endlessMb = mid(endless);
  const normalMb = mid(normal);
  return [
    { name: 'provider.endless_stream_rss_growth_mb', value: endlessMb, unit: 'MB', op: '<=', target: 64 },
    { name: 'provider.normal_answer_rss_growth_mb', value: normalMb, unit: 'MB', op: '<=', target: 64 },
    // A floor of 1 MB under the baseline keeps the ratio meaningful when both are tiny.
    { name: 'provider.endless_vs_normal_rss_growth_ratio', value: endlessMb / Math.max(1, normalMb), unit: 'x', op: '<=', target: 2 },
  ];
}
