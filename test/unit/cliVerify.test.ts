import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { fakeProviderEnv, runCli, useCliSandbox } from '../support/cliHarness';

/**
 * `model-router verify` and `ask --verify` through main(), with the real checks (python3 in the sandbox) and, for
 * `ask`, the simulated providers.
 */
const CODE = `def add(a, b):
    """Adds two numbers.

    >>> add(2, 3)
    5
    >>> add(-1, 1)
    0
    """
`;
const fence = (code: string): string => `Sure! Here it is:\n\n\`\`\`python\n${code}\n\`\`\`\n\nIt adds the numbers.`;
const RIGHT = fence('def add(a, b):\n    return a + b');
const WRONG = fence('def add(a, b):\n    return a * b');

describe('CLI: model-router verify', function () {
  this.timeout(60_000);
  const sandbox = useCliSandbox('model-router-cli-verify-');
  const env = (): Record<string, string | undefined> => ({ HOME: sandbox.tmp, PATH: process.env.PATH });

  async function files(answer: string): Promise<void> {
    await writeFile(path.join(sandbox.tmp, 'add.py'), CODE);
    await writeFile(path.join(sandbox.tmp, 'answer.md'), answer);
  }

  it('passes an answer whose code passes the docstring examples: exit 0, each check listed', async () => {
    await files(RIGHT);
    const result = await runCli(['verify', '--code', 'add.py', '--answer', 'answer.md'], { env: env(), cwd: sandbox.tmp });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^pass · checked: 2\/2 examples pass · \d+ ms/);
    assert.match(result.stdout, /pass {2}example {2}.*add\(2, 3\)/);
    assert.match(result.stdout, /pass {2}example {2}.*add\(-1, 1\)/);
  });

  it('fails an answer that gives a wrong result: exit 1, expected and got', async () => {
    await files(WRONG);
    const result = await runCli(['verify', '--code', 'add.py', '--answer', 'answer.md'], { env: env(), cwd: sandbox.tmp });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^fail · checked: 2 of 2 examples failed/);
    assert.match(result.stdout, /FAIL {2}example {2}.*add\(2, 3\).*expected 5, got 6/);
  });

  it('says "unknown" (exit 5) when nothing can be checked: no examples, or a language without checks', async () => {
    await writeFile(path.join(sandbox.tmp, 'plain.py'), 'def add(a, b):\n    """Adds."""\n');
    await writeFile(path.join(sandbox.tmp, 'answer.md'), RIGHT);
    const none = await runCli(['verify', '--code', 'plain.py', '--answer', 'answer.md'], { env: env(), cwd: sandbox.tmp });
    assert.equal(none.code, 5);
    assert.match(none.stdout, /^unknown · not checked: no examples or asserts/);
    const rust = await runCli(['verify', '--language', 'rust', '--answer', 'answer.md'], { env: env(), cwd: sandbox.tmp });
    assert.equal(rust.code, 5);
    assert.match(rust.stdout, /not checked: no checks for rust/);
  });

  it('writes one verdict per line in input order with --jsonl, reports a bad line on stderr and goes on', async () => {
    const lines = [
      { id: 'a', task: 'implement', language: 'python', text: CODE, completion: RIGHT },
      { id: 'b', task: 'implement', language: 'python', text: '', completion: WRONG, instruction: 'Write add. It should pass: assert add(2, 3) == 5' },
      'not json at all',
      { id: 'c', language: 'python', text: CODE },
      { id: 'd', task: 'explain', language: 'python', text: CODE, completion: RIGHT },
      ...Array.from({ length: 6 }, (_, i) => ({ id: `r${i}`, task: 'implement', language: 'python', text: CODE, completion: i % 2 === 0 ? RIGHT : WRONG })),
    ];
    await writeFile(path.join(sandbox.tmp, 'in.jsonl'), lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    const result = await runCli(['verify', '--jsonl', 'in.jsonl', '--out', 'out.jsonl', '--concurrency', '3'], { env: env(), cwd: sandbox.tmp });
    assert.equal(result.code, 1, 'bad lines make the exit code 1');
    assert.match(result.stderr, /in\.jsonl:3: not valid JSON/);
    assert.match(result.stderr, /in\.jsonl:4: id "c": "completion" \(the model's raw answer\) must be a string/);
    assert.doesNotMatch(result.stderr, /def add/, 'a bad line is never quoted');
    const out = (await readFile(path.join(sandbox.tmp, 'out.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(out.map((o) => o.id), ['a', 'b', 'd', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5'], 'input order, bad lines left out');
    assert.deepEqual(out.map((o) => o.verdict), ['pass', 'fail', 'unknown', 'pass', 'fail', 'pass', 'fail', 'pass', 'fail']);
    const b = out[1]!;
    assert.deepEqual([b.checks, b.passed], [1, 0]);
    assert.match(JSON.stringify(b.failures), /assert add\(2, 3\) == 5/);
    for (const o of out) assert.deepEqual(Object.keys(o).slice(0, 6), ['id', 'verdict', 'checks', 'passed', 'failures', 'ms']);
  });

  it('uses the user config\'s verify.python unless --python says otherwise', async () => {
    await files(RIGHT);
    const config = path.join(sandbox.tmp, 'config.yaml');
    await writeFile(config, 'verify: { python: /nonexistent/python-from-config }\n');
    const fromConfig = await runCli(['--config', config, 'verify', '--code', 'add.py', '--answer', 'answer.md'], { env: env(), cwd: sandbox.tmp });
    assert.equal(fromConfig.code, 5, 'the configured interpreter is not there: nothing could be checked');
    assert.match(fromConfig.stdout + fromConfig.stderr, /Python/);
    const flag = await runCli(['--config', config, 'verify', '--code', 'add.py', '--answer', 'answer.md', '--python', 'python3'], { env: env(), cwd: sandbox.tmp });
    assert.equal(flag.code, 0, flag.stdout + flag.stderr);
  });

  it('reports a missing interpreter as unknown with one notice naming what to set', async () => {
    await files(RIGHT);
    const result = await runCli(['verify', '--code', 'add.py', '--answer', 'answer.md', '--python', '/nonexistent/python9'], { env: env(), cwd: sandbox.tmp });
    assert.equal(result.code, 5);
    assert.match(result.stdout + result.stderr, /Python/);
  });
});

describe('CLI: ask --verify (the cascade)', function () {
  this.timeout(60_000);
  const sandbox = useCliSandbox('model-router-cli-cascade-');

  async function config(): Promise<string> {
    const file = path.join(sandbox.tmp, 'config.yaml');
    await writeFile(
      file,
      `localFirst: false
retry: { maxAttemptsPerCandidate: 1, baseDelayMs: 5, maxDelayMs: 10, retryAfterCapMs: 1000 }
agents:
  implementer: { chain: [openai], reasoning: test }
`,
    );
    await writeFile(path.join(sandbox.tmp, 'add.py'), CODE);
    return file;
  }

  it('escalates a failing cheap answer and prints only the passing one, each step on stderr, recorded in the ledger', async () => {
    const file = await config();
    sandbox.fakes.openai.enqueue({ text: WRONG }, { text: RIGHT });
    const result = await runCli(['--config', file, 'ask', '--task', 'implement', '--file', 'add.py', '--verify', '--json'], { env: fakeProviderEnv(sandbox.tmp, sandbox.fakes), cwd: sandbox.tmp });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.startsWith(RIGHT), 'only the checked answer is printed');
    assert.ok(!result.stdout.includes('a * b'), 'the failing answer is never printed');
    assert.match(result.stderr, /light tier first, checked by 2 checks, escalated only if one fails/);
    assert.match(result.stderr, /openai\/\S+ answered · checking 2 examples/);
    assert.match(result.stderr, /checked: 2 of 2 examples failed \(.*add\(2, 3\): expected 5, got 6\)/);
    assert.match(result.stderr, /escalating to the medium tier/);
    assert.match(result.stderr, /answered by openai\/\S+ .*checked: 2\/2 examples pass/);
    const decision = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { escalatedBy?: string; cascade?: { kept?: string } };
    assert.equal(decision.escalatedBy, 'verification');
    assert.equal(decision.cascade?.kept, 'pass');
    const costs = await runCli(['--config', file, 'costs', '--json'], { env: fakeProviderEnv(sandbox.tmp, sandbox.fakes), cwd: sandbox.tmp });
    assert.match(costs.stdout, /"escalatedBy":"verification"/);
  });

  it('without consent runs no code: one note, routed by complexity', async () => {
    const file = await config();
    sandbox.fakes.openai.enqueue({ text: WRONG });
    const result = await runCli(['--config', file, 'ask', '--task', 'implement', '--file', 'add.py'], { env: fakeProviderEnv(sandbox.tmp, sandbox.fakes), cwd: sandbox.tmp });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /this request carries checks .* pass --verify/);
    assert.doesNotMatch(result.stderr, /checking \d/);
    assert.equal(sandbox.fakes.openai.modelRequests.length, 1);
  });
});
