import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenerativeAI } from '@google/generative-ai';
import OpenAI from 'openai';

import { createProvider } from '../src/core/providers/registry';
import type { ChatProvider, ProviderProtocol } from '../src/core/providers/types';
import { createAnthropicFake } from '../test/fakes/anthropicFake';
import type { FakeProviderServer } from '../test/fakes/fakeServer';
import { createGeminiFake } from '../test/fakes/geminiFake';
import { createOpenAIFake } from '../test/fakes/openaiFake';
import type { Figure } from './report';
import { percentile } from './report';

/**
 * Time to first token and total time through our adapter versus the bare official SDK, against the same local
 * fake, interleaved request by request (the order inside each pair alternates) so drift and GC hit both alike.
 * The figures are differences of percentiles: what the adapter adds on top of the SDK.
 */
const REQUESTS = Number(process.env.BENCH_PROVIDER_REQUESTS ?? 1000);
const WARMUP = 100;
const KEY = 'bench-key';
const PROMPT = [{ role: 'user' as const, content: 'Explain this function in one paragraph.' }];
const CHUNKS = ['The function ', 'adds two ', 'numbers and ', 'returns ', 'the sum.'];

interface Timing {
  ttft: number;
  total: number;
}

type Run = () => Promise<Timing>;

interface Subject {
  readonly protocol: ProviderProtocol;
  readonly fake: FakeProviderServer;
  readonly model: string;
  bare(): Run;
  adapter(provider: ChatProvider): Run;
}

async function timeStream(iterate: (onText: () => void) => Promise<void>): Promise<Timing> {
  const start = performance.now();
  let ttft = Number.NaN;
  await iterate(() => {
    if (Number.isNaN(ttft)) ttft = performance.now() - start;
  });
  return { ttft, total: performance.now() - start };
}

function adapterRun(provider: ChatProvider, model: string): Run {
  return () =>
    timeStream(async (onText) => {
      for await (const chunk of provider.stream({ model, messages: PROMPT, maxOutputTokens: 256 })) {
        if (chunk.type === 'text') onText();
      }
    });
}

function subjects(): Subject[] {
  const anthropic = createAnthropicFake({ defaultStep: { chunks: CHUNKS } });
  const openai = createOpenAIFake({ defaultStep: { chunks: CHUNKS } });
  const gemini = createGeminiFake({ defaultStep: { chunks: CHUNKS } });
  return [
    {
      protocol: 'anthropic',
      fake: anthropic,
      model: 'claude-haiku-4-5',
      bare() {
        const client = new Anthropic({ apiKey: KEY, baseURL: anthropic.baseURL, maxRetries: 0 });
        return () =>
          timeStream(async (onText) => {
            const signal = new AbortController().signal;
            const events = await client.messages.create(
              { model: this.model, max_tokens: 256, messages: PROMPT, stream: true },
              { signal },
            );
            for await (const event of events) {
              if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') onText();
            }
          });
      },
      adapter(provider) {
        return adapterRun(provider, this.model);
      },
    },
    {
      protocol: 'openai',
      fake: openai,
      model: 'gpt-4.1-mini',
      bare() {
        const client = new OpenAI({ apiKey: KEY, baseURL: openai.baseURL, maxRetries: 0 });
        return () =>
          timeStream(async (onText) => {
            const signal = new AbortController().signal;
            const chunks = await client.chat.completions.create(
              { model: this.model, messages: PROMPT, stream: true, stream_options: { include_usage: true } },
              { signal },
            );
            for await (const chunk of chunks) if (chunk.choices[0]?.delta?.content) onText();
          });
      },
      adapter(provider) {
        return adapterRun(provider, this.model);
      },
    },
    {
      protocol: 'gemini',
      fake: gemini,
      model: 'gemini-2.5-flash-lite',
      bare() {
        const model = new GoogleGenerativeAI(KEY).getGenerativeModel(
          { model: this.model, generationConfig: { maxOutputTokens: 256 } },
          { baseUrl: gemini.baseURL },
        );
        return () =>
          timeStream(async (onText) => {
            const signal = new AbortController().signal;
            const result = await model.generateContentStream(
              { contents: [{ role: 'user', parts: [{ text: PROMPT[0]!.content }] }] },
              { signal },
            );
            result.response.catch(() => undefined);
            for await (const response of result.stream) {
              if (response.candidates?.[0]?.content?.parts?.[0]?.text) onText();
            }
          });
      },
      adapter(provider) {
        return adapterRun(provider, this.model);
      },
    },
  ];
}

async function measure(subject: Subject): Promise<{ bare: Timing[]; ours: Timing[] }> {
  await subject.fake.start();
  try {
    const provider = createProvider({
      id: subject.protocol,
      protocol: subject.protocol,
      apiKey: KEY,
      baseUrl: subject.fake.baseURL,
    });
    const bare = subject.bare();
    const ours = subject.adapter(provider);
    for (let i = 0; i < WARMUP; i++) {
      await bare();
      await ours();
    }
    const result = { bare: [] as Timing[], ours: [] as Timing[] };
    for (let i = 0; i < REQUESTS; i++) {
      if (i % 2 === 0) {
        result.bare.push(await bare());
        result.ours.push(await ours());
      } else {
        result.ours.push(await ours());
        result.bare.push(await bare());
      }
      // The fake keeps every request for assertions; a benchmark does not need them.
      subject.fake.requests.length = 0;
    }
    return result;
  } finally {
    await subject.fake.close();
  }
}

export async function providerOverheadBench(): Promise<readonly Figure[]> {
  const perProtocol: Figure[] = [];
  let worstTtftMedian = -Infinity;
  let worstTtftP99 = -Infinity;
  let worstTotalMedian = -Infinity;
  for (const subject of subjects()) {
    const { bare, ours } = await measure(subject);
    const diff = (pick: (t: Timing) => number, p: number): number =>
      percentile(ours.map(pick), p) - percentile(bare.map(pick), p);
    const ttftMedian = diff((t) => t.ttft, 50);
    const ttftP99 = diff((t) => t.ttft, 99);
    const totalMedian = diff((t) => t.total, 50);
    worstTtftMedian = Math.max(worstTtftMedian, ttftMedian);
    worstTtftP99 = Math.max(worstTtftP99, ttftP99);
    worstTotalMedian = Math.max(worstTotalMedian, totalMedian);
    perProtocol.push(
      { name: `provider.${subject.protocol}.ttft_bare_median_ms`, value: percentile(bare.map((t) => t.ttft), 50), unit: 'ms', op: '<=', target: 5 },
      { name: `provider.${subject.protocol}.ttft_overhead_median_ms`, value: ttftMedian, unit: 'ms', op: '<=', target: 0.2 },
      { name: `provider.${subject.protocol}.ttft_overhead_p99_ms`, value: ttftP99, unit: 'ms', op: '<=', target: 1 },
      { name: `provider.${subject.protocol}.total_overhead_median_ms`, value: totalMedian, unit: 'ms', op: '<=', target: 0.5 },
    );
  }
  return [
    ...perProtocol,
    { name: 'provider.ttft_overhead_median_ms', value: worstTtftMedian, unit: 'ms', op: '<=', target: 0.2 },
    { name: 'provider.ttft_overhead_p99_ms', value: worstTtftP99, unit: 'ms', op: '<=', target: 1 },
    { name: 'provider.total_overhead_median_ms', value: worstTotalMedian, unit: 'ms', op: '<=', target: 0.5 },
  ];
}
