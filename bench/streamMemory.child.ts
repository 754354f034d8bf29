/**
 * Child process of the hostile-provider bench: routes ONE request through the router and the official OpenAI SDK to a
 * local fake and prints one JSON line with the peak RSS growth while it ran. A fresh process per scenario, so neither
 * is measured in a heap the other already grew.
 *
 * Usage: node --expose-gc -r tsx/cjs bench/streamMemory.child.ts <endless|normal> <maxAnswerChars>
 *
 * - endless: the server streams 1,000-character deltas as fast as they are read and never finishes; the router stops
 *   it at maxAnswerChars.
 * - normal: the server streams an answer of the same length (maxAnswerChars - 1,000) and finishes.
 *
 * The text is discarded as it arrives, as the CLI does when it writes it to stdout.
 */
import { resolveConfig } from '../src/core/config/layering';
import { InMemorySpend } from '../src/core/routing/budget';
import { Router } from '../src/core/routing/router';
import { createOpenAIFake } from '../test/fakes/openaiFake';

export interface StreamMemoryResult {
  readonly scenario: string;
  readonly chars: number;
  readonly outcome: string;
  readonly peakGrowthMb: number;
}

const CHUNK = 1_000;

async function main(): Promise<void> {
  const scenario = process.argv[2];
  const maxAnswerChars = Number(process.argv[3]);
  if ((scenario !== 'endless' && scenario !== 'normal') || !Number.isInteger(maxAnswerChars)) {
    throw new Error('usage: streamMemory.child.ts <endless|normal> <maxAnswerChars>');
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  const fake = createOpenAIFake();
  await fake.start();
  const piece = 'x'.repeat(CHUNK);
  // One warm-up request first loads the SDK and the router's code paths, so their memory is in the baseline.
  fake.enqueue({ text: 'warm-up' });
  fake.enqueue(
    scenario === 'endless'
      ? { endless: { chunkChars: CHUNK } }
      : { chunks: Array.from({ length: maxAnswerChars / CHUNK - 1 }, () => piece) },
  );
  const text = `
localFirst: false
maxAnswerChars: ${maxAnswerChars}
providers:
  openai: { baseUrl: "${fake.baseURL}" }
agents:
  explainer: { chain: [openai], reasoning: bench }
`;
  const { config } = resolveConfig({ user: { file: 'bench.yaml', text }, workspaceTrusted: true });
  const router = new Router(config, { keys: { get: () => 'bench-key' }, spend: new InMemorySpend() });
  for await (const _event of router.route({ task: 'explain', text: 'const x = 1;' })) {
    // warm-up: discard
  }
  fake.requests.length = 0;
  gc?.();
  gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  let chars = 0;
  let events = 0;
  let outcome = '';
  for await (const event of router.route({ task: 'explain', text: 'const x = 1;' })) {
    if (event.type === 'text') {
      chars += event.text.length;
      if (++events % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    } else if (event.type === 'done') outcome = event.decision.outcome;
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  router.dispose();
  await fake.close();
  const result: StreamMemoryResult = { scenario, chars, outcome, peakGrowthMb: (peak - base) / 1_048_576 };
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
