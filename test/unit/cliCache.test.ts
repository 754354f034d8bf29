import assert from 'node:assert/strict';
import path from 'node:path';

import type { CliRunResult } from '../support/cliHarness';
import { fakeProviderEnv, runCli, useCliSandbox, writeRoutingConfig } from '../support/cliHarness';

/**
 * The CLI and the answer cache: an exact repeat of `ask` within the TTL is answered from the data directory at $0,
 * with nothing sent, and the ledger says so. In-process main() against the simulated providers, with a temporary HOME.
 */

interface ExportedJson {
  readonly requests: readonly { costNano: number; outcome: string; provider: string | null; cached?: { from: number; savedNano: number } }[];
}

describe('cli: the answer cache (ask twice, answered once)', function () {
  this.timeout(30_000);
  const sb = useCliSandbox('model-router-cli-cache-');

  function run(argv: string[]): Promise<CliRunResult> {
    return runCli(argv, { env: fakeProviderEnv(sb.tmp, sb.fakes), cwd: sb.tmp });
  }

  function config(extra = ''): Promise<string> {
    return writeRoutingConfig(path.join(sb.tmp, 'config.yaml'), 1, extra);
  }

  const ask = (file: string, ...more: string[]): Promise<CliRunResult> =>
    run(['--config', file, 'ask', '--task', 'explain', '--prompt', 'what does x do?', ...more]);

  async function requests(): Promise<ExportedJson['requests']> {
    const result = await run(['costs', '--json']);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as ExportedJson).requests;
  }

  it('answers the second identical ask from the cache: nothing reaches the provider, $0, marked, recorded with what it saved', async () => {
    const file = await config();
    // claude-haiku-5-5 at $0.10 / $0.50 per million tokens: $0.0002.
    sb.fakes.anthropic.enqueue({ text: 'x is one.', usage: { input: 1_000, output: 200 } });
    const first = await ask(file);
    assert.equal(first.code, 0, first.stderr);
    const second = await ask(file);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 1, 'the repeat reached no provider');
    assert.equal(sb.fakes.openai.modelRequests.length, 0);
    assert.equal(second.stdout, 'x is one.\n');
    assert.match(second.stderr, /answered by anthropic\/claude-haiku-5-5, cached from \d{2}:\d{2} \(\$0; saved \$0\.00020\)/);
    assert.doesNotMatch(first.stderr, /cached from/);

    const recorded = await requests();
    assert.equal(recorded.length, 2);
    assert.deepEqual(recorded.map((r) => [r.outcome, r.costNano, r.cached?.savedNano]), [['answered', 200_000, undefined], ['answered', 0, 200_000]]);
    assert.ok(recorded[1]!.cached!.from > 0);
  });

  it('--no-cache asks the model again; --json carries the cached decision', async () => {
    const file = await config();
    sb.fakes.anthropic.enqueue({ text: 'first answer' }, { text: 'second answer' });
    assert.equal((await ask(file)).code, 0);
    const fresh = await ask(file, '--no-cache');
    assert.equal(fresh.stdout, 'second answer\n');
    assert.equal(sb.fakes.anthropic.modelRequests.length, 2);
    const cached = await ask(file, '--json');
    const decision = JSON.parse(cached.stdout.trimEnd().split('\n').at(-1)!) as { cached?: { from: number; savedUsd: number }; costUsd: number };
    assert.ok(cached.stdout.startsWith('second answer\n'), 'the newer answer replaced the cached one');
    assert.ok(decision.cached, 'the decision says it was cached');
    assert.equal(decision.costUsd, 0);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 2);
  });

  it('is off with cache: { enabled: false }, and --trust-workspace runs never share entries with untrusted ones', async () => {
    const off = await config('cache: { enabled: false }');
    sb.fakes.anthropic.enqueue({ text: 'a' }, { text: 'b' }, { text: 'c' }, { text: 'd' });
    await ask(off);
    await ask(off);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 2);
    const on = await config();
    await ask(on);
    const trusted = await run(['--config', on, '--trust-workspace', 'ask', '--task', 'explain', '--prompt', 'what does x do?']);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(trusted.stdout, 'd\n', 'the trusted run asked the model');
    assert.equal(sb.fakes.anthropic.modelRequests.length, 4);
  });

  it('a workspace config cannot turn the cache on or change its TTL', async () => {
    const file = await config('cache: { enabled: false }');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(sb.tmp, '.model-router.yaml'), 'cache: { enabled: true, ttlHours: 1000 }\n');
    sb.fakes.anthropic.enqueue({ text: 'a' }, { text: 'b' });
    const first = await run(['--config', file, '--trust-workspace', 'ask', '--task', 'explain', '--prompt', 'q']);
    const second = await run(['--config', file, '--trust-workspace', 'ask', '--task', 'explain', '--prompt', 'q']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /cache/, 'the ignored workspace setting is reported');
    assert.equal(second.stdout, 'b\n');
    assert.equal(sb.fakes.anthropic.modelRequests.length, 2);
  });
});
