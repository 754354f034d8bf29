import { meets, printFigure } from './report';
import type { Figure } from './report';
import { complexityBench } from './complexity.bench';
import { dashboardBench } from './dashboard.bench';
import { extensionBench } from './extension.bench';
import { ledgerQueriesBench } from './ledgerQueries.bench';
import { ledgerStoreBench } from './ledgerStore.bench';
import { providerOverheadBench } from './providerOverhead.bench';
import { routerBench } from './router.bench';
import { routingDevBench } from './routingDev.bench';

/**
 * `npm run bench`: runs every benchmark and prints one BENCH line per figure. Exits 0 even when a target is
 * missed (the lines say so); exits 1 only when a benchmark fails to run. `--only <prefix>` runs a subset.
 */
const benches: ReadonlyArray<{ readonly name: string; readonly run: () => Promise<readonly Figure[]> }> = [
  { name: 'provider', run: providerOverheadBench },
  { name: 'complexity', run: complexityBench },
  { name: 'routing', run: routingDevBench },
  { name: 'router', run: routerBench },
  { name: 'ledger', run: ledgerQueriesBench },
  { name: 'ledger', run: ledgerStoreBench },
  { name: 'extension', run: extensionBench },
  { name: 'dashboard', run: dashboardBench },
];

async function main(): Promise<void> {
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
  const missed: string[] = [];
  for (const bench of benches) {
    if (only && !bench.name.startsWith(only)) continue;
    for (const figure of await bench.run()) {
      printFigure(figure);
      if (!meets(figure)) missed.push(figure.name);
    }
  }
  if (missed.length > 0) console.log(`# targets missed: ${missed.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
