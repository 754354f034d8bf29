/**
 * Runs the `model-router` CLI in-process through main(argv, io) with captured streams and its own environment
 * (never the test process's), for the CLI test files.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';

import { main } from '../../src/cli/main';
import type { FakeProviders, FakeProvidersOptions } from '../fakes/fakeProviders';
import { startFakeProviders } from '../fakes/fakeProviders';

/** Keys shaped like real ones, so any leak would be visible (and the redaction of key shapes cannot hide it). */
export const SECRETS = {
  ANTHROPIC_API_KEY: 'sk-ant-api03-TESTSECRET-anthropic-0123456789abcdef',
  OPENAI_API_KEY: 'sk-proj-TESTSECRET-openai-0123456789abcdef',
  GEMINI_API_KEY: 'AIzaTESTSECRET-gemini-0123456789abcdefghij',
} as const;

export interface CliRunOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Text on stdin (stdin is then a pipe); absent: stdin is a terminal and is never read. */
  readonly stdin?: string;
  readonly signal?: AbortSignal;
  /** Called on every stdout write, with the text so far. */
  readonly onStdout?: (text: string) => void;
}

export interface CliRunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** When each stdout write happened (performance.now()). */
  readonly stdoutTimes: readonly number[];
}

function sink(onWrite: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback): void {
      onWrite(chunk.toString());
      callback();
    },
  });
}

export async function runCli(argv: readonly string[], options: CliRunOptions): Promise<CliRunResult> {
  let stdout = '';
  let stderr = '';
  const stdoutTimes: number[] = [];
  const stdin = Object.assign(Readable.from(options.stdin !== undefined ? [options.stdin] : []), {
    isTTY: options.stdin === undefined,
  });
  const code = await main([...argv], {
    stdout: sink((text) => {
      stdout += text;
      stdoutTimes.push(performance.now());
      options.onStdout?.(stdout);
    }),
    stderr: sink((text) => (stderr += text)),
    stdin,
    env: options.env,
    cwd: options.cwd,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout, stderr, stdoutTimes };
}

/** A temporary HOME and XDG folders under `tmp`, every provider pointed at the fakes, and the test keys. */
export function fakeProviderEnv(
  tmp: string,
  fakes: FakeProviders,
  extra: Readonly<Record<string, string | undefined>> = {},
): Record<string, string | undefined> {
  return {
    HOME: tmp,
    XDG_CONFIG_HOME: path.join(tmp, 'config'),
    XDG_DATA_HOME: path.join(tmp, 'data'),
    ANTHROPIC_BASE_URL: fakes.anthropic.baseURL,
    OPENAI_BASE_URL: fakes.openai.baseURL,
    GEMINI_BASE_URL: fakes.gemini.baseURL,
    DEEPSEEK_BASE_URL: fakes.openai.baseURL,
    MODEL_ROUTER_LOCAL_BASE_URL: fakes.openai.baseURL,
    ...SECRETS,
    ...extra,
  };
}

/**
 * Writes a user config with deterministic routing (no local-first, millisecond retries, the explainer on anthropic
 * then openai) plus `extra` YAML lines, and returns its path.
 */
export async function writeRoutingConfig(file: string, maxAttemptsPerCandidate: number, extra = ''): Promise<string> {
  await writeFile(
    file,
    `localFirst: false
retry: { maxAttemptsPerCandidate: ${maxAttemptsPerCandidate}, baseDelayMs: 5, maxDelayMs: 10, retryAfterCapMs: 1000 }
agents:
  explainer:
    chain: [anthropic, openai]
    reasoning: test chain
${extra}`,
  );
  return file;
}

/** What {@link useCliSandbox} provides to the tests of a describe block (read inside tests and hooks). */
export interface CliSandbox {
  /** The simulated providers, started once for the block and reset before each test. */
  readonly fakes: FakeProviders;
  /** A fresh temporary folder per test, removed after it: HOME and the XDG folders of {@link fakeProviderEnv}. */
  readonly tmp: string;
  /** The CLI's default data directory under `tmp` (where the ledger goes without --data-dir). */
  readonly dataDir: string;
}

/** Registers the mocha hooks of a describe block of CLI tests against the fakes (see {@link CliSandbox}). */
export function useCliSandbox(prefix: string, options: FakeProvidersOptions = { chunkIntervalMs: 0 }): CliSandbox {
  let fakes: FakeProviders | undefined;
  let tmp: string | undefined;
  before(async () => {
    fakes = await startFakeProviders(options);
  });
  after(() => fakes?.close());
  beforeEach(async () => {
    for (const fake of [fakes!.anthropic, fakes!.openai, fakes!.gemini]) fake.reset();
    tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => rm(tmp!, { recursive: true, force: true }));
  return {
    get fakes(): FakeProviders {
      if (!fakes) throw new Error('the fakes start in the block\'s before hook');
      return fakes;
    },
    get tmp(): string {
      if (tmp === undefined) throw new Error('the temporary folder is made in beforeEach');
      return tmp;
    },
    get dataDir(): string {
      return path.join(this.tmp, 'data', 'model-router');
    },
  };
}

/** Every file under `dir`, as raw text (binary files too): to look for what must never be stored. */
export async function allBytes(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += (await readFile(path.join(entry.parentPath, entry.name))).toString('latin1');
  }
  return text;
}
