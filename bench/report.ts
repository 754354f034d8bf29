import { monitorEventLoopDelay } from 'node:perf_hooks';

/** One benchmark figure, printed as `BENCH <name> <value> <unit> (target <op> <value>)`. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly op: '<=' | '>=';
  readonly target: number;
}

export function meets(figure: Figure): boolean {
  return figure.op === '<=' ? figure.value <= figure.target : figure.value >= figure.target;
}

function format(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(1) : abs >= 1 ? value.toFixed(3) : value.toFixed(4);
}

export function printFigure(figure: Figure): void {
  console.log(`BENCH ${figure.name} ${format(figure.value)} ${figure.unit} (target ${figure.op} ${figure.target})`);
}

/** Percentile by nearest rank over a copy of the samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The middle sample (the upper one of an even count). */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median time of `runs` calls of `run` in ms, after one warm-up call. */
export function medianTime(runs: number, run: () => void): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** The longest time this thread could not run a 1 ms timer while `work` ran (event-loop delay monitor), in ms. */
export async function longestStall(work: () => Promise<unknown>): Promise<number> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  try {
    await work();
  } finally {
    loop.disable();
  }
  return loop.max / 1e6;
}

/** The longest stall of this thread doing nothing for `ms`: the baseline for {@link longestStall}. */
export function idleStall(ms: number): Promise<number> {
  return longestStall(() => new Promise<void>((resolve) => setTimeout(resolve, ms)));
}
