/**
 * The three SIMULATED providers (Anthropic, OpenAI-compatible, Gemini) started together, with the environment that
 * points an extension host or the CLI at them. Used by `npm run fakes` (cli.ts), the e2e harness (ephemeral ports)
 * and `npm run dev -- --demo`.
 */
import { createAnthropicFake } from './anthropicFake';
import type { FakeProviderServer, RecordedRequest } from './fakeServer';
import { createGeminiFake } from './geminiFake';
import { createOpenAIFake } from './openaiFake';

/** Placeholder keys, printed by `npm run fakes` and enforced with `requireKeys`. */
export const FAKE_KEYS = { anthropic: 'fake-anthropic-key', openai: 'fake-openai-key', gemini: 'fake-gemini-key' } as const;

/** The port base of `npm run fakes`: Anthropic on it, OpenAI on +1, Gemini on +2. */
export const FAKES_DEFAULT_PORT_BASE = 47101;

export interface FakeProviders {
  anthropic: FakeProviderServer;
  openai: FakeProviderServer;
  gemini: FakeProviderServer;
  /** Base URLs and placeholder keys for the extension host's environment, plus MODEL_ROUTER_DEMO=1 when `demo`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface FakeProvidersOptions {
  /** Anthropic on portBase, OpenAI on +1, Gemini on +2; default: three ephemeral ports. */
  portBase?: number;
  /** Text of every reply (default: a sentence that says it is simulated). */
  replyText?: (label: string) => string;
  /** Delay between stream events (default 25 ms, so streaming is visible). */
  chunkIntervalMs?: number;
  onRequest?: (provider: string, request: RecordedRequest) => void;
  /** Adds MODEL_ROUTER_DEMO=1 to `env`. */
  demo?: boolean;
  /** Reject requests without the placeholder keys, as the real APIs would. */
  requireKeys?: boolean;
}

export async function startFakeProviders(options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const reply =
    options.replyText ??
    ((label: string) => `This is a SIMULATED reply from the local fake ${label} server; no real model was called.`);
  const make = (create: typeof createAnthropicFake, label: string, key: string): FakeProviderServer =>
    create({
      defaultStep: { text: reply(label), chunkIntervalMs: options.chunkIntervalMs ?? 25 },
      ...(options.requireKeys ? { expectedKey: key } : {}),
      ...(options.onRequest ? { onRequest: (r: RecordedRequest) => options.onRequest?.(label, r) } : {}),
    });
  const anthropic = make(createAnthropicFake, 'Anthropic', FAKE_KEYS.anthropic);
  const openai = make(createOpenAIFake, 'OpenAI-compatible', FAKE_KEYS.openai);
  const gemini = make(createGeminiFake, 'Gemini', FAKE_KEYS.gemini);
  const servers = [anthropic, openai, gemini];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.close()));
  };
  try {
    const base = options.portBase;
    await anthropic.start(base === undefined ? 0 : base);
    await openai.start(base === undefined ? 0 : base + 1);
    await gemini.start(base === undefined ? 0 : base + 2);
  } catch (error) {
    await close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`a fake provider port is in use (${(error as Error).message}); is \`npm run fakes\` running?`);
    }
    throw error;
  }
  const env: Record<string, string> = {
    ANTHROPIC_BASE_URL: anthropic.baseURL,
    ANTHROPIC_API_KEY: FAKE_KEYS.anthropic,
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_API_KEY: FAKE_KEYS.openai,
    GEMINI_BASE_URL: gemini.baseURL,
    GOOGLE_GEMINI_BASE_URL: gemini.baseURL,
    GEMINI_API_KEY: FAKE_KEYS.gemini,
    // The OpenAI-compatible fake also stands in for DeepSeek and a local server.
    DEEPSEEK_BASE_URL: openai.baseURL,
    DEEPSEEK_API_KEY: FAKE_KEYS.openai,
    MODEL_ROUTER_LOCAL_BASE_URL: openai.baseURL,
    ...(options.demo ? { MODEL_ROUTER_DEMO: '1' } : {}),
  };
  return { anthropic, openai, gemini, env, close };
}
