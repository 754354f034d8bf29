/**
 * `npm run dev`: builds the extension and opens it in a real VS Code, for trying it by hand.
 *
 * - When the desktop `code` command is on the PATH: `code --extensionDevelopmentPath=<repo> --wait <folder>`, the
 *   same Extension Development Host window that F5 opens.
 * - Otherwise (or with --server): code-server 4.104.0 on 127.0.0.1 (installed on first use by scripts/setup-e2e.sh); the
 *   script prints the URL to open in a browser. The URL loads the extension from this work tree (nothing installed).
 *
 * Either way esbuild keeps rebuilding dist/ on change (run "Developer: Reload Window" to load the new build), and
 * everything runs until Ctrl-C (or, desktop, until the window closes).
 *
 *   npm run dev -- [--demo] [--server] [--port N] [--folder PATH] [--port-base N] [--no-watch]
 *
 *   --demo         also start the SIMULATED providers (test/fakes) on 127.0.0.1 and pass their base URLs,
 *                  placeholder keys and MODEL_ROUTER_DEMO=1 to the extension host's environment
 *   --server       use code-server even when `code` is on the PATH
 *   --port N       code-server's port (default 47100, or a free one when 47100 is taken)
 *   --folder PATH  the folder to open (default .cache/dev/workspace, created with an example file)
 *   --port-base N  the fakes' ports: Anthropic N, OpenAI-compatible N+1, Gemini N+2 (default 47101, as `npm run fakes`)
 *   --no-watch     build once, do not rebuild on change
 *
 * code-server's state (settings, extensions, logs) lives in .cache/dev/code-server, never in $HOME.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { errorMessage } from '../src/core/util/errorMessage';
import { type FakeProviders, FAKES_DEFAULT_PORT_BASE, startFakeProviders } from '../test/fakes/fakeProviders';
import {
  CODE_SERVER_VERSION,
  type CodeServer,
  codeServerEntry,
  freePort,
  isPortFree,
  killSession,
  killSessionNow,
  repoRoot,
  startCodeServer,
  VSCODE_VERSION,
} from './codeServer';

const DEFAULT_PORT = 47100;
const devDir = path.join(repoRoot, '.cache', 'dev');

interface Options {
  demo: boolean;
  server: boolean;
  port?: number;
  folder?: string;
  portBase: number;
  watch: boolean;
}

function usage(message?: string): never {
  if (message) {
    console.error(`dev: ${message}`);
  }
  console.error('usage: npm run dev -- [--demo] [--server] [--port N] [--folder PATH] [--port-base N] [--no-watch]');
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { demo: false, server: false, portBase: FAKES_DEFAULT_PORT_BASE, watch: true };
  const port = (flag: string, value: string | undefined, max = 65535): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 1024 || n > max) {
      usage(`${flag} needs a port number in 1024..${max}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--demo':
        options.demo = true;
        break;
      case '--server':
        options.server = true;
        break;
      case '--port':
        options.port = port(arg, argv[++i]);
        break;
      case '--port-base':
        options.portBase = port(arg, argv[++i], 65533);
        break;
      case '--folder':
        options.folder = path.resolve(argv[++i] ?? usage('--folder needs a path'));
        break;
      case '--no-watch':
        options.watch = false;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return options;
}

/** The desktop `code` command, if one is on the PATH. */
function findCode(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'code');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A small folder to open, so the window has something to select code in. */
function defaultWorkspace(): string {
  const folder = path.join(devDir, 'workspace');
  const example = path.join(folder, 'example.ts');
  if (!fs.existsSync(example)) {
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(
      example,
      [
        '// A scratch file for trying Model Router by hand: select some code and run a Model Router command.',
        'export function fibonacci(n: number): number {',
        '  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);',
        '}',
        '',
      ].join('\n'),
    );
  }
  return folder;
}

function build(): void {
  const result = spawnSync(process.execPath, ['esbuild.js'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('dev: the build failed (see above).');
    process.exit(1);
  }
}

/** `node esbuild.js --watch` in its own session; its lines are prefixed with [esbuild]. */
function startWatcher(): ChildProcess {
  const child = spawn(process.execPath, ['esbuild.js', '--watch'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() !== '') {
          console.log(`[esbuild] ${line}`);
        }
      }
    });
  }
  return child;
}

function demoBanner(fakes: FakeProviders): string {
  return [
    '',
    '=====================================================================================',
    ' DEMO MODE: SIMULATED LLM PROVIDERS (local fakes). These are NOT Anthropic, OpenAI or Google.',
    ' Every answer is canned; nothing leaves this machine; no tokens are billed.',
    '=====================================================================================',
    ` Anthropic (simulated)          ${fakes.anthropic.baseURL}`,
    ` OpenAI-compatible (simulated)  ${fakes.openai.baseURL}`,
    ` Gemini (simulated)             ${fakes.gemini.baseURL}`,
    ' The extension host gets these in its environment:',
    ...Object.entries(fakes.env).map(([key, value]) => `   ${key}=${value}`),
    ' Note: the extension does not read these variables yet (provider settings come in a later version);',
    ' until then the simulated providers only answer requests you send them yourself.',
    '=====================================================================================',
    '',
  ].join('\n');
}

/** On a fresh machine code-server is not there yet: run the (idempotent) setup once, so `npm run dev` is one step. */
function ensureCodeServer(): void {
  try {
    codeServerEntry();
    return;
  } catch {
    console.log(`dev: code-server ${CODE_SERVER_VERSION} is not installed yet; running scripts/setup-e2e.sh (about a minute, once).`);
  }
  const setup = spawnSync('bash', [path.join(repoRoot, 'scripts', 'setup-e2e.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) {
    console.error('dev: scripts/setup-e2e.sh failed (above); fix that and run `npm run dev` again.');
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const code = options.server ? undefined : findCode();

  build();

  let fakes: FakeProviders | undefined;
  let watcher: ChildProcess | undefined;
  let server: CodeServer | undefined;
  let desktop: ChildProcess | undefined;
  let stopping = false;

  const stop = async (reason: string, exitCode = 0): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log(`\ndev: ${reason}; stopping...`);
    await server?.stop();
    if (watcher?.pid !== undefined) {
      await killSession(watcher.pid, 2_000);
    }
    await fakes?.close();
    console.log('dev: stopped.');
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void stop('Ctrl-C'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGHUP', () => void stop('SIGHUP'));
  process.once('exit', () => {
    if (watcher?.pid !== undefined) {
      killSessionNow(watcher.pid);
    }
  });

  try {
    if (options.demo) {
      fakes = await startFakeProviders({ portBase: options.portBase, demo: true });
      console.log(demoBanner(fakes));
    }
    if (options.watch) {
      watcher = startWatcher();
    }
    const env = fakes?.env ?? {};
    const folder = options.folder ?? defaultWorkspace();

    if (code) {
      const args = [`--extensionDevelopmentPath=${repoRoot}`, '--new-window', '--wait', folder];
      console.log(`dev: ${code} ${args.join(' ')}`);
      console.log('dev: the Extension Development Host window loads this work tree; close it or press Ctrl-C to stop.');
      desktop = spawn(code, args, { env: { ...process.env, ...env }, stdio: 'inherit' });
      desktop.once('exit', () => void stop('the VS Code window was closed'));
      desktop.once('error', (error) => void stop(`could not run ${code}: ${error.message}`, 1));
      return;
    }

    ensureCodeServer();
    const port = options.port ?? ((await isPortFree(DEFAULT_PORT)) ? DEFAULT_PORT : await freePort());
    server = await startCodeServer({
      stateDir: path.join(devDir, 'code-server'),
      workspace: folder,
      port,
      env,
    });
    const url = server.workbenchUrl({ folder });
    console.log(
      [
        '',
        `Model Router (development build) in VS Code ${VSCODE_VERSION}, served by code-server ${CODE_SERVER_VERSION} (pid ${server.pid})`,
        '',
        '  Open this URL in a browser on this machine:',
        '',
        `  ${url}`,
        '',
        `  (Plain ${server.origin}/ opens VS Code WITHOUT the extension: the payload parameter loads it from`,
        `  ${repoRoot}.) From another machine, forward the port first: ssh -L ${port}:127.0.0.1:${port} <this host>`,
        options.watch
          ? '  esbuild rebuilds dist/ on change: run "Developer: Reload Window" in VS Code to load the new build.'
          : '  Not watching: run `npm run build`, then "Developer: Reload Window" in VS Code, to load changes.',
        `  code-server log: ${server.logFile}`,
        fakes ? '  DEMO: the extension host sees the SIMULATED providers above (MODEL_ROUTER_DEMO=1).' : '',
        '  Ctrl-C stops everything.',
        '',
      ]
        .filter((line, index, lines) => line !== '' || lines[index - 1] !== '')
        .join('\n'),
    );
    server.child.once('exit', (exitCode, sig) => void stop(`code-server exited (code ${exitCode}, signal ${sig})`, 1));
  } catch (error) {
    console.error(`dev: ${errorMessage(error)}`);
    await stop('error', 1);
  }
}

void main();
