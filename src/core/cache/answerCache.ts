/**
 * The answer cache: an exact repeat of a request (same task, model, instruction, code, language and file name: the
 * same prompt to the same model) within a time to live is answered from here at $0, in every window and CLI run
 * that shares the data directory.
 *
 * One file per entry, `<dir>/answer-cache/<scope>/<sha256>.json`, written to a temporary file and renamed into place,
 * so a reader in another process sees a whole entry or none, and no lock is needed: two processes caching the same
 * request write the same thing and the last rename wins. The name is a hash of what was sent: neither the code nor
 * the instruction is kept. The answer text is (it may quote the code): that is what is told to the user where the
 * cache is turned on. `scope` separates trusted from untrusted workspaces: an answer given under one is never shown
 * under the other (a workspace's config can change the prompt; it cannot reach the other scope's entries).
 *
 * Bounded: an answer longer than {@link AnswerCacheOptions.maxEntryChars} is not cached; after each write, expired
 * entries are removed and then the oldest until at most `maxEntries` and `maxBytes` remain. Everything read back is
 * checked (size, shape) before use: a damaged or foreign file is a miss, and is removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { TaskType } from '../config/types';
import type { Usage } from '../providers/types';
import { formatUsd } from '../util/format';

export const ANSWER_CACHE_DIR = 'answer-cache';
const ENTRY_VERSION = 1;

/** Which workspaces may share entries: trusted ones (and the CLI with --trust-workspace), or the others. */
export type CacheScope = 'trusted' | 'untrusted';

/** What the key is made of: everything sent to the model, and the model. */
export interface CacheKeyInput {
  readonly provider: string;
  readonly model: string;
  readonly task: TaskType;
  readonly system: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
}

export interface CachedAnswer {
  readonly provider: string;
  readonly model: string;
  readonly task: TaskType;
  /** When the answer was given (epoch ms). */
  readonly createdAt: number;
  readonly answer: string;
  /** What the answer cost when it was given: what a cache hit saves. */
  readonly costUsd: number;
  readonly usage: Usage;
}

export interface AnswerCacheOptions {
  /** How long an entry may answer, from when it was given. */
  readonly ttlMs: number;
  readonly scope: CacheScope;
  /** Longest answer kept (characters). Default 256 Ki. */
  readonly maxEntryChars?: number;
  /** Most entries kept per scope. Default 2,000. */
  readonly maxEntries?: number;
  /** Most bytes kept per scope. Default 32 MiB. */
  readonly maxBytes?: number;
  readonly now?: () => number;
}

/** The router's view of the cache (tests pass their own). */
export interface AnswerCacheStore {
  get(key: string): Promise<CachedAnswer | undefined>;
  put(key: string, entry: CachedAnswer): Promise<void>;
}

/** The cache key of a request to one model: a SHA-256 of what is sent, never the text itself. */
export function answerCacheKey(input: CacheKeyInput): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([ENTRY_VERSION, input.provider, input.model, input.task, input.system, input.messages.map((m) => [m.role, m.content])]));
  return hash.digest('hex');
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

function isUsage(value: unknown): value is Usage {
  if (typeof value !== 'object' || value === null) return false;
  const u = value as Record<string, unknown>;
  return ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'].every(
    (k) => typeof u[k] === 'number' && Number.isFinite(u[k]) && (u[k]) >= 0,
  );
}

interface StoredEntry extends CachedAnswer {
  readonly v: typeof ENTRY_VERSION;
  readonly key: string;
}

function isStoredEntry(value: unknown, key: string): value is StoredEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<StoredEntry>;
  return (
    e.v === ENTRY_VERSION &&
    e.key === key &&
    typeof e.provider === 'string' &&
    typeof e.model === 'string' &&
    typeof e.task === 'string' &&
    typeof e.createdAt === 'number' &&
    Number.isFinite(e.createdAt) &&
    typeof e.answer === 'string' &&
    typeof e.costUsd === 'number' &&
    Number.isFinite(e.costUsd) &&
    e.costUsd >= 0 &&
    isUsage(e.usage)
  );
}

export class AnswerCache implements AnswerCacheStore {
  readonly dir: string;
  private readonly now: () => number;
  private readonly maxEntryChars: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private pruning: Promise<void> | undefined;

  constructor(
    dataDir: string,
    private readonly options: AnswerCacheOptions,
  ) {
    this.dir = join(dataDir, ANSWER_CACHE_DIR, options.scope);
    this.now = options.now ?? Date.now;
    this.maxEntryChars = options.maxEntryChars ?? 256 * 1024;
    this.maxEntries = options.maxEntries ?? 2_000;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  }

  private file(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /** The fresh entry of `key`, or undefined (none, expired, damaged: an expired or damaged file is removed). */
  async get(key: string): Promise<CachedAnswer | undefined> {
    if (!KEY_PATTERN.test(key)) return undefined;
    const path = this.file(key);
    let text: string;
    try {
      const info = await stat(path);
      // An entry is at most maxEntryChars of UTF-8 (4 bytes a character) plus its fields.
      if (!info.isFile() || info.size > this.maxEntryChars * 4 + 64 * 1024) {
        await this.remove(path);
        return undefined;
      }
      text = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      await this.remove(path);
      return undefined;
    }
    if (!isStoredEntry(value, key)) {
      await this.remove(path);
      return undefined;
    }
    const now = this.now();
    // From the future (a clock set back, or a foreign file): not trusted to be fresh.
    if (value.createdAt > now + 60_000 || now - value.createdAt >= this.options.ttlMs) {
      await this.remove(path);
      return undefined;
    }
    return { provider: value.provider, model: value.model, task: value.task, createdAt: value.createdAt, answer: value.answer, costUsd: value.costUsd, usage: value.usage };
  }

  /** Keeps `entry` under `key` (an answer too long to keep is skipped), then keeps the cache within its bounds. */
  async put(key: string, entry: CachedAnswer): Promise<void> {
    if (!KEY_PATTERN.test(key) || entry.answer.length > this.maxEntryChars || entry.answer === '') return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const stored: StoredEntry = { v: ENTRY_VERSION, key, ...entry };
    const temp = join(this.dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temp, JSON.stringify(stored), { mode: 0o600 });
      await rename(temp, this.file(key));
    } catch (error) {
      await this.remove(temp);
      throw error;
    }
    await this.prune();
  }

  /** Removes every entry of this scope. Returns how many were removed. */
  async clear(): Promise<number> {
    let removed = 0;
    for (const name of await this.names()) {
      if (await this.remove(join(this.dir, name))) removed += 1;
    }
    return removed;
  }

  /** Entries and bytes of this scope (for `model-router cache`). */
  async stats(): Promise<{ entries: number; bytes: number }> {
    let entries = 0;
    let bytes = 0;
    for (const name of await this.names()) {
      try {
        const info = await stat(join(this.dir, name));
        entries += 1;
        bytes += info.size;
      } catch {
        // Removed meanwhile by another process.
      }
    }
    return { entries, bytes };
  }

  /** Expired entries go, then the oldest until the bounds hold. One prune at a time per process. */
  prune(): Promise<void> {
    this.pruning ??= this.pruneOnce().finally(() => {
      this.pruning = undefined;
    });
    return this.pruning;
  }

  private async pruneOnce(): Promise<void> {
    const now = this.now();
    const entries: { path: string; at: number; size: number }[] = [];
    for (const name of await this.names(true)) {
      const path = join(this.dir, name);
      try {
        const info = await stat(path);
        // A temporary file left by a process that died mid-write: gone after a minute.
        if (name.endsWith('.tmp')) {
          if (now - info.mtimeMs > 60_000) await this.remove(path);
          continue;
        }
        if (now - info.mtimeMs >= this.options.ttlMs) await this.remove(path);
        else entries.push({ path, at: info.mtimeMs, size: info.size });
      } catch {
        // Removed meanwhile.
      }
    }
    entries.sort((a, b) => a.at - b.at);
    let bytes = entries.reduce((sum, e) => sum + e.size, 0);
    let count = entries.length;
    for (const entry of entries) {
      if (count <= this.maxEntries && bytes <= this.maxBytes) break;
      await this.remove(entry.path);
      count -= 1;
      bytes -= entry.size;
    }
  }

  private async names(withTemp = false): Promise<string[]> {
    try {
      const names = await readdir(this.dir);
      return names.filter((name) => (name.endsWith('.json') && KEY_PATTERN.test(name.slice(0, -5))) || (withTemp && name.startsWith('.') && name.endsWith('.tmp')));
    } catch {
      return [];
    }
  }

  private async remove(path: string): Promise<boolean> {
    try {
      await unlink(path);
      return true;
    } catch {
      return false;
    }
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "14:02" for a time today (local time), else "2026-12-01 14:02". */
export function formatCachedTime(at: number, now: number = Date.now()): string {
  const date = new Date(at);
  const today = new Date(now);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (date.toDateString() === today.toDateString()) return time;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

/** "cached from 14:02 ($0; saved $0.0123)": how a cached answer is marked in the CLI, the answer document and the log. */
export function describeCached(cached: { readonly from: number; readonly savedUsd: number }, now?: number): string {
  return `cached from ${formatCachedTime(cached.from, now)} ($0; saved ${formatUsd(cached.savedUsd)})`;
}
