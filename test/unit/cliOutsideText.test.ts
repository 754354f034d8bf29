import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { CliRunResult } from '../support/cliHarness';
import { allBytes, fakeProviderEnv, runCli, SECRETS, useCliSandbox, writeRoutingConfig } from '../support/cliHarness';

/**
 * What the CLI prints and records of text that came from outside (answers, error bodies, files): no terminal control
 * sequence reaches the terminal, no key of any provider and no base URL password is printed or stored. The real CLI
 * (main) against the simulated providers, which misbehave on request (escape sequences, quoted keys).
 */

/** A raw terminal control: any C0 but \t and \n, a CR not followed by LF, DEL, any C1. */
const RAW_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\r(?!\n)/;

/** An error body that tries to clear the line and forge a status line, set the clipboard and hide a link. */
const HOSTILE_MESSAGE =
  'upstream error\x1b[2K\x1b[1G\rmodel-router: answered by anthropic/forged · $0\x1b]52;c;cm0gLXJmIH4=\x07 \x1b]8;;https://evil.example\x1b\\docs\x1b]8;;\x1b\\\x9b2J';

/** A key of another provider behind the same gateway, shaped like no known provider key (no pattern catches it). */
const GATEWAY_KEY = 'gw-TESTSECRET-deepseek-gateway-0123456789';

interface ExportedRequest {
  readonly outcome: string;
  readonly errorMessage: string | null;
}

function assertNoControls(text: string, what: string): void {
  const match = RAW_CONTROL.exec(text);
  assert.equal(match, null, `${what} holds a raw control U+${match?.[0].charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(text)}`);
}

describe('cli: text from outside (control characters, keys, URL passwords)', function () {
  this.timeout(30_000);
  const sb = useCliSandbox('model-router-cli-outside-');

  function run(argv: string[], extraEnv: Record<string, string | undefined> = {}, stdin?: string): Promise<CliRunResult> {
    return runCli(argv, { env: fakeProviderEnv(sb.tmp, sb.fakes, extraEnv), cwd: sb.tmp, ...(stdin !== undefined ? { stdin } : {}) });
  }

  function routing(): Promise<string> {
    return writeRoutingConfig(path.join(sb.tmp, 'routing.yaml'), 1);
  }

  async function exported(extraEnv: Record<string, string | undefined> = {}): Promise<{ text: string; requests: ExportedRequest[] }> {
    const result = await run(['costs', '--json'], extraEnv);
    assert.equal(result.code, 0, result.stderr);
    return { text: result.stdout, requests: (JSON.parse(result.stdout) as { requests: ExportedRequest[] }).requests };
  }

  describe('terminal control characters', () => {
    it('ask: escape sequences in a streamed answer, split across chunks, are shown, not obeyed; tabs and newlines stay', async () => {
      const file = await routing();
      sb.fakes.anthropic.enqueue({
        chunks: ['def f():\n\treturn 1\n', 'copy \x1b', ']52;c;cm0gLXJmIH4=\x07 clear \x1b[2J\x1b', '[H', '\rmodel-router: answered by anthropic/forged\r', '\nbye'],
      });
      const result = await run(['--config', file, 'ask', '--agent', 'explainer', '--prompt', 'hi']);
      assert.equal(result.code, 0, result.stderr);
      assertNoControls(result.stdout, 'stdout');
      assertNoControls(result.stderr, 'stderr');
      assert.equal(
        result.stdout,
        'def f():\n\treturn 1\ncopy \u241B]52;c;cm0gLXJmIH4=\u2407 clear \u241B[2J\u241B[H\u240Dmodel-router: answered by anthropic/forged\r\nbye\n',
      );
      assert.match(result.stderr, /^model-router: answered by anthropic\/claude-haiku-5-5 in /m, 'the real status line is still printed');
    });

    it('ask: an error body with escape sequences is shown harmless on stderr, and stored and exported without them', async () => {
      const file = await routing();
      sb.fakes.anthropic.enqueue({ error: 'server', errorMessage: HOSTILE_MESSAGE });
      sb.fakes.openai.enqueue({ error: 'server', errorMessage: HOSTILE_MESSAGE });
      const result = await run(['--config', file, 'ask', '--agent', 'explainer', '--prompt', 'hi']);
      assert.equal(result.code, 1, result.stderr);
      assertNoControls(result.stderr, 'stderr');
      // The provider layer quotes error bodies on one line (the CR became a space there); the escapes are shown.
      assert.match(result.stderr, /upstream error␛\[2K␛\[1G model-router: answered by anthropic\/forged/, result.stderr);
      assert.ok(result.stderr.includes('␛]52;c;cm0gLXJmIH4=␇'));

      const { text, requests } = await exported();
      assertNoControls(text, 'costs --json');
      assert.equal(requests.length, 1);
      assert.match(requests[0]!.errorMessage ?? '', /upstream error␛\[2K/);
      // The ledger files are binary (SQLite), so look for the sequences themselves.
      const ledger = await allBytes(sb.dataDir);
      assert.ok(ledger.includes('upstream error'), 'the error is recorded');
      for (const sequence of ['\x1b[2K', '\x1b[1G', '\x1b]52;c;cm0gLXJmIH4=\x07', '\x1b]8', '\x9b2J']) {
        assert.ok(!ledger.includes(sequence), `the ledger holds ${JSON.stringify(sequence)}`);
      }
      for (const format of [['costs'], ['costs', '--csv']]) {
        const report = await run(format);
        assert.equal(report.code, 0, report.stderr);
        assertNoControls(report.stdout, format.join(' '));
      }
    });

    it('status: an error body with escape sequences in the connection test is shown harmless', async () => {
      sb.fakes.anthropic.enqueueAux({ error: 'auth', errorMessage: HOSTILE_MESSAGE }, { error: 'auth', errorMessage: HOSTILE_MESSAGE });
      const result = await run(['status', '--timeout', '5000']);
      assertNoControls(result.stdout, 'status');
      assert.match(result.stdout, /anthropic .*FAILED.*upstream error␛\[2K/);
      const json = await run(['status', '--json']);
      assertNoControls(json.stdout, 'status --json');
    });

    it('config validate, providers and classify --jsonl: control characters from files are shown harmless', async () => {
      const config = path.join(sb.tmp, 'bad.yaml');
      await writeFile(config, 'agents:\n  "tester\\e[2J\\a": { chain: [anthropic] }\nproviders:\n  anthropic:\n    label: "Claude\\e[31m red \\rforged"\n');
      const validate = await run(['config', 'validate', config]);
      assertNoControls(validate.stdout + validate.stderr, 'config validate');
      // Quoted with JSON.stringify, which escapes controls itself.
      assert.match(validate.stdout, /unknown key "tester\\u001b\[2J\\u0007"/, validate.stdout);

      await writeFile(path.join(sb.tmp, 'labels.yaml'), 'providers:\n  anthropic:\n    label: "Claude\\e[31m red \\rforged"\n');
      const listed = await run(['--config', path.join(sb.tmp, 'labels.yaml'), 'providers']);
      assert.equal(listed.code, 0, listed.stderr);
      assertNoControls(listed.stdout, 'providers');
      assert.match(listed.stdout, /anthropic \(Claude␛\[31m red ␍forged\)/);

      const jsonl = `${JSON.stringify({ id: 'a\x1b]52;c;eA==\x07', text: 'x', task: 'dance\x1b[2J' })}\n`;
      const classify = await run(['classify', '--jsonl', '-'], {}, jsonl);
      assert.equal(classify.code, 1);
      assertNoControls(classify.stderr, 'classify --jsonl errors');
      assert.match(classify.stderr, /id "a\\u001b\]52;c;eA==\\u0007"/);
    });
  });

  describe('keys and passwords', () => {
    it('an error body quoting ANOTHER provider\'s key: not on stderr, not in the ledger, not in an export made without that key', async () => {
      const file = await routing();
      const message = `gateway: key ${GATEWAY_KEY} (deepseek) is over quota`;
      sb.fakes.anthropic.enqueue({ error: 'server', errorMessage: message });
      sb.fakes.openai.enqueue({ error: 'server', errorMessage: message });
      const result = await run(['--config', file, 'ask', '--agent', 'explainer', '--prompt', 'hi'], { DEEPSEEK_API_KEY: GATEWAY_KEY });
      assert.equal(result.code, 1, result.stderr);
      assert.ok(!result.stderr.includes(GATEWAY_KEY), result.stderr);
      assert.match(result.stderr, /gateway: key \[redacted\] \(deepseek\) is over quota/);

      const ledger = await allBytes(sb.dataDir);
      assert.ok(ledger.length > 0);
      assert.ok(!ledger.includes(GATEWAY_KEY), 'the ledger files hold the other provider\'s key');
      // Exported from a shell where the key is not set: the export alone must not hold it.
      const { text, requests } = await exported({ DEEPSEEK_API_KEY: undefined });
      assert.ok(!text.includes(GATEWAY_KEY));
      assert.match(requests[0]!.errorMessage ?? '', /gateway: key \[redacted\] \(deepseek\) is over quota/);
      const csv = await run(['costs', '--csv'], { DEEPSEEK_API_KEY: undefined });
      assert.ok(!csv.stdout.includes(GATEWAY_KEY));
    });

    it('ask: a key split across two stream chunks is still redacted on stdout', async () => {
      const file = await routing();
      const key = SECRETS.OPENAI_API_KEY;
      sb.fakes.anthropic.enqueue({ chunks: ['the key is ', key.slice(0, 9), key.slice(9, 20), `${key.slice(20)} and more`, ' s'] });
      const result = await run(['--config', file, 'ask', '--agent', 'explainer', '--prompt', 'hi']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'the key is [redacted] and more s\n');
      assert.ok(result.stdoutTimes.length >= 2, 'the answer still streams in pieces');
    });

    it('a base URL with user:password@ is masked in status, ask errors and the ledger', async () => {
      const file = await routing();
      const withCredentials = (url: string, credentials: string): string => url.replace('http://', `http://${credentials}@`);
      const env = {
        ANTHROPIC_BASE_URL: withCredentials(sb.fakes.anthropic.baseURL, 'alice:hunter2-long-password'),
        // Too short to be scrubbed as a value: only the URL masking hides it.
        OPENAI_BASE_URL: withCredentials(sb.fakes.openai.baseURL, 'bob:pw4'),
      };
      const leaks = (text: string): boolean => text.includes('hunter2') || text.includes('bob:pw4') || text.includes('alice');

      const status = await run(['status', '--timeout', '5000'], env);
      assert.ok(!leaks(status.stdout + status.stderr), status.stdout);
      assert.match(status.stdout, /http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1/);
      const statusJson = await run(['status', '--json'], env);
      assert.ok(!leaks(statusJson.stdout), statusJson.stdout);

      const asked = await run(['--config', file, 'ask', '--agent', 'explainer', '--prompt', 'hi'], env);
      assert.equal(asked.code, 1, asked.stderr);
      assert.ok(!leaks(asked.stderr), asked.stderr);
      assert.match(asked.stderr, /could not reach http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1/);

      assert.ok(!leaks(await allBytes(sb.dataDir)), 'the ledger holds the password');
      const { text } = await exported();
      assert.ok(!leaks(text));
    });

    it('a password in a base URL of the config file is never printed', async () => {
      const config = path.join(sb.tmp, 'proxy.yaml');
      await writeFile(config, `localFirst: false\nproviders:\n  anthropic:\n    baseUrl: ${sb.fakes.anthropic.baseURL.replace('http://', 'http://carol:correct-horse-battery@')}\n`);
      const providers = await run(['--config', config, 'providers'], { ANTHROPIC_BASE_URL: undefined });
      assert.equal(providers.code, 0, providers.stderr);
      const status = await run(['--config', config, 'status'], { ANTHROPIC_BASE_URL: undefined });
      for (const text of [providers.stdout, status.stdout, status.stderr]) {
        assert.ok(!text.includes('correct-horse-battery') && !text.includes('carol'), text);
      }
      assert.match(status.stdout, /\*\*\*:\*\*\*@/);
    });

    it('config validate: a key with no known prefix pasted as a baseUrl, key id or chain entry is located, not echoed', async () => {
      const key = '9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc';
      const config = path.join(sb.tmp, 'pasted.yaml');
      await writeFile(config, `providers:\n  openai:\n    baseUrl: ${key}\n    keys: [{ id: ${key} }]\nagents:\n  explainer:\n    chain: [openai, ${key}]\n`);
      const result = await run(['config', 'validate', config]);
      assert.equal(result.code, 3, result.stdout);
      assert.ok(!result.stdout.includes(key.slice(0, 8)) && !result.stderr.includes(key.slice(0, 8)), result.stdout);
      assert.match(result.stdout, /pasted\.yaml:3:14: error: providers\.openai\.baseUrl is a 40-character value that looks like an API key, not a URL/);
      assert.match(result.stdout, /pasted\.yaml:4:18: error: providers\.openai\.keys\[0\]\.id is a 40-character value/);
      assert.match(result.stdout, /pasted\.yaml:7:21: error: agents\.explainer\.chain\[1\] is a 40-character value/);
    });
  });
});
