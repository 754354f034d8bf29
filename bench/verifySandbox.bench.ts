import { spawn } from 'node:child_process';

import { detectSandbox } from '../src/core/verify/isolation';
import { detectRuntimes } from '../src/core/verify/runtimes';
import type { Sandbox } from '../src/core/verify/sandbox';
import { DEFAULT_VERIFY_LIMITS } from '../src/core/verify/types';
import type { Figure } from './report';
import { median } from './report';

/**
 * What the sandbox adds to one run of model-written code, interleaved with its baseline in the same run:
 * - verify.sandbox_overhead_median_ms: median wall time of `python3 -c pass` through the best sandbox this machine
 *   offers (temp folder, files, wrapper, namespaces, clean-up) minus the median of a plain spawn of the same.
 * - verify.sandbox_overhead_<method>_median_ms: the same for each method that works here (a method that does not is
 *   left out; the `#` line says which sandbox the headline figure used).
 */
const RUNS = Number(process.env.BENCH_VERIFY_RUNS ?? 40);
const WARMUP = 5;

function plainRun(command: string, args: readonly string[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`python exited with ${code}`))));
  });
}

async function sandboxRun(sandbox: Sandbox, command: string, args: readonly string[]): Promise<number> {
  const start = performance.now();
  const result = await sandbox.run({ command, args, ...DEFAULT_VERIFY_LIMITS });
  if (result.exitCode !== 0) throw new Error(`sandboxed python failed: ${result.spawnError ?? result.stderr}`);
  return performance.now() - start;
}

/** Interleaved medians: [sandboxed, plain]. */
async function overhead(sandbox: Sandbox, command: string, args: readonly string[]): Promise<number> {
  for (let i = 0; i < WARMUP; i += 1) {
    await sandboxRun(sandbox, command, args);
    await plainRun(command, args);
  }
  const inside: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    inside.push(await sandboxRun(sandbox, command, args));
    plain.push(await plainRun(command, args));
  }
  return median(inside) - median(plain);
}

export async function verifySandboxBench(): Promise<readonly Figure[]> {
  const runtimes = await detectRuntimes({ host: 'cli' });
  if (!runtimes.python) throw new Error('the sandbox benchmark needs python3');
  const command = runtimes.python.command;
  const args = ['-I', '-S', '-c', 'pass'];
  const best = await detectSandbox();
  console.log(`# verify sandbox here: ${best.isolation.method} (${best.isolation.level}); python: ${command}`);
  const figures: Figure[] = [
    { name: 'verify.sandbox_overhead_median_ms', value: await overhead(best, command, args), unit: 'ms', op: '<=', target: 50 },
  ];
  const variants = [
    { name: 'bwrap', prefer: 'bwrap', level: 'full' },
    { name: 'unshare_full', prefer: 'unshare', level: 'full' },
    { name: 'unshare_network', prefer: 'unshare', level: 'network' },
    { name: 'process', prefer: 'process', level: 'none' },
  ] as const;
  for (const variant of variants) {
    const sandbox = await detectSandbox({ prefer: variant.prefer, level: variant.level });
    if (sandbox.isolation.method !== variant.prefer || sandbox.isolation.level !== variant.level) continue;
    figures.push({ name: `verify.sandbox_overhead_${variant.name}_median_ms`, value: await overhead(sandbox, command, args), unit: 'ms', op: '<=', target: 50 });
  }
  return figures;
}
