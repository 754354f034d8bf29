import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { Decision } from '../../src/core/routing/decision';
import type { FakeProviders } from '../fakes/fakeProviders';
import { startFakeProviders } from '../fakes/fakeProviders';
import { createOpenAIFake } from '../fakes/openaiFake';
import type { CliRunOptions, CliRunResult } from '../support/cliHarness';
import { fakeProviderEnv, runCli, SECRETS, writeRoutingConfig } from '../support/cliHarness';

/**
 * The `model-router` CLI, run in-process through main(argv, io) with captured streams and its own environment (never
 * the test process's: HOME and the XDG directories point into a temporary folder), against the simulated providers
 * on ephemeral ports. One test runs the bundled dist/cli.js as a child process.
 */

const ROOT = path.resolve(__dirname, '..', '..');

type RunOptions = Partial<CliRunOptions>;

describe('cli: model-router', function () {
  this.timeout(20_000);
  let fakes: FakeProviders;
  let tmp: string;
  let baseEnv: Record<string, string>;

  before(async () => {
    fakes = await startFakeProviders({ chunkIntervalMs: 0 });
  });
  after(() => fakes.close());
  beforeEach(async () => {
    for (const fake of [fakes.anthropic, fakes.openai, fakes.gemini]) fake.reset();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'model-router-cli-'));
    baseEnv = { HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_DATA_HOME: path.join(tmp, 'data') };
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  /** Environment pointing every provider at the fakes, with the test keys. */
  function fakeEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return fakeProviderEnv(tmp, fakes, extra);
  }

  function run(argv: string[], options: RunOptions = {}): Promise<CliRunResult> {
    return runCli(argv, { ...options, env: options.env ?? baseEnv, cwd: options.cwd ?? tmp });
  }

  /** A user config with deterministic routing: no local-first, short retries, explainer on anthropic then openai. */
  function routingConfig(extra = ''): Promise<string> {
    return writeRoutingConfig(path.join(tmp, 'routing.yaml'), 2, extra);
  }

  function lastJsonLine(stdout: string): Decision {
    const lines = stdout.trimEnd().split('\n');
    return JSON.parse(lines[lines.length - 1]!) as Decision;
  }

  // ---- classify ------------------------------------------------------------------------------------------------

  describe('classify', () => {
    it('prints complexity, tier and reasons of stdin, and --json', async () => {
      const code = 'function f(a) {\n  if (a) {\n    return 1;\n  }\n  return 2;\n}\n';
      const human = await run(['classify', '--task', 'refactor', '--language', 'javascript'], { stdin: code });
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /^complexity \d+\/10 · (light|medium|heavy) tier/);
      assert.match(human.stdout, /- 6 lines/);
      assert.match(human.stdout, /- task: refactor \(\+1\)/);

      const json = await run(['classify', '--task', 'refactor', '--language', 'javascript', '--json', '-'], { stdin: code });
      assert.equal(json.code, 0, json.stderr);
      const parsed = JSON.parse(json.stdout) as { complexity: number; tier: string; reasons: string[]; task: string };
      assert.equal(parsed.task, 'refactor');
      assert.ok(parsed.complexity >= 1 && parsed.complexity <= 10);
      assert.ok(parsed.reasons.includes('task: refactor'));
    });

    it('guesses the language from the file extension and uses the configured tier thresholds', async () => {
      const file = path.join(tmp, 'sample.rs');
      await writeFile(file, 'fn main() {\n    let x = 1;\n}\n');
      const config = path.join(tmp, 'tiers.yaml');
      await writeFile(config, 'tiers: { light: 1, medium: 2 }\n');
      const result = await run(['--config', config, 'classify', '--json', '--task', 'fix', 'sample.rs']);
      assert.equal(result.code, 0, result.stderr);
      const parsed = JSON.parse(result.stdout) as { complexity: number; tier: string; language: string };
      assert.equal(parsed.language, 'rust');
      assert.ok(parsed.complexity >= 3, `complexity ${parsed.complexity}`);
      assert.equal(parsed.tier, 'heavy', 'with light <= 1 and medium <= 2, a 3 is heavy');
    });

    it('--jsonl: one result per line in order; a bad line is reported with its number and skipped (exit 1)', async () => {
      const input = path.join(tmp, 'in.jsonl');
      const out = path.join(tmp, 'out.jsonl');
      await writeFile(
        input,
        [
          JSON.stringify({ id: 'a', text: 'x = 1\n', language: 'python' }),
          '{"id": "b", "text": ',
          '',
          JSON.stringify({ id: 7, text: 'for (;;) { if (a && b) { lock(); } }', task: 'review', instruction: 'check the concurrency' }),
          JSON.stringify({ id: 'c', text: 'y', task: 'dance' }),
        ].join('\n') + '\n',
      );
      const result = await run(['classify', '--jsonl', input, '--out', out]);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /in\.jsonl:2: not valid JSON/);
      assert.match(result.stderr, /in\.jsonl:5: id "c": "task" must be one of explain, .*\(got "dance"\); line skipped/);
      assert.match(result.stderr, /2 of 4 line\(s\) could not be classified/);
      const lines = (await readFile(out, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(lines.map((line) => line.id), ['a', 7]);
      for (const line of lines) assert.deepEqual(Object.keys(line), ['id', 'complexity', 'tier', 'reasons']);
      assert.ok((lines[1]!.reasons as string[]).includes('instruction mentions concurrency'));
    });

    it('--jsonl streams thousands of lines from stdin quickly', async () => {
      const lines: string[] = [];
      for (let i = 0; i < 5000; i++) {
        lines.push(JSON.stringify({ id: i, text: `function f${i}(a) {\n  if (a > ${i}) {\n    return a;\n  }\n  return ${i};\n}\n`, task: 'explain' }));
      }
      const started = performance.now();
      const result = await run(['classify', '--jsonl', '-'], { stdin: lines.join('\n') });
      const elapsed = performance.now() - started;
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout.trimEnd().split('\n');
      assert.equal(out.length, 5000);
      assert.equal((JSON.parse(out[4999]!) as { id: number }).id, 4999);
      assert.ok(elapsed < 5000, `5,000 lines took ${elapsed.toFixed(0)} ms`);
    });
  });

  // ---- ask -----------------------------------------------------------------------------------------------------

  describe('ask', () => {
    it('streams the answer to stdout as it arrives, with the plan on stderr', async () => {
      fakes.anthropic.enqueue({ chunks: ['Four, ', 'because 2+2 ', 'is 4.'], chunkIntervalMs: 120 });
      const config = await routingConfig();
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'what is 2+2'], { env: fakeEnv() });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'Four, because 2+2 is 4.\n');
      assert.match(result.stderr, /model-router: explainer → anthropic\/claude-haiku-5-5 · complexity \d+\/10 · light tier · est\. \$[\d.]+ · /);
      assert.match(result.stderr, /then: openai\/gpt-6-luna/);
      assert.match(result.stderr, /answered by anthropic\/claude-haiku-5-5/);
      // Streamed: the pieces reached stdout at different times, not in one write at the end.
      const times = result.stdoutTimes;
      assert.ok(times.length >= 3, `stdout writes: ${times.length}`);
      assert.ok(times[times.length - 2]! - times[0]! > 150, 'the pieces arrived spread over time');
      const request = fakes.anthropic.modelRequests[0]!;
      assert.match(JSON.stringify(request.body), /what is 2\+2/);
    });

    it('warns over budget (onExceed: warn) and raises the 100% alert on stderr, still answering', async () => {
      // claude-haiku-5-5 at $0.10 / $0.50 per million: 10,000 in + 2,000 out = $0.002, the whole daily budget.
      fakes.anthropic.enqueue({ text: 'pricey', usage: { input: 10_000, output: 2_000 } });
      const config = await routingConfig('budget: { daily: 0.002, onExceed: warn }');
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '-q'], { env: fakeEnv() });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'pricey\n');
      assert.match(result.stderr, /^Model Router: 100% of today's \$0\.0020 budget used \(\$0\.0020\)/m);
    });

    it('--json prints the decision record as the last stdout line, after the answer', async () => {
      const config = await routingConfig();
      const file = path.join(tmp, 'code.py');
      await writeFile(file, 'a = 1\nb = 2\nc = 3\nd = 4\n');
      const result = await run(['--config', config, 'ask', '--agent', 'explainer', '--file', `${file}:2-3`, '--json'], { env: fakeEnv() });
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, /SIMULATED reply from the local fake Anthropic server/);
      const decision = lastJsonLine(result.stdout);
      assert.equal(decision.outcome, 'answered');
      assert.equal(decision.agent, 'explainer');
      assert.equal(decision.task, 'explain');
      assert.deepEqual(decision.chosen, { provider: 'anthropic', model: 'claude-haiku-5-5' });
      assert.equal(decision.attempts.length, 1);
      assert.equal(decision.attempts[0]!.keyId, 'default');
      const sent = JSON.stringify(fakes.anthropic.modelRequests[0]!.body);
      assert.match(sent, /code\.py:2-3/);
      assert.match(sent, /b = 2\\nc = 3/);
      assert.doesNotMatch(sent, /a = 1/);
      assert.match(sent, /```python/, 'the language comes from the extension');
    });

    it('--model forces the model (no complexity estimate)', async () => {
      const config = await routingConfig();
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--model', 'openai/gpt-6.2-sol', '--json'], {
        env: fakeEnv(),
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(fakes.anthropic.modelRequests.length, 0);
      assert.equal(fakes.openai.modelRequests[0]!.model, 'gpt-6.2-sol');
      const decision = lastJsonLine(result.stdout);
      assert.deepEqual(decision.forced, { provider: 'openai', model: 'gpt-6.2-sol' });
      assert.equal(decision.complexity, undefined);
      assert.match(result.stderr, /forced model \(complexity not estimated\)/);
    });

    it('--model with a model nobody priced says "price unknown" on the plan and usage lines, and a block budget stops it', async () => {
      fakes.anthropic.enqueue({ text: 'new model', usage: { input: 1_000, output: 100 } });
      const config = await routingConfig();
      const argv = ['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--model', 'anthropic/claude-opus-9'];
      const result = await run(argv, { env: fakeEnv() });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /anthropic\/claude-opus-9 · forced model \(complexity not estimated\) · \w+ tier · est\. \$[\d.]+ \(price unknown: upper estimate\)/);
      assert.match(result.stderr, /answered by anthropic\/claude-opus-9 .* · \$[\d.]+ \(price unknown: upper estimate\)/);
      const known = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--model', 'anthropic/claude-haiku-5-5'], { env: fakeEnv() });
      assert.equal(known.code, 0, known.stderr);
      assert.doesNotMatch(known.stderr, /price unknown/);

      const budgeted = await routingConfig('budget: { daily: 0.001, onExceed: block }');
      const blocked = await run(['--config', budgeted, 'ask', '--task', 'explain', '--prompt', 'x'.repeat(4_000), '--model', 'anthropic/claude-opus-9'], { env: fakeEnv() });
      assert.notEqual(blocked.code, 0);
      assert.match(blocked.stderr, /budget/);
      assert.equal(fakes.anthropic.modelRequests.length, 2, 'the blocked request was never sent');
    });

    it('a primary that answers 503 is retried, then the fallback shows on stderr and the secondary answers', async () => {
      fakes.anthropic.enqueue({ error: 'unavailable' }, { error: 'unavailable' });
      const config = await routingConfig();
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--json'], { env: fakeEnv() });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /retrying anthropic\/claude-haiku-5-5 in \d+ ms/);
      assert.match(result.stderr, /falling back to openai\/gpt-6-luna; anthropic\/claude-haiku-5-5: .*503|falling back to openai\/gpt-6-luna; anthropic\/claude-haiku-5-5: .*unavailable/i);
      assert.match(result.stderr, /answered by openai\/gpt-6-luna/);
      assert.match(result.stdout, /SIMULATED reply from the local fake OpenAI-compatible server/);
      const decision = lastJsonLine(result.stdout);
      assert.deepEqual(
        decision.attempts.map((a) => [a.provider, a.status, a.httpStatus]),
        [
          ['anthropic', 'error', 503],
          ['anthropic', 'error', 503],
          ['openai', 'ok', undefined],
        ],
      );
    });

    it('a local server that is not running (connection refused on loopback): no retry, the next candidate at once, the reason on stderr; status says nothing listens there', async () => {
      const stopped = createOpenAIFake();
      await stopped.start();
      await stopped.stopListening();
      const config = path.join(tmp, 'local.yaml');
      await writeFile(
        config,
        `localFirst: true
retry: { maxAttemptsPerCandidate: 3, baseDelayMs: 5, maxDelayMs: 10, retryAfterCapMs: 1000 }
agents:
  explainer: { chain: [anthropic, local], reasoning: test chain }
`,
      );
      const env = fakeEnv({ MODEL_ROUTER_LOCAL_BASE_URL: stopped.baseURL });
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--json'], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /retrying local/);
      assert.match(result.stderr, /falling back to anthropic\/\S+; local\/\S+: Local model: nothing is listening at http:\/\/127\.0\.0\.1:\d+\/v1 \(connection refused\)\. Not retried \(local endpoint\)/);
      const decision = lastJsonLine(result.stdout);
      assert.deepEqual(decision.attempts.map((a) => `${a.provider}:${a.status}`), ['local:error', 'anthropic:ok']);

      const status = await run(['--config', config, 'status', '--timeout', '3000'], { env });
      assert.match(status.stdout, /^local\s+yes\s+none needed\s+FAILED after \d+ ms: Local model: nothing is listening at http:\/\/127\.0\.0\.1:\d+\/v1 \(connection refused\)/m);
      const json = await run(['--config', config, 'status', '--json', '--timeout', '3000'], { env });
      const local = (JSON.parse(json.stdout) as { providers: { id: string; test: { result: string; errorKind?: string; refused?: boolean } }[] }).providers.find((p) => p.id === 'local');
      assert.deepEqual([local?.test.result, local?.test.errorKind, local?.test.refused], ['failed', 'network', true]);
    });

    it('without keys: exit 4 and a message naming the environment variables', async () => {
      const config = await routingConfig();
      const env = fakeEnv({ ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: undefined, GEMINI_API_KEY: undefined });
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi'], { env });
      assert.equal(result.code, 4, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /no usable provider for explainer/);
      assert.match(result.stderr, /anthropic\/claude-haiku-5-5: .*ANTHROPIC_API_KEY not set/);
      assert.match(result.stderr, /Set a key in the environment: ANTHROPIC_API_KEY \(anthropic\), OPENAI_API_KEY \(openai\)/);
      assert.equal(fakes.anthropic.requests.length + fakes.openai.requests.length, 0, 'nothing was sent');
    });

    it('a key with another id comes from <VARIABLE>_<ID>', async () => {
      const config = await routingConfig(`providers:
  anthropic:
    keys: [{ id: work }]
`);
      const env = fakeEnv({ ANTHROPIC_API_KEY: undefined, ANTHROPIC_API_KEY_WORK: 'sk-ant-api03-TESTSECRET-work-0123456789' });
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--json'], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(lastJsonLine(result.stdout).attempts[0]!.keyId, 'work');
      assert.equal(fakes.anthropic.protocol.presentedKey(fakes.anthropic.modelRequests[0]!), 'sk-ant-api03-TESTSECRET-work-0123456789');
    });

    it('an answer cut off mid-stream: exit 1, stderr says so and how to continue with --exclude', async () => {
      fakes.anthropic.enqueue({ chunks: ['The first half ', 'and then'], cutAfterChunks: 1 });
      const config = await routingConfig();
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi'], { env: fakeEnv() });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, 'The first half \n');
      assert.match(result.stderr, /the answer from anthropic\/claude-haiku-5-5 broke off after it had started/);
      assert.match(result.stderr, /Next candidates: openai\/gpt-6-luna/);
      assert.match(result.stderr, /model-router --config \S+ ask --task explain --prompt hi --exclude anthropic\/claude-haiku-5-5/);
      assert.equal(fakes.openai.modelRequests.length, 0, 'never spliced onto another model');

      const again = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--exclude', 'anthropic/claude-haiku-5-5'], {
        env: fakeEnv(),
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /skipped anthropic\/claude-haiku-5-5: excluded/);
      assert.match(again.stdout, /OpenAI-compatible/);
    });

    it('an abort (Ctrl-C) cancels the request: exit 130', async () => {
      fakes.anthropic.enqueue({ chunks: ['one ', 'two ', 'three ', 'four '], chunkIntervalMs: 300 });
      const config = await routingConfig();
      const controller = new AbortController();
      const result = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi'], {
        env: fakeEnv(),
        signal: controller.signal,
        onStdout: (text) => {
          if (text.includes('one')) controller.abort();
        },
      });
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /interrupted: the request was cancelled \(Ctrl-C\); the answer above is incomplete/);
      assert.doesNotMatch(result.stdout, /four/);
      await fakes.anthropic.waitForClose(0);
    });

    it('bad input: unknown agent, task, provider or option is a usage error (exit 2) saying what is valid', async () => {
      const agent = await run(['ask', '--agent', 'revewer', '--prompt', 'x']);
      assert.equal(agent.code, 2);
      assert.match(agent.stderr, /unknown agent "revewer" \(did you mean "reviewer"\?\)\. Valid agents: implementer, refactorer, tester, reviewer, explainer, documenter, fixer, architect\./);
      const task = await run(['ask', '--task', 'translate', '--prompt', 'x']);
      assert.equal(task.code, 2);
      assert.match(task.stderr, /unknown task "translate"\. Valid tasks: explain, refactor/);
      const model = await run(['ask', '--task', 'explain', '--prompt', 'x', '--model', 'antropic/claude-haiku-5-5']);
      assert.equal(model.code, 2);
      assert.match(model.stderr, /unknown provider "antropic" \(did you mean "anthropic"\?\)\. Providers: anthropic, openai, gemini, deepseek, local/);
      const noSlash = await run(['ask', '--task', 'explain', '--prompt', 'x', '--model', 'gpt-6']);
      assert.equal(noSlash.code, 2);
      assert.match(noSlash.stderr, /--model needs PROVIDER\/MODEL/);
      const option = await run(['ask', '--task', 'explain', '--promt', 'x']);
      assert.equal(option.code, 2);
      assert.match(option.stderr, /unknown option --promt for `ask` \(did you mean --prompt\?\)/);
      const neither = await run(['ask', '--prompt', 'x']);
      assert.equal(neither.code, 2);
      assert.match(neither.stderr, /ask needs --agent A or --task T/);
      const nothing = await run(['ask', '--task', 'explain']);
      assert.equal(nothing.code, 2);
      assert.match(nothing.stderr, /nothing to ask/);
      const command = await run(['asks']);
      assert.equal(command.code, 2);
      assert.match(command.stderr, /unknown command "asks" \(did you mean "ask"\?\)/);
      const missingFile = await run(['ask', '--task', 'explain', '--file', 'nope.ts']);
      assert.equal(missingFile.code, 2);
      assert.match(missingFile.stderr, /cannot read nope\.ts: no such file/);
    });
  });

  // ---- status, providers, agents ----------------------------------------------------------------------------

  describe('status, providers, agents', () => {
    it('status: keys set or missing per provider and a live test of each, in parallel', async () => {
      const result = await run(['status', '--timeout', '3000'], { env: fakeEnv({ DEEPSEEK_BASE_URL: undefined }) });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^anthropic\s+yes\s+default: set \(ANTHROPIC_API_KEY\)\s+ok in \d+ ms/m);
      assert.match(result.stdout, /^gemini\s+yes\s+default: set \(GEMINI_API_KEY or GOOGLE_API_KEY\)\s+ok in/m);
      assert.match(result.stdout, /^deepseek\s+yes\s+default: missing \(DEEPSEEK_API_KEY\)\s+not tested: no key: set DEEPSEEK_API_KEY/m);
      assert.match(result.stdout, /^local\s+yes\s+none needed\s+ok in/m);
      assert.match(result.stdout, /4 of 5 providers answered/);
      // What checking answers would run on this machine, found by running it (here: a Linux sandbox and python3).
      assert.match(result.stdout, /^Checking answers: (isolated \((bwrap|unshare), (full|network)\)|NOT isolated): .+\. Python: \/\S+; Node\.js: \/\S+; checks run only with ask --verify/m);

      fakes.openai.enqueueAux({ error: 'auth' });
      const json = await run(['status', '--json'], { env: fakeEnv({ DEEPSEEK_API_KEY: undefined, MODEL_ROUTER_LOCAL_BASE_URL: 'http://127.0.0.1:9/v1' }) });
      const parsed = JSON.parse(json.stdout) as { providers: { id: string; test: { result: string; errorKind?: string } }[] };
      const byId = Object.fromEntries(parsed.providers.map((p) => [p.id, p.test]));
      assert.equal(byId.openai!.result, 'failed');
      assert.equal(byId.openai!.errorKind, 'auth');
      assert.equal(byId.local!.result, 'failed');
      assert.equal(byId.anthropic!.result, 'ok');
      const checks = (JSON.parse(json.stdout) as { checks: { isolation: { level: string; method: string }; python: string | null; allowed: boolean } }).checks;
      assert.ok(['full', 'network', 'none'].includes(checks.isolation.level));
      assert.equal(checks.allowed, false, 'checks need consent by default');
    });

    it('status: exit 4 when no provider passes', async () => {
      const config = path.join(tmp, 'off.yaml');
      await writeFile(config, 'providers:\n  local: { enabled: false }\n');
      const result = await run(['--config', config, 'status'], { env: baseEnv });
      assert.equal(result.code, 4);
      assert.match(result.stdout, /No provider answered the connection test/);
      assert.match(result.stdout, /^local\s+no\s+none needed\s+not tested: disabled/m);
    });

    it('providers: protocol, base URL and where it comes from, models per tier, key ids', async () => {
      const result = await run(['providers'], { env: fakeEnv() });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^anthropic \(Anthropic\) · protocol anthropic · enabled$/m);
      assert.ok(result.stdout.includes(`base URL  ${fakes.anthropic.baseURL} (from ANTHROPIC_BASE_URL)`));
      assert.match(result.stdout, /models {4}light: claude-haiku-5-5 · medium: claude-sonnet-5-5 · heavy: claude-opus-5-5/);
      assert.match(result.stdout, /keys {6}default \(ANTHROPIC_API_KEY: set\)/);
      const plain = await run(['providers'], { env: baseEnv });
      assert.match(plain.stdout, /base URL {2}https:\/\/api\.anthropic\.com \(SDK default\)/);
      assert.match(plain.stdout, /base URL {2}https:\/\/api\.deepseek\.com\/v1 \(built-in\)/);
    });

    it('a base URL variable that is not a URL is a configuration error (exit 3)', async () => {
      const result = await run(['providers'], { env: { ...baseEnv, OPENAI_BASE_URL: 'localhost:1234' } });
      assert.equal(result.code, 3);
      assert.match(result.stderr, /OPENAI_BASE_URL must be an http:\/\/ or https:\/\/ URL/);
    });
  });

  // ---- assign, bulk, config validate ---------------------------------------------------------------------

  describe('assign, bulk and config validate', () => {
    it('assign creates the user config (and its directory) when missing; agents shows the new chain', async () => {
      const result = await run(['assign', 'reviewer', 'openai,anthropic', '--reasoning', 'two strong reviewers']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /reviewer: anthropic → openai → gemini → deepseek {2}=> {2}openai → anthropic/);
      const file = path.join(tmp, 'config', 'model-router', 'config.yaml');
      assert.match(result.stdout, new RegExp(`created ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(await readFile(file, 'utf8'), /chain: \[openai, anthropic\]/);
      const agents = await run(['agents']);
      assert.match(agents.stdout, /^reviewer \(task: review\) {2}openai → anthropic$/m);
      assert.match(agents.stdout, /two strong reviewers/);
    });

    it('assign and bulk keep the comments of an existing file', async () => {
      const file = path.join(tmp, 'user.yaml');
      await writeFile(file, '# my routing notes\nlocalFirst: false # no local model here\nagents:\n  explainer:\n    chain: [gemini] # cheap\n    reasoning: cheap\n');
      const assign = await run(['--config', file, 'assign', 'explainer', 'openai', 'anthropic']);
      assert.equal(assign.code, 0, assign.stderr);
      let text = await readFile(file, 'utf8');
      assert.match(text, /# my routing notes/);
      assert.match(text, /localFirst: false # no local model here/);
      assert.match(text, /chain: \[openai, anthropic\] # cheap/);
      assert.match((await run(['--config', file, 'agents'])).stdout, /^explainer \(task: explain\) {2}openai → anthropic$/m);

      const bulk = await run(['--config', file, 'bulk', 'cost']);
      assert.equal(bulk.code, 0, bulk.stderr);
      assert.match(bulk.stdout, /preset cost:/);
      assert.match(bulk.stdout, /explainer {4}openai → anthropic {2}=> {2}local → /);
      text = await readFile(file, 'utf8');
      assert.match(text, /# my routing notes/);
      assert.match(text, /localFirst: false # no local model here/);
      const agents = await run(['--config', file, 'agents']);
      assert.match(agents.stdout, /^reviewer \(task: review\) {2}local → deepseek → /m);
      assert.match(agents.stdout, /Cost-optimized preset/);

      const badPreset = await run(['--config', file, 'bulk', 'cheap']);
      assert.equal(badPreset.code, 2);
      assert.match(badPreset.stderr, /unknown preset "cheap"\. Valid presets: cost, performance, balanced/);
    });

    it('assign refuses an unknown agent or provider (exit 2) and leaves an invalid file untouched (exit 3)', async () => {
      const agent = await run(['assign', 'reveiwer', 'openai']);
      assert.equal(agent.code, 2);
      assert.match(agent.stderr, /unknown agent "reveiwer" \(did you mean "reviewer"\?\)\. Valid agents: implementer, refactorer/);
      const provider = await run(['assign', 'reviewer', 'openai,opnai']);
      assert.equal(provider.code, 2);
      assert.match(provider.stderr, /unknown provider "opnai" \(did you mean "openai"\?\)/);

      const file = path.join(tmp, 'broken.yaml');
      const broken = 'agents:\n  reviewer:\n    chian: [openai]\n';
      await writeFile(file, broken);
      const result = await run(['--config', file, 'assign', 'reviewer', 'openai']);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /broken\.yaml:3:5: error: unknown key "chian"/);
      assert.equal(await readFile(file, 'utf8'), broken);
    });

    it('a 3 GiB config file is refused by its size before it is read: the size, the limit and what to do (exit 3)', async () => {
      // Sparse: nothing is written, yet reading it whole would take 3 GiB (Node's readFile refuses over 2 GiB).
      const file = path.join(tmp, 'huge.yaml');
      await writeFile(file, 'strategy: cost\n');
      await truncate(file, 3 * 1024 ** 3);
      for (const argv of [['config', 'validate', file], ['--config', file, 'classify', '--instruction', 'x']]) {
        const result = await run(argv);
        assert.equal(result.code, 3, result.stderr);
        assert.ok(
          `${result.stdout}${result.stderr}`.includes(`${file}:1:1: error: the file is 3,221,225,472 bytes; a configuration file may be at most 1,048,576 bytes (1 MiB), so it is not read.`),
          `${result.stdout}${result.stderr}`,
        );
      }
    });

    it('config validate prints file:line:col for a typo (exit 3) and accepts a good file (exit 0)', async () => {
      const file = path.join(tmp, 'typo.yaml');
      await writeFile(file, 'localFirst: false\nagents:\n  explainer:\n    reasonnig: cheap first\n');
      const result = await run(['config', 'validate', file]);
      assert.equal(result.code, 3);
      assert.ok(result.stdout.includes(`${file}:4:5: error: unknown key "reasonnig" in agents.explainer; did you mean "reasoning"?`), result.stdout);
      assert.match(result.stdout, /invalid: .*typo\.yaml \(1 error, 0 warnings\)/);

      await writeFile(file, 'localFirst: false\n');
      const good = await run(['config', 'validate', file]);
      assert.equal(good.code, 0, good.stdout);
      assert.match(good.stdout, /valid: .*typo\.yaml \(0 errors, 0 warnings\)/);

      const other = await run(['--config', file, 'classify', '--instruction', 'x']);
      assert.equal(other.code, 0);
      await writeFile(file, 'localFirst: maybe\n');
      const invalid = await run(['--config', file, 'classify', '--instruction', 'x']);
      assert.equal(invalid.code, 3, 'every command refuses an invalid configuration');
      assert.match(invalid.stderr, /typo\.yaml:1:13: error: localFirst must be true or false/);
    });

    it('the workspace config is ignored with a note unless --trust-workspace', async () => {
      await writeFile(path.join(tmp, '.model-router.yaml'), 'agents:\n  architect:\n    chain: [gemini]\n');
      const untrusted = await run(['agents']);
      assert.equal(untrusted.code, 0);
      assert.match(untrusted.stderr, /note: ignoring the workspace config .*\.model-router\.yaml: pass --trust-workspace to apply it/);
      assert.match(untrusted.stdout, /^architect \(task: ask\) {2}openai → anthropic → gemini → deepseek$/m);
      const trusted = await run(['agents', '--trust-workspace']);
      assert.equal(trusted.stderr, '');
      assert.match(trusted.stdout, /^architect \(task: ask\) {2}gemini$/m);
      const validate = await run(['config', 'validate']);
      assert.match(validate.stdout, /not checked, the workspace is not trusted/);
    });

    it('a trusted workspace config that sets the ledger or makes a provider free is warned about and not applied', async () => {
      const workspaceFile = path.join(tmp, '.model-router.yaml');
      await writeFile(workspaceFile, 'ledger: { retentionDays: 1 }\nproviders:\n  anthropic: { free: true }\nagents:\n  architect: { chain: [gemini] }\n');
      const result = await run(['agents', '--trust-workspace']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^architect \(task: ask\) {2}gemini$/m, 'the allowed part applies');
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, result.stderr);
      assert.match(lines[0]!, /\.model-router\.yaml:1:1: warning: ledger is ignored: a workspace config may not set it .* belongs in your user config file/);
      assert.match(lines[1]!, /\.model-router\.yaml:3:16: warning: providers\.anthropic\.free is ignored: .* belongs in your user config file/);
    });
  });

  // ---- secrets, help ---------------------------------------------------------------------------------------

  it('a key never appears in any output, including auth errors and the decision record', async () => {
    const config = await routingConfig();
    const outputs: CliRunResult[] = [];
    const env = fakeEnv();
    outputs.push(await run(['status'], { env }));
    outputs.push(await run(['providers'], { env }));
    outputs.push(await run(['providers', '--json'], { env }));
    outputs.push(await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--json'], { env }));
    fakes.anthropic.expectedKey = 'another-key';
    fakes.openai.expectedKey = 'another-key';
    // --no-cache: the same question again must reach the providers (and their rejection), not the answer cache.
    const rejected = await run(['--config', config, 'ask', '--task', 'explain', '--prompt', 'hi', '--json', '--no-cache'], { env });
    outputs.push(rejected);
    assert.equal(rejected.code, 4, rejected.stderr);
    assert.match(rejected.stderr, /Every key that was tried was rejected/);
    outputs.push(await run(['status', '--json'], { env }));
    outputs.push(await run(['config', 'validate'], { env }));
    for (const output of outputs) {
      for (const secret of Object.values(SECRETS)) {
        assert.ok(!output.stdout.includes(secret) && !output.stderr.includes(secret), 'a key value was printed');
        // Not even a recognisable part of it.
        assert.ok(!output.stdout.includes('TESTSECRET') && !output.stderr.includes('TESTSECRET'), 'part of a key was printed');
      }
    }
  });

  it('--help for the CLI and for each command, --version', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:\n {2}0 {4}success/);
    assert.match(help.stdout, /ANTHROPIC_API_KEY_WORK/);
    assert.match(help.stdout, /--data-dir PATH {10}data directory: the request ledger/);
    for (const command of ['classify', 'ask', 'costs', 'status', 'providers', 'agents', 'assign', 'bulk', 'config']) {
      const result = await run([command, '--help']);
      assert.equal(result.code, 0, command);
      assert.match(result.stdout, new RegExp(`^Usage: model-router ${command}`), command);
    }
    const version = await run(['--version']);
    assert.match(version.stdout, /^model-router \d+\.\d+\.\d+\n$/);
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no command given/);
  });

  // ---- the bundle ----------------------------------------------------------------------------------------------

  describe('the bundled dist/cli.js', function () {
    this.timeout(120_000);
    before(async () => {
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, ['esbuild.js'], { cwd: ROOT, timeout: 90_000 }, (error, _stdout, stderr) =>
          error ? reject(new Error(`node esbuild.js failed: ${stderr || error.message}`)) : resolve(),
        );
      });
    });

    it('runs as a child process: node dist/cli.js classify --json -', async () => {
      const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'classify', '--json', '--task', 'review', '-'], {
        cwd: tmp,
        env: { ...baseEnv, PATH: process.env.PATH ?? '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.end('def f(x):\n    if x:\n        return 1\n    return 2\n');
      const timer = setTimeout(() => child.kill(), 20_000);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearTimeout(timer);
      assert.equal(code, 0, stderr);
      const parsed = JSON.parse(stdout) as { complexity: number; tier: string; reasons: string[] };
      assert.ok(parsed.reasons.includes('task: review'));
      assert.ok(['light', 'medium', 'heavy'].includes(parsed.tier));
      const head = (await readFile(path.join(ROOT, 'dist', 'cli.js'), 'utf8')).slice(0, 20);
      assert.equal(head, '#!/usr/bin/env node\n');
    });
  });
});
