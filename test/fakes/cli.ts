/**
 * `npm run fakes` (tsx test/fakes/cli.ts): runs the three SIMULATED providers on fixed loopback ports so the
 * extension (or any SDK) can be pointed at them by hand. Nothing here reaches a real provider.
 *
 *   --port-base N        Anthropic on N, OpenAI-compatible on N+1, Gemini on N+2 (default 47101)
 *   --require-keys       reject requests without the placeholder keys printed below (as the real APIs would)
 *   --chunk-interval MS  delay between stream events (default 25, so streaming is visible)
 *   --quiet              do not log each request
 */
import type { FakeProviders } from './fakeProviders';
import { FAKES_DEFAULT_PORT_BASE, startFakeProviders } from './fakeProviders';
import type { RecordedRequest } from './fakeServer';

interface CliOptions {
  portBase: number;
  requireKeys: boolean;
  chunkIntervalMs: number;
  quiet: boolean;
}

function usage(message?: string): never {
  if (message) console.error(`fakes: ${message}`);
  console.error('usage: npm run fakes -- [--port-base N] [--require-keys] [--chunk-interval MS] [--quiet]');
  process.exit(2);
}

function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { portBase: FAKES_DEFAULT_PORT_BASE, requireKeys: false, chunkIntervalMs: 25, quiet: false };
  const number = (flag: string, value: string | undefined, min: number, max: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min || n > max) usage(`${flag} needs an integer in ${min}..${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    switch (flag) {
      case '--port-base':
        options.portBase = number(flag, inline ?? argv[++i], 1024, 65533);
        break;
      case '--chunk-interval':
        options.chunkIntervalMs = number(flag, inline ?? argv[++i], 0, 10_000);
        break;
      case '--require-keys':
        options.requireKeys = true;
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return options;
}

function logRequest(name: string, r: RecordedRequest): void {
  const time = new Date(r.receivedAt).toISOString().slice(11, 23);
  const what = r.endpoint ? `${r.endpoint}${r.model ? ` model=${r.model}` : ''}${r.stream ? ' stream' : ''}` : 'unknown route';
  console.log(`${time} [simulated ${name}] ${r.method} ${r.path} -> ${what}`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  let fakes: FakeProviders;
  try {
    fakes = await startFakeProviders({
      portBase: options.portBase,
      chunkIntervalMs: options.chunkIntervalMs,
      requireKeys: options.requireKeys,
      ...(options.quiet ? {} : { onRequest: logRequest }),
    });
  } catch (error) {
    console.error(`fakes: could not start: ${error instanceof Error ? error.message : String(error)}`);
    console.error('fakes: to use other ports, pass --port-base N.');
    process.exitCode = 1;
    return;
  }
  const { anthropic, openai, gemini } = fakes;

  const lines = [
    '',
    '=====================================================================================',
    ' SIMULATED LLM PROVIDERS (local fakes). These are NOT Anthropic, OpenAI or Google.',
    ' Every answer is canned; nothing leaves this machine; no tokens are billed.',
    '=====================================================================================',
    '',
    ` Anthropic (simulated)          ${anthropic.baseURL}   POST /v1/messages, GET /v1/models`,
    ` OpenAI-compatible (simulated)  ${openai.baseURL}   POST /chat/completions, GET /models`,
    ` Gemini (simulated)             ${gemini.baseURL}   POST /v1beta/models/{model}:generateContent`,
    '',
    ` Keys: ${options.requireKeys ? 'REQUIRED (the placeholders below; others get the provider\'s real auth error)' : 'any value is accepted (start with --require-keys to enforce the placeholders)'}`,
    '',
    ' Environment for the model-router CLI (bash); the OpenAI-compatible fake also stands in for DeepSeek and a local server:',
    ...Object.entries(fakes.env).map(([name, value]) => `   export ${name}=${value}`),
    '',
    ' Then, for example:  npm run build && node dist/cli.js ask --task explain --prompt "what does x++ do?"',
    '',
    ' Ctrl-C stops the simulated providers.',
    '',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the simulated providers...`);
    void fakes.close().then(() => {
      console.log('stopped.');
      process.exitCode = 0;
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

void main();
