import type { TaskType } from '../src/core/config/types';
import { estimateComplexity } from '../src/core/routing/complexity';
import { seededRandom } from '../test/support/seededRandom';
import type { Figure } from './report';
import { percentile } from './report';

/**
 * Time to estimate the complexity of a 50-, 500- and 10,000-line selection: the median of many calls after a
 * warmup, measured with performance.now(), alternating a TypeScript and a Python selection (generated: classes,
 * async methods, nested branches and loops, comprehensions, docstrings, comments, strings, long lines).
 */

const TASKS: readonly TaskType[] = ['explain', 'refactor', 'review', 'fix'];


function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

const NAMES = ['order', 'user', 'invoice', 'session', 'payload', 'queue', 'cache', 'retryCount', 'deadlineMs', 'item'];

function typeScriptBlock(next: () => number, index: number): string[] {
  const a = pick(next, NAMES);
  const b = pick(next, NAMES);
  const lines = [
    `/** Handles ${a} updates for the ${b} pipeline; see the design notes for the retry rules. */`,
    `export class ${a[0]!.toUpperCase()}${a.slice(1)}Handler${index} {`,
    `  private readonly pending = new Map<string, number>();`,
    `  constructor(private readonly limit: number, private readonly log: (message: string) => void) {}`,
    ``,
    `  async process(${a}: Record<string, unknown>, ${b}?: string[]): Promise<number> {`,
    `    let total = 0;`,
    `    for (const [key, value] of Object.entries(${a})) {`,
    `      if (typeof value === 'number' && value > this.limit) {`,
    `        total += value > 100 ? value * 2 : value; // clamp large values`,
    `      } else if (Array.isArray(value) && value.length > 0 || ${b} !== undefined) {`,
    `        const results = await Promise.all(value.map(async (entry) => this.handle(String(entry), key)));`,
    `        total += results.filter((r) => r !== undefined).length;`,
    `      } else {`,
    `        this.log(\`skipping \${key}: "\${String(value)}" is not something this handler understands, see the docs\`);`,
    `      }`,
    `    }`,
    `    return total;`,
    `  }`,
    ``,
    `  private async handle(entry: string, key: string): Promise<string | undefined> {`,
    `    switch (entry.length % 3) {`,
    `      case 0:`,
    `        return this.pending.has(key) ? undefined : entry;`,
    `      case 1:`,
    `        try {`,
    `          this.pending.set(key, (this.pending.get(key) ?? 0) + 1);`,
    `        } catch (error) {`,
    `          this.log(String(error));`,
    `        }`,
    `        return entry.trim();`,
    `      default:`,
    `        /* nothing to do for the rest */`,
    `        return undefined;`,
    `    }`,
    `  }`,
    `}`,
    ``,
  ];
  return lines;
}

function pythonBlock(next: () => number, index: number): string[] {
  const a = pick(next, NAMES).toLowerCase();
  const b = pick(next, NAMES).toLowerCase();
  return [
    `def summarize_${a}_${index}(${a}, ${b}=None, *, limit=10):`,
    `    """Summarize ${a} records for the ${b} report.`,
    ``,
    `    Records without a key are skipped; see the report spec for details.`,
    `    """`,
    `    totals = {}`,
    `    for record in ${a}:`,
    `        if not record or "key" not in record:`,
    `            continue  # nothing to count`,
    `        key = record["key"]`,
    `        if key in totals and totals[key] > limit:`,
    `            while totals[key] > limit:`,
    `                totals[key] -= 1`,
    `        elif ${b} is not None or key.startswith("#"):`,
    `            totals[key] = totals.get(key, 0) + len([x for x in record.get("items", []) if x])`,
    `        else:`,
    `            try:`,
    `                totals[key] = int(record.get("count", 0))`,
    `            except (TypeError, ValueError):`,
    `                totals[key] = 0`,
    `    return sorted(`,
    `        totals.items(),`,
    `        key=lambda pair: (-pair[1], pair[0]),`,
    `    )`,
    ``,
    ``,
    `class ${a.charAt(0).toUpperCase()}${a.slice(1)}Store${index}:`,
    `    def __init__(self, path):`,
    `        self.path = path`,
    `        self.cache = {}`,
    ``,
    `    async def load(self, key):`,
    `        if key not in self.cache:`,
    `            self.cache[key] = await self._read(key)`,
    `        return self.cache[key]`,
    ``,
  ];
}

/** A selection of exactly `lines` lines of generated code in `language`. */
export function generatedCode(language: 'typescript' | 'python', lines: number, seed = 1): string {
  const next = seededRandom(seed);
  const out: string[] = [];
  for (let index = 0; out.length < lines; index++) {
    out.push(...(language === 'typescript' ? typeScriptBlock(next, index) : pythonBlock(next, index)));
  }
  return out.slice(0, lines).join('\n');
}

let sink = 0;

function medianMs(lines: number, runs: number, warmup: number): number {
  const inputs = (['typescript', 'python'] as const).map((language, i) => ({
    language,
    text: generatedCode(language, lines, 7 + i),
  }));
  const samples: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const input = inputs[i % inputs.length]!;
    const task = TASKS[i % TASKS.length]!;
    const start = performance.now();
    const estimate = estimateComplexity({
      text: input.text,
      task,
      language: input.language,
      instruction: 'make this safe under concurrent updates',
    });
    const elapsed = performance.now() - start;
    sink += estimate.raw;
    if (i >= warmup) samples.push(elapsed);
  }
  return percentile(samples, 50);
}

export async function complexityBench(): Promise<readonly Figure[]> {
  const figures: Figure[] = [
    { name: 'complexity.50_lines_ms', value: medianMs(50, 4000, 1000), unit: 'ms', op: '<=', target: 0.1 },
    { name: 'complexity.500_lines_ms', value: medianMs(500, 2000, 400), unit: 'ms', op: '<=', target: 1 },
    { name: 'complexity.10000_lines_ms', value: medianMs(10_000, 200, 40), unit: 'ms', op: '<=', target: 20 },
  ];
  if (!Number.isFinite(sink)) throw new Error('complexity bench: non-finite score');
  return figures;
}
