/**
 * The interpreters that run answers: Python from a configured command, checked by running it once; Node from the
 * running process (the CLI's `node`, or the extension host's Electron with ELECTRON_RUN_AS_NODE=1).
 */
import { execFile } from 'node:child_process';

import type { Runtime, Runtimes } from './types';

export interface DetectRuntimesOptions {
  /**
   * The Python command line, split on spaces (`python3`, `py -3`, `/usr/local/bin/python3.12`); default `python3`,
   * `py -3` on Windows.
   */
  readonly python?: string;
  /** `cli`: `process.execPath` is node. `extension-host`: it is Electron, which runs as node with ELECTRON_RUN_AS_NODE=1. */
  readonly host: 'cli' | 'extension-host';
  /** How long the Python check may take, default 5,000 ms. */
  readonly timeoutMs?: number;
}

/** Runs `command args… -c <print sys.executable>` once; resolves the interpreter's real path, or undefined. */
function probePython(command: string, args: readonly string[], timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args, '-c', 'import sys; print(sys.version_info[0]); print(sys.executable)'],
      { timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024 },
      (error, stdout) => {
        if (error) return resolve(undefined);
        const [major, executable] = String(stdout).split(/\r?\n/);
        resolve(major === '3' && executable ? executable : undefined);
      },
    );
  });
}

/**
 * Finds Python and Node. Python is run once: when it is Python 3, the runtime is the interpreter's own path
 * (`sys.executable`) rather than the command, so that each run skips launchers and shims (a pyenv shim costs about
 * 90 ms a start). Missing or not Python 3 → `python` is undefined, and the caller reports `unknown` once.
 */
export async function detectRuntimes(options: DetectRuntimesOptions): Promise<Runtimes> {
  const configured = (options.python ?? (process.platform === 'win32' ? 'py -3' : 'python3')).trim().split(/\s+/).filter(Boolean);
  const [command, ...args] = configured;
  const executable = command ? await probePython(command, args, options.timeoutMs ?? 5_000) : undefined;
  const python: Runtime | undefined = executable ? { command: executable, args: [] } : undefined;
  const node: Runtime =
    options.host === 'extension-host'
      ? { command: process.execPath, args: [], env: { ELECTRON_RUN_AS_NODE: '1' } }
      : { command: process.execPath, args: [] };
  return { ...(python ? { python } : {}), node };
}
