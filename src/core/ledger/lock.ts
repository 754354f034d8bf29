/**
 * A cross-process lock on a directory: an O_EXCL lock file holding the owner's pid and the time it was taken.
 * A lock is stale when its owner's process is gone (same machine) or it is older than `staleMs`; a stale lock is
 * taken over safely (moved to a unique name, checked, removed; a live lock moved by mistake is linked back).
 * Waiting sleeps in short steps (no spinning) and gives up after `timeoutMs`.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';

export interface LockOptions {
  /** Give up after this long (default 5,000 ms). */
  readonly timeoutMs?: number;
  /** A lock older than this is stale even when its owner's pid is alive (default 30,000 ms). */
  readonly staleMs?: number;
}

/** The lock stayed taken by another process for the whole timeout. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

export interface LockHandle {
  release(): Promise<void>;
}

interface LockContent {
  readonly pid: number;
  readonly at: number;
  readonly token: string;
}

/** True when a process with this pid exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    if (typeof value.pid === 'number' && typeof value.at === 'number' && typeof value.token === 'string') {
      return { pid: value.pid, at: value.at, token: value.token };
    }
  } catch {
    // A lock file being written (empty or partial) reads as unparsable: treated as live until it is old.
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function tryCreate(path: string, content: LockContent): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(JSON.stringify(content));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Removes `path` if it is (still) the stale lock `seen`; returns true when something was removed. */
async function breakStale(path: string, seenText: string): Promise<boolean> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return false; // someone else took it over or released it
  }
  const movedText = await readFile(aside, 'utf8').catch(() => '');
  if (movedText !== seenText) {
    // Between our read and the rename, the stale lock was replaced by a live one: put it back if the slot is free.
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
  return movedText === seenText;
}

export async function acquireLock(path: string, options: LockOptions = {}): Promise<LockHandle> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const staleMs = options.staleMs ?? 30_000;
  const content: LockContent = { pid: process.pid, at: Date.now(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    if (await tryCreate(path, { ...content, at: Date.now() })) {
      return {
        release: async (): Promise<void> => {
          const current = parse(await readFile(path, 'utf8').catch(() => ''));
          if (current?.token === content.token) await unlink(path).catch(() => undefined);
        },
      };
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const holder = parse(text);
      const stale = holder ? !processAlive(holder.pid) || Date.now() - holder.at > staleMs : false;
      // An unreadable lock is one being written (microseconds) or one whose owner died between create and write.
      const unreadableAndOld = !holder && (await isOld(path, Math.min(staleMs, 1_000)));
      if ((stale || unreadableAndOld) && (await breakStale(path, text))) continue;
    }
    if (Date.now() >= deadline) throw new LockTimeoutError(`Timed out after ${timeoutMs} ms waiting for the ledger lock ${path}`);
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 25);
  }
}

async function isOld(path: string, staleMs: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

/** Runs `fn` holding the lock at `path`, and releases it afterwards, also when `fn` throws. */
export async function withLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const handle = await acquireLock(path, options);
  try {
    return await fn();
  } finally {
    await handle.release();
  }
}
