/**
 * Running model-written code: a child process per run in a fresh temporary folder, a minimal environment (no keys,
 * HOME in the temp folder), a wall-time limit, capped output, and the whole process group killed at the end.
 *
 * (First version: process-level limits only. Namespaces/bubblewrap/sandbox-exec and memory limits come next.)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  /** stdout and stderr together are cut at this many bytes (the rest is read and dropped). */
  readonly maxOutputBytes: number;
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

export class ProcessSandbox implements Sandbox {
  readonly isolation: Isolation = {
    level: 'none',
    method: 'process',
    description: 'not isolated: a plain child process in a temporary folder with time and output limits',
  };

  async run(spec: SandboxSpec): Promise<SandboxResult> {
    const dir = await mkdtemp(join(tmpdir(), 'model-router-verify-'));
    try {
      for (const [name, content] of Object.entries(spec.files ?? {})) {
        const path = join(dir, name);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content);
      }
      return await runChild(spec, spec.command, spec.args, dir, sandboxEnv(process.env, dir, spec.env));
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    }
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
        if (process.platform === 'win32') child.kill('SIGKILL');
        else process.kill(-child.pid, 'SIGKILL');
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
    const onAbort = (): void => killGroup();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (result: Omit<SandboxResult, 'ms' | 'stdout' | 'stderr' | 'timedOut' | 'outputCapped'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      killGroup();
      resolve({
        ...result,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        outputCapped: capped,
        ms: performance.now() - started,
      });
    };
    child.on('error', (error) => finish({ exitCode: null, signal: null, spawnError: error.message }));
    child.on('close', (code, signal) => finish({ exitCode: code, signal }));
    if (spec.stdin !== undefined) child.stdin.end(spec.stdin);
    else child.stdin.end();
  });
}
