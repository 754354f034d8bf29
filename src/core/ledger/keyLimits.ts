/**
 * Key limits shared by every process using one ledger directory: `<dir>/key-limits.json` holds, per provider and key
 * id, the level of each token bucket (RPM, TPM, RPD, minimum interval) and the end of a 429 penalty. A process reads
 * it before picking a key and takes a request under `<dir>/key-limits.lock` (held only to read-check-write this small
 * file, never while a provider answers), so a daily quota of 2 allows 2 requests a day across windows, CLI runs and
 * restarts.
 *
 * Why a file of bucket levels and not a count over the ledger's attempts: the ledger learns of a request when it ends,
 * so concurrent requests would all see room for one more; and the TPM bucket counts estimates before sending, which
 * the ledger never holds. Buckets are what the router already enforces (rateLimiter.ts), so sharing their levels
 * keeps one meaning of every limit.
 *
 * The file is hostile input like any other: over 1 MiB it is read as empty, and an entry that is not a well-formed
 * state (non-finite numbers, a level above its capacity, more than 4,096 keys) is dropped. Entries that say nothing
 * (every bucket full again, no penalty left) are removed when the file is written, so it stays small.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { BucketName, BucketState, LimiterState } from '../routing/rateLimiter';
import { isIdle } from '../routing/rateLimiter';
import type { ProviderLimitStates, SharedLimitStore } from '../routing/sharedLimits';
import { withLock } from './lock';

export const LIMITS_FILE = 'key-limits.json';
export const LIMITS_LOCK = 'key-limits.lock';

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_ENTRIES = 4096;
const BUCKETS: readonly BucketName[] = ['rpm', 'tpm', 'rpd', 'minInterval'];

type FileStates = Record<string, Record<string, LimiterState>>;

function finite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

function bucketOf(value: unknown): BucketState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const b = value as Partial<BucketState>;
  if (!finite(b.level) || !finite(b.at) || !finite(b.capacity) || !finite(b.windowMs)) return undefined;
  if (!(b.capacity > 0) || !(b.windowMs > 0) || b.level > b.capacity || b.level < -1e12) return undefined;
  return { level: b.level, at: b.at, capacity: b.capacity, windowMs: b.windowMs };
}

function stateOf(value: unknown): LimiterState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const raw = value as { buckets?: unknown; penalizedUntil?: unknown };
  if (typeof raw.buckets !== 'object' || raw.buckets === null) return undefined;
  const buckets: Partial<Record<BucketName, BucketState>> = {};
  for (const name of BUCKETS) {
    const bucket = bucketOf((raw.buckets as Record<string, unknown>)[name]);
    if (bucket) buckets[name] = bucket;
  }
  return finite(raw.penalizedUntil) ? { buckets, penalizedUntil: raw.penalizedUntil } : { buckets };
}

export class SharedKeyLimits implements SharedLimitStore {
  private readonly file: string;
  private readonly lock: string;

  constructor(
    private readonly dir: string,
    private readonly options: { readonly lockTimeoutMs?: number } = {},
  ) {
    this.file = join(dir, LIMITS_FILE);
    this.lock = join(dir, LIMITS_LOCK);
  }

  async read(providerId: string): Promise<ProviderLimitStates> {
    return (await this.readAll())[providerId] ?? {};
  }

  async update<T>(
    providerId: string,
    now: number,
    fn: (states: ProviderLimitStates) => { readonly states?: ProviderLimitStates; readonly result: T },
  ): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    return withLock(
      this.lock,
      async () => {
        const all = await this.readAll();
        const { states, result } = fn(all[providerId] ?? {});
        if (states !== undefined) {
          all[providerId] = { ...all[providerId], ...states };
          await this.write(all, now);
        }
        return result;
      },
      { timeoutMs: this.options.lockTimeoutMs ?? 5_000, staleMs: 10_000 },
    );
  }

  /** Every provider's states (a missing, oversized or unreadable file holds none). */
  async readAll(): Promise<FileStates> {
    let text: string;
    try {
      const bytes = await readFile(this.file);
      if (bytes.length > MAX_FILE_BYTES) return {};
      text = bytes.toString('utf8');
    } catch {
      return {};
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return {};
    }
    const providers = (value as { providers?: unknown } | null)?.providers;
    if (typeof providers !== 'object' || providers === null) return {};
    const out: FileStates = {};
    let count = 0;
    for (const [providerId, keys] of Object.entries(providers)) {
      if (typeof keys !== 'object' || keys === null || providerId === '__proto__') continue;
      const states: Record<string, LimiterState> = {};
      for (const [keyId, raw] of Object.entries(keys as Record<string, unknown>)) {
        if (++count > MAX_ENTRIES) return out;
        if (keyId === '__proto__') continue;
        const state = stateOf(raw);
        if (state) states[keyId] = state;
      }
      out[providerId] = states;
    }
    return out;
  }

  private async write(all: FileStates, now: number): Promise<void> {
    const providers: FileStates = {};
    for (const [providerId, keys] of Object.entries(all)) {
      const kept = Object.entries(keys).filter(([, state]) => !isIdle(state, now));
      if (kept.length > 0) providers[providerId] = Object.fromEntries(kept);
    }
    const temp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify({ v: 1, providers }));
      await rename(temp, this.file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }
}
