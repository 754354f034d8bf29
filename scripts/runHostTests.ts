/**
 * `npm run test:host`: runs the extension-host suite (dist-test/integration/index.js, the same bundle that
 * `npm run test:vscode` gives @vscode/test-electron) inside code-server's extension host, headlessly. The npm
 * script bundles the extension and the suite first (`node esbuild.js --tests`).
 *
 * What the extension host gets (the contract is test/integration/support/protocol.ts):
 * - the SIMULATED providers of test/fakes (startFakeProviders, as `npm run dev -- --demo` and the e2e harness):
 *   their base URLs and placeholder keys in the environment, except ANTHROPIC_BASE_URL (Anthropic's endpoint is set
 *   in the user's config file instead, where the workspace rule can be observed: the variable outranks every file)
 *   and Gemini's key (withheld: a test stores it through "Set API Key"). No MODEL_ROUTER_DEMO: keys go through
 *   SecretStorage, which starts empty (fresh user data and browser profile);
 * - a `canary` Anthropic fake that the workspace's `.model-router.yaml` tries to redirect the Anthropic key to;
 * - MODEL_ROUTER_TEST_CONTROL_URL: a loopback control endpoint (test/fakes/control.ts) to script faults and read
 *   what each fake received, plus UI routes that type into a quick input or click a notification button or the
 *   Workspace Trust editor in the browser, for a test whose command waits for a person;
 * - test/integration/fakeLmExtension installed beside it: a language-model provider of vendor "fake" (fake/fake-small)
 *   for the vscode-lm provider's tests;
 * - workspace trust ON: the folder opens untrusted (Restricted Mode; the workbench refuses the trust dialog while
 *   tests run) until a test trusts it through the Workspace Trust editor.
 *
 * The workbench loads the extension through the `payload` URL parameter (extensionDevelopmentPath) and requires the
 * suite (extensionTestsPath); the workbench reports through two functions exposed on the page:
 * codeAutomationLog(level, args) carries mocha's output, printed here, and codeAutomationExit(code) the result,
 * which becomes this command's exit code.
 *
 *   tsx scripts/runHostTests.ts [--grep PATTERN] [--timeout SECONDS] [--suite FILE] [--verbose]
 *
 *   --grep PATTERN    run only the tests whose full title matches (sets MODEL_ROUTER_TEST_GREP in the extension host)
 *   --timeout S       give up after S seconds (default 300, or MODEL_ROUTER_HOST_TEST_TIMEOUT)
 *   --suite FILE      another suite module exporting run() (default dist-test/integration/index.js)
 *   --verbose         also print code-server's own output and the browser console
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';

import type { Page } from 'playwright-core';

import { WORKSPACE_CONFIG_FILE } from '../src/core/config/paths';
import { errorMessage } from '../src/core/util/errorMessage';
import { createAnthropicFake } from '../test/fakes/anthropicFake';
import { type ControlRoute, type FakeControl, startFakeControl } from '../test/fakes/control';
import { type FakeProviders, startFakeProviders } from '../test/fakes/fakeProviders';
import type { FakeProviderServer } from '../test/fakes/fakeServer';
import {
  CONTROL_URL_ENV,
  type NotificationAction,
  type NotificationAnswer,
  type QuickInputAction,
  UiRoute,
  userConfigYaml,
  workspaceConfigYaml,
} from '../test/integration/support/protocol';
import {
  type Browser,
  type CodeServer,
  isolatedEnv,
  launchChromium,
  onTerminationSignals,
  repoRoot,
  startCodeServer,
} from './codeServer';

/**
 * The workbench's own chatter, which reaches codeAutomationLog with mocha's output. Hidden unless --verbose; a line
 * that does not match is always printed, so a change in VS Code can only add noise, never hide a test result.
 */
const workbenchNoise = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket/,
  /^Ignoring fetching additional builtin extensions/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /^\[lifecycle\]/,
  // Workspace trust is on and tests run: the workbench refuses the trust dialog (expected; see the header).
  /^DialogService: refused to show dialog in tests\. Contents: Do you trust the authors/,
  // code-server ships the built-in TypeScript extension without tsserver.js; opening a .ts sample makes it complain.
  /^rejected promise not handled within 1 second: Error: Could not find bundled tsserver\.js/,
  /^stack trace: Error: Could not find bundled tsserver\.js/,
  /^An unknown error occurred\. Please consult the log for more details\./,
];

interface Options {
  grep?: string;
  suite: string;
  timeoutSeconds: number;
  verbose: boolean;
}

function usage(message: string): never {
  console.error(`test:host: ${message}`);
  console.error('usage: npm run test:host -- [--grep PATTERN] [--timeout SECONDS] [--suite FILE] [--verbose]');
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    suite: path.join(repoRoot, 'dist-test', 'integration', 'index.js'),
    timeoutSeconds: Number(process.env['MODEL_ROUTER_HOST_TEST_TIMEOUT'] ?? 300),
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--grep') {
      options.grep = argv[++i] ?? usage('--grep needs a pattern');
    } else if (arg === '--suite') {
      options.suite = path.resolve(argv[++i] ?? usage('--suite needs a file'));
    } else if (arg === '--timeout') {
      options.timeoutSeconds = Number(argv[++i]);
    } else if (arg === '--verbose') {
      options.verbose = true;
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  if (!Number.isFinite(options.timeoutSeconds) || options.timeoutSeconds <= 0) {
    usage('--timeout needs a positive number of seconds');
  }
  return options;
}

/** How long a UI route waits for what it looks for (a command may take a few seconds to show its input). */
const UI_TIMEOUT_MS = 15_000;

/**
 * The extension host's environment: the fakes' (see the header), with ANTHROPIC_BASE_URL and Gemini's key emptied
 * (empty counts as unset; an inherited real value must not leak in either) and demo mode off.
 */
function hostEnvironment(fakes: FakeProviders, control: FakeControl): Record<string, string> {
  return {
    ...fakes.env,
    ANTHROPIC_BASE_URL: '',
    GEMINI_API_KEY: '',
    GOOGLE_API_KEY: '',
    MODEL_ROUTER_DEMO: '',
    [CONTROL_URL_ENV]: control.url,
  };
}

/** The runner's UI routes (see test/integration/support/protocol.ts), acting on the workbench page once it exists. */
function uiRoutes(currentPage: () => Page | undefined, log: (line: string) => void): Record<string, ControlRoute> {
  const page = (): Page => {
    const value = currentPage();
    if (!value) throw new Error('the workbench page is not open yet');
    return value;
  };
  return {
    [UiRoute.quickInput]: async (body) => {
      const { title, value } = body as QuickInputAction;
      log(`ui: quick input "${title}" <- ${value.length} characters`);
      const widget = page().locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      await widget.locator('.quick-input-box input').fill(value);
      // A quick pick filters as it is typed: Enter must pick the row that matches, not the one that was first.
      const rows = widget.locator('.quick-input-list .monaco-list-row');
      if ((await rows.count()) > 0) {
        await rows.first().filter({ hasText: value }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      }
      await page().keyboard.press('Enter');
      return {};
    },
    [UiRoute.notification]: async (body): Promise<NotificationAnswer> => {
      const { message, button } = body as NotificationAction;
      log(`ui: notification "${message}"${button ? ` -> ${button}` : ''}`);
      const toast = page()
        .locator('.notifications-toasts .notification-toast')
        .filter({ has: page().locator('.notification-list-item-message', { hasText: message }) })
        .first();
      await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS }).catch(async (error: unknown) => {
        // Say what the workbench showed instead: the toasts on screen and the notification center's messages.
        const shown = await page().locator('.notifications-toasts .notification-list-item-message').allInnerTexts().catch(() => []);
        const center = await page().locator('.notifications-center .notification-list-item-message').allInnerTexts().catch(() => []);
        throw new Error(`${errorMessage(error)}\nToasts shown: ${JSON.stringify(shown)}\nNotification center: ${JSON.stringify(center)}`);
      });
      const text = await toast.locator('.notification-list-item-message').innerText();
      if (button) {
        await toast.locator('.monaco-button', { hasText: button }).first().click({ timeout: UI_TIMEOUT_MS });
      }
      return { text };
    },
    [UiRoute.trustWorkspace]: async () => {
      log('ui: Workspace Trust editor -> Trust');
      const trust = page()
        .locator('.workspace-trust-editor .workspace-trust-buttons .monaco-button')
        .filter({ hasText: 'Trust' })
        .filter({ hasNotText: 'Parent' })
        .filter({ hasNotText: "Don't" })
        .first();
      await trust.click({ timeout: UI_TIMEOUT_MS });
      return {};
    },
  };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const suite = options.suite;
  for (const file of [path.join(repoRoot, 'dist', 'extension.js'), suite]) {
    if (!fs.existsSync(file)) {
      console.error(`test:host: ${path.relative(repoRoot, file)} is missing: run \`node esbuild.js --tests\` first.`);
      return 1;
    }
  }

  const started = Date.now();
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let fakes: FakeProviders | undefined;
  let canary: FakeProviderServer | undefined;
  let control: FakeControl | undefined;
  let done = false; // once set, the workbench's log is no longer printed (it chatters while shutting down)
  const cleanup = async (): Promise<void> => {
    done = true;
    await browser?.close();
    await server?.stop();
    await control?.close();
    await canary?.close();
    await fakes?.close();
  };
  onTerminationSignals(cleanup);

  try {
    fakes = await startFakeProviders();
    canary = createAnthropicFake({ defaultStep: { text: 'CANARY: no request should ever reach this server.' } });
    await canary.start();
    const verboseLog = (line: string): void => {
      if (options.verbose) console.error(`test:host: ${line}`);
    };
    control = await startFakeControl(
      { anthropic: fakes.anthropic, openai: fakes.openai, gemini: fakes.gemini, canary },
      uiRoutes(() => browser?.page, verboseLog),
    );
    server = await startCodeServer({
      env: { ...hostEnvironment(fakes, control), ...(options.grep ? { MODEL_ROUTER_TEST_GREP: options.grep } : {}) },
      workspaceFiles: { [WORKSPACE_CONFIG_FILE]: workspaceConfigYaml(canary.baseURL) },
      workspaceTrust: true,
      // Beside Model Router: a fixture extension with a fake language-model provider (vendor "fake").
      installExtensions: [path.join(repoRoot, 'test', 'integration', 'fakeLmExtension')],
      ...(options.verbose ? { echo: process.stderr } : {}),
    });
    // The user's config file, where the extension host looks for it (XDG_CONFIG_HOME inside the state folder).
    const userConfig = path.join(isolatedEnv(server.stateDir).XDG_CONFIG_HOME, 'model-router', 'config.yaml');
    fs.mkdirSync(path.dirname(userConfig), { recursive: true });
    fs.writeFileSync(userConfig, userConfigYaml(fakes.anthropic.baseURL));
    console.log(`test:host: code-server ${server.origin} (pid ${server.pid}), suite ${path.relative(repoRoot, suite)}`);
    console.log(`test:host: simulated providers ${[fakes.anthropic, fakes.openai, fakes.gemini].map((f) => f.baseURL).join(' ')}, control ${control.url}`);
    browser = await launchChromium(server.stateDir);
    const { page } = browser;
    if (options.verbose) {
      page.on('console', (message) => console.error(`[browser ${message.type()}] ${message.text()}`));
    }

    let settle: (code: number) => void = () => undefined;
    const result = new Promise<number>((resolve) => {
      settle = (code) => {
        done = true;
        resolve(code);
      };
    });
    await page.exposeFunction('codeAutomationLog', (level: string, args: unknown) => {
      const line = format(...(Array.isArray(args) ? (args as unknown[]) : [args]));
      if (!options.verbose && (done || workbenchNoise.some((noise) => noise.test(line)))) {
        return;
      }
      (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(typeof code === 'number' ? code : 1));
    page.on('crash', () => {
      console.error('test:host: the browser page crashed');
      settle(1);
    });

    const timeoutMs = options.timeoutSeconds * 1000;
    const timer = setTimeout(() => {
      console.error(`test:host: no result after ${options.timeoutSeconds} s; giving up.`);
      console.error(`--- code-server output (tail) ---\n${server?.logTail()}`);
      settle(1);
    }, timeoutMs);
    await page.goto(server.workbenchUrl({ extensionTestsPath: suite }), { timeout: 60_000 });
    const code = await result;
    clearTimeout(timer);
    if (code !== 0 && !options.verbose) {
      console.error(`--- code-server output (tail) ---\n${server.logTail(20)}`);
    }
    console.log(`test:host: exit code ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('test:host:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
