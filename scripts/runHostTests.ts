/**
 * `npm run test:host`: runs the extension-host suite (dist-test/integration/index.js, the same bundle that
 * `npm run test:vscode` gives @vscode/test-electron) inside code-server's extension host, headlessly. The npm
 * script bundles the extension and the suite first (`node esbuild.js --tests`).
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
import { launchChromium, onTerminationSignals, repoRoot, startCodeServer, type Browser, type CodeServer } from './codeServer';

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
  let done = false; // once set, the workbench's log is no longer printed (it chatters while shutting down)
  const cleanup = async (): Promise<void> => {
    done = true;
    await browser?.close();
    await server?.stop();
  };
  onTerminationSignals(cleanup);

  try {
    server = await startCodeServer({
      env: options.grep ? { MODEL_ROUTER_TEST_GREP: options.grep } : {},
      ...(options.verbose ? { echo: process.stderr } : {}),
    });
    console.log(`test:host: code-server ${server.origin} (pid ${server.pid}), suite ${path.relative(repoRoot, suite)}`);
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
      const line = format(...(Array.isArray(args) ? args : [args]));
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
