import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { budgetHoldsBench } from './budgetHolds.bench';
import { complexityBench } from './complexity.bench';
import { configBench } from './config.bench';
import { dashboardBench } from './dashboard.bench';
import { extensionBench } from './extension.bench';
import { ledgerQueriesBench } from './ledgerQueries.bench';
import { ledgerStoreBench } from './ledgerStore.bench';
import { providerHostileBench } from './providerHostile.bench';
import { providerOverheadBench } from './providerOverhead.bench';
import type { Figure } from './report';
import { meets, printFigure } from './report';
import { routerBench } from './router.bench';
import { routingDevBench } from './routingDev.bench';
import { verifyBench } from './verify.bench';
import { verifyJavascriptBench } from './verifyJavascript.bench';
import { verifySandboxBench } from './verifySandbox.bench';

/**
 * `npm run bench`: runs every benchmark and prints one BENCH line per figure. Exits 0 even when a target is
 * missed (the lines say so); exits 1 only when a benchmark fails to run. `--only <prefix>` runs a subset.
 *
 * Each benchmark runs in its own process (this script again, with `--one <index>` and the same Node flags), so
 * none is measured in a heap, file cache or JIT state an earlier one left behind (the ledger queries bench alone
 * leaves a million rows' worth of garbage).
 */
const benches: ReadonlyArray<{ readonly name: string; readonly run: () => Promise<readonly Figure[]> }> = [
  { name: 'provider', run: providerOverheadBench },
  { name: 'provider', run: providerHostileBench },
  { name: 'complexity', run: complexityBench },
  { name: 'config', run: configBench },
  { name: 'routing', run: routingDevBench },
  { name: 'verify', run: verifyBench },
  { name: 'router', run: routerBench },
  { name: 'budget', run: budgetHoldsBench },
  { name: 'ledger', run: ledgerQueriesBench },
  { name: 'ledger', run: ledgerStoreBench },
  { name: 'extension', run: extensionBench },
  { name: 'dashboard', run: dashboardBench },
  { name: 'verify', run: verifySandboxBench },
  { name: 'verify', run: verifyJavascriptBench },
];

/** The line a child ends with: the names of the figures that missed their targets. */
const MISSED_PREFIX = '#missed ';

function argument(flag: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** In the child: runs one benchmark, prints its figures, then the missed line. */
async function runOne(index: number): Promise<void> {
  const bench = benches[index];
  if (!bench) throw new Error(`no benchmark ${index}`);
  const missed: string[] = [];
  for (const figure of await bench.run()) {
    printFigure(figure);
    if (!meets(figure)) missed.push(figure.name);
  }
  console.log(`${MISSED_PREFIX}${missed.join(',')}`);
}

/** In the parent: runs benchmark `index` in a child process, passing its output through; returns what it missed. */
function runChild(index: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename, '--one', String(index)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const missed: string[] = [];
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith(MISSED_PREFIX)) missed.push(...line.slice(MISSED_PREFIX.length).split(',').filter(Boolean));
      else console.log(line);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(missed) : reject(new Error(`benchmark ${benches[index]!.name} exited with code ${code}`))));
  });
}

async function main(): Promise<void> {
  const one = argument('--one');
  if (one !== undefined) return runOne(Number(one));
  const only = argument('--only');
  const missed: string[] = [];
  for (const [index, bench] of benches.entries()) {
    if (only && !bench.name.startsWith(only)) continue;
    missed.push(...(await runChild(index)));
  }
  if (missed.length > 0) console.log(`# targets missed: ${missed.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
