import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { CliRunResult } from '../support/cliHarness';
import { allBytes, fakeProviderEnv, runCli, SECRETS, useCliSandbox, writeRoutingConfig } from '../support/cliHarness';

/**
 * The CLI and the request ledger: `ask` records every request in the data directory and budgets count what earlier
 * runs recorded; `costs` reports it. In-process main() against the simulated providers, with a temporary HOME.
 */

const ROOT = path.resolve(__dirname, '..', '..');

interface ExportedJson {
  readonly requests: readonly { id: string; costNano: number; costUsd: number; provider: string | null; outcome: string; instruction: string | null }[];
}

interface BreakdownJson {
  readonly rows: readonly { key: string; requests: number; costUsd: number; costNano: number }[];
}

describe('cli: the request ledger (ask records, costs reports)', function () {
  this.timeout(30_000);
  const sb = useCliSandbox('model-router-cli-ledger-');

  function run(argv: string[], signal?: AbortController): Promise<CliRunResult> {
    return runCli(argv, {
      env: fakeProviderEnv(sb.tmp, sb.fakes),
      cwd: sb.tmp,
      ...(signal
        ? { signal: signal.signal, onStdout: (stdout: string): void => { if (stdout.includes('first')) signal.abort(); } }
        : {}),
    });
  }

  function config(extra = ''): Promise<string> {
    return writeRoutingConfig(path.join(sb.tmp, 'config.yaml'), 1, extra);
  }

  async function ask(configFile: string, prompt: string): Promise<CliRunResult> {
    return run(['--config', configFile, 'ask', '--task', 'explain', '--prompt', prompt, '-q']);
  }

  async function costsJson(...args: string[]): Promise<ExportedJson> {
    const result = await run(['costs', '--json', ...args]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as ExportedJson;
  }

  it('records two ask runs; costs --json lists both with their costs, and the table sums them', async () => {
    const file = await config();
    // claude-haiku-5-5 at $0.10 / $0.50 per million tokens.
    sb.fakes.anthropic.enqueue({ text: 'one', usage: { input: 1_000, output: 200 } }); // $0.0002
    sb.fakes.anthropic.enqueue({ text: 'two', usage: { input: 3_000, output: 400 } }); // $0.0005
    const first = await ask(file, 'first question');
    const second = await ask(file, 'second question');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(first.stdout, 'one\n');

    const report = await costsJson();
    assert.equal(report.requests.length, 2);
    assert.deepEqual(report.requests.map((r) => r.costNano), [200_000, 500_000]);
    assert.ok(report.requests.every((r) => r.provider === 'anthropic' && r.outcome === 'answered'));

    const table = await run(['costs']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /today \(\d{4}-\d{2}-\d{2}\): \$0\.00070 \(no daily budget\)/);
    assert.match(table.stdout, /anthropic\s+2\s+\$0\.00070/);
  });

  it('costs --csv --by provider sums to the JSON totals', async () => {
    const file = await config();
    sb.fakes.anthropic.enqueue({ text: 'a', usage: { input: 1_000, output: 200 } });
    sb.fakes.anthropic.enqueue({ error: 'unavailable' });
    sb.fakes.openai.enqueue({ text: 'b', usage: { input: 2_000, output: 100 } });
    assert.equal((await ask(file, 'q1')).code, 0);
    const fallback = await ask(file, 'q2');
    assert.equal(fallback.code, 0, fallback.stderr);

    const requests = (await costsJson()).requests;
    const total = requests.reduce((sum, r) => sum + r.costNano, 0);
    const csv = await run(['costs', '--csv', '--by', 'provider']);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trimEnd().split('\r\n');
    assert.equal(lines[0], 'key,requests,cost_usd,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,success_rate');
    const rows = lines.slice(1).map((line) => line.split(','));
    assert.deepEqual(rows.map((r) => r[0]).sort(), ['anthropic', 'openai']);
    const csvUsd = rows.reduce((sum, r) => sum + Number(r[2]), 0);
    assert.ok(Math.abs(csvUsd - total / 1e9) < 1e-12, `${csvUsd} vs ${total / 1e9}`);
    assert.equal(rows.reduce((sum, r) => sum + Number(r[1]), 0), requests.length);

    const byJson = await run(['costs', '--json', '--by', 'provider']);
    const parsed = JSON.parse(byJson.stdout) as BreakdownJson;
    assert.equal(parsed.rows.reduce((sum, r) => sum + r.costNano, 0), total);
  });

  it('a daily budget counts spend recorded by an earlier run: the second run is blocked (exit 4), nothing sent', async () => {
    // 10,000 in + 2,000 out on claude-haiku-5-5 = $0.002, the whole daily budget.
    const file = await config('budget: { daily: 0.002, onExceed: block }');
    sb.fakes.anthropic.enqueue({ text: 'pricey', usage: { input: 10_000, output: 2_000 } });
    const first = await ask(file, 'hi');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 1);

    const second = await ask(file, 'hi again');
    assert.equal(second.code, 4, second.stderr);
    assert.equal(second.stdout, '\n'.repeat(second.stdout.length));
    assert.equal(sb.fakes.anthropic.modelRequests.length, 1, 'nothing more was sent to anthropic');
    assert.equal(sb.fakes.openai.modelRequests.length, 0, 'nothing was sent to openai');
    assert.match(second.stderr, /budget/i);
    // The blocked request is recorded too, at no cost.
    const report = await costsJson();
    assert.deepEqual(report.requests.map((r) => r.outcome), ['answered', 'failed']);
    assert.equal(report.requests[1]!.costNano, 0);
  });

  it('raises a budget alert once per period across runs: the next ask does not print it again', async () => {
    // $0.0019 of a $0.002 daily budget (95%) on the first run; the second run stays under 100%.
    const file = await config('budget: { daily: 0.002, onExceed: warn }');
    sb.fakes.anthropic.enqueue({ text: 'one', usage: { input: 9_500, output: 1_900 } });
    const first = await ask(file, 'hi');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /9\d% of today's \$0\.0020 budget used/);
    sb.fakes.anthropic.enqueue({ text: 'two', usage: { input: 1, output: 1 } });
    const second = await ask(file, 'again');
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /budget used/, 'the 90% alert of today was raised by the first run');
  });

  it('stores the instruction only with ledger.storeInstructions, and never a key', async () => {
    const plain = await config();
    assert.equal((await ask(plain, 'INSTRUCTION-MARKER-one')).code, 0);
    assert.equal((await costsJson()).requests[0]!.instruction, null);
    assert.ok(!(await allBytes(sb.dataDir)).includes('INSTRUCTION-MARKER-one'), 'the instruction is not in the data dir');

    const storing = await config('ledger: { storeInstructions: true }');
    assert.equal((await ask(storing, 'INSTRUCTION-MARKER-two')).code, 0);
    const report = await costsJson();
    assert.deepEqual(report.requests.map((r) => r.instruction), [null, 'INSTRUCTION-MARKER-two']);

    const bytes = await allBytes(sb.dataDir);
    for (const secret of Object.values(SECRETS)) assert.ok(!bytes.includes(secret), 'no key in the ledger files');
    assert.ok(!bytes.includes('TESTSECRET'));
  });

  it('records a request cancelled with Ctrl-C (exit 130)', async () => {
    const file = await config();
    sb.fakes.anthropic.enqueue({ chunks: ['first ', 'second ', 'third'], chunkIntervalMs: 300, usage: { input: 1_000, output: 200 } });
    const result = await run(['--config', file, 'ask', '--task', 'explain', '--prompt', 'cancel me', '-q'], new AbortController());
    assert.equal(result.code, 130, result.stderr);
    const report = await costsJson();
    assert.equal(report.requests.length, 1);
    assert.equal(report.requests[0]!.outcome, 'aborted');
  });

  it('an unusable data dir still answers, with a warning that nothing is recorded', async () => {
    const file = await config();
    const notADir = path.join(sb.tmp, 'a-file');
    await writeFile(notADir, 'not a directory');
    const result = await run(['--config', file, '--data-dir', path.join(notADir, 'ledger'), 'ask', '--task', 'explain', '--prompt', 'hi', '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /SIMULATED reply/);
    assert.match(result.stderr, /warning: cannot open the request ledger in .*a-file/);
    assert.match(result.stderr, /NOT recorded/);
    const costs = await run(['--data-dir', path.join(notADir, 'ledger'), 'costs', '--json']);
    assert.equal(costs.code, 1);
    assert.match(costs.stderr, /cannot open the request ledger/);
  });

  it('costs: usage errors exit 2; an empty ledger reports nothing', async () => {
    for (const args of [['--since', '2026-02-30'], ['--since', 'yesterday'], ['--by', 'week'], ['--time-zone', 'Mars/Olympus'], ['--csv', '--json']]) {
      const result = await run(['costs', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /model-router costs --help/);
    }
    assert.deepEqual((await costsJson('--since', '2020-01-01', '--time-zone', 'Europe/Paris')).requests, []);
    const table = await run(['costs', '--by', 'day']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /no requests recorded/);
    const help = await run(['--help']);
    assert.match(help.stdout, /^ {2}costs /m);
  });

  it('negative usage from the provider: the answer is printed, the request recorded with an estimate, a warning on stderr', async () => {
    const file = await config();
    sb.fakes.anthropic.enqueue({ text: 'the answer', usage: { input: 1_000, output: -5 } });
    const result = await ask(file, 'negative');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'the answer\n');
    assert.match(result.stderr, /warning: anthropic\/\S+: the provider reported implausible usage \(outputTokens is negative \(-5\)\)/);
    const report = await costsJson();
    assert.equal(report.requests.length, 1);
    assert.equal(report.requests[0]!.outcome, 'answered');
    assert.ok(report.requests[0]!.costNano > 0 && report.requests[0]!.costNano < 1_000_000, `booked ${report.requests[0]!.costNano} nano-dollars`);
  });

  it('9e14 output tokens are not booked as $450,000,000', async () => {
    const file = await config();
    sb.fakes.anthropic.enqueue({ text: 'the answer', usage: { input: 1_000, output: 9e14 } });
    assert.equal((await ask(file, 'huge')).code, 0);
    const report = await costsJson();
    assert.ok(report.requests[0]!.costUsd < 0.01, `booked $${report.requests[0]!.costUsd}`);
  });

  it('an endless answer stops at maxAnswerChars: printed once, not retried, recorded as interrupted', async () => {
    const file = await config('maxAnswerChars: 3000\n');
    sb.fakes.anthropic.enqueue({ endless: { chunkChars: 500 } });
    const result = await run(['--config', file, 'ask', '--task', 'explain', '--prompt', 'endless']);
    assert.notEqual(result.code, 0);
    assert.equal(result.stdout.replace(/\n$/, '').length, 3_000, 'the answer up to the limit, once');
    assert.match(result.stderr, /answer exceeded 3,000 characters; stopped/);
    assert.equal(sb.fakes.anthropic.modelRequests.length, 1, 'not retried');
    assert.equal(sb.fakes.openai.modelRequests.length, 0, 'no fallback');
    const report = await costsJson();
    assert.equal(report.requests.length, 1);
    assert.equal(report.requests[0]!.outcome, 'interrupted');
  });

  describe('the bundled dist/cli.js', function () {
    this.timeout(120_000);

    it('node dist/cli.js costs --json --data-dir DIR reads what ask recorded (sql-wasm.wasm next to the bundle)', async () => {
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['esbuild.js'], { cwd: ROOT, timeout: 90_000 }, (error, _stdout, stderr) =>
          error ? reject(new Error(`node esbuild.js failed: ${stderr || error.message}`)) : resolve(),
        ),
      );
      sb.fakes.anthropic.enqueue({ text: 'one', usage: { input: 1_000, output: 200 } });
      assert.equal((await ask(await config(), 'bundled')).code, 0);
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [path.join(ROOT, 'dist', 'cli.js'), 'costs', '--json', '--data-dir', sb.dataDir],
          { cwd: sb.tmp, env: { PATH: process.env.PATH ?? '', HOME: sb.tmp }, timeout: 30_000 },
          (error, out, err) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
        ),
      );
      assert.equal(code, 0, stderr);
      const report = JSON.parse(stdout) as ExportedJson;
      assert.equal(report.requests.length, 1);
      assert.equal(report.requests[0]!.costNano, 200_000);
    });
  });
});
