import Anthropic from '@anthropic-ai/sdk';

import { resolveConfig } from '../src/core/config/layering';
import type { Config } from '../src/core/config/types';
import { Router } from '../src/core/routing/router';
import { createAnthropicFake } from '../test/fakes/anthropicFake';
import { createOpenAIFake } from '../test/fakes/openaiFake';
import type { Figure } from './report';
import { percentile } from './report';

/**
 * Router overhead and failover, against local fakes, interleaved with their baselines in the same run:
 * - router.ttft_overhead_median_ms: time to first token through Router.route() (complexity, planning, breakers,
 *   key pool, budget, decision record) minus the bare Anthropic SDK's, on the same fake.
 * - router.failover_ms: median time to first token when the primary answers 503 at once, minus the median when
 *   the router goes straight to the secondary (Portkey's gateway adds about 4.5 ms for the same).
 */
const REQUESTS = Number(process.env.BENCH_ROUTER_REQUESTS ?? 1000);
const WARMUP = 100;
const KEY = 'bench-key-000000000001';
const SELECTION = 'function add(a, b) {\n  return a + b;\n}';
const CHUNKS = ['It ', 'adds ', 'two ', 'numbers.'];

function configFor(anthropicUrl: string, openaiUrl: string, chain: string): Config {
  const text = `
localFirst: false
retry: { maxAttemptsPerCandidate: 1, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 60000 }
circuit: { consecutiveFailures: 1000000, failureRate: 1, minRequests: 1000000, windowMs: 60000, cooldownMs: 1000 }
providers:
  anthropic: { baseUrl: "${anthropicUrl}" }
  openai: { baseUrl: "${openaiUrl}" }
agents:
  explainer: { chain: [${chain}], reasoning: bench }
`;
  return resolveConfig({ user: { file: 'bench.yaml', text }, workspaceTrusted: true }).config;
}

async function ttftThroughRouter(router: Router): Promise<number> {
  const start = performance.now();
  let ttft = Number.NaN;
  for await (const event of router.route({ task: 'explain', text: SELECTION })) {
    if (event.type === 'text' && Number.isNaN(ttft)) ttft = performance.now() - start;
    if (event.type === 'done' && event.decision.outcome !== 'answered') {
      throw new Error(`bench request failed: ${event.decision.error?.message}`);
    }
  }
  return ttft;
}

export async function routerBench(): Promise<readonly Figure[]> {
  const anthropic = createAnthropicFake({ defaultStep: { chunks: CHUNKS } });
  const openai = createOpenAIFake({ defaultStep: { chunks: CHUNKS } });
  await Promise.all([anthropic.start(), openai.start()]);
  try {
    const keys = { get: (): string => KEY };
    const direct = new Router(configFor(anthropic.baseURL, openai.baseURL, 'anthropic'), { keys });
    const viaOpenAI = new Router(configFor(anthropic.baseURL, openai.baseURL, 'openai'), { keys });
    const failover = new Router(configFor(anthropic.baseURL, openai.baseURL, 'anthropic, openai'), { keys });
    const sdk = new Anthropic({ apiKey: KEY, baseURL: anthropic.baseURL, maxRetries: 0 });
    const bare = async (): Promise<number> => {
      const start = performance.now();
      let ttft = Number.NaN;
      const events = await sdk.messages.create(
        { model: 'claude-haiku-5-5', max_tokens: 4096, messages: [{ role: 'user', content: SELECTION }], stream: true },
        { signal: new AbortController().signal },
      );
      for await (const event of events) {
        if (event.type === 'content_block_delta' && Number.isNaN(ttft)) ttft = performance.now() - start;
      }
      return ttft;
    };
    const failoverOnce = async (): Promise<number> => {
      anthropic.enqueue({ error: 'unavailable' });
      return ttftThroughRouter(failover);
    };

    const samples = { bare: [] as number[], router: [] as number[], secondary: [] as number[], failover: [] as number[] };
    const round = async (record: boolean): Promise<void> => {
      const order = [
        async () => samples.bare.push(await bare()),
        async () => samples.router.push(await ttftThroughRouter(direct)),
        async () => samples.secondary.push(await ttftThroughRouter(viaOpenAI)),
        async () => samples.failover.push(await failoverOnce()),
      ];
      for (const step of order) await step();
      if (!record) for (const list of Object.values(samples)) list.pop();
      anthropic.requests.length = 0;
      openai.requests.length = 0;
    };
    for (let i = 0; i < WARMUP; i++) await round(false);
    for (let i = 0; i < REQUESTS; i++) await round(true);
    for (const r of [direct, viaOpenAI, failover]) r.dispose();

    const median = (list: number[]): number => percentile(list, 50);
    return [
      { name: 'router.ttft_bare_sdk_median_ms', value: median(samples.bare), unit: 'ms', op: '<=', target: 5 },
      { name: 'router.ttft_overhead_median_ms', value: median(samples.router) - median(samples.bare), unit: 'ms', op: '<=', target: 0.2 },
      { name: 'router.failover_ms', value: median(samples.failover) - median(samples.secondary), unit: 'ms', op: '<=', target: 3 },
    ];
  } finally {
    await Promise.all([anthropic.close(), openai.close()]);
  }
}
