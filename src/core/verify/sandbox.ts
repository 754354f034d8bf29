/**
 * Running model-written code: a child process per run in a fresh temporary folder, a minimal environment (no keys,
 * HOME in the temp folder), a wall-time limit, capped output, and the whole process group killed at the end.
 *
 * The memory limit is RLIMIT_DATA (`ulimit -d`, set by a `/bin/sh` wrapper on POSIX): it bounds what Python and
 * Node allocate (anonymous writable mappings, heap and buffers) without counting the large address-space reservations
 * V8 makes, which is why RLIMIT_AS (`ulimit -v`, `prlimit --as`) is not used: it stops `node` from starting at 512 MiB.
 * Files are bounded by RLIMIT_FSIZE (`ulimit -f`, 64 MiB per file by default): a write past it fails (Python: OSError
 * "File too large") or the program is killed with SIGXFSZ (Node), so an answer cannot fill the disk with one file in
 * the seconds it runs; where the level gives the run a folder of its own (`full` on Linux: a tmpfs of
 * {@link DEFAULT_MAX_TOTAL_MB} MiB, see isolation.ts) everything it writes together is bounded too. The temp folder is
 * removed after every run.
 *
 * This file holds the plain process sandbox (isolation `none`); `isolation.ts` wraps the same run in bubblewrap,
 * unshare or sandbox-exec and detects which of them the machine offers.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

import type { Isolation } from './types';

export interface SandboxSpec {
  /** The program and its arguments (an interpreter, resolved by the caller). */
  readonly command: string;
  readonly args: readonly string[];
  /** Files written into the temp folder before the run, by relative path. */
  readonly files?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  /** Extra environment variables (never keys): for example ELECTRON_RUN_AS_NODE=1. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /**
   * Processes and threads the run may have at once, default 256. Applied only inside a user namespace on Linux 5.14
   * or later, where RLIMIT_NPROC counts the namespace's own processes (elsewhere it counts all of the user's, and a
   * busy desktop would stop node from starting its threads); never enforced for root.
   */
  readonly maxProcesses?: number;
  /** stdout and stderr together are cut at this many bytes (the rest is read and dropped). */
  readonly maxOutputBytes: number;
  /** The largest file the run may write, in MiB (RLIMIT_FSIZE; POSIX only), default {@link DEFAULT_MAX_FILE_MB}. */
  readonly maxFileMb?: number;
  /**
   * All the run may write together, in MiB, where the level gives the temp folder a size of its own (`full` on Linux:
   * a tmpfs), default {@link DEFAULT_MAX_TOTAL_MB}; elsewhere only time x maxFileMb bounds it.
   */
  readonly maxTotalMb?: number;
  /**
   * Folders outside the temp folder the program reads (the compiled harness), kept visible and read-only where the
   * level hides the temporary and runtime folders (`full` on Linux). The interpreter's installation (the folder
   * above the one the command is in) is added by the sandbox.
   */
  readonly visible?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface SandboxResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly outputCapped: boolean;
  /** The run could not start (interpreter missing): the message. */
  readonly spawnError?: string;
  /** The caller's signal aborted the run (the process tree was killed). */
  readonly aborted?: boolean;
  readonly ms: number;
}

export interface Sandbox {
  readonly isolation: Isolation;
  run(spec: SandboxSpec): Promise<SandboxResult>;
}

/** The variables a run keeps from the parent environment; everything else (keys, tokens, proxies) is dropped. */
const KEPT_ENV = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'SYSTEMROOT', 'WINDIR', 'COMSPEC', 'PATHEXT'];

export function sandboxEnv(parent: NodeJS.ProcessEnv, home: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of KEPT_ENV) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = home;
  env.USERPROFILE = home;
  env.TMPDIR = home;
  env.TMP = home;
  env.TEMP = home;
  env.PYTHONDONTWRITEBYTECODE = '1';
  env.PYTHONIOENCODING = 'utf-8';
  env.PYTHONHASHSEED = '0';
  for (const [name, value] of Object.entries(extra)) env[name] = value;
  return env;
}

/** One run as a wrapper sees it. */
export interface WrapInput {
  readonly dir: string;
  readonly memoryMb: number;
  readonly command: string;
  readonly args: readonly string[];
  /**
   * A line unique to this run that a wrapper's own set-up step prints to stderr, with exit code 125, when it fails
   * (a mount, the memory limit): the run then reports `spawnError` instead of passing the failure off as the
   * program's. The program does not get it (it is an argument of the shell the program's exec replaces).
   */
  readonly setupFailed: string;
  /** RLIMIT_NPROC for the run, 0 for none (see SandboxSpec.maxProcesses): only wrappers that make a user namespace pass it on. */
  readonly maxProcesses: number;
  /** RLIMIT_FSIZE for the run, in the 512-byte blocks `ulimit -f` takes (see fileBlocks). */
  readonly maxFileBlocks: string;
  /** The size of the run's own folder where a wrapper makes one (SandboxSpec.maxTotalMb), in bytes. */
  readonly maxTotalBytes: number;
  /** Absolute folders the program reads outside the temp folder (SandboxSpec.visible and the interpreter's installation). */
  readonly visible: readonly string[];
  /** Whether the spec wrote files into the temp folder (a wrapper that mounts a fresh folder over it copies them in). */
  readonly hasFiles: boolean;
}

/** How a sandbox starts a program inside its temp folder: the command line that wraps the interpreter. */
export type WrapCommand = (run: WrapInput) => { readonly command: string; readonly args: readonly string[] };

/**
 * The rlimits as `/bin/sh` lines: memory as RLIMIT_DATA (`ulimit -d`, KiB) and the largest file as RLIMIT_FSIZE
 * (`ulimit -f`, 512-byte blocks in POSIX shells: dash, busybox, macOS's sh; a failure of either is a set-up failure),
 * and with `processes` > 0 RLIMIT_NPROC, best effort (`-u` in bash and busybox, `-p` in dash; the pid namespace and
 * the kill at the end bound a fork bomb anyway). `fail` is the shell command that reports a set-up failure.
 */
export function limitLines(memoryKiBExpr: string, fileBlocksExpr: string, processesExpr: string, fail: string): string {
  return [
    `ulimit -d ${memoryKiBExpr} || ${fail}`,
    `ulimit -f ${fileBlocksExpr} || ${fail}`,
    `if [ ${processesExpr} != 0 ]; then { ulimit -u ${processesExpr} || ulimit -p ${processesExpr}; } 2>/dev/null; fi`,
  ].join('\n');
}

/**
 * `/bin/sh -c 'ulimit …; exec "$@"'`: the limits (see limitLines), then the program itself (exec, so the shell does
 * not stay). `inUserNamespace`: the wrapper runs it inside a new user namespace, where RLIMIT_NPROC is the namespace's.
 * `copyFrom`: a folder whose files the shell first copies into its working directory (the run's files, when the
 * wrapper mounted a fresh folder over the one they were written to). On Windows nothing is wrapped (no rlimits there).
 */
export function withLimits(run: WrapInput, options: { readonly inUserNamespace?: boolean; readonly copyFrom?: string } = {}): { command: string; args: string[] } {
  if (process.platform === 'win32') return { command: run.command, args: [...run.args] };
  const fail = `{ printf '%s\\n' "$0" >&2; exit 125; }`;
  const script = [
    limitLines('"$1"', '"$2"', '"$3"', fail),
    `if [ -n "$4" ]; then cp -R "$4/." . || ${fail}; fi`,
    'shift 4',
    'exec "$@"',
  ].join('\n');
  return {
    command: '/bin/sh',
    args: [
      '-c', script, run.setupFailed, memoryKiB(run.memoryMb), run.maxFileBlocks, String(options.inUserNamespace ? run.maxProcesses : 0),
      options.copyFrom ?? '', run.command, ...run.args,
    ],
  };
}

export const DEFAULT_MAX_FILE_MB = 64;
export const DEFAULT_MAX_TOTAL_MB = 128;

/** The folder an interpreter is installed in (`/usr` for `/usr/bin/python3`), for an absolute command. */
function installationOf(command: string): string | undefined {
  return isAbsolute(command) ? dirname(dirname(command)) : undefined;
}

/** A file-size limit in MiB as the 512-byte blocks `ulimit -f` takes (at least 1 MiB). */
export function fileBlocks(maxFileMb: number): string {
  return String(Math.max(1, Math.floor(maxFileMb)) * 2048);
}

/** A limit in MiB as the KiB `ulimit` takes (at least 1 MiB). */
export function memoryKiB(memoryMb: number): string {
  return String(Math.max(1, Math.floor(memoryMb)) * 1024);
}

const DEFAULT_MAX_PROCESSES = 256;

/** Linux 5.14 and later count RLIMIT_NPROC per user namespace ("ucounts"); earlier, per user across the machine. */
function processLimitApplies(): boolean {
  if (process.platform !== 'linux') return false;
  const [major = 0, minor = 0] = release().split('.').map((part) => Number.parseInt(part, 10));
  return major > 5 || (major === 5 && minor >= 14);
}

/** Writes the spec's files into the run's temp folder (names that would leave it are refused). */
async function writeRunFiles(dir: string, spec: SandboxSpec): Promise<void> {
  for (const [name, content] of Object.entries(spec.files ?? {})) {
    const path = resolve(dir, name);
    if (!path.startsWith(dir + sep)) throw new Error(`The file name "${name}" leaves the run's temporary folder; use a relative path inside it.`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/**
 * Runs a spec in a fresh temp folder (its real path: bind mounts and profiles need it) with `wrap` deciding the
 * command line; the folder is removed afterwards, whatever happened.
 */
export async function runWrapped(spec: SandboxSpec, wrap: WrapCommand): Promise<SandboxResult> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'model-router-verify-')));
  try {
    await writeRunFiles(dir, spec);
    const setupFailed = `model-router-sandbox-setup-failed-${randomUUID()}`;
    const maxProcesses = processLimitApplies() ? Math.max(1, Math.floor(spec.maxProcesses ?? DEFAULT_MAX_PROCESSES)) : 0;
    const maxFileBlocks = fileBlocks(spec.maxFileMb ?? DEFAULT_MAX_FILE_MB);
    const maxTotalBytes = Math.max(1, Math.floor(spec.maxTotalMb ?? DEFAULT_MAX_TOTAL_MB)) * 1024 * 1024;
    const installation = installationOf(spec.command);
    const visible = [...(spec.visible ?? []), ...(installation ? [installation] : [])];
    const wrapped = wrap({ dir, memoryMb: spec.memoryMb, command: spec.command, args: spec.args, setupFailed, maxProcesses, maxFileBlocks, maxTotalBytes, visible, hasFiles: Object.keys(spec.files ?? {}).length > 0 });
    const result = await runChild(spec, wrapped.command, wrapped.args, dir, sandboxEnv(process.env, dir, spec.env));
    if (!result.stderr.includes(setupFailed)) return result;
    // The wrapper's shell names itself by the marker: "<marker>: 4: exec: /no/python3: not found".
    const why = result.stderr.replace(new RegExp(`${setupFailed}(?::\\s*\\d+:)?\\s*`, 'g'), '').trim().slice(0, 500);
    if (result.exitCode === 126 || result.exitCode === 127) return { ...result, stderr: why, spawnError: `${spec.command} could not be started${why ? ` (${why})` : ''}` };
    if (result.exitCode !== 125) return result;
    return { ...result, stderr: why, spawnError: `The sandbox could not be set up for this run${why ? `: ${why}` : ''}.` };
  } finally {
    await removeRunDir(dir);
  }
}

/**
 * Removes the temp folder. A program can leave folders without write or search permission (`chmod 0`), which `rm`
 * cannot empty unless the user is root: then every folder is made `rwx` for the owner (symlinks are not followed)
 * and the removal is tried again.
 */
export async function removeRunDir(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    await openUp(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

async function openUp(folder: string): Promise<void> {
  await chmod(folder, 0o700).catch(() => undefined);
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await openUp(join(folder, entry.name));
}

/**
 * A plain child process: temp folder, minimal environment, time, memory and output limits, the process group killed
 * at the end. It can reach the network and write where the user can, and a process that leaves its group (setsid)
 * survives the run: the UI says "not isolated".
 */
export class ProcessSandbox implements Sandbox {
  readonly isolation: Isolation = {
    level: 'none',
    method: 'process',
    description: 'not isolated: a plain child process in a temporary folder with time, memory and output limits (it can reach the network and write your files)',
  };

  run(spec: SandboxSpec): Promise<SandboxResult> {
    return runWrapped(spec, (run) => withLimits(run));
  }
}

/** Spawns one child in its own process group and collects bounded output; kills the group at the end. */
export function runChild(
  spec: SandboxSpec,
  command: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<SandboxResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let capped = false;
    let timedOut = false;
    let settled = false;
    let aborted = false;
    const child = spawn(command, [...args], {
      cwd,
      env,
      detached: process.platform !== 'win32',
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        if (process.platform === 'win32') {
          // No process groups: taskkill /T ends the tree while its root still runs.
          if (child.exitCode === null && child.signalCode === null) {
            spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
          }
          child.kill('SIGKILL');
        } else process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const take = (into: Buffer[]) => (chunk: Buffer): void => {
      if (capped) return;
      const room = spec.maxOutputBytes - bytes;
      if (chunk.length > room) {
        into.push(chunk.subarray(0, Math.max(0, room)));
        bytes = spec.maxOutputBytes;
        capped = true;
        killGroup();
        return;
      }
      into.push(chunk);
      bytes += chunk.length;
    };
    child.stdout.on('data', take(out));
    child.stderr.on('data', take(err));
    child.stdin.on('error', () => undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, spec.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.signal?.aborted) onAbort();
    const finish = (result: Omit<SandboxResult, 'ms' | 'stdout' | 'stderr' | 'timedOut' | 'outputCapped'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain);
      spec.signal?.removeEventListener('abort', onAbort);
      killGroup();
      resolve({
        ...result,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        outputCapped: capped,
        ...(aborted ? { aborted: true } : {}),
        ms: performance.now() - started,
      });
    };
    // When the program exits, its group goes with it; a process that left the group (setsid) and keeps the pipes
    // open would hold 'close' back forever, so the pipes are dropped shortly after the exit.
    let drain: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      killGroup();
      drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish({ exitCode: code, signal });
      }, 250);
    });
    child.on('error', (error) => finish({ exitCode: null, signal: null, spawnError: error.message }));
    child.on('close', (code, signal) => finish({ exitCode: code, signal }));
    if (spec.stdin !== undefined) child.stdin.end(spec.stdin);
    else child.stdin.end();
  });
}
