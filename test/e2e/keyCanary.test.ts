/**
 * The key canary. Three recognisable keys (`sk-canary-` + random hex, one per hosted protocol: Anthropic, OpenAI,
 * Gemini) are stored through "Model Router: Set API Key" as a person does, then requests are run that succeed and
 * that fail (401, 500, 429 scripted at the fakes, plus a real "wrong key" 401 whose body quotes the key masked, as
 * OpenAI's does). The fakes must have received each canary in the provider's own auth header, so the test cannot pass
 * by never sending it. Then no canary may be found in:
 * - a settings file: the user's settings.json and any .vscode/settings.json of the workspace;
 * - a log: the Model Router Output channel as shown, and every log file of the session (the channel's file included);
 * - the ledger: the sqlite file and its journals in the extension's global storage;
 * - the screen: the window's rendered text at every screenshot, and any DOM text or attribute at any time;
 * - an error message: every notification shown (message, source and buttons).
 * The Model Router log level is set to Trace through the UI first, so the log holds everything it can hold.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { FakeProviderServer, FakeStep, RecordedRequest } from '../fakes/fakeServer';
import { INVOICE_PATH, INVOICE_PY, INVOICE_TOTAL_LINES } from './fixtures';
import { E2ESession, filesContaining, listFiles, redact, squash } from './harness';

type Hosted = 'anthropic' | 'openai' | 'gemini';

const LABELS: Record<Hosted, string> = { anthropic: 'Anthropic', openai: 'OpenAI', gemini: 'Gemini' };

/** The command that goes to each provider: every agent's chain is that one provider alone (user settings below). */
const COMMANDS: Record<Hosted, { command: string; document: RegExp }> = {
  anthropic: { command: 'Model Router: Explain', document: /^Explain — / },
  openai: { command: 'Model Router: Review', document: /^Review — / },
  gemini: { command: 'Model Router: Ask…', document: /^Ask — / },
};

function canary(): string {
  return `sk-canary-${randomBytes(16).toString('hex')}`;
}

describe('Key canary: a stored key reaches the providers and nothing else (settings, logs, ledger, screen, errors)', () => {
  let vs: E2ESession;
  const keys: Record<Hosted, string> = { anthropic: canary(), openai: canary(), gemini: canary() };
  /** Every piece that must never show up: each whole key, and its random part alone. */
  const needles = Object.values(keys).flatMap((key) => [key, key.slice('sk-canary-'.length)]);

  before(async () => {
    vs = await E2ESession.start({
      // A workspace settings file, so that the settings check reads one (nothing should ever write a key there).
      workspaceFiles: { [INVOICE_PATH]: INVOICE_PY, '.vscode/settings.json': '{\n  "editor.tabSize": 4\n}\n' },
      userSettings: {
        'modelRouter.log.level': 'trace',
        'modelRouter.agents.explainer': ['anthropic'],
        'modelRouter.agents.reviewer': ['openai'],
        'modelRouter.agents.architect': ['gemini'],
        // Each provider must be asked again after its first answer (to fail with 500, 429, a rejected key): an
        // identical Explain or Review would otherwise be answered from the answer cache without a request.
        'modelRouter.cache.enabled': false,
      },
    });
    await vs.recordNotifications();
    for (const needle of needles) await vs.forbidText(needle);
  });

  after(async () => {
    await vs?.stop();
  });

  function fake(provider: Hosted): FakeProviderServer {
    return vs.fakes![provider];
  }

  it('sets the Model Router log level to Trace through the UI', async () => {
    // The channel exists once the extension is active: "Show Log" activates it and shows the channel.
    // Once seen in full CI the panel did not open (the palette's pick was lost on a busy machine): run it again, at
    // most three times, before giving up.
    for (let attempt = 1; ; attempt += 1) {
      await vs.runCommand('Model Router: Show Log');
      try {
        await vs.output.waitForChannel('Model Router', attempt < 3 ? 7_000 : undefined);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    await vs.runCommand('Developer: Set Log Level...');
    const input = vs.quickInput.locator('.quick-input-box input');
    await input.fill('Model Router');
    await vs.pickQuickItem('Model Router', { title: undefined });
    await vs.pickQuickItem('Trace', { screenshot: 'Model Router log level Trace' });
  });

  it('stores the three canary keys through "Model Router: Set API Key"', async () => {
    await vs.openViewContainer('Model Router');
    await vs.setSidebarWidth(480);
    for (const provider of ['anthropic', 'openai', 'gemini'] as const) {
      await vs.runCommand('Model Router: Set API Key');
      await vs.pickQuickItem(LABELS[provider], { title: 'Model Router: Set API Key' });
      await vs.typeIntoInputBox(keys[provider], { title: `Model Router: ${LABELS[provider]} API key`, password: true, screenshot: `${provider} canary typed` });
      await vs.waitForNotification(new RegExp(`Model Router: ${LABELS[provider]} key stored\\.`));
      await vs.waitForTreeItem('Providers', LABELS[provider], /^key set · /);
    }
    await vs.clearNotifications();
    await vs.screenshot('three canary keys stored');
  });

  /** What the user is told when every attempt failed, per provider and fault. */
  const FAILURES: Record<Hosted, Record<'server' | 'rate_limit' | 'auth', RegExp>> = {
    anthropic: {
      server: /^Model Router: Every candidate failed\. Last: Anthropic HTTP 500 /,
      rate_limit: /^Model Router: Every candidate failed\. Last: Anthropic HTTP 429 /,
      auth: /^Model Router: .*Anthropic HTTP 401 /,
    },
    openai: {
      server: /^Model Router: Every candidate failed\. Last: OpenAI HTTP 500 /,
      rate_limit: /^Model Router: Every candidate failed\. Last: OpenAI HTTP 429 /,
      auth: /^Model Router: .*OpenAI HTTP 401 /,
    },
    gemini: {
      server: /^Model Router: Every candidate failed\. Last: Gemini HTTP 500 /,
      rate_limit: /^Model Router: Every candidate failed\. Last: Gemini HTTP 429 /,
      auth: /^Model Router: .*Gemini HTTP 400 /,
    },
  };

  /**
   * Runs the provider's command on the selection and waits until the run is over: the answer's footer, or the error
   * notification matching `failure`. Returns what was shown. Then resets provider health (failures open circuits).
   */
  async function run(provider: Hosted, steps: FakeStep[], failure?: { shown: RegExp; what: string }): Promise<string> {
    fake(provider).enqueue(...steps);
    const mark = (await vs.notificationHistory()).length;
    await vs.openFile(INVOICE_PATH);
    await vs.selectLines(...INVOICE_TOTAL_LINES);
    await vs.runCommand(COMMANDS[provider].command);
    if (provider === 'gemini') {
      await vs.typeIntoInputBox('Is this safe with negative VAT rates?', { title: 'Model Router: Ask' });
    }
    let shown: string;
    if (!failure) {
      shown = squash(await vs.waitForEditorText(COMMANDS[provider].document, /tokens\s+·/, 30_000));
    } else {
      shown = await vs.waitForNotificationHistory(failure.shown, 30_000, mark);
      await vs.waitForNotification(failure.shown); // on screen, faded in, for the screenshot
    }
    await vs.screenshot(`${provider} ${failure ? `error shown: ${failure.what}` : 'answered'}`);
    assert.equal(fake(provider).pending, 0, 'every scripted answer was used');
    await vs.clearNotifications();
    await vs.runCommand('Model Router: Reset Provider Health');
    await vs.pickQuickItem('All providers');
    await vs.waitForNotification(/health reset for all providers/);
    await vs.clearNotifications();
    return shown;
  }

  for (const provider of ['anthropic', 'openai', 'gemini'] as const) {
    it(`${provider}: answers, then fails with 500, 429 and a rejected key, each shown to the user`, async () => {
      const answered = await run(provider, [{ text: `A SIMULATED ${provider} answer.` }]);
      assert.match(answered, new RegExp(`A SIMULATED ${provider} answer\\.`));
      const shown = [answered];
      shown.push(await run(provider, [{ error: 'server' }, { error: 'server' }], { shown: FAILURES[provider].server, what: '500 twice' }));
      // Retry-after 2 minutes, beyond the router's 60 s cap: no retry, the user is told at once. (A short retry-after
      // would be retried after exactly that delay, which the key's own 429 penalty can still refuse by a millisecond.)
      shown.push(await run(provider, [{ error: 'rate_limit', retryAfterSeconds: 120 }], { shown: FAILURES[provider].rate_limit, what: '429' }));
      // A real wrong-key answer: the fake checks the key and answers as the provider does (OpenAI quotes it masked).
      fake(provider).expectedKey = `sk-other-${randomBytes(8).toString('hex')}`;
      try {
        shown.push(await run(provider, [{}], { shown: FAILURES[provider].auth, what: 'key rejected' }));
      } finally {
        fake(provider).expectedKey = undefined;
      }
      assert.equal(shown.length, 4);
    });
  }

  it('Test Connection with a rejected key shows the provider\'s error (OpenAI quotes the key masked; we show none of it)', async () => {
    fake('openai').expectedKey = `sk-other-${randomBytes(8).toString('hex')}`;
    try {
      await vs.runCommand('Model Router: Test Connection');
      await vs.pickQuickItem('OpenAI', { title: 'Model Router: Test Connection' });
      await vs.waitForNotification(/Model Router: OpenAI failed the connection test: OpenAI HTTP 401 /);
      await vs.screenshot('Test Connection failed for OpenAI');
    } finally {
      fake('openai').expectedKey = undefined;
    }
    // The fake's body said "Incorrect API key provided: sk-cana***…"; a masked key is still part of the key.
    const rejected = fake('openai').requests.filter((r) => r.path.endsWith('/models') && fake('openai').protocol.presentedKey(r) === keys.openai);
    assert.ok(rejected.length > 0, 'Test Connection sent the canary to the models endpoint');
    await vs.clearNotifications();
  });

  it('sent each canary to its provider, in the provider\'s own auth header, and no other key', () => {
    const where: Record<Hosted, RegExp> = {
      anthropic: /^(x-api-key|authorization)$/, // this SDK sends an API key as "Authorization: Bearer"
      openai: /^authorization$/,
      gemini: /^x-goog-api-key$/,
    };
    for (const provider of ['anthropic', 'openai', 'gemini'] as const) {
      const requests = fake(provider).requests;
      const withKey = requests.filter((r: RecordedRequest) => fake(provider).protocol.presentedKey(r) === keys[provider]);
      // 4 runs: 1 + 2 (500) + 1 (429) + 1 (rejected key) requests; OpenAI also Test Connection.
      assert.ok(withKey.length >= 5, `${provider} received its canary ${withKey.length} times`);
      // The OpenAI-compatible fake is also the local server (no key), which is probed at its models endpoint when
      // routing starts: those requests carry no key at all. Every other request carries the canary.
      // (the OpenAI SDK needs some key: ours sends the placeholder "not-needed" for a provider without one).
      const keyless = requests.filter((r: RecordedRequest) => [undefined, 'not-needed'].includes(fake(provider).protocol.presentedKey(r)));
      assert.ok(keyless.every((r) => r.endpoint === 'models' && provider === 'openai'), `${provider}: requests without its key: ${keyless.map((r) => `${r.method} ${r.path}`).join(', ')}`);
      assert.equal(withKey.length + keyless.length, requests.length, `every request to ${provider} carried its canary or (the local server's probe) no key`);
      for (const request of withKey) {
        const carrying = Object.entries(request.headers).filter(([, value]) => value.includes(keys[provider])).map(([name]) => name);
        assert.equal(carrying.length, 1, `${request.method} ${request.path}: the key is in one header`);
        assert.match(carrying[0]!, where[provider], `${request.method} ${request.path}: the key is in the provider's auth header`);
        assert.ok(!request.rawBody.includes(keys[provider]) && !Object.values(request.query).some((v) => v.includes(keys[provider])), 'not in the body or URL');
      }
      for (const other of Object.values(keys).filter((k) => k !== keys[provider])) {
        assert.ok(
          !requests.some((r) => r.rawBody.includes(other) || Object.values(r.headers).some((v) => v.includes(other))),
          `${provider} never received another provider's key`,
        );
      }
    }
  });

  it('finds no canary in the settings files (user settings.json, the workspace\'s .vscode/settings.json)', () => {
    const workspaceSettings = path.join(vs.server.workspace, '.vscode', 'settings.json');
    const files = [vs.userSettingsFile, workspaceSettings];
    assert.match(fs.readFileSync(vs.userSettingsFile, 'utf8'), /modelRouter\.agents\.explainer/, 'the user settings file is the one in use');
    assert.ok(fs.existsSync(workspaceSettings));
    for (const needle of needles) assert.deepEqual(filesContaining(files, needle), [], `settings hold ${redact(needle)}`);
  });

  let requestIds: string[] = [];

  it('finds no canary in the logs: the Output channel as shown, its log file (at Trace), every other log', async () => {
    await vs.runCommand('Model Router: Show Log');
    await vs.output.waitForChannel('Model Router');
    const shown = await vs.output.text();
    await vs.screenshot('Model Router log after the canary runs');
    const channelFile = vs.outputChannelLogFile('Model Router');
    assert.ok(channelFile, `the channel's log file exists among ${JSON.stringify(vs.logFiles())}`);
    const logText = fs.readFileSync(channelFile, 'utf8');
    assert.match(logText, /\[trace\]/, 'the log was written at Trace');
    assert.match(logText, /\[debug\] Attempt 2 on anthropic\//, 'the log has the attempts');
    assert.match(logText, /Incorrect API key provided: \[redacted\]/, "OpenAI's masked key was redacted");
    requestIds = [...logText.matchAll(/Request ([0-9a-f-]{36}) (answered|failed)/g)].map((m) => m[1]!);
    assert.equal(requestIds.length, 12, 'twelve runs were logged');
    const logs = [...vs.logFiles(), vs.server.logFile];
    assert.ok(logs.length >= 5, `the session's logs: ${logs.length}`);
    for (const needle of needles) {
      assert.ok(!shown.includes(needle), `the Output panel shows ${redact(needle)}`);
      assert.deepEqual(filesContaining(logs, needle), [], `a log holds ${redact(needle)}`);
    }
  });

  it('finds no canary in the ledger (the sqlite file and its journals), which holds every run', () => {
    const files = listFiles(vs.ledgerDir);
    assert.ok(files.some((f) => /\.(sqlite|jsonl)$/.test(f)), `the ledger's files: ${JSON.stringify(files)}`);
    for (const id of requestIds) {
      assert.ok(filesContaining(files, id).length > 0, `the ledger records request ${id}`);
    }
    for (const needle of needles) assert.deepEqual(filesContaining(vs.globalStorageDir, needle), [], `the ledger holds ${redact(needle)}`);
  });

  it('shows no canary in the Providers tree\'s tooltips (health with the last error)', async () => {
    for (const provider of ['anthropic', 'openai', 'gemini'] as const) {
      const row = vs.viewTreeRows('Providers').filter({ has: vs.page.locator('.label-name', { hasText: new RegExp(`^${LABELS[provider]}$`) }) });
      await row.hover();
      const hover = vs.page.locator('.monaco-hover').filter({ hasText: `${LABELS[provider]} (${provider}` });
      await hover.waitFor({ timeout: 10_000 });
      assert.match(await hover.innerText(), /Health: /);
      await vs.screenshot(`${provider} tooltip in the Providers tree`);
      await vs.page.mouse.move(700, 450);
      await hover.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    }
  });

  it('showed no canary on screen (at any screenshot, or in the DOM at any time) or in any notification', async () => {
    const history = await vs.notificationHistory();
    assert.ok(history.filter((text) => /^Model Router: Every candidate failed\./.test(text)).length >= 9, 'the failures were shown');
    for (const needle of needles) {
      assert.ok(!history.some((text) => text.includes(needle)), `a notification showed ${redact(needle)}`);
    }
    assert.deepEqual(await vs.forbiddenTextSightings(), [], 'the DOM never held a canary');
    assert.ok(vs.screenshotTextChecks >= 21, `every screenshot's text was checked (${vs.screenshotTextChecks})`);
    assert.match(await vs.visibleText(), /Model Router/, 'the checked text is the window\'s text');
  });

  it('finds no canary anywhere in the session folder (server state, workspace, logs, browser profile)', () => {
    // SecretStorage under code-server keeps secrets in the browser's localStorage, encrypted; nothing else may hold them.
    for (const needle of needles) {
      const hits = filesContaining(vs.server.stateDir, needle).map((h) => `${path.relative(vs.server.stateDir, h.file)} (${h.encoding})`);
      assert.deepEqual(hits, [], `${redact(needle)} found on disk`);
    }
  });
});
