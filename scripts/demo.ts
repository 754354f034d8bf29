/**
 * `npm run demo` (after `node esbuild.js`): the bundled CLI, dist/cli.js, against the SIMULATED providers.
 *
 * Starts the fake Anthropic, OpenAI-compatible and Gemini servers in this process on free loopback ports, then runs
 * `model-router ask` twice as a child process: once plainly, once with the simulated local server answering 503 so
 * the retry and the fallback show. The CLI gets a clean environment: the fakes' base URLs and placeholder keys, none
 * of your own keys or endpoints, and a temporary config and data directory (nothing is read from or written to
 * $HOME). Everything stops at the end, or on Ctrl-C. Exits with the first failing run's exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { errorMessage } from '../src/core/util/errorMessage';
import type { FakeProviders } from '../test/fakes/fakeProviders';
import { startFakeProviders } from '../test/fakes/fakeProviders';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');

/** The parent's environment without anything that names a key, an endpoint or a config location. */
function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/_API_KEY|_BASE_URL|^XDG_|^MODEL_ROUTER_/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

function shellWord(arg: string): string {
  return /^[A-Za-z0-9_\-./:=@,+]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function runCli(args: readonly string[], env: Record<string, string>): Promise<number> {
  console.log(`\n$ model-router ${args.map(shellWord).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: 'inherit' });
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

async function main(): Promise<number> {
  if (!existsSync(cli)) {
    console.error('demo: dist/cli.js is missing; run `npm run build` first (`npm run demo` does).');
    return 1;
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 'model-router-demo-'));
  let fakes: FakeProviders | undefined;
  const stop = async (): Promise<void> => {
    await fakes?.close();
    rmSync(home, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void stop().then(() => process.exit(130));
  });
  try {
    fakes = await startFakeProviders({ chunkIntervalMs: 25 });
    const env = {
      ...cleanEnvironment(),
      ...fakes.env,
      DEEPSEEK_BASE_URL: fakes.openai.baseURL,
      DEEPSEEK_API_KEY: 'fake-deepseek-key',
      MODEL_ROUTER_LOCAL_BASE_URL: fakes.openai.baseURL,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_DATA_HOME: path.join(home, 'data'),
    };
    console.log('SIMULATED providers (local fakes, canned answers, nothing leaves this machine):');
    console.log(`  Anthropic ${fakes.anthropic.baseURL} · OpenAI-compatible (also DeepSeek and the local server) ${fakes.openai.baseURL} · Gemini ${fakes.gemini.baseURL}`);

    const first = await runCli(['ask', '--task', 'explain', '--prompt', 'what is 2+2'], env);
    if (first !== 0) return first;

    console.log('\n# The simulated local server now answers 503 twice: the router retries, then falls back.');
    fakes.openai.enqueue({ error: 'unavailable' }, { error: 'unavailable' });
    return await runCli(['ask', '--task', 'explain', '--prompt', 'what is 2+2'], env);
  } finally {
    await stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo: ${errorMessage(error)}`);
    process.exitCode = 1;
  },
);
